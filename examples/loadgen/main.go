// Command loadgen drives two instances of a bench server (examples/bench,
// or the Node.js reference in examples/bench/node) over one Redis and
// measures connects, fan-out, ack round trips and REST emits.
//
//	go build -o /tmp/bench ./examples/bench
//	go run ./examples/loadgen -server /tmp/bench -label go -conns 1000 -scenario all -json out.jsonl
//	go run ./examples/loadgen -server "node examples/bench/node/server.js" -label node -conns 1000 -json out.jsonl
//	go run ./examples/loadgen compare out.jsonl
//	go run ./examples/loadgen plot -out /tmp/img out.jsonl
//
// It speaks Engine.IO v4 / Socket.IO v5 over WebSocket itself (one reader
// goroutine per connection), talks to 127.0.0.1 only, and every run is
// bounded: each phase by -duration plus a drain, the whole run by -timeout.
// The server command runs as `sh -c "exec <command>"` with PORT,
// REDIS_URL, REDIS_PREFIX (unique per run) and, with -pprof-dir, PPROF.
//
// Scenarios (-scenario, comma separated, or all):
//   - connect: opens -conns connections split over the two instances;
//     connects/s, server RSS and goroutines per connection (before/after);
//   - fanout: all connections in room "bench", one sender connection emits
//     "bcast" at a fixed rate (-rates, in delivered msgs/s: broadcasts/s =
//     rate / conns) with {"t":unix_nanos,"seq":n,"p":phase}; delivered
//     msgs/s, latency (now - t, t being the scheduled send time), lost
//     messages; then -ramp searches the highest rate delivered in full;
//   - acks: -ackers connections, one "ping" ack in flight each;
//   - rest: POST /emit?room=bench to instance 0 at -rest-rate delivered
//     msgs/s (POSTs/s = rate / conns); latency measured on the clients of
//     instance 1 (through Redis).
//
// CPU is read from /proc/<pid>/stat (utime+stime) of the server process
// groups before and after each phase.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

type options struct {
	server       string
	label        string
	conns        int
	instances    int
	scenarios    map[string]bool
	rates        []float64
	duration     time.Duration
	drain        time.Duration
	rampStart    float64
	rampFactor   float64
	rampMax      float64
	rampDuration time.Duration
	ackers       int
	restRate     float64
	redisURL     string
	prefix       string
	jsonPath     string
	timeout      time.Duration
	connectPar   int
	pprofDir     string
	check        bool
	maxP99       time.Duration
	repeat       int
	retries      int
	waitIdle     time.Duration
	logDir       string
	quiet        bool
	runID        string
	reader       string
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "compare":
			os.Exit(compareMain(os.Args[2:]))
		case "plot":
			os.Exit(plotMain(os.Args[2:]))
		}
	}
	os.Exit(run())
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		mult := 1.0
		if strings.HasSuffix(f, "k") {
			mult, f = 1000, strings.TrimSuffix(f, "k")
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v*mult)
	}
	return out, nil
}

