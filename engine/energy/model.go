package energy

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// Model is the energy of one scale, E = θ·U (spec §2), with θ laid out as
// [quadratic terms … | scalar basis coefficients … | pair coefficients …].
//
// A conditional model (Wavelet != nil) is Ē_j(φ̄_j, φ_j): its varying field
// is the three detail channels φ̄_j on an N×N grid (N = L_j), its
// conditioning field φ_j, and its scalar potential acts on the reconstructed
// finer field φ_{j−1} = γ_j(Gᵀφ_j + Ḡᵀφ̄_j) of side 2N. A plain model
// (Wavelet == nil) is E(φ) of one N×N field, with the scalar potential on φ.
//
// A Model is immutable after construction except for Theta, which
// estimators set, and one AddPair before fitting; evaluate it through
// Conditioned, one per goroutine.
type Model struct {
	N       int           // side of the varying grid
	Window  int           // half-width w of the quadratic window
	Terms   []QuadTerm    // quadratic terms
	Scalar  ScalarBasis   // scalar potential basis
	Gamma   float64       // γ_j of the level (conditional models)
	Wavelet wavelet.Basis // the level's wavelet (conditional models), nil for plain
	Theta   []float64     // parameters, len NumParams()
	// Pair is the basis of the optional nearest-neighbour pair potential on
	// the field the scalar potential acts on (Nodes == 0: none; see
	// AddPair). Its coefficients follow the scalar ones in Theta.
	Pair PairBasis

	lapWeight [4]float64 // diag(ḠᵀḠ) at fine sites with (x₁ mod 2, x₂ mod 2)
}

// NewConditional returns the conditional energy model of a level whose
// coarse grid has side n, with window half-width w, scalar basis sb, γ_j and
// wavelet b. θ starts at zero.
func NewConditional(n, w int, sb ScalarBasis, gamma float64, b wavelet.Basis) (*Model, error) {
	if b == nil {
		return nil, fmt.Errorf("energy: conditional model without a wavelet")
	}
	m, err := newModel(n, w, sb, true)
	if err != nil {
		return nil, err
	}
	if !(gamma > 0) || math.IsInf(gamma, 0) {
		return nil, fmt.Errorf("energy: γ = %g (want finite and > 0)", gamma)
	}
	m.Gamma, m.Wavelet = gamma, b
	m.lapWeight = laplacianWeight(b, 2*n)
	return m, nil
}

// NewPlain returns the plain energy model of one n×n field with window
// half-width w and scalar basis sb. θ starts at zero.
func NewPlain(n, w int, sb ScalarBasis) (*Model, error) {
	m, err := newModel(n, w, sb, false)
	if err != nil {
		return nil, err
	}
	m.Gamma = 1
	m.lapWeight = [4]float64{1, 1, 1, 1}
	return m, nil
}

func newModel(n, w int, sb ScalarBasis, conditional bool) (*Model, error) {
	if n < 1 {
		return nil, fmt.Errorf("energy: grid side %d < 1", n)
	}
	if w < 0 || w > 32 {
		return nil, fmt.Errorf("energy: window half-width %d (want 0 … 32)", w)
	}
	if err := sb.Validate(); err != nil {
		return nil, err
	}
	m := &Model{N: n, Window: w, Terms: quadTerms(conditional, w, n), Scalar: sb}
	m.Theta = make([]float64, m.NumParams())
	return m, nil
}

// IsConditional reports whether m is a conditional (wavelet) model.
func (m *Model) IsConditional() bool { return m.Wavelet != nil }

// Channels returns the number of varying channels: 3 or 1.
func (m *Model) Channels() int {
	if m.IsConditional() {
		return 3
	}
	return 1
}

// Dim returns the dimension of the varying field: 3N² or N².
func (m *Model) Dim() int { return m.Channels() * m.N * m.N }

// FineSide returns the side of the field the scalar potential acts on.
func (m *Model) FineSide() int {
	if m.IsConditional() {
		return 2 * m.N
	}
	return m.N
}

// NumQuad returns the number of quadratic parameters.
func (m *Model) NumQuad() int { return len(m.Terms) }

// NumParams returns the number of parameters.
func (m *Model) NumParams() int { return len(m.Terms) + m.Scalar.Len() + m.Pair.Len() }

// ScalarCoefficients returns the scalar part of θ (sharing storage).
func (m *Model) ScalarCoefficients() []float64 {
	q, k := len(m.Terms), m.Scalar.Len()
	return m.Theta[q : q+k : q+k]
}

// PairCoefficients returns the pair-potential part of θ (sharing
// storage), empty without a pair potential.
func (m *Model) PairCoefficients() []float64 { return m.Theta[len(m.Terms)+m.Scalar.Len():] }

// AddPair gives the model the pair potential of basis b, its coefficients
// appended to θ as zeros. Call it once, before θ is fitted.
func (m *Model) AddPair(b PairBasis) error {
	if m.Pair.Nodes != 0 {
		return fmt.Errorf("energy: the model already has a pair potential")
	}
	if err := b.Validate(); err != nil {
		return err
	}
	m.Pair = b
	m.Theta = append(m.Theta, make([]float64, b.Len())...)
	return nil
}

// ScalarPotential returns the model's scalar potential v(t).
func (m *Model) ScalarPotential() *Potential {
	return NewPotential(m.Scalar, m.ScalarCoefficients())
}

