package wcrg

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/energy"
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
