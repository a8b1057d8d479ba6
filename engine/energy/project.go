package energy

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// Operator applies a symmetric linear operator to a field: dst = K src.
// Both are row-major square fields of the same side.
type Operator func(dst, src []float64)

// termIndex maps a canonical quadratic term to its position in m.Terms.
func (m *Model) termIndex() map[QuadTerm]int {
	idx := make(map[QuadTerm]int, len(m.Terms))
	for i, t := range m.Terms {
		idx[t] = i
	}
	return idx
}

// canonicalTerm maps the moment ½ Σ_x a_p(x) a_q(x − s) to the term that
// represents it, using M_{p,q,s} = M_{q,p,−s} and, for p = q, M_{p,p,s} =
// M_{p,p,−s}. It returns false for (0, 0), which no model contains.
func canonicalTerm(p, q int, s Shift, n int) (QuadTerm, bool) {
	if p == 0 && q == 0 {
		return QuadTerm{}, false
	}
	if p > q {
		p, q = q, p
		s = Shift{-s[0], -s[1]}
	}
	s = canonical(s, n)
	if p == q {
		if m := negate(s, n); less(m, s) {
			s = m
		}
	}
	return QuadTerm{C: p, D: q, S: s}, true
}

// ProjectQuadratic returns the quadratic parameters (len NumQuad) that
// represent the energy ½ φᵀ K φ of the field the model's scalar potential
// acts on: for a conditional model ½ φ_{j−1}ᵀ K φ_{j−1} with φ_{j−1} =
// γ(Gᵀφ_j + Ḡᵀφ̄_j), up to a function of φ_j (spec §2.1); for a plain model
// ½ φᵀKφ itself. K must be symmetric and commute with the shifts of the
// model's grid (shifts by two fine sites for conditional models).
//
// Couplings that fall outside the model's window are dropped; outside
// returns their norm relative to the norm of all couplings, so callers can
// check that the window holds the operator (it is 0 when it does).
func (m *Model) ProjectQuadratic(K Operator) (theta []float64, outside float64) {
	n, nc := m.N, m.Channels()
	nn := n * n
	fs := m.FineSide()
	idx := m.termIndex()
	theta = make([]float64, len(m.Terms))
	var ws *wavelet.Workspace
	if m.IsConditional() {
		ws = wavelet.NewWorkspace(fs)
	}
	fine := make([]float64, fs*fs)
	kf := make([]float64, fs*fs)
	coarse := make([]float64, nn)
	detail := make([]float64, nc*nn)
	zc := make([]float64, nn)
	zd := make([]float64, nc*nn)
	g2 := m.Gamma * m.Gamma
	var in, out float64
	p0 := 0
	if !m.IsConditional() {
		p0 = 1
	}
	// β_pq(x) = [W_p K W_qᵀ e_0^q](x), with W_0 = G and W_c = Ḡ_c; then
	// ½γ² Σ_pq a_pᵀ (W_p K W_qᵀ) a_q = γ² Σ_pq Σ_s β_pq(s) M_{p,q,s}.
	for q := p0; q <= nc; q++ {
		clear(zc)
		clear(zd)
		if m.IsConditional() {
			if q == 0 {
				zc[0] = 1
			} else {
				zd[(q-1)*nn] = 1
			}
			m.Wavelet.Synthesize(fine, zc, zd, fs, ws)
		} else {
			clear(fine)
			fine[0] = 1
		}
		K(kf, fine)
		if m.IsConditional() {
			m.Wavelet.Analyze(coarse, detail, kf, fs, ws)
		} else {
			copy(detail, kf)
		}
		for p := p0; p <= nc; p++ {
			var col []float64
			if p == 0 {
				col = coarse
			} else {
				col = detail[(p-1)*nn : p*nn]
			}
			for x, beta := range col {
				if beta == 0 {
					continue
				}
				s := Shift{x / n, x % n}
				t, ok := canonicalTerm(p, q, s, n)
				if !ok {
					continue // a function of φ_j alone
				}
				v := g2 * beta
				if i, found := idx[t]; found {
					theta[i] += v
					in += v * v
				} else {
					out += v * v
				}
			}
		}
	}
	if in+out > 0 {
		outside = math.Sqrt(out / (in + out))
	}
	return theta, outside
}

// LaplacianOperator returns K = −βΔ (β times the nearest-neighbour lattice
// Laplacian of spec §0, with the sign that makes it positive semidefinite)
// plus mass2 times the identity, on fields of side n.
func LaplacianOperator(n int, beta, mass2 float64) Operator {
	return func(dst, src []float64) {
		if len(dst) != n*n || len(src) != n*n {
			panic(fmt.Sprintf("energy: Laplacian of side %d applied to lengths %d, %d", n, len(dst), len(src)))
		}
		for x1 := 0; x1 < n; x1++ {
			u, d := modn(x1-1, n), modn(x1+1, n)
			for x2 := 0; x2 < n; x2++ {
				l, r := modn(x2-1, n), modn(x2+1, n)
				c := src[x1*n+x2]
				nb := src[u*n+x2] + src[d*n+x2] + src[x1*n+l] + src[x1*n+r]
				dst[x1*n+x2] = beta*(4*c-nb) + mass2*c
			}
		}
	}
}
