package energy

import (
	"fmt"
	"math"
)

// PairBasis is the basis of an optional nearest-neighbour pair potential
//
//	W(f) = Σ_x Σ_{e ∈ {(1,0), (0,1)}} w(s_xe, d_xe),
//	s_xe = (f(x) + f(x+e))/2,  d_xe = f(x) − f(x+e)  (periodic),
//
// on the field f the scalar potential acts on (φ_{j−1} of a conditional
// model). w is expanded on tensor-product hats: K nodes over [SLo, SHi] in
// s times K nodes over [DLo, DHi] in d, coefficient a·K + b for the node
// pair (a, b); the last function (a = b = K−1) is dropped because the hats
// sum to one inside the grid (a constant energy). Two more directions are
// invisible to the estimators and left to their ridge: w = d, because Σ d
// over the bonds of a periodic field is 0, and, for conditional models,
// w = s, because Σ s = Σ_x φ_{j−1}(x) depends on φ_j alone. w is the
// bilinear interpolation of its nodal values and falls to zero one node
// spacing beyond the grid, where samplers reject (windowed rejection, as
// for the scalar potential).
//
// The quadratic + scalar-potential ansatz matches the one-point histogram
// of f and its two-point covariance; the pair potential matches the joint
// histogram of neighbouring values, which carries the shape of domain
// walls: their sharpness (d at s ≈ 0) and the field-dependent stiffness
// that the RG generates near criticality (the (∇φ)² Z(φ) term of a
// derivative expansion).
type PairBasis struct {
	Nodes    int // K per axis; 0 means no pair potential
	SLo, SHi float64
	DLo, DHi float64
}

// MaxPairNodes is the largest number of pair-potential nodes per axis
// (1023 coefficients; maximum likelihood solves with their dense Hessian).
const MaxPairNodes = 32

// Len returns the number of pair coefficients, K² − 1 (0 without one).
func (b PairBasis) Len() int {
	if b.Nodes == 0 {
		return 0
	}
	return b.Nodes*b.Nodes - 1
}

// Validate reports an unusable pair basis.
func (b PairBasis) Validate() error {
	if b.Nodes == 0 {
		return nil
	}
	if b.Nodes < 2 || b.Nodes > MaxPairNodes {
		return fmt.Errorf("energy: pair potential with %d nodes per axis (want 2 … %d)", b.Nodes, MaxPairNodes)
	}
	for _, r := range [][2]float64{{b.SLo, b.SHi}, {b.DLo, b.DHi}} {
		if !(r[1] > r[0]) || math.IsInf(r[0], 0) || math.IsInf(r[1], 0) {
			return fmt.Errorf("energy: pair potential range [%g, %g] is empty or infinite", r[0], r[1])
		}
	}
	return nil
}

// spacings returns the node spacings in s and d.
func (b PairBasis) spacings() (hs, hd float64) {
	k := float64(b.Nodes - 1)
	return (b.SHi - b.SLo) / k, (b.DHi - b.DLo) / k
}

// Support returns the rectangle outside which samplers reject: one node
// spacing beyond the grid in s and in d.
func (b PairBasis) Support() (sLo, sHi, dLo, dHi float64) {
	hs, hd := b.spacings()
	return b.SLo - hs, b.SHi + hs, b.DLo - hd, b.DHi + hd
}

// pairGrid evaluates a pair potential; built from a basis, it holds the
// nodal values with a zero border so that interpolation needs no bounds
// checks inside the support.
type pairGrid struct {
	k                    int // nodes per axis
	sLo, invS, dLo, invD float64
	hs, hd               float64
	vals                 []float64 // (k+2)×(k+2) nodal values, border zero
}

