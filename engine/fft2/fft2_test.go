package fft2

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestForwardInverse compares Forward with the defining sum and checks
// that InverseReal inverts it.
func TestForwardInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 8, 12} {
		x := make([]float64, n*n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		p := NewPlan(n)
		X := make([]complex128, n*n)
		p.Forward(X, x)
		for k1 := 0; k1 < n; k1++ {
			for k2 := 0; k2 < n; k2++ {
				var want complex128
				for a := 0; a < n; a++ {
					for b := 0; b < n; b++ {
						want += complex(x[a*n+b], 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k1*a+k2*b)/float64(n)))
					}
				}
				if cmplx.Abs(X[k1*n+k2]-want) > 1e-10 {
					t.Fatalf("n=%d: φ̂(%d,%d) = %v, want %v", n, k1, k2, X[k1*n+k2], want)
				}
			}
		}
		y := make([]float64, n*n)
		p.InverseReal(y, X)
		for i := range x {
			if math.Abs(x[i]-y[i]) > 1e-12 {
				t.Fatalf("n=%d: inverse differs by %g", n, math.Abs(x[i]-y[i]))
			}
		}
	}
}

func BenchmarkForward(b *testing.B) {
	for _, n := range []int{16, 32, 64, 128} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			p := NewPlan(n)
			x := make([]float64, n*n)
			X := make([]complex128, n*n)
			b.ReportAllocs()
			for b.Loop() {
				p.Forward(X, x)
			}
		})
	}
}
