package wcrg

import (
	"bytes"
	"context"
	"github.com/wcrglab/wcrg/engine/fieldio"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/lattice"
)

func freeField(t testing.TB, n, L int, m float64, seed uint64) lattice.Stack {
	t.Helper()
	g, err := gaussfield.NewSampler(L, gaussfield.FreeField(m))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	s := lattice.NewStack(n, L)
	for i := 0; i < n; i++ {
		g.Sample(s.Field(i).Data, rng)
	}
	return s
}

// TestFitSampleGaussianRoundTrip fits a model to free fields (ξ = 4, L = 16),
// saves and reloads it (bit-identical energies), samples new fields and
// compares their power spectrum with the exact one.
func TestFitSampleGaussianRoundTrip(t *testing.T) {
	const L, n, mass = 16, 1500, 0.25
	data := freeField(t, n, L, mass, 1)
	set := DefaultSettings()
	set.Seed = 3
	m, err := Fit(context.Background(), data, set, Provenance{File: "gaussian"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	js, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(js)
	m2, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	checkSameEnergies(t, m, m2, 0.3)

	// The default sampler (global MALA, then site sweeps), global MALA
	// alone, and site sweeps after only 10 global steps must all give the
	// exact spectrum.
	for _, ss := range []SampleSettings{
		{N: 600, Seed: 5},
		{N: 600, Seed: 6, Steps: 300, Sweeps: -1},
		{N: 600, Seed: 7, Steps: 10, Adapt: 10, Sweeps: 60},
		{N: 600, Seed: 8, Steps: 10, Adapt: 10, Sweeps: 15, CoarseFactor: 4}, // 40 and 60 above the finest scale
	} {
		res, err := Sample(context.Background(), m2, ss, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range res.Scales {
			t.Logf("steps %d, sweeps %d: level %d: δ = %.4g, acceptance %.3f, sweep δ = %.4g, acceptance %.3f",
				ss.Steps, ss.Sweeps, sc.Level, sc.Delta, sc.Acceptance, sc.SweepDelta, sc.SweepAcceptance)
			if ss.Sweeps >= 0 && sc.Level <= m2.Levels && !(sc.SweepAcceptance > 0.4 && sc.SweepAcceptance < 0.8) {
				t.Errorf("level %d: site-sweep acceptance %.3f, want near 0.57", sc.Level, sc.SweepAcceptance)
			}
			if f := max(ss.CoarseFactor, 1); f > 1 {
				if sc.Level >= 2 && (sc.Steps != f*ss.Steps || sc.Sweeps != f*ss.Sweeps) || sc.Level == 1 && (sc.Steps != ss.Steps || sc.Sweeps != ss.Sweeps) {
					t.Errorf("coarse factor %d, level %d: %d steps and %d sweeps run (the settings' %d and %d)", f, sc.Level, sc.Steps, sc.Sweeps, ss.Steps, ss.Sweeps)
				}
			}
		}
		checkFreeSpectrum(t, res.Fields, L, mass)
	}
}

// checkFreeSpectrum compares the radial power spectrum of fields with the
// exact free-field spectrum of the given mass.
func checkFreeSpectrum(t *testing.T, fields lattice.Stack, L int, mass float64) {
	t.Helper()
	got := lattice.PowerSpectrum(fields, 0).Radial()
	exact := gaussfield.FreeField(mass)
	for b := 1; b < len(got.Power) && b <= L/2; b++ {
		// Exact ring average.
		var s, c float64
		for i := 0; i < L; i++ {
			for k := 0; k < L; k++ {
				f1, f2 := fold(i, L), fold(k, L)
				if int(math.Round(math.Hypot(float64(f1), float64(f2)))) == b {
					s += exact(2*math.Pi*float64(f1)/float64(L), 2*math.Pi*float64(f2)/float64(L))
					c++
				}
			}
		}
		want := s / c
		// Statistical error of 600 fields plus the model's error: 5σ or 5 %.
		tol := math.Max(5*got.StdErr[b], 0.05*want)
		if math.Abs(got.Power[b]-want) > tol {
			t.Errorf("|n| = %d: generated G = %.4g, exact %.4g (±%.2g)", b, got.Power[b], want, got.StdErr[b])
		}
	}
}

// checkSameEnergies requires bit-identical conditional energies of two
// models (one saved and reloaded) at random fields of scale sx, at every
// level, and that both evaluations lie in the support.
func checkSameEnergies(t *testing.T, m, m2 *Model, sx float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(9, 9))
	for j := 1; j <= m.Levels; j++ {
		a, b := m.Conditionals[j-1], m2.Conditionals[j-1]
		ca, cb := a.NewConditioned(), b.NewConditioned()
		cond := make([]float64, a.N*a.N)
		x := make([]float64, a.Dim())
		for i := range cond {
			cond[i] = 0.3 * rng.NormFloat64()
		}
		for i := range x {
			x[i] = sx * rng.NormFloat64()
		}
		ca.SetCondition(cond)
		cb.SetCondition(cond)
		ea, oka := ca.Energy(x)
		eb, okb := cb.Energy(x)
		if !oka || !okb || ea != eb {
			t.Errorf("scale %d: energy %v (in support %v) before saving, %v (%v) after loading", j, ea, oka, eb, okb)
		}
	}
}

func fold(i, L int) int {
	if 2*i > L {
		return i - L
	}
	return i
}

// TestCompareSameDistribution: two independent sets of free fields agree on
// every statistic within 4 combined standard errors, and the jackknife
// errors match the spread of the statistic between independent sets.
func TestCompareSameDistribution(t *testing.T) {
	a := freeField(t, 400, 16, 0.3, 1)
	b := freeField(t, 400, 16, 0.3, 2)
	c, err := Compare(a, b, "db4", 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Scalars {
		d, e := s.Diff()
		if math.Abs(d) > 4*e {
			t.Errorf("%s: %.4g vs %.4g (difference %.3g ± %.2g)", s.Name, s.A, s.B, d, e)
		}
	}
	for _, s := range c.Scales {
		if d, e := s.StdB-s.StdA, math.Hypot(s.ErrA, s.ErrB); math.Abs(d) > 4*e {
			t.Errorf("level %d channel %d: std %.4g vs %.4g (± %.2g)", s.Level, s.Channel, s.StdA, s.StdB, e)
		}
	}
	t.Logf("spectrum max rel. error %.3f, histogram L1 %.3f", c.SpectrumMaxRelErr, c.HistL1)
}

// TestMLFromLevel: with MLFromLevel the coarse scales are refined by
// maximum likelihood after score matching and the fine ones are not; a
// negative level is refused.
func TestMLFromLevel(t *testing.T) {
	st, _, err := fieldio.Read("../../testdata/phi4_L32_beta0.68.npy", fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := DefaultSettings()
	set.MLFromLevel = 4
	set.Seed = 3
	m, err := Fit(context.Background(), *st, set, Provenance{File: "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Diagnostics[1:] {
		want := EstimatorSM
		if d.Level >= 4 {
			want = EstimatorSMML
		}
		if d.Estimator != want || (want == EstimatorSMML) != (d.MLIterations > 0) {
			t.Errorf("level %d: estimator %q with %d ML iterations, want %q", d.Level, d.Estimator, d.MLIterations, want)
		}
	}
	set.MLFromLevel = -1
	if set.Validate() == nil {
		t.Error("MLFromLevel −1 accepted")
	}
}

// TestSampleCoarseFactorValidate checks the range check of
// SampleSettings.CoarseFactor.
func TestSampleCoarseFactorValidate(t *testing.T) {
	for _, f := range []int{-1, 20000} {
		if (SampleSettings{N: 1, CoarseFactor: f}).Validate() == nil {
			t.Errorf("coarse factor %d accepted", f)
		}
	}
	if (SampleSettings{N: 1, Steps: 1e6, CoarseFactor: 100}).Validate() == nil {
		t.Error("1e8 steps per scale accepted")
	}
	if err := (SampleSettings{N: 1, CoarseFactor: 8}).Validate(); err != nil {
		t.Error(err)
	}
}
