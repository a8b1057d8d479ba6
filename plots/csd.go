package plots

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/wcrglab/wcrg/engine/experiment"
)

// CSDFigure is the log–log plot of a critical-slowing-down study: τ of every
// sampler against x (the lattice side L, or the correlation length ξ of a
// β-scan), with error bars and, where fits has the sampler, its fitted line
// τ = A x^z and z in the legend.
func CSDFigure(title, xName string, pts []experiment.CSDPoint, x func(experiment.CSDPoint) float64, fits map[string]experiment.PowerLaw) *Figure {
	bySampler := map[string][]experiment.CSDPoint{}
	for _, p := range pts {
		bySampler[p.Sampler] = append(bySampler[p.Sampler], p)
	}
	keys := make([]string, 0, len(bySampler))
	for k := range bySampler {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var series []Series
	for ki, k := range keys {
		var xs, y, e []float64
		for _, p := range bySampler[k] {
			if !(p.Tau > 0) { // undefined (frozen chains): nothing to draw on a log axis
				continue
			}
			xs, y, e = append(xs, x(p)), append(y, p.Tau), append(e, p.TauErr)
		}
		name := k
		if f, ok := fits[k]; ok && len(xs) >= 2 {
			name = fmt.Sprintf("%s: z = %.2f ± %.2f", k, f.Z, f.ZErr)
			lo, hi := slices.Min(xs), slices.Max(xs)
			series = append(series, Series{X: []float64{lo, hi}, Y: []float64{f.A * math.Pow(lo, f.Z), f.A * math.Pow(hi, f.Z)}, Dashed: true, Color: ki + 1})
		}
		series = append(series, Series{Name: name, X: xs, Y: y, Err: e, NoLine: true, Color: ki + 1})
	}
	yName := "τ [full-field sweeps]"
	if slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, "theory") }) {
		yName += "  (theory: condition number κ)"
	}
	if len(keys) > 0 && !slices.ContainsFunc(keys, func(k string) bool { return !experiment.IsGD(k) }) {
		yName = "τ_GD [gradient-descent iterations]"
	}
	fig := LineFigure(Axes{Title: title, X: xName, Y: yName, LogX: true, LogY: true}, series...)
	fig.Name = "csd"
	return fig
}
