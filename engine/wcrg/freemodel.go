package wcrg

import (
	"fmt"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/mcmc"
)

// modelMover moves training details φ̄_j under the model's conditional
// Ē_j(·|φ_j) with site-by-site MALA sweeps (energy.SiteSweeper), so that
// free-energy regression targets average over the model's conditional
// (FreeSettings.ModelSweeps). The step δ_j is adapted once per scale.
type modelMover struct {
	cond   *energy.Model
	sweeps int
	delta  float64
	seed   uint64
	level  int
	ws     []moverWorker
}

// moverWorker is one goroutine's evaluator, sweeper and state.
type moverWorker struct {
	c  *energy.Conditioned
	sw *energy.SiteSweeper
	x  []float64
}

// newModelMover adapts δ towards the target acceptance on the first
// training pairs that lie in the model's support.
func newModelMover(cond *energy.Model, pairs *estimate.Samples, sweeps int, seed uint64, level, workers int) (*modelMover, error) {
	mv := &modelMover{cond: cond, sweeps: sweeps, seed: seed, level: level, ws: make([]moverWorker, workers)}
	c := cond.NewConditioned()
	mv.delta = 0.05
	if b := c.CurvatureBound(); b > 0 {
		mv.delta = 1 / b
	}
	rng := mcmc.StreamRand(seed, 1<<40, uint64(level))
	adapted := 0
	for i := 0; i < pairs.Count && adapted < 4; i++ {
		a0, x0, _ := pairs.At(i)
		c.SetCondition(a0)
		if !c.InSupport(x0) {
			continue
		}
		sw, err := c.NewSiteSweeper()
		if err != nil {
			return nil, err
		}
		x := append([]float64(nil), x0...)
		for k := 0; k < 10; k++ {
			sw.ResetCounts()
			if err := sw.Sweep(x, mv.delta, rng); err != nil {
				return nil, err
			}
			mv.delta = mcmc.AdaptStep(mv.delta, float64(sw.Accepted)/float64(sw.Proposed), mcmc.TargetAcceptance)
		}
		adapted++
	}
	if adapted == 0 {
		return nil, fmt.Errorf("no training field of scale %d lies in the model's support", level)
	}
	return mv, nil
}

// move returns φ̄_j after the sweeps from x at condition a0 (worker w's
// storage, valid until its next call), or x itself if x lies outside the
// model's support. Sample i has its own random stream.
func (mv *modelMover) move(w, i int, a0, x []float64) []float64 {
	wk := &mv.ws[w]
	if wk.c == nil {
		wk.c = mv.cond.NewConditioned()
		wk.x = make([]float64, len(x))
	}
	wk.c.SetCondition(a0)
	if wk.sw == nil {
		sw, err := wk.c.NewSiteSweeper()
		if err != nil {
			return x
		}
		wk.sw = sw
	}
	copy(wk.x, x)
	rng := mcmc.StreamRand(mv.seed, uint64(i), uint64(mv.level))
	for k := 0; k < mv.sweeps; k++ {
		if err := wk.sw.Sweep(wk.x, mv.delta, rng); err != nil {
			return x
		}
	}
	return wk.x
}
