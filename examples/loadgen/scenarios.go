package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func boolp(b bool) *bool { return &b }

// sender returns the connection that emits "bcast" (to instance 0, in no room).
func (lg *loadgen) sender() (*client, error) {
	return dial(lg, lg.insts[0].addr(), -1, 0, 10*time.Second)
}

// seqState follows one broadcast of a phase.
type seqState struct {
	n    atomic.Int32 // receipts
	done atomic.Int64 // unix ns of the receipt that completed it (0: not yet)
}

// deliveredRate is the rate at which the server delivered a phase of n
// broadcasts sent one interval apart: received messages over the offered
// window (n intervals) plus the lag the server gathered over the phase. A
// server that keeps up delivers the offered rate exactly, whatever the
// time one broadcast takes to reach every client.
func deliveredRate(received int64, n int, interval, lag time.Duration) float64 {
	window := time.Duration(n)*interval + max(0, lag)
	if received == 0 || window <= 0 {
		return 0
	}
	return float64(received) / window.Seconds()
}

// lagGrowth is how much later, after its send time, the last quarter of
// the broadcasts reached all their clients than the first quarter did
// (medians; 0 when it did not grow). took[i] is broadcast i's completion
// time minus its send time, or -1 if it never completed (then the phase
// failed on loss anyway).
func lagGrowth(took []time.Duration) time.Duration {
	q := max(1, len(took)/4)
	if len(took) < 2 {
		return 0
	}
	median := func(ds []time.Duration) (time.Duration, bool) {
		var v []time.Duration
		for _, d := range ds {
			if d >= 0 {
				v = append(v, d)
			}
		}
		if len(v) == 0 {
			return 0, false
		}
		slices.Sort(v)
		return v[len(v)/2], true
	}
	first, ok1 := median(took[:q])
	last, ok2 := median(took[len(took)-q:])
	if !ok1 || !ok2 || last < first {
		return 0
	}
	return last - first
}

// fillDelivery sets the lag gathered and the delivered rate of a phase of
// n broadcasts sent from start at perSec.
func (lg *loadgen) fillDelivery(r *Result, start time.Time, n int, perSec float64) {
	interval := time.Duration(float64(time.Second) / perSec)
	lag := lagGrowth(lg.completionTimes(start, n, interval))
	r.LagGrowthMs = float64(lag) / float64(time.Millisecond)
	r.DeliveredPerS = deliveredRate(r.Received, n, interval, lag)
}

// completionTimes returns, for the first n broadcasts of the phase sent
// from start one interval apart, how long each took to reach every client
// (-1: it did not).
func (lg *loadgen) completionTimes(start time.Time, n int, interval time.Duration) []time.Duration {
	sc := *lg.seqs.Load()
	took := make([]time.Duration, 0, n)
	for i := 0; i < n && i < len(sc); i++ {
		d := time.Duration(-1)
		if done := sc[i].done.Load(); done != 0 {
			d = time.Duration(done - start.Add(time.Duration(i)*interval).UnixNano())
		}
		took = append(took, d)
	}
	return took
}

// incompleteSeqs counts the broadcasts that did not reach every client.
func (lg *loadgen) incompleteSeqs(sent, live int) int64 {
	sc := *lg.seqs.Load()
	var n int64
	for i := 0; i < sent && i < len(sc); i++ {
		if int(sc[i].n.Load()) < live {
			n++
		}
	}
	return n
}

