package estimate

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// TestRegressGradientsExact: when the target is the gradient of θ*·U, the
// regression returns θ* up to round-off, for plain and conditional models
// and for hats (first derivatives only) and B-splines.
func TestRegressGradientsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b, _ := wavelet.New("db4")
	for _, kind := range []string{energy.BasisHat, energy.BasisBSpline2} {
		sb := energy.ScalarBasis{Kind: kind, Nodes: 8, Lo: -2.5, Hi: 2.5}
		plain, _ := energy.NewPlain(8, 2, sb)
		cond, _ := energy.NewConditional(8, 2, sb, 1.5, b)
		for _, m := range []*energy.Model{plain, cond} {
			truth := make([]float64, m.NumParams())
			for i := range truth {
				truth[i] = rng.NormFloat64()
			}
			const count = 300
			s := NewSamples(m, count)
			for i := 0; i < count; i++ {
				a0, x, fine := s.At(i)
				for k := range x {
					x[k] = rng.NormFloat64()
				}
				if a0 != nil {
					for k := range a0 {
						a0[k] = rng.NormFloat64()
					}
					tmp := energy.Model(*m)
					tmp.Theta = make([]float64, m.NumParams())
					c := tmp.NewConditioned()
					c.SetCondition(a0)
					copy(fine, c.Fine(x))
				}
			}
			tm := energy.Model(*m)
			tm.Theta = truth
			evals := make([]*energy.Conditioned, 8)
			target := func(w, i int, dst []float64) {
				if evals[w] == nil {
					evals[w] = tm.NewConditioned()
				}
				a0, x, _ := s.At(i)
				if a0 != nil {
					evals[w].SetCondition(a0)
				}
				evals[w].Unbounded = true
				evals[w].EnergyGrad(x, dst)
			}
			res, err := RegressGradients(context.Background(), m, s, target, 1e-14, 2)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(res.Theta, truth); e > 1e-6 {
				t.Errorf("%s, conditional=%v: regression recovers θ* with relative error %.3g (κ %.3g)", kind, m.IsConditional(), e, res.Cond)
			}
			if math.IsNaN(res.Cond) {
				t.Error("condition number is NaN")
			}
		}
	}
}
