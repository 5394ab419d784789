// Command plot renders the load tool's JSON lines as PNG charts, with the
// standard library only (its own axes, lines and bitmap font):
//
//	go run ./examples/loadgen/plot -out docs/img -prefix bench- results/*.jsonl
//
// It writes:
//   - fanout-max.png: the highest fan-out rate delivered in full versus
//     connections, per server;
//   - fanout-p99.png: fan-out p99 latency at equal offered load versus
//     connections, per server and rate;
//   - cpu-per-msg.png: server CPU time per delivered message versus
//     connections, per server and rate;
//   - rss-per-conn.png: server RSS per connection versus connections;
//   - latency-vs-rate-<conns>.png: p99 latency versus offered rate (fixed
//     and ramp phases) at each connection count.
//
// When a measurement appears in several runs, the last run counts; of its
// repetitions, the median one (as loadgen compare picks it).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// result is the subset of the load tool's JSON line used here.
type result struct {
	RunID           string  `json:"run_id"`
	Label           string  `json:"label"`
	Scenario        string  `json:"scenario"`
	Conns           int     `json:"conns"`
	Rate            float64 `json:"rate"`
	Ramp            bool    `json:"ramp"`
	Pass            *bool   `json:"pass"`
	DeliveredPerS   float64 `json:"delivered_per_s"`
	P99Ms           float64 `json:"p99_ms"`
	ServerCPUPerMsg float64 `json:"server_cpu_per_msg_us"`
	RSSPerConnBytes float64 `json:"rss_per_conn_bytes"`
	ConnectsPerS    float64 `json:"connects_per_s"`
	Disturbed       bool    `json:"disturbed"`
	AcksPerS        float64 `json:"acks_per_s"`
}

func main() {
	out := flag.String("out", "docs/img", "directory for the PNG files")
	width := flag.Int("w", 900, "width in pixels")
	height := flag.Int("h", 560, "height in pixels")
	prefix := flag.String("prefix", "", "prefix of the file names (e.g. bench-)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: plot [-out dir] results.jsonl...")
		os.Exit(2)
	}
	var rs []result
	for _, p := range flag.Args() {
		f, err := os.Open(p)
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var r result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				log.Fatalf("%s: %v", p, err)
			}
			rs = append(rs, r)
		}
		f.Close()
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	charts := buildCharts(rs)
	for _, c := range charts {
		path := filepath.Join(*out, *prefix+c.file)
		if err := writePNG(path, c.render(*width, *height)); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", path)
	}
}

type key struct {
	label, scenario string
	conns           int
	rate            float64
	ramp            bool
}

