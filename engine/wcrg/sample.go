package wcrg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// SampleSettings configures coarse-to-fine generation (spec §4, §10 row 9).
type SampleSettings struct {
	N        int     // fields to generate
	Steps    int     // global MALA steps per scale T_j (default 100)
	Adapt    int     // leading steps that adapt δ_j (default 100)
	InitStep float64 // initial δ_j (default: the fit's δ_j, else 0.05)
	// Sweeps is the number of site-by-site MALA sweeps (energy.SiteSweeper)
	// run at every scale after the global MALA steps, with their own step
	// size adapted to acceptance 0.57 during the first quarter of them (at
	// most 20 sweeps). A sweep updates every site once at the cost of about
	// 15 global steps, but its relaxation time does not grow with the
	// lattice, while global MALA's does: on Ising data coarse-grained to
	// 32², 300 global steps leave the finest details 6 % too narrow, and
	// 40 sweeps agree with 160 and with 3000 global steps. Default 40;
	// negative: none (global MALA only).
	Sweeps int
	// CoarseFactor multiplies the global steps and the sweeps at every
	// scale but the finest (j ≥ 2, and the coarsest model), where a step
	// costs 4^(j−1) times less (default 1). Large structures relax slowly:
	// on dequantized Ising spins near β_c (L = 32), φ_1 generated from the
	// data's φ_2 with the default sampling had its power spectrum 4 % low
	// at |k| = 3, and within 1.7 % in every bin with 8× the sampling.
	CoarseFactor int
	ZeroStart    bool // start each φ̄_j at 0 instead of white noise with the data's channel std
	Symmetric    bool // append −φ for every field (Z₂ doubling, off by default)
	Snapshots    bool // report the current finer field of sample 0 with progress
	Seed         uint64
	Workers      int
}

func (s SampleSettings) withDefaults() SampleSettings {
	if s.Steps == 0 {
		s.Steps = 100
	}
	switch {
	case s.Sweeps == 0:
		s.Sweeps = 40
	case s.Sweeps < 0:
		s.Sweeps = 0
	}
	if s.Adapt == 0 {
		s.Adapt = min(100, s.Steps)
	}
	if s.CoarseFactor == 0 {
		s.CoarseFactor = 1
	}
	return s
}

// atLevel returns the settings of scale level (J+1: the coarsest model):
// CoarseFactor times the steps and sweeps at every level but the first.
func (s SampleSettings) atLevel(level int) SampleSettings {
	if level >= 2 && s.CoarseFactor > 1 {
		s.Steps *= s.CoarseFactor
		s.Sweeps *= s.CoarseFactor
	}
	return s
}

// levelFactor is the cost factor of scale level (atLevel).
func (s SampleSettings) levelFactor(level int) float64 {
	if level >= 2 && s.CoarseFactor > 1 {
		return float64(s.CoarseFactor)
	}
	return 1
}

// Validate reports unusable settings.
func (s SampleSettings) Validate() error {
	switch {
	case s.N < 1 || s.N > 1e7:
		return fmt.Errorf("wcrg: %d fields to generate (want 1 … 1e7)", s.N)
	case s.Steps < 0 || s.Steps > 1e6:
		return fmt.Errorf("wcrg: %d MALA steps per scale (want 1 … 1e6)", s.Steps)
	case s.Sweeps > 1e6:
		return fmt.Errorf("wcrg: %d site sweeps per scale (want at most 1e6)", s.Sweeps)
	case s.Adapt < 0 || (s.Steps > 0 && s.Adapt > s.Steps):
		return fmt.Errorf("wcrg: %d adapting steps for %d steps", s.Adapt, s.Steps)
	case s.InitStep < 0 || math.IsNaN(s.InitStep):
		return fmt.Errorf("wcrg: initial MALA step %g", s.InitStep)
	case s.Workers < 0:
		return fmt.Errorf("wcrg: %d workers", s.Workers)
	case s.CoarseFactor < 0 || s.CoarseFactor > 1e4 || (s.CoarseFactor > 1 && float64(s.Steps)*float64(s.CoarseFactor) > 1e7):
		return fmt.Errorf("wcrg: coarse-scale factor %d for %d steps (want 1 … 1e4, at most 1e7 steps)", s.CoarseFactor, s.Steps)
	}
	return nil
}

