package wcrg

import (
	"context"
	"math"
	"testing"
)

// TestHamiltonianGaussian reconstructs H₀ from free-field data with
// E = ½φᵀ(−Δ + m²)φ: the kernel's nearest-neighbour coupling must be −1 and
// the microscopic potential V_0 = ½m²t² (zero-mass gauge), in raw units.
func TestHamiltonianGaussian(t *testing.T) {
	const L, n, mass = 16, 2000, 0.5
	data := freeField(t, n, L, mass, 11)
	set := DefaultSettings()
	m, err := Fit(context.Background(), data, set, Provenance{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	free, err := FitFreeEnergies(context.Background(), m, data, FreeSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := BuildHamiltonian(m, free, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("K(0) %.4f K(e1) %.4f K(e2) %.4f K(1,1) %.4f K(2,0) %.4f (raw); non-invariance %.3g; mass %.4g",
		h.RawKernelAt(0, 0), h.RawKernelAt(1, 0), h.RawKernelAt(0, 1), h.RawKernelAt(1, 1), h.RawKernelAt(2, 0), h.NonInvariance, h.Mass/(h.Scale*h.Scale))
	for j, p := range h.Potentials {
		t.Logf("V_%d on [%.3g, %.3g]: moved %.4g t² + %.3g t, maxdev %.3g", j, p.Lo, p.Hi, p.Moved[0], p.Moved[1], p.MaxDev)
	}
	// V_0 in raw units against ½m²t².
	p := h.Potentials[0]
	for _, tt := range []float64{-1, -0.5, 0.5, 1} {
		raw := tt * h.Scale
		got := h.RawPotential(0, raw) - h.RawPotential(0, 0)
		t.Logf("V_0(%.3g) − V_0(0) = %.4f, ½m²t² = %.4f", raw, got, 0.5*mass*mass*raw*raw)
	}
	_ = p
	if k := h.RawKernelAt(1, 0); math.Abs(k+1) > 0.05 {
		t.Errorf("nearest-neighbour coupling %.4f, want −1 within 5 %%", k)
	}
}

// TestAmplitudeRatio: the amplitude of one potential against another
// ignores their quadratic parts, and is undefined against a quadratic.
func TestAmplitudeRatio(t *testing.T) {
	var sorted []float64
	for k := 0; k <= 2000; k++ {
		sorted = append(sorted, -1.5+3*float64(k)/2000)
	}
	g := func(x float64) float64 { return x*x*x*x - 2*x*x }
	f := func(x float64) float64 { return 1.3*g(x) + 0.7*x*x - 0.2*x + 5 }
	if c := amplitudeRatio(f, g, sorted, -1.4, 1.4); math.Abs(c-1.3) > 1e-9 {
		t.Errorf("amplitude of 1.3 g + quadratic against g: %v, want 1.3", c)
	}
	quad := func(x float64) float64 { return 3*x*x + 1 }
	if c := amplitudeRatio(f, quad, sorted, -1.4, 1.4); !math.IsNaN(c) {
		t.Errorf("amplitude against a quadratic: %v, want NaN", c)
	}
	if c := amplitudeRatio(quad, quad, sorted, -1.4, 1.4); !math.IsNaN(c) {
		t.Errorf("amplitude of a quadratic against a quadratic: %v, want NaN", c)
	}
	zero := func(float64) float64 { return 0 }
	if c := amplitudeRatio(f, zero, sorted, -1.4, 1.4); !math.IsNaN(c) {
		t.Errorf("amplitude against no potential: %v, want NaN", c)
	}
}
