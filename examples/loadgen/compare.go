package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// compareMain prints, as Markdown, the results of two servers side by
// side with their ratios, and the project's goals with a verdict each.
//
//	loadgen compare [-a go] [-b node] results/*.jsonl
func compareMain(args []string) int {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	a := fs.String("a", "go", "label of the server under test")
	b := fs.String("b", "node", "label of the reference")
	_ = fs.Parse(args)
	if fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: loadgen compare [-a go] [-b node] results.jsonl...")
		return 2
	}
	rs, err := readResults(fs.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen compare:", err)
		return 1
	}
	writeComparison(os.Stdout, rs, *a, *b)
	return 0
}

type cmpKey struct {
	scenario string
	conns    int
	rate     float64
	ramp     bool
}

// latest keeps, for each label and key, the results of the last run that
// measured it and, of its repetitions, the median one (by p99 latency, or
// by throughput for acks and connects).
func latest(rs []Result) map[string]map[cmpKey]Result {
	type lk struct {
		label string
		k     cmpKey
	}
	groups := map[lk][]Result{}
	for _, r := range rs {
		k := cmpKey{r.Scenario, r.Conns, r.Rate, r.Ramp}
		if r.Scenario == "fanout-max" {
			k.rate = 0 // one per connection count
		}
		g := lk{r.Label, k}
		if prev := groups[g]; len(prev) > 0 && prev[0].RunID != r.RunID {
			groups[g] = nil // a later run replaces an earlier one
		}
		groups[g] = append(groups[g], r)
	}
	out := map[string]map[cmpKey]Result{}
	for g, list := range groups {
		if out[g.label] == nil {
			out[g.label] = map[cmpKey]Result{}
		}
		out[g.label][g.k] = median(list)
	}
	return out
}

