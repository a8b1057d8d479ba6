package plots

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/wcrg"
)

// CascadeFigure plots a cascade diagnosis (wcrg.Diagnose): the errors of
// the generated φ_0 against the level k whose coarse field φ_k was kept
// from the data (k = J+1: generation from the coarsest model), and the
// spectrum error of the first generated level φ_{k−1} alone.
func CascadeFigure(d *wcrg.Diagnosis) *Figure {
	var spec, hist, worst, first Series
	spec.Name, hist.Name, worst.Name = "φ_0: spectrum max rel. error", "φ_0: histogram L1", "φ_0: worst per-scale std error"
	first.Name = "φ(k−1) alone: spectrum max rel. error"
	top := 0.0
	for _, r := range d.Rows {
		top = math.Max(top, math.Max(r.Spectrum, math.Max(r.HistL1, r.WorstScaleStd)))
		if !math.IsNaN(r.FirstSpectrum) {
			top = math.Max(top, r.FirstSpectrum)
		}
		x := float64(r.From)
		spec.X, spec.Y = append(spec.X, x), append(spec.Y, r.Spectrum)
		hist.X, hist.Y = append(hist.X, x), append(hist.Y, r.HistL1)
		worst.X, worst.Y = append(worst.X, x), append(worst.Y, r.WorstScaleStd)
		if !math.IsNaN(r.FirstSpectrum) {
			first.X, first.Y = append(first.X, x), append(first.Y, r.FirstSpectrum)
		}
	}
	spec.Markers, hist.Markers, worst.Markers = true, true, true
	first.NoLine = true
	return LineFigure(Axes{
		Title: fmt.Sprintf("Generation from the data's own φ_k (k = %d: from the coarsest model)", d.Levels+1),
		X:     "k (the coarse field φ_k is the data's)", Y: "error against the data",
		XMin: 0.5, XMax: float64(d.Levels) + 1.5,
		YMin: 0, YMax: 1.6 * top, // room for the legend above the curves
	}, spec, hist, worst, first)
}
