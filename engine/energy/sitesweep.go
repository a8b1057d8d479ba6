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
// bonds touching those pixels. The potentials' values and derivatives at
// the current state are cached per fine pixel and per bond (filled at the
// start of a sweep, updated on every accepted move), so only the proposed
// state's are evaluated: with a pair potential a db4 site touches about
// 150 bonds. Because each accept/reject
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

	// Caches at the current state: the scalar potential u and u' of every
	// fine pixel (when the scalar part is on), and the pair potential w,
	// ∂w/∂s, ∂w/∂d of every bond, indexed 2·(first pixel) + direction (as
	// ForEachBond visits them). The new* slices hold the same for the
	// taps and bonds of the move on trial.
	pixU, pixDU []float64
	bondVals    []bondValue
	newU, newDU []float64
	newBonds    []bondValue

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
	if c.scalarOn {
		s.pixU, s.pixDU = make([]float64, s.fs*s.fs), make([]float64, s.fs*s.fs)
		s.newU, s.newDU = make([]float64, len(s.imp)), make([]float64, len(s.imp))
	}
	if c.pair != nil {
		s.bonds = siteBonds(s.imp, s.fs)
		s.bondVals = make([]bondValue, 2*s.fs*s.fs)
		s.newBonds = make([]bondValue, len(s.bonds))
	}
	return s, nil
}

// bondValue is a pair potential w and its partial derivatives on a bond.
type bondValue struct{ w, ds, dd float64 }

// siteBond is a nearest-neighbour bond (a, a+e) touching the fine pixels
// of a site: each end is a tap of the site (ta, tb ≥ 0) or another pixel,
// at fine offsets (a1, a2) and (b1, b2) from the site's origin like the
// taps'; dir is 0 for e = (1, 0) and 1 for e = (0, 1).
type siteBond struct {
	ta, tb         int
	a1, a2, b1, b2 int
	dir            int
	// ∂w/∂a(s) = gs·∂w/∂s + gd·∂w/∂d for the site's channel values a(s),
	// by the chain rule through s = (f_a + f_b)/2 and d = f_a − f_b.
	gs, gd [3]float64
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
		for dir, e := range [2][2]int{{1, 0}, {0, 1}} {
			b1, b2 := (t.f1+e[0])%fs, (t.f2+e[1])%fs
			out = append(out, siteBond{ta: k, tb: tap(b1, b2), a1: t.f1, a2: t.f2, b1: b1, b2: b2, dir: dir})
			a1, a2 := (t.f1-e[0]+fs)%fs, (t.f2-e[1]+fs)%fs
			if tap(a1, a2) < 0 {
				out = append(out, siteBond{ta: -1, tb: k, a1: a1, a2: a2, b1: t.f1, b2: t.f2, dir: dir})
			}
		}
	}
	for i := range out {
		b := &out[i]
		var wa, wb [3]float64
		if b.ta >= 0 {
			wa = imp[b.ta].w
		}
		if b.tb >= 0 {
			wb = imp[b.tb].w
		}
		for ch := range 3 {
			b.gs[ch], b.gd[ch] = 0.5*(wa[ch]+wb[ch]), wa[ch]-wb[ch]
		}
	}
	return out
}

// pairCurrent returns the pair energy of the bonds touching site (s1, s2)
// at the current state and its gradient with respect to the site's nc
// channel values, from the bond cache.
func (s *SiteSweeper) pairCurrent(s1, s2 int) (e float64, g [3]float64) {
	for i := range s.bonds {
		b := &s.bonds[i]
		v := &s.bondVals[s.bondIndex(s1, s2, b)]
		e += v.w
		addBondGrad(&g, b, v.ds, v.dd)
	}
	return e, g
}

// pairTrial returns the pair energy of the bonds touching site (s1, s2)
// with the site's pixels moved to s.newFine, and its gradient with
// respect to the site's nc channel values; the bonds' values go to
// s.newBonds. ok is false if a bond leaves the pair support (windowed
// rejection, unless Unbounded).
func (s *SiteSweeper) pairTrial(s1, s2 int) (e float64, g [3]float64, ok bool) {
	c := s.c
	bounded := !c.Unbounded
	for i := range s.bonds {
		b := &s.bonds[i]
		var fa, fb float64
		if b.ta >= 0 {
			fa = s.newFine[b.ta]
		} else {
			fa = s.fine[s.offsetIndex(s1, s2, b.a1, b.a2)]
		}
		if b.tb >= 0 {
			fb = s.newFine[b.tb]
		} else {
			fb = s.fine[s.offsetIndex(s1, s2, b.b1, b.b2)]
		}
		sm, d := (fa+fb)/2, fa-fb
		if bounded && !(sm >= c.psLo && sm <= c.psHi && d >= c.pdLo && d <= c.pdHi) {
			return 0, g, false
		}
		v, ds, dd := c.pair.eval(sm, d)
		s.newBonds[i] = bondValue{v, ds, dd}
		e += v
		addBondGrad(&g, b, ds, dd)
	}
	return e, g, true
}

