// Package mcmc holds the Markov chain Monte Carlo machinery shared by the
// estimators and samplers: the Metropolis-adjusted Langevin algorithm over
// an energy interface, step-size adaptation, and autocorrelation analysis.
package mcmc

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Target is an energy E(x) on ℝ^d with its gradient. EnergyGrad writes ∇E(x)
// into grad and returns E(x); it returns ok = false for states of zero
// probability (windowed rejection), which MALA rejects.
type Target interface {
	EnergyGrad(x, grad []float64) (e float64, ok bool)
}

// Chain is the state of one MALA chain: position, energy and gradient, plus
// scratch for proposals. Steps allocate nothing.
type Chain struct {
	X, G     []float64
	E        float64
	y, gy    []float64
	Accepted int // accepted proposals since the last ResetCounts
	Proposed int
}

// NewChain starts a chain at a copy of x0, which must have non-zero
// probability under t.
func NewChain(t Target, x0 []float64) (*Chain, error) {
	c := &Chain{X: make([]float64, len(x0)), G: make([]float64, len(x0)),
		y: make([]float64, len(x0)), gy: make([]float64, len(x0))}
	if err := c.Reset(t, x0); err != nil {
		return nil, err
	}
	return c, nil
}

// NewIdleChain returns a chain with storage for d-dimensional states and
// no position yet; Reset it at a state before stepping.
func NewIdleChain(d int) *Chain {
	return &Chain{X: make([]float64, d), G: make([]float64, d), y: make([]float64, d), gy: make([]float64, d)}
}

// Reset moves the chain to a copy of x0 (nil: keep the position) and
// recomputes its energy and gradient under t, e.g. after the target's
// parameters changed.
func (c *Chain) Reset(t Target, x0 []float64) error {
	if x0 != nil {
		copy(c.X, x0)
	}
	e, ok := t.EnergyGrad(c.X, c.G)
	if !ok || math.IsNaN(e) {
		return fmt.Errorf("mcmc: starting state has zero probability (outside the energy's support)")
	}
	c.E = e
	return nil
}

// ResetCounts zeroes the acceptance counters.
func (c *Chain) ResetCounts() { c.Accepted, c.Proposed = 0, 0 }

// Step performs one MALA step with step size delta (spec §4.1):
//
//	y = x − δ∇E(x) + √(2δ) ζ,  ζ ∼ N(0, I),
//	log A = −(E(y) − E(x)) + ½⟨y − x, ∇E(x) + ∇E(y)⟩ − (δ/4)(‖∇E(y)‖² − ‖∇E(x)‖²),
//
// accepted with probability min(1, e^{log A}); proposals of zero
// probability are rejected. It reports whether the proposal was accepted.
func (c *Chain) Step(t Target, delta float64, rng *rand.Rand) bool {
	s := math.Sqrt(2 * delta)
	for i, x := range c.X {
		c.y[i] = x - delta*c.G[i] + s*rng.NormFloat64()
	}
	c.Proposed++
	ey, ok := t.EnergyGrad(c.y, c.gy)
	if !ok || math.IsNaN(ey) {
		return false
	}
	var cross, gx2, gy2 float64
	for i, x := range c.X {
		d := c.y[i] - x
		cross += d * (c.G[i] + c.gy[i])
		gx2 += c.G[i] * c.G[i]
		gy2 += c.gy[i] * c.gy[i]
	}
	logA := -(ey - c.E) + 0.5*cross - delta/4*(gy2-gx2)
	if logA >= 0 || rng.Float64() < math.Exp(logA) {
		c.X, c.y = c.y, c.X
		c.G, c.gy = c.gy, c.G
		c.E = ey
		c.Accepted++
		return true
	}
	return false
}

// TargetAcceptance is the MALA acceptance rate the step size is adapted to
// (spec §4.2, "optimal" for MALA).
const TargetAcceptance = 0.57

// PooledAcceptance returns the acceptance rate pooled over chains,
// Σ accepted / Σ proposed, and the number of proposals (rate 0 when none).
func PooledAcceptance(accepted, proposed []int) (rate float64, proposals int) {
	var a int
	for i := range accepted {
		a += accepted[i]
		proposals += proposed[i]
	}
	if proposals > 0 {
		rate = float64(a) / float64(proposals)
	}
	return rate, proposals
}

// AdaptStep returns the step size after one adaptation round with observed
// acceptance rate acc: log δ += 0.5 (acc − target) (spec §4.2).
func AdaptStep(delta, acc, target float64) float64 {
	return delta * math.Exp(0.5*(acc-target))
}

// StreamRand returns a random source for stream (a, b) of a seed, so that
// each chain and segment has its own reproducible stream whatever the
// number of workers.
func StreamRand(seed uint64, a, b uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9E3779B97F4A7C15*(a+1), b*0xBF58476D1CE4E5B9+a))
}
