package energy

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

func randField(rng *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
	}
	return x
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestTermCounts checks the parameter counts of spec §2.2 (from the public
// reference code): 189 / 609 / 1269 / 2169 for n = 2, 4, 6, 8, and the
// clipped windows on small grids: 9 terms on a 1×1 grid and 36 on 2×2.
func TestTermCounts(t *testing.T) {
	for w, want := range map[int]int{2: 189, 4: 609, 6: 1269, 8: 2169} {
		if got := CountQuadTerms(w); got != want {
			t.Errorf("CountQuadTerms(%d) = %d, want %d", w, got, want)
		}
		if got := len(quadTerms(true, w, 64)); got != want {
			t.Errorf("%d terms for w=%d on 64×64, want %d", got, w, want)
		}
	}
	for n, want := range map[int]int{1: 9, 2: 36} {
		if got := len(quadTerms(true, 4, n)); got != want {
			t.Errorf("w=4 on %d×%d: %d terms, want %d", n, n, got, want)
		}
	}
	// Plain window: |S⁺| + 1 terms.
	if got := len(quadTerms(false, 4, 32)); got != 41 {
		t.Errorf("plain w=4: %d terms, want 41", got)
	}
}

// TestTermsDistinct checks that on every grid size no two terms are the
// same function: their moments differ on a random field.
func TestTermsDistinct(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	b, _ := wavelet.New("db4")
	for _, n := range []int{1, 2, 3, 4, 8, 9, 16} {
		if n == 3 || n == 9 {
			continue // grids are powers of two
		}
		m, err := NewConditional(n, 4, ScalarBasis{Kind: BasisNone}, 1, b)
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float64, m.NumParams())
		a0 := randField(rng, n*n, 1)
		ab := randField(rng, 3*n*n, 1)
		m.Potentials(u, a0, ab, nil)
		seen := map[float64]QuadTerm{}
		for i, v := range u {
			key := math.Round(v*1e9) / 1e9
			if prev, dup := seen[key]; dup {
				t.Errorf("n=%d: terms %v and %v have the same moment %g", n, prev, m.Terms[i], v)
			}
			seen[key] = m.Terms[i]
		}
	}
}

func smoothBases(lo, hi float64) []ScalarBasis {
	return []ScalarBasis{
		{Kind: BasisBSpline2, Nodes: 12, Lo: lo, Hi: hi},
		{Kind: BasisSigmoid, Nodes: 9, Lo: lo, Hi: hi},
		{Kind: BasisPoly, Nodes: 4, Lo: lo, Hi: hi},
	}
}

// TestBasisDerivatives checks Eval's first and second derivatives against
// central differences (h = 1e-5), and the partition of unity of hats.
func TestBasisDerivatives(t *testing.T) {
	const h = 1e-5
	for _, b := range append(smoothBases(-2, 3), ScalarBasis{Kind: BasisHat, Nodes: 10, Lo: -2, Hi: 3}) {
		L := b.Len()
		full := func(x float64, d int) []float64 {
			out := make([]float64, L)
			buf := make([]float64, b.MaxActive())
			f, c := b.Eval(x, d, buf)
			copy(out[f:f+c], buf[:c])
			return out
		}
		for _, x := range []float64{-2.3, -1.1, 0.37, 1.9, 2.77} {
			for d := 0; d < 2; d++ {
				if d == 1 && !b.SecondDerivative() {
					continue
				}
				p, m, g := full(x+h, d), full(x-h, d), full(x, d+1)
				for k := range g {
					fd := (p[k] - m[k]) / (2 * h)
					if math.Abs(fd-g[k]) > 1e-6*math.Max(1, math.Abs(g[k])) {
						t.Errorf("%s: d^%d ρ_%d at %g = %g, central difference %g", b.Kind, d+1, k, x, g[k], fd)
					}
				}
			}
		}
		if b.Kind == BasisHat {
			// Inside the range the hats, with the dropped last one, sum to one.
			for _, x := range []float64{-2, -0.5, 1.3, 2.4} {
				var s float64
				for _, v := range full(x, 0) {
					s += v
				}
				last := math.Max(0, 1-math.Abs(x-b.Node(b.Nodes-1))/b.Spacing())
				if math.Abs(s+last-1) > 1e-12 {
					t.Errorf("hats at %g sum to %g", x, s+last)
				}
			}
		}
	}
}

