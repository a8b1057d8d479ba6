package energy

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// BenchmarkEnergyGrad times one energy and gradient evaluation of the
// default conditional model (db4, 9×9 window, 30 hats) on coarse grids of
// side n: the unit of work of every MALA step.
func BenchmarkEnergyGrad(b *testing.B) {
	wb, _ := wavelet.New("db4")
	for _, n := range []int{8, 16, 32, 64} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			m, _ := NewConditional(n, 4, ScalarBasis{Kind: BasisHat, Nodes: 30, Lo: -10, Hi: 10}, 1.8, wb)
			for i := range m.Theta {
				m.Theta[i] = 0.01 * rng.NormFloat64()
			}
			c := m.NewConditioned()
			c.SetCondition(randField(rng, n*n, 1))
			x := randField(rng, m.Dim(), 0.3)
			g := make([]float64, len(x))
			b.ReportAllocs()
			for b.Loop() {
				c.EnergyGrad(x, g)
			}
		})
	}
}