func run() int {
	var o options
	var scen, rates, ramp string
	flag.StringVar(&o.server, "server", "", "server command, run as sh -c \"exec <command>\" (e.g. a built examples/bench binary, or \"node examples/bench/node/server.js\")")
	flag.StringVar(&o.label, "label", "", "name of the server in the results (default: from the command)")
	flag.IntVar(&o.conns, "conns", 1000, "connections, split over the instances")
	flag.IntVar(&o.instances, "instances", 2, "server instances (1 or 2)")
	flag.StringVar(&scen, "scenario", "all", "connect,fanout,acks,rest or all")
	flag.StringVar(&rates, "rates", "20k,50k", "fan-out rates to run, in delivered msgs/s (k = 1000)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each fanout/acks/rest phase")
	flag.DurationVar(&o.drain, "drain", 3*time.Second, "how long to wait for the last messages of a phase")
	flag.StringVar(&ramp, "ramp", "", "highest zero-loss fan-out rate search: start:factor:max, e.g. 50k:1.5:2000k (empty: no search)")
	flag.DurationVar(&o.rampDuration, "ramp-duration", 0, "length of each ramp phase (default: -duration)")
	flag.IntVar(&o.ackers, "ackers", 100, "connections sending ping acks (one in flight each)")
	restRate := flag.String("rest-rate", "20k", "rest scenario load in delivered msgs/s (POSTs/s = rate / conns)")
	flag.StringVar(&o.redisURL, "redis", "redis://127.0.0.1:6379", "Redis URL (empty: in-memory adapter, then -instances must be 1)")
	flag.StringVar(&o.prefix, "prefix", "", "Redis channel prefix (default: unique per run)")
	flag.StringVar(&o.jsonPath, "json", "", "append JSON lines to this file")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "hard deadline of the whole run")
	flag.IntVar(&o.connectPar, "connect-concurrency", 50, "connections being opened at once")
	flag.StringVar(&o.pprofDir, "pprof-dir", "", "write CPU profiles of instance 0 during fanout and acks phases here (server must honour PPROF)")
	flag.DurationVar(&o.maxP99, "max-p99", 500*time.Millisecond, "a fan-out rate counts as delivered in full only with a p99 latency up to this")
	flag.IntVar(&o.repeat, "repeat", 1, "run each fixed-rate fanout, acks and rest phase this many times (compare and plot take the median)")
	flag.DurationVar(&o.waitIdle, "wait-idle", 0, "before each phase, wait up to this long for other processes to leave the CPUs (under 0.15 core busy for 1s)")
	flag.IntVar(&o.retries, "retry-disturbed", 0, "run a phase again, up to this many times, when other processes used over a quarter of a core during it")
	flag.BoolVar(&o.check, "check", false, "exit 1 if a fixed-rate fanout or rest phase lost messages, or a scenario failed")
	flag.StringVar(&o.logDir, "logdir", "", "where server logs go (default: a temporary directory)")
	flag.BoolVar(&o.quiet, "q", false, "no progress lines")
	flag.StringVar(&o.runID, "run-id", "", "the run's id in the results (default: time and pid); invocations that share one count as one run, so that compare and plot take the median over all their repetitions")
	flag.StringVar(&o.reader, "reader", "poll", "how connections are read: poll (a few epoll loops, Linux) or goroutine (one goroutine each)")
	flag.Parse()

	if o.server == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -server is required")
		flag.Usage()
		return 2
	}
	var err error
	if rr, err := parseRates(*restRate); err != nil || len(rr) != 1 {
		fmt.Fprintln(os.Stderr, "loadgen: bad -rest-rate")
		return 2
	} else {
		o.restRate = rr[0]
	}
	if o.rates, err = parseRates(rates); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: -rates:", err)
		return 2
	}
	if ramp != "" {
		parts := strings.Split(ramp, ":")
		if len(parts) != 3 {
			fmt.Fprintln(os.Stderr, "loadgen: -ramp wants start:factor:max")
			return 2
		}
		a, err1 := parseRates(parts[0])
		f, err2 := strconv.ParseFloat(parts[1], 64)
		m, err3 := parseRates(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || len(a) != 1 || len(m) != 1 || f <= 1 {
			fmt.Fprintln(os.Stderr, "loadgen: bad -ramp")
			return 2
		}
		o.rampStart, o.rampFactor, o.rampMax = a[0], f, m[0]
	}
	if o.rampDuration == 0 {
		o.rampDuration = o.duration
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(scen, ",") {
		switch s = strings.TrimSpace(s); s {
		case "all":
			for _, k := range []string{"connect", "fanout", "acks", "rest"} {
				o.scenarios[k] = true
			}
		case "connect", "fanout", "acks", "rest":
			o.scenarios[s] = true
		default:
			fmt.Fprintln(os.Stderr, "loadgen: unknown scenario", s)
			return 2
		}
	}
	if o.reader != "poll" && o.reader != "goroutine" {
		fmt.Fprintln(os.Stderr, "loadgen: -reader must be poll or goroutine")
		return 2
	}
	if o.instances < 1 || o.instances > 2 {
		fmt.Fprintln(os.Stderr, "loadgen: -instances must be 1 or 2")
		return 2
	}
	if o.redisURL == "" && o.instances > 1 {
		fmt.Fprintln(os.Stderr, "loadgen: without -redis, the instances do not form a cluster: use -instances 1")
		return 2
	}
	if o.label == "" {
		o.label = guessLabel(o.server)
	}
	if o.prefix == "" {
		o.prefix = fmt.Sprintf("bench-%d-%x", os.Getpid(), rand.Uint32())
	}
	if o.logDir == "" {
		d, err := os.MkdirTemp("", "loadgen-")
		if err != nil {
			log.Print(err)
			return 1
		}
		o.logDir = d
	}
	if o.pprofDir != "" {
		if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
			log.Print(err)
			return 1
		}
	}
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("loadgen[" + o.label + "] ")

	lg := &loadgen{o: o, runID: o.runID}
	if lg.runID == "" {
		lg.runID = fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102T150405"), os.Getpid())
	}
	lg.seqs.Store(new([]seqState))
	for i := range lg.hists {
		lg.hists[i] = new(hist)
	}
	if o.jsonPath != "" {
		if dir := filepath.Dir(o.jsonPath); dir != "" {
			_ = os.MkdirAll(dir, 0o755)
		}
		f, err := os.OpenFile(o.jsonPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			log.Print(err)
			return 1
		}
		defer f.Close()
		lg.out = f
	}

	// The hard deadline and ^C: stop the servers whatever happens.
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	watchdog := time.AfterFunc(o.timeout+10*time.Second, func() {
		log.Print("hard deadline passed: stopping the servers and exiting")
		lg.stopServers()
		os.Exit(3)
	})
	defer watchdog.Stop()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigc
		log.Print("interrupted: stopping the servers")
		lg.stopServers()
		os.Exit(130)
	}()

	code := lg.run(ctx)
	lg.stopServers()
	if !o.quiet && len(lg.results) > 0 {
		fmt.Println()
		printTable(os.Stdout, lg.results)
	}
	return code
}

