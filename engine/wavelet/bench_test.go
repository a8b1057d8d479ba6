package wavelet

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDecomposeReconstruct times one db4 decomposition and
// reconstruction of a 256×256 field into J = 5 levels (the per-field unit of
// `wcrg bench wavelet`, which runs 100 fields on all cores).
func BenchmarkDecomposeReconstruct(b *testing.B) {
	for _, name := range []string{"haar", "db4", "db8"} {
		b.Run(name, func(b *testing.B) {
			bs, _ := New(name)
			tr, _ := NewTransform(bs, 256, 5, nil)
			d := NewDecomposition(256, 5)
			x := randVec(rand.New(rand.NewPCG(1, 1)), 256*256)
			y := make([]float64, len(x))
			b.ReportAllocs()
			for b.Loop() {
				tr.Decompose(d, x)
				tr.Reconstruct(y, d)
			}
		})
	}
}
