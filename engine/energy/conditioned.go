package energy

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// tap is one coefficient of the gradient stencil: g_e(y) += k·a_p(y + o).
type tap struct {
	o1, o2 int
	k      float64
}

// Conditioned evaluates a model with fixed θ, and (for conditional models)
// a fixed conditioning field φ_j, as a function of the varying field: the
// energy, its gradient (spec §2.4) and the windowed-rejection test of
// spec §2.3. It is built once per goroutine and reused; evaluation
// allocates nothing.
//
// The quadratic part is applied as a stencil: with E_Q = Σ θ_{cds} M_{cds},
// ∂E_Q/∂a_e(y) = Σ_p Σ_o k_{e,p,o} a_p(y + o), where each term adds ½θ at
// (e = c, p = d, o = −s) and at (e = d, p = c, o = s).
type Conditioned struct {
	// Unbounded turns off windowed rejection: the energy is evaluated for
	// every field, with the scalar potential flat outside its basis range
	// and the pair potential zero outside its grid.
	// Samplers leave it off; energy read-outs (H₀ of held-out fields,
	// regression targets) turn it on.
	Unbounded bool
	// Wall replaces windowed rejection by a fixed quartic wall: a value t
	// beyond the support [lo, hi] adds ((t − hi)/Δ)⁴ (or ((lo − t)/Δ)⁴), Δ the
	// node spacing (spec §10 row 5, the alternative to rejection); likewise
	// the bond means and differences of a pair potential beyond its support. Samplers
	// use it only to bring a chain whose starting state lies outside the
	// support back inside; inside the support the energy is unchanged.
	Wall bool

	m       *Model
	n, nc   int
	w, pw   int     // window half-width and padded side n + 2w
	stencil [][]tap // index e·(nc+1) + p, e, p ∈ 0 … nc
	pot     *fastPotential
	lo, hi  float64 // support of the scalar basis
	a0      []float64
	b       []float64 // linear term Σ_o k_{e,0,o} a0(y+o), e ≥ 1 (conditional)

	pad      [][]float64 // halo-padded channels 0 … nc
	colIdx   []int
	fine     []float64 // φ_{j−1} (conditional) of the last evaluation
	vprime   []float64
	coarse   []float64
	detail   []float64
	ws       *wavelet.Workspace
	gq       []float64
	scalarOn bool

	pair                   *pairGrid // nil without a pair potential
	psLo, psHi, pdLo, pdHi float64   // its support

	// Fourier path for the quadratic part (grids of side ≥ fourierMinSide):
	// ĝ_e(ω) = Σ_p Â_ep(ω) â_p(ω), with Â_ep(ω) = Σ_o k_{e,p,o} e^{iω·o}.
	plan     *fft2.Plan
	kernel   [][]complex128 // index (e−1)·nc + (p−1), e, p ≥ 1
	spec     [][]complex128 // packed transforms (scratch)
	chanSpec [][]complex128 // â_p, p ≥ 1 (scratch)
	phase1   []complex128   // e^{i 2π k o / n} tables
}

// fourierMinSide is the smallest grid on which the quadratic part of the
// gradient is applied in Fourier space; below it the stencil is faster.
const fourierMinSide = 8

// NewConditioned returns an evaluator for m's current θ. Call SetTheta
// after changing θ, and SetCondition before evaluating a conditional model.
func (m *Model) NewConditioned() *Conditioned {
	n, nc := m.N, m.Channels()
	w := m.Window
	c := &Conditioned{m: m, n: n, nc: nc, w: w, pw: n + 2*w}
	c.pad = make([][]float64, nc+1)
	for p := range c.pad {
		c.pad[p] = make([]float64, c.pw*c.pw)
	}
	c.colIdx = make([]int, c.pw)
	for i := range c.colIdx {
		c.colIdx[i] = modn(i-w, n)
	}
	c.b = make([]float64, nc*n*n)
	c.gq = make([]float64, nc*n*n)
	fs := m.FineSide()
	c.vprime = make([]float64, fs*fs)
	if m.IsConditional() {
		c.fine = make([]float64, fs*fs)
		c.coarse = make([]float64, n*n)
		c.detail = make([]float64, 3*n*n)
		c.ws = wavelet.NewWorkspace(fs)
	}
	c.lo, c.hi = m.Scalar.Support()
	if n >= fourierMinSide && n&(n-1) == 0 {
		c.plan = fft2.NewPlan(n)
		c.kernel = make([][]complex128, nc*nc)
		for i := range c.kernel {
			c.kernel[i] = make([]complex128, n*n)
		}
		c.spec = [][]complex128{make([]complex128, n*n), make([]complex128, n*n)}
		c.chanSpec = make([][]complex128, nc)
		for i := range c.chanSpec {
			c.chanSpec[i] = make([]complex128, n*n)
		}
		c.phase1 = make([]complex128, n)
		for k := range c.phase1 {
			s, co := math.Sincos(2 * math.Pi * float64(k) / float64(n))
			c.phase1[k] = complex(co, s)
		}
	}
	c.SetTheta()
	return c
}