func guessLabel(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return "server"
	}
	if filepath.Base(f[0]) == "node" {
		return "node"
	}
	if filepath.Base(f[0]) == "go" {
		return "go"
	}
	return filepath.Base(f[0])
}

type loadgen struct {
	o     options
	runID string
	out   io.Writer

	insts []*instance
	rdb   *redis.Client

	mu      sync.Mutex
	clients []*client

	// The current phase: packets of other phases are counted as stale.
	phase       atomic.Int64
	hists       [2]*hist // latency per instance of the receiving client
	received    atomic.Int64
	stale       atomic.Int64
	seqs        atomic.Pointer[[]seqState]
	seqLive     atomic.Int32 // receipts that complete a broadcast
	disconnects atomic.Int64

	results []Result
	failed  bool
	rep     int
}

func (lg *loadgen) logf(format string, args ...any) {
	if !lg.o.quiet {
		log.Printf(format, args...)
	}
}

func (lg *loadgen) stopServers() {
	lg.mu.Lock()
	insts := lg.insts
	lg.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.stop(3 * time.Second)
		}()
	}
	wg.Wait()
}

func (lg *loadgen) emit(r Result) {
	r.Time = time.Now().UTC().Format(time.RFC3339)
	r.RunID = lg.runID
	r.Label = lg.o.label
	r.Server = lg.o.server
	r.Conns = lg.o.conns
	r.Instances = lg.o.instances
	r.Redis = lg.o.redisURL != ""
	r.Rep = lg.rep
	lg.results = append(lg.results, r)
	if lg.out != nil {
		b, _ := json.Marshal(r)
		_, _ = lg.out.Write(append(b, '\n'))
	}
	if !lg.o.quiet {
		printTable(os.Stderr, []Result{r})
	}
}