// sweepCost is the cost of one site sweep in global MALA steps
// (energy.BenchmarkSiteSweep: 13–20 gradient evaluations).
const sweepCost = 15

// phaseCost is the cost of one scale's sampling in global MALA steps.
func phaseCost(set SampleSettings) float64 {
	return float64(set.Steps) + sweepCost*float64(set.Sweeps)
}

// sweepChains moves every chain set.Sweeps site-by-site MALA sweeps from
// its state, adapting one shared step size during the first quarter of the
// sweeps. Chains still outside the support (walled) are left as they are.
func sweepChains(ctx context.Context, evals []*energy.Conditioned, conds, states [][]float64, walled []bool,
	set SampleSettings, rngs []*rand.Rand, level int, sc *ScaleSampling, progress func(SampleProgress)) error {
	N, workers := len(states), len(evals)
	sweepers := make([]*energy.SiteSweeper, workers)
	errs := make([]error, workers)
	acc := make([]int, N)
	prop := make([]int, N)
	adapt := min(20, max(1, set.Sweeps/4))
	// As for the relaxation study: start from the inverse curvature bound,
	// a step that single-site moves accept often.
	delta := 0.05
	if b := evals[0].CurvatureBound(); b > 0 {
		delta = 1 / b
	}
	var lateAcc, lateProp int
	lastRate, lastDelta := 0.0, delta
	for sweep := 0; sweep < set.Sweeps; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := 1
		if sweep >= adapt {
			k = min(sampleRound, set.Sweeps-sweep)
		}
		d := delta
		parallel.For(N, workers, func(w, i int) {
			acc[i], prop[i] = 0, 0
			if walled[i] || errs[w] != nil {
				return
			}
			ev := evals[w]
			ev.Wall = false
			if conds != nil {
				ev.SetCondition(conds[i])
			}
			if sweepers[w] == nil {
				sweepers[w], errs[w] = ev.NewSiteSweeper()
				if errs[w] != nil {
					return
				}
			}
			sw := sweepers[w]
			sw.ResetCounts()
			for range k {
				if err := sw.Sweep(states[i], d, rngs[i]); err != nil {
					errs[w] = err
					return
				}
			}
			acc[i], prop[i] = sw.Accepted, sw.Proposed
		})
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		var a, p int
		for i := range acc {
			a += acc[i]
			p += prop[i]
		}
		rate := 0.0
		if p > 0 {
			rate = float64(a) / float64(p)
		}
		lastRate, lastDelta = rate, d
		if sweep < adapt {
			if p > 0 {
				delta = mcmc.AdaptStep(delta, rate, mcmc.TargetAcceptance)
			}
		} else {
			lateAcc += a
			lateProp += p
		}
		sweep += k
		if progress != nil {
			pr := SampleProgress{Level: level, Step: set.Steps, Steps: set.Steps, Sweep: sweep, Sweeps: set.Sweeps,
				Acceptance: rate, Delta: delta, Fraction: (float64(set.Steps) + sweepCost*float64(sweep)) / phaseCost(set)}
			if set.Snapshots {
				pr.Snapshot = append([]float64(nil), states[0]...)
			}
			progress(pr)
		}
	}
	sc.SweepDelta = delta
	if lateProp > 0 {
		sc.SweepAcceptance = float64(lateAcc) / float64(lateProp)
	} else {
		// Every sweep adapted δ: the last sweep's acceptance and δ.
		sc.SweepAcceptance, sc.SweepDelta = lastRate, lastDelta
	}
	return nil
}

// SampleProgress reports generation.
type SampleProgress struct {
	Level, Levels int     // scale being sampled (J … 1); Levels+1 for the coarsest
	Step, Steps   int     // global MALA steps done at this scale
	Sweep, Sweeps int     // site sweeps done at this scale (after the steps)
	Acceptance    float64 // over the last round of steps or sweeps, all chains
	Delta         float64 // MALA step δ_j (of the site moves during the sweeps)
	Fraction      float64 // of the whole job
	// Snapshot is, with SampleSettings.Snapshots, a copy of sample 0's
	// current finer field φ_{j−1} (standardized units), of side SnapshotSide.
	Snapshot     []float64
	SnapshotSide int
	Elapsed      time.Duration
}

