package phi4

import (
	"context"
	"fmt"
	"github.com/wcrglab/wcrg/engine/pcg"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// MetropolisSettings configures the checkerboard Metropolis sampler. Zero
// values select the defaults.
type MetropolisSettings struct {
	Seed             uint64  // seed of the per-row random streams
	Delta            float64 // initial proposal half-width δ (default 1)
	TargetAcceptance float64 // acceptance rate that thermalization tunes δ to (default 0.5)
	Workers          int     // goroutines (default runtime.NumCPU()); results do not depend on it
}

// Validate checks the settings.
func (s MetropolisSettings) Validate() error {
	if !(s.Delta >= 0) || math.IsInf(s.Delta, 0) {
		return fmt.Errorf("phi4: Metropolis proposal width δ=%g is not ≥ 0 and finite", s.Delta)
	}
	if !(s.TargetAcceptance >= 0 && s.TargetAcceptance < 1) {
		return fmt.Errorf("phi4: Metropolis target acceptance %g is not in (0, 1)", s.TargetAcceptance)
	}
	if s.Workers < 0 {
		return fmt.Errorf("phi4: Metropolis workers %d < 0", s.Workers)
	}
	return nil
}

func (s MetropolisSettings) withDefaults() MetropolisSettings {
	if s.Delta == 0 {
		s.Delta = 1
	}
	if s.TargetAcceptance == 0 {
		s.TargetAcceptance = 0.5
	}
	s.Workers = parallel.Workers(s.Workers)
	return s
}

// Metropolis is the checkerboard single-site Metropolis sampler. A sweep
// updates the even sublattice ((x₁+x₂) even), then the odd one; every site
// proposes φ' = φ + δ(2u−1) and accepts with probability min(1, e^{−ΔE}).
// Sites of one sublattice only interact with the other, so a half sweep
// is split over rows on all workers. Row r always draws from its own random
// stream, derived from the seed, so the chain does not depend on the worker
// count. One 64-bit draw per site gives both the proposal (high 32 bits) and
// the acceptance test (low 32 bits).
//
// The acceptance test uses the low 32 bits as u ∈ [0, 1) and compares it with
// e^{−ΔE} exactly (the exponential is evaluated only when cheap bounds cannot
// decide, see acceptMetropolis); the proposal uses (k + ½)/2³² with k the high
// 32 bits, so it is exactly symmetric.
//
// Thermalize tunes δ multiplicatively after every sweep, log δ += a − a*,
// with a the sweep's acceptance and a* the target, and freezes it at the
// geometric mean of δ over the second half of the thermalization.
//
// The sampler serves every Model: with a Gaussian model it is the
// Gaussian-model Metropolis whose results can be checked against the exact
// covariance.
type Metropolis struct {
	model Model
	form  LocalForm
	set   MetropolisSettings
	delta float64

	rng []rng   // one stream per row
	acc []int64 // accepted proposals per row in the current sweep

	sweeps             int
	proposed, accepted int64

	// Per-call state read by the half-sweep job.
	phi    []float64
	parity int
	half   func(lo, hi int)
	team   *team
}

// NewMetropolis returns a checkerboard Metropolis sampler for m.
func NewMetropolis(m Model, s MetropolisSettings) (*Metropolis, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	L := m.Side()
	mp := &Metropolis{model: m, form: m.Form(), set: s, delta: s.Delta,
		rng: make([]rng, L), acc: make([]int64, L)}
	for r := range mp.rng {
		mp.rng[r] = newStream(s.Seed, streamMetropolis, uint64(r))
	}
	mp.half = mp.halfSweep
	mp.team = newTeam(s.Workers, L, rowChunk(L, L, s.Workers, 1024))
	return mp, nil
}

// Model returns the sampled model.
func (mp *Metropolis) Model() Model { return mp.model }

// Delta returns the current proposal half-width δ.
func (mp *Metropolis) Delta() float64 { return mp.delta }

// Stats returns the acceptance of the last call and the current δ.
func (mp *Metropolis) Stats() Stats {
	st := Stats{Seed: mp.set.Seed, Sweeps: mp.sweeps, Proposed: mp.proposed, Accepted: mp.accepted, Step: mp.delta}
	if mp.proposed > 0 {
		st.Acceptance = float64(mp.accepted) / float64(mp.proposed)
	}
	return st
}

// Thermalize runs sweeps sweeps while tuning δ, then freezes δ.
func (mp *Metropolis) Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error {
	return mp.call(ctx, f, sweeps, observe, true)
}

// Run runs sweeps sweeps at fixed δ.
func (mp *Metropolis) Run(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error {
	return mp.call(ctx, f, sweeps, observe, false)
}

func (mp *Metropolis) call(ctx context.Context, f lattice.Field, sweeps int, observe Observer, tune bool) error {
	if err := checkField(mp.model, f, sweeps); err != nil {
		return err
	}
	mp.begin(f)
	defer mp.end()
	var t metroTuner
	phase := Sampling
	if tune {
		phase = Thermalizing
		t = newMetroTuner(sweeps)
	}
	return loop(ctx, f, sweeps, phase, observe,
		func(i int) {
			a := mp.sweep()
			if tune {
				mp.delta = t.update(i, mp.delta, a, mp.set.TargetAcceptance)
			}
		},
		func(p *Progress) {
			p.Acceptance, p.Step = mp.Stats().Acceptance, mp.delta
		})
}

// begin starts a call on f: resets the counters and starts the workers.
func (mp *Metropolis) begin(f lattice.Field) {
	mp.proposed, mp.accepted = 0, 0
	mp.phi = f.Data
	mp.team.start()
}

func (mp *Metropolis) end() {
	mp.team.stop()
	mp.phi = nil
}

// sweep performs one checkerboard sweep of mp.phi and returns its acceptance.
func (mp *Metropolis) sweep() float64 {
	for p := 0; p < 2; p++ {
		mp.parity = p
		mp.team.run(mp.half)
	}
	var acc int64
	for r, a := range mp.acc {
		acc += a
		mp.acc[r] = 0
	}
	n := int64(len(mp.phi))
	mp.proposed += n
	mp.accepted += acc
	mp.sweeps++
	return float64(acc) / float64(n)
}

// halfSweep updates rows [lo, hi) for the current parity.
func (mp *Metropolis) halfSweep(lo, hi int) {
	L := mp.form.L
	metroRows(mp.phi, L, lo, hi, mp.parity, mp.rng, mp.acc, mp.delta, mp.form.J, mp.form.A, mp.form.B)
}

// metroTuner adapts δ during thermalization and freezes it at the geometric
// mean over the second half.
type metroTuner struct {
	n, from int
	logSum  float64
	count   int
}

func newMetroTuner(n int) metroTuner { return metroTuner{n: n, from: n / 2} }

func (t *metroTuner) update(i int, delta, acc, target float64) float64 {
	d := delta * math.Exp(acc-target)
	d = min(max(d, 1e-8), 1e8)
	if i >= t.from {
		t.logSum += math.Log(d)
		t.count++
	}
	if i == t.n-1 && t.count > 0 {
		d = math.Exp(t.logSum / float64(t.count))
	}
	return d
}

// metroRows performs the Metropolis update of the sites of the given parity
// in rows [lo, hi) of phi (side L). Row r draws from rng[r] and adds its
// accepted count to acc[r].
func metroRows(phi []float64, L, lo, hi, parity int, rng []rng, acc []int64, delta, J, A, B float64) {
	// d = δ(2u − 1) with u = (k + ½)/2³², k the high 32 bits: symmetric.
	scale := 2 * delta * 0x1p-32
	off := delta*0x1p-32 - delta
	for r := lo; r < hi; r++ {
		ru, rd := r-1, r+1
		if ru < 0 {
			ru = L - 1
		}
		if rd == L {
			rd = 0
		}
		row := phi[r*L : r*L+L]
		up := phi[ru*L : ru*L+L]
		dn := phi[rd*L : rd*L+L]
		st := rng[r]
		acc[r] += metroRow(row, up, dn, (parity+r)&1, &st, scale, off, J, A, B)
		rng[r] = st
	}
}

// metroRow updates the sites c ≡ c0 (mod 2) of one row, in increasing c.
func metroRow(row, up, dn []float64, c0 int, st *rng, scale, off, J, A, B float64) int64 {
	n := len(row)
	up, dn = up[:n], dn[:n]
	hi, lo := st.Hi, st.Lo
	var acc int64
	var x uint64
	c := c0
	if c0 == 0 {
		hi, lo, x = pcg.Step(hi, lo)
		acc += metroSite(&row[0], row[n-1]+row[1]+up[0]+dn[0], x, scale, off, J, A, B)
		c = 2
	}
	for ; c < n-1; c += 2 {
		hi, lo, x = pcg.Step(hi, lo)
		nb := row[c-1] + row[c+1] + up[c] + dn[c]
		old := row[c]
		d := float64(int64(x>>32))*scale + off
		nw := old + d
		o2, n2 := old*old, nw*nw
		dE := (n2-o2)*(A+B*(n2+o2)) - J*nb*d
		u := float64(uint32(x)) * 0x1p-32
		// Metropolis test u < e^{−ΔE} with the bounds of acceptBounds;
		// the exponential is evaluated only when u lies between them.
		ylo, zhi := acceptBounds(dE)
		a := u < ylo
		if (u-ylo)*(u*zhi-1) <= 0 {
			a = u < expNonPos(-dE)
		}
		// Branch-free select (the test is a coin flip at 50 % acceptance,
		// and the compiler emits no conditional move for floats).
		ai := b2i(a)
		ob := math.Float64bits(old)
		row[c] = math.Float64frombits(ob ^ (ob^math.Float64bits(nw))&-uint64(ai))
		acc += ai
	}
	if c0 == 1 {
		hi, lo, x = pcg.Step(hi, lo)
		acc += metroSite(&row[n-1], row[n-2]+row[0]+up[n-1]+dn[n-1], x, scale, off, J, A, B)
	}
	st.Hi, st.Lo = hi, lo
	return acc
}

// metroSite is the update of one site with neighbour sum nb and random bits x.
func metroSite(p *float64, nb float64, x uint64, scale, off, J, A, B float64) int64 {
	old := *p
	d := float64(int64(x>>32))*scale + off
	nw := old + d
	o2, n2 := old*old, nw*nw
	dE := (n2-o2)*(A+B*(n2+o2)) - J*nb*d
	if acceptMetropolis(float64(uint32(x))*0x1p-32, dE) {
		*p = nw
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
