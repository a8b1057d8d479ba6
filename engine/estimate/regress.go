package estimate

import (
	"context"
	"fmt"
	"sync"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// GradientTarget writes the regression target of sample i (a field of the
// model's varying shape) into dst. It is called concurrently with distinct
// worker indices w ∈ [0, workers).
type GradientTarget func(w, i int, dst []float64)

// RegressionResult is a gradient regression.
type RegressionResult struct {
	Theta         []float64
	Cond, CondRaw float64
	Samples       int
}

// RegressGradients fits θ of m so that the gradient of θ·U with respect to
// the varying field matches a target field in least squares,
//
//	θ = argmin E‖∇(θ·U) − T‖²  ⇒  E⟨∇U_k, ∇U_l⟩ θ_l = E⟨∇U_k, T⟩,
//
// solved like score matching (diagonal normalization, ridge, Cholesky). It
// is the free-energy route of spec §5.2, where T = ∇_{φ_j}Ē_j at data pairs
// and m models F̃_j(φ_j). Only first derivatives of the basis enter, so hats
// are allowed. A plain model with a pair potential is regressed on its
// explicit feature gradients (the spectral accumulator has no pair
// features). It sets m.Theta.
func RegressGradients(ctx context.Context, m *energy.Model, s *Samples, target GradientTarget, ridge float64, workers int) (*RegressionResult, error) {
	if err := s.Check(m); err != nil {
		return nil, err
	}
	if ridge == 0 {
		ridge = DefaultRidge
	}
	workers = parallel.Workers(workers)
	if m.Pair.Len() > 0 {
		return regressExplicit(ctx, m, s, target, ridge, workers)
	}
	nc, bounds := parallel.Chunks(s.Count, (s.Count+scoreChunks-1)/scoreChunks)
	grams := make([]*gram, nc)
	var mu sync.Mutex
	parallel.For(nc, workers, func(w, c int) {
		g := newGram(m)
		g.enableTarget()
		t := make([]float64, m.Dim())
		lo, hi := bounds(c)
		for i := lo; i < hi; i++ {
			if i%8 == 0 && ctx.Err() != nil {
				return
			}
			a0, x, fine := s.At(i)
			g.add(a0, x, fine)
			target(w, i, t)
			g.addTarget(t)
		}
		mu.Lock()
		grams[c] = g
		mu.Unlock()
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for c := 1; c < nc; c++ {
		grams[0].merge(grams[c])
	}
	sys := grams[0].finish()
	if sys.R == nil {
		return nil, fmt.Errorf("estimate: no regression target accumulated")
	}
	theta, cond, condRaw, err := solveNormalized(sys.H, sys.R, sys.M, ridge)
	if err != nil {
		return nil, err
	}
	copy(m.Theta, theta)
	return &RegressionResult{Theta: theta, Cond: cond, CondRaw: condRaw, Samples: s.Count}, nil
}
