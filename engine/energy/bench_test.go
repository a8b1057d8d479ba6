package energy

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// benchSides are the coarse grid sides of the benchmarks.
var benchSides = []int{8, 16, 32, 64}

// benchConditioned returns the default conditional model (db4, 9×9
// window, 30 hats) with small random θ on a coarse grid of side n, its
// evaluator with a random condition, and a field in the support.
func benchConditioned(n int) (*Conditioned, []float64, *rand.Rand) {
	wb, _ := wavelet.New("db4")
	rng := rand.New(rand.NewPCG(1, 1))
	m, _ := NewConditional(n, 4, ScalarBasis{Kind: BasisHat, Nodes: 30, Lo: -10, Hi: 10}, 1.8, wb)
	for i := range m.Theta {
		m.Theta[i] = 0.01 * rng.NormFloat64()
	}
	c := m.NewConditioned()
	c.SetCondition(randField(rng, n*n, 1))
	return c, randField(rng, m.Dim(), 0.3), rng
}

// BenchmarkEnergyGrad times one energy and gradient evaluation of the
// default conditional model on coarse grids of side n: the unit of work of
// every MALA step.
func BenchmarkEnergyGrad(b *testing.B) {
	for _, n := range benchSides {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c, x, _ := benchConditioned(n)
			g := make([]float64, len(x))
			b.ReportAllocs()
			for b.Loop() {
				c.EnergyGrad(x, g)
			}
		})
	}
}

// BenchmarkSiteSweep times one site-by-site MALA sweep of the same models:
// the unit of work of the local conditional chains (about 13–20 gradient
// evaluations; compare the two to convert sweeps into evaluations).
func BenchmarkSiteSweep(b *testing.B) {
	for _, n := range benchSides {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c, x, rng := benchConditioned(n)
			benchSweeps(b, c, x, rng)
		})
	}
}

// benchSweeps times site sweeps of c from x with step 0.01.
func benchSweeps(b *testing.B, c *Conditioned, x []float64, rng *rand.Rand) {
	s, err := c.NewSiteSweeper()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sweep(x, 0.01, rng); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSiteSweepPairs is BenchmarkSiteSweep with a 12×12-node pair
// potential (small random coefficients) on the finer field, as fitted with
// Settings.PairNodes near a critical point.
func BenchmarkSiteSweepPairs(b *testing.B) {
	for _, n := range benchSides[:3] {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c, x, rng := benchPairConditioned(b, n)
			benchSweeps(b, c, x, rng)
		})
	}
}

// BenchmarkEnergyGradPairs is BenchmarkEnergyGrad with the pair potential
// of BenchmarkSiteSweepPairs: the unit of work of maximum likelihood's
// global MALA steps for pair models.
func BenchmarkEnergyGradPairs(b *testing.B) {
	for _, n := range benchSides[:3] {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c, x, _ := benchPairConditioned(b, n)
			g := make([]float64, len(x))
			b.ReportAllocs()
			for b.Loop() {
				c.EnergyGrad(x, g)
			}
		})
	}
}

// benchPairConditioned is benchConditioned with a 12×12-node pair
// potential.
func benchPairConditioned(b *testing.B, n int) (*Conditioned, []float64, *rand.Rand) {
	wb, _ := wavelet.New("db4")
	rng := rand.New(rand.NewPCG(1, 1))
	m, _ := NewConditional(n, 4, ScalarBasis{Kind: BasisHat, Nodes: 30, Lo: -10, Hi: 10}, 1.8, wb)
	if err := m.AddPair(PairBasis{Nodes: 12, SLo: -10, SHi: 10, DLo: -10, DHi: 10}); err != nil {
		b.Fatal(err)
	}
	for i := range m.Theta {
		m.Theta[i] = 0.01 * rng.NormFloat64()
	}
	c := m.NewConditioned()
	c.SetCondition(randField(rng, n*n, 1))
	return c, randField(rng, m.Dim(), 0.3), rng
}
