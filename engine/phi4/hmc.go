package phi4

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// HMCSettings configures Hybrid (Hamiltonian) Monte Carlo on the whole
// field. Zero values select the defaults.
type HMCSettings struct {
	Seed             uint64
	StepSize         float64 // initial leapfrog step ε (default 0.1)
	TrajectoryLength float64 // nominal trajectory length τ (default 1); steps per trajectory n = max(1, round(τ/ε))
	TargetAcceptance float64 // acceptance rate thermalization tunes ε to (default 0.75)
	// Jitter draws each trajectory's step uniformly from ε(1 ± Jitter), which
	// breaks resonances of the harmonic modes with τ; in [0, 0.5), default
	// 0.1, a negative value disables it.
	Jitter  float64
	Workers int // goroutines (default runtime.NumCPU()); results do not depend on it
}

// Validate checks the settings.
func (s HMCSettings) Validate() error {
	if !(s.StepSize >= 0) || math.IsInf(s.StepSize, 0) {
		return fmt.Errorf("phi4: HMC step size %g is not ≥ 0 and finite", s.StepSize)
	}
	if !(s.TrajectoryLength >= 0) || math.IsInf(s.TrajectoryLength, 0) {
		return fmt.Errorf("phi4: HMC trajectory length %g is not ≥ 0 and finite", s.TrajectoryLength)
	}
	if !(s.TargetAcceptance >= 0 && s.TargetAcceptance < 1) {
		return fmt.Errorf("phi4: HMC target acceptance %g is not in (0, 1)", s.TargetAcceptance)
	}
	if math.IsNaN(s.Jitter) || s.Jitter >= 0.5 {
		return fmt.Errorf("phi4: HMC step jitter %g is not below 0.5", s.Jitter)
	}
	if s.Workers < 0 {
		return fmt.Errorf("phi4: HMC workers %d < 0", s.Workers)
	}
	if s.StepSize > 0 && s.TrajectoryLength > 0 && s.TrajectoryLength/s.StepSize > 1e6 {
		return fmt.Errorf("phi4: HMC trajectory of %g steps is too long", s.TrajectoryLength/s.StepSize)
	}
	return nil
}

func (s HMCSettings) withDefaults() HMCSettings {
	if s.StepSize == 0 {
		s.StepSize = 0.1
	}
	if s.TrajectoryLength == 0 {
		s.TrajectoryLength = 1
	}
	if s.TargetAcceptance == 0 {
		s.TargetAcceptance = 0.75
	}
	if s.Jitter == 0 {
		s.Jitter = 0.1
	}
	s.Jitter = max(s.Jitter, 0)
	s.Workers = parallel.Workers(s.Workers)
	return s
}

// HMC is Hybrid Monte Carlo: every sweep is one trajectory of n leapfrog
// steps of the Hamiltonian H = E(φ) + ½|π|² with fresh Gaussian momenta π,
// accepted with probability min(1, e^{−ΔH}). The trajectory length τ = nε is
// fixed by the settings. Thermalize tunes ε after every trajectory,
// log ε += (min(1, e^{−ΔH}) − a*)/√(1+t/10), recomputing n = round(τ/ε), and
// freezes it at the geometric mean of ε over the second half of the
// thermalization. The work of a trajectory is split over rows; momenta are
// drawn from per-row streams and energies summed per row in row order, so
// the chain does not depend on the worker count.
type HMC struct {
	model Model
	form  LocalForm
	set   HMCSettings
	eps   float64
	steps int

	rows   []rng        // momentum streams, one per row
	rowRNG []*rand.Rand // rand.Rand views of rows (for NormFloat64)
	accRNG rng          // step jitter and accept/reject draws

	p, g, phi0, g0 []float64
	ePart, kPart   []float64 // per-row potential and kinetic energies
	energy         float64   // E(φ) of the current state

	sweeps             int
	proposed, accepted int64

	// Per-call state read by the phase jobs.
	phi     []float64
	h       float64 // current leapfrog step
	jobMom  func(lo, hi int)
	jobA    func(lo, hi int)
	jobB    func(lo, hi int)
	jobBEnd func(lo, hi int)
	jobE    func(lo, hi int)
	team    *team
}