// ScaleSampling summarizes the sampler at one scale.
type ScaleSampling struct {
	Level      int
	Delta      float64 // δ_j after adaptation (that of the last round if every step adapted)
	Acceptance float64 // over the non-adapting steps (the last round's if every step adapted)
	// SweepDelta and SweepAcceptance describe the site sweeps that
	// followed (SampleSettings.Sweeps): their step size after adaptation
	// and their acceptance over the non-adapting sweeps (the last sweep's
	// step and acceptance if every sweep adapted).
	SweepDelta, SweepAcceptance float64
	// Steps and Sweeps are the global MALA steps and site sweeps run:
	// where the basis has no local synthesis (shannon on large grids), the
	// sweeps ran as sweepCost global steps each.
	Steps, Sweeps int
	Seconds       float64
	// Walled counts the fields whose coarser field made every start state
	// leave the basis support at this scale: their chains started under a
	// quartic wall (energy.Conditioned.Wall) until they entered the support;
	// StillOutside counts those that never did (their fields lie outside
	// the range the model was trained on).
	Walled, StillOutside int
}

// SampleResult holds generated fields in the data's raw units.
type SampleResult struct {
	Fields lattice.Stack
	Scales []ScaleSampling // coarse to fine
	Seed   uint64
}

// sampleRound is the number of MALA steps between step-size updates
// (spec §4.2: every 10 steps, pooled over all chains in a fixed order).
const sampleRound = 10

// Sample generates fields from coarse to fine (spec §4.1): φ_J from the
// coarsest model (exact inverse CDF at 1×1, MALA otherwise); then for each
// j = J … 1 a MALA chain on Ē_j(·, φ_j) per field, started from white
// noise, T_j global steps of which the first Adapt adapt one shared δ_j to
// acceptance 0.57, followed by Sweeps site-by-site sweeps; then φ_{j−1} =
// γ_j(Gᵀφ_j + Ḡᵀφ̄_j). Fields run in parallel; results depend only on the
// seed.
func Sample(ctx context.Context, m *Model, set SampleSettings, progress func(SampleProgress)) (*SampleResult, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	set = set.withDefaults()
	start := time.Now()
	N, J, L := set.N, m.Levels, m.L
	workers := parallel.Workers(set.Workers)
	res := &SampleResult{Seed: set.Seed}
	// Progress weight of scale level (J+1: the coarsest model): the size of
	// the field it samples, times its sampling factor.
	weight := func(level int) float64 {
		side := L >> min(level-1, J)
		return float64(side*side) * set.levelFactor(level)
	}
	var total, done float64
	for level := 1; level <= J+1; level++ {
		total += weight(level)
	}

	// Per-field random streams, one per scale.
	rngs := make([]*rand.Rand, N)
	newStreams := func(level int) {
		for i := range rngs {
			rngs[i] = mcmc.StreamRand(set.Seed, uint64(i), uint64(1000+level))
		}
	}

	// Coarsest scale.
	side := L >> J
	coarse := make([][]float64, N)
	for i := range coarse {
		coarse[i] = make([]float64, side*side)
	}
	newStreams(J + 1)
	if m.Coarsest != nil {
		for i := range coarse {
			coarse[i][0] = m.Coarsest.Sample(rngs[i])
		}
	} else {
		initStd := m.Diagnostics[0].DetailStd[0]
		if initStd == 0 {
			initStd = 1
		}
		sc, err := runChains(ctx, m.CoarsestEnergy, nil, coarse, initStd, [3]float64{initStd}, set.atLevel(J+1), rngs, workers, J+1,
			func(p SampleProgress) {
				if progress != nil {
					p.Levels = J
					p.Fraction = p.Fraction * weight(J+1) / total
					p.Elapsed = time.Since(start)
					progress(p)
				}
			})
		if err != nil {
			return nil, err
		}
		res.Scales = append(res.Scales, sc)
	}
	done += weight(J + 1)

	// Conditionals, coarse to fine.
	cur := J
	coarse, scales, err := m.refine(ctx, coarse, J, 1, set, workers, func(j int, p SampleProgress) {
		if j != cur {
			done += weight(cur)
			cur = j
		}
		if progress == nil {
			return
		}
		p.Levels = J
		p.Fraction = (done + p.Fraction*weight(j)) / total
		p.Elapsed = time.Since(start)
		progress(p)
	})
	if err != nil {
		return nil, err
	}
	res.Scales = append(res.Scales, scales...)

	// Back to raw units.
	count := N
	if set.Symmetric {
		count = 2 * N
	}
	out := lattice.NewStack(count, L)
	for i := 0; i < N; i++ {
		f := out.Field(i).Data
		for k, v := range coarse[i] {
			f[k] = v*m.Scale + m.Mean
		}
		if set.Symmetric {
			g := out.Field(N + i).Data
			for k, v := range coarse[i] {
				g[k] = -v*m.Scale + m.Mean
			}
		}
	}
	// A hand-edited or corrupt model scale (say 1e308) overflows here;
	// the fields would be written with ±Inf.
	for _, v := range out.Data {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("wcrg: generated fields overflow in raw units (the model's standardization is mean %g, scale %g)", m.Mean, m.Scale)
		}
	}
	res.Fields = out
	return res, nil
}

