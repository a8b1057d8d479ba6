package wcrg

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// TestSplitPair: a bond potential that is on-site + bilinear,
// W(a, b) = u₁(a) + u₂(b) + q ab + c, splits into 2(u₁ + u₂) on the sites
// (up to a constant and the hats' interpolation error), q, and no rest; a
// genuine pair interaction, (a − b)⁴, keeps a rest of its own size.
func TestSplitPair(t *testing.T) {
	const side, count = 8, 200
	rng := rand.New(rand.NewPCG(7, 8))
	fields := make([]float64, count*side*side)
	for i := range fields {
		fields[i] = rng.NormFloat64()
	}
	sb := splitBasis(fields)
	u1 := func(a float64) float64 { return 0.3 * a * a * a * a }
	u2 := func(b float64) float64 { return -0.5*b*b + 0.2*b }
	const q = 0.7
	w := func(s, d float64) float64 {
		a, b := s+d/2, s-d/2
		return u1(a) + u2(b) + q*a*b + 1.5
	}
	sp, err := splitPair(w, fields, side, sb)
	if err != nil {
		t.Fatal(err)
	}
	// The hats' interpolation error (below) is even in t and barely
	// correlates with ab, so q comes out almost exactly.
	if math.Abs(sp.Coupling-q) > 0.01 {
		t.Errorf("coupling %.4f, want %.1f", sp.Coupling, q)
	}
	if sp.Residual > 0.05 {
		t.Errorf("rest of an on-site + bilinear potential %.4f, want ≈ 0", sp.Residual)
	}
	// On-site part: hats of spacing h interpolate f = 2(u₁ + u₂) within
	// h²/8·|f''|, f'' = 2(3.6t² − 1), at t and at 0 (where the constant is
	// taken), plus 0.01 for the least squares.
	h := sb.Spacing()
	f2 := func(x float64) float64 { return math.Abs(2 * (3.6*x*x - 1)) }
	c := sp.OnSite(0) - 2*(u1(0)+u2(0))
	for _, x := range []float64{-2, -1, -0.3, 0.5, 1.2, 2} {
		tol := h*h/8*(f2(x)+f2(0)) + 0.01
		if d := sp.OnSite(x) - 2*(u1(x)+u2(x)) - c; math.Abs(d) > tol {
			t.Errorf("on-site part at %.1f off by %.4f (tolerance %.3f)", x, d, tol)
		}
	}

	quartic := func(s, d float64) float64 { return d * d * d * d }
	sp, err = splitPair(quartic, fields, side, sb)
	if err != nil {
		t.Fatal(err)
	}
	// (a−b)⁴ = a⁴ + b⁴ + 6a²b² − 4a³b − 4ab³: for independent unit normals
	// the non-separable part 6a²b² − 4a³b − 4ab³ (less its projections) has
	// an RMS of several units.
	if sp.Residual < 1 {
		t.Errorf("rest of (a − b)⁴ %.3f, want a genuine pair interaction (≥ 1)", sp.Residual)
	}
}

// TestAddNeighbours: the gradient of q Σ_bonds φ(x)φ(y) over ForEachBond's
// bonds, by central differences.
func TestAddNeighbours(t *testing.T) {
	const side, q = 5, 0.37
	rng := rand.New(rand.NewPCG(9, 10))
	phi := make([]float64, side*side)
	for i := range phi {
		phi[i] = rng.NormFloat64()
	}
	energyOf := func(f []float64) float64 {
		var e float64
		energy.ForEachBond(f, side, func(_, _ float64, x, y int) { e += q * f[x] * f[y] })
		return e
	}
	g := make([]float64, len(phi))
	addNeighbours(g, phi, side, q)
	for i := range phi {
		const h = 1e-5
		p, m := append([]float64(nil), phi...), append([]float64(nil), phi...)
		p[i] += h
		m[i] -= h
		fd := (energyOf(p) - energyOf(m)) / (2 * h)
		if math.Abs(fd-g[i]) > 1e-8 {
			t.Errorf("site %d: gradient %.8f, finite difference %.8f", i, g[i], fd)
		}
	}
}

