package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

type pt struct{ x, y float64 }

type series struct {
	name   string
	color  color.RGBA
	dashed bool
	pts    []pt
}

// chart is a line chart with axes, ticks, a title and a legend.
type chart struct {
	file           string
	title          string
	xlabel, ylabel string
	logX, logY     bool
	series         []series
}

func (c *chart) add(s series) {
	if len(s.pts) > 0 {
		c.series = append(c.series, s)
	}
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{30, 30, 30, 255}
	grey  = color.RGBA{225, 225, 225, 255}
	dark  = color.RGBA{90, 90, 90, 255}
)

const scale = 2 // font scale

// axis maps data values to pixels, linear or logarithmic.
type axis struct {
	lo, hi float64 // in data units (log10 of them on a log axis)
	log    bool
	p0, p1 int // pixels of lo and hi
}

func (a axis) f(v float64) float64 {
	if a.log {
		return math.Log10(math.Max(v, 1e-9))
	}
	return v
}

func (a axis) px(v float64) int {
	t := (a.f(v) - a.lo) / (a.hi - a.lo)
	return a.p0 + int(math.Round(t*float64(a.p1-a.p0)))
}

// ticks returns tick values (data units) and their labels.
func (a axis) ticks() ([]float64, []string) {
	var vs []float64
	if a.log {
		for e := math.Floor(a.lo); e <= math.Ceil(a.hi); e++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, e)
				if lv := math.Log10(v); lv >= a.lo-1e-9 && lv <= a.hi+1e-9 {
					vs = append(vs, v)
				}
			}
		}
	} else {
		step := niceStep((a.hi - a.lo) / 6)
		for v := math.Ceil(a.lo/step) * step; v <= a.hi+step*1e-9; v += step {
			vs = append(vs, v)
		}
	}
	labels := make([]string, len(vs))
	for i, v := range vs {
		labels[i] = tickLabel(v)
	}
	return vs, labels
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func tickLabel(v float64) string {
	av := math.Abs(v)
	switch {
	case av >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case av >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case av >= 10 || av == 0:
		return fmt.Sprintf("%.0f", v)
	case av >= 1:
		return trimZero(fmt.Sprintf("%.1f", v))
	default:
		return trimZero(fmt.Sprintf("%.2f", v))
	}
}

