package experiment

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/wcrg"
)

// TestCSDSmall runs a small study (β = 0.68, L = 8, 16, 32) and checks the
// picture of spec §7 and issue 6: direct MALA slows down like L² (fitted
// z ≥ 1.5 within two errors; its runs are short, so its τ and z are lower
// bounds) while the WC-RG conditional chains (site-by-site MALA sweeps)
// do not slow down: fitted z ≤ 0.3 within two errors, and at every scale
// j present at L = 8 the relaxation time at L = 32 is at most 1.3 times
// that at L = 8 (within two combined errors). Measured: z = 2.09 ± 0.51
// direct, 0.03 ± 0.06 WC-RG (τ = 1.59, 1.76, 1.74 sweeps at j = 1).
func TestCSDSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("long study")
	}
	pts, err := RunCSD(context.Background(), CSDSettings{Beta: 0.68, Sides: []int{8, 16, 32}, Samplers: []string{"mala", "wcrg"}, Fields: 300, Steps: 2000, Seed: 1, Theory: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	scales := map[int][]wcrg.ScaleRelaxation{}
	for _, p := range pts {
		t.Logf("L=%d ξ=%.2f %s: τ = %.2f ± %.2f %s (%.1f s)", p.L, p.Xi, p.Sampler, p.Tau, p.TauErr, p.Note, p.Seconds)
		for _, r := range p.PerScale {
			t.Logf("    j=%d: τ = %.2f ± %.2f sweeps, weight %.3f, δ %.3g, acceptance %.2f", r.Level, r.Energy.Tau, r.Energy.TauErr, r.Weight, r.Delta, r.Acceptance)
		}
		if p.Sampler == "wcrg" {
			scales[p.L] = p.PerScale
		}
	}
	z := FitZ(pts)
	t.Logf("z: direct MALA %.2f ± %.2f, WC-RG %.2f ± %.2f", z["mala"].Z, z["mala"].ZErr, z["wcrg"].Z, z["wcrg"].ZErr)
	if m := z["mala"]; m.Z+2*m.ZErr < 1.5 {
		t.Errorf("direct MALA z = %.2f ± %.2f, want ≳ 2", m.Z, m.ZErr)
	}
	if w := z["wcrg"]; w.Z-2*w.ZErr > 0.3 {
		t.Errorf("WC-RG z = %.2f ± %.2f, want ≤ 0.3", w.Z, w.ZErr)
	}
	for i, small := range scales[8] {
		big := scales[32][i]
		if big.Energy.Tau-2*math.Hypot(big.Energy.TauErr, 1.3*small.Energy.TauErr) > 1.3*small.Energy.Tau {
			t.Errorf("scale j=%d: τ = %.2f ± %.2f at L = 32 against %.2f ± %.2f at L = 8 (want ≤ 1.3×)",
				small.Level, big.Energy.Tau, big.Energy.TauErr, small.Energy.Tau, small.Energy.TauErr)
		}
	}
	// Gaussian theory (spec §7.3) with m = 1/ξ and ξ ∝ L: κ_direct ≈ 8ξ² grows
	// like L², the conditional κ stays O(1) (≈ 8 for db4).
	td, tw := z["theory-direct"], z["theory-wcrg"]
	t.Logf("Gaussian theory: direct κ z = %.2f, conditional κ z = %.2f", td.Z, tw.Z)
	if td.Z < 1.5 || tw.Z > 0.4 {
		t.Errorf("Gaussian theory exponents: direct %.2f (want ≈ 2), conditional %.2f (want ≈ 0)", td.Z, tw.Z)
	}
}

// TestCSDRefusesRepeats: a side or β listed twice, or negative counts, are
// refused before any work.
func TestCSDRefusesRepeats(t *testing.T) {
	for _, set := range []CSDSettings{
		{Sides: []int{8, 8}, Samplers: []string{"metropolis"}},
		{Sides: []int{8}, Betas: []float64{0.5, 0.5}, Samplers: []string{"metropolis"}},
		{Sides: []int{8}, Samplers: []string{"metropolis"}, Steps: -1},
	} {
		if _, err := RunCSD(context.Background(), set, nil, nil); err == nil {
			t.Errorf("%+v accepted", set)
		}
	}
}

// TestCSDIsingFrozenPoint: a β-scan that reaches deep into the ordered
// phase (β = 10) freezes Wolff's |m| at 1. That point gets a note and no τ,
// stays out of the fits, and the study goes on (it used to abort).
func TestCSDIsingFrozenPoint(t *testing.T) {
	set := CSDSettings{Model: "ising", Sides: []int{8}, Betas: []float64{0.3, 10}, Samplers: []string{"wolff"}, Fields: 50, Seed: 3}
	pts, err := RunCSD(context.Background(), set, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || !(pts[0].Tau > 0) || pts[1].Tau != 0 || !strings.Contains(pts[1].Note, "frozen") {
		t.Fatalf("points %+v", pts)
	}
	// Checkerboard Metropolis at β = 0 accepts every flip: each sweep
	// negates the whole lattice, so every chain keeps its own |m|. Chains
	// frozen apart like this used to run to the sweep limit and report
	// τ ≈ 5e5 ± 5e5.
	set.Betas, set.Samplers = []float64{0}, []string{"metropolis"}
	pts, err = RunCSD(context.Background(), set, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || pts[0].Tau != 0 || !strings.Contains(pts[0].Note, "frozen") {
		t.Fatalf("Metropolis at β = 0: %+v", pts)
	}
	if _, ok := FitZXi(pts)["wolff"]; ok {
		t.Error("a τ fit through a single measured point and a frozen one")
	}
}