// drain waits until expected messages came or the drain time passed.
func (lg *loadgen) drain(ctx context.Context, expected int64) {
	deadline := time.Now().Add(lg.o.drain)
	for lg.received.Load() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// fanoutPhase: all clients in room "bench"; one sender emits "bcast" at
// rate/live broadcasts per second for dur.
func (lg *loadgen) fanoutPhase(ctx context.Context, rate float64, dur time.Duration, ramp bool) Result {
	r := Result{Scenario: "fanout", Rate: rate, Ramp: ramp, DurationS: dur.Seconds()}
	r.Reconnected = lg.ensureConnected(ctx)
	lg.waitIdle(ctx)
	live := lg.liveClients()
	if live == 0 {
		r.addErr("no live client")
		r.Pass = boolp(false)
		lg.emit(r)
		return r
	}
	snd, err := lg.sender()
	if err != nil {
		r.addErr("sender: %v", err)
		r.Pass = boolp(false)
		lg.emit(r)
		return r
	}
	defer snd.close()
	bps := rate / float64(live)
	n := max(1, int(math.Round(bps*dur.Seconds())))
	r.BroadcastsPerS = bps
	lg.logf("fanout: %s msgs/s to %d clients = %.1f broadcasts/s for %s", fmtRate(rate), live, bps, dur)

	disc0 := lg.disconnects.Load()
	ph := lg.resetPhase(n, live)
	s0 := lg.snap(ctx)
	waitProf := lg.profile(fmt.Sprintf("fanout-%dc-%s", lg.o.conns, fmtRate(rate)), dur)
	var sendErrs int64
	buf := make([]byte, 0, 128)
	start := pace(ctx, n, bps, func(i int, due time.Time) {
		buf = bcastPayload(buf, "bcast", "bench", due, i, ph)
		if err := snd.writeText(buf); err != nil {
			sendErrs++
			return
		}
		r.Sent++
	})
	r.Expected = r.Sent * int64(live)
	lg.drain(ctx, r.Expected)
	s1 := lg.snap(ctx)
	waitProf()

	r.Received = lg.received.Load()
	r.Lost = max(0, r.Expected-r.Received)
	r.SeqsIncomplete = lg.incompleteSeqs(int(r.Sent), live)
	for _, c := range lg.clients {
		if c != nil {
			r.Reordered += c.reorder.Load()
		}
	}
	r.Disconnects = lg.disconnects.Load() - disc0
	lg.fillDelivery(&r, start, int(r.Sent), bps)
	lg.fillLatency(&r, lg.hists[0], lg.hists[1])
	r.fillResources(s0, s1)
	if r.Received > 0 {
		r.ServerCPUPerMsg = r.ServerCPUS * 1e6 / float64(r.Received)
	}
	if sendErrs > 0 {
		r.addErr("%d sends failed", sendErrs)
	}
	r.Pass = boolp(r.Lost == 0 && r.Disconnects == 0 && sendErrs == 0 && r.Sent == int64(n) && r.DeliveredPerS >= 0.95*rate &&
		r.P99Ms <= float64(lg.o.maxP99)/float64(time.Millisecond))
	lg.emit(r)
	lg.quiesce(20 * time.Second)
	return r
}

// ramp raises the fan-out rate until a phase fails, then tries once
// between the last pass and the first failure; it emits "fanout-max", the
// highest rate delivered in full.
func (lg *loadgen) ramp(ctx context.Context) {
	o := lg.o
	var best *Result
	var firstFail float64
	for rate := o.rampStart; rate <= o.rampMax && ctx.Err() == nil; rate = roundRate(rate * o.rampFactor) {
		r := lg.retryDisturbed(ctx, func() Result { return lg.fanoutPhase(ctx, rate, o.rampDuration, true) })
		if !*r.Pass {
			firstFail = rate
			break
		}
		best = &r
	}
	if best != nil && firstFail > 0 && ctx.Err() == nil {
		mid := roundRate(math.Sqrt(best.Rate * firstFail))
		if mid > best.Rate && mid < firstFail {
			if r := lg.retryDisturbed(ctx, func() Result { return lg.fanoutPhase(ctx, mid, o.rampDuration, true) }); *r.Pass {
				best = &r
			}
		}
	}
	m := Result{Scenario: "fanout-max", Pass: boolp(best != nil)}
	if best != nil {
		m = *best
		m.Scenario, m.Ramp = "fanout-max", false
	}
	lg.emit(m)
}

// roundRate keeps three significant digits.
func roundRate(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v))-2)
	return math.Round(v/p) * p
}

// acksPhase: o.ackers clients each keep one "ping" with an ack in flight.
func (lg *loadgen) acksPhase(ctx context.Context) Result {
	o := lg.o
	r := Result{Scenario: "acks", DurationS: o.duration.Seconds()}
	r.Reconnected = lg.ensureConnected(ctx)
	lg.waitIdle(ctx)
	var ackers []*client
	for _, c := range lg.clients {
		if len(ackers) == o.ackers {
			break
		}
		if c != nil && !c.closed.Load() {
			ackers = append(ackers, c)
		}
	}
	r.Ackers = len(ackers)
	lg.logf("acks: %d clients, one ping in flight each, for %s", len(ackers), o.duration)
	h := new(hist)
	var count, errs atomic.Int64
	disc0 := lg.disconnects.Load()
	s0 := lg.snap(ctx)
	waitProf := lg.profile(fmt.Sprintf("acks-%dc", lg.o.conns), o.duration)
	start := time.Now()
	deadline := start.Add(o.duration)
	pingers := make([]*pinger, len(ackers))
	for i, c := range ackers {
		pingers[i] = &pinger{deadline: deadline, h: h, count: &count, errs: &errs, buf: make([]byte, 0, 128)}
		pingers[i].start(c)
	}
	// Each pinger ends at its first answer past the deadline; one that
	// gets no answer for 5 s more is counted as an error.
	timeout := time.NewTimer(o.duration + 5*time.Second)
	for i, pg := range pingers {
		select {
		case <-pg.done:
		case <-timeout.C:
		case <-ctx.Done():
		}
		select {
		case <-pg.done:
		default:
			ackers[i].pinger.CompareAndSwap(pg, nil)
			pg.finish(true)
		}
	}
	timeout.Stop()
	elapsed := time.Since(start)
	s1 := lg.snap(ctx)
	waitProf()
	r.Acks, r.AckErrors = count.Load(), errs.Load()
	r.AcksPerS = float64(r.Acks) / elapsed.Seconds()
	q := h.Quantiles(0.5, 0.9, 0.99)
	r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs = q[0]/1000, q[1]/1000, q[2]/1000, float64(h.Max())/1000
	r.Disconnects = lg.disconnects.Load() - disc0
	r.fillResources(s0, s1)
	if r.Acks > 0 {
		r.ServerCPUPerMsg = r.ServerCPUS * 1e6 / float64(r.Acks)
	}
	r.Pass = boolp(r.Acks > 0 && r.AckErrors == 0)
	lg.emit(r)
	return r
}

