package lensing

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/lattice"
)

// TestMinkowskiGaussian compares the measured Minkowski functionals of
// smooth Gaussian random fields with the analytic Gaussian ones
// (Tomita 1986; Schmalzing & Gorski 1998): V0 = ½ erfc(ν/√2),
// V1 = σ₁/(8√2) e^{−ν²/2}, V2 = σ₁²/(2(2π)^{3/2}) ν e^{−ν²/2}, with σ₁
// measured by the same finite differences. V0 and V1 are exact for the
// lattice field up to the threshold bin (the central-difference gradient
// is Gaussian and independent of u at the same point): within 4 standard
// errors plus 1 % of their maximum. V2 also needs second derivatives, whose
// finite differences match the continuum relation ⟨u u_xx⟩ = −⟨u_x²⟩ to
// O((a/ℓ)²) for a correlation length ℓ of 4 pixels: within 4 standard
// errors plus 5 % of its maximum.
func TestMinkowskiGaussian(t *testing.T) {
	const L, n, ell = 128, 40, 4.0
	g, err := gaussfield.NewSampler(L, func(k1, k2 float64) float64 { return math.Exp(-(k1*k1 + k2*k2) * ell * ell / 2) })
	if err != nil {
		t.Fatal(err)
	}
	st := lattice.NewStack(n, L)
	rng := rand.New(rand.NewPCG(4, 5))
	for i := 0; i < n; i++ {
		g.Sample(st.Field(i).Data, rng)
	}
	mk, err := MinkowskiFunctionals(st, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, v1max, _ := GaussianMinkowski(0, mk.Sigma1) // V1 peaks at ν = 0,
	_, _, v2max := GaussianMinkowski(1, mk.Sigma1) // V2 at ν = ±1
	t.Logf("σ₁ = %.4f per pixel", mk.Sigma1)
	for b, nu := range mk.Nu {
		if math.Abs(nu) > 3 {
			continue
		}
		w0, w1, w2 := GaussianMinkowski(nu, mk.Sigma1)
		got := [3]float64{mk.V0[b], mk.V1[b], mk.V2[b]}
		want := [3]float64{w0, w1, w2}
		errs := [3]float64{mk.Err0[b], mk.Err1[b], mk.Err2[b]}
		tol := [3]float64{0.01, 0.01 * v1max, 0.05 * v2max}
		for k := range got {
			if d := math.Abs(got[k] - want[k]); d > 4*errs[k]+tol[k] {
				t.Errorf("ν = %+.3f: V%d = %.5g ± %.2g, Gaussian %.5g", nu, k, got[k], errs[k], want[k])
			}
		}
	}
}

// TestMinkowskiErrors: unusable maps (constant, too small, non-finite) are
// refused with an error.
func TestMinkowskiErrors(t *testing.T) {
	if _, err := MinkowskiFunctionals(lattice.NewStack(2, 8), 0, 0); err == nil {
		t.Error("constant maps: no error")
	}
	if _, err := MinkowskiFunctionals(lattice.NewStack(1, 2), 0, 1); err == nil {
		t.Error("2² maps: no error")
	}
	nan := lattice.NewStack(1, 8)
	nan.Data[5] = math.NaN()
	if _, err := MinkowskiFunctionals(nan, 0, 1); err == nil {
		t.Error("a NaN pixel: no error")
	}
}
