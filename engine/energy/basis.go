package energy

import (
	"fmt"
	"math"
)

// Scalar basis kinds (spec §2.3).
const (
	BasisNone     = "none"     // no scalar potential (Gaussian models)
	BasisHat      = "hat"      // order-1 B-splines; the default for ML and sampling
	BasisBSpline2 = "bspline2" // quadratic B-splines; the default for score matching
	BasisSigmoid  = "sigmoid"  // sigmoid windows of the reference code
	BasisPoly     = "poly"     // monomials t¹ … t^K, for small demos
)

// BasisKinds lists the scalar basis kinds.
func BasisKinds() []string {
	return []string{BasisHat, BasisBSpline2, BasisSigmoid, BasisPoly, BasisNone}
}

// ScalarBasis is a family of functions ρ_k(t) of one variable on which a
// scalar potential v(t) = Σ_k α_k ρ_k(t) is expanded (spec §2.3).
//
// Hats and quadratic B-splines sit on Nodes uniformly spaced nodes
// t_0 … t_{Nodes−1} over [Lo, Hi] (spacing Δ); the function of the last node
// is dropped, because the functions sum to one inside the range and that
// direction would be unidentifiable. α_k is then the value of v at node k
// relative to the last node (hats) and v is flat outside the support.
// Sigmoids ρ_k(t) = 1/(1 + exp((t − c_k)/σ)) have Nodes centres c_k over
// [Lo, Hi] and σ = Δ. Monomials are ρ_k(t) = (t/s)^k, k = 1 … Nodes, with
// s = max(|Lo|, |Hi|) for conditioning.
type ScalarBasis struct {
	Kind   string
	Nodes  int
	Lo, Hi float64
	// RejectLo and RejectHi, if RejectHi > RejectLo, replace the default
	// rejection interval of Support: estimators set them to include every
	// training value, so that no data point has zero probability.
	RejectLo, RejectHi float64
}

// Validate reports an unusable basis.
func (b ScalarBasis) Validate() error {
	switch b.Kind {
	case BasisNone:
		return nil
	case BasisHat, BasisBSpline2, BasisSigmoid:
		if b.Nodes < 2 || b.Nodes > 1000 {
			return fmt.Errorf("energy: %s basis with %d nodes (want 2 … 1000)", b.Kind, b.Nodes)
		}
	case BasisPoly:
		if b.Nodes < 1 || b.Nodes > 12 {
			return fmt.Errorf("energy: polynomial basis of degree %d (want 1 … 12)", b.Nodes)
		}
	default:
		return fmt.Errorf("energy: unknown scalar basis %q (want one of %v)", b.Kind, BasisKinds())
	}
	if !(b.Hi > b.Lo) || math.IsInf(b.Lo, 0) || math.IsInf(b.Hi, 0) {
		return fmt.Errorf("energy: scalar basis range [%g, %g] is empty or infinite", b.Lo, b.Hi)
	}
	return nil
}

// Len returns the number of basis functions (after the dropped one).
func (b ScalarBasis) Len() int {
	switch b.Kind {
	case BasisHat, BasisBSpline2:
		return b.Nodes - 1
	case BasisSigmoid, BasisPoly:
		return b.Nodes
	}
	return 0
}

// Spacing returns Δ, the node spacing (for sigmoids the centre spacing and
// σ; for monomials one Nodes-th of the range).
func (b ScalarBasis) Spacing() float64 {
	if b.Kind == BasisPoly {
		return (b.Hi - b.Lo) / float64(b.Nodes)
	}
	return (b.Hi - b.Lo) / float64(b.Nodes-1)
}

// Node returns node (or centre) k.
func (b ScalarBasis) Node(k int) float64 { return b.Lo + float64(k)*b.Spacing() }

