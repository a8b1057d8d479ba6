package experiment

import (
	"fmt"
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// GaussianFit is maximum-likelihood estimation of a quadratic energy model
// (no scalar potential) on an exactly known stationary Gaussian field, with
// exact moments in Fourier space, so that iteration counts carry no Monte
// Carlo noise (spec §3.3, §10 row 12).
//
// The model is E(a) = θ·U(a) = ½ Σ_ω â(ω)ᴴ Q̂_θ(ω) â(ω)/n² with Q̂ Hermitian
// and linear in θ; a = (φ_j, φ̄_j) for a conditional model (then
// A = Q̂_{φ̄φ̄}, B = Q̂_{φ̄φ_j}) or a = φ for a plain one. With P(ω) the data's
// spectral density matrix, the expected negative log-likelihood per field is
//
//	NLL(θ) = ½ Σ_ω [ tr(Q̂ P) + P₀₀ BᴴA⁻¹B − log det A ]    (+ const),
//
// (without the P₀₀ term for plain models), whose gradient is exact.
type GaussianFit struct {
	Model *energy.Model
	n, nc int
	p     [][]complex128 // P(ω) per ω, (nc+1)² row-major (index 0 unused for plain)
	q     []gfTerm       // Q̂_k(ω) per parameter, as its two nonzero entries
	// plain holds a plain one-channel model's distinct modes (Q̂ and P are
	// then real numbers per ω), for the fast path of NLL.
	plain []plainMode
}

// plainMode is a group of frequencies with the same P and Q̂_k values.
type plainMode struct {
	mult float64   // number of frequencies
	p    float64   // P(ω)
	q    []float64 // Q̂_k(ω) per parameter
}

// gfTerm is the Fourier kernel of one parameter: Q̂_k(ω) has phase[ω] at
// (c, d) and its conjugate at (d, c) (their sum, 2 Re phase, if c = d).
type gfTerm struct {
	c, d  int
	phase []complex128
}

// entry returns Q̂_k(ω)[i][j].
func (t *gfTerm) entry(w, i, j int) complex128 {
	var v complex128
	if i == t.c && j == t.d {
		v += t.phase[w]
	}
	if i == t.d && j == t.c {
		v += cmplx.Conj(t.phase[w])
	}
	return v
}

// NewGaussianFit prepares exact ML for model m (conditional or plain, no
// scalar basis) on a field with spectrum s of side L, decomposed with b and
// γ = 1 down to the model's level (a plain model of side L is the direct
// model). level is j for a conditional model of φ̄_j, 0 for the direct one.
func NewGaussianFit(m *energy.Model, b wavelet.Basis, L, level int, s gaussfield.Spectrum) (*GaussianFit, error) {
	return newGaussianFit(m, b, L, level, s, nil)
}

// NewGaussianFitZeroSumCross is NewGaussianFit for a conditional model whose
// couplings between φ_j and φ̄_j are zero-sum kernels: every term
// ½Σ_x φ_j(x) φ̄_d(x−s) of m with s ≠ 0 becomes
// ½Σ_x φ_j(x) (φ̄_d(x−s) − φ̄_d(x)), the kernel δ_s − δ_0 between φ_j and
// φ̄_d, and the s = 0 cross terms are dropped. The family is
// the same: a conditional's coupling kernel K̄' = Ḡ K Gᵀ of a stationary
// field sums to zero, because the detail filters vanish at zero frequency
// and the low-pass at π. But its moments no longer carry the growing
// low-frequency power of φ_j (their symbol e^{−iω·s} − 1 vanishes at ω = 0),
// so the ML Hessian does not inherit the conditioning of φ_j's spectrum.
// The returned fit's Model is a copy of m with these terms; its Terms do not
// record the zero-sum change, so it must not be used as an energy model.
func NewGaussianFitZeroSumCross(m *energy.Model, b wavelet.Basis, L, level int, s gaussfield.Spectrum) (*GaussianFit, error) {
	if !m.IsConditional() {
		return nil, fmt.Errorf("experiment: zero-sum cross terms need a conditional model")
	}
	cp := *m
	cp.Terms = nil
	var zs []bool
	for _, t := range m.Terms {
		if t.C == 0 && t.S == (energy.Shift{}) {
			continue
		}
		cp.Terms = append(cp.Terms, t)
		zs = append(zs, t.C == 0)
	}
	cp.Theta = make([]float64, len(cp.Terms))
	return newGaussianFit(&cp, b, L, level, s, zs)
}

// newGaussianFit builds the fit; zeroSum[k] makes term k the zero-sum
// kernel δ_s − δ_0 (zeroSum nil: no term is).
func newGaussianFit(m *energy.Model, b wavelet.Basis, L, level int, s gaussfield.Spectrum, zeroSum []bool) (*GaussianFit, error) {
	if m.Scalar.Len() != 0 {
		return nil, fmt.Errorf("experiment: exact Gaussian fits take models without a scalar potential")
	}
	n := m.N
	nc := m.Channels()
	g := &GaussianFit{Model: m, n: n, nc: nc}
	// Cross-covariances of the channels a_0 … a_nc, by impulses.
	cov, err := channelCovariances(b, L, level, s, m.IsConditional())
	if err != nil {
		return nil, err
	}
	d := nc + 1
	plan := fft2.NewPlan(n)
	spec := make([][]complex128, d*d)
	for pq, c := range cov {
		if c == nil {
			continue
		}
		z := make([]complex128, n*n)
		plan.Forward(z, c)
		spec[pq] = z
	}
	g.p = make([][]complex128, n*n)
	for w := range g.p {
		P := make([]complex128, d*d)
		for pq, z := range spec {
			if z != nil {
				P[pq] = z[w]
			}
		}
		g.p[w] = P
	}
	if !m.IsConditional() {
		// Modes where the field has no power (the zero mode of a massless
		// field) are excluded: their FFT value is rounding noise, ±1e−16.
		var pmax float64
		for _, P := range g.p {
			pmax = math.Max(pmax, real(P[d+1]))
		}
		for _, P := range g.p {
			if real(P[d+1]) <= 1e-12*pmax {
				P[d+1] = 0
			}
		}
	}
	// Fourier kernels of every term: Q̂_cd += ½θ e^{−iω·s}, Q̂_dc += ½θ e^{iω·s}.
	g.q = make([]gfTerm, len(m.Terms))
	for k, t := range m.Terms {
		ph := make([]complex128, n*n)
		for w1 := 0; w1 < n; w1++ {
			for w2 := 0; w2 < n; w2++ {
				e := cmplx.Exp(complex(0, -2*math.Pi*float64(w1*t.S[0]+w2*t.S[1])/float64(n)))
				if zeroSum != nil && zeroSum[k] {
					e -= 1
				}
				ph[w1*n+w2] = 0.5 * e
			}
		}
		g.q[k] = gfTerm{c: t.C, d: t.D, phase: ph}
	}
	if !m.IsConditional() && nc == 1 {
		g.groupPlainModes()
	}
	return g, nil
}

// channelCovariances returns c_pq(x) = Cov(a_p(x), a_q(0)) on the model's
// grid, index p·(nc+1)+q, with a_0 = φ_j and a_1…3 = φ̄_j (conditional) or
// a_1 = φ (plain, level 0).
func channelCovariances(b wavelet.Basis, L, level int, s gaussfield.Spectrum, conditional bool) ([][]float64, error) {
	ws := wavelet.NewWorkspace(L)
	plan := fft2.NewPlan(L)
	applyC := func(x []float64) {
		buf := make([]complex128, L*L)
		plan.Forward(buf, x)
		for i := 0; i < L; i++ {
			k1 := 2 * math.Pi * float64(fft2.Freq(i, L)) / float64(L)
			for j := 0; j < L; j++ {
				k2 := 2 * math.Pi * float64(fft2.Freq(j, L)) / float64(L)
				buf[i*L+j] *= complex(s(k1, k2), 0)
			}
		}
		plan.InverseReal(x, buf)
	}
	if !conditional {
		x := make([]float64, L*L)
		x[0] = 1
		applyC(x)
		return [][]float64{nil, nil, nil, x}, nil
	}
	n := L >> level
	nc := 3
	d := nc + 1
	out := make([][]float64, d*d)
	for q := 0; q < d; q++ {
		// Synthesize an impulse in channel q of level `level` up to φ_0.
		co := make([]float64, n*n)
		de := make([]float64, 3*n*n)
		if q == 0 {
			co[0] = 1
		} else {
			de[(q-1)*n*n] = 1
		}
		x := make([]float64, 4*n*n)
		b.Synthesize(x, co, de, 2*n, ws)
		for lev := level - 1; lev >= 1; lev-- {
			f := L >> (lev - 1)
			y := make([]float64, f*f)
			b.Synthesize(y, x, make([]float64, 3*(f/2)*(f/2)), f, ws)
			x = y
		}
		applyC(x)
		for lev := 1; lev < level; lev++ {
			f := L >> (lev - 1)
			c := make([]float64, (f/2)*(f/2))
			b.Analyze(c, make([]float64, 3*(f/2)*(f/2)), x, f, ws)
			x = c
		}
		co2, de2 := make([]float64, n*n), make([]float64, 3*n*n)
		b.Analyze(co2, de2, x, 2*n, ws)
		for p := 0; p < d; p++ {
			if p == 0 {
				out[p*d+q] = co2
			} else {
				out[p*d+q] = de2[(p-1)*n*n : p*n*n]
			}
		}
	}
	return out, nil
}

// qhat returns Q̂_θ(ω) for all ω (row-major (nc+1)² blocks).
func (g *GaussianFit) qhat(theta []float64) []complex128 {
	d := g.nc + 1
	Q := make([]complex128, g.n*g.n*d*d)
	for k := range g.q {
		if theta[k] == 0 {
			continue
		}
		t := complex(theta[k], 0)
		qk := &g.q[k]
		for w, ph := range qk.phase {
			base := w * d * d
			Q[base+qk.c*d+qk.d] += t * ph
			Q[base+qk.d*d+qk.c] += t * cmplx.Conj(ph)
		}
	}
	return Q
}

// NLL returns the expected negative log-likelihood per field and its
// gradient (if grad ≠ nil). It returns +Inf if A(ω) is not positive
// definite at some ω.
func (g *GaussianFit) NLL(theta, grad []float64) float64 {
	if g.plain != nil {
		return g.plainNLL(theta, grad)
	}
	d := g.nc + 1
	Q := g.qhat(theta)
	cond := g.Model.IsConditional()
	nc := g.nc
	var nll float64
	if grad != nil {
		clear(grad)
	}
	A := mat.NewCDense(nc, nc, nil)
	ws := newHermWork(nc)
	Bv := make([]complex128, nc)
	AiB := make([]complex128, nc)
	for w := 0; w < g.n*g.n; w++ {
		base := w * d * d
		P := g.p[w]
		for i := 0; i < nc; i++ {
			for j := 0; j < nc; j++ {
				A.Set(i, j, Q[base+(i+1)*d+j+1])
			}
		}
		ainv, logdet, ok := ws.invert(A)
		if !ok {
			if !cond && real(P[d+1]) == 0 {
				continue // an excluded mode (massless zero mode)
			}
			return math.Inf(1)
		}
		// tr(Q̂P), over the channels present.
		var tr complex128
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				tr += Q[base+i*d+j] * P[j*d+i]
			}
		}
		nll += 0.5 * (real(tr) - logdet)
		if cond {
			for i := 0; i < nc; i++ {
				Bv[i] = Q[base+(i+1)*d]
			}
			for i := 0; i < nc; i++ {
				AiB[i] = 0
				for j := 0; j < nc; j++ {
					AiB[i] += ainv[i*nc+j] * Bv[j]
				}
			}
			var bab complex128
			for i := 0; i < nc; i++ {
				bab += cmplx.Conj(Bv[i]) * AiB[i]
			}
			nll += 0.5 * real(P[0]) * real(bab)
		}
		if grad == nil {
			continue
		}
		for k := range g.q {
			qk := &g.q[k]
			c, dd := qk.c, qk.d
			ph := qk.phase[w]
			// tr(Q̂_k P) over the two entries of Q̂_k.
			trk := ph*P[dd*d+c] + cmplx.Conj(ph)*P[c*d+dd]
			gk := real(trk)
			if c >= 1 {
				// tr(A⁻¹ A_k), A_k having ph at (c−1, dd−1) and its conjugate
				// at (dd−1, c−1).
				tai := ainv[(dd-1)*nc+c-1]*ph + ainv[(c-1)*nc+dd-1]*cmplx.Conj(ph)
				gk -= real(tai)
			}
			if cond {
				// ∂(BᴴA⁻¹B) = 2Re(B_kᴴA⁻¹B) − (A⁻¹B)ᴴ A_k (A⁻¹B).
				if c == 0 {
					// B_k has conj(ph) at dd−1: B_kᴴA⁻¹B = ph·(A⁻¹B)[dd−1].
					gk += real(P[0]) * 2 * real(ph*AiB[dd-1])
				} else {
					t2 := cmplx.Conj(AiB[c-1])*ph*AiB[dd-1] + cmplx.Conj(AiB[dd-1])*cmplx.Conj(ph)*AiB[c-1]
					gk -= real(P[0]) * real(t2)
				}
			}
			grad[k] += 0.5 * gk
		}
	}
	return nll
}

