package main

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/ising"
)

// TestCLIIsing runs the Ising route end to end: generate ±1 fields, check
// them against the exact finite-size energy, coarse-grain them, and run a
// small slowing-down study with the Ising samplers.
func TestCLIIsing(t *testing.T) {
	dir := t.TempDir()
	spins := filepath.Join(dir, "ising.npy")
	var side datasetSidecar
	cliJSON(t, &side, "generate", "ising", "--L", "16", "--n", "300", "--seed", "3", "--out", spins)
	if side.Model != "ising" || side.Sampler != "wolff" || side.Beta != ising.BetaC || side.Stored != 300 || !side.Complete {
		t.Errorf("sidecar %+v: want a complete Wolff run at β_c with 300 fields", side)
	}
	st, _, err := fieldio.Read(spins, fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := ising.Model{L: 16, Beta: ising.BetaC}
	var e []float64
	for i := range st.N {
		for _, v := range st.Field(i).Data {
			if v != 1 && v != -1 {
				t.Fatalf("field %d holds %g, not ±1", i, v)
			}
		}
		e = append(e, m.Energy(st.Field(i).Data)/256)
	}
	// Fields are spaced by ≥ 2 τ_int, so they are nearly independent; the
	// energy per site agrees with Kaufman's exact L = 16 value within 4
	// standard errors.
	mean, v := 0.0, 0.0
	for _, x := range e {
		mean += x / float64(len(e))
	}
	for _, x := range e {
		v += (x - mean) * (x - mean) / float64(len(e)-1)
	}
	if exact, se := ising.ExactEnergy(16, ising.BetaC), math.Sqrt(v/float64(len(e))); math.Abs(mean-exact) > 4*se {
		t.Errorf("⟨E⟩/L² = %.4f ± %.4f, exact %.4f", mean, se, exact)
	}

	coarse := filepath.Join(dir, "coarse.npy")
	var cs coarseSidecar
	cliJSON(t, &cs, "coarsen", "--levels", "2", "--out", coarse, spins)
	if cs.L != 4 || cs.Fields != 300 || cs.Dataset == nil || cs.Dataset.Model != "ising" {
		t.Errorf("coarse sidecar %+v: want 300 fields of 4×4 with the source's sidecar", cs)
	}
	cliExists(t, coarse, fieldio.SidecarPath(coarse))

	// The documented WC-RG route: dequantize, reproducibly, keeping the
	// signs of all but a few sites (noise beyond 1 against the spin at
	// σ = 0.35: Φ(−1/0.35) = 0.2 %).
	dq := filepath.Join(dir, "dq.npy")
	var ds dequantizedSidecar
	cliJSON(t, &ds, "dequantize", "--seed", "4", "--out", dq, spins)
	if ds.Sigma != ising.DefaultDequantizeSigma || ds.Fields != 300 || ds.L != 16 || len(ds.Values) != 2 || ds.Dataset == nil || ds.Dataset.Model != "ising" {
		t.Errorf("dequantized sidecar %+v", ds)
	}
	dst, _, err := fieldio.Read(dq, fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var flipped int
	for k, v := range dst.Data {
		if (v > 0) != (st.Data[k] > 0) {
			flipped++
		}
	}
	if f := float64(flipped) / float64(len(dst.Data)); f > 0.01 {
		t.Errorf("%.2f %% of the signs flipped by noise of σ = 0.35 (expected 0.2 %%)", 100*f)
	}
	again := filepath.Join(dir, "dq2.npy")
	cliJSON(t, &ds, "dequantize", "--seed", "4", "--out", again, spins)
	if a, _, err := fieldio.Read(again, fieldio.Options{}); err != nil || !slices.Equal(a.Data, dst.Data) {
		t.Errorf("the same seed gave different fields (%v)", err)
	}
	if code, _, errs := cliRun(context.Background(), "dequantize", "--sigma", "0", "--out", filepath.Join(dir, "x.npy"), spins); code == 0 || !strings.Contains(errs, "positive noise std") {
		t.Errorf("--sigma 0: exit %d, %s", code, errs)
	}

	var res struct {
		Points []struct {
			L       int
			Sampler string
			Tau     float64
		} `json:"points"`
		FitsXi map[string]struct{ Z float64 } `json:"fits_xi"`
	}
	cliJSON(t, &res, "csd", "--model", "ising", "--L", "8,16", "--fields", "32", "--out", dir)
	if len(res.Points) != 6 {
		t.Fatalf("got %d points, want 2 sides × 3 samplers", len(res.Points))
	}
	tau := map[string]float64{}
	for _, p := range res.Points {
		if p.L == 16 {
			tau[p.Sampler] = p.Tau
		}
	}
	// At β_c and L = 16 local Metropolis decorrelates |m| in ≈ 11 sweeps,
	// Wolff in ≈ 1.3 (engine/ising measurements): an order of magnitude.
	if !(tau["metropolis"] > 3*tau["wolff"]) || !(tau["metropolis"] > 2*tau["sw"]) {
		t.Errorf("τ at L = 16: %v; want Metropolis far slower than the cluster samplers", tau)
	}
	cliExists(t, filepath.Join(dir, "csd.png"), filepath.Join(dir, "csd_xi.svg"), filepath.Join(dir, "csd.json"))

	for _, bad := range [][]string{
		{"generate", "ising", "--sampler", "cluster", "--out", filepath.Join(dir, "x.npy")},
		{"csd", "--model", "ising", "--samplers", "wcrg"},
		{"csd", "--model", "ising", "--theory"},
		{"coarsen", "--levels", "4", "--out", filepath.Join(dir, "y.npy"), spins},
	} {
		if code, _, _ := cliRun(t.Context(), bad...); code == 0 {
			t.Errorf("wcrg %v succeeded", bad)
		}
	}
}
