// Package plots builds the figures of WCRG Lab with gonum/plot and maps
// fields to colour images. It is shared by the desktop app and the command
// line tool and never imports Fyne.
//
// Every figure is a *Figure: it renders to PNG, SVG or PDF at publication
// size, and carries the table of numbers it shows, written as CSV beside the
// picture.
package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
)

// ColorMap maps values in [Min, Max] to colours through a 256-entry lookup
// table. It implements gonum's palette.ColorMap, so it can drive colour bars.
type ColorMap struct {
	name     string
	lut      [256]color.RGBA
	min, max float64
	alpha    float64
	stretch  func(float64) float64 // nil: linear
}

// StretchNames lists the stretches offered to users: how a value's
// position t ∈ [0, 1] in the range maps to the colour scale.
func StretchNames() []string { return []string{"linear", "sqrt", "asinh", "log"} }

// stretchFunc returns the stretch of the given name, as in astropy's
// visualization module: sqrt √t; asinh asinh(t/a)/asinh(1/a) with a = 0.1
// (linear near 0, logarithmic above a: for long-tailed maps such as
// weak-lensing κ); log log(1000t + 1)/log(1001).
func stretchFunc(name string) (func(float64) float64, error) {
	switch name {
	case "linear", "":
		return nil, nil
	case "sqrt":
		return math.Sqrt, nil
	case "asinh":
		const a = 0.1
		norm := 1 / math.Asinh(1/a)
		return func(t float64) float64 { return math.Asinh(t/a) * norm }, nil
	case "log":
		const a = 1000
		norm := 1 / math.Log(a+1)
		return func(t float64) float64 { return math.Log(a*t+1) * norm }, nil
	}
	return nil, fmt.Errorf("plots: unknown stretch %q (want linear, sqrt, asinh or log)", name)
}

// WithStretch returns a copy of c whose colours follow the named stretch
// (StretchNames) of the value's position in the range.
func (c *ColorMap) WithStretch(name string) (*ColorMap, error) {
	f, err := stretchFunc(name)
	if err != nil {
		return nil, err
	}
	d := *c
	d.stretch = f
	return &d, nil
}

// ColorMapNames lists the colour maps offered to users.
func ColorMapNames() []string { return []string{"viridis", "diverging", "gray"} }

// NewColorMap returns the named colour map on the range [0, 1]:
// "viridis" (perceptually uniform, the default for fields), "diverging"
// (Moreland's smooth blue–white–red, for signed wavelet coefficients) or
// "gray".
func NewColorMap(name string) (*ColorMap, error) {
	c := &ColorMap{name: name, min: 0, max: 1, alpha: 1}
	switch name {
	case "viridis", "":
		c.name = "viridis"
		// matplotlib's viridis sampled at nine equally spaced points.
		anchors := [...]color.RGBA{
			{68, 1, 84, 255}, {72, 40, 120, 255}, {62, 73, 137, 255}, {49, 104, 142, 255},
			{38, 130, 142, 255}, {31, 158, 137, 255}, {53, 183, 121, 255}, {110, 206, 88, 255},
			{253, 231, 37, 255},
		}
		for i := range c.lut {
			t := float64(i) / 255 * float64(len(anchors)-1)
			k := min(int(t), len(anchors)-2)
			f := t - float64(k)
			a, b := anchors[k], anchors[k+1]
			mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
			c.lut[i] = color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
		}
	case "diverging":
		d := moreland.SmoothBlueRed()
		d.SetMin(0)
		d.SetMax(1)
		for i := range c.lut {
			col, err := d.At(float64(i) / 255)
			if err != nil {
				return nil, fmt.Errorf("plots: diverging colour map: %w", err)
			}
			r, g, b, _ := col.RGBA()
			c.lut[i] = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
		}
	case "gray":
		for i := range c.lut {
			c.lut[i] = color.RGBA{uint8(i), uint8(i), uint8(i), 255}
		}
	default:
		return nil, fmt.Errorf("plots: unknown colour map %q (want viridis, diverging or gray)", name)
	}
	return c, nil
}

// mustColorMap is for the built-in names, which cannot fail.
func mustColorMap(name string) *ColorMap {
	c, err := NewColorMap(name)
	if err != nil {
		panic(err)
	}
	return c
}

// WithRange returns a copy of c on the value range [lo, hi].
func (c *ColorMap) WithRange(lo, hi float64) *ColorMap {
	d := *c
	d.min, d.max = lo, hi
	return &d
}

// Name returns the colour map's name.
func (c *ColorMap) Name() string { return c.name }

// Index returns the lookup-table index of v: values below Min or NaN map to
// 0, values above Max to 255.
func (c *ColorMap) Index(v float64) uint8 {
	t := (v - c.min) / (c.max - c.min)
	switch {
	case !(t > 0): // also NaN
		return 0
	case t >= 1:
		return 255
	}
	if c.stretch != nil {
		t = c.stretch(t)
	}
	return uint8(t * 255.999)
}

// RGBA returns the colour of v, clipped to the range.
func (c *ColorMap) RGBA(v float64) color.RGBA { return c.lut[c.Index(v)] }

// At implements palette.ColorMap.
func (c *ColorMap) At(v float64) (color.Color, error) {
	col := c.RGBA(v)
	col.A = uint8(math.Round(255 * c.alpha))
	return col, nil
}

// Max implements palette.ColorMap.
func (c *ColorMap) Max() float64 { return c.max }

// Min implements palette.ColorMap.
func (c *ColorMap) Min() float64 { return c.min }

// SetMax implements palette.ColorMap.
func (c *ColorMap) SetMax(v float64) { c.max = v }

// SetMin implements palette.ColorMap.
func (c *ColorMap) SetMin(v float64) { c.min = v }

// Alpha implements palette.ColorMap.
func (c *ColorMap) Alpha() float64 { return c.alpha }

// SetAlpha implements palette.ColorMap.
func (c *ColorMap) SetAlpha(a float64) { c.alpha = a }

// Palette implements palette.ColorMap.
func (c *ColorMap) Palette(n int) palette.Palette {
	cols := make([]color.Color, n)
	for i := range cols {
		t := 0.0
		if n > 1 {
			t = float64(i) / float64(n-1)
		}
		cols[i] = c.RGBA(c.min + t*(c.max-c.min))
	}
	return plainPalette(cols)
}

type plainPalette []color.Color

func (p plainPalette) Colors() []color.Color { return p }