func buildCharts(rs []result) []*chart {
	groups := map[key][]result{}
	var labels []string
	for _, r := range rs {
		k := key{r.Label, r.Scenario, r.Conns, r.Rate, r.Ramp}
		if r.Scenario == "fanout-max" {
			k.rate = 0
		}
		if prev := groups[k]; len(prev) > 0 && prev[0].RunID != r.RunID {
			groups[k] = nil
		}
		groups[k] = append(groups[k], r)
		if !slices.Contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
	}
	last := map[key]result{}
	for k, list := range groups {
		last[k] = median(list)
	}
	// Keep "go" first, then "node", then the rest.
	slices.SortStableFunc(labels, func(a, b string) int { return rank(a) - rank(b) })
	sorted := func(pred func(result) bool) []result {
		var out []result
		for _, r := range last {
			if pred(r) {
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(a, b result) int {
			if a.Conns != b.Conns {
				return a.Conns - b.Conns
			}
			return int(math.Copysign(1, a.Rate-b.Rate))
		})
		return out
	}
	var fixedRates []float64
	var connCounts []int
	for _, r := range last {
		if r.Scenario == "fanout" && !r.Ramp && !slices.Contains(fixedRates, r.Rate) {
			fixedRates = append(fixedRates, r.Rate)
		}
		if !slices.Contains(connCounts, r.Conns) {
			connCounts = append(connCounts, r.Conns)
		}
	}
	slices.Sort(fixedRates)
	slices.Sort(connCounts)

	var charts []*chart
	c := &chart{file: "fanout-max.png", title: "Highest fan-out rate delivered in full", xlabel: "connections", ylabel: "delivered msgs/s"}
	for i, l := range labels {
		s := series{name: l, color: palette(i, 0)}
		for _, r := range sorted(func(r result) bool { return r.Label == l && r.Scenario == "fanout-max" && r.Pass != nil && *r.Pass }) {
			s.pts = append(s.pts, pt{float64(r.Conns), r.DeliveredPerS})
		}
		c.add(s)
	}
	charts = append(charts, c)

	c = &chart{file: "fanout-p99.png", title: "Fan-out p99 latency at equal offered load", xlabel: "connections", ylabel: "p99 ms", logY: true}
	c2 := &chart{file: "cpu-per-msg.png", title: "Server CPU per delivered message", xlabel: "connections", ylabel: "µs per msg (both instances)"}
	for i, l := range labels {
		for j, rate := range fixedRates {
			s := series{name: fmt.Sprintf("%s %s msgs/s", l, fmtRate(rate)), color: palette(i, j), dashed: j > 0}
			s2 := s
			for _, r := range sorted(func(r result) bool {
				return r.Label == l && r.Scenario == "fanout" && !r.Ramp && r.Rate == rate
			}) {
				s.pts = append(s.pts, pt{float64(r.Conns), r.P99Ms})
				s2.pts = append(s2.pts, pt{float64(r.Conns), r.ServerCPUPerMsg})
			}
			c.add(s)
			c2.add(s2)
		}
	}
	charts = append(charts, c, c2)

	c = &chart{file: "rss-per-conn.png", title: "Server RSS per connection", xlabel: "connections", ylabel: "KiB per connection"}
	for i, l := range labels {
		s := series{name: l, color: palette(i, 0)}
		for _, r := range sorted(func(r result) bool { return r.Label == l && r.Scenario == "connect" }) {
			s.pts = append(s.pts, pt{float64(r.Conns), r.RSSPerConnBytes / 1024})
		}
		c.add(s)
	}
	charts = append(charts, c)

	for _, n := range connCounts {
		c := &chart{file: fmt.Sprintf("latency-vs-rate-%d.png", n), title: fmt.Sprintf("Fan-out p99 latency vs offered rate, %d connections", n),
			xlabel: "offered msgs/s", ylabel: "p99 ms", logX: true, logY: true}
		for i, l := range labels {
			s := series{name: l, color: palette(i, 0)}
			for _, r := range sorted(func(r result) bool { return r.Label == l && r.Scenario == "fanout" && r.Conns == n }) {
				if len(s.pts) > 0 && s.pts[len(s.pts)-1].x == r.Rate {
					continue
				}
				s.pts = append(s.pts, pt{r.Rate, r.P99Ms})
			}
			c.add(s)
		}
		if len(c.series) > 0 {
			charts = append(charts, c)
		}
	}
	var out []*chart
	for _, c := range charts {
		if len(c.series) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// median picks the median repetition (of the undisturbed ones, if any):
// by p99, or by throughput for acks and connects.
func median(list []result) result {
	var calm []result
	for _, r := range list {
		if !r.Disturbed {
			calm = append(calm, r)
		}
	}
	if len(calm) > 0 {
		list = calm
	}
	metric := func(r result) float64 {
		switch r.Scenario {
		case "acks":
			return r.AcksPerS
		case "connect":
			return r.ConnectsPerS
		}
		return r.P99Ms
	}
	s := slices.Clone(list)
	slices.SortStableFunc(s, func(a, b result) int {
		switch x, y := metric(a), metric(b); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

func rank(label string) int {
	switch label {
	case "go":
		return 0
	case "node":
		return 1
	}
	return 2
}

// palette: one hue per server, a darker shade per further series.
func palette(server, shade int) color.RGBA {
	base := []color.RGBA{{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255}}[server%4]
	f := 1.0 - 0.35*float64(shade%3)
	return color.RGBA{uint8(float64(base.R) * f), uint8(float64(base.G) * f), uint8(float64(base.B) * f), 255}
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e5) == 0:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1000:
		return fmt.Sprintf("%gk", math.Round(v/100)/10)
	default:
		return fmt.Sprintf("%g", v)
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
