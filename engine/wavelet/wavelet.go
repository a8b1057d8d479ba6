// Package wavelet implements orthogonal periodic wavelet transforms of square
// fields: one-level 1D and 2D analysis and synthesis, and the renormalized
// multilevel decomposition of the WC-RG method (spec §1).
//
// # Filters and alignment
//
// A wavelet is given by its low-pass taps h of even length K (PyWavelets
// rec_lo); the high-pass taps are g[k] = (−1)^k h[K−1−k]. One periodic level
// of a signal x of even length N is
//
//	a[p] = Σ_k h[k] x[(2p + k + o) mod N],   d[p] = Σ_k g[k] x[(2p + k + o) mod N],
//
// with the offset o = 1 − K/2, and synthesis is its exact transpose, the
// scatter x[(2p + k + o) mod N] += h[k] a[p] + g[k] d[p], which stays
// orthogonal when N < K (periodized filters at coarse levels).
//
// The offset o makes the transform identical to PyWavelets' "periodization"
// mode, coefficient for coefficient, at every level. The specification (§1.2)
// writes o = 0 and expects agreement with PyWavelets up to a circular shift;
// that holds only for Haar: for K ≥ 4 the two conventions differ by an odd
// number of fine samples, a different decimation phase, so no shift maps one
// onto the other. o = 1 − K/2 also centres the filter on the pair
// {2p, 2p+1}, so a coarse pixel sits on the block of fine pixels it summarizes.
// Any offset keeps the polyphase matrix orthogonal, so the method is unchanged.
//
// # Two dimensions and channel order
//
// The 2D level applies the 1D step along axis 2 (columns index x₂), then
// along axis 1 (rows index x₁). With c_uw the output of filter u on axis 1 and
// w on axis 2 (spec §1.3), the coarse plane is c_hh and the detail channels are
// c = 1: (h, g), c = 2: (g, h), c = 3: (g, g), stored channel-major. PyWavelets
// dwt2 returns (cA, (cH, cV, cD)) = (c_hh, (c2, c1, c3)).
package wavelet

import (
	"fmt"
	"math"
	"strings"
)

// Basis is an orthogonal periodic scale separation of square fields. One
// level maps an n×n field x (n even) to a coarse plane G x and three detail
// planes Ḡ x, each (n/2)×(n/2), such that GᵀG + ḠᵀḠ = Id and G Ḡᵀ = 0.
// Implementations are immutable and safe for concurrent use; scratch space
// comes from the caller's Workspace.
type Basis interface {
	// Name returns the basis name as the user types it ("db4", "haar", …).
	Name() string
	// Analyze sets coarse = G x and detail = Ḡ x (channel-major, 3·(n/2)²).
	Analyze(coarse, detail, x []float64, n int, ws *Workspace)
	// Synthesize sets x = Gᵀ coarse + Ḡᵀ detail, the inverse of Analyze.
	Synthesize(x, coarse, detail []float64, n int, ws *Workspace)
}

// Workspace is scratch space for Analyze and Synthesize of fields up to a
// given size. It is not safe for concurrent use: give each goroutine its own.
type Workspace struct {
	lo, hi []float64 // n×(n/2) row-filtered planes
	sh     map[int]*shannonLine
}

// NewWorkspace returns scratch space for fields of side at most n.
func NewWorkspace(n int) *Workspace {
	m := n * max(n/2, 1)
	return &Workspace{lo: make([]float64, m), hi: make([]float64, m)}
}

func (ws *Workspace) planes(n int) (lo, hi []float64) {
	m := n * (n / 2)
	if len(ws.lo) < m {
		panic(fmt.Sprintf("wavelet: workspace too small for %d×%d fields", n, n))
	}
	return ws.lo[:m], ws.hi[:m]
}

// Filter is an orthogonal wavelet given by its filter taps.
type Filter struct {
	name   string
	h, g   []float64
	offset int // o = 1 − K/2
}

// Names returns the names of all available bases, in the order shown to users.
func Names() []string { return append(filterNames(), "shannon") }