// refine generates φ_{from−1} … φ_{to−1} from the standardized fields
// coarse (φ_from of every field): for j = from … to one MALA chain per field
// on Ē_j(·, φ_j) (Sample's sampler, with the random streams of scale j),
// then φ_{j−1} = γ_j(Gᵀφ_j + Ḡᵀφ̄_j). It returns the standardized φ_{to−1}
// and the sampler summary of each scale; report receives each scale's
// progress, with Fraction that of the scale.
func (m *Model) refine(ctx context.Context, coarse [][]float64, from, to int, set SampleSettings, workers int, report func(j int, p SampleProgress)) ([][]float64, []ScaleSampling, error) {
	N, L := len(coarse), m.L
	b := m.Basis()
	rngs := make([]*rand.Rand, N)
	var scales []ScaleSampling
	for j := from; j >= to; j-- {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		n := L >> j
		details := make([][]float64, N)
		for i := range details {
			details[i] = make([]float64, 3*n*n)
			rngs[i] = mcmc.StreamRand(set.Seed, uint64(i), uint64(1000+j))
		}
		snapWS := wavelet.NewWorkspace(2 * n)
		sc, err := runChains(ctx, m.Conditionals[j-1], coarse, details, 1, m.Diagnostics[j].DetailStd, set.atLevel(j), rngs, workers, j,
			func(p SampleProgress) {
				if set.Snapshots && p.Snapshot != nil {
					fine := make([]float64, 4*n*n)
					b.Synthesize(fine, coarse[0], p.Snapshot, 2*n, snapWS)
					for q := range fine {
						fine[q] *= m.Gamma[j-1]
					}
					p.Snapshot, p.SnapshotSide = fine, 2*n
				}
				report(j, p)
			})
		if err != nil {
			return nil, nil, err
		}
		scales = append(scales, sc)
		fine := make([][]float64, N)
		wss := make([]*wavelet.Workspace, workers)
		parallel.For(N, workers, func(wk, i int) {
			if wss[wk] == nil {
				wss[wk] = wavelet.NewWorkspace(2 * n)
			}
			f := make([]float64, 4*n*n)
			b.Synthesize(f, coarse[i], details[i], 2*n, wss[wk])
			for q := range f {
				f[q] *= m.Gamma[j-1]
			}
			fine[i] = f
		})
		coarse = fine
	}
	return coarse, scales, nil
}