func (lg *loadgen) run(ctx context.Context) int {
	o := lg.o
	if o.redisURL != "" {
		ropts, err := redis.ParseURL(o.redisURL)
		if err != nil {
			log.Print(err)
			return 1
		}
		lg.rdb = redis.NewClient(ropts)
		defer lg.rdb.Close()
		if err := lg.rdb.Ping(ctx).Err(); err != nil {
			log.Printf("redis: %v", err)
			return 1
		}
	}
	for i := range o.instances {
		in, err := startInstance(i, o.server, o.redisURL, o.prefix, o.pprofDir != "" && i == 0, o.logDir)
		if err != nil {
			log.Print(err)
			return 1
		}
		lg.mu.Lock()
		lg.insts = append(lg.insts, in)
		lg.mu.Unlock()
	}
	for _, in := range lg.insts {
		if err := in.waitHealthy(ctx, 30*time.Second); err != nil {
			log.Print(err)
			return 1
		}
	}
	lg.logf("%d instance(s) of %q up on %v (prefix %s, logs in %s)", len(lg.insts), o.server, lg.addrs(), o.prefix, o.logDir)
	time.Sleep(500 * time.Millisecond) // let start-up work settle before the baseline
	lg.waitIdle(ctx)

	if !lg.connectPhase(ctx) {
		return 1
	}
	if ctx.Err() == nil && (o.scenarios["fanout"] || o.scenarios["rest"]) {
		if err := lg.joinAll(ctx); err != nil {
			log.Printf("join: %v", err)
			return 1
		}
	}
	if o.scenarios["fanout"] {
		for _, rate := range o.rates {
			for rep := range max(1, o.repeat) {
				if ctx.Err() != nil {
					break
				}
				lg.rep = rep
				r := lg.retryDisturbed(ctx, func() Result { return lg.fanoutPhase(ctx, rate, o.duration, false) })
				if o.check && (r.Lost != 0 || r.Disconnects != 0 || r.Received == 0) {
					lg.failed = true
				}
			}
		}
		lg.rep = 0
		if o.rampStart > 0 {
			lg.ramp(ctx)
		}
	}
	for rep := range max(1, o.repeat) {
		if !o.scenarios["acks"] || ctx.Err() != nil {
			break
		}
		lg.rep = rep
		r := lg.retryDisturbed(ctx, func() Result { return lg.acksPhase(ctx) })
		if o.check && (r.Acks == 0 || r.AckErrors != 0) {
			lg.failed = true
		}
	}
	for rep := range max(1, o.repeat) {
		if !o.scenarios["rest"] || ctx.Err() != nil {
			break
		}
		lg.rep = rep
		r := lg.retryDisturbed(ctx, func() Result { return lg.restPhase(ctx) })
		if o.check && (r.Lost != 0 || r.Received == 0 || r.PostErrors != 0) {
			lg.failed = true
		}
	}
	if ctx.Err() != nil {
		log.Printf("deadline of %s reached: the run was cut short", o.timeout)
		return 1
	}
	if lg.failed {
		return 1
	}
	return 0
}

func (lg *loadgen) addrs() []string {
	var out []string
	for _, in := range lg.insts {
		out = append(out, in.addr())
	}
	return out
}

// waitIdle waits, up to o.waitIdle, until processes other than ours use
// less than 0.15 core for a second: other work on the machine skews the
// measurements.
func (lg *loadgen) waitIdle(ctx context.Context) {
	if lg.o.waitIdle <= 0 {
		return
	}
	deadline := time.Now().Add(lg.o.waitIdle)
	waited := false
	for time.Now().Before(deadline) && ctx.Err() == nil {
		a := lg.snap(ctx)
		time.Sleep(time.Second)
		b := lg.snap(ctx)
		var r Result
		r.fillResources(a, b)
		other := r.OtherCPUS / b.at.Sub(a.at).Seconds()
		if other < 0.15 {
			if waited {
				lg.logf("machine idle again")
			}
			return
		}
		if !waited {
			lg.logf("waiting for other processes to leave the CPUs (%.2f cores busy)", other)
			waited = true
		}
	}
	lg.logf("machine still busy after %s: measuring anyway", lg.o.waitIdle)
}