// median picks the median repetition by the scenario's main figure.
func median(list []Result) Result {
	// Phases that other processes disturbed count only if all were.
	var calm []Result
	for _, r := range list {
		if !r.Disturbed {
			calm = append(calm, r)
		}
	}
	if len(calm) > 0 {
		list = calm
	}
	if len(list) == 1 {
		return list[0]
	}
	metric := func(r Result) float64 {
		switch r.Scenario {
		case "acks":
			return r.AcksPerS
		case "connect":
			return r.ConnectsPerS
		}
		return r.P99Ms
	}
	s := slices.Clone(list)
	slices.SortStableFunc(s, func(a, b Result) int {
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

func ratio(x, y float64) string {
	if x == 0 || y == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", x/y)
}

func keysOf(m map[cmpKey]Result, scenario string, ramp bool) []cmpKey {
	var ks []cmpKey
	for k := range m {
		if k.scenario == scenario && k.ramp == ramp {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(x, y cmpKey) int {
		if x.conns != y.conns {
			return x.conns - y.conns
		}
		switch {
		case x.rate < y.rate:
			return -1
		case x.rate > y.rate:
			return 1
		}
		return 0
	})
	return ks
}

func union(a, b []cmpKey) []cmpKey {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(x, y cmpKey) int {
		if x.conns != y.conns {
			return x.conns - y.conns
		}
		switch {
		case x.rate < y.rate:
			return -1
		case x.rate > y.rate:
			return 1
		}
		return 0
	})
	return out
}

func passStr(r Result) string {
	if r.Pass == nil {
		return ""
	}
	if *r.Pass {
		return ""
	}
	return " ✗"
}

func writeComparison(w io.Writer, rs []Result, la, lb string) {
	m := latest(rs)
	A, B := m[la], m[lb]
	if A == nil {
		A = map[cmpKey]Result{}
	}
	if B == nil {
		B = map[cmpKey]Result{}
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }

	if ks := union(keysOf(A, "fanout-max", false), keysOf(B, "fanout-max", false)); len(ks) > 0 {
		p("### Highest fan-out rate delivered in full (no loss, no disconnect, delivered ≥ 95%% of offered, p99 ≤ 500 ms)\n\n")
		p("| conns | %s msgs/s | %s msgs/s | %s/%s | %s p99 ms there | %s p99 ms there |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n", la, lb, la, lb, la, lb)
		for _, k := range ks {
			x, y := A[k], B[k]
			p("| %d | %s | %s | %s | %s | %s |\n", k.conns, fmtRate(x.Rate), fmtRate(y.Rate), ratio(x.Rate, y.Rate), fmtMs(x.P99Ms), fmtMs(y.P99Ms))
		}
		p("\n")
	}
	if ks := union(keysOf(A, "fanout", false), keysOf(B, "fanout", false)); len(ks) > 0 {
		p("### Fan-out at equal offered load (two instances over Redis, one room)\n\n")
		p("| conns | offered msgs/s | delivered %s | delivered %s | p50 ms %s / %s | p99 ms %s / %s | %s p99 ÷ %s p99 | max ms %s / %s | lost %s / %s | server CPU µs/msg %s / %s | %s ÷ %s CPU |\n", la, lb, la, lb, la, lb, la, lb, la, lb, la, lb, la, lb, la, lb)
		p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, k := range ks {
			x, y := A[k], B[k]
			p("| %d | %s | %s%s | %s%s | %s / %s | %s / %s | %s | %s / %s | %d / %d | %s / %s | %s |\n",
				k.conns, fmtRate(k.rate), fmtRate(x.DeliveredPerS), passStr(x), fmtRate(y.DeliveredPerS), passStr(y),
				fmtMs(x.P50Ms), fmtMs(y.P50Ms), fmtMs(x.P99Ms), fmtMs(y.P99Ms), ratio(x.P99Ms, y.P99Ms),
				fmtMs(x.MaxMs), fmtMs(y.MaxMs), x.Lost, y.Lost,
				fmtF(x.ServerCPUPerMsg, 1), fmtF(y.ServerCPUPerMsg, 1), ratio(x.ServerCPUPerMsg, y.ServerCPUPerMsg))
		}
		p("\n")
	}
	if ks := union(keysOf(A, "fanout", false), keysOf(B, "fanout", false)); len(ks) > 0 && hasSplit(A, B, ks) {
		p("Server CPU per delivered message split into the kernel's part (system time: the `write` syscalls, and the\n")
		p("loopback delivery to the load tool's sockets, which the kernel runs in the sender's time) and the process's own (user time):\n\n")
		p("| conns | offered msgs/s | kernel µs/msg %s / %s | user µs/msg %s / %s | %s ÷ %s user |\n| ---: | ---: | ---: | ---: | ---: |\n", la, lb, la, lb, la, lb)
		for _, k := range ks {
			x, y := A[k], B[k]
			xs, xu := cpuSplit(x)
			ys, yu := cpuSplit(y)
			p("| %d | %s | %s / %s | %s / %s | %s |\n", k.conns, fmtRate(k.rate), fmtF(xs, 1), fmtF(ys, 1), fmtF(xu, 1), fmtF(yu, 1), ratio(xu, yu))
		}
		p("\n")
	}
	if ks := union(keysOf(A, "fanout", true), keysOf(B, "fanout", true)); len(ks) > 0 {
		p("<details><summary>Ramp phases (search of the highest rate)</summary>\n\n")
		p("| server | conns | offered | delivered | p99 ms | max ms | lost | disconnects | CPU µs/msg | pass |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
		for _, lab := range []string{la, lb} {
			for _, k := range ks {
				r, ok := m[lab][k]
				if !ok {
					continue
				}
				pass := "yes"
				if r.Pass != nil && !*r.Pass {
					pass = "no"
				}
				if r.Disturbed {
					pass += " (disturbed)"
				}
				p("| %s | %d | %s | %s | %s | %s | %d | %d | %s | %s |\n", lab, k.conns, fmtRate(k.rate), fmtRate(r.DeliveredPerS),
					fmtMs(r.P99Ms), fmtMs(r.MaxMs), r.Lost, r.Disconnects, fmtF(r.ServerCPUPerMsg, 1), pass)
			}
		}
		p("\n</details>\n\n")
	}
	if ks := union(keysOf(A, "acks", false), keysOf(B, "acks", false)); len(ks) > 0 {
		p("### Ack round trips (one `ping` in flight per client)\n\n")
		p("| conns | ackers | acks/s %s | acks/s %s | %s/%s | p50 ms %s / %s | p99 ms %s / %s | server CPU µs/ack %s / %s |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n", la, lb, la, lb, la, lb, la, lb, la, lb)
		for _, k := range ks {
			x, y := A[k], B[k]
			p("| %d | %d | %s | %s | %s | %s / %s | %s / %s | %s / %s |\n", k.conns, max(x.Ackers, y.Ackers),
				fmtRate(x.AcksPerS), fmtRate(y.AcksPerS), ratio(x.AcksPerS, y.AcksPerS),
				fmtMs(x.P50Ms), fmtMs(y.P50Ms), fmtMs(x.P99Ms), fmtMs(y.P99Ms),
				fmtF(x.ServerCPUPerMsg, 1), fmtF(y.ServerCPUPerMsg, 1))
		}
		p("\n")
	}
	if ks := union(keysOf(A, "connect", false), keysOf(B, "connect", false)); len(ks) > 0 {
		p("### Connections\n\n")
		p("| conns | connects/s %s | connects/s %s | %s/%s | RSS KiB/conn %s | RSS KiB/conn %s | %s/%s | %s live heap KiB/conn (after GC) | goroutines/conn %s | server CPU µs/connect %s / %s |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n", la, lb, la, lb, la, lb, la, lb, la, la, la, lb)
		for _, k := range ks {
			x, y := A[k], B[k]
			p("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", k.conns,
				fmtRate(x.ConnectsPerS), fmtRate(y.ConnectsPerS), ratio(x.ConnectsPerS, y.ConnectsPerS),
				fmtF(x.RSSPerConnBytes/1024, 1), fmtF(y.RSSPerConnBytes/1024, 1), ratio(x.RSSPerConnBytes, y.RSSPerConnBytes),
				fmtF(x.HeapLivePerConnBytes/1024, 1), fmtF(x.GoroutinesPerConn, 2), fmtF(x.CPUPerConnUs, 0), fmtF(y.CPUPerConnUs, 0))
		}
		p("\n")
	}
	if ks := union(keysOf(A, "rest", false), keysOf(B, "rest", false)); len(ks) > 0 {
		p("### REST emit (POST /emit to instance 0; latency on the clients of instance 1)\n\n")
		p("| conns | offered msgs/s | delivered %s / %s | p50 ms %s / %s | p99 ms %s / %s | %s p99 ÷ %s p99 | lost %s / %s |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n", la, lb, la, lb, la, lb, la, lb, la, lb)
		for _, k := range ks {
			x, y := A[k], B[k]
			p("| %d | %s | %s / %s | %s / %s | %s / %s | %s | %d / %d |\n", k.conns, fmtRate(k.rate),
				fmtRate(x.DeliveredPerS), fmtRate(y.DeliveredPerS), fmtMs(x.P50Ms), fmtMs(y.P50Ms),
				fmtMs(x.P99Ms), fmtMs(y.P99Ms), ratio(x.P99Ms, y.P99Ms), x.Lost, y.Lost)
		}
		p("\n")
	}
	writeGoals(w, A, B, la, lb)
}

// writeGoals checks the targets against the results.
func writeGoals(w io.Writer, A, B map[cmpKey]Result, la, lb string) {
	type row struct{ goal, measured, verdict string }
	var rows []row
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	// Highest zero-loss rate: the smallest connection count measured.
	if ks := keysOf(A, "fanout-max", false); len(ks) > 0 {
		for _, k := range ks {
			x, y := A[k], B[k]
			if y.Rate == 0 {
				continue
			}
			rows = append(rows, row{fmt.Sprintf("highest zero-loss fan-out ≥ 5× %s (%d conns)", lb, k.conns),
				fmt.Sprintf("%s vs %s msgs/s = %s", fmtRate(x.Rate), fmtRate(y.Rate), ratio(x.Rate, y.Rate)), verdict(x.Rate >= 5*y.Rate)})
		}
	}
	for _, g := range []struct {
		rate float64
		frac float64
		name string
	}{{20000, 0.5, "½"}, {50000, 0.2, "⅕"}} {
		k := cmpKey{"fanout", 1000, g.rate, false}
		x, okx := A[k]
		y, oky := B[k]
		if okx && oky && y.P99Ms > 0 {
			rows = append(rows, row{fmt.Sprintf("fan-out p99 ≤ %s of %s at %s msgs/s (1k conns)", g.name, lb, fmtRate(g.rate)),
				fmt.Sprintf("%s vs %s ms = %s", fmtMs(x.P99Ms), fmtMs(y.P99Ms), ratio(x.P99Ms, y.P99Ms)),
				verdict(x.P99Ms <= g.frac*y.P99Ms && x.Lost == 0)})
		}
	}
	// RSS per connection at the largest connection count.
	if ks := keysOf(A, "connect", false); len(ks) > 0 {
		k := ks[len(ks)-1]
		x, y := A[k], B[k]
		if y.RSSPerConnBytes > 0 {
			rows = append(rows, row{fmt.Sprintf("RSS per idle connection ≤ %s's (%d conns)", lb, k.conns),
				fmt.Sprintf("%.1f vs %.1f KiB = %s", x.RSSPerConnBytes/1024, y.RSSPerConnBytes/1024, ratio(x.RSSPerConnBytes, y.RSSPerConnBytes)),
				verdict(x.RSSPerConnBytes <= y.RSSPerConnBytes)})
		}
		var worst float64
		var worstKey cmpKey
		for _, k := range ks {
			x, y := A[k], B[k]
			if x.ConnectsPerS > 0 && y.ConnectsPerS > 0 && (worst == 0 || x.ConnectsPerS/y.ConnectsPerS < worst) {
				worst, worstKey = x.ConnectsPerS/y.ConnectsPerS, k
			}
		}
		if worst > 0 {
			rows = append(rows, row{fmt.Sprintf("connects/s ≥ 3× %s (worst over conns)", lb),
				fmt.Sprintf("%s vs %s /s = %.2f× (%d conns)", fmtRate(A[worstKey].ConnectsPerS), fmtRate(B[worstKey].ConnectsPerS), worst, worstKey.conns),
				verdict(worst >= 3)})
		}
	}
	// CPU per delivered message: the worst ratio over the fixed-rate phases.
	var worst float64
	var wk cmpKey
	for _, k := range keysOf(A, "fanout", false) {
		x, y := A[k], B[k]
		if x.ServerCPUPerMsg > 0 && y.ServerCPUPerMsg > 0 && x.ServerCPUPerMsg/y.ServerCPUPerMsg > worst {
			worst, wk = x.ServerCPUPerMsg/y.ServerCPUPerMsg, k
		}
	}
	if worst > 0 {
		rows = append(rows, row{fmt.Sprintf("server CPU per delivered message ≤ ½ %s's (worst fixed-rate phase)", lb),
			fmt.Sprintf("%.1f vs %.1f µs = %.2f× (%d conns, %s msgs/s)", A[wk].ServerCPUPerMsg, B[wk].ServerCPUPerMsg, worst, wk.conns, fmtRate(wk.rate)),
			verdict(worst <= 0.5)})
	}
	var worstAck float64
	var ak cmpKey
	for _, k := range keysOf(A, "acks", false) {
		x, y := A[k], B[k]
		if x.AcksPerS > 0 && y.AcksPerS > 0 && (worstAck == 0 || x.AcksPerS/y.AcksPerS < worstAck) {
			worstAck, ak = x.AcksPerS/y.AcksPerS, k
		}
	}
	if worstAck > 0 {
		rows = append(rows, row{fmt.Sprintf("ack throughput ≥ 2× %s", lb),
			fmt.Sprintf("%s vs %s acks/s = %.2f× (%d conns)", fmtRate(A[ak].AcksPerS), fmtRate(B[ak].AcksPerS), worstAck, ak.conns),
			verdict(worstAck >= 2)})
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "### Goals\n\n| goal | measured (%s vs %s) | verdict |\n| --- | --- | --- |\n", la, lb)
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.goal, r.measured, r.verdict)
	}
	fmt.Fprintln(w)
	_ = strings.TrimSpace
}

// hasSplit reports whether the results of ks record system CPU time (older
// results do not).
func hasSplit(a, b map[cmpKey]Result, ks []cmpKey) bool {
	for _, k := range ks {
		if a[k].ServerSysCPUS > 0 || b[k].ServerSysCPUS > 0 {
			return true
		}
	}
	return false
}

// cpuSplit is r's server CPU per message in the kernel and in user space.
func cpuSplit(r Result) (sys, user float64) {
	if r.ServerCPUS <= 0 {
		return 0, 0
	}
	sys = r.ServerCPUPerMsg * r.ServerSysCPUS / r.ServerCPUS
	return sys, r.ServerCPUPerMsg - sys
}
