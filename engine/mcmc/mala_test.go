package mcmc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gauss1 is E(x) = x²/2 in one dimension.
type gauss1 struct{}

func (gauss1) EnergyGrad(x, g []float64) (float64, bool) {
	g[0] = x[0]
	return x[0] * x[0] / 2, true
}

// TestMALAOneDimensionalGaussian checks the spec's values (§4.1, derived):
// on E = x²/2, δ = 0.5 / 1.0 / 1.5 give acceptance 0.92 / 0.78 / 0.63 and a
// stationary variance of 1. With 4e5 steps the acceptance has a standard
// error below 1e-3 (allow 0.01 for the spec's two digits) and the variance
// one of about 0.01 (τ ≤ a few steps), so 0.05 is a 5σ bound.
func TestMALAOneDimensionalGaussian(t *testing.T) {
	for _, c := range []struct{ delta, acc float64 }{{0.5, 0.92}, {1.0, 0.78}, {1.5, 0.63}} {
		rng := rand.New(rand.NewPCG(1, uint64(c.delta*10)))
		ch, err := NewChain(gauss1{}, []float64{0})
		if err != nil {
			t.Fatal(err)
		}
		const steps = 400000
		var s2 float64
		for i := 0; i < steps; i++ {
			ch.Step(gauss1{}, c.delta, rng)
			s2 += ch.X[0] * ch.X[0]
		}
		acc := float64(ch.Accepted) / float64(ch.Proposed)
		v := s2 / steps
		t.Logf("δ=%.1f: acceptance %.4f (spec %.2f), variance %.4f", c.delta, acc, c.acc, v)
		if math.Abs(acc-c.acc) > 0.01 {
			t.Errorf("δ=%.1f: acceptance %.4f, spec %.2f", c.delta, acc, c.acc)
		}
		if math.Abs(v-1) > 0.05 {
			t.Errorf("δ=%.1f: variance %.4f, want 1", c.delta, v)
		}
	}
}

// reject is a target with zero probability outside [−1, 1].
type reject struct{}

func (reject) EnergyGrad(x, g []float64) (float64, bool) {
	g[0] = 0
	return 0, math.Abs(x[0]) <= 1
}

func TestMALARejectsOutsideSupport(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	ch, _ := NewChain(reject{}, []float64{0.5})
	for i := 0; i < 10000; i++ {
		ch.Step(reject{}, 0.5, rng)
		if math.Abs(ch.X[0]) > 1 {
			t.Fatalf("chain left the support: x = %g", ch.X[0])
		}
	}
	if _, err := NewChain(reject{}, []float64{2}); err == nil {
		t.Error("a chain started outside the support")
	}
}

func TestMALAZeroAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ch, _ := NewChain(gauss1{}, []float64{0})
	if a := testing.AllocsPerRun(100, func() { ch.Step(gauss1{}, 1, rng) }); a != 0 {
		t.Errorf("Step allocates %v times", a)
	}
}

func TestPooledAcceptance(t *testing.T) {
	if r, p := PooledAcceptance([]int{1, 3, 0}, []int{4, 4, 0}); r != 0.5 || p != 8 {
		t.Errorf("PooledAcceptance = %g, %d; want 0.5, 8", r, p)
	}
	if r, p := PooledAcceptance([]int{0}, []int{0}); r != 0 || p != 0 {
		t.Errorf("PooledAcceptance without proposals = %g, %d; want 0, 0", r, p)
	}
}
