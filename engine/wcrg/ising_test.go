package wcrg

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// TestIsingFromFirstCoarseScale is the Ising route of issue 9: the finest
// scale of ±1 spins is discrete, so WC-RG models the first coarse-grained
// field (db4, γ = 1; wavelet.CoarseGrain, `wcrg coarsen`), from that scale
// down. Critical Ising spins (β_c, L = 128, Wolff) are coarse-grained twice
// to 32², a model is fitted on 2000 of them, and 500 generated coarse fields
// must match 500 held-out ones with the quality criteria of the generation
// issue (judgeGeneration), each judged against its noise floor between
// training and held-out fields.
//
// One level of coarse-graining is not enough: the values of G s are still
// lumpy sums of a few dominant filter taps times ±1, and the finest fitted
// conditional then generates details with half the data's std. Two levels
// give a smooth density. Maximum likelihood refines every scale
// (MLFromLevel = 1): with score matching alone at j = 1 the finest
// conditional, run at the data's own φ_1, gives details 7 % too broad on
// the diagonal channel.
//
// It runs only with WCRG_ACCEPTANCE=1 because it does not pass yet
// (measured with the default sampler, 100 global steps + 40 site sweeps
// per scale, which 160 sweeps and 3000 global steps do not change; the
// former 300 global steps alone were not converged here and left the
// finest details 6 % too narrow): the Binder cumulant matches (0.611 vs
// 0.610), but the spectrum error is 0.17 (limit 0.051) and the histogram
// L1 0.096 (limit 0.047), the channel std 4–7 % too large at every level.
// The error is made at the coarse scales and grows on the way down: run
// from the data's own φ_k (k = 1 … 5), the fitted conditionals give a
// spectrum error of 0.03 (noise), 0.09, 0.12, 0.12, 0.12. Each
// conditional matches its own moments (ML converged) at the data's φ_j, but
// the φ_{j−1} it generates differ from the data's in ways its quadratic +
// scalar-potential form cannot express (too many values between the two
// magnetized phases: field kurtosis 1.41 vs 1.35), and the next, finer
// conditional answers with broader details. Nearest-neighbour pair
// potentials (Settings.PairNodes = 12), which close most of the φ⁴ gap,
// were tried on the same data: the maximum likelihood of the finest scale
// (16×16 → 32×32) did not converge in 300 iterations (χ²/m 139 after
// rising to 270); with a ten times larger ML ridge it nearly did (χ²/m
// 1.55), but generation was no better ('wcrg diagnose' on 500 held-out
// fields: spectrum 0.119, histogram L1 0.061, against 0.111 and 0.077
// without pair potentials), so they are not used here. Issue 9 stays open
// on this.
func TestIsingFromFirstCoarseScale(t *testing.T) {
	if os.Getenv("WCRG_ACCEPTANCE") == "" {
		t.Skip("acceptance measurement of issue 9 (set WCRG_ACCEPTANCE=1); not yet passing")
	}
	start := time.Now()
	spins, _, err := ising.MakeStack(context.Background(), ising.Model{L: 128, Beta: ising.BetaC}, ising.AlgWolff,
		phi4.DatasetSettings{Samples: 2500, Seed: 31}, nil)
	if err != nil {
		t.Fatal(err)
	}
	db4, _ := wavelet.New("db4")
	all, err := wavelet.CoarseGrain(db4, spins, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	L := all.L
	train := lattice.Stack{N: 2000, L: L, Data: all.Data[:2000*L*L]}
	held := lattice.Stack{N: 500, L: L, Data: all.Data[2000*L*L:]}
	tData := time.Since(start)
	set := DefaultSettings()
	set.Seed = 5
	set.MLFromLevel = 1
	m, err := Fit(context.Background(), train, set, Provenance{File: "ising L=64 β_c, coarse-grained once (db4)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tFit := time.Since(start) - tData
	res, err := Sample(context.Background(), m, SampleSettings{N: 500, Seed: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data %s, fit %s, sampling %s", tData.Round(time.Second), tFit.Round(time.Second), (time.Since(start) - tData - tFit).Round(time.Second))
	judgeGeneration(t, held, train, res.Fields, true)
}
