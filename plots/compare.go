package plots

import (
	"fmt"

	"github.com/wcrglab/wcrg/engine/wcrg"
)

// ScaleStdFigure draws the per-scale standard deviations of a comparison:
// for φ_j and each detail channel, stack A (labelled la) solid and stack B
// (lb) dashed, against the level j, with their jackknife errors.
func ScaleStdFigure(cmp *wcrg.Comparison, la, lb string) *Figure {
	var series []Series
	for ch := 0; ch <= 3; ch++ {
		name := "φ_j"
		if ch > 0 {
			name = fmt.Sprintf("detail %d", ch)
		}
		A := Series{Name: la + " " + name, Markers: true}
		B := Series{Name: lb + " " + name, Markers: true, Dashed: true}
		for _, s := range cmp.Scales {
			if s.Channel != ch {
				continue
			}
			x := float64(s.Level)
			A.X, A.Y, A.Err = append(A.X, x), append(A.Y, s.StdA), append(A.Err, s.ErrA)
			B.X, B.Y, B.Err = append(B.X, x), append(B.Y, s.StdB), append(B.Err, s.ErrB)
		}
		series = append(series, A, B)
	}
	f := LineFigure(Axes{Title: fmt.Sprintf("Per-scale std (%s, γ = 1): %s solid, %s dashed", cmp.Wavelet, la, lb),
		X: "level j", Y: "std", LogY: true, XMin: 0.8, XMax: float64(cmp.Levels) + 1.4}, series...)
	f.Name = "scale_std"
	return f
}
