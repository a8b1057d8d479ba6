package ising

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/phi4"
)

func TestModelValidate(t *testing.T) {
	for _, m := range []Model{{4, 0}, {8, BetaC}, {MaxSide, 1}, {16, 100}} {
		if err := m.Validate(); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	for _, m := range []Model{{2, 0.4}, {5, 0.4}, {0, 0.4}, {-4, 0.4}, {2 * MaxSide, 0.4}, {8, -0.1}, {8, math.NaN()}, {8, math.Inf(1)}} {
		if err := m.Validate(); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
}

// naiveEnergy is H = −Σ_x Σ_μ s_x s_{x+μ} with explicit wrapping.
func naiveEnergy(f lattice.Field) float64 {
	var e float64
	for r := range f.L {
		for c := range f.L {
			e -= f.At(r, c) * (f.At(r+1, c) + f.At(r, c+1))
		}
	}
	return e
}

func TestEnergy(t *testing.T) {
	for _, L := range []int{4, 6, 16} {
		m := Model{L: L, Beta: 0.3}
		f := lattice.NewField(L)
		for i := range f.Data {
			f.Data[i] = 1
		}
		if e := m.Energy(f.Data); e != float64(-2*L*L) {
			t.Errorf("L=%d: ground-state energy %g, want %d", L, e, -2*L*L)
		}
		for i := range f.Data {
			f.Data[i] = float64(1 - 2*((i/L+i%L)%2))
		}
		if e := m.Energy(f.Data); e != float64(2*L*L) {
			t.Errorf("L=%d: checkerboard energy %g, want %d", L, e, 2*L*L)
		}
		if err := HotStart(f, m, 9); err != nil {
			t.Fatal(err)
		}
		if e, want := m.Energy(f.Data), naiveEnergy(f); e != want {
			t.Errorf("L=%d: energy %g, naive %g", L, e, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Energy of a field of the wrong size did not panic")
		}
	}()
	Model{L: 4}.Energy(make([]float64, 15))
}

func TestHotStart(t *testing.T) {
	m := Model{L: 64, Beta: 0.4}
	f, g := lattice.NewField(64), lattice.NewField(64)
	if err := HotStart(f, m, 3); err != nil {
		t.Fatal(err)
	}
	HotStart(g, m, 3)
	if !slices.Equal(f.Data, g.Data) {
		t.Error("same seed, different start")
	}
	HotStart(g, m, 4)
	if slices.Equal(f.Data, g.Data) {
		t.Error("seeds 3 and 4 give the same start")
	}
	for _, v := range f.Data {
		if v != 1 && v != -1 {
			t.Fatalf("start value %g", v)
		}
	}
	// 4096 independent ±1: m has standard deviation 1/64.
	if mag := lattice.Magnetization(f); math.Abs(mag) > 4.0/64 {
		t.Errorf("hot start magnetization %g (σ = 1/64)", mag)
	}
	if err := HotStart(lattice.NewField(8), m, 1); err == nil {
		t.Error("HotStart accepted a field of the wrong side")
	}
}

func TestConstructors(t *testing.T) {
	m := Model{L: 8, Beta: 0.4}
	for _, alg := range Algorithms() {
		if _, err := NewSampler(alg, m, 1); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
		ens, err := Ensemble(m, alg)
		if err != nil || ens.Name != string(alg) || ens.L != 8 {
			t.Errorf("%s: ensemble %+v, %v", alg, ens, err)
		}
	}
	if _, err := NewSampler("heatbath", m, 1); err == nil {
		t.Error("unknown sampler accepted")
	}
	if _, err := Ensemble(m, "cluster"); err == nil {
		t.Error("unknown sampler accepted by Ensemble")
	}
	if _, err := NewSampler(AlgWolff, Model{L: 7, Beta: 0.4}, 1); err == nil {
		t.Error("invalid model accepted")
	}
}

// series runs a sampler of m from a hot start, thermalizes and returns |m|
// and E/L² after every one of sweeps sweeps.
func series(t *testing.T, alg Algorithm, m Model, seed uint64, therm, sweeps int) (absM, ener []float64, st phi4.Stats) {
	t.Helper()
	s, err := NewSampler(alg, m, seed)
	if err != nil {
		t.Fatal(err)
	}
	f := lattice.NewField(m.L)
	if err := HotStart(f, m, seed+1000); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Thermalize(ctx, f, therm, nil); err != nil {
		t.Fatal(err)
	}
	absM, ener = make([]float64, 0, sweeps), make([]float64, 0, sweeps)
	n := float64(m.L * m.L)
	err = s.Run(ctx, f, sweeps, func(_ phi4.Progress, f lattice.Field) error {
		absM = append(absM, math.Abs(lattice.Magnetization(f)))
		ener = append(ener, m.Energy(f.Data)/n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return absM, ener, s.Stats()
}

// TestSamplersExact compares ⟨|m|⟩ and ⟨E⟩/L² of every sampler at L = 4 and
// 8 and β = 0.3, β_c, 0.6 with the exact transfer-matrix values
// (ExactSmall, itself checked against enumeration). The error of a mean is
// σ√(2τ_int/N) with τ_int from the Γ method (mcmc.IntegratedTime,
// Madras–Sokal window); the tolerance is 4 errors.
func TestSamplersExact(t *testing.T) {
	sweeps := 400000
	if testing.Short() {
		sweeps = 100000
	}
	for _, alg := range Algorithms() {
		for _, L := range []int{4, 8} {
			for _, beta := range []float64{0.3, BetaC, 0.6} {
				t.Run(fmt.Sprintf("%s/L=%d/beta=%.4f", alg, L, beta), func(t *testing.T) {
					t.Parallel()
					ex, err := ExactSmall(L, beta)
					if err != nil {
						t.Fatal(err)
					}
					absM, ener, _ := series(t, alg, Model{L: L, Beta: beta}, 11, 1000, sweeps)
					for _, c := range []struct {
						name  string
						x     []float64
						exact float64
					}{{"⟨|m|⟩", absM, ex.MeanAbsM}, {"⟨E⟩/L²", ener, ex.Energy}} {
						ti, err := mcmc.IntegratedTime([][]float64{c.x}, mcmc.AutocorrSettings{})
						if err != nil {
							t.Fatal(err)
						}
						if !ti.Reliable() {
							t.Errorf("%s: τ_int = %.1f not reliable", c.name, ti.Tau)
						}
						dev := (ti.Mean - c.exact) / ti.MeanErr
						t.Logf("%s = %.5f ± %.5f (exact %.5f, %+.1fσ), τ_int = %.2f", c.name, ti.Mean, ti.MeanErr, c.exact, dev, ti.Tau)
						if math.Abs(dev) > 4 {
							t.Errorf("%s = %.5f ± %.5f, exact %.5f (%.1fσ)", c.name, ti.Mean, ti.MeanErr, c.exact, dev)
						}
					}
				})
			}
		}
	}
}

// TestDeterminism: the same seed gives the same chain; another seed does
// not.
func TestDeterminism(t *testing.T) {
	m := Model{L: 16, Beta: BetaC}
	run := func(alg Algorithm, seed uint64) []float64 {
		s, _ := NewSampler(alg, m, seed)
		f := lattice.NewField(16)
		HotStart(f, m, seed)
		ctx := context.Background()
		if err := s.Thermalize(ctx, f, 20, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx, f, 30, nil); err != nil {
			t.Fatal(err)
		}
		return f.Data
	}
	for _, alg := range Algorithms() {
		if a, b := run(alg, 5), run(alg, 5); !slices.Equal(a, b) {
			t.Errorf("%s: seed 5 twice gives different fields", alg)
		}
		if a, b := run(alg, 5), run(alg, 6); slices.Equal(a, b) {
			t.Errorf("%s: seeds 5 and 6 give the same field", alg)
		}
	}
}

func TestCancellationAndObserver(t *testing.T) {
	m := Model{L: 16, Beta: BetaC}
	for _, alg := range Algorithms() {
		s, _ := NewSampler(alg, m, 1)
		f := lattice.NewField(16)
		HotStart(f, m, 1)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Run(ctx, f, 10, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled Run returned %v", alg, err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		n := 0
		err := s.Thermalize(ctx, f, 1000, func(p phi4.Progress, g lattice.Field) error {
			n++
			if p.Phase != phi4.Thermalizing || p.Total != 1000 || p.Sweep != n || p.Acceptance <= 0 || p.Acceptance > 1 {
				t.Errorf("%s: progress %+v", alg, p)
			}
			if alg != AlgMetropolis && p.Clusters < 1 {
				t.Errorf("%s: progress without clusters %+v", alg, p)
			}
			if &g.Data[0] != &f.Data[0] {
				t.Errorf("%s: observer got another field", alg)
			}
			if n == 5 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || n != 5 {
			t.Errorf("%s: cancel in observer: err %v after %d sweeps", alg, err, n)
		}
		stop := errors.New("enough")
		n = 0
		err = s.Run(context.Background(), f, 1000, func(p phi4.Progress, _ lattice.Field) error {
			n++
			if p.Phase != phi4.Sampling {
				t.Errorf("%s: phase %v", alg, p.Phase)
			}
			if n == 3 {
				return stop
			}
			return nil
		})
		if err != stop || n != 3 {
			t.Errorf("%s: observer error: got %v after %d sweeps", alg, err, n)
		}
		if st := s.Stats(); st.Seed != 1 || st.Sweeps != 8 {
			t.Errorf("%s: stats %+v, want seed 1 and 8 sweeps", alg, st)
		}
		if err := s.Run(context.Background(), lattice.NewField(8), 1, nil); err == nil {
			t.Errorf("%s: accepted a field of the wrong size", alg)
		}
		if err := s.Run(context.Background(), f, -1, nil); err == nil {
			t.Errorf("%s: accepted −1 sweeps", alg)
		}
		g := f.Clone()
		g.Data[37] = 0
		if err := s.Run(context.Background(), g, 1, nil); err == nil {
			t.Errorf("%s: accepted a field that is not ±1", alg)
		} else {
			t.Logf("%s: %v", alg, err)
		}
	}
}

// TestNoAllocations: after construction, a Run call (and hence every
// sweep) allocates nothing.
func TestNoAllocations(t *testing.T) {
	m := Model{L: 64, Beta: BetaC}
	ctx := context.Background()
	for _, alg := range Algorithms() {
		s, _ := NewSampler(alg, m, 1)
		f := lattice.NewField(64)
		HotStart(f, m, 1)
		if err := s.Thermalize(ctx, f, 20, nil); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(5, func() {
			if err := s.Run(ctx, f, 3, nil); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per call", alg, allocs)
		}
	}
}

// TestWolffSweepUnit: after thermalization a Wolff sweep flips L² spins on
// average (n_c·⟨|C|⟩ = L²), at high, critical and low temperature, within
// 10 %: n_c comes from the mean cluster size of the second half of 1000
// thermalization sweeps, ≥ 500 clusters with σ(|C|) ≈ ⟨|C|⟩ at β_c (≈ 4.5 %
// standard error), and ⟨|C|⟩ of the run's 2000 sweeps has half that error.
func TestWolffSweepUnit(t *testing.T) {
	for _, c := range []struct {
		L    int
		beta float64
	}{{32, 0.2}, {32, BetaC}, {64, BetaC}, {32, 0.6}} {
		m := Model{L: c.L, Beta: c.beta}
		s, _ := NewSampler(AlgWolff, m, 2)
		f := lattice.NewField(c.L)
		HotStart(f, m, 2)
		ctx := context.Background()
		if err := s.Thermalize(ctx, f, 1000, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx, f, 2000, nil); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		nc := s.(*wolff).nc
		perSweep := float64(st.Proposed) / 2000 // clusters flipped per sweep
		ratio := perSweep * st.MeanClusterSize / float64(c.L*c.L)
		t.Logf("L=%d β=%.4f: n_c = %.3f, clusters per sweep %.3f, ⟨|C|⟩ = %.1f, spins flipped per sweep / L² = %.3f",
			c.L, c.beta, nc, perSweep, st.MeanClusterSize, ratio)
		if math.Abs(ratio-1) > 0.1 {
			t.Errorf("L=%d β=%g: spins flipped per sweep / L² = %.3f", c.L, c.beta, ratio)
		}
		if math.Abs(perSweep-nc) > 0.05*nc {
			t.Errorf("clusters per sweep %.3f, n_c = %.3f", perSweep, nc)
		}
		if st.Acceptance != 1 || st.Clusters != int(math.Round(nc)) {
			t.Errorf("stats %+v", st)
		}
	}
}

// TestSwendsenWangStats: at β = 0 no bond is set, so every site is its own
// cluster; at large β on an ordered field, one cluster spans the lattice.
func TestSwendsenWangStats(t *testing.T) {
	ctx := context.Background()
	m := Model{L: 16, Beta: 0}
	s, _ := NewSampler(AlgSwendsenWang, m, 4)
	f := lattice.NewField(16)
	HotStart(f, m, 4)
	if err := s.Run(ctx, f, 10, nil); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Clusters != 256 || st.MeanClusterSize != 1 {
		t.Errorf("β=0: stats %+v", st)
	}
	m = Model{L: 16, Beta: 30}
	s, _ = NewSampler(AlgSwendsenWang, m, 4)
	for i := range f.Data {
		f.Data[i] = 1
	}
	if err := s.Run(ctx, f, 10, nil); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Clusters != 1 || st.MeanClusterSize != 256 {
		t.Errorf("β=30: stats %+v", st)
	}
	if e := m.Energy(f.Data); e != -512 {
		t.Errorf("β=30: energy %g after SW sweeps of the ground state", e)
	}
}

// TestMakeStack runs the dataset wrapper through phi4.MakeChainDataset.
func TestMakeStack(t *testing.T) {
	m := Model{L: 8, Beta: BetaC}
	for _, alg := range Algorithms() {
		var last phi4.DatasetProgress
		st, rep, err := MakeStack(context.Background(), m, alg, phi4.DatasetSettings{Samples: 12, Seed: 3, Chains: 2, Thermalize: 200},
			func(p phi4.DatasetProgress) { last = p })
		if err != nil {
			t.Fatal(err)
		}
		if st.N != 12 || st.L != 8 || len(st.Data) != 12*64 || rep.Algorithm != phi4.Algorithm(alg) || rep.Stored != 12 || last.Done != 12 {
			t.Errorf("%s: stack %d×%d, report %+v, last progress %+v", alg, st.N, st.L, rep, last)
		}
		for _, v := range st.Data {
			if v != 1 && v != -1 {
				t.Fatalf("%s: stored value %g", alg, v)
			}
		}
		t.Logf("%s: τ_int(|m|) = %.2f, τ_int(E) = %.2f, interval %d sweeps", alg, rep.TauAbsM, rep.TauEnergy, rep.Interval)
	}
	// Deep in the ordered phase Wolff flips the whole aligned lattice every
	// sweep: |m| = 1 and E/L² = −2 in every pilot sample, which have no
	// τ_int. The data set is still made (stored every sweep) and the
	// report says why; it used to fail with a τ error.
	st, rep, err := MakeStack(context.Background(), Model{L: 8, Beta: 10}, AlgWolff, phi4.DatasetSettings{Samples: 4, Seed: 3, Chains: 2, Thermalize: 200}, nil)
	if err != nil {
		t.Fatalf("frozen chains: %v", err)
	}
	if st.N != 4 || rep.Interval != 1 || rep.TauAbsM != 0 || rep.TauEnergy != 0 || rep.TauReliable || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "|m| and E/L² did not change") {
		t.Errorf("frozen chains: %d fields, interval %d, τ %g and %g (reliable %v), warnings %q", st.N, rep.Interval, rep.TauAbsM, rep.TauEnergy, rep.TauReliable, rep.Warnings)
	}
	// Local Metropolis at β = 10 leaves chains stuck in different states
	// (ordered, or stripes that no single flip can undo): each chain is
	// constant but the chains differ, so the series has variance and no
	// decay. It used to double the pilot to its limit and store fields
	// 32001 sweeps apart.
	st, rep, err = MakeStack(context.Background(), Model{L: 32, Beta: 10}, AlgMetropolis, phi4.DatasetSettings{Samples: 4, Seed: 1, Chains: 4, Thermalize: 200}, nil)
	if err != nil {
		t.Fatalf("stuck chains: %v", err)
	}
	if rep.Interval != 1 || rep.PilotSweeps > 2000 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "did not change") {
		t.Errorf("stuck chains: interval %d, pilot %d sweeps, warnings %q", rep.Interval, rep.PilotSweeps, rep.Warnings)
	}
	// With this seed chain 0 is stuck in a stripe state (|m| ≈ 0.04) and
	// the others are ordered: the case of chains frozen apart.
	if m0, m1 := math.Abs(lattice.Magnetization(st.Field(0))), math.Abs(lattice.Magnetization(st.Field(1))); m0 == m1 {
		t.Errorf("stuck chains: |m| = %g in chains 0 and 1: the test no longer has chains frozen in different states", m0)
	}
	if _, _, err := MakeStack(context.Background(), m, "nope", phi4.DatasetSettings{Samples: 1}, nil); err == nil {
		t.Error("unknown sampler accepted")
	}
	if _, _, err := MakeStack(context.Background(), Model{L: 3}, AlgWolff, phi4.DatasetSettings{Samples: 1}, nil); err == nil {
		t.Error("invalid model accepted")
	}
}