// Support returns the interval outside which samplers reject proposals
// (windowed rejection, spec §2.3): [RejectLo, RejectHi] when set, otherwise
// [Lo − Δ, Hi + Δ] for hats and sigmoids, [Lo − 1.5Δ, Hi + 1.5Δ] for
// quadratic B-splines, and the whole line without a basis.
func (b ScalarBasis) Support() (lo, hi float64) {
	if b.RejectHi > b.RejectLo {
		return b.RejectLo, b.RejectHi
	}
	d := b.Spacing()
	switch b.Kind {
	case BasisNone:
		return math.Inf(-1), math.Inf(1)
	case BasisBSpline2:
		return b.Lo - 1.5*d, b.Hi + 1.5*d
	}
	return b.Lo - d, b.Hi + d
}

// MaxActive returns the largest number of functions that Eval can report as
// non-zero at one point.
func (b ScalarBasis) MaxActive() int {
	switch b.Kind {
	case BasisHat:
		return 2
	case BasisBSpline2:
		return 3
	}
	return b.Len()
}

// SecondDerivative reports whether the basis has a bounded second
// derivative (needed by score matching, whose loss contains Δ_φ̄ E).
func (b ScalarBasis) SecondDerivative() bool { return b.Kind != BasisHat }

// Eval writes the deriv-th derivative (0, 1 or 2) at t of the basis
// functions that may be non-zero there into out[:count], for the functions
// first … first+count−1, and returns first and count. out must have length
// ≥ MaxActive(). Hats have no second derivative (it is a sum of Dirac
// deltas) and report zero.
func (b ScalarBasis) Eval(t float64, deriv int, out []float64) (first, count int) {
	switch b.Kind {
	case BasisHat:
		d := b.Spacing()
		u := (t - b.Lo) / d
		i := int(math.Floor(u))
		f := u - float64(i)
		var v0, v1 float64 // functions i and i+1
		switch deriv {
		case 0:
			v0, v1 = 1-f, f
		case 1:
			v0, v1 = -1/d, 1/d
		default:
			v0, v1 = 0, 0
		}
		return b.clip(i, []float64{v0, v1}, out)
	case BasisBSpline2:
		d := b.Spacing()
		u := (t - b.Lo) / d
		i := int(math.Round(u))
		var v [3]float64 // functions i−1, i, i+1
		for k := -1; k <= 1; k++ {
			v[k+1] = bspline2(u-float64(i+k), deriv) / math.Pow(d, float64(deriv))
		}
		return b.clip(i-1, v[:], out)
	case BasisSigmoid:
		s := b.Spacing()
		for k := 0; k < b.Nodes; k++ {
			z := (t - b.Node(k)) / s
			// ρ = 1/(1+e^z) = σ(−z); ρ' = −ρ(1−ρ)/s; ρ'' = ρ(1−ρ)(1−2ρ)/s².
			r := 1 / (1 + math.Exp(z))
			switch deriv {
			case 0:
				out[k] = r
			case 1:
				out[k] = -r * (1 - r) / s
			default:
				out[k] = r * (1 - r) * (1 - 2*r) / (s * s)
			}
		}
		return 0, b.Nodes
	case BasisPoly:
		sc := math.Max(math.Abs(b.Lo), math.Abs(b.Hi))
		x := t / sc
		for k := 1; k <= b.Nodes; k++ {
			fk := float64(k)
			switch deriv {
			case 0:
				out[k-1] = math.Pow(x, fk)
			case 1:
				out[k-1] = fk * math.Pow(x, fk-1) / sc
			default:
				if k >= 2 {
					out[k-1] = fk * (fk - 1) * math.Pow(x, fk-2) / (sc * sc)
				} else {
					out[k-1] = 0
				}
			}
		}
		return 0, b.Nodes
	}
	return 0, 0
}

// clip copies the values of functions first, first+1, … into out, keeping
// only indices in [0, Len()).
func (b ScalarBasis) clip(first int, vals []float64, out []float64) (int, int) {
	lo := max(first, 0)
	hi := min(first+len(vals), b.Len())
	if hi <= lo {
		return 0, 0
	}
	copy(out, vals[lo-first:hi-first])
	return lo, hi - lo
}

