package wcrg

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/energy"
)

// TestPairPotentialGaussian fits free fields with maximum likelihood and
// pair potentials (Settings.PairNodes): the scales whose finer field is at
// least PairMinSide wide get one, the model file keeps it bit for bit, and
// generation (global MALA and site sweeps, which evaluate the pair
// potential locally) still gives the exact free-field spectrum, because a
// Gaussian's neighbour pairs are already described by the quadratic part.
// The term-by-term H₀ refuses the model with a clear error.
func TestPairPotentialGaussian(t *testing.T) {
	const L, mass = 16, 0.25
	set := DefaultSettings()
	set.Seed = 3
	set.Estimator = EstimatorSMML
	set.PairNodes = 6
	set.ML.Iterations = 60
	data := freeField(t, 400, L, mass, 1)
	start := time.Now()
	m, err := Fit(context.Background(), data, set, Provenance{File: "gaussian"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit %s", time.Since(start).Round(time.Millisecond))
	want := []int{}
	for j := 1; j <= m.Levels; j++ {
		if L>>(j-1) >= PairMinSide {
			want = append(want, j)
		}
	}
	if got := m.PairLevels(); len(got) != len(want) || len(got) == 0 {
		t.Fatalf("pair potentials at levels %v, want %v", got, want)
	}
	for _, j := range want {
		e := m.Conditionals[j-1]
		if e.Pair.Nodes != 6 || len(e.PairCoefficients()) != 35 || e.NumParams() != len(e.Theta) {
			t.Errorf("level %d: pair basis %+v, %d coefficients, %d parameters of %d", j, e.Pair, len(e.PairCoefficients()), e.NumParams(), len(e.Theta))
		}
	}

	js, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	checkSameEnergies(t, m, m2, 0.1)

	for _, ss := range []SampleSettings{
		{N: 400, Seed: 5, Steps: 30, Adapt: 30, Sweeps: 30},
		{N: 400, Seed: 6, Steps: 200, Sweeps: -1},
	} {
		start := time.Now()
		res, err := Sample(context.Background(), m2, ss, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("sampling %+v: %s", ss, time.Since(start).Round(time.Millisecond))
		for _, sc := range res.Scales {
			if ss.Sweeps > 0 && sc.Level <= m2.Levels && sc.Sweeps != ss.Sweeps {
				t.Errorf("level %d ran %d sweeps, want %d (site sweeps with pair potentials)", sc.Level, sc.Sweeps, ss.Sweeps)
			}
		}
		checkFreeSpectrum(t, res.Fields, L, mass)
	}

	free := make([]*energy.Model, m.Levels)
	if _, err := BuildHamiltonian(m, free, data); err == nil || !strings.Contains(err.Error(), "pair potentials") {
		t.Errorf("BuildHamiltonian of a model with pair potentials: %v", err)
	}
}