func newModels(t *testing.T, sb ScalarBasis) []*Model {
	t.Helper()
	b, _ := wavelet.New("db4")
	c, err := NewConditional(8, 3, sb, 1.7, b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlain(8, 3, sb)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewConditional(2, 4, sb, 1.3, b) // a window larger than the grid
	if err != nil {
		t.Fatal(err)
	}
	// The same with a nearest-neighbour pair potential on the fine field
	// (grid wide enough to hold every bond of the unit-variance test fields).
	pair := PairBasis{Nodes: 6, SLo: -12, SHi: 12, DLo: -14, DHi: 15}
	cp, err := NewConditional(8, 3, sb, 1.7, b)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := NewPlain(8, 3, sb)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{cp, pp} {
		if err := m.AddPair(pair); err != nil {
			t.Fatal(err)
		}
	}
	return []*Model{c, p, c2, cp, pp}
}

// TestEnergyMatchesPotentials checks E = θ·U between the two independent
// code paths (moments by shifted sums; energy by the gradient stencil).
func TestEnergyMatchesPotentials(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, sb := range append(smoothBases(-8, 8), ScalarBasis{Kind: BasisHat, Nodes: 20, Lo: -8, Hi: 8}) {
		for _, m := range newModels(t, sb) {
			for i := range m.Theta {
				m.Theta[i] = rng.NormFloat64()
			}
			c := m.NewConditioned()
			n := m.N
			var a0 []float64
			if m.IsConditional() {
				a0 = randField(rng, n*n, 1)
				c.SetCondition(a0)
			}
			x := randField(rng, m.Dim(), 1)
			g := make([]float64, len(x))
			e, ok := c.EnergyGrad(x, g)
			if !ok {
				t.Fatalf("%s: field outside the support", sb.Kind)
			}
			u := make([]float64, m.NumParams())
			fine := append([]float64(nil), c.Fine(x)...)
			m.Potentials(u, a0, x, fine)
			want := dot(m.Theta, u)
			if math.Abs(e-want) > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("%s, conditional=%v, n=%d: EnergyGrad = %.12g, θ·U = %.12g", sb.Kind, m.IsConditional(), n, e, want)
			}
		}
	}
}

// TestGradients compares the gradients with respect to the varying field
// and to the conditioning field with central differences along random
// directions (h = 1e-5, relative error < 1e-6; spec §2.4).
func TestGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	const h = 1e-5
	for _, sb := range smoothBases(-8, 8) {
		for _, m := range newModels(t, sb) {
			for i := range m.Theta {
				m.Theta[i] = rng.NormFloat64()
			}
			c := m.NewConditioned()
			n := m.N
			var a0 []float64
			if m.IsConditional() {
				a0 = randField(rng, n*n, 1)
				c.SetCondition(a0)
			}
			x := randField(rng, m.Dim(), 1)
			g := make([]float64, len(x))
			c.EnergyGrad(x, g)
			v := randField(rng, len(x), 1)
			xp, xm := make([]float64, len(x)), make([]float64, len(x))
			for i := range x {
				xp[i], xm[i] = x[i]+h*v[i], x[i]-h*v[i]
			}
			ep, _ := c.Energy(xp)
			em, _ := c.Energy(xm)
			fd, an := (ep-em)/(2*h), dot(g, v)
			if math.Abs(fd-an) > 1e-6*math.Max(1, math.Abs(an)) {
				t.Errorf("%s, conditional=%v, n=%d: ∇E·v = %.10g, central difference %.10g", sb.Kind, m.IsConditional(), n, an, fd)
			}
			if !m.IsConditional() {
				continue
			}
			// ∇_{φ_j}: move the condition.
			gc := make([]float64, n*n)
			c.GradCondition(gc, x)
			w := randField(rng, n*n, 1)
			ap, am := make([]float64, n*n), make([]float64, n*n)
			for i := range a0 {
				ap[i], am[i] = a0[i]+h*w[i], a0[i]-h*w[i]
			}
			c.SetCondition(ap)
			ep, _ = c.Energy(x)
			c.SetCondition(am)
			em, _ = c.Energy(x)
			c.SetCondition(a0)
			fd, an = (ep-em)/(2*h), dot(gc, w)
			if math.Abs(fd-an) > 1e-6*math.Max(1, math.Abs(an)) {
				t.Errorf("%s, n=%d: ∇_{φ_j}E·w = %.10g, central difference %.10g", sb.Kind, n, an, fd)
			}
		}
	}
}

