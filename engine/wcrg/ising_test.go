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
// give a smooth density. It runs only with WCRG_ACCEPTANCE=1 because it does
// not pass yet: the Binder cumulant matches (0.611 vs 0.609) and maximum
// likelihood at j ≥ 2 (MLFromLevel) brings the coarse detail std within
// 4–7 % (score matching alone: 6–17 %), but at the finest fitted scale the
// diagonal channel's std is 11 % too large and the field kurtosis 1.45 vs
// 1.35, so the spectrum error is 0.24 (floor 0.04) and the histogram L1
// 0.115 (limit 0.034). Issue 9 stays open on this point.
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
	floorSet := lattice.Stack{N: 500, L: L, Data: all.Data[:500*L*L]}
	tData := time.Since(start)
	set := DefaultSettings()
	set.Seed = 5
	set.MLFromLevel = 2
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
	judgeGeneration(t, held, floorSet, res.Fields, true)
}