// restPhase: POST /emit?room=bench to instance 0 at o.restRate delivered
// msgs/s (rate / live POSTs per second); latency is reported for the
// clients of the other instance.
func (lg *loadgen) restPhase(ctx context.Context) Result {
	o := lg.o
	r := Result{Scenario: "rest", Rate: o.restRate, DurationS: o.duration.Seconds()}
	r.Reconnected = lg.ensureConnected(ctx)
	lg.waitIdle(ctx)
	live := max(1, lg.liveClients())
	pps := o.restRate / float64(live)
	r.BroadcastsPerS = pps
	n := max(1, int(math.Round(pps*o.duration.Seconds())))
	lg.logf("rest: %s msgs/s = %.1f POST /emit per second to %s, %d clients, for %s", fmtRate(o.restRate), pps, lg.insts[0].addr(), live, o.duration)
	hc := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64, DisableCompression: true},
	}
	defer hc.CloseIdleConnections()
	url := "http://" + lg.insts[0].addr() + "/emit?room=bench"
	disc0 := lg.disconnects.Load()
	ph := lg.resetPhase(n, live)
	type job struct {
		seq int
		due time.Time
	}
	jobs := make(chan job, 4096)
	var ok, postErrs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	s0 := lg.snap(ctx)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body []byte
			for j := range jobs {
				body = appendPayload(body[:0], j.due, j.seq, ph, false)
				resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					postErrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					postErrs.Add(1)
					firstErr.CompareAndSwap(nil, resp.Status)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	start := pace(ctx, n, pps, func(i int, due time.Time) { jobs <- job{i, due} })
	close(jobs)
	wg.Wait()
	r.Sent = ok.Load()
	r.PostErrors = postErrs.Load()
	r.Expected = r.Sent * int64(live)
	lg.drain(ctx, r.Expected)
	s1 := lg.snap(ctx)
	r.Received = lg.received.Load()
	r.Lost = max(0, r.Expected-r.Received)
	r.SeqsIncomplete = lg.incompleteSeqs(n, live)
	r.Disconnects = lg.disconnects.Load() - disc0
	lg.fillDelivery(&r, start, n, pps)
	main := lg.hists[0]
	if len(lg.insts) > 1 {
		main = lg.hists[1]
	}
	q := main.Quantiles(0.5, 0.9, 0.99)
	r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs = q[0]/1000, q[1]/1000, q[2]/1000, float64(main.Max())/1000
	r.LocalP99Ms = lg.hists[0].Quantiles(0.99)[0] / 1000
	if len(lg.insts) > 1 {
		r.RemoteP99Ms = r.P99Ms
	}
	r.fillResources(s0, s1)
	if r.Received > 0 {
		r.ServerCPUPerMsg = r.ServerCPUS * 1e6 / float64(r.Received)
	}
	if e := firstErr.Load(); e != nil {
		r.addErr("POST /emit: %v", e)
	}
	r.Pass = boolp(r.Lost == 0 && r.PostErrors == 0 && r.Disconnects == 0 && r.Received > 0)
	lg.emit(r)
	lg.quiesce(20 * time.Second)
	return r
}

// fetchProfile saves a CPU profile of d from a net/http/pprof server.
func fetchProfile(addr string, d time.Duration, path string) error {
	secs := max(1, int(d/time.Second))
	return fetchPprof(addr, "profile?seconds="+strconv.Itoa(secs), time.Duration(secs+15)*time.Second, path)
}

// fetchPprof saves /debug/pprof/<what> of a net/http/pprof server.
func fetchPprof(addr, what string, timeout time.Duration, path string) error {
	hc := &http.Client{Timeout: timeout}
	resp, err := hc.Get("http://" + addr + "/debug/pprof/" + what)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