// hermWork holds the buffers of invert for n×n matrices.
type hermWork struct {
	n         int
	L, inv, y []complex128
}

func newHermWork(n int) *hermWork {
	return &hermWork{n: n, L: make([]complex128, n*n), inv: make([]complex128, n*n), y: make([]complex128, n)}
}

// invert inverts a small Hermitian positive definite matrix by complex
// Cholesky; it returns the inverse (row-major, valid until the next call),
// log det, and false if the matrix is not positive definite.
func (w *hermWork) invert(a *mat.CDense) ([]complex128, float64, bool) {
	n := w.n
	L := w.L
	clear(L)
	var logdet float64
	for j := 0; j < n; j++ {
		s := real(a.At(j, j))
		for k := 0; k < j; k++ {
			s -= real(L[j*n+k] * cmplx.Conj(L[j*n+k]))
		}
		if !(s > 0) {
			return nil, 0, false
		}
		d := math.Sqrt(s)
		L[j*n+j] = complex(d, 0)
		logdet += 2 * math.Log(d)
		for i := j + 1; i < n; i++ {
			z := a.At(i, j)
			for k := 0; k < j; k++ {
				z -= L[i*n+k] * cmplx.Conj(L[j*n+k])
			}
			L[i*n+j] = z / complex(d, 0)
		}
	}
	// Inverse column by column: solve L Lᴴ x = e_c.
	inv, y := w.inv, w.y
	for c := 0; c < n; c++ {
		for i := 0; i < n; i++ {
			z := complex(0, 0)
			if i == c {
				z = 1
			}
			for k := 0; k < i; k++ {
				z -= L[i*n+k] * y[k]
			}
			y[i] = z / L[i*n+i]
		}
		for i := n - 1; i >= 0; i-- {
			z := y[i]
			for k := i + 1; k < n; k++ {
				z -= cmplx.Conj(L[k*n+i]) * inv[k*n+c]
			}
			inv[i*n+c] = z / cmplx.Conj(L[i*n+i])
		}
	}
	return inv, logdet, true
}