// snapshot is the resource counters at one moment.
type snapshot struct {
	at      time.Time
	srvCPU  float64
	srvSys  float64
	srvRSS  int64
	selfCPU float64
	redis   float64
	machine float64
}

func (lg *loadgen) snap(ctx context.Context) snapshot {
	s := snapshot{at: time.Now(), selfCPU: selfCPU(), redis: redisCPU(ctx, lg.rdb), machine: machineCPU()}
	for _, in := range lg.insts {
		p := sampleGroup(in.pgid)
		s.srvCPU += p.cpu
		s.srvSys += p.sys
		s.srvRSS += p.rss
	}
	return s
}

func (r *Result) fillResources(a, b snapshot) {
	r.ServerCPUS = b.srvCPU - a.srvCPU
	r.ServerSysCPUS = b.srvSys - a.srvSys
	r.LoadgenCPUS = b.selfCPU - a.selfCPU
	r.RedisCPUS = b.redis - a.redis
	r.ServerRSSBytes = b.srvRSS
	r.MachineCPUS = b.machine - a.machine
	r.OtherCPUS = max(0, r.MachineCPUS-r.ServerCPUS-r.LoadgenCPUS-r.RedisCPUS)
	if el := b.at.Sub(a.at).Seconds(); el > 0 && r.OtherCPUS/el > 0.25 {
		r.Disturbed = true
	}
}

// retryDisturbed runs a phase again (up to o.retries more times) while
// other processes disturbed it.
func (lg *loadgen) retryDisturbed(ctx context.Context, phase func() Result) Result {
	r := phase()
	for i := 0; i < lg.o.retries && r.Disturbed && ctx.Err() == nil; i++ {
		lg.logf("phase disturbed by other processes (%.1f CPU-s): running it again", r.OtherCPUS)
		r = phase()
	}
	return r
}

func (lg *loadgen) disconnected(c *client) {
	if c.id >= 0 { // not the sender
		lg.disconnects.Add(1)
	}
}

// onEvent handles an event packet's payload: `["msg",{...}]`.
func (lg *loadgen) onEvent(c *client, p []byte) {
	if len(p) < 8 || string(p[:7]) != `["msg",` {
		return
	}
	ph, ok := jsonInt(p, `"p":`)
	if !ok || ph != lg.phase.Load() {
		lg.stale.Add(1)
		return
	}
	t, _ := jsonInt(p, `"t":`)
	seq, _ := jsonInt(p, `"seq":`)
	now := time.Now().UnixNano()
	lg.hists[c.inst&1].Record((now - t) / 1000)
	c.recv.Add(1)
	lg.received.Add(1)
	if sc := *lg.seqs.Load(); seq >= 0 && seq < int64(len(sc)) {
		if sc[seq].n.Add(1) == lg.seqLive.Load() {
			sc[seq].done.Store(now)
		}
	}
	if seq <= c.lastSeq.Swap(seq) {
		c.reorder.Add(1)
	}
}