// bspline2 is the centred quadratic B-spline B(u) (support |u| < 3/2) or its
// first or second derivative.
func bspline2(u float64, deriv int) float64 {
	a := math.Abs(u)
	switch {
	case a <= 0.5:
		switch deriv {
		case 0:
			return 0.75 - u*u
		case 1:
			return -2 * u
		default:
			return -2
		}
	case a < 1.5:
		r := 1.5 - a
		switch deriv {
		case 0:
			return 0.5 * r * r
		case 1:
			if u > 0 {
				return -r
			}
			return r
		default:
			return 1
		}
	}
	return 0
}

// Potential is a scalar potential v(t) = Σ_k α_k ρ_k(t) on a basis.
type Potential struct {
	Basis ScalarBasis
	Alpha []float64
	buf   []float64
}

// NewPotential returns v with coefficients alpha (len Basis.Len()).
func NewPotential(b ScalarBasis, alpha []float64) *Potential {
	if len(alpha) != b.Len() {
		panic(fmt.Sprintf("energy: %d coefficients for a basis of %d functions", len(alpha), b.Len()))
	}
	return &Potential{Basis: b, Alpha: alpha, buf: make([]float64, max(b.MaxActive(), 1))}
}

// Eval returns the deriv-th derivative of v at t. Not safe for concurrent use.
func (p *Potential) Eval(t float64, deriv int) float64 {
	first, n := p.Basis.Eval(t, deriv, p.buf)
	var s float64
	for i := 0; i < n; i++ {
		s += p.Alpha[first+i] * p.buf[i]
	}
	return s
}

// fastPotential evaluates a potential and its derivative together, with
// exact specialised code for hats and quadratic B-splines (the hot path of
// every MALA step) and the generic basis sum otherwise.
type fastPotential struct {
	kind   string
	lo     float64
	inv    float64   // 1/Δ
	padded []float64 // α with zero padding around the basis range
	pad    int       // index offset of α_0 in padded
	gen    *Potential
	zero   bool
}

func newFastPotential(p *Potential) *fastPotential {
	f := &fastPotential{kind: p.Basis.Kind, gen: p, zero: true}
	for _, a := range p.Alpha {
		if a != 0 {
			f.zero = false
		}
	}
	switch p.Basis.Kind {
	case BasisHat, BasisBSpline2:
		f.lo = p.Basis.Lo
		f.inv = 1 / p.Basis.Spacing()
		f.pad = 2
		f.padded = make([]float64, len(p.Alpha)+5)
		copy(f.padded[f.pad:], p.Alpha)
	}
	return f
}

// eval returns v(t) and v'(t).
func (f *fastPotential) eval(t float64) (v, dv float64) {
	switch f.kind {
	case BasisHat:
		u := (t - f.lo) * f.inv
		fl := math.Floor(u)
		i := int(fl) + f.pad // padded index of node floor(u)
		if i < 0 || i+1 >= len(f.padded) {
			return 0, 0
		}
		a, b := f.padded[i], f.padded[i+1]
		r := u - fl
		return a + r*(b-a), (b - a) * f.inv
	case BasisBSpline2:
		u := (t - f.lo) * f.inv
		m := math.Round(u)
		i := int(m) + f.pad
		if i-1 < 0 || i+1 >= len(f.padded) {
			return 0, 0
		}
		x := u - m // in [−½, ½]
		// B(x+1), B(x), B(x−1) for the functions m−1, m, m+1.
		am, a0, ap := f.padded[i-1], f.padded[i], f.padded[i+1]
		bm := 0.5 * (0.5 - x) * (0.5 - x)
		b0 := 0.75 - x*x
		bp := 0.5 * (0.5 + x) * (0.5 + x)
		v = am*bm + a0*b0 + ap*bp
		dv = (-am*(0.5-x) - 2*a0*x + ap*(0.5+x)) * f.inv
		return v, dv
	}
	return f.gen.Eval(t, 0), f.gen.Eval(t, 1)
}