// buildKernels computes Â_ep(ω) = Σ_o k_{e,p,o} e^{iω·o} from the stencil.
func (c *Conditioned) buildKernels() {
	n, nc := c.n, c.nc
	for e := 1; e <= nc; e++ {
		for p := 1; p <= nc; p++ {
			K := c.kernel[(e-1)*nc+p-1]
			clear(K)
			for _, t := range c.stencil[e*(nc+1)+p] {
				for w1 := 0; w1 < n; w1++ {
					ph1 := c.phase1[modn(w1*t.o1, n)]
					row := K[w1*n : (w1+1)*n]
					for w2 := range row {
						row[w2] += complex(t.k, 0) * ph1 * c.phase1[modn(w2*t.o2, n)]
					}
				}
			}
		}
	}
}

// quadGradFourier writes A x (without the linear term) into grad using the
// Fourier kernels. Two real channels are transformed as one complex field.
func (c *Conditioned) quadGradFourier(x, grad []float64) {
	n, nc := c.n, c.nc
	nn := n * n
	// Forward: pack (a₁ + i a₂) and a₃ (or a₁ alone for plain models).
	s0, s1 := c.spec[0], c.spec[1]
	if nc == 3 {
		a1, a2, a3 := x[:nn], x[nn:2*nn], x[2*nn:]
		for i := range s0 {
			s0[i] = complex(a1[i], a2[i])
			s1[i] = complex(a3[i], 0)
		}
		c.plan.ForwardComplex(s0)
		c.plan.ForwardComplex(s1)
		h1, h2, h3 := c.chanSpec[0], c.chanSpec[1], c.chanSpec[2]
		for w1 := 0; w1 < n; w1++ {
			m1 := (n - w1) % n
			for w2 := 0; w2 < n; w2++ {
				k := w1*n + w2
				km := m1*n + (n-w2)%n
				z, zm := s0[k], s0[km]
				zc := complex(real(zm), -imag(zm))
				h1[k] = (z + zc) * 0.5
				d := (z - zc) * 0.5 // = i â₂
				h2[k] = complex(imag(d), -real(d))
				h3[k] = s1[k]
			}
		}
		K := c.kernel
		for k := range s0 {
			a, b, cc := h1[k], h2[k], h3[k]
			g1 := K[0][k]*a + K[1][k]*b + K[2][k]*cc
			g2 := K[3][k]*a + K[4][k]*b + K[5][k]*cc
			g3 := K[6][k]*a + K[7][k]*b + K[8][k]*cc
			s0[k] = g1 + complex(-imag(g2), real(g2)) // ĝ₁ + i ĝ₂
			s1[k] = g3
		}
		c.plan.InverseComplex(s0)
		c.plan.InverseComplex(s1)
		for i := 0; i < nn; i++ {
			grad[i] = real(s0[i])
			grad[nn+i] = imag(s0[i])
			grad[2*nn+i] = real(s1[i])
		}
		return
	}
	for i := range s0 {
		s0[i] = complex(x[i], 0)
	}
	c.plan.ForwardComplex(s0)
	K := c.kernel[0]
	for k := range s0 {
		s0[k] *= K[k]
	}
	c.plan.InverseComplex(s0)
	for i := range grad {
		grad[i] = real(s0[i])
	}
}

// Model returns the model evaluated.
func (c *Conditioned) Model() *Model { return c.m }

