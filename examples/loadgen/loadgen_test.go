package main

import (
	"bytes"
	"math"
	"net"
	"testing"
	"time"
)

func TestHistQuantiles(t *testing.T) {
	h := new(hist)
	for v := int64(1); v <= 10000; v++ {
		h.Record(v)
	}
	q := h.Quantiles(0.5, 0.99)
	if math.Abs(q[0]-5000)/5000 > 0.02 || math.Abs(q[1]-9900)/9900 > 0.02 {
		t.Fatalf("quantiles = %v, want about 5000 and 9900", q)
	}
	if h.Max() != 10000 || h.Count() != 10000 {
		t.Fatalf("max %d count %d", h.Max(), h.Count())
	}
	for _, v := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1 << 40, 1 << 62} {
		got := histValue(histIndex(v))
		if v >= 64 && v < 1<<40 && math.Abs(got-float64(v))/float64(v) > 0.02 {
			t.Errorf("value %d lands in a bucket around %g", v, got)
		}
	}
	h.Reset()
	if h.Count() != 0 || h.Quantiles(0.5)[0] != 0 {
		t.Fatal("reset did not clear")
	}
}

func TestJSONInt(t *testing.T) {
	p := []byte(`["msg",{"t":1764182585123456789,"seq":42,"p":3}]`)
	if v, ok := jsonInt(p, `"t":`); !ok || v != 1764182585123456789 {
		t.Fatalf("t = %d, %v", v, ok)
	}
	if v, ok := jsonInt(p, `"seq":`); !ok || v != 42 {
		t.Fatalf("seq = %d", v)
	}
	if v, ok := jsonInt(p, `"p":`); !ok || v != 3 {
		t.Fatalf("p = %d", v)
	}
	// JavaScript may write large numbers in exponent form.
	if v, ok := jsonInt([]byte(`{"t":1.7641825851234568e+18}`), `"t":`); !ok || math.Abs(float64(v)-1.7641825851234568e18) > 1e3 {
		t.Fatalf("exponent form: %d %v", v, ok)
	}
	if _, ok := jsonInt(p, `"x":`); ok {
		t.Fatal("missing key found")
	}
}

func TestRoundRate(t *testing.T) {
	for in, want := range map[float64]float64{168750: 169000, 50000: 50000, 1234.5: 1230} {
		if got := roundRate(in); got != want {
			t.Errorf("roundRate(%g) = %g, want %g", in, got, want)
		}
	}
}

// serverFrame is an unmasked server frame.
func serverFrame(op byte, p []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, p...)
}

func TestFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &client{nc: a, buf: make([]byte, readBufSize)}
	big := bytes.Repeat([]byte("x"), 70000)
	mid := bytes.Repeat([]byte("y"), 3000)
	go func() {
		var all []byte
		all = append(all, serverFrame(1, []byte("2"))...)
		all = append(all, serverFrame(1, mid)...)
		all = append(all, serverFrame(2, big)...)
		// A fragmented message: "ab" + "cd".
		all = append(all, 0x01, 2, 'a', 'b', 0x80, 2, 'c', 'd')
		_, _ = b.Write(all)
	}()
	for i, want := range [][]byte{[]byte("2"), mid, big, []byte("abcd")} {
		_, p, err := c.nextFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(p, want) {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(p), len(want))
		}
	}
}

func TestClientFrameIsMasked(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &client{nc: a}
	go func() { _ = c.writeText([]byte("40")) }()
	buf := make([]byte, 8)
	_ = b.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := b.Read(buf)
	if err != nil || n != 8 {
		t.Fatalf("read %d, %v", n, err)
	}
	if buf[0] != 0x81 || buf[1] != 0x80|2 {
		t.Fatalf("header % x", buf[:2])
	}
	mask := buf[2:6]
	if got := []byte{buf[6] ^ mask[0], buf[7] ^ mask[1]}; string(got) != "40" {
		t.Fatalf("payload %q", got)
	}
}

// TestDeliveredRate: a server that keeps up delivers the offered rate
// however long one broadcast takes to reach every client; one that falls
// behind delivers less, by the lag it gathered.
func TestDeliveredRate(t *testing.T) {
	const n, clients = 8, 10000
	interval := 500 * time.Millisecond
	offered := float64(clients) / interval.Seconds()
	steady := make([]time.Duration, n)
	behind := make([]time.Duration, n)
	for i := range n {
		steady[i] = 240*time.Millisecond + time.Duration(i%2)*10*time.Millisecond
		behind[i] = 240*time.Millisecond + time.Duration(i)*100*time.Millisecond
	}
	if g := lagGrowth(steady); g != 0 {
		t.Errorf("steady: growth %v, want 0", g)
	}
	if got := deliveredRate(n*clients, n, interval, lagGrowth(steady)); got != offered {
		t.Errorf("steady: %.0f msgs/s, want the offered %.0f", got, offered)
	}
	// 600 ms later at the end of a 4 s window: 4/4.6 of the offered rate.
	g := lagGrowth(behind)
	if g != 600*time.Millisecond {
		t.Errorf("behind: growth %v, want 600ms", g)
	}
	if got, want := deliveredRate(n*clients, n, interval, g), offered*4/4.6; math.Abs(got-want) > 1 {
		t.Errorf("behind: %.0f msgs/s, want %.0f", got, want)
	}
	// Faster at the end than at the start (a warm-up) is no gain.
	if g := lagGrowth([]time.Duration{time.Second, time.Millisecond}); g != 0 {
		t.Errorf("warm-up: growth %v, want 0", g)
	}
	// Broadcasts that never completed are left out; one alone: no growth.
	if g := lagGrowth([]time.Duration{-1, 5 * time.Millisecond, 9 * time.Millisecond, -1}); g != 0 {
		t.Errorf("incomplete ends: growth %v, want 0", g)
	}
	if g := lagGrowth([]time.Duration{time.Millisecond}); g != 0 {
		t.Errorf("one broadcast: growth %v, want 0", g)
	}
	if got := deliveredRate(0, n, interval, 0); got != 0 {
		t.Errorf("nothing received: %v", got)
	}
}
