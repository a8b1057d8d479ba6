package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// KernelFigure draws a translation-invariant coupling kernel K(s) (kernel
// indexed s₁·L + s₂, periodic) as an image of the displacements |s|∞ ≤ r
// with a symmetric diverging colour scale, and writes every K(s) of the
// window to the table.
func KernelFigure(title string, kernel []float64, L, r int) *Figure {
	r = min(r, L/2)
	n := 2*r + 1
	img := make([]float64, n*n)
	f := &Figure{Name: "kernel", Width: 5.6 * vg.Inch, Height: 5 * vg.Inch}
	f.Table.Header = []string{"s1", "s2", "K"}
	at := func(s1, s2 int) float64 { return kernel[((s1%L+L)%L)*L+(s2%L+L)%L] }
	var amax float64
	for i := -r; i <= r; i++ {
		for j := -r; j <= r; j++ {
			v := at(i, j)
			img[(i+r)*n+(j+r)] = v
			f.Table.AddRow(i, j, v)
			if i != 0 || j != 0 {
				amax = math.Max(amax, math.Abs(v))
			}
		}
	}
	if amax == 0 {
		amax = 1
	}
	// The centre K(0) is usually much larger than the couplings; the scale
	// is set by the off-diagonal ones so that the neighbours are visible.
	cm := mustColorMap("diverging").WithRange(-amax, amax)
	rgba := FieldImage(nil, img, n, Range{-amax, amax}, cm)
	f.draw = func(dc draw.Canvas) {
		drawImageWithBar(dc, fmt.Sprintf("%s (|s| ≤ %d; centre K(0) = %.4g)", title, r, at(0, 0)), rgba, n, cm, nil)
	}
	return f
}

// KernelProfile returns the Fourier profile K̂(k) = Σ_s K(s) e^{−ik·s} of a
// kernel along the axis k = (2πq/L, 0), q = 0 … L/2, as a series.
func KernelProfile(name string, kernel []float64, L int) Series {
	s := Series{Name: name}
	for q := 0; q <= L/2; q++ {
		var v float64
		for s1 := 0; s1 < L; s1++ {
			c := math.Cos(2 * math.Pi * float64(q*s1) / float64(L))
			for s2 := 0; s2 < L; s2++ {
				v += kernel[s1*L+s2] * c
			}
		}
		s.X = append(s.X, 2*math.Pi*float64(q)/float64(L))
		s.Y = append(s.Y, v)
	}
	return s
}