// SetTheta rebuilds the stencil and potential from the model's current θ.
// If a condition was set, it is applied again.
func (c *Conditioned) SetTheta() {
	m := c.m
	nc := c.nc
	c.stencil = make([][]tap, (nc+1)*(nc+1))
	add := func(e, p, o1, o2 int, k float64) {
		i := e*(nc+1) + p
		for j := range c.stencil[i] {
			if c.stencil[i][j].o1 == o1 && c.stencil[i][j].o2 == o2 {
				c.stencil[i][j].k += k
				return
			}
		}
		c.stencil[i] = append(c.stencil[i], tap{o1, o2, k})
	}
	for q, t := range m.Terms {
		th := m.Theta[q]
		if th == 0 {
			continue
		}
		add(t.C, t.D, -t.S[0], -t.S[1], 0.5*th)
		add(t.D, t.C, t.S[0], t.S[1], 0.5*th)
	}
	c.pot = newFastPotential(m.ScalarPotential())
	c.scalarOn = !c.pot.zero
	c.pair = nil
	if m.Pair.Len() > 0 {
		c.pair = newPairGrid(m.Pair, m.PairCoefficients())
		c.psLo, c.psHi, c.pdLo, c.pdHi = m.Pair.Support()
	}
	if c.plan != nil {
		c.buildKernels()
	}
	if c.a0 != nil {
		c.SetCondition(c.a0)
	}
}

// SetCondition fixes the conditioning field φ_j (length N²) of a
// conditional model; a0 is kept by reference and must not change while in use.
func (c *Conditioned) SetCondition(a0 []float64) {
	if !c.m.IsConditional() {
		panic("energy: SetCondition on a plain model")
	}
	if len(a0) != c.n*c.n {
		panic(fmt.Sprintf("energy: condition of length %d for a %d×%d grid", len(a0), c.n, c.n))
	}
	c.a0 = a0
	c.padChannel(0, a0)
	clear(c.b)
	nn := c.n * c.n
	for e := 1; e <= c.nc; e++ {
		c.applyTaps(c.b[(e-1)*nn:e*nn], e, 0)
	}
}

func (c *Conditioned) padChannel(p int, src []float64) {
	n, pw, w := c.n, c.pw, c.w
	dst := c.pad[p]
	for y1 := 0; y1 < pw; y1++ {
		row := src[modn(y1-w, n)*n:]
		d := dst[y1*pw : (y1+1)*pw]
		for y2, s := range c.colIdx {
			d[y2] = row[s]
		}
	}
}

// applyTaps adds Σ_o k_{e,p,o} a_p(y + o) to dst (one N×N channel), reading
// the padded channel p.
func (c *Conditioned) applyTaps(dst []float64, e, p int) {
	n, pw, w := c.n, c.pw, c.w
	src := c.pad[p]
	taps := c.stencil[e*(c.nc+1)+p]
	for y1 := 0; y1 < n; y1++ {
		d := dst[y1*n : (y1+1)*n]
		base := (y1+w)*pw + w
		for _, t := range taps {
			axpy(d, t.k, src[base+t.o1*pw+t.o2:])
		}
	}
}

// inside reports whether every value the scalar potential sees lies in the
// basis support, and every bond in the pair potential's (the
// windowed-rejection test).
func (c *Conditioned) inside(fine []float64) bool {
	if c.Unbounded || c.Wall {
		return true
	}
	lo, hi := c.lo, c.hi
	for _, v := range fine {
		if !(v >= lo && v <= hi) {
			return false
		}
	}
	return c.pairsInside(fine)
}

// pairsInside reports whether every bond of fine lies in the pair
// potential's support (true without one).
func (c *Conditioned) pairsInside(fine []float64) bool {
	if c.pair == nil {
		return true
	}
	ok := true
	ForEachBond(fine, c.m.FineSide(), func(s, d float64, _, _ int) {
		if !(s >= c.psLo && s <= c.psHi && d >= c.pdLo && d <= c.pdHi) {
			ok = false
		}
	})
	return ok
}

