package energy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// maxSiteSupport caps the number of fine pixels one coarse site may touch
// through the synthesis (a 32×32 patch): site-by-site updates of a basis
// without compact support (Shannon on large grids) would cost O(L⁴) per sweep.
const maxSiteSupport = 1024

// impulseTap is one fine pixel touched by a coarse site: offset (f1, f2)
// from 2·s on the fine grid and the weights γ·(Ḡᵀe_{c,0})(f) of channels
// c = 1 … nc.
type impulseTap struct {
	f1, f2 int
	w      [3]float64
}

// SiteSweeper runs local Metropolis-adjusted Langevin dynamics on the
// varying field of a Conditioned energy: a sweep visits the sites of the
// grid in row-major order and at each site s proposes, for the nc channel
// values a(s) together,
//
//	y(s) = a(s) − δ ∇_s E(a) + √(2δ) ζ,  ζ ∼ N(0, I_nc),
//
// accepted with the MALA ratio of that move alone (a Metropolis-within-Gibbs
// scan, which leaves the energy's distribution invariant). Energy changes
// and gradients are computed locally: the quadratic part through its
// stencil and the diagonal block A_ss, the scalar part on the fine pixels
// the site touches through the synthesis, and a pair potential on the
// bonds touching those pixels. Because each accept/reject
// involves nc coordinates instead of the whole field, the step size that
// keeps the acceptance fixed does not shrink with the dimension (global
// MALA needs δ ∝ d^(−1/3)); time is counted in sweeps, one sweep costing
// about 13–20 global gradient evaluations (BenchmarkSiteSweep).
//
// A SiteSweeper shares its Conditioned's θ and condition: it reads the
// condition at every sweep, so SetCondition may be called between sweeps,
// but it must be rebuilt after SetTheta. It allocates nothing per sweep and
// does not support Wall.
type SiteSweeper struct {
	c      *Conditioned
	n, nc  int
	fs     int // fine side
	stride int // fine pixels per coarse site along an axis: 2, or 1 for plain models
	// The quadratic gradient at a site, ∂E_Q/∂a_e(s) = b_e(s) +
	// Σ k·a_p(s + o), reads a halo-padded copy of the field (side pw =
	// n + 2·pad, channel-major): quadOff[e][i] is the offset of tap i from
	// the site's own padded index, quadK[e][i] its coefficient.
	quadOff [3][]int
	quadK   [3][]float64
	diag    [3][3]float64 // A_ss, the site's own block of the quadratic Hessian
	imp     []impulseTap
	pad, pw int
	xpad    []float64
	fine    []float64 // φ_{j−1} of the current state
	// bonds are the pair-potential bonds touching a site's fine pixels
	// (nil without a pair potential), each once.
	bonds   []siteBond
	newFine []float64 // scratch, len(imp)

	Accepted, Proposed int // counts since the last ResetCounts
}

// NewSiteSweeper returns a site sweeper for c's current θ and condition.
// It fails for Wall evaluators and for bases whose synthesis spreads one
// site over more than 1024 fine pixels.
func (c *Conditioned) NewSiteSweeper() (*SiteSweeper, error) {
	if c.Wall {
		return nil, fmt.Errorf("energy: site sweeps do not support the quartic wall")
	}
	m := c.m
	if m.IsConditional() && c.a0 == nil {
		return nil, fmt.Errorf("energy: site sweeper built before SetCondition")
	}
	n, nc := c.n, c.nc
	s := &SiteSweeper{c: c, n: n, nc: nc, fs: m.FineSide(), stride: m.FineSide() / n}
	for e := 1; e <= nc; e++ {
		for p := 1; p <= nc; p++ {
			for _, t := range c.stencil[e*(nc+1)+p] {
				s.pad = max(s.pad, abs(t.o1), abs(t.o2))
			}
		}
	}
	s.pw = n + 2*s.pad
	s.xpad = make([]float64, nc*s.pw*s.pw)
	for e := 1; e <= nc; e++ {
		for p := 1; p <= nc; p++ {
			for _, t := range c.stencil[e*(nc+1)+p] {
				s.quadOff[e-1] = append(s.quadOff[e-1], (p-1)*s.pw*s.pw+t.o1*s.pw+t.o2)
				s.quadK[e-1] = append(s.quadK[e-1], t.k)
				if modn(t.o1, n) == 0 && modn(t.o2, n) == 0 {
					s.diag[e-1][p-1] += t.k
				}
			}
		}
	}
	if m.IsConditional() {
		imp, err := siteImpulses(m)
		if err != nil {
			return nil, err
		}
		s.imp = imp
	} else {
		s.imp = []impulseTap{{w: [3]float64{1}}}
	}
	s.fine = make([]float64, s.fs*s.fs)
	s.newFine = make([]float64, len(s.imp))
	if c.pair != nil {
		s.bonds = siteBonds(s.imp, s.fs)
	}
	return s, nil
}

