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
	q     [][]complex128 // Q̂_k(ω) per parameter, (nc+1)² per ω
}

// NewGaussianFit prepares exact ML for model m (conditional or plain, no
// scalar basis) on a field with spectrum s of side L, decomposed with b and
// γ = 1 down to the model's level (a plain model of side L is the direct
// model). level is j for a conditional model of φ̄_j, 0 for the direct one.
func NewGaussianFit(m *energy.Model, b wavelet.Basis, L, level int, s gaussfield.Spectrum) (*GaussianFit, error) {
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
	// Fourier kernels of every term: Q̂_cd += ½θ e^{−iω·s}, Q̂_dc += ½θ e^{iω·s}.
	g.q = make([][]complex128, len(m.Terms))
	for k, t := range m.Terms {
		Q := make([]complex128, n*n*d*d)
		for w1 := 0; w1 < n; w1++ {
			for w2 := 0; w2 < n; w2++ {
				ph := -2 * math.Pi * float64(w1*t.S[0]+w2*t.S[1]) / float64(n)
				e := cmplx.Exp(complex(0, ph))
				base := (w1*n + w2) * d * d
				Q[base+t.C*d+t.D] += 0.5 * e
				Q[base+t.D*d+t.C] += 0.5 * cmplx.Conj(e)
			}
		}
		g.q[k] = Q
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
	for k, qk := range g.q {
		if theta[k] == 0 {
			continue
		}
		t := complex(theta[k], 0)
		for i, v := range qk {
			Q[i] += t * v
		}
	}
	return Q
}

// NLL returns the expected negative log-likelihood per field and its
// gradient (if grad ≠ nil). It returns +Inf if A(ω) is not positive
// definite at some ω.
func (g *GaussianFit) NLL(theta, grad []float64) float64 {
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
		for k, qk := range g.q {
			var trk complex128
			for i := 0; i < d; i++ {
				for j := 0; j < d; j++ {
					trk += qk[base+i*d+j] * P[j*d+i]
				}
			}
			// tr(A⁻¹ A_k)
			var tai complex128
			for i := 0; i < nc; i++ {
				for j := 0; j < nc; j++ {
					tai += ainv[i*nc+j] * qk[base+(j+1)*d+i+1]
				}
			}
			gk := real(trk) - real(tai)
			if cond {
				// ∂(BᴴA⁻¹B) = 2Re(B_kᴴA⁻¹B) − (A⁻¹B)ᴴ A_k (A⁻¹B).
				var t1, t2 complex128
				for i := 0; i < nc; i++ {
					t1 += cmplx.Conj(qk[base+(i+1)*d]) * AiB[i]
					for j := 0; j < nc; j++ {
						t2 += cmplx.Conj(AiB[i]) * qk[base+(i+1)*d+j+1] * AiB[j]
					}
				}
				gk += real(P[0]) * (2*real(t1) - real(t2))
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

// Hessian returns the Hessian of the NLL at θ by central differences of
// the exact gradient (step 1e-5 relative).
func (g *GaussianFit) Hessian(theta []float64) *mat.SymDense {
	m := len(theta)
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
			qk := real(g.q[k][w*d*d+c])
			r.SetVec(k, r.AtVec(k)+qk)
			for l := k; l < m; l++ {
				M.SetSym(k, l, M.At(k, l)+p*qk*real(g.q[l][w*d*d+c]))
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