func newPairGrid(b PairBasis, coef []float64) *pairGrid {
	hs, hd := b.spacings()
	g := &pairGrid{k: b.Nodes, sLo: b.SLo, invS: 1 / hs, dLo: b.DLo, invD: 1 / hd, hs: hs, hd: hd}
	w := b.Nodes + 2
	g.vals = make([]float64, w*w)
	for i, c := range coef {
		a, d := i/b.Nodes, i%b.Nodes
		g.vals[(a+1)*w+d+1] = c
	}
	return g
}

// eval returns w(s, d) and its partial derivatives (0 outside the support).
// The cell is found by truncation, which equals the floor for the
// non-negative padded coordinates inside the support.
func (g *pairGrid) eval(s, d float64) (v, ds, dd float64) {
	u := (s-g.sLo)*g.invS + 1
	t := (d-g.dLo)*g.invD + 1
	w := g.k + 2
	top := float64(w - 1)
	if !(u >= 0 && u < top && t >= 0 && t < top) { // also NaN and ±Inf
		return 0, 0, 0
	}
	i, j := int(u), int(t)
	r, q := u-float64(i), t-float64(j)
	row0, row1 := g.vals[i*w+j:i*w+j+2], g.vals[(i+1)*w+j:(i+1)*w+j+2]
	c00, c01, c10, c11 := row0[0], row0[1], row1[0], row1[1]
	v = (1-r)*((1-q)*c00+q*c01) + r*((1-q)*c10+q*c11)
	ds = ((1-q)*(c10-c00) + q*(c11-c01)) * g.invS
	dd = ((1-r)*(c01-c00) + r*(c11-c10)) * g.invD
	return v, ds, dd
}

// addMoments adds the hats' values at (s, d) to u (length K² − 1).
func (b PairBasis) addMoments(u []float64, s, d float64) {
	hs, hd := b.spacings()
	x, y := (s-b.SLo)/hs, (d-b.DLo)/hd
	fx, fy := math.Floor(x), math.Floor(y)
	a, c := int(fx), int(fy)
	r, q := x-fx, y-fy
	for _, n := range [4]struct {
		a, c int
		w    float64
	}{{a, c, (1 - r) * (1 - q)}, {a + 1, c, r * (1 - q)}, {a, c + 1, (1 - r) * q}, {a + 1, c + 1, r * q}} {
		if n.a < 0 || n.a >= b.Nodes || n.c < 0 || n.c >= b.Nodes {
			continue
		}
		if k := n.a*b.Nodes + n.c; k < len(u) {
			u[k] += n.w
		}
	}
}

// ForEachBond calls f(s, d, x, y) for every nearest-neighbour bond (x, y =
// x + e, e = (1,0) and (0,1), periodic) of a side×side field: s is the bond
// mean, d = f(x) − f(y). There are 2·side² bonds: on a side-2 grid each
// pair of neighbours is visited twice, (x, y) and (y, x), and on a side-1
// grid the bonds join the site to itself.
func ForEachBond(field []float64, side int, f func(s, d float64, x, y int)) {
	for x1 := 0; x1 < side; x1++ {
		down := ((x1 + 1) % side) * side
		for x2 := 0; x2 < side; x2++ {
			x := x1*side + x2
			for _, y := range [2]int{down + x2, x1*side + (x2+1)%side} {
				a, b := field[x], field[y]
				f((a+b)/2, a-b, x, y)
			}
		}
	}
}

// PairPotential is a model's pair potential w(s, d) (see PairBasis), for
// reading it off a fitted model.
type PairPotential struct {
	Basis PairBasis
	grid  *pairGrid
}

// PairPotential returns the model's pair potential, or nil without one.
func (m *Model) PairPotential() *PairPotential {
	if m.Pair.Len() == 0 {
		return nil
	}
	return &PairPotential{Basis: m.Pair, grid: newPairGrid(m.Pair, m.PairCoefficients())}
}

// Eval returns w(s, d) at the bond mean s and difference d (0 beyond the
// support, one node spacing outside the grid).
func (p *PairPotential) Eval(s, d float64) float64 {
	v, _, _ := p.grid.eval(s, d)
	return v
}