// TestHatGradient checks the hat-basis gradient by central differences on
// a field whose values stay inside single hat intervals over ±h.
func TestHatGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	sb := ScalarBasis{Kind: BasisHat, Nodes: 30, Lo: -6, Hi: 6}
	m, _ := NewPlain(8, 2, sb)
	for i := range m.Theta {
		m.Theta[i] = rng.NormFloat64()
	}
	c := m.NewConditioned()
	x := randField(rng, m.Dim(), 1)
	// Keep every value at least 1e-3 from a node, so ±1e-5 moves cross none.
	for i, v := range x {
		u := (v - sb.Lo) / sb.Spacing()
		if f := u - math.Floor(u); f < 0.01 || f > 0.99 {
			x[i] += 0.02 * sb.Spacing()
		}
	}
	g := make([]float64, len(x))
	c.EnergyGrad(x, g)
	const h = 1e-5
	for i := range x {
		x[i] += h
		ep, _ := c.Energy(x)
		x[i] -= 2 * h
		em, _ := c.Energy(x)
		x[i] += h
		if fd := (ep - em) / (2 * h); math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(g[i])) {
			t.Errorf("site %d: ∂E = %g, central difference %g", i, g[i], fd)
		}
	}
}

// TestWindowedRejection: a value outside the basis support makes the
// energy +Inf (spec §2.3).
func TestWindowedRejection(t *testing.T) {
	sb := ScalarBasis{Kind: BasisHat, Nodes: 10, Lo: -1, Hi: 1}
	m, _ := NewPlain(4, 1, sb)
	c := m.NewConditioned()
	x := make([]float64, 16)
	if _, ok := c.Energy(x); !ok {
		t.Fatal("zero field rejected")
	}
	lo, _ := sb.Support()
	x[5] = lo - 1e-9
	if e, ok := c.Energy(x); ok || !math.IsInf(e, 1) {
		t.Errorf("value below the support: E = %g, ok = %v", e, ok)
	}
}

// TestLaplacianWeight checks diag(ḠᵀḠ) for db4: 1 − a_p a_q with the even
// and odd tap energies a₀ = 0.487148, a₁ = 0.512852 (spec §1.1, §2.4); the
// four values sum to 4 − (a₀ + a₁)² = 3.
func TestLaplacianWeight(t *testing.T) {
	b, _ := wavelet.New("db4")
	m, _ := NewConditional(8, 1, ScalarBasis{Kind: BasisNone}, 1, b)
	a := [2]float64{0.487148, 0.512852}
	var sum float64
	for p1 := 0; p1 < 2; p1++ {
		for p2 := 0; p2 < 2; p2++ {
			w := m.LaplacianWeight(p1, p2)
			sum += w
			ok := false
			for _, q1 := range a {
				for _, q2 := range a {
					if math.Abs(w-(1-q1*q2)) < 1e-6 {
						ok = true
					}
				}
			}
			if !ok {
				t.Errorf("w(%d,%d) = %.7f is not 1 − a_p a_q", p1, p2, w)
			}
		}
	}
	if math.Abs(sum-3) > 1e-12 {
		t.Errorf("Σ w = %.15f, want 3", sum)
	}
}

// TestPhi4FinestConditional checks spec §2.1 / §5.5 exactly: for the φ⁴
// energy E_0 = ½φᵀ(−βΔ)φ + Σ v(φ), the conditional model with the projected
// kernel (9×9 window for db4) and v on φ_0 makes E_0 − Ē_1 a function of φ_1
// alone: changing φ̄_1 at fixed φ_1 changes both by the same amount.
func TestPhi4FinestConditional(t *testing.T) {
	const L, beta, gamma = 16, 0.68, 1.8
	rng := rand.New(rand.NewPCG(8, 9))
	b, _ := wavelet.New("db4")
	n := L / 2
	// Polynomial basis on [−4, 4] (scale s = 4): v(t) = t⁴ − (1+2β)t².
	sb := ScalarBasis{Kind: BasisPoly, Nodes: 4, Lo: -4, Hi: 4}
	m, err := NewConditional(n, 4, sb, gamma, b)
	if err != nil {
		t.Fatal(err)
	}
	q, outside := m.ProjectQuadratic(LaplacianOperator(L, beta, 0))
	if outside > 1e-12 {
		t.Fatalf("the db4 projection of −βΔ leaves the 9×9 window: relative norm %g outside", outside)
	}
	copy(m.Theta, q)
	al := m.ScalarCoefficients()
	al[1] = -(1 + 2*beta) * 16 // t² = 16 (t/4)²
	al[3] = 256                // t⁴ = 256 (t/4)⁴
	c := m.NewConditioned()

	tr, _ := wavelet.NewTransform(b, L, 1, []float64{gamma})
	d := wavelet.NewDecomposition(L, 1)
	kin := LaplacianOperator(L, beta, 0)
	e0 := func(phi []float64) float64 {
		k := make([]float64, len(phi))
		kin(k, phi)
		var e float64
		for i, v := range phi {
			e += 0.5*v*k[i] + v*v*v*v - (1+2*beta)*v*v
		}
		return e
	}
	phi := randField(rng, L*L, 0.7)
	tr.Decompose(d, phi)
	a0 := append([]float64(nil), d.Coarse(1)...)
	c.SetCondition(a0)
	ref := e0(phi)
	eb, _ := c.Energy(d.Detail(1))
	ref -= eb
	for trial := 0; trial < 5; trial++ {
		xb := randField(rng, 3*n*n, 0.4)
		copy(d.Detail(1), xb)
		tr.Reconstruct(phi, d)
		e1, ok := c.Energy(xb)
		if !ok {
			t.Fatal("outside support")
		}
		if diff := e0(phi) - e1; math.Abs(diff-ref) > 1e-9*math.Abs(e1) {
			t.Errorf("trial %d: E_0 − Ē_1 = %.12g, first %.12g", trial, diff, ref)
		}
	}
	// δ = 0 same-channel couplings are (4, 4, 4 + 4r₁)·βγ² = (4, 4, 6.39)·βγ² (spec §2.1).
	want := []float64{4, 4, 4 + 4*0.598145}
	for i, tm := range m.Terms {
		if tm.C == tm.D && tm.S == (Shift{}) {
			if got := m.Theta[i] / (beta * gamma * gamma); math.Abs(got-want[tm.C-1]) > 1e-5 {
				t.Errorf("δ=0 coupling of channel %d = %.6f βγ², spec says %.6f", tm.C, got, want[tm.C-1])
			}
		}
	}
}