// connectPhase opens o.conns connections, split over the instances.
func (lg *loadgen) connectPhase(ctx context.Context) bool {
	o := lg.o
	lg.clients = make([]*client, o.conns)
	var before []serverStats
	for _, in := range lg.insts {
		st, _ := in.stats()
		if g, err := in.statsGC(); err == nil && g.HeapLiveBytes > 0 {
			st.HeapLiveBytes = g.HeapLiveBytes
		}
		before = append(before, st)
	}
	s0 := lg.snap(ctx)
	var failed atomic.Int64
	var firstErr atomic.Value
	lat := new(hist)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range max(1, o.connectPar) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				c, err := dial(lg, lg.insts[i%len(lg.insts)].addr(), i, i%len(lg.insts), 10*time.Second)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat.Record(time.Since(t0).Microseconds())
				lg.clients[i] = c
			}
		}()
	}
	for i := range o.conns {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	s1 := lg.snap(ctx)
	// Let the servers settle before reading memory.
	time.Sleep(time.Second)
	s2 := lg.snap(ctx)
	var after []serverStats
	var liveBefore, liveAfter int64
	for i, in := range lg.insts {
		st, _ := in.stats()
		after = append(after, st)
		if g, err := in.statsGC(); err == nil && g.HeapLiveBytes > 0 {
			liveAfter += g.HeapLiveBytes
			liveBefore += before[i].HeapLiveBytes
		}
	}
	n := int(int64(o.conns) - failed.Load())
	r := Result{Scenario: "connect", DurationS: elapsed.Seconds(), Connected: n, ConnectFailed: int(failed.Load())}
	if n > 0 {
		r.ConnectsPerS = float64(n) / elapsed.Seconds()
		q := lat.Quantiles(0.5, 0.99)
		r.P50Ms, r.P99Ms, r.MaxMs = q[0]/1000, q[1]/1000, float64(lat.Max())/1000
		r.RSSBeforeBytes, r.RSSAfterBytes = s0.srvRSS, s2.srvRSS
		r.RSSPerConnBytes = float64(s2.srvRSS-s0.srvRSS) / float64(n)
		var gb, ga, hb, ha int64
		for i := range before {
			gb += int64(before[i].Goroutines)
			hb += before[i].HeapBytes
		}
		for i := range after {
			ga += int64(after[i].Goroutines)
			ha += after[i].HeapBytes
		}
		r.GoroutinesBefore, r.GoroutinesAfter = int(gb), int(ga)
		r.GoroutinesPerConn = float64(ga-gb) / float64(n)
		r.HeapPerConnBytes = float64(ha-hb) / float64(n)
		if liveAfter > 0 {
			r.HeapLivePerConnBytes = float64(liveAfter-liveBefore) / float64(n)
		}
		r.CPUPerConnUs = (s1.srvCPU - s0.srvCPU) * 1e6 / float64(n)
	}
	r.fillResources(s0, s1)
	r.ServerRSSBytes = s2.srvRSS
	if e := firstErr.Load(); e != nil {
		r.addErr("connect: %s", e)
	}
	if o.scenarios["connect"] {
		lg.emit(r)
	}
	if in := lg.insts[0]; o.pprofDir != "" && in.pprofAddr != "" {
		// A heap profile shows allocations only a GC cycle or two after
		// they happened: collect a few times first.
		for range 3 {
			_, _ = in.statsGC()
		}
		path := filepath.Join(o.pprofDir, fmt.Sprintf("%s-heap-%dc.pprof", o.label, o.conns))
		if err := fetchPprof(in.pprofAddr, "heap?gc=1", 10*time.Second, path); err != nil {
			log.Printf("pprof heap: %v", err)
		} else {
			lg.logf("heap profile of instance 0 written to %s", path)
		}
	}
	if n < o.conns {
		log.Printf("%d of %d connections failed (first error: %v)", failed.Load(), o.conns, firstErr.Load())
		if o.check || n == 0 {
			lg.failed = true
			return n > 0 && !o.check
		}
	}
	return true
}

// joinAll puts every client into room "bench".
func (lg *loadgen) joinAll(ctx context.Context) error {
	jobs := make(chan *client)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range max(1, lg.o.connectPar) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				if err := join(c); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for _, c := range lg.clients {
		if c != nil && ctx.Err() == nil {
			jobs <- c
		}
	}
	close(jobs)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return e.(error)
	}
	return nil
}

func join(c *client) error {
	_, err := c.emitAck([]byte(`["join","bench"]`), 10*time.Second)
	return err
}

