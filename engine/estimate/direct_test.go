package estimate

import (
	"context"
	"testing"

	"github.com/wcrglab/wcrg/engine/energy"
)

// TestDirectMaximumLikelihoodGaussian runs the direct, single-scale
// estimator (a plain model on φ_0 with MALA chains on the whole field) on
// exact free-field samples (L = 16, m = 0.5): from zero couplings it must
// reach the exact precision −Δ + m² projected on a window-1 model. With
// 2000 fields of 256 sites the statistical error of the five couplings is
// about 1/√(2000·256) ≈ 0.2 % per unit of the Fisher-normalized scale, so
// 2 % leaves room for the optimizer's noise.
func TestDirectMaximumLikelihoodGaussian(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test (≈ 30 s)")
	}
	const L, m, n = 16, 0.5, 2000
	fields := freeFieldStack(t, n, L, m, 7)
	mod, err := energy.NewPlain(L, 1, energy.ScalarBasis{Kind: energy.BasisNone})
	if err != nil {
		t.Fatal(err)
	}
	s := NewPlainSamples(n, L)
	for i := 0; i < n; i++ {
		_, x, fine := s.At(i)
		copy(x, fields.Field(i).Data)
		copy(fine, fields.Field(i).Data)
	}
	// Start from the white-noise model with the data's variance.
	var v float64
	for _, x := range fields.Data {
		v += x * x
	}
	v /= float64(len(fields.Data))
	for k, term := range mod.Terms {
		if term.S == (energy.Shift{}) {
			mod.Theta[k] = 1 / v
		}
	}
	res, err := MaximumLikelihood(context.Background(), mod, s, MLSettings{Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	exact, _ := mod.ProjectQuadratic(energy.LaplacianOperator(L, 1, m*m))
	e := relErr(res.Theta, exact)
	t.Logf("direct ML: θ = %.4f, exact %.4f; relative error %.4f after %d iterations (converged %v, %s)", res.Theta, exact, e, res.Iterations, res.Converged, res.Elapsed)
	if e > 0.02 || !res.Converged {
		t.Errorf("direct ML couplings off by %.2f %% (converged %v)", 100*e, res.Converged)
	}
}

// TestMLMinVisits checks that the descent does not stop before every chain
// has been advanced MinVisits times on average (MinVisits·n/B iterations),
// and the range check.
func TestMLMinVisits(t *testing.T) {
	const L, m, n, batch = 8, 0.5, 200, 50
	fields := freeFieldStack(t, n, L, m, 9)
	s := NewPlainSamples(n, L)
	for i := 0; i < n; i++ {
		_, x, fine := s.At(i)
		copy(x, fields.Field(i).Data)
		copy(fine, fields.Field(i).Data)
	}
	for _, visits := range []int{1, 20} {
		mod, err := energy.NewPlain(L, 1, energy.ScalarBasis{Kind: energy.BasisNone})
		if err != nil {
			t.Fatal(err)
		}
		exact, _ := mod.ProjectQuadratic(energy.LaplacianOperator(L, 1, m*m))
		copy(mod.Theta, exact) // start at the answer: the descent may stop as soon as it is allowed to
		res, err := MaximumLikelihood(context.Background(), mod, s, MLSettings{Seed: 2, Batch: batch, MinVisits: visits, Averaging: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		least := (visits*n + batch - 1) / batch
		t.Logf("MinVisits %d: %d iterations (at least %d), converged %v", visits, res.Iterations, least, res.Converged)
		if res.Iterations < least || !res.Converged {
			t.Errorf("MinVisits %d: the descent stopped after %d iterations (want at least %d), converged %v", visits, res.Iterations, least, res.Converged)
		}
		if visits == 20 && res.Iterations > 2*least {
			t.Errorf("MinVisits %d: %d iterations, from the answer (want about %d)", visits, res.Iterations, least)
		}
	}
	for _, v := range []int{-1, 20000} {
		if (MLSettings{MinVisits: v}).Validate() == nil {
			t.Errorf("MinVisits %d accepted", v)
		}
	}
}