// Hessian returns the Hessian of the NLL at θ: exact for plain one-channel
// models, else by central differences of the exact gradient (step 1e-5
// relative).
func (g *GaussianFit) Hessian(theta []float64) *mat.SymDense {
	m := len(theta)
	if g.plain != nil {
		// Exact for plain models: ½ Σ_ω Q̂_k Q̂_l / Q̂².
		H := mat.NewSymDense(m, nil)
		for i := range g.plain {
			md := &g.plain[i]
			Q := md.value(theta)
			if md.p == 0 || !(Q > 0) {
				continue
			}
			r := 0.5 * md.mult / (Q * Q)
			for k := 0; k < m; k++ {
				for l := k; l < m; l++ {
					H.SetSym(k, l, H.At(k, l)+r*md.q[k]*md.q[l])
				}
			}
		}
		return H
	}
	full := make([]float64, m*m) // row k: ∂grad/∂θ_k
	gp, gm := make([]float64, m), make([]float64, m)
	th := append([]float64(nil), theta...)
	for k := 0; k < m; k++ {
		h := 1e-5 * math.Max(1, math.Abs(theta[k]))
		th[k] = theta[k] + h
		g.NLL(th, gp)
		th[k] = theta[k] - h
		g.NLL(th, gm)
		th[k] = theta[k]
		for l := 0; l < m; l++ {
			full[k*m+l] = (gp[l] - gm[l]) / (2 * h)
		}
	}
	H := mat.NewSymDense(m, nil)
	for k := 0; k < m; k++ {
		for l := k; l < m; l++ {
			H.SetSym(k, l, 0.5*(full[k*m+l]+full[l*m+k]))
		}
	}
	return H
}

