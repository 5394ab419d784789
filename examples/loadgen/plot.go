package main

// loadgen plot renders the JSON lines as PNG charts, with the standard
// library only (its own axes, lines and bitmap font):
//
//	go run ./examples/loadgen plot -out docs/img -prefix bench- results/*.jsonl
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
// Results are picked as by loadgen compare: when a measurement appears in
// several runs, the last run counts; of its repetitions, the median one.

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func plotMain(args []string) int {
	fs := flag.NewFlagSet("plot", flag.ExitOnError)
	out := fs.String("out", "docs/img", "directory for the PNG files")
	width := fs.Int("w", 900, "width in pixels")
	height := fs.Int("h", 560, "height in pixels")
	prefix := fs.String("prefix", "", "prefix of the file names (e.g. bench-)")
	_ = fs.Parse(args)
	if fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: loadgen plot [-out dir] [-prefix p] results.jsonl...")
		return 2
	}
	rs, err := readResults(fs.Args())
	if err == nil {
		err = os.MkdirAll(*out, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen plot:", err)
		return 1
	}
	for _, c := range buildCharts(rs) {
		path := filepath.Join(*out, *prefix+c.file)
		if err := writePNG(path, c.render(*width, *height)); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen plot:", err)
			return 1
		}
		fmt.Println("wrote", path)
	}
	return 0
}

func buildCharts(rs []Result) []*chart {
	var labels []string
	var last []Result
	for label, m := range latest(rs) {
		labels = append(labels, label)
		for _, r := range m {
			last = append(last, r)
		}
	}
	// "go" first, then "node", then the rest by name.
	slices.SortFunc(labels, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	sorted := func(pred func(Result) bool) []Result {
		var out []Result
		for _, r := range last {
			if pred(r) {
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(a, b Result) int {
			if a.Conns != b.Conns {
				return a.Conns - b.Conns
			}
			if a.Rate != b.Rate {
				return int(math.Copysign(1, a.Rate-b.Rate))
			}
			// At one rate, the fixed-rate phase (a median of its
			// repetitions) before the ramp's single phase.
			switch {
			case a.Ramp == b.Ramp:
				return 0
			case b.Ramp:
				return -1
			}
			return 1
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
		for _, r := range sorted(func(r Result) bool { return r.Label == l && r.Scenario == "fanout-max" && r.Pass != nil && *r.Pass }) {
			s.pts = append(s.pts, pt{float64(r.Conns), r.DeliveredPerS})
		}
		c.add(s)
	}
	charts = append(charts, c)

	c = &chart{file: "fanout-p99.png", title: "Fan-out p99 latency at equal offered load", xlabel: "connections", ylabel: "p99 ms", logY: true}
	c2 := &chart{file: "cpu-per-msg.png", title: "Server CPU per delivered message", xlabel: "connections", ylabel: "µs per msg (both instances)"}
	for i, l := range labels {
		for j, rate := range fixedRates {
			s := series{name: fmt.Sprintf("%s %s msgs/s", l, axisRate(rate)), color: palette(i, j), dashed: j > 0}
			s2 := s
			for _, r := range sorted(func(r Result) bool {
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
		for _, r := range sorted(func(r Result) bool { return r.Label == l && r.Scenario == "connect" }) {
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
			for _, r := range sorted(func(r Result) bool { return r.Label == l && r.Scenario == "fanout" && r.Conns == n }) {
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

// axisRate writes a rate for a legend: 20k, 1.5M.
func axisRate(v float64) string {
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
