package energy

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// TestSiteLocalMatchesGlobal checks the site sweeper's local energy
// changes and gradients against the global evaluator: for every site of
// several models (conditional db4 and haar, plain, a window wider than the
// grid), the local ∇_s E equals EnergyGrad's, and moving the site by d
// changes the energy by what EnergyGrad computes on the moved field, with
// the gradient after the move equal to the global one (both to 1e-9
// relative: the two paths share no code beyond the potential).
func TestSiteLocalMatchesGlobal(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	sb := ScalarBasis{Kind: BasisBSpline2, Nodes: 20, Lo: -8, Hi: 8}
	haar, _ := wavelet.New("haar")
	mh, err := NewConditional(8, 2, sb, 1.4, haar)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(newModels(t, sb), mh) {
		for i := range m.Theta {
			m.Theta[i] = 0.3 * rng.NormFloat64()
		}
		c := m.NewConditioned()
		n, nc := m.N, m.Channels()
		nn := n * n
		if m.IsConditional() {
			c.SetCondition(randField(rng, nn, 1))
		}
		s, err := c.NewSiteSweeper()
		if err != nil {
			t.Fatal(err)
		}
		x := randField(rng, m.Dim(), 1)
		if err := s.load(x); err != nil {
			t.Fatal(err)
		}
		g := make([]float64, len(x))
		e0, ok := c.EnergyGrad(x, g)
		if !ok {
			t.Fatal("field outside the support")
		}
		y := make([]float64, len(x))
		gy := make([]float64, len(x))
		close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
		for site := 0; site < nn; site++ {
			s1, s2 := site/n, site%n
			gq, gl, vOld := s.current(x, s1, s2)
			var d [3]float64
			copy(y, x)
			for e := 0; e < nc; e++ {
				if !close(gl[e], g[e*nn+site]) {
					t.Fatalf("%v n=%d site %d channel %d: local ∇E = %.12g, global %.12g", m.IsConditional(), n, site, e, gl[e], g[e*nn+site])
				}
				d[e] = 0.2 * rng.NormFloat64()
				y[e*nn+site] += d[e]
			}
			dE, gyl, ok := s.trial(s1, s2, gq, vOld, d)
			e1, ok1 := c.EnergyGrad(y, gy)
			if !ok || !ok1 {
				t.Fatalf("site %d: move left the support", site)
			}
			if !close(dE, e1-e0) {
				t.Fatalf("%v n=%d site %d: local ΔE = %.12g, global %.12g", m.IsConditional(), n, site, dE, e1-e0)
			}
			for e := 0; e < nc; e++ {
				if !close(gyl[e], gy[e*nn+site]) {
					t.Fatalf("%v n=%d site %d channel %d: local ∇E after the move = %.12g, global %.12g", m.IsConditional(), n, site, e, gyl[e], gy[e*nn+site])
				}
			}
		}
	}
}