// WhiteStart returns the white-noise model matched to the data's per-channel
// variance: θ = 1/var on the δ = 0 same-channel terms, 0 elsewhere.
func (g *GaussianFit) WhiteStart() []float64 {
	d := g.nc + 1
	theta := make([]float64, len(g.q))
	for k, t := range g.Model.Terms {
		if t.C == t.D && t.S == (energy.Shift{}) {
			var v float64
			for _, P := range g.p {
				v += real(P[t.C*d+t.C])
			}
			v /= float64(g.n * g.n)
			theta[k] = 1 / v
		}
	}
	return theta
}

// ScoreMatchingStart returns the exact score-matching solution of a plain
// (direct) model, argmin Σ_ω ½Q̂(ω)²P(ω) − Q̂(ω): the normal equations
// Σ_ω P q_k q_l θ_l = Σ_ω q_k. It equals θ* when the true energy lies in the
// model, and is a good Newton start otherwise. For conditional models it
// returns WhiteStart.
func (g *GaussianFit) ScoreMatchingStart() []float64 {
	if g.Model.IsConditional() {
		return g.WhiteStart()
	}
	m := len(g.q)
	M := mat.NewSymDense(m, nil)
	r := mat.NewVecDense(m, nil)
	const d, c = 2, 1*2 + 1 // the φ-φ entry of each 2×2 block
	for w, P := range g.p {
		p := real(P[c])
		if p == 0 {
			continue // excluded mode
		}
		for k := 0; k < m; k++ {
			qk := real(g.q[k].entry(w, 1, 1))
			r.SetVec(k, r.AtVec(k)+qk)
			for l := k; l < m; l++ {
				M.SetSym(k, l, M.At(k, l)+p*qk*real(g.q[l].entry(w, 1, 1)))
			}
		}
	}
	var ch mat.Cholesky
	var theta mat.VecDense
	if !ch.Factorize(M) || ch.SolveVecTo(&theta, r) != nil {
		return g.WhiteStart()
	}
	return theta.RawVector().Data
}