func trimZero(s string) string {
	for len(s) > 1 && s[len(s)-1] == '0' && containsDot(s) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func containsDot(s string) bool {
	for i := range s {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

func (c *chart) bounds() (xlo, xhi, ylo, yhi float64) {
	xlo, ylo = math.Inf(1), math.Inf(1)
	xhi, yhi = math.Inf(-1), math.Inf(-1)
	for _, s := range c.series {
		for _, p := range s.pts {
			if c.logY && p.y <= 0 {
				continue
			}
			xlo, xhi = math.Min(xlo, p.x), math.Max(xhi, p.x)
			ylo, yhi = math.Min(ylo, p.y), math.Max(yhi, p.y)
		}
	}
	if math.IsInf(xlo, 1) {
		return 0, 1, 0, 1
	}
	return
}

func (c *chart) render(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	lineH := (glyphH + 4) * scale
	legendRows := len(c.series)
	left, right := 90, 30
	top := 20 + lineH*2
	bottom := 60 + lineH*((legendRows+1)/2)

	xlo, xhi, ylo, yhi := c.bounds()
	xa := axis{log: c.logX, p0: left, p1: w - right}
	ya := axis{log: c.logY, p0: h - bottom, p1: top}
	if c.logX {
		xa.lo, xa.hi = math.Floor(math.Log10(xlo)*4)/4, math.Ceil(math.Log10(xhi)*4)/4
		if xa.hi-xa.lo < 0.5 {
			xa.lo -= 0.25
			xa.hi += 0.25
		}
	} else {
		pad := (xhi - xlo) * 0.06
		if pad == 0 {
			pad = math.Max(1, xhi*0.1)
		}
		xa.lo, xa.hi = math.Max(0, xlo-pad), xhi+pad
	}
	if c.logY {
		ya.lo, ya.hi = math.Floor(math.Log10(ylo)), math.Ceil(math.Log10(yhi)+0.05)
		if ya.hi-ya.lo < 1 {
			ya.hi = ya.lo + 1
		}
	} else {
		ya.lo = 0
		ya.hi = yhi * 1.12
		if ya.hi == 0 {
			ya.hi = 1
		}
		st := niceStep(ya.hi / 6)
		ya.hi = math.Ceil(ya.hi/st) * st
	}

	// Title and y label.
	drawText(img, (w-textWidth(c.title, scale))/2, 10, c.title, scale, black)
	drawText(img, max(4, left-textWidth(c.ylabel, scale)/2), 10+lineH+4, c.ylabel, scale, dark)

	// Grid and ticks.
	yv, yl := ya.ticks()
	for i, v := range yv {
		y := ya.px(v)
		hline(img, left, w-right, y, grey)
		drawText(img, left-8-textWidth(yl[i], scale), y-glyphH*scale/2, yl[i], scale, dark)
	}
	var xv []float64
	var xl []string
	if !c.logX {
		// Ticks at the measured x values (connection counts) read best.
		for _, s := range c.series {
			for _, p := range s.pts {
				if !containsF(xv, p.x) {
					xv = append(xv, p.x)
				}
			}
		}
		for _, v := range xv {
			xl = append(xl, tickLabel(v))
		}
	} else {
		xv, xl = xa.ticks()
	}
	lastLabelEnd := -1000
	for i, v := range xv {
		x := xa.px(v)
		vline(img, x, top, h-bottom, grey)
		tw := textWidth(xl[i], scale)
		if x-tw/2 > lastLabelEnd+6 {
			drawText(img, x-tw/2, h-bottom+8, xl[i], scale, dark)
			lastLabelEnd = x + tw/2
		}
	}
	// Axes.
	hline(img, left, w-right, h-bottom, black)
	vline(img, left, top, h-bottom, black)
	drawText(img, (left+w-right-textWidth(c.xlabel, scale))/2, h-bottom+8+lineH, c.xlabel, scale, dark)

	// Series.
	for _, s := range c.series {
		var prev *image.Point
		for _, p := range s.pts {
			if c.logY && p.y <= 0 {
				continue
			}
			q := image.Point{xa.px(p.x), ya.px(p.y)}
			if prev != nil {
				line(img, prev.X, prev.Y, q.X, q.Y, s.color, s.dashed)
			}
			marker(img, q.X, q.Y, s.color)
			prev = &q
		}
	}

	// Legend, two columns under the x label.
	ly := h - bottom + 8 + 2*lineH + 6
	colW := (w - left - right) / 2
	for i, s := range c.series {
		x := left + (i%2)*colW
		y := ly + (i/2)*lineH
		line(img, x, y+glyphH*scale/2, x+30, y+glyphH*scale/2, s.color, s.dashed)
		marker(img, x+15, y+glyphH*scale/2, s.color)
		drawText(img, x+40, y, s.name, scale, black)
	}
	return img
}

func containsF(vs []float64, v float64) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x <= x1; x++ {
		img.Set(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y <= y1; y++ {
		img.Set(x, y, c)
	}
}

// line draws a 3-pixel-wide segment (Bresenham), optionally dashed.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color, dashed bool) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	step := 0
	for {
		if !dashed || (step/8)%2 == 0 {
			for ox := -1; ox <= 1; ox++ {
				for oy := -1; oy <= 1; oy++ {
					img.Set(x0+ox, y0+oy, c)
				}
			}
		}
		step++
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func marker(img *image.RGBA, x, y int, c color.Color) {
	for ox := -4; ox <= 4; ox++ {
		for oy := -4; oy <= 4; oy++ {
			if ox*ox+oy*oy <= 17 {
				img.Set(x+ox, y+oy, c)
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
