package estimate

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// freeFieldStack draws n exact samples of the massive lattice free field.
func freeFieldStack(t testing.TB, n, L int, m float64, seed uint64) lattice.Stack {
	t.Helper()
	g, err := gaussfield.NewSampler(L, gaussfield.FreeField(m))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	s := lattice.NewStack(n, L)
	for i := 0; i < n; i++ {
		g.Sample(s.Field(i).Data, rng)
	}
	return s
}

// exactConditional returns the exact quadratic couplings of the conditional
// Ē_j of a Gaussian field (spec §2.1): the projection of the precision
// K_{j−1} of φ_{j−1} through φ_{j−1} = γ_j(Gᵀφ_j + Ḡᵀφ̄_j), and the relative
// norm of the couplings outside the model's window.
func exactConditional(t testing.TB, m *energy.Model, b wavelet.Basis, L int, gamma []float64, spec gaussfield.Spectrum, j int) ([]float64, float64) {
	t.Helper()
	c, err := gaussfield.CoarseCovariance(b, L, gamma, spec, j-1)
	if err != nil {
		t.Fatal(err)
	}
	K, err := gaussfield.PrecisionOperator(c, L>>(j-1))
	if err != nil {
		t.Fatal(err)
	}
	return m.ProjectQuadratic(K)
}