// NewHMC returns a Hybrid Monte Carlo sampler for m.
func NewHMC(m Model, s HMCSettings) (*HMC, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	L := m.Side()
	n := L * L
	h := &HMC{model: m, form: m.Form(), set: s, eps: s.StepSize,
		rows: make([]rng, L), rowRNG: make([]*rand.Rand, L), accRNG: newStream(s.Seed, streamHMCAccept, 0),
		p: make([]float64, n), g: make([]float64, n), phi0: make([]float64, n), g0: make([]float64, n),
		ePart: make([]float64, L), kPart: make([]float64, L)}
	for r := range h.rows {
		h.rows[r] = newStream(s.Seed, streamHMCMomenta, uint64(r))
		h.rowRNG[r] = rand.New(&h.rows[r])
	}
	h.setSteps()
	h.jobMom, h.jobA, h.jobB, h.jobBEnd, h.jobE = h.momenta, h.drift, h.kick, h.kickEnd, h.energyRows
	h.team = newTeam(s.Workers, L, rowChunk(L, L, s.Workers, 2048))
	return h, nil
}

func (h *HMC) setSteps() {
	h.steps = max(1, int(math.Round(h.set.TrajectoryLength/h.eps)))
}

// Model returns the sampled model.
func (h *HMC) Model() Model { return h.model }

// StepSize returns the current leapfrog step ε and the number of steps per
// trajectory.
func (h *HMC) StepSize() (eps float64, steps int) { return h.eps, h.steps }

// Stats returns the acceptance of the last call and the current ε.
func (h *HMC) Stats() Stats {
	st := Stats{Seed: h.set.Seed, Sweeps: h.sweeps, Proposed: h.proposed, Accepted: h.accepted, Step: h.eps, LeapfrogSteps: h.steps}
	if h.proposed > 0 {
		st.Acceptance = float64(h.accepted) / float64(h.proposed)
	}
	return st
}

// Thermalize runs sweeps trajectories while tuning ε, then freezes ε.
func (h *HMC) Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error {
	return h.call(ctx, f, sweeps, observe, true)
}