// TestSiteSweepCaches checks the sweeper's caches after many accepted
// moves: the fine field must still be the reconstruction of the state (to
// rounding, as it is updated move by move), and the cached potential
// values and derivatives of every pixel and bond must equal a fresh
// evaluation of that fine field exactly (the same numbers go into the same
// function), on the models of newModels, pair potentials included.
func TestSiteSweepCaches(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	sb := ScalarBasis{Kind: BasisHat, Nodes: 20, Lo: -8, Hi: 8}
	for mi, m := range newModels(t, sb) {
		for i := range m.Theta {
			m.Theta[i] = 0.1 * rng.NormFloat64()
		}
		c := m.NewConditioned()
		if m.IsConditional() {
			c.SetCondition(randField(rng, m.N*m.N, 1))
		}
		s, err := c.NewSiteSweeper()
		if err != nil {
			t.Fatal(err)
		}
		x := randField(rng, m.Dim(), 0.5)
		if err := s.load(x); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 5; k++ {
			// Sweep's own loop, without the reload of each sweep: five
			// rounds of moves on the caches filled once.
			for s1 := 0; s1 < s.n; s1++ {
				for s2 := 0; s2 < s.n; s2++ {
					gq, _, vOld := s.current(x, s1, s2)
					var d [3]float64
					for e := 0; e < s.nc; e++ {
						d[e] = 0.1 * rng.NormFloat64()
					}
					if _, _, ok := s.trial(s1, s2, gq, vOld, d); ok {
						nn := s.n * s.n
						for e := 0; e < s.nc; e++ {
							x[e*nn+s1*s.n+s2] += d[e]
							s.setPad(e, s1, s2, x[e*nn+s1*s.n+s2])
						}
						s.accept(s1, s2)
						s.Accepted++
					}
				}
			}
		}
		if s.Accepted == 0 {
			t.Fatalf("model %d: no move accepted", mi)
		}
		for f, v := range c.Fine(x) {
			if math.Abs(s.fine[f]-v) > 1e-12 {
				t.Fatalf("model %d: fine pixel %d = %.15g after the moves, reconstruction %.15g", mi, f, s.fine[f], v)
			}
		}
		u, du, bonds := slices.Clone(s.pixU), slices.Clone(s.pixDU), slices.Clone(s.bondVals)
		s.fillCaches()
		if !slices.Equal(u, s.pixU) || !slices.Equal(du, s.pixDU) {
			t.Fatalf("model %d: scalar-potential cache differs from a fresh evaluation after the moves", mi)
		}
		for k, v := range bonds {
			if v != s.bondVals[k] {
				t.Fatalf("model %d: bond %d cache %+v after the moves, fresh %+v", mi, k, v, s.bondVals[k])
			}
		}
		t.Logf("model %d: %d moves accepted, %d bonds per site", mi, s.Accepted, len(s.bonds))
	}
}

// TestSiteSweepGaussian samples a Gaussian conditional energy with only
// quadratic terms (θ: an isotropic nearest-neighbour precision on each
// detail channel, A = (4+m²)I − Σ shifts) and checks equipartition:
// ⟨½ xᵀAx⟩ = d/2 exactly for E = ½xᵀAx. The error bar is the standard
// error of the mean with the chain's τ_int (batch means); the tolerance is
// 4 of them.
func TestSiteSweepGaussian(t *testing.T) {
	b, _ := wavelet.New("db4")
	sb := ScalarBasis{Kind: BasisBSpline2, Nodes: 10, Lo: -50, Hi: 50}
	m, err := NewConditional(8, 1, sb, 1, b)
	if err != nil {
		t.Fatal(err)
	}
	for q, term := range m.Terms {
		if term.C != term.D || term.C == 0 {
			continue
		}
		switch term.S {
		case Shift{0, 0}:
			m.Theta[q] = 4.5 // ½Σa² coefficient: diagonal 4 + m², m² = 0.5
		case Shift{0, 1}, Shift{1, 0}:
			m.Theta[q] = -2 // ½Σa(x)a(x−s) appears once per ± pair: off-diagonal −1
		}
	}
	c := m.NewConditioned()
	c.SetCondition(make([]float64, 64))
	s, err := c.NewSiteSweeper()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, m.Dim())
	delta := 0.2
	for i := 0; i < 200; i++ {
		s.ResetCounts()
		if err := s.Sweep(x, delta, rng); err != nil {
			t.Fatal(err)
		}
		delta *= math.Exp(0.5 * (float64(s.Accepted)/float64(s.Proposed) - 0.57))
	}
	const sweeps, batch = 20000, 200
	var means []float64
	var acc float64
	for i := 0; i < sweeps; i++ {
		s.ResetCounts()
		if err := s.Sweep(x, delta, rng); err != nil {
			t.Fatal(err)
		}
		e, _ := c.Energy(x)
		acc += e
		if (i+1)%batch == 0 {
			means = append(means, acc/batch)
			acc = 0
		}
	}
	var mean, v float64
	for _, a := range means {
		mean += a / float64(len(means))
	}
	for _, a := range means {
		v += (a - mean) * (a - mean) / float64(len(means)-1)
	}
	se := math.Sqrt(v / float64(len(means)))
	want := float64(m.Dim()) / 2
	t.Logf("⟨E⟩ = %.2f ± %.2f, d/2 = %.0f, δ = %.3f, acceptance %.2f", mean, se, want, delta, float64(s.Accepted)/float64(s.Proposed))
	if math.Abs(mean-want) > 4*se {
		t.Errorf("⟨E⟩ = %.2f ± %.2f, want d/2 = %.0f", mean, se, want)
	}
}
