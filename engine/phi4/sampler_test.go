package phi4

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// newTestSampler builds each sampler with explicit worker counts.
func newTestSampler(t testing.TB, alg Algorithm, m Model, seed uint64, workers int) Sampler {
	t.Helper()
	var s Sampler
	var err error
	switch alg {
	case AlgMetropolis:
		s, err = NewMetropolis(m, MetropolisSettings{Seed: seed, Workers: workers})
	case AlgHMC:
		s, err = NewHMC(m, HMCSettings{Seed: seed, Workers: workers})
	case AlgCluster:
		s, err = NewCluster(m, ClusterSettings{Seed: seed, Metropolis: MetropolisSettings{Workers: workers}})
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDeterminism: the same seed gives bit-identical fields and statistics,
// for 1, 2 and 3 workers; another seed gives another chain.
func TestDeterminism(t *testing.T) {
	const L = 64
	m := Phi4{L: L, Beta: 0.68}
	ctx := context.Background()
	for _, alg := range Algorithms() {
		run := func(seed uint64, workers int) ([]float64, Stats) {
			s := newTestSampler(t, alg, m, seed, workers)
			f := lattice.NewField(L)
			if err := InitField(f, m, Hot, seed); err != nil {
				t.Fatal(err)
			}
			if err := s.Thermalize(ctx, f, 20, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.Run(ctx, f, 15, nil); err != nil {
				t.Fatal(err)
			}
			return f.Data, s.Stats()
		}
		ref, refStats := run(11, 1)
		for _, w := range []int{1, 2, 3} {
			got, st := run(11, w)
			if !slices.Equal(got, ref) || st != refStats {
				t.Errorf("%s: workers=%d differs from workers=1 (stats %+v vs %+v)", alg, w, st, refStats)
			}
		}
		if other, _ := run(12, 2); slices.Equal(other, ref) {
			t.Errorf("%s: seeds 11 and 12 give the same field", alg)
		}
	}
}

// TestParallelTeamsRun checks that the multi-worker paths really split the
// work at the sizes used above.
func TestParallelTeamsRun(t *testing.T) {
	m := Phi4{L: 64, Beta: 0.68}
	mp, _ := NewMetropolis(m, MetropolisSettings{Workers: 2})
	h, _ := NewHMC(m, HMCSettings{Workers: 3})
	if mp.team.workers() != 2 || len(mp.team.claimed) < 2 || h.team.workers() < 2 {
		t.Errorf("teams: Metropolis %d workers/%d chunks, HMC %d workers", mp.team.workers(), len(mp.team.claimed), h.team.workers())
	}
}

func TestCancellationAndObserver(t *testing.T) {
	m := Phi4{L: 16, Beta: 0.68}
	for _, alg := range Algorithms() {
		s := newTestSampler(t, alg, m, 1, 2)
		f := lattice.NewField(16)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Run(ctx, f, 10, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled Run returned %v", alg, err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		n := 0
		err := s.Thermalize(ctx, f, 1000, func(p Progress, _ lattice.Field) error {
			n++
			if p.Phase != Thermalizing || p.Total != 1000 || p.Sweep != n || !(p.Step > 0) {
				t.Errorf("%s: progress %+v", alg, p)
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
		err = s.Run(context.Background(), f, 1000, func(p Progress, _ lattice.Field) error {
			n++
			if p.Phase != Sampling {
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
		if err := s.Run(context.Background(), lattice.NewField(8), 1, nil); err == nil {
			t.Errorf("%s: accepted a field of the wrong size", alg)
		}
		if err := s.Run(context.Background(), f, -1, nil); err == nil {
			t.Errorf("%s: accepted −1 sweeps", alg)
		}
	}
}

// TestNoAllocations: a call (and hence every sweep) allocates nothing, for
// one and two workers.
func TestNoAllocations(t *testing.T) {
	m := Phi4{L: 64, Beta: 0.68}
	ctx := context.Background()
	for _, alg := range Algorithms() {
		for _, w := range []int{1, 2} {
			s := newTestSampler(t, alg, m, 1, w)
			f := lattice.NewField(64)
			if err := s.Thermalize(ctx, f, 5, nil); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(5, func() {
				if err := s.Run(ctx, f, 3, nil); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, %d workers: %.1f allocations per call", alg, w, allocs)
			}
		}
	}
}

// TestTuning: thermalization brings the Metropolis acceptance to 0.5 and
// the HMC acceptance to 0.75. Tolerances: the frozen step is a geometric
// mean over a noisy adaptation; 0.03 and 0.08 are loose bounds.
func TestTuning(t *testing.T) {
	m := Phi4{L: 32, Beta: 0.68}
	ctx := context.Background()
	for _, c := range []struct {
		alg    Algorithm
		target float64
		tol    float64
	}{{AlgMetropolis, 0.5, 0.03}, {AlgHMC, 0.75, 0.08}, {AlgCluster, 0.5, 0.03}} {
		s := newTestSampler(t, c.alg, m, 3, 0)
		f := lattice.NewField(32)
		InitField(f, m, Cold, 0)
		if err := s.Thermalize(ctx, f, 400, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx, f, 400, nil); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		t.Logf("%s: acceptance %.3f, step %.3f, %d leapfrog steps, %d clusters/sweep", c.alg, st.Acceptance, st.Step, st.LeapfrogSteps, st.Clusters)
		if math.Abs(st.Acceptance-c.target) > c.tol {
			t.Errorf("%s: acceptance %.3f after tuning, want %.2f ± %.2f", c.alg, st.Acceptance, c.target, c.tol)
		}
	}
}

// TestGaussianExact runs every sampler on the massive free field and
// compares ⟨φ²⟩ and the second-moment ξ with the exact values
// ⟨φ²⟩ = (1/L²)Σ_k 1/(m² + K̂(k)) and ξ = 1/m (spec §7.2), within 3 standard
// errors from 40 batch means (jackknife for ξ). The batches must be much
// longer than τ_int, which the test checks (≥ 20 τ_int).
func TestGaussianExact(t *testing.T) {
	m := Gaussian{L: 16, Mass: 0.5}
	phi2, xi := m.Phi2(), m.Xi()
	scale := 1
	if testing.Short() {
		scale = 4
	}
	for _, c := range []struct {
		alg          Algorithm
		sweeps, keep int
	}{
		{AlgMetropolis, 120000, 10},
		{AlgHMC, 40000, 4},
		{AlgCluster, 100000, 10},
	} {
		t.Run(string(c.alg), func(t *testing.T) {
			t.Parallel()
			s := newTestSampler(t, c.alg, m, 21, 1)
			r := collect(t, s, 2000, c.sweeps/scale, c.keep, 5)
			const nb = 40
			mean, se, tau := batchMeans(r.phi2, nb)
			x, xse := xiJackknife(r.fields, nb)
			_, _, tauM := batchMeans(r.m, nb)
			bl := float64(len(r.phi2) / nb)
			t.Logf("⟨φ²⟩ = %.5f ± %.5f (exact %.5f, τ_int %.1f); ξ = %.4f ± %.4f (exact %.4f; τ_int(m) %.1f); acceptance %.3f",
				mean, se, phi2, tau, x, xse, xi, tauM, s.Stats().Acceptance)
			if bl < 20*max(tau, tauM) {
				t.Errorf("batches of %g sweeps are too short for τ_int = %.1f", bl, max(tau, tauM))
			}
			if math.Abs(mean-phi2) > 3*se {
				t.Errorf("⟨φ²⟩ = %.5f ± %.5f, exact %.5f (%.1fσ)", mean, se, phi2, (mean-phi2)/se)
			}
			if math.Abs(x-xi) > 3*xse {
				t.Errorf("ξ = %.4f ± %.4f, exact %.4f (%.1fσ)", x, xse, xi, (x-xi)/xse)
			}
		})
	}
}

// TestPhi4SamplersAgree: the three samplers agree on ⟨φ²⟩ and L²⟨m²⟩ of
// φ⁴ at L = 16 in the disordered phase (β = 0.6) and at β_c ≈ 0.68, pairwise
// within 3.5 combined batch-means standard errors (3 pairs × 2 observables
// × 2 β). Local and global updates share no code path beyond the model, so
// this checks the cluster and HMC updates on a non-Gaussian model.
func TestPhi4SamplersAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test")
	}
	for _, beta := range []float64{0.6, 0.68} {
		t.Run(fmt.Sprintf("beta=%.2f", beta), func(t *testing.T) {
			t.Parallel()
			m := Phi4{L: 16, Beta: beta}
			type res struct{ phi2, se2, chi, sechi float64 }
			out := map[Algorithm]res{}
			// τ_int of L²⟨m²⟩ at β = 0.68: ≈ 160 (Metropolis), 90 (HMC), 4 (cluster).
			sweeps := map[Algorithm]int{AlgMetropolis: 200000, AlgHMC: 60000, AlgCluster: 60000}
			if beta > 0.65 {
				sweeps[AlgHMC] = 200000
			}
			for _, alg := range Algorithms() {
				s := newTestSampler(t, alg, m, 31, 1)
				r := collect(t, s, 2000, sweeps[alg], sweeps[alg], 7)
				p, pse, ptau := batchMeans(r.phi2, 40)
				m2 := make([]float64, len(r.m))
				for i, v := range r.m {
					m2[i] = v * v * float64(m.L*m.L)
				}
				c, cse, ctau := batchMeans(m2, 40)
				t.Logf("%s: ⟨φ²⟩ = %.5f ± %.5f (τ %.1f), L²⟨m²⟩ = %.4f ± %.4f (τ %.1f)", alg, p, pse, ptau, c, cse, ctau)
				if bl := float64(sweeps[alg] / 40); bl < 20*max(ptau, ctau) {
					t.Errorf("%s: batches of %g sweeps are too short for τ_int = %.1f", alg, bl, max(ptau, ctau))
				}
				out[alg] = res{p, pse, c, cse}
			}
			algs := Algorithms()
			for i := range algs {
				for j := i + 1; j < len(algs); j++ {
					a, b := out[algs[i]], out[algs[j]]
					if d := math.Abs(a.phi2 - b.phi2); d > 3.5*math.Hypot(a.se2, b.se2) {
						t.Errorf("⟨φ²⟩: %s %.5f vs %s %.5f", algs[i], a.phi2, algs[j], b.phi2)
					}
					if d := math.Abs(a.chi - b.chi); d > 3.5*math.Hypot(a.sechi, b.sechi) {
						t.Errorf("L²⟨m²⟩: %s %.4f vs %s %.4f", algs[i], a.chi, algs[j], b.chi)
					}
				}
			}
		})
	}
}

// TestBinderCrossing checks the φ⁴ critical point with the cluster hybrid:
// the Binder cumulants of L = 16, 32, 64 are ordered U_16 > U_32 > U_64 at
// β = 0.67 (disordered side) and U_16 < U_32 < U_64 at β = 0.69 (ordered
// side), so they cross between (β_c ≈ 0.68, spec §6.1, from Kaupužs et al.
// 2016 via the CSLC paper), and U(L = 32, β = 0.68) ∈ [0.55, 0.65] (2D
// Ising U* ≈ 0.611; spec §6.3 and §9). Every ordering must hold by at least
// 3 jackknife standard errors.
func TestBinderCrossing(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test")
	}
	sweeps := map[int]int{16: 20000, 32: 10000, 64: 5000}
	u := map[string][2]float64{}
	key := func(beta float64, L int) string { return fmt.Sprintf("%.2f/%d", beta, L) }
	type job struct {
		beta float64
		L    int
	}
	jobs := []job{{0.67, 16}, {0.67, 32}, {0.67, 64}, {0.69, 16}, {0.69, 32}, {0.69, 64}, {0.68, 32}}
	for i, j := range jobs {
		m := Phi4{L: j.L, Beta: j.beta}
		s := newTestSampler(t, AlgCluster, m, uint64(100+i), 0)
		r := collect(t, s, 1000, sweeps[j.L], sweeps[j.L], uint64(i))
		v, se := binder(r.m, j.L, 40)
		st := s.Stats()
		t.Logf("β = %.2f, L = %2d: U = %.4f ± %.4f (%d sweeps, %d clusters/sweep of ⟨|C|⟩ = %.0f sites)",
			j.beta, j.L, v, se, sweeps[j.L], st.Clusters, st.MeanClusterSize)
		u[key(j.beta, j.L)] = [2]float64{v, se}
	}
	less := func(a, b string) {
		x, y := u[a], u[b]
		if !(y[0]-x[0] > 3*math.Hypot(x[1], y[1])) {
			t.Errorf("U(%s) = %.4f ± %.4f is not clearly below U(%s) = %.4f ± %.4f", a, x[0], x[1], b, y[0], y[1])
		}
	}
	less(key(0.67, 64), key(0.67, 32))
	less(key(0.67, 32), key(0.67, 16))
	less(key(0.69, 16), key(0.69, 32))
	less(key(0.69, 32), key(0.69, 64))
	if c := u[key(0.68, 32)]; c[0] < 0.55 || c[0] > 0.65 {
		t.Errorf("U(L=32, β=0.68) = %.4f ± %.4f, want in [0.55, 0.65]", c[0], c[1])
	}
}

func TestGenerate(t *testing.T) {
	m := Phi4{L: 16, Beta: 0.68}
	s, err := NewSampler(AlgCluster, m, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	st, err := Generate(context.Background(), s, GenerateSettings{Samples: 6, Thermalize: 50, Interval: 3, Start: Hot, StartSeed: 2},
		func(p Progress) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.N != 6 || st.L != 16 || calls != 50+18 {
		t.Errorf("stack %d×%d, %d progress calls", st.N, st.L, calls)
	}
	for i := 1; i < st.N; i++ {
		if slices.Equal(st.Field(i).Data, st.Field(i-1).Data) {
			t.Errorf("fields %d and %d are identical", i-1, i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, s, GenerateSettings{Samples: 2, Interval: 1}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Generate: %v", err)
	}
	if _, err := NewSampler("gibbs", m, 1, 1); err == nil {
		t.Error("NewSampler accepted an unknown algorithm")
	}
}

func TestInitField(t *testing.T) {
	m := Phi4{L: 8, Beta: 0.68}
	f := lattice.NewField(8)
	if err := InitField(f, m, Cold, 0); err != nil {
		t.Fatal(err)
	}
	// Uniform minimum of −2βφ² − φ² + φ⁴ per site: φ² = (1 + 2β)/2.
	if want := math.Sqrt((1 + 2*0.68) / 2); math.Abs(f.Data[5]-want) > 1e-15 {
		t.Errorf("cold start %g, want %g", f.Data[5], want)
	}
	if err := InitField(f, m, Hot, 3); err != nil || lattice.Std(f.Data) < 0.3 {
		t.Errorf("hot start: std %g, %v", lattice.Std(f.Data), err)
	}
	if err := InitField(f, Gaussian{L: 8, Mass: 1}, Cold, 0); err != nil || f.Data[0] != 0 {
		t.Errorf("Gaussian cold start %g, %v", f.Data[0], err)
	}
	if err := InitField(f, m, Start(7), 0); err == nil {
		t.Error("unknown start accepted")
	}
}