// Optimum returns θ* by Newton's method from start, with the exact gradient
// and the finite-difference Hessian.
func (g *GaussianFit) Optimum(start []float64) ([]float64, error) {
	m := len(start)
	theta := append([]float64(nil), start...)
	grad := make([]float64, m)
	cur := g.NLL(theta, grad)
	for it := 0; it < 500; it++ {
		H := g.Hessian(theta)
		var ch mat.Cholesky
		if !ch.Factorize(H) {
			return nil, fmt.Errorf("experiment: NLL Hessian not positive definite")
		}
		var step mat.VecDense
		if err := ch.SolveVecTo(&step, mat.NewVecDense(m, grad)); err != nil {
			return nil, err
		}
		// Newton decrement λ² = gᵀH⁻¹g: the predicted decrease is λ²/2.
		var dec float64
		for k := range grad {
			dec += grad[k] * step.AtVec(k)
		}
		if dec < 1e-14*math.Max(1, math.Abs(cur)) {
			return theta, nil
		}
		s := 1.0
		next := make([]float64, m)
		for {
			for k := range theta {
				next[k] = theta[k] - s*step.AtVec(k)
			}
			if val := g.NLL(next, nil); val < cur {
				break
			}
			if s /= 2; s < 1e-12 {
				return nil, fmt.Errorf("experiment: Newton line search failed at iteration %d", it)
			}
		}
		copy(theta, next)
		cur = g.NLL(theta, grad)
	}
	return theta, nil
}

// GDResult is a gradient-descent run.
type GDResult struct {
	Iterations int     // τ_GD
	Cond       float64 // κ of the diagonally normalized Hessian at θ*
	CondRaw    float64 // κ of the raw Hessian
	Converged  bool
}

