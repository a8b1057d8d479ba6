package wcrg

import (
	"context"
	"math"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
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

	// Energy's quadratic part (by FFT) against the direct sum
	// ½ Σ_x Σ_s K(s) φ(x) φ(x+s) over every s.
	f := data.Field(0).Data
	phi := make([]float64, L*L)
	for i, v := range f {
		phi[i] = (v - h.Mean) / h.Scale
	}
	var quad float64
	for x1 := 0; x1 < L; x1++ {
		for x2 := 0; x2 < L; x2++ {
			for s1 := 0; s1 < L; s1++ {
				for s2 := 0; s2 < L; s2++ {
					quad += 0.5 * h.KernelAt(s1, s2) * phi[x1*L+x2] * phi[((x1+s1)%L)*L+(x2+s2)%L]
				}
			}
		}
	}
	if got := h.quadraticEnergy(phi); math.Abs(got-quad) > 1e-9*math.Abs(quad) {
		t.Errorf("quadratic part of Energy %.10g, direct sum %.10g", got, quad)
	}
	if got, want := h.Energy(f), quad+h.potentialEnergy(phi); math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("Energy %.12g, quadratic + potentials %.12g", got, want)
	}

	// Held-out free fields: the written-out H₀ and the fitted energies it
	// was assembled from (EnergyFunc) against the true energy
	// ½φᵀ(−Δ + m²)φ, by the measure std((H − E − c)/|E|) ≤ 2 %.
	// The two differ by the part of the quadratic form that is not
	// translation invariant (NonInvariance).
	held := freeField(t, 100, L, mass, 12)
	full := EnergyFunc(m, free)
	for _, c := range []struct {
		name string
		e    func([]float64) float64
	}{{"written-out H₀", h.Energy}, {"fitted energies", full}} {
		var d, e []float64
		for i := 0; i < held.N; i++ {
			f := held.Field(i).Data
			et := freeEnergy(f, L, mass)
			d = append(d, c.e(f)-et)
			e = append(e, et)
		}
		mean := lattice.Mean(d)
		var s float64
		for i := range d {
			r := (d[i] - mean) / math.Abs(e[i])
			s += r * r
		}
		spread := math.Sqrt(s / float64(len(d)))
		t.Logf("%s: std((H − E − c)/|E|) = %.2f %% (non-invariance %.3g)", c.name, 100*spread, h.NonInvariance)
		if spread > 0.02 {
			t.Errorf("%s: held-out relative energy error spread %.2f %% (want ≤ 2 %%)", c.name, 100*spread)
		}
	}
}

// freeEnergy returns ½φᵀ(−Δ + m²)φ of a periodic side×side field.
func freeEnergy(f []float64, side int, mass float64) float64 {
	var e float64
	for x1 := 0; x1 < side; x1++ {
		for x2 := 0; x2 < side; x2++ {
			v := f[x1*side+x2]
			r, d := f[x1*side+(x2+1)%side], f[((x1+1)%side)*side+x2]
			e += 0.5*((v-r)*(v-r)+(v-d)*(v-d)) + 0.5*mass*mass*v*v
		}
	}
	return e
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