// ensureConnected replaces the clients the servers dropped (a slow
// consumer is disconnected by a bounded server) before the next phase.
func (lg *loadgen) ensureConnected(ctx context.Context) int {
	n := 0
	for i, c := range lg.clients {
		if ctx.Err() != nil {
			break
		}
		if c != nil && !c.closed.Load() {
			continue
		}
		nc, err := dial(lg, lg.insts[i%len(lg.insts)].addr(), i, i%len(lg.insts), 10*time.Second)
		if err != nil {
			continue
		}
		if err := join(nc); err != nil {
			nc.close()
			continue
		}
		lg.clients[i] = nc
		n++
	}
	return n
}

func (lg *loadgen) liveClients() int {
	n := 0
	for _, c := range lg.clients {
		if c != nil && !c.closed.Load() {
			n++
		}
	}
	return n
}

// resetPhase starts a new phase: counters and histograms to zero.
// seqs is the number of broadcasts, live the number of clients each one
// should reach.
func (lg *loadgen) resetPhase(seqs, live int) int64 {
	for _, h := range lg.hists {
		h.Reset()
	}
	lg.received.Store(0)
	sc := make([]seqState, seqs)
	lg.seqs.Store(&sc)
	lg.seqLive.Store(int32(live))
	for _, c := range lg.clients {
		if c != nil {
			c.recv.Store(0)
			c.reorder.Store(0)
			c.lastSeq.Store(-1)
		}
	}
	return lg.phase.Add(1)
}

// quiesce waits until no message has come for 300ms (at most limit), so
// that a backlog of one phase does not load the next.
func (lg *loadgen) quiesce(limit time.Duration) {
	deadline := time.Now().Add(limit)
	last := lg.received.Load() + lg.stale.Load()
	quietSince := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		cur := lg.received.Load() + lg.stale.Load()
		if cur != last {
			last, quietSince = cur, time.Now()
			continue
		}
		if time.Since(quietSince) >= 300*time.Millisecond {
			return
		}
	}
}

func (lg *loadgen) fillLatency(r *Result, local, remote *hist) {
	all := new(hist)
	all.merge(local)
	if remote != nil {
		all.merge(remote)
	}
	q := all.Quantiles(0.5, 0.9, 0.99)
	r.P50Ms, r.P90Ms, r.P99Ms = q[0]/1000, q[1]/1000, q[2]/1000
	r.MaxMs = float64(all.Max()) / 1000
	r.LocalP99Ms = local.Quantiles(0.99)[0] / 1000
	if remote != nil && remote.Count() > 0 {
		r.RemoteP99Ms = remote.Quantiles(0.99)[0] / 1000
	}
}

// profile fetches a CPU profile of instance 0 while a phase runs.
func (lg *loadgen) profile(name string, d time.Duration) func() {
	in := lg.insts[0]
	if lg.o.pprofDir == "" || in.pprofAddr == "" || d < time.Second {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := filepath.Join(lg.o.pprofDir, fmt.Sprintf("%s-%s.pprof", lg.o.label, name))
		if err := fetchProfile(in.pprofAddr, d, path); err != nil {
			log.Printf("pprof: %v", err)
			return
		}
		lg.logf("CPU profile of instance 0 written to %s", path)
	}()
	return func() { <-done }
}

// pace calls send(i, scheduled) n times at rate per second, on schedule.
// scheduled is the time the i-th call was due: latencies count from it,
// so a late sender does not hide the wait (coordinated omission).
func pace(ctx context.Context, n int, perSec float64, send func(i int, scheduled time.Time)) time.Time {
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(float64(i) / perSec * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return start
			case <-time.After(d):
			}
		}
		send(i, due)
	}
	return start
}

func bcastPayload(b []byte, event, room string, t time.Time, seq int, phase int64) []byte {
	b = append(b[:0], `42["`...)
	b = append(b, event...)
	b = append(b, `","`...)
	b = append(b, room...)
	b = append(b, `",`...)
	return appendPayload(b, t, seq, phase, true)
}

func appendPayload(b []byte, t time.Time, seq int, phase int64, closeArray bool) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, t.UnixNano(), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `,"p":`...)
	b = strconv.AppendInt(b, phase, 10)
	b = append(b, '}')
	if closeArray {
		b = append(b, ']')
	}
	return b
}