// TestBalanceScalarGauge checks that balancing the hat potential of a
// conditional model changes no energy difference between states with the
// same condition whose fine values lie in the node range (the removed
// linear function sums to a constant over the fine field), for hats and
// quadratic B-splines, that it zeroes α_0, and that plain models are left
// alone.
func TestBalanceScalarGauge(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, kind := range []string{BasisHat, BasisBSpline2} {
		sb := ScalarBasis{Kind: kind, Nodes: 20, Lo: -8, Hi: 8}
		checkBalance(t, rng, sb)
	}
}

func checkBalance(t *testing.T, rng *rand.Rand, sb ScalarBasis) {
	t.Helper()
	for mi, m := range newModels(t, sb) {
		for i := range m.Theta {
			m.Theta[i] = rng.NormFloat64()
		}
		a := m.ScalarCoefficients()
		a[0] = 5 // a slope of −5/16 relative to the balanced potential
		c := m.NewConditioned()
		if m.IsConditional() {
			c.SetCondition(randField(rng, m.N*m.N, 1))
		}
		x1, x2 := randField(rng, m.Dim(), 1), randField(rng, m.Dim(), 1)
		g := make([]float64, m.Dim())
		e1, ok1 := c.EnergyGrad(x1, g)
		e2, ok2 := c.EnergyGrad(x2, g)
		if !ok1 || !ok2 {
			t.Fatalf("%s model %d: a test field outside the support", sb.Kind, mi)
		}
		before := append([]float64(nil), m.Theta...)
		slope := m.BalanceScalarGauge()
		if !m.IsConditional() {
			if slope != 0 || !equalSlices(before, m.Theta) {
				t.Errorf("%s model %d (plain): balancing changed θ (slope %g)", sb.Kind, mi, slope)
			}
			continue
		}
		if want := -5.0 / 16; math.Abs(slope-want) > 1e-12 {
			t.Errorf("%s model %d: removed slope %g, want %g", sb.Kind, mi, slope, want)
		}
		if a0 := m.ScalarCoefficients()[0]; a0 != 0 {
			t.Errorf("%s model %d: α_0 = %g after balancing (want 0, the last node's)", sb.Kind, mi, a0)
		}
		c.SetTheta()
		f1, _ := c.EnergyGrad(x1, g)
		f2, _ := c.EnergyGrad(x2, g)
		if d := (f1 - f2) - (e1 - e2); math.Abs(d) > 1e-9*math.Max(1, math.Abs(e1-e2)) {
			t.Errorf("%s model %d: E(x1) − E(x2) changed by %g (from %g)", sb.Kind, mi, d, e1-e2)
		}
		if math.Abs((f1-e1)-(f2-e2)) > 1e-9*math.Max(1, math.Abs(f1-e1)) || math.Abs(f1-e1) < 1e-6 {
			t.Errorf("%s model %d: energies shifted by %g and %g (want one non-zero constant)", sb.Kind, mi, f1-e1, f2-e2)
		}
	}
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
