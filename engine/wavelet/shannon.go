package wavelet

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/fft2"
)

// Shannon is the orthogonal periodic Fourier-shell split (Wilson's
// momentum-shell RG; the seed talk's "Shannon wavelet"): it is localized in
// frequency and not in space.
//
// In one dimension, a real signal x of even length N with DFT X is split
// into a coarse signal a and a detail d of length M = N/2 through their
// DFTs, for |g| < M/2:
//
//	A(g) = X(g)/√2,           D(g) = X(g + N/2)/√2,
//	A(M/2) = Re X(N/4),       D(M/2) = −Im X(N/4),
//
// so the coarse part holds the modes |f| < N/4 plus the cosine of f = N/4,
// and the detail the modes N/4 < |f| ≤ N/2 (demodulated by (−1)ⁿ) plus the
// sine of f = N/4. This is an orthogonal map of real signals onto real
// signals, so reconstruction is exact. For N = 2 it is Haar. In 2D it is
// applied along axis 2 and then axis 1, with the channel order of the
// package doc, so the coarse field keeps the modes with |f₁|, |f₂| < N/4.
type Shannon struct{}

// Name implements Basis.
func (Shannon) Name() string { return "shannon" }

// shannonLine holds scratch space for one line length.
type shannonLine struct {
	n        int
	big      *fft2.Line
	half     *fft2.Line
	X, A, D  []complex128
	aRe, dRe []float64
	col      []float64
}

func (ws *Workspace) shannon(n int) *shannonLine {
	if ws.sh == nil {
		ws.sh = make(map[int]*shannonLine)
	}
	s := ws.sh[n]
	if s == nil {
		m := n / 2
		s = &shannonLine{n: n, big: fft2.NewLine(n), half: fft2.NewLine(m),
			X: make([]complex128, n), A: make([]complex128, m), D: make([]complex128, m),
			aRe: make([]float64, m), dRe: make([]float64, m), col: make([]float64, n)}
		ws.sh[n] = s
	}
	return s
}

// analyze1D splits x (length N, stride 1) into a and d (length N/2).
func (s *shannonLine) analyze1D(a, d, x []float64) {
	n, m := s.n, s.n/2
	if n == 2 {
		a[0] = (x[0] + x[1]) / math.Sqrt2
		d[0] = (x[0] - x[1]) / math.Sqrt2
		return
	}
	for i, v := range x {
		s.X[i] = complex(v, 0)
	}
	s.big.Transform(s.X, false)
	r := complex(1/math.Sqrt2, 0)
	for g := -(m/2 - 1); g <= m/2-1; g++ {
		gi := (g + m) % m
		s.A[gi] = s.X[(g+n)%n] * r
		s.D[gi] = s.X[(g+n/2+n)%n] * r
	}
	q := s.X[n/4]
	s.A[m/2] = complex(real(q), 0)
	s.D[m/2] = complex(-imag(q), 0)
	s.half.Transform(s.A, true)
	s.half.Transform(s.D, true)
	for i := 0; i < m; i++ {
		a[i] = real(s.A[i]) / float64(m)
		d[i] = real(s.D[i]) / float64(m)
	}
}

// synthesize1D inverts analyze1D.
func (s *shannonLine) synthesize1D(x, a, d []float64) {
	n, m := s.n, s.n/2
	if n == 2 {
		x[0] = (a[0] + d[0]) / math.Sqrt2
		x[1] = (a[0] - d[0]) / math.Sqrt2
		return
	}
	for i := 0; i < m; i++ {
		s.A[i] = complex(a[i], 0)
		s.D[i] = complex(d[i], 0)
	}
	s.half.Transform(s.A, false)
	s.half.Transform(s.D, false)
	r := complex(math.Sqrt2, 0)
	for g := -(m/2 - 1); g <= m/2-1; g++ {
		gi := (g + m) % m
		s.X[(g+n)%n] = s.A[gi] * r
		s.X[(g+n/2+n)%n] = s.D[gi] * r
	}
	// A(M/2) and D(M/2) are real for real a, d.
	q := complex(real(s.A[m/2]), -real(s.D[m/2]))
	s.X[n/4] = q
	s.X[n-n/4] = complex(real(q), -imag(q))
	s.big.Transform(s.X, true)
	for i := range x {
		x[i] = real(s.X[i]) / float64(n)
	}
}

// Analyze implements Basis.
func (Shannon) Analyze(coarse, detail, x []float64, n int, ws *Workspace) {
	checkLevel2D(len(coarse), len(detail), len(x), n)
	if n%4 != 0 && n != 2 {
		panic(fmt.Sprintf("wavelet: shannon split of side %d (want 2 or a multiple of 4)", n))
	}
	m := n / 2
	lo, hi := ws.planes(n)
	sl := ws.shannon(n)
	for r := 0; r < n; r++ {
		sl.analyze1D(lo[r*m:(r+1)*m], hi[r*m:(r+1)*m], x[r*n:(r+1)*n])
	}
	mm := m * m
	c1, c2, c3 := detail[:mm], detail[mm:2*mm], detail[2*mm:]
	col, ca, cd := sl.col, sl.aRe, sl.dRe
	for j := 0; j < m; j++ {
		for r := 0; r < n; r++ {
			col[r] = lo[r*m+j]
		}
		sl.analyze1D(ca, cd, col)
		for p := 0; p < m; p++ {
			coarse[p*m+j] = ca[p]
			c2[p*m+j] = cd[p]
		}
		for r := 0; r < n; r++ {
			col[r] = hi[r*m+j]
		}
		sl.analyze1D(ca, cd, col)
		for p := 0; p < m; p++ {
			c1[p*m+j] = ca[p]
			c3[p*m+j] = cd[p]
		}
	}
}

// Synthesize implements Basis.
func (Shannon) Synthesize(x, coarse, detail []float64, n int, ws *Workspace) {
	checkLevel2D(len(coarse), len(detail), len(x), n)
	m := n / 2
	lo, hi := ws.planes(n)
	sl := ws.shannon(n)
	mm := m * m
	c1, c2, c3 := detail[:mm], detail[mm:2*mm], detail[2*mm:]
	col, ca, cd := sl.col, sl.aRe, sl.dRe
	for j := 0; j < m; j++ {
		for p := 0; p < m; p++ {
			ca[p], cd[p] = coarse[p*m+j], c2[p*m+j]
		}
		sl.synthesize1D(col, ca, cd)
		for r := 0; r < n; r++ {
			lo[r*m+j] = col[r]
		}
		for p := 0; p < m; p++ {
			ca[p], cd[p] = c1[p*m+j], c3[p*m+j]
		}
		sl.synthesize1D(col, ca, cd)
		for r := 0; r < n; r++ {
			hi[r*m+j] = col[r]
		}
	}
	for r := 0; r < n; r++ {
		sl.synthesize1D(x[r*n:(r+1)*n], lo[r*m:(r+1)*m], hi[r*m:(r+1)*m])
	}
}