func relErr(got, want []float64) float64 {
	var d, n float64
	for i := range got {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	return math.Sqrt(d / n)
}

// TestScoreMatchingGaussianConditionals is the acceptance test of the
// estimation issue for score matching: on exactly sampled free fields with
// ξ = 1/m = 4 at L = 32, the quadratic couplings fitted at every scale
// match the exact conditional couplings within 2 % (relative norm).
//
// The fit's error is statistical, ∝ 1/√n (measured: 2.3–3.9 % at n = 4000,
// 1.1–1.9 % at 16000), so the test streams n = 64000 fields in batches
// (expected 0.5–1 %) and asserts 2 %. Under -short it uses 8000 fields and
// asserts 4 %.
func TestScoreMatchingGaussianConditionals(t *testing.T) {
	const L, m, batch = 32, 0.25, 4000
	n, tol := 64000, 0.02
	if testing.Short() {
		n, tol = 8000, 0.04
	}
	b, _ := wavelet.New("db4")
	J := wavelet.MaxLevels(L)
	first := freeFieldStack(t, batch, L, m, 1)
	gamma, err := wavelet.EstimateGamma(b, first, J, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := wavelet.NewTransform(b, L, J, gamma)
	models := make([]*energy.Model, J+1)
	accs := make([]*ScoreAccumulator, J+1)
	for j := 1; j <= J; j++ {
		models[j], err = energy.NewConditional(L>>j, 4, energy.ScalarBasis{Kind: energy.BasisNone}, gamma[j-1], b)
		if err != nil {
			t.Fatal(err)
		}
		accs[j], _ = NewScoreAccumulator(models[j])
	}
	for k := 0; k < n/batch; k++ {
		fields := first
		if k > 0 {
			fields = freeFieldStack(t, batch, L, m, uint64(k+1))
		}
		for j := 1; j <= J; j++ {
			if err := accs[j].Add(context.Background(), LevelSamples(tr, fields, j, 0), 0, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for j := 1; j <= J; j++ {
		mod := models[j]
		exact, outside := exactConditional(t, mod, b, L, gamma, gaussfield.FreeField(m), j)
		res, err := accs[j].Solve(ScoreSettings{})
		if err != nil {
			t.Fatal(err)
		}
		e := relErr(res.Theta, exact)
		t.Logf("j=%d (%d×%d, %d terms): relative error %.4f, exact couplings outside the window %.2g, κ %.3g (raw %.3g)",
			j, L>>j, L>>j, mod.NumParams(), e, outside, res.Cond, res.CondRaw)
		if e > tol {
			t.Errorf("level %d: fitted couplings differ from the exact ones by %.2f %%", j, 100*e)
		}
	}
}

// TestMaximumLikelihoodGaussianConditionals checks maximum likelihood
// against the exact conditional couplings of free fields (ξ = 1/m = 4,
// L = 32) at levels 2–5, started from score matching on the same 4000
// fields. Both estimators' errors are statistical (∝ 1/√n); ML's must be
// of the same size as score matching's (within 1.5× plus 0.5 % for the
// chains' optimizer noise; measured here: SM 3–5 %, ML 3.5–6 %).
//
// Measured with 16000 fields (all levels, 14 min): SM 1.1/1.9/1.8/2.0/2.2 %,
// ML 1.2/2.3/2.4/2.4/2.0 % at j = 1…5. The 2 % for ML therefore
// needs more than 16000 fields at this L; that is not yet met.
func TestMaximumLikelihoodGaussianConditionals(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test")
	}
	checkMLFreeField(t, "maximum likelihood", 2, 0, func(j int) MLSettings { return MLSettings{Seed: uint64(j)} })
}

// checkMLFreeField fits levels from … to (0: all) of 4000 free fields
// (ξ = 1/m = 4, L = 32, db4) by score matching and then maximum
// likelihood with the settings of set(j), started from score matching, and
// fails t where ML's coupling error exceeds 1.5× score matching's plus
// 0.5 % or ML does not converge.
func checkMLFreeField(t *testing.T, name string, from, to int, set func(j int) MLSettings) {
	t.Helper()
	const L, m, n = 32, 0.25, 4000
	b, _ := wavelet.New("db4")
	J := wavelet.MaxLevels(L)
	if to == 0 {
		to = J
	}
	fields := freeFieldStack(t, n, L, m, 101)
	gamma, err := wavelet.EstimateGamma(b, fields, J, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := wavelet.NewTransform(b, L, J, gamma)
	for j := from; j <= to; j++ {
		mod, err := energy.NewConditional(L>>j, 4, energy.ScalarBasis{Kind: energy.BasisNone}, gamma[j-1], b)
		if err != nil {
			t.Fatal(err)
		}
		s := LevelSamples(tr, fields, j, 0)
		sm, err := ScoreMatch(context.Background(), mod, s, ScoreSettings{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		copy(mod.Theta, sm.Theta)
		ml, err := MaximumLikelihood(context.Background(), mod, s, set(j), nil)
		if err != nil {
			t.Fatal(err)
		}
		exact, _ := exactConditional(t, mod, b, L, gamma, gaussfield.FreeField(m), j)
		esm, eml := relErr(sm.Theta, exact), relErr(ml.Theta, exact)
		t.Logf("j=%d (%d terms): score matching %.4f, %s %.4f (%d iterations, converged %v, %s)",
			j, mod.NumParams(), esm, name, eml, ml.Iterations, ml.Converged, ml.Elapsed.Round(time.Millisecond))
		if eml > 1.5*esm+0.005 || !ml.Converged {
			t.Errorf("level %d: %s couplings differ from the exact ones by %.2f %% (score matching %.2f %%, converged %v)", j, name, 100*eml, 100*esm, ml.Converged)
		}
	}
}

// TestMaximumLikelihoodGaussianAcceptance is the estimation issue's
// acceptance test for maximum likelihood: with n = 64000 free fields
// (ξ = 1/m = 4, L = 32), where score matching's statistical error is
// 0.5–1.1 % (above), ML started from score matching fits the exact
// conditional couplings of every scale within 2 %. (With 16000 fields both
// estimators sit at 1.1–2.4 %: the error is statistical.)
func TestMaximumLikelihoodGaussianAcceptance(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test (several minutes)")
	}
	const L, m, n = 32, 0.25, 64000
	b, _ := wavelet.New("db4")
	J := wavelet.MaxLevels(L)
	fields := lattice.NewStack(n, L)
	for k := 0; k < n/8000; k++ {
		part := freeFieldStack(t, 8000, L, m, uint64(1000+k))
		copy(fields.Data[k*8000*L*L:], part.Data)
	}
	gamma, err := wavelet.EstimateGamma(b, fields, J, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := wavelet.NewTransform(b, L, J, gamma)
	for j := 1; j <= J; j++ {
		mod, err := energy.NewConditional(L>>j, 4, energy.ScalarBasis{Kind: energy.BasisNone}, gamma[j-1], b)
		if err != nil {
			t.Fatal(err)
		}
		s := LevelSamples(tr, fields, j, 0)
		sm, err := ScoreMatch(context.Background(), mod, s, ScoreSettings{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		copy(mod.Theta, sm.Theta)
		// Polyak averaging over ⌈8n/B⌉ = 2000 iterations (the default rule
		// without its cap of 500): with the cap, the optimizer noise of
		// 500 × 256 chain draws is comparable to the statistical error of
		// 64000 fields (measured 1.4–2.3 % at j = 2…5 against SM's 0.9–1.2 %).
		ml, err := MaximumLikelihood(context.Background(), mod, s, MLSettings{Seed: uint64(j), Averaging: 2000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		exact, _ := exactConditional(t, mod, b, L, gamma, gaussfield.FreeField(m), j)
		esm, eml := relErr(sm.Theta, exact), relErr(ml.Theta, exact)
		t.Logf("j=%d (%d terms): score matching %.4f, maximum likelihood %.4f (%d iterations, converged %v, %s)",
			j, mod.NumParams(), esm, eml, ml.Iterations, ml.Converged, ml.Elapsed.Round(time.Millisecond))
		if eml > 0.02 || !ml.Converged {
			t.Errorf("level %d: ML couplings differ from the exact ones by %.2f %% (converged %v)", j, 100*eml, ml.Converged)
		}
	}
}

// TestMaximumLikelihoodSiteSweeps checks that chains relaxed by site
// sweeps (MLSettings.Sweeps, WarmupSweeps, with the larger MaxStep they
// are used with) leave maximum likelihood unbiased: on the free fields of
// TestMaximumLikelihoodGaussianConditionals the couplings of levels 2 and 3
// match the exact conditional couplings as closely as score matching's
// statistical error allows (the same bound: 1.5× plus 0.5 %).
func TestMaximumLikelihoodSiteSweeps(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test")
	}
	checkMLFreeField(t, "maximum likelihood with site sweeps", 2, 3, func(j int) MLSettings {
		return MLSettings{Seed: uint64(j), Sweeps: 1, WarmupSweeps: 10, MaxStep: 1}
	})
}

// TestMLSettingsValidateSweeps checks the range checks of the site-sweep
// settings.
func TestMLSettingsValidateSweeps(t *testing.T) {
	for _, s := range []MLSettings{{Sweeps: -1}, {WarmupSweeps: -1}, {Sweeps: 20000}, {MaxStep: -1}, {MaxStep: math.NaN()}, {MaxStep: math.Inf(1)}} {
		if s.Validate() == nil {
			t.Errorf("%+v: accepted", s)
		}
	}
	if err := (MLSettings{Sweeps: 1, WarmupSweeps: 30, MaxStep: 1}).Validate(); err != nil {
		t.Error(err)
	}
}