// addBondGrad adds to g the gradient of a bond's w with respect to the
// site's channel values, given ∂w/∂s and ∂w/∂d (all three channels: the
// weights of absent ones are zero).
func addBondGrad(g *[3]float64, b *siteBond, ds, dd float64) {
	g[0] += b.gs[0]*ds + b.gd[0]*dd
	g[1] += b.gs[1]*ds + b.gd[1]*dd
	g[2] += b.gs[2]*ds + b.gd[2]*dd
}

// bondIndex returns the cache index of bond b of site (s1, s2).
func (s *SiteSweeper) bondIndex(s1, s2 int, b *siteBond) int {
	return 2*s.offsetIndex(s1, s2, b.a1, b.a2) + b.dir
}

// fillCaches evaluates the scalar potential at every fine pixel and the
// pair potential on every bond of the current state.
func (s *SiteSweeper) fillCaches() {
	c := s.c
	if c.scalarOn {
		for f, v := range s.fine {
			s.pixU[f], s.pixDU[f] = c.pot.eval(v)
		}
	}
	if s.bonds != nil {
		k := 0
		ForEachBond(s.fine, s.fs, func(sm, d float64, _, _ int) {
			v := &s.bondVals[k]
			v.w, v.ds, v.dd = c.pair.eval(sm, d)
			k++
		})
	}
}

// load makes x (the varying field, channel-major) the current state:
// its reconstruction, the padded copy and the caches. It fails if x is
// outside the support (unless Unbounded).
func (s *SiteSweeper) load(x []float64) error {
	c := s.c
	copy(s.fine, c.Fine(x))
	if !c.Unbounded && !s.inside(s.fine) {
		return fmt.Errorf("energy: site sweep started outside the scalar potential's support")
	}
	if !c.Unbounded && !c.pairsInside(s.fine) {
		return fmt.Errorf("energy: site sweep started outside the pair potential's support")
	}
	s.fillPad(x)
	s.fillCaches()
	return nil
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
	if err := s.load(x); err != nil {
		return err
	}
	n, nc := s.n, s.nc
	nn := n * n
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
				s.accept(s1, s2)
				s.Accepted++
			}
		}
	}
	return nil
}

// accept makes the move on trial at site (s1, s2) current in the fine
// field and the caches (the coarse field and its padded copy are the
// caller's).
func (s *SiteSweeper) accept(s1, s2 int) {
	for k, t := range s.imp {
		f := s.fineIndex(s1, s2, t)
		s.fine[f] = s.newFine[k]
		if s.pixU != nil {
			s.pixU[f], s.pixDU[f] = s.newU[k], s.newDU[k]
		}
	}
	for i := range s.bonds {
		s.bondVals[s.bondIndex(s1, s2, &s.bonds[i])] = s.newBonds[i]
	}
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
		pv, pg := s.pairCurrent(s1, s2)
		v += pv
		for e := 0; e < nc; e++ {
			g[e] += pg[e]
		}
	}
	if !c.scalarOn {
		return gq, g, v
	}
	for _, t := range s.imp {
		f := s.fineIndex(s1, s2, t)
		u, du := s.pixU[f], s.pixDU[f]
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
			s.newU[k], s.newDU[k] = u, du
			vNew += u
			for e := 0; e < nc; e++ {
				g[e] += t.w[e] * du
			}
		}
	}
	if s.bonds != nil {
		pv, pg, ok := s.pairTrial(s1, s2)
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
	return s.offsetIndex(s1, s2, t.f1, t.f2)
}

// offsetIndex returns the fine pixel at offset (o1, o2), each in
// [0, fine side), from the origin of the coarse site (s1, s2).
func (s *SiteSweeper) offsetIndex(s1, s2, o1, o2 int) int {
	fs := s.fs
	f1 := s.stride*s1 + o1
	if f1 >= fs {
		f1 -= fs
	}
	f2 := s.stride*s2 + o2
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