// New returns the named basis ("haar", "db2" … "db10", "sym2" … "sym10",
// "coif1" … "coif5", "shannon"; "db1" is an alias of "haar").
func New(name string) (Basis, error) {
	if strings.ToLower(strings.TrimSpace(name)) == "shannon" {
		return Shannon{}, nil
	}
	f, err := NewFilter(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// NewFilter returns the named orthogonal filter wavelet.
func NewFilter(name string) (*Filter, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "db1" {
		key = "haar"
	}
	h := lowPassTaps(key)
	if h == nil {
		return nil, fmt.Errorf("wavelet: unknown wavelet %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return newFilter(key, h), nil
}

func newFilter(name string, h []float64) *Filter {
	K := len(h)
	g := make([]float64, K)
	for k := range g {
		g[k] = h[K-1-k]
		if k%2 == 1 {
			g[k] = -g[k]
		}
	}
	return &Filter{name: name, h: h, g: g, offset: 1 - K/2}
}

// Name returns the wavelet's PyWavelets name.
func (f *Filter) Name() string { return f.name }

// LowPass returns a copy of the low-pass taps h.
func (f *Filter) LowPass() []float64 { return append([]float64(nil), f.h...) }

// HighPass returns a copy of the high-pass taps g[k] = (−1)^k h[K−1−k].
func (f *Filter) HighPass() []float64 { return append([]float64(nil), f.g...) }

// Offset returns the alignment offset o = 1 − K/2 of the package doc.
func (f *Filter) Offset() int { return f.offset }

// Analyze1D computes one periodic level of the signal x (even length N):
// a = G x and d = Ḡ x, each of length N/2.
func (f *Filter) Analyze1D(a, d, x []float64) {
	n := len(x)
	checkLevel1D(len(a), len(d), n)
	K := len(f.h)
	for p := range a {
		var sa, sd float64
		start := 2*p + f.offset
		if start >= 0 && start+K <= n {
			xs := x[start : start+K]
			for k, v := range xs {
				sa += f.h[k] * v
				sd += f.g[k] * v
			}
		} else {
			for k := 0; k < K; k++ {
				v := x[mod(start+k, n)]
				sa += f.h[k] * v
				sd += f.g[k] * v
			}
		}
		a[p], d[p] = sa, sd
	}
}

// Synthesize1D overwrites x (length N) with Gᵀa + Ḡᵀd, the inverse of Analyze1D.
func (f *Filter) Synthesize1D(x, a, d []float64) {
	n := len(x)
	checkLevel1D(len(a), len(d), n)
	clear(x)
	K := len(f.h)
	for p := range a {
		ap, dp := a[p], d[p]
		start := 2*p + f.offset
		if start >= 0 && start+K <= n {
			xs := x[start : start+K]
			for k := range xs {
				xs[k] += f.h[k]*ap + f.g[k]*dp
			}
		} else {
			for k := 0; k < K; k++ {
				x[mod(start+k, n)] += f.h[k]*ap + f.g[k]*dp
			}
		}
	}
}

func checkLevel1D(na, nd, n int) {
	if n < 2 || n%2 != 0 || na != n/2 || nd != n/2 {
		panic(fmt.Sprintf("wavelet: 1D level with signal length %d and outputs %d, %d", n, na, nd))
	}
}

func checkLevel2D(nc, nd, nx, n int) {
	m := n / 2
	if n < 2 || n%2 != 0 || nx != n*n || nc != m*m || nd != 3*m*m {
		panic(fmt.Sprintf("wavelet: 2D level of side %d with lengths field %d, coarse %d, detail %d", n, nx, nc, nd))
	}
}

func mod(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// Analyze sets coarse = c_hh and detail = (c_hg, c_gh, c_gg) of the n×n
// field x (see the package doc). It allocates nothing.
func (f *Filter) Analyze(coarse, detail, x []float64, n int, ws *Workspace) {
	checkLevel2D(len(coarse), len(detail), len(x), n)
	m := n / 2
	lo, hi := ws.planes(n)
	// Axis 2: filter every row of x into lo (h) and hi (g), each n×m.
	for r := 0; r < n; r++ {
		f.Analyze1D(lo[r*m:(r+1)*m], hi[r*m:(r+1)*m], x[r*n:(r+1)*n])
	}
	// Axis 1: filter columns of lo and hi, as axpy's over whole rows.
	mm := m * m
	c1, c2, c3 := detail[:mm], detail[mm:2*mm], detail[2*mm:]
	K := len(f.h)
	for p := 0; p < m; p++ {
		oa := coarse[p*m : (p+1)*m]
		o1, o2, o3 := c1[p*m:(p+1)*m], c2[p*m:(p+1)*m], c3[p*m:(p+1)*m]
		clear(oa)
		clear(o1)
		clear(o2)
		clear(o3)
		for k := 0; k < K; k++ {
			r := mod(2*p+k+f.offset, n)
			hk, gk := f.h[k], f.g[k]
			l := lo[r*m : (r+1)*m]
			u := hi[r*m : (r+1)*m]
			for i, lv := range l {
				hv := u[i]
				oa[i] += hk * lv
				o2[i] += gk * lv
				o1[i] += hk * hv
				o3[i] += gk * hv
			}
		}
	}
}

// Synthesize overwrites the n×n field x with Gᵀ coarse + Ḡᵀ detail, the
// exact transpose (and inverse) of Analyze. It allocates nothing.
func (f *Filter) Synthesize(x, coarse, detail []float64, n int, ws *Workspace) {
	checkLevel2D(len(coarse), len(detail), len(x), n)
	m := n / 2
	lo, hi := ws.planes(n)
	clear(lo)
	clear(hi)
	mm := m * m
	c1, c2, c3 := detail[:mm], detail[mm:2*mm], detail[2*mm:]
	K := len(f.h)
	// Axis 1: scatter the four planes into the row-filtered planes.
	for p := 0; p < m; p++ {
		ia := coarse[p*m : (p+1)*m]
		i1, i2, i3 := c1[p*m:(p+1)*m], c2[p*m:(p+1)*m], c3[p*m:(p+1)*m]
		for k := 0; k < K; k++ {
			r := mod(2*p+k+f.offset, n)
			hk, gk := f.h[k], f.g[k]
			l := lo[r*m : (r+1)*m]
			u := hi[r*m : (r+1)*m]
			for i := range l {
				l[i] += hk*ia[i] + gk*i2[i]
				u[i] += hk*i1[i] + gk*i3[i]
			}
		}
	}
	// Axis 2: synthesize every row.
	for r := 0; r < n; r++ {
		f.Synthesize1D(x[r*n:(r+1)*n], lo[r*m:(r+1)*m], hi[r*m:(r+1)*m])
	}
}

// IsOrthogonalFilter reports the largest deviation of the filter from the
// conjugate-mirror conditions Σh = √2 and Σ_k h[k] h[k+2l] = δ_l.
func (f *Filter) IsOrthogonalFilter() float64 {
	var dev float64
	var s float64
	for _, v := range f.h {
		s += v
	}
	dev = math.Abs(s - math.Sqrt2)
	K := len(f.h)
	for l := 0; 2*l < K; l++ {
		var c float64
		for k := 0; k+2*l < K; k++ {
			c += f.h[k] * f.h[k+2*l]
		}
		if l == 0 {
			c--
		}
		dev = max(dev, math.Abs(c))
	}
	return dev
}
