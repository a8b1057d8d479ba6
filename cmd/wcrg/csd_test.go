package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLICSDPhi4 runs a two-point φ⁴ study with the Gaussian-theory
// overlays and checks that the τ_GD series, their fits and the figures are
// written; --gd is refused for the Ising model.
func TestCLICSDPhi4(t *testing.T) {
	dir := t.TempDir()
	var res struct {
		Points []struct {
			L       int
			Sampler string
			Tau     float64
		}
		FitsGD map[string]struct{ Z float64 } `json:"fits_gd"`
	}
	cliJSON(t, &res, "csd", "--L", "8,16", "--samplers", "metropolis", "--fields", "32", "--out", dir)
	got := map[string]int{}
	for _, p := range res.Points {
		got[p.Sampler]++
		if !(p.Tau > 0) {
			t.Errorf("%s at L = %d: τ = %g", p.Sampler, p.L, p.Tau)
		}
	}
	for _, s := range []string{"metropolis", "theory-direct", "theory-wcrg", "gd-direct", "gd-wcrg", "gd-wcrg-phi"} {
		if got[s] != 2 {
			t.Errorf("%d points of %s, want 2", got[s], s)
		}
	}
	if _, ok := res.FitsGD["gd-direct"]; !ok {
		t.Errorf("no τ_GD fit for gd-direct: %+v", res.FitsGD)
	}
	for _, f := range []string{"csd", "csd_xi", "csd_gd"} {
		cliExists(t, filepath.Join(dir, f+".png"), filepath.Join(dir, f+".csv"))
	}
	code, _, stderr := cliRun(context.Background(), "csd", "--model", "ising", "--gd")
	if code != 2 || !strings.Contains(stderr, "--gd") {
		t.Errorf("csd --model ising --gd: exit %d, %q", code, stderr)
	}
}
