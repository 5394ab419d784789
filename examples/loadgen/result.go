package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Result is one JSON line: one measured phase of one run.
type Result struct {
	Time      string `json:"time"`
	RunID     string `json:"run_id"`
	Label     string `json:"label"`  // "go", "node", ...
	Server    string `json:"server"` // the command
	Scenario  string `json:"scenario"`
	Conns     int    `json:"conns"`
	Instances int    `json:"instances"`
	Redis     bool   `json:"redis"`
	// Rate is the offered load in delivered msgs/s (fanout, rest);
	// BroadcastsPerS is the broadcasts (or POSTs) per second that makes it.
	Rate      float64 `json:"rate,omitempty"`
	Ramp      bool    `json:"ramp,omitempty"`
	Rep       int     `json:"rep,omitempty"` // repetition of the same phase, from 0
	Pass      *bool   `json:"pass,omitempty"`
	DurationS float64 `json:"duration_s"`

	// connect
	Connected         int     `json:"connected,omitempty"`
	ConnectFailed     int     `json:"connect_failed,omitempty"`
	ConnectsPerS      float64 `json:"connects_per_s,omitempty"`
	RSSBeforeBytes    int64   `json:"rss_before_bytes,omitempty"`
	RSSAfterBytes     int64   `json:"rss_after_bytes,omitempty"`
	RSSPerConnBytes   float64 `json:"rss_per_conn_bytes,omitempty"`
	HeapPerConnBytes  float64 `json:"heap_per_conn_bytes,omitempty"`
	GoroutinesBefore  int     `json:"goroutines_before,omitempty"`
	GoroutinesAfter   int     `json:"goroutines_after,omitempty"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn,omitempty"`
	// HeapLivePerConnBytes: live heap after a forced GC (servers that
	// support GET /stats?gc=1, i.e. the Go one), per connection.
	HeapLivePerConnBytes float64 `json:"heap_live_per_conn_bytes,omitempty"`
	CPUPerConnUs         float64 `json:"cpu_per_conn_us,omitempty"`

	// fanout and rest
	BroadcastsPerS float64 `json:"broadcasts_per_s,omitempty"`
	Sent           int64   `json:"sent,omitempty"`
	Expected       int64   `json:"expected,omitempty"`
	Received       int64   `json:"received,omitempty"`
	Lost           int64   `json:"lost"`
	Reordered      int64   `json:"reordered,omitempty"`
	SeqsIncomplete int64   `json:"seqs_incomplete,omitempty"` // broadcasts that missed a client
	Disconnects    int64   `json:"disconnects,omitempty"`
	Reconnected    int     `json:"reconnected,omitempty"`
	DeliveredPerS  float64 `json:"delivered_per_s,omitempty"`
	// LagGrowthMs: how much later the last quarter of the broadcasts
	// completed, after their send times, than the first quarter (medians).
	LagGrowthMs float64 `json:"lag_growth_ms,omitempty"`
	PostErrors  int64   `json:"post_errors,omitempty"`

	// latency (fanout: all clients; rest: clients of the other instance;
	// acks: round trip)
	P50Ms       float64 `json:"p50_ms,omitempty"`
	P90Ms       float64 `json:"p90_ms,omitempty"`
	P99Ms       float64 `json:"p99_ms,omitempty"`
	MaxMs       float64 `json:"max_ms,omitempty"`
	LocalP99Ms  float64 `json:"local_p99_ms,omitempty"`  // clients of the instance that got the send
	RemoteP99Ms float64 `json:"remote_p99_ms,omitempty"` // clients of the other instance (via Redis)

	// acks
	Ackers    int     `json:"ackers,omitempty"`
	Acks      int64   `json:"acks,omitempty"`
	AcksPerS  float64 `json:"acks_per_s,omitempty"`
	AckErrors int64   `json:"ack_errors,omitempty"`

	// resources over the phase
	ServerCPUS      float64 `json:"server_cpu_s"`
	ServerSysCPUS   float64 `json:"server_sys_cpu_s"`                // the part spent in the kernel
	ServerCPUPerMsg float64 `json:"server_cpu_per_msg_us,omitempty"` // per delivered message, or per ack
	LoadgenCPUS     float64 `json:"loadgen_cpu_s"`
	RedisCPUS       float64 `json:"redis_cpu_s,omitempty"`
	ServerRSSBytes  int64   `json:"server_rss_bytes,omitempty"` // both instances, at the end
	// MachineCPUS is the busy time of all cores; OtherCPUS what neither the
	// servers, the load tool nor Redis used (other processes: noise).
	MachineCPUS float64 `json:"machine_cpu_s"`
	OtherCPUS   float64 `json:"other_cpu_s"`
	// Disturbed: other processes used more than a quarter of a core on
	// average during the phase; compare and plot skip such a phase when an
	// undisturbed repetition of it exists.
	Disturbed bool `json:"disturbed,omitempty"`

	Errors []string `json:"errors,omitempty"`
}

func (r *Result) addErr(format string, args ...any) {
	if len(r.Errors) < 10 {
		r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
	}
}

func readResults(paths []string) ([]Result, error) {
	var out []Result
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var r Result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			out = append(out, r)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fmtRate(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fk", v/1000)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func fmtF(v float64, prec int) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// printTable writes one row per result.
func printTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tscenario\tconns\trate\tdelivered/s\tp50 ms\tp99 ms\tmax ms\tlost\tpass\tcpu µs/msg\tacks/s\tconn/s\tRSS KiB/conn\tgor/conn\tsrv cpu s\tlg cpu s\t")
	for _, r := range rs {
		pass := ""
		if r.Pass != nil {
			pass = map[bool]string{true: "yes", false: "NO"}[*r.Pass]
		}
		sc := r.Scenario
		if r.Ramp {
			sc += " (ramp)"
		}
		lost := "-"
		if r.Scenario == "fanout" || r.Scenario == "rest" || r.Scenario == "fanout-max" {
			lost = fmt.Sprint(r.Lost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t\n",
			r.Label, sc, r.Conns, fmtRate(r.Rate), fmtRate(r.DeliveredPerS),
			fmtMs(r.P50Ms), fmtMs(r.P99Ms), fmtMs(r.MaxMs), lost, pass,
			fmtF(r.ServerCPUPerMsg, 1), fmtRate(r.AcksPerS), fmtRate(r.ConnectsPerS),
			fmtF(r.RSSPerConnBytes/1024, 1), fmtF(r.GoroutinesPerConn, 2), r.ServerCPUS, r.LoadgenCPUS)
	}
	tw.Flush()
}