// siteBond is a nearest-neighbour bond (a, a+e) touching the fine pixels
// of a site: each end is a tap of the site (ta, tb ≥ 0) or another pixel,
// at fine offsets (o1, o2) from the site's origin like the taps'.
type siteBond struct {
	ta, tb         int
	a1, a2, b1, b2 int
}

// siteBonds lists every bond with at least one end among the taps: the
// forward bonds (p, p+e) of every tap p, and the bonds (p−e, p) whose
// first end is not a tap (those that are were listed as forward bonds).
func siteBonds(imp []impulseTap, fs int) []siteBond {
	tapAt := make(map[int]int, len(imp))
	for k, t := range imp {
		tapAt[t.f1*fs+t.f2] = k
	}
	tap := func(f1, f2 int) int {
		if k, ok := tapAt[f1*fs+f2]; ok {
			return k
		}
		return -1
	}
	var out []siteBond
	for k, t := range imp {
		for _, e := range [2][2]int{{1, 0}, {0, 1}} {
			b1, b2 := (t.f1+e[0])%fs, (t.f2+e[1])%fs
			out = append(out, siteBond{ta: k, tb: tap(b1, b2), a1: t.f1, a2: t.f2, b1: b1, b2: b2})
			a1, a2 := (t.f1-e[0]+fs)%fs, (t.f2-e[1]+fs)%fs
			if tap(a1, a2) < 0 {
				out = append(out, siteBond{ta: -1, tb: k, a1: a1, a2: a2, b1: t.f1, b2: t.f2})
			}
		}
	}
	return out
}