// TestHamiltonianPairAssembly pins how BuildHamiltonian takes pair
// potentials, with the free energies held fixed: a pair potential
// w = q·ab on φ_0 (in Ē_1) moves K(e₁) and K(e₂) by q and nothing else of
// the kernel, and the same pair potential on φ_1 in both Ē_2 (above) and
// F̃_1 (below) cancels exactly.
func TestHamiltonianPairAssembly(t *testing.T) {
	const L, q = 16, 0.3
	data := freeField(t, 300, L, 0.5, 21)
	m, err := Fit(context.Background(), data, DefaultSettings(), Provenance{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	free, err := FitFreeEnergies(context.Background(), m, data, FreeSettings{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h0, err := BuildHamiltonian(m, free, data)
	if err != nil {
		t.Fatal(err)
	}
	std := m.standardized(data)
	tr := m.Transform()
	dec := wavelet.NewDecomposition(L, m.Levels)
	var phi1 []float64
	for i := 0; i < std.N; i++ {
		tr.Decompose(dec, std.Field(i).Data)
		phi1 = append(phi1, dec.Coarse(1)...)
	}
	// withBilinear returns a copy of e with the pair potential q·ab on the
	// 32×32-node grid spanning the bonds of fields (nodal values relative
	// to the last node, which the basis drops).
	withBilinear := func(e *energy.Model, fields []float64, side int) *energy.Model {
		c := *e
		c.Theta = slices.Clone(e.Theta)
		b := pairBasisFor(energy.MaxPairNodes, fields, side)
		if err := c.AddPair(b); err != nil {
			t.Fatal(err)
		}
		k := b.Nodes
		hs, hd := (b.SHi-b.SLo)/float64(k-1), (b.DHi-b.DLo)/float64(k-1)
		w := func(a, c int) float64 {
			s, d := b.SLo+float64(a)*hs, b.DLo+float64(c)*hd
			return q * (s*s - d*d/4) // q·ab with a, b = s ± d/2
		}
		coef := c.PairCoefficients()
		for i := range coef {
			coef[i] = w(i/k, i%k) - w(k-1, k-1)
		}
		return &c
	}

	m1 := *m
	m1.Conditionals = slices.Clone(m.Conditionals)
	m1.Conditionals[0] = withBilinear(m.Conditionals[0], std.Data, L)
	h1, err := BuildHamiltonian(&m1, free, data)
	if err != nil {
		t.Fatal(err)
	}
	// Bilinear interpolation adds to s² and d²/4 bumps of height h²/4 with
	// the node spacing's period; their projection on ab is of order
	// (h/range)² ≈ 1e-3 of q. Allow 1 %.
	for _, c := range []struct {
		s1, s2 int
		want   float64
	}{{1, 0, q}, {0, 1, q}, {1, 1, 0}, {2, 0, 0}, {0, 2, 0}} {
		if d := h1.KernelAt(c.s1, c.s2) - h0.KernelAt(c.s1, c.s2); math.Abs(d-c.want) > 0.01*q {
			t.Errorf("K(%d,%d) moved by %.5f, want %.2f", c.s1, c.s2, d, c.want)
		}
	}
	if p := h1.Potentials[0]; !p.Pair || math.Abs(p.PairCoupling-q) > 0.01*q || p.PairResidual > 0.01*q {
		t.Errorf("split on φ_0: pair %v, coupling %.5f (want %.2f), rest %.3g", p.Pair, p.PairCoupling, q, p.PairResidual)
	}

	m2 := *m
	m2.Conditionals = slices.Clone(m.Conditionals)
	m2.Conditionals[1] = withBilinear(m.Conditionals[1], phi1, L/2)
	free2 := slices.Clone(free)
	free2[0] = withBilinear(free[0], phi1, L/2)
	h2, err := BuildHamiltonian(&m2, free2, data)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range h2.Kernel {
		if math.Abs(k-h0.Kernel[i]) > 1e-10 {
			t.Fatalf("the same pair potential above and below φ_1 changed K at %d by %.3g", i, k-h0.Kernel[i])
		}
	}
	for j, p := range h2.Potentials {
		for k, v := range p.V {
			if math.Abs(v-h0.Potentials[j].V[k]) > 1e-10 {
				t.Fatalf("the same pair potential above and below φ_1 changed V_%d at %.3f by %.3g", j, p.Grid[k], v-h0.Potentials[j].V[k])
			}
		}
	}
	if p := h2.Potentials[1]; !p.Pair || math.Abs(p.PairCoupling) > 1e-12 || p.PairResidual > 1e-12 {
		t.Errorf("split on φ_1: pair %v, coupling %.3g, rest %.3g (want 0, 0)", p.Pair, p.PairCoupling, p.PairResidual)
	}
}
