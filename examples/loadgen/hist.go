package main

import (
	"math/bits"
	"sync/atomic"
)

// hist is a lock-free latency histogram in microseconds: 64 linear
// sub-buckets per power of two (about 1.6% precision), safe for
// concurrent Record calls from every reader goroutine.
type hist struct {
	b   [histBuckets]atomic.Int64
	n   atomic.Int64
	max atomic.Int64
}

const (
	histSub     = 64
	histBuckets = 42 * histSub
)

func histIndex(v int64) int {
	if v < 0 {
		v = 0
	}
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - 7 // v>>shift is in [64, 127]
	idx := (shift+1)*histSub + int(v>>shift) - histSub
	if idx >= histBuckets {
		return histBuckets - 1
	}
	return idx
}

// histValue is the middle of bucket idx.
func histValue(idx int) float64 {
	if idx < histSub {
		return float64(idx)
	}
	shift := idx/histSub - 1
	m := int64(idx%histSub + histSub)
	lo := m << shift
	return float64(lo) + float64(int64(1)<<shift)/2
}

func (h *hist) Record(us int64) {
	h.b[histIndex(us)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

func (h *hist) Reset() {
	for i := range h.b {
		h.b[i].Store(0)
	}
	h.n.Store(0)
	h.max.Store(0)
}

// Quantiles returns the values (µs) at the given quantiles (0..1).
func (h *hist) Quantiles(qs ...float64) []float64 {
	out := make([]float64, len(qs))
	n := h.n.Load()
	if n == 0 {
		return out
	}
	counts := make([]int64, histBuckets)
	var total int64
	for i := range h.b {
		counts[i] = h.b[i].Load()
		total += counts[i]
	}
	for qi, q := range qs {
		target := int64(q*float64(total) + 0.5)
		if target < 1 {
			target = 1
		}
		var acc int64
		for i, c := range counts {
			acc += c
			if acc >= target {
				out[qi] = histValue(i)
				break
			}
		}
	}
	return out
}

func (h *hist) Count() int64 { return h.n.Load() }
func (h *hist) Max() int64   { return h.max.Load() }

// merge adds o's counts into h.
func (h *hist) merge(o *hist) {
	for i := range o.b {
		if c := o.b[i].Load(); c != 0 {
			h.b[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
}
