package wcrg

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// RelaxSettings configures ConditionalRelaxation.
type RelaxSettings struct {
	Chains int // chains per scale, each at the φ_j of one data field (default 16)
	Adapt  int // MALA steps adapting δ_j towards acceptance 0.57, not recorded (default 200)
	Steps  int // recorded MALA steps (or sweeps, with Local) per chain (default 4000, Local 1000)
	// Local runs site-by-site MALA sweeps (energy.SiteSweeper: every
	// coarse site's three channels proposed and accepted on their own, in
	// a systematic scan) instead of global MALA moves of the whole φ̄_j.
	// Global MALA must shrink its step as d^(−1/3) to keep its acceptance,
	// so its relaxation time grows with the lattice even when the
	// conditional is well conditioned; the local acceptance test removes
	// that dimension effect. Times are then in sweeps.
	Local   bool
	Seed    uint64
	Workers int
}

func (s RelaxSettings) withDefaults() RelaxSettings {
	if s.Chains == 0 {
		s.Chains = 16
	}
	if s.Adapt == 0 {
		s.Adapt = 200
	}
	if s.Steps == 0 {
		s.Steps = 4000
		if s.Local {
			s.Steps = 1000
		}
	}
	return s
}

// ScaleRelaxation is the relaxation of the conditional MALA chains of one
// scale at fixed φ_j (spec §7.1).
type ScaleRelaxation struct {
	Level      int     // j
	Dim        int     // d̄_j = 3·(L/2^j)²
	Weight     float64 // d̄_j / L², the cost of one step in full-field sweeps
	Delta      float64 // tuned MALA step
	Local      bool    // site-by-site sweeps: times in sweeps, not global steps
	Acceptance float64
	// Energy is τ_int (MALA steps) of Ē_j(φ̄_j(t) | φ_j), each chain
	// centred on its own mean (the conditional mean at its φ_j).
	Energy mcmc.TauInt
	// Exp is τ_exp of the same chains; where its fit fails (ρ(t) that does
	// not decay) it is left zero and ExpErr says why.
	Exp    mcmc.TauExp
	ExpErr string `json:",omitempty"`
}

// ConditionalRelaxation measures, at every scale j of m, the integrated
// autocorrelation time of the conditional energy along MALA chains on
// Ē_j(· | φ_j) with φ_j taken from data fields (raw units) and started at
// their data φ̄_j, which is already a draw from the conditional. The
// cost-weighted WC-RG time is Σ_j Weight_j·τ_j (spec §7.1); the coarsest
// 1×1 scale is drawn exactly and costs nothing.
func ConditionalRelaxation(ctx context.Context, m *Model, fields lattice.Stack, set RelaxSettings) ([]ScaleRelaxation, error) {
	set = set.withDefaults()
	if fields.L != m.L || fields.N < 1 {
		return nil, fmt.Errorf("wcrg: relaxation needs fields of side %d (got %d fields of side %d)", m.L, fields.N, fields.L)
	}
	nc := min(set.Chains, fields.N)
	std := m.standardized(lattice.Stack{N: nc, L: fields.L, Data: fields.Data[:nc*fields.L*fields.L]})
	tr := m.Transform()
	workers := parallel.Workers(set.Workers)
	var out []ScaleRelaxation
	for j := 1; j <= m.Levels; j++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := m.Conditionals[j-1]
		s := estimate.LevelSamples(tr, std, j, workers)
		series := make([][]float64, nc)
		deltas := make([]float64, nc)
		accs := make([]float64, nc)
		errs := make([]error, nc)
		parallel.For(nc, workers, func(_, i int) {
			c := e.NewConditioned()
			a0, x, _ := s.At(i)
			c.SetCondition(a0)
			ch, err := mcmc.NewChain(c, x)
			if err != nil {
				errs[i] = fmt.Errorf("wcrg: scale %d, field %d: %v", j, i, err)
				return
			}
			rng := mcmc.StreamRand(set.Seed, uint64(i), uint64(j))
			delta := 0.05
			if b := c.CurvatureBound(); b > 0 {
				delta = 1 / b
			}
			if set.Local {
				ser, d, acc, err := localRelaxation(ctx, c, x, delta, set, rng)
				if err != nil {
					errs[i] = fmt.Errorf("wcrg: scale %d, field %d: %v", j, i, err)
					return
				}
				series[i], deltas[i], accs[i] = ser, d, acc
				return
			}
			for t := 0; t < set.Adapt; t += 10 {
				ch.ResetCounts()
				for k := 0; k < 10; k++ {
					ch.Step(c, delta, rng)
				}
				delta = mcmc.AdaptStep(delta, float64(ch.Accepted)/float64(ch.Proposed), mcmc.TargetAcceptance)
			}
			ch.ResetCounts()
			ser := make([]float64, set.Steps)
			for t := range ser {
				if t%256 == 0 && ctx.Err() != nil {
					errs[i] = ctx.Err()
					return
				}
				ch.Step(c, delta, rng)
				ser[t], _ = c.Energy(ch.X)
			}
			series[i], deltas[i], accs[i] = ser, delta, float64(ch.Accepted)/float64(ch.Proposed)
		})
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		a, err := mcmc.AnalyzeAutocorr(series, mcmc.AutocorrSettings{Centering: mcmc.ChainMean})
		if err != nil {
			return nil, fmt.Errorf("wcrg: scale %d: %v", j, err)
		}
		n := m.L >> j
		r := ScaleRelaxation{Level: j, Dim: 3 * n * n, Weight: float64(3*n*n) / float64(m.L*m.L),
			Energy: a.Int, Exp: a.Exp, Local: set.Local}
		if a.ExpErr != nil {
			r.Exp, r.ExpErr = mcmc.TauExp{}, a.ExpErr.Error()
		}
		for i := range deltas {
			r.Delta += deltas[i] / float64(nc)
			r.Acceptance += accs[i] / float64(nc)
		}
		out = append(out, r)
	}
	return out, nil
}

// localRelaxation runs one chain of site sweeps from x (a copy is moved):
// Adapt sweeps tuning δ towards the target acceptance (each sweep is many
// small accept/reject decisions, so one sweep suffices per adaptation
// round), then Steps recorded sweeps of the conditional energy.
func localRelaxation(ctx context.Context, c *energy.Conditioned, x0 []float64, delta float64, set RelaxSettings, rng *rand.Rand) ([]float64, float64, float64, error) {
	sw, err := c.NewSiteSweeper()
	if err != nil {
		return nil, 0, 0, err
	}
	x := append([]float64(nil), x0...)
	adapt := max(20, set.Adapt/10)
	for t := 0; t < adapt; t++ {
		sw.ResetCounts()
		if err := sw.Sweep(x, delta, rng); err != nil {
			return nil, 0, 0, err
		}
		delta = mcmc.AdaptStep(delta, float64(sw.Accepted)/float64(sw.Proposed), mcmc.TargetAcceptance)
	}
	sw.ResetCounts()
	ser := make([]float64, set.Steps)
	for t := range ser {
		if t%16 == 0 && ctx.Err() != nil {
			return nil, 0, 0, ctx.Err()
		}
		if err := sw.Sweep(x, delta, rng); err != nil {
			return nil, 0, 0, err
		}
		ser[t], _ = c.Energy(x)
	}
	return ser, delta, float64(sw.Accepted) / float64(sw.Proposed), nil
}