// runChains runs one MALA chain per field on model e (conditioned on
// conds[i] for conditional models), starting from white noise with the
// given per-channel standard deviations, and leaves the final states in
// states. It adapts δ in rounds during the first set.Adapt steps.
func runChains(ctx context.Context, e *energy.Model, conds, states [][]float64, _ float64, chStd [3]float64,
	set SampleSettings, rngs []*rand.Rand, workers, level int, progress func(SampleProgress)) (ScaleSampling, error) {
	t0 := time.Now()
	N := len(states)
	n := e.N
	nn := n * n
	evals := make([]*energy.Conditioned, workers)
	for w := range evals {
		evals[w] = e.NewConditioned()
	}
	if set.Sweeps > 0 {
		// Bases whose synthesis is not local (shannon) have no site
		// sweeper: spend the sweeps' cost on global steps instead.
		if conds != nil {
			evals[0].SetCondition(conds[0])
		}
		if _, err := evals[0].NewSiteSweeper(); err != nil {
			set.Steps += sweepCost * set.Sweeps
			set.Sweeps = 0
		}
	}
	chains := make([]*mcmc.Chain, N)
	walled := make([]bool, N)
	parallel.For(N, workers, func(w, i int) {
		ev := evals[w]
		ev.Wall = false
		if conds != nil {
			ev.SetCondition(conds[i])
		}
		x := states[i]
		amp := 1.0
		if set.ZeroStart {
			amp = 0
		}
		for try := 0; ; try++ {
			for c := 0; c < e.Channels(); c++ {
				for k := 0; k < nn; k++ {
					x[c*nn+k] = amp * chStd[c] * rngs[i].NormFloat64()
				}
			}
			ch, err := mcmc.NewChain(ev, x)
			if err == nil {
				chains[i] = ch
				return
			}
			if amp == 0 {
				// No start inside the support: start under the quartic wall.
				ev.Wall = true
				chains[i], _ = mcmc.NewChain(ev, x)
				walled[i] = true
				ev.Wall = false
				return
			}
			amp /= 2
			if try >= 4 {
				amp = 0
			}
		}
	})
	nWalled := 0
	for _, w := range walled {
		if w {
			nWalled++
		}
	}
	delta := set.InitStep
	if delta == 0 {
		// MALA needs δ ≲ 1/λ_max of the energy's Hessian.
		delta = 0.05
		if b := evals[0].CurvatureBound(); b > 0 {
			delta = 1 / b
		}
	}
	acc := make([]int, N)
	var lateAcc, lateProp int
	lastRate, lastDelta := 0.0, delta
	for step := 0; step < set.Steps; {
		if err := ctx.Err(); err != nil {
			return ScaleSampling{}, err
		}
		k := min(sampleRound, set.Steps-step)
		d := delta
		parallel.For(N, workers, func(w, i int) {
			ev := evals[w]
			ev.Wall = walled[i]
			if conds != nil {
				ev.SetCondition(conds[i])
			}
			ch := chains[i]
			ch.ResetCounts()
			for s := 0; s < k; s++ {
				ch.Step(ev, d, rngs[i])
				if walled[i] && ev.InSupport(ch.X) {
					walled[i] = false // inside: the wall is zero here; reject from now on
					ev.Wall = false
				}
			}
			ev.Wall = false
			acc[i] = ch.Accepted
		})
		step += k
		var a int
		for _, v := range acc {
			a += v
		}
		rate := float64(a) / float64(N*k)
		lastRate, lastDelta = rate, d
		if step <= set.Adapt {
			delta = mcmc.AdaptStep(delta, rate, mcmc.TargetAcceptance)
		} else {
			lateAcc += a
			lateProp += N * k
		}
		if progress != nil {
			p := SampleProgress{Level: level, Step: step, Steps: set.Steps, Sweeps: set.Sweeps, Acceptance: rate, Delta: delta,
				Fraction: float64(step) / phaseCost(set)}
			if set.Snapshots {
				p.Snapshot = append([]float64(nil), chains[0].X...)
			}
			progress(p)
		}
	}
	for i, ch := range chains {
		copy(states[i], ch.X)
	}
	sc := ScaleSampling{Level: level, Delta: delta, Walled: nWalled, Steps: set.Steps, Sweeps: set.Sweeps}
	if set.Sweeps > 0 {
		if err := sweepChains(ctx, evals, conds, states, walled, set, rngs, level, &sc, progress); err != nil {
			return ScaleSampling{}, err
		}
	}
	sc.Seconds = time.Since(t0).Seconds()
	for _, w := range walled {
		if w {
			sc.StillOutside++
		}
	}
	if lateProp > 0 {
		sc.Acceptance = float64(lateAcc) / float64(lateProp)
	} else {
		// Every step adapted δ: report the last round's acceptance with
		// the δ it was measured at.
		sc.Acceptance, sc.Delta = lastRate, lastDelta
	}
	return sc, nil
}