// LaplacianWeight returns w(x) = diag(ḠᵀḠ)(x) at a fine site with
// (x₁ mod 2, x₂ mod 2) = (p1, p2): the weight of v̄” in Δ_φ̄ V (spec §2.4).
// It is 1 for plain models.
func (m *Model) LaplacianWeight(p1, p2 int) float64 { return m.lapWeight[2*p1+p2] }

// laplacianWeight computes diag(ḠᵀḠ) on the four fine sites of a 2×2 cell
// by analysing unit impulses: w(x) = ‖Ḡ e_x‖². The operator commutes with
// shifts by two sites, so four values describe it on any grid.
func laplacianWeight(b wavelet.Basis, fine int) [4]float64 {
	var w [4]float64
	ws := wavelet.NewWorkspace(fine)
	m := fine / 2
	x := make([]float64, fine*fine)
	c := make([]float64, m*m)
	d := make([]float64, 3*m*m)
	for p1 := 0; p1 < 2 && p1 < fine; p1++ {
		for p2 := 0; p2 < 2 && p2 < fine; p2++ {
			clear(x)
			x[p1*fine+p2] = 1
			b.Analyze(c, d, x, fine, ws)
			var s float64
			for _, v := range d {
				s += v * v
			}
			w[2*p1+p2] = s
		}
	}
	return w
}

// Potentials sets u (len NumParams) to U(φ̄, φ_j) for one sample.
// a0 is φ_j (nil for plain models), abar the varying field (3N² or N²)
// and fine the field the scalar potential acts on (φ_{j−1} for conditional
// models, abar itself for plain ones).
func (m *Model) Potentials(u, a0, abar, fine []float64) {
	if len(u) != m.NumParams() {
		panic(fmt.Sprintf("energy: %d slots for %d potentials", len(u), m.NumParams()))
	}
	n := m.N
	nn := n * n
	ch := func(c int) []float64 {
		if c == 0 {
			return a0
		}
		return abar[(c-1)*nn : c*nn]
	}
	for k, t := range m.Terms {
		a, b := ch(t.C), ch(t.D)
		// M = ½ Σ_x a_c(x) a_d(x − s)
		var s float64
		for x1 := 0; x1 < n; x1++ {
			y1 := modn(x1-t.S[0], n)
			ra, rb := a[x1*n:(x1+1)*n], b[y1*n:(y1+1)*n]
			o := modn(-t.S[1], n) // column x2 pairs with (x2 − s₂) mod n = (x2 + o) mod n
			for x2, v := range ra[:n-o] {
				s += v * rb[x2+o]
			}
			for x2, v := range ra[n-o:] {
				s += v * rb[x2]
			}
		}
		u[k] = 0.5 * s
	}
	q := len(m.Terms)
	sc := u[q : q+m.Scalar.Len()]
	clear(sc)
	if len(sc) > 0 {
		buf := make([]float64, m.Scalar.MaxActive())
		for _, t := range fine {
			first, cnt := m.Scalar.Eval(t, 0, buf)
			for i := 0; i < cnt; i++ {
				sc[first+i] += buf[i]
			}
		}
	}
	pc := u[q+m.Scalar.Len():]
	clear(pc)
	if len(pc) > 0 {
		ForEachBond(fine, m.FineSide(), func(s, d float64, _, _ int) { m.Pair.addMoments(pc, s, d) })
	}
}

func modn(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// BalanceScalarGauge removes from the scalar potential of a conditional
// model (hats or quadratic B-splines) the linear function that makes its
// coefficients at the two ends of the node range equal (α_0 = 0, the value
// of the dropped last function), and reports the slope removed (per unit
// of t). Other models and bases are left as they are (slope 0).
//
// Away from the ends this changes no conditional probability: the bases
// reproduce linear functions exactly (hats on [Lo, Hi], quadratic
// B-splines on [Lo + Δ/2, Hi − Δ/2]), and Σ_x φ_{j−1}(x) does not depend on
// the details φ̄_j (the detail filters sum to zero), so the energy of every
// state changes by the same constant given φ_j. The slope is therefore not
// identified by the data, and a fit leaves it where its noise puts it. But
// beyond the node range the potential goes to the same value at both ends,
// so a slope there makes the energy fall off one end: fitted to Ising spins
// near β_c, the 2×2 scale lost 16 units of energy past one end of its
// range, beyond saturation, and 4.5 % of the generated 32×32 fields had a
// block beyond every training value (1.4 % after balancing). Balanced, the
// energy beyond the data is the same at both ends, as φ → −φ symmetry
// requires; wcrg.Fit balances the models it fits with Settings.Z2.
func (m *Model) BalanceScalarGauge() (slope float64) {
	b := m.Scalar
	if !m.IsConditional() || (b.Kind != BasisHat && b.Kind != BasisBSpline2) || b.Len() == 0 {
		return 0
	}
	a := m.ScalarCoefficients()
	// Subtract ℓ(t) = α_0 (Hi − t)/(Hi − Lo), whose coefficients are its
	// values at the nodes (zero at the last one).
	a0 := a[0]
	for k := range a {
		a[k] -= a0 * (b.Hi - b.Node(k)) / (b.Hi - b.Lo)
	}
	return -a0 / (b.Hi - b.Lo)
}
