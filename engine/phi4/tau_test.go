package phi4

import (
	"context"
	"math"
	"testing"
)

// fitZ is the weighted least-squares slope of log τ against log L with
// σ(log τ) = err/τ (as experiment.FitPowerLaw, which this package cannot
// import).
func fitZ(L, tau, err []float64) (z, zerr float64) {
	var sw, sx, sy, sxx, sxy float64
	for i := range L {
		w := tau[i] * tau[i] / (err[i] * err[i])
		x, y := math.Log(L[i]), math.Log(tau[i])
		sw, sx, sy, sxx, sxy = sw+w, sx+w*x, sy+w*y, sxx+w*x*x, sxy+w*x*y
	}
	det := sw*sxx - sx*sx
	return (sw*sxy - sx*sy) / det, math.Sqrt(sw / det)
}

// TestDynamicExponent measures τ_int(|m|) of φ⁴ at β = 0.68 with the Γ
// method and fits τ ∝ L^z. Expected (spec §7.1; Sokal's lectures): local
// Metropolis z ≈ 2.1 (the band 1.8–2.4), the cluster hybrid
// z ≲ 0.3 (band ≤ 0.5). The bands are widened by two fitted standard
// errors, which must themselves be small enough for the test to mean
// something.
func TestDynamicExponent(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test (≈ 1 min)")
	}
	for _, c := range []struct {
		alg       Algorithm
		sides     []int
		lo, hi    float64
		maxErr    float64
		runInTau  float64
		minSweeps int
	}{
		{AlgMetropolis, []int{8, 16, 32}, 1.8, 2.4, 0.3, 400, 4000},
		{AlgCluster, []int{8, 16, 32, 64}, -1, 0.5, 0.3, 400, 4000},
	} {
		var Ls, taus, errs []float64
		for _, L := range c.sides {
			r, err := MeasureTau(context.Background(), Phi4{L: L, Beta: 0.68}, c.alg, TauSettings{Seed: 7, Chains: 2, RunInTau: c.runInTau, Sweeps: c.minSweeps}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s L=%d: τ_int(|m|) = %.2f ± %.2f (%d×%d sweeps), U = %.3f", c.alg, L, r.AbsM.Tau, r.AbsM.TauErr, r.Sweeps, r.Chains, r.Binder)
			Ls, taus, errs = append(Ls, float64(L)), append(taus, r.AbsM.Tau), append(errs, r.AbsM.TauErr)
		}
		z, zerr := fitZ(Ls, taus, errs)
		t.Logf("%s: z = %.3f ± %.3f", c.alg, z, zerr)
		if zerr > c.maxErr {
			t.Errorf("%s: z error %.3f too large to test", c.alg, zerr)
		}
		if z < c.lo-2*zerr || z > c.hi+2*zerr {
			t.Errorf("%s: z = %.3f ± %.3f outside [%g, %g]", c.alg, z, zerr, c.lo, c.hi)
		}
	}
}
