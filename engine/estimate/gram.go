package estimate

import (
	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// gram accumulates, over samples, the second-order statistics from which
// the score-matching system is assembled without forming one gradient field
// per parameter (spec §3.2): the cross-correlations of the channels,
// C_pq(r) = Σ_y a_p(y) a_q(y + r), the cross-correlations of the channels
// with the scalar-potential gradient fields W_k = γ Ḡ[ρ_k'(φ_{j−1})],
// X_pke(r) = Σ_y a_p(y) W_ke(y + r), the Gram matrix ⟨W_k, W_l⟩ and the
// Laplacian sums Σ_x ρ_k”(φ_{j−1}(x)) w(x). Correlations are accumulated
// as spectra and transformed back once at the end.
type gram struct {
	m             *energy.Model
	n, nc, K, fs  int
	p0            int // first channel: 0 (conditional) or 1 (plain)
	count         int
	plan          *fft2.Plan
	cc            [][]complex128 // index p·(nc+1)+q, p ≤ q
	xs            [][]complex128 // index (p·K + k)·nc + (e−1)
	ss            []float64      // K×K, ⟨W_k, W_l⟩
	lap           []float64      // K
	ahat, what    [][]complex128
	u             [][]float64 // ρ_k'(fine) on the fine grid
	wk            [][]float64 // W_k, nc channels
	gu            [][]float64 // G u_k (coarse part of the analysis)
	buf           []float64
	ws            *wavelet.Workspace
	lapW          [4]float64
	coarseScratch []float64

	// Optional regression target T (a field of the varying field's shape):
	// Y_pe(r) = Σ_y a_p(y) T_e(y + r) as spectra, and ⟨W_k, T⟩.
	ys   [][]complex128 // index p·nc + (e−1)
	ts   []float64      // K
	that [][]complex128 // T̂_e scratch
}

// enableTarget allocates the accumulators of a regression target.
func (g *gram) enableTarget() {
	nn := g.n * g.n
	g.ys = make([][]complex128, (g.nc+1)*g.nc)
	for p := g.p0; p <= g.nc; p++ {
		for e := 1; e <= g.nc; e++ {
			g.ys[p*g.nc+e-1] = make([]complex128, nn)
		}
	}
	g.ts = make([]float64, g.K)
	g.that = make([][]complex128, g.nc)
	for e := range g.that {
		g.that[e] = make([]complex128, nn)
	}
}

// addTarget accumulates the target of the sample last passed to add.
func (g *gram) addTarget(t []float64) {
	nn := g.n * g.n
	for e := 1; e <= g.nc; e++ {
		g.plan.Forward(g.that[e-1], t[(e-1)*nn:e*nn])
	}
	for p := g.p0; p <= g.nc; p++ {
		for e := 1; e <= g.nc; e++ {
			acc := g.ys[p*g.nc+e-1]
			ap, th := g.ahat[p], g.that[e-1]
			for i := range acc {
				acc[i] += conjMul(ap[i], th[i])
			}
		}
	}
	for k := 0; k < g.K; k++ {
		var s float64
		for i, v := range g.wk[k] {
			s += v * t[i]
		}
		g.ts[k] += s
	}
}

func newGram(m *energy.Model) *gram {
	n, nc, K := m.N, m.Channels(), m.Scalar.Len()
	g := &gram{m: m, n: n, nc: nc, K: K, fs: m.FineSide(), plan: fft2.NewPlan(n)}
	if !m.IsConditional() {
		g.p0 = 1
	}
	nn := n * n
	g.cc = make([][]complex128, (nc+1)*(nc+1))
	for p := g.p0; p <= nc; p++ {
		for q := p; q <= nc; q++ {
			g.cc[p*(nc+1)+q] = make([]complex128, nn)
		}
	}
	g.xs = make([][]complex128, (nc+1)*K*nc)
	for p := g.p0; p <= nc; p++ {
		for k := 0; k < K; k++ {
			for e := 1; e <= nc; e++ {
				g.xs[(p*K+k)*nc+e-1] = make([]complex128, nn)
			}
		}
	}
	g.ss = make([]float64, K*K)
	g.lap = make([]float64, K)
	g.ahat = make([][]complex128, nc+1)
	for p := range g.ahat {
		g.ahat[p] = make([]complex128, nn)
	}
	g.what = make([][]complex128, K*nc)
	for i := range g.what {
		g.what[i] = make([]complex128, nn)
	}
	g.u = make([][]float64, K)
	g.wk = make([][]float64, K)
	g.gu = make([][]float64, K)
	for k := 0; k < K; k++ {
		g.u[k] = make([]float64, g.fs*g.fs)
		g.wk[k] = make([]float64, nc*nn)
		g.gu[k] = make([]float64, nn)
	}
	g.buf = make([]float64, max(m.Scalar.MaxActive(), 1))
	if m.IsConditional() {
		g.ws = wavelet.NewWorkspace(g.fs)
	}
	for p1 := 0; p1 < 2; p1++ {
		for p2 := 0; p2 < 2; p2++ {
			g.lapW[2*p1+p2] = m.LaplacianWeight(p1, p2)
		}
	}
	return g
}

// add accumulates one sample.
func (g *gram) add(a0, x, fine []float64) {
	n, nc, K := g.n, g.nc, g.K
	nn := n * n
	g.count++
	for p := g.p0; p <= nc; p++ {
		var ch []float64
		if p == 0 {
			ch = a0
		} else {
			ch = x[(p-1)*nn : p*nn]
		}
		g.plan.Forward(g.ahat[p], ch)
	}
	for p := g.p0; p <= nc; p++ {
		for q := p; q <= nc; q++ {
			acc := g.cc[p*(nc+1)+q]
			ap, aq := g.ahat[p], g.ahat[q]
			for i := range acc {
				acc[i] += conjMul(ap[i], aq[i])
			}
		}
	}
	if K == 0 {
		return
	}
	// Scalar-potential gradient fields: u_k = ρ_k'(fine), sparse in k.
	for k := 0; k < K; k++ {
		clear(g.u[k])
	}
	sb := g.m.Scalar
	fs := g.fs
	band := g.ss // ⟨u_k, u_l⟩ on the fine grid is accumulated into ss first for plain models
	conditional := g.m.IsConditional()
	gamma2 := g.m.Gamma * g.m.Gamma
	for i, t := range fine {
		first, c := sb.Eval(t, 1, g.buf)
		for a := 0; a < c; a++ {
			g.u[first+a][i] = g.buf[a]
		}
		if sb.SecondDerivative() {
			first, c = sb.Eval(t, 2, g.buf)
			w := g.lapW[2*((i/fs)%2)+(i%fs)%2]
			for a := 0; a < c; a++ {
				g.lap[first+a] += gamma2 * g.buf[a] * w
			}
		}
	}
	if conditional {
		// W_k = γ Ḡ u_k; ⟨W_k, W_l⟩ = γ²(⟨u_k, u_l⟩ − ⟨G u_k, G u_l⟩).
		for k := 0; k < K; k++ {
			g.m.Wavelet.Analyze(g.gu[k], g.wk[k], g.u[k], fs, g.ws)
			for i := range g.wk[k] {
				g.wk[k][i] *= g.m.Gamma
			}
		}
		for k := 0; k < K; k++ {
			for l := k; l < K; l++ {
				var s float64
				for i, v := range g.wk[k] {
					s += v * g.wk[l][i]
				}
				g.ss[k*K+l] += s
			}
		}
	} else {
		for k := 0; k < K; k++ {
			copy(g.wk[k], g.u[k])
			for l := k; l < K; l++ {
				var s float64
				for i, v := range g.u[k] {
					s += v * g.u[l][i]
				}
				band[k*K+l] += s
			}
		}
	}
	for k := 0; k < K; k++ {
		for e := 1; e <= nc; e++ {
			g.plan.Forward(g.what[k*nc+e-1], g.wk[k][(e-1)*nn:e*nn])
		}
	}
	for p := g.p0; p <= nc; p++ {
		ap := g.ahat[p]
		for k := 0; k < K; k++ {
			for e := 1; e <= nc; e++ {
				acc := g.xs[(p*K+k)*nc+e-1]
				wh := g.what[k*nc+e-1]
				for i := range acc {
					acc[i] += conjMul(ap[i], wh[i])
				}
			}
		}
	}
}

func conjMul(a, b complex128) complex128 {
	return complex(real(a)*real(b)+imag(a)*imag(b), real(a)*imag(b)-imag(a)*real(b))
}

// merge adds the accumulators of o into g.
func (g *gram) merge(o *gram) {
	g.count += o.count
	for i := range g.ys {
		for j := range g.ys[i] {
			g.ys[i][j] += o.ys[i][j]
		}
	}
	for i := range g.ts {
		g.ts[i] += o.ts[i]
	}
	for i := range g.cc {
		for j := range g.cc[i] {
			g.cc[i][j] += o.cc[i][j]
		}
	}
	for i := range g.xs {
		for j := range g.xs[i] {
			g.xs[i][j] += o.xs[i][j]
		}
	}
	for i := range g.ss {
		g.ss[i] += o.ss[i]
	}
	for i := range g.lap {
		g.lap[i] += o.lap[i]
	}
}

// system is the assembled, sample-averaged score-matching system:
// H_kl = E⟨∇U_k, ∇U_l⟩ and b_k = E[Δ U_k].
type system struct {
	H     []float64 // m×m, row-major, symmetric
	B     []float64
	R     []float64 // E⟨∇U_k, T⟩ when a regression target was accumulated
	M     int
	Count int
}

// correlations returns the averaged real-space correlation functions:
// corr(p, q, r) for all channel pairs and the X functions.
func (g *gram) finish() system {
	n, nc, K := g.n, g.nc, g.K
	nn := n * n
	cnt := float64(g.count)
	real2 := func(spec []complex128) []float64 {
		out := make([]float64, nn)
		buf := append([]complex128(nil), spec...)
		g.plan.InverseReal(out, buf)
		for i := range out {
			out[i] /= cnt
		}
		return out
	}
	corr := make([][]float64, (nc+1)*(nc+1))
	for p := g.p0; p <= nc; p++ {
		for q := p; q <= nc; q++ {
			c := real2(g.cc[p*(nc+1)+q])
			corr[p*(nc+1)+q] = c
			if p != q {
				// C_qp(r) = C_pq(−r).
				rev := make([]float64, nn)
				for r1 := 0; r1 < n; r1++ {
					for r2 := 0; r2 < n; r2++ {
						rev[r1*n+r2] = c[((n-r1)%n)*n+(n-r2)%n]
					}
				}
				corr[q*(nc+1)+p] = rev
			}
		}
	}
	C := func(p, q int, r1, r2 int) float64 {
		return corr[p*(nc+1)+q][modn(r1, n)*n+modn(r2, n)]
	}
	X := make([][]float64, len(g.xs))
	for i, s := range g.xs {
		if s != nil {
			X[i] = real2(s)
		}
	}
	Xf := func(p, k, e int, r1, r2 int) float64 {
		return X[(p*K+k)*nc+e-1][modn(r1, n)*n+modn(r2, n)]
	}

	terms := g.m.Terms
	mq := len(terms)
	m := mq + K
	sys := system{H: make([]float64, m*m), B: make([]float64, m), M: m, Count: g.count}
	set := func(i, j int, v float64) {
		sys.H[i*m+j] = v
		sys.H[j*m+i] = v
	}
	for i, t := range terms {
		c, d, s := t.C, t.D, t.S
		for j := i; j < mq; j++ {
			u := terms[j]
			c2, d2, s2 := u.C, u.D, u.S
			var h float64
			if c == c2 && c >= 1 {
				h += C(d, d2, s[0]-s2[0], s[1]-s2[1])
			}
			if c == d2 && c >= 1 {
				h += C(d, c2, s[0]+s2[0], s[1]+s2[1])
			}
			if d == c2 {
				h += C(c, d2, -s[0]-s2[0], -s[1]-s2[1])
			}
			if d == d2 {
				h += C(c, c2, s2[0]-s[0], s2[1]-s[1])
			}
			set(i, j, h/4)
		}
		for k := 0; k < K; k++ {
			var h float64
			if c >= 1 {
				h += Xf(d, k, c, s[0], s[1])
			}
			h += Xf(c, k, d, -s[0], -s[1])
			set(i, mq+k, h/2)
		}
		if c == d && s == (energy.Shift{}) {
			sys.B[i] = float64(nn)
		}
	}
	for k := 0; k < K; k++ {
		for l := k; l < K; l++ {
			set(mq+k, mq+l, g.ss[k*K+l]/cnt)
		}
		sys.B[mq+k] = g.lap[k] / cnt
	}
	if g.ys != nil {
		Y := make([][]float64, len(g.ys))
		for i, s := range g.ys {
			if s != nil {
				Y[i] = real2(s)
			}
		}
		Yf := func(p, e, r1, r2 int) float64 { return Y[p*nc+e-1][modn(r1, n)*n+modn(r2, n)] }
		sys.R = make([]float64, m)
		for i, t := range terms {
			var r float64
			if t.C >= 1 {
				r += Yf(t.D, t.C, t.S[0], t.S[1])
			}
			r += Yf(t.C, t.D, -t.S[0], -t.S[1])
			sys.R[i] = r / 2
		}
		for k := 0; k < K; k++ {
			sys.R[mq+k] = g.ts[k] / cnt
		}
	}
	return sys
}

func modn(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}