// GradientDescent counts diagonally normalized gradient-descent iterations
// from the white start until NLL(θ_t) − NLL(θ*) ≤ tol·(NLL(θ_0) − NLL(θ*))
// (spec §3.3: tol = 1e−3, step 1/λ_max of the normalized Hessian at θ*),
// giving up after maxIter.
func (g *GaussianFit) GradientDescent(tol float64, maxIter int) (GDResult, error) {
	start := g.WhiteStart()
	star, err := g.Optimum(g.ScoreMatchingStart())
	if err != nil {
		return GDResult{}, err
	}
	m := len(star)
	H := g.Hessian(star)
	dn := make([]float64, m)
	N := mat.NewSymDense(m, nil)
	for k := 0; k < m; k++ {
		dn[k] = 1 / math.Sqrt(H.At(k, k))
	}
	for k := 0; k < m; k++ {
		for l := k; l < m; l++ {
			N.SetSym(k, l, H.At(k, l)*dn[k]*dn[l])
		}
	}
	cond := func(a *mat.SymDense) (float64, float64) {
		var es mat.EigenSym
		es.Factorize(a, false)
		v := es.Values(nil)
		return v[len(v)-1] / v[0], v[len(v)-1]
	}
	res := GDResult{}
	var lmax float64
	res.Cond, lmax = cond(N)
	res.CondRaw, _ = cond(H)
	eta := 1 / lmax
	f0, fstar := g.NLL(start, nil), g.NLL(star, nil)
	theta := append([]float64(nil), start...)
	grad := make([]float64, m)
	for it := 0; it <= maxIter; it++ {
		f := g.NLL(theta, grad)
		if math.IsInf(f, 1) {
			return res, fmt.Errorf("experiment: gradient descent left the positive-definite region at iteration %d", it)
		}
		if f-fstar <= tol*(f0-fstar) {
			res.Iterations, res.Converged = it, true
			return res, nil
		}
		for k := range theta {
			theta[k] -= eta * dn[k] * dn[k] * grad[k]
		}
	}
	res.Iterations = maxIter
	return res, nil
}

// NearestNeighbourModel returns the direct Gaussian model of spec §3.3 with
// the three potentials ½Σφ², ½Σφ(x)φ(x+e₁), ½Σφ(x)φ(x+e₂) on an L×L lattice.
func NearestNeighbourModel(L int) *energy.Model {
	m, _ := energy.NewPlain(L, 1, energy.ScalarBasis{Kind: energy.BasisNone})
	var keep []energy.QuadTerm
	for _, t := range m.Terms {
		if a := abs(t.S[0]) + abs(t.S[1]); a <= 1 {
			keep = append(keep, t)
		}
	}
	m.Terms = keep
	m.Theta = make([]float64, len(keep))
	return m
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// value returns Q̂_θ of the mode group.
func (md *plainMode) value(theta []float64) float64 {
	var Q float64
	for k, v := range md.q {
		Q += theta[k] * v
	}
	return Q
}

// groupPlainModes collects the frequencies of a plain one-channel model into
// groups with equal P and Q̂_k (to 12 digits): the reflections k → −k make
// them 2.5–3.5 times fewer than the frequencies (separate e₁ and e₂ terms
// break the axis swap).
func (g *GaussianFit) groupPlainModes() {
	index := map[string]int{}
	for w, P := range g.p {
		p := real(P[3]) // the (1, 1) entry of the 2×2 block
		q := make([]float64, len(g.q))
		for k := range g.q {
			q[k] = real(g.q[k].entry(w, 1, 1))
		}
		id := fmt.Sprintf("%.12g", p)
		for _, v := range q {
			id += fmt.Sprintf(",%.12g", v)
		}
		if i, ok := index[id]; ok {
			g.plain[i].mult++
			continue
		}
		index[id] = len(g.plain)
		g.plain = append(g.plain, plainMode{mult: 1, p: p, q: q})
	}
}

// plainNLL is NLL for a plain one-channel model: ½ Σ_ω (Q̂P − log Q̂), with
// the excluded modes (P = 0: the massless zero mode) left out.
func (g *GaussianFit) plainNLL(theta, grad []float64) float64 {
	if grad != nil {
		clear(grad)
	}
	var nll float64
	for i := range g.plain {
		md := &g.plain[i]
		if md.p == 0 {
			continue // an excluded mode
		}
		Q := md.value(theta)
		if !(Q > 0) {
			return math.Inf(1)
		}
		nll += 0.5 * md.mult * (Q*md.p - math.Log(Q))
		if grad != nil {
			r := 0.5 * md.mult * (md.p - 1/Q)
			for k, v := range md.q {
				grad[k] += r * v
			}
		}
	}
	return nll
}