// Run runs sweeps trajectories at fixed ε.
func (h *HMC) Run(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error {
	return h.call(ctx, f, sweeps, observe, false)
}

func (h *HMC) call(ctx context.Context, f lattice.Field, sweeps int, observe Observer, tune bool) error {
	if err := checkField(h.model, f, sweeps); err != nil {
		return err
	}
	h.proposed, h.accepted = 0, 0
	h.phi = f.Data
	h.team.start()
	defer func() { h.team.stop(); h.phi = nil }()
	// Energy and gradient of the starting field.
	h.team.run(h.jobE)
	h.energy = sumInOrder(h.ePart)
	if math.IsNaN(h.energy) || math.IsInf(h.energy, 0) {
		return fmt.Errorf("phi4: HMC starting field has energy %g", h.energy)
	}
	phase := Sampling
	var logSum float64
	var count int
	if tune {
		phase = Thermalizing
	}
	return loop(ctx, f, sweeps, phase, observe,
		func(i int) {
			pacc := h.trajectory()
			if !tune {
				return
			}
			h.eps *= math.Exp((pacc - h.set.TargetAcceptance) / math.Sqrt(1+float64(i)/10))
			h.eps = min(max(h.eps, 1e-6), 10)
			if i >= sweeps/2 {
				logSum += math.Log(h.eps)
				count++
			}
			if i == sweeps-1 && count > 0 {
				h.eps = math.Exp(logSum / float64(count))
			}
			h.setSteps()
		},
		func(p *Progress) {
			p.Acceptance, p.Step = h.Stats().Acceptance, h.eps
		})
}

// trajectory performs one HMC trajectory on h.phi and returns the
// acceptance probability min(1, e^{−ΔH}).
func (h *HMC) trajectory() float64 {
	h.h = h.eps
	if j := h.set.Jitter; j > 0 {
		h.h *= 1 + j*(2*h.accRNG.Float64()-1)
	}
	h.team.run(h.jobMom) // momenta, kinetic energy, backup of φ and g
	h0 := h.energy + sumInOrder(h.kPart)
	for s := 0; s < h.steps; s++ {
		h.team.run(h.jobA)
		if s < h.steps-1 {
			h.team.run(h.jobB)
		} else {
			h.team.run(h.jobBEnd)
		}
	}
	e1 := sumInOrder(h.ePart)
	dH := e1 + sumInOrder(h.kPart) - h0
	pacc := 0.0
	if !math.IsNaN(dH) {
		pacc = math.Exp(-max(dH, 0))
	}
	u := h.accRNG.Float64()
	h.proposed++
	h.sweeps++
	if u < pacc {
		h.accepted++
		h.energy = e1
	} else {
		copy(h.phi, h.phi0)
		copy(h.g, h.g0)
	}
	return pacc
}

func sumInOrder(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// momenta draws π on worker w's rows, stores their kinetic energy and backs
// up φ and ∇E.
func (h *HMC) momenta(lo, hi int) {
	L := h.form.L
	for r := lo; r < hi; r++ {
		rng := h.rowRNG[r]
		p := h.p[r*L : r*L+L]
		var k float64
		for c := range p {
			v := rng.NormFloat64()
			p[c] = v
			k += v * v
		}
		h.kPart[r] = k / 2
	}
	copy(h.phi0[lo*L:hi*L], h.phi[lo*L:hi*L])
	copy(h.g0[lo*L:hi*L], h.g[lo*L:hi*L])
}

// drift is a half kick followed by a full drift: π −= ε/2 ∇E; φ += ε π.
func (h *HMC) drift(lo, hi int) {
	L := h.form.L
	eps, half := h.h, h.h/2
	p, g, phi := h.p[lo*L:hi*L], h.g[lo*L:hi*L], h.phi[lo*L:hi*L]
	g, phi = g[:len(p)], phi[:len(p)]
	for i := range p {
		v := p[i] - half*g[i]
		p[i] = v
		phi[i] += eps * v
	}
}

// kick computes ∇E at the new φ and applies the second half kick.
func (h *HMC) kick(lo, hi int) {
	L := h.form.L
	h.form.gradRows(h.g, h.phi, lo, hi)
	half := h.h / 2
	p, g := h.p[lo*L:hi*L], h.g[lo*L:hi*L]
	g = g[:len(p)]
	for i := range p {
		p[i] -= half * g[i]
	}
}

// kickEnd is kick plus the per-row potential and kinetic energies.
func (h *HMC) kickEnd(lo, hi int) {
	h.kick(lo, hi)
	L := h.form.L
	h.rowEnergies(lo, hi)
	for r := lo; r < hi; r++ {
		var k float64
		for _, v := range h.p[r*L : r*L+L] {
			k += v * v
		}
		h.kPart[r] = k / 2
	}
}

// energyRows computes ∇E and the per-row energies of the current field.
func (h *HMC) energyRows(lo, hi int) {
	h.form.gradRows(h.g, h.phi, lo, hi)
	h.rowEnergies(lo, hi)
}

func (h *HMC) rowEnergies(lo, hi int) {
	L := h.form.L
	f := h.form
	for r := lo; r < hi; r++ {
		rd := r + 1
		if rd == L {
			rd = 0
		}
		b, p := f.rowEnergy(h.phi[r*L:r*L+L], h.phi[rd*L:rd*L+L])
		h.ePart[r] = -f.J*b + p + f.C*float64(L)
	}
}
