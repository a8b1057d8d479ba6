package ising

import (
	"context"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// BenchmarkSweep times one sweep of each sampler at L = 64, β = β_c (after
// 200 thermalization sweeps, which also fix Wolff's n_c), without the
// per-call field check and observer of Run. One op is one sweep;
// ns/site is per lattice site (Wolff: per site of the lattice, not per
// flipped spin; a Wolff sweep flips ≈ L² spins).
func BenchmarkSweep(b *testing.B) {
	for _, alg := range Algorithms() {
		b.Run(string(alg), func(b *testing.B) {
			m := Model{L: 64, Beta: BetaC}
			s, err := NewSampler(alg, m, 1)
			if err != nil {
				b.Fatal(err)
			}
			f := lattice.NewField(64)
			HotStart(f, m, 1)
			if err := s.Thermalize(context.Background(), f, 200, nil); err != nil {
				b.Fatal(err)
			}
			var sweep func([]float64)
			switch smp := s.(type) {
			case *metropolis:
				sweep = smp.sweep
			case *wolff:
				sweep = func(phi []float64) { smp.sweep(phi) }
			case *swendsenWang:
				sweep = func(phi []float64) { smp.sweep(phi) }
			}
			b.ReportAllocs()
			for b.Loop() {
				sweep(f.Data)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64*64), "ns/site")
		})
	}
}
