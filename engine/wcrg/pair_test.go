package wcrg

import (
	"bytes"
	"context"
	"math"
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
// The term-by-term H₀ of the model (regression route, pair potentials
// split into on-site parts and a coupling) has the free field's
// nearest-neighbour coupling −1; thermodynamic integration refuses it.
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

	if _, err := BuildHamiltonian(m, make([]*energy.Model, m.Levels), data); err == nil || !strings.Contains(err.Error(), "free energy") {
		t.Errorf("BuildHamiltonian without free energies: %v", err)
	}
	if _, err := FitFreeEnergies(context.Background(), m, data, FreeSettings{Route: RouteTI}, nil); err == nil || !strings.Contains(err.Error(), "pair potentials") {
		t.Errorf("thermodynamic integration of a model with pair potentials: %v", err)
	}
	free, err := FitFreeEnergies(context.Background(), m, data, FreeSettings{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j, f := range free {
		if above := m.energyOn(j + 1); above != nil && above.Pair.Len() > 0 && L>>(j+1) >= PairMinSide && f.Pair.Len() == 0 {
			t.Errorf("F̃_%d has no pair potential under a scale with one", j+1)
		}
	}
	h, err := BuildHamiltonian(m, free, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range h.Potentials {
		t.Logf("V_%d: pair %v, q %.4f, rest %.4f", p.Level, p.Pair, p.PairCoupling, p.PairResidual)
	}
	if k := h.RawKernelAt(1, 0); math.Abs(k+1) > 0.05 {
		t.Errorf("nearest-neighbour coupling %.4f, want −1 within 5 %%", k)
	}
}