// pairLocal returns the pair energy of the bonds touching site (s1, s2)
// and its gradient with respect to the site's nc channel values, reading
// the site's own pixels from s.newFine (moved) or s.fine (current). ok is
// false if a bond leaves the pair support (windowed rejection, unless
// Unbounded).
func (s *SiteSweeper) pairLocal(s1, s2 int, moved bool) (e float64, g [3]float64, ok bool) {
	c := s.c
	fs := s.fs
	bounded := !c.Unbounded
	val := func(tap, o1, o2 int) float64 {
		if tap >= 0 && moved {
			return s.newFine[tap]
		}
		f1, f2 := s.stride*s1+o1, s.stride*s2+o2
		if f1 >= fs {
			f1 -= fs
		}
		if f2 >= fs {
			f2 -= fs
		}
		return s.fine[f1*fs+f2]
	}
	for _, b := range s.bonds {
		fa, fb := val(b.ta, b.a1, b.a2), val(b.tb, b.b1, b.b2)
		sm, d := (fa+fb)/2, fa-fb
		if bounded && !(sm >= c.psLo && sm <= c.psHi && d >= c.pdLo && d <= c.pdHi) {
			return 0, g, false
		}
		v, ds, dd := c.pair.eval(sm, d)
		e += v
		if b.ta >= 0 {
			w := &s.imp[b.ta].w
			for ch := 0; ch < s.nc; ch++ {
				g[ch] += w[ch] * (0.5*ds + dd)
			}
		}
		if b.tb >= 0 {
			w := &s.imp[b.tb].w
			for ch := 0; ch < s.nc; ch++ {
				g[ch] += w[ch] * (0.5*ds - dd)
			}
		}
	}
	return e, g, true
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// siteImpulses returns the fine pixels touched by the coarse site (0, 0)
// with the weights γ·Ḡᵀ of each channel. Synthesis commutes with shifts by
// one coarse site (two fine sites), so site s touches the same pattern
// shifted by 2s.
func siteImpulses(m *Model) ([]impulseTap, error) {
	n, fs := m.N, m.FineSide()
	nn := n * n
	zero := make([]float64, nn)
	detail := make([]float64, 3*nn)
	out := make([][]float64, 3)
	ws := wavelet.NewWorkspace(fs)
	for ch := 0; ch < 3; ch++ {
		clear(detail)
		detail[ch*nn] = 1
		out[ch] = make([]float64, fs*fs)
		m.Wavelet.Synthesize(out[ch], zero, detail, fs, ws)
	}
	var imp []impulseTap
	for f := 0; f < fs*fs; f++ {
		var t impulseTap
		nz := false
		for ch := 0; ch < 3; ch++ {
			v := out[ch][f]
			if math.Abs(v) > 1e-14 {
				t.w[ch] = m.Gamma * v
				nz = true
			}
		}
		if nz {
			t.f1, t.f2 = f/fs, f%fs
			imp = append(imp, t)
		}
	}
	if len(imp) > maxSiteSupport {
		return nil, fmt.Errorf("energy: one site of the %s synthesis touches %d fine pixels (site sweeps need a compactly supported wavelet, at most %d)",
			m.Wavelet.Name(), len(imp), maxSiteSupport)
	}
	return imp, nil
}

// ResetCounts zeroes the acceptance counters.
func (s *SiteSweeper) ResetCounts() { s.Accepted, s.Proposed = 0, 0 }

// Sweep updates every site of x (the varying field, channel-major) once
// with step size delta. x must lie in the energy's support; it stays there.
// It returns an error if it does not.
func (s *SiteSweeper) Sweep(x []float64, delta float64, rng *rand.Rand) error {
	c := s.c
	if len(x) != c.m.Dim() {
		panic(fmt.Sprintf("energy: field of length %d, want %d", len(x), c.m.Dim()))
	}
	copy(s.fine, c.Fine(x))
	if !c.Unbounded && !s.inside(s.fine) {
		return fmt.Errorf("energy: site sweep started outside the scalar potential's support")
	}
	if !c.Unbounded && !c.pairsInside(s.fine) {
		return fmt.Errorf("energy: site sweep started outside the pair potential's support")
	}
	n, nc := s.n, s.nc
	nn := n * n
	s.fillPad(x)
	noise := math.Sqrt(2 * delta)
	var d [3]float64
	for s1 := 0; s1 < n; s1++ {
		for s2 := 0; s2 < n; s2++ {
			gq, gx, vOld := s.current(x, s1, s2)
			for e := 0; e < nc; e++ {
				d[e] = -delta*gx[e] + noise*rng.NormFloat64()
			}
			s.Proposed++
			dE, gy, ok := s.trial(s1, s2, gq, vOld, d)
			if !ok {
				continue
			}
			var cross, gx2, gy2 float64
			for e := 0; e < nc; e++ {
				cross += d[e] * (gx[e] + gy[e])
				gx2 += gx[e] * gx[e]
				gy2 += gy[e] * gy[e]
			}
			logA := -dE + 0.5*cross - delta/4*(gy2-gx2)
			if logA >= 0 || rng.Float64() < math.Exp(logA) {
				site := s1*n + s2
				for e := 0; e < nc; e++ {
					x[e*nn+site] += d[e]
					s.setPad(e, s1, s2, x[e*nn+site])
				}
				for k, t := range s.imp {
					s.fine[s.fineIndex(s1, s2, t)] = s.newFine[k]
				}
				s.Accepted++
			}
		}
	}
	return nil
}

// current returns, at site (s1, s2) of the state x (whose reconstruction
// is s.fine), the quadratic part gq of ∇_s E, the whole ∇_s E and the
// scalar energy of the fine pixels the site touches.
func (s *SiteSweeper) current(x []float64, s1, s2 int) (gq, g [3]float64, v float64) {
	c := s.c
	n, nc := s.n, s.nc
	nn := n * n
	site := s1*n + s2
	base := (s1+s.pad)*s.pw + s2 + s.pad
	for e := 0; e < nc; e++ {
		ks := s.quadK[e]
		offs := s.quadOff[e][:len(ks)]
		xp := s.xpad
		// Four partial sums break the floating-point dependency chain.
		var a0, a1, a2, a3 float64
		i := 0
		for ; i+4 <= len(ks); i += 4 {
			a0 += ks[i] * xp[base+offs[i]]
			a1 += ks[i+1] * xp[base+offs[i+1]]
			a2 += ks[i+2] * xp[base+offs[i+2]]
			a3 += ks[i+3] * xp[base+offs[i+3]]
		}
		for ; i < len(ks); i++ {
			a0 += ks[i] * xp[base+offs[i]]
		}
		a := c.b[e*nn+site] + (a0 + a1) + (a2 + a3)
		gq[e], g[e] = a, a
	}
	if s.bonds != nil {
		// The current state lies in the support (Sweep checks it and
		// keeps it there), so ok is true.
		pv, pg, _ := s.pairLocal(s1, s2, false)
		v += pv
		for e := 0; e < nc; e++ {
			g[e] += pg[e]
		}
	}
	if !c.scalarOn {
		return gq, g, v
	}
	for _, t := range s.imp {
		u, du := c.pot.eval(s.fine[s.fineIndex(s1, s2, t)])
		v += u
		for e := 0; e < nc; e++ {
			g[e] += t.w[e] * du
		}
	}
	return gq, g, v
}

// trial evaluates moving site (s1, s2) by d from the state described by
// s.fine, gq and vOld (from current): the energy change, the gradient at
// the site after the move, and ok = false if a touched fine pixel leaves
// the support (windowed rejection). The moved pixels go to s.newFine.
func (s *SiteSweeper) trial(s1, s2 int, gq [3]float64, vOld float64, d [3]float64) (dE float64, g [3]float64, ok bool) {
	c := s.c
	nc := s.nc
	for e := 0; e < nc; e++ {
		var a float64
		for p := 0; p < nc; p++ {
			a += s.diag[e][p] * d[p]
		}
		g[e] = gq[e] + a
		dE += d[e] * (gq[e] + 0.5*a)
	}
	bounded := !c.Unbounded
	var vNew float64
	for k, t := range s.imp {
		nf := s.fine[s.fineIndex(s1, s2, t)]
		for e := 0; e < nc; e++ {
			nf += t.w[e] * d[e]
		}
		if bounded && !(nf >= c.lo && nf <= c.hi) {
			return 0, g, false
		}
		s.newFine[k] = nf
		if c.scalarOn {
			u, du := c.pot.eval(nf)
			vNew += u
			for e := 0; e < nc; e++ {
				g[e] += t.w[e] * du
			}
		}
	}
	if s.bonds != nil {
		pv, pg, ok := s.pairLocal(s1, s2, true)
		if !ok {
			return 0, g, false
		}
		vNew += pv
		for e := 0; e < nc; e++ {
			g[e] += pg[e]
		}
	}
	return dE + vNew - vOld, g, true
}

// fillPad copies the channels of x into the halo-padded field.
func (s *SiteSweeper) fillPad(x []float64) {
	n, pw, pad := s.n, s.pw, s.pad
	for p := 0; p < s.nc; p++ {
		src := x[p*n*n : (p+1)*n*n]
		dst := s.xpad[p*pw*pw : (p+1)*pw*pw]
		for r := 0; r < pw; r++ {
			row := src[modn(r-pad, n)*n:]
			for q := 0; q < pw; q++ {
				dst[r*pw+q] = row[modn(q-pad, n)]
			}
		}
	}
}

// setPad writes the value v of channel p at site (s1, s2) into every copy
// of that site in the halo-padded field.
func (s *SiteSweeper) setPad(p, s1, s2 int, v float64) {
	n, pw, pad := s.n, s.pw, s.pad
	dst := s.xpad[p*pw*pw : (p+1)*pw*pw]
	r0 := (s1 + pad) % n // smallest padded row holding row s1
	q0 := (s2 + pad) % n
	for r := r0; r < pw; r += n {
		for q := q0; q < pw; q += n {
			dst[r*pw+q] = v
		}
	}
}

// fineIndex returns the fine pixel of tap t for the coarse site (s1, s2).
func (s *SiteSweeper) fineIndex(s1, s2 int, t impulseTap) int {
	fs := s.fs
	f1 := s.stride*s1 + t.f1
	if f1 >= fs {
		f1 -= fs
	}
	f2 := s.stride*s2 + t.f2
	if f2 >= fs {
		f2 -= fs
	}
	return f1*fs + f2
}

func (s *SiteSweeper) inside(fine []float64) bool {
	for _, v := range fine {
		if !(v >= s.c.lo && v <= s.c.hi) {
			return false
		}
	}
	return true
}