// addPairs returns the pair energy of fine and adds its gradient with
// respect to fine to dst: ∂w/∂f(x) = ½∂_s w + ∂_d w, ∂w/∂f(y) = ½∂_s w − ∂_d w.
// With Wall, a bond beyond the pair support adds a quartic wall in s and
// in d (as the scalar potential's), which brings chains back inside. The
// bonds are visited in ForEachBond's order, written out because this is
// the inner loop of every MALA step of a pair model.
func (c *Conditioned) addPairs(dst, fine []float64) float64 {
	var e float64
	side := c.m.FineSide()
	hs, hd := c.m.Pair.spacings() // of the quartic wall
	for x1 := 0; x1 < side; x1++ {
		down := ((x1 + 1) % side) * side
		row := x1 * side
		for x2 := 0; x2 < side; x2++ {
			x := row + x2
			right := row + x2 + 1
			if x2+1 == side {
				right = row
			}
			e += c.addBond(dst, fine, x, down+x2, hs, hd)
			e += c.addBond(dst, fine, x, right, hs, hd)
		}
	}
	return e
}

// addBond returns the pair energy of the bond (x, y) of fine and adds its
// gradient to dst (see addPairs); hs and hd scale the wall.
func (c *Conditioned) addBond(dst, fine []float64, x, y int, hs, hd float64) float64 {
	a, b := fine[x], fine[y]
	s, d := (a+b)/2, a-b
	v, ds, dd := c.pair.eval(s, d)
	if c.Wall {
		ws, wds := quarticWall(s, c.psLo, c.psHi, hs)
		wd, wdd := quarticWall(d, c.pdLo, c.pdHi, hd)
		v, ds, dd = v+ws+wd, ds+wds, dd+wdd
	}
	dst[x] += 0.5*ds + dd
	dst[y] += 0.5*ds - dd
	return v
}

// quarticWall returns ((t − hi)/h)⁴ beyond hi, ((lo − t)/h)⁴ below lo, 0
// between, and its derivative.
func quarticWall(t, lo, hi, h float64) (float64, float64) {
	var d float64
	switch {
	case t > hi:
		d = (t - hi) / h
	case t < lo:
		d = (t - lo) / h
	default:
		return 0, 0
	}
	return d * d * d * d, 4 * d * d * d / h
}

// CurvatureBound returns the Gershgorin bound on the largest eigenvalue of
// the quadratic part's Hessian, max_e Σ_{p≥1} Σ_o |k_{e,p,o}|: MALA needs a
// step δ of order 1/λ_max, so samplers start their adaptation from its
// inverse.
func (c *Conditioned) CurvatureBound() float64 {
	var best float64
	for e := 1; e <= c.nc; e++ {
		var s float64
		for p := 1; p <= c.nc; p++ {
			for _, t := range c.stencil[e*(c.nc+1)+p] {
				s += math.Abs(t.k)
			}
		}
		best = math.Max(best, s)
	}
	return best
}

// InSupport reports whether every value the scalar potential sees at x lies
// in the basis support, and every bond in the pair potential's (what
// windowed rejection requires).
func (c *Conditioned) InSupport(x []float64) bool {
	fine := c.Fine(x)
	lo, hi := c.lo, c.hi
	for _, v := range fine {
		if !(v >= lo && v <= hi) {
			return false
		}
	}
	return c.pairsInside(fine)
}

// wall returns the quartic wall energy of t and its derivative.
func (c *Conditioned) wall(t float64) (float64, float64) {
	return quarticWall(t, c.lo, c.hi, c.m.Scalar.Spacing())
}

// Fine returns φ_{j−1} = γ(Gᵀφ_j + Ḡᵀx) for a conditional model (sharing
// the evaluator's storage, valid until the next call), or x for a plain one.
func (c *Conditioned) Fine(x []float64) []float64 {
	if !c.m.IsConditional() {
		return x
	}
	fs := 2 * c.n
	c.m.Wavelet.Synthesize(c.fine, c.a0, x, fs, c.ws)
	g := c.m.Gamma
	for i := range c.fine {
		c.fine[i] *= g
	}
	return c.fine
}

// EnergyGrad returns the energy at x (the varying field) and writes its
// gradient into grad. If a value seen by the scalar potential leaves the
// basis support, or a bond the pair potential's, it returns +Inf and
// ok = false, and grad is unspecified.
func (c *Conditioned) EnergyGrad(x, grad []float64) (e float64, ok bool) {
	if len(x) != c.m.Dim() || len(grad) != len(x) {
		panic(fmt.Sprintf("energy: field of length %d, gradient %d, want %d", len(x), len(grad), c.m.Dim()))
	}
	fine := c.Fine(x)
	if !c.inside(fine) {
		return math.Inf(1), false
	}
	n, nn, nc := c.n, c.n*c.n, c.nc
	_ = n
	// Quadratic part: g = A x + b, E_Q = ½⟨x, g + b⟩.
	if c.plan != nil {
		c.quadGradFourier(x, grad)
		for i, v := range c.b {
			grad[i] += v
		}
	} else {
		for p := 1; p <= nc; p++ {
			c.padChannel(p, x[(p-1)*nn:p*nn])
		}
		copy(grad, c.b)
		for e := 1; e <= nc; e++ {
			d := grad[(e-1)*nn : e*nn]
			for p := 1; p <= nc; p++ {
				c.applyTaps(d, e, p)
			}
		}
	}
	var eq float64
	for i, v := range x {
		eq += v * (grad[i] + c.b[i])
	}
	e = 0.5 * eq
	if !c.scalarOn && !c.Wall && c.pair == nil {
		return e, true
	}
	// Scalar part: V = Σ v(fine), ∇_x V = γ Ḡ v'(fine) (conditional) or v'(x).
	var ev float64
	for i, t := range fine {
		v, dv := c.pot.eval(t)
		if c.Wall {
			wv, wd := c.wall(t)
			v += wv
			dv += wd
		}
		ev += v
		c.vprime[i] = dv
	}
	if c.pair != nil {
		ev += c.addPairs(c.vprime, fine)
	}
	e += ev
	if c.m.IsConditional() {
		c.m.Wavelet.Analyze(c.coarse, c.detail, c.vprime, 2*c.n, c.ws)
		g := c.m.Gamma
		for i, v := range c.detail {
			grad[i] += g * v
		}
	} else {
		for i, v := range c.vprime {
			grad[i] += v
		}
	}
	return e, true
}

// Energy returns the energy at x (+Inf and false outside the support).
// It uses the evaluator's gradient scratch.
func (c *Conditioned) Energy(x []float64) (float64, bool) {
	return c.EnergyGrad(x, c.gq)
}

// GradCondition writes ∇_{φ_j} Ē at (x, φ_j) into dst (length N²) for a
// conditional model: the quadratic cross terms plus γ G[v̄'(φ_{j−1})]
// (spec §2.4), needed by free-energy estimation. It returns false outside
// the support.
func (c *Conditioned) GradCondition(dst, x []float64) bool {
	if !c.m.IsConditional() {
		panic("energy: GradCondition on a plain model")
	}
	fine := c.Fine(x)
	if !c.inside(fine) {
		return false
	}
	nn := c.n * c.n
	for p := 1; p <= c.nc; p++ {
		c.padChannel(p, x[(p-1)*nn:p*nn])
	}
	clear(dst)
	for p := 1; p <= c.nc; p++ {
		c.applyTaps(dst, 0, p)
	}
	if !c.scalarOn && c.pair == nil {
		return true
	}
	for i, t := range fine {
		_, c.vprime[i] = c.pot.eval(t)
	}
	if c.pair != nil {
		c.addPairs(c.vprime, fine)
	}
	c.m.Wavelet.Analyze(c.coarse, c.detail, c.vprime, 2*c.n, c.ws)
	g := c.m.Gamma
	for i, v := range c.coarse {
		dst[i] += g * v
	}
	return true
}

// axpy sets d[i] += k·s[i] for i < len(d), unrolled by four.
func axpy(d []float64, k float64, s []float64) {
	s = s[:len(d)]
	i := 0
	for ; i+4 <= len(d); i += 4 {
		dd, ss := d[i:i+4:i+4], s[i:i+4:i+4]
		dd[0] += k * ss[0]
		dd[1] += k * ss[1]
		dd[2] += k * ss[2]
		dd[3] += k * ss[3]
	}
	for ; i < len(d); i++ {
		d[i] += k * s[i]
	}
}
