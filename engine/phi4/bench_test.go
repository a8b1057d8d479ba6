package phi4

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Benchmarks use b.N rather than b.Loop: a sweep runs inside a Run call,
// which owns the worker goroutines, so all b.N sweeps go into one call (as in
// a data generator). One op is one sweep (one trajectory for HMC).

// benchMetropolis times Metropolis sweeps of φ⁴ at L = 128, β = 0.68, the
// problem of the C reference (BenchmarkCReference).
func benchMetropolis(b *testing.B, workers int) {
	m := Phi4{L: 128, Beta: 0.68}
	s, err := NewMetropolis(m, MetropolisSettings{Seed: 1, Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	f := lattice.NewField(128)
	ctx := context.Background()
	if err := s.Thermalize(ctx, f, 200, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := s.Run(ctx, f, b.N, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*128*128), "ns/site-update")
	b.ReportMetric(s.Stats().Acceptance, "acceptance")
}

// BenchmarkMetropolisSweep reports ns per site update on one core and on
// all cores.
func BenchmarkMetropolisSweep(b *testing.B) {
	b.Run("1core", func(b *testing.B) { benchMetropolis(b, 1) })
	b.Run("allcores", func(b *testing.B) { benchMetropolis(b, 0) })
}

func BenchmarkClusterSweep(b *testing.B) {
	for _, L := range []int{64, 128} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			m := Phi4{L: L, Beta: 0.68}
			s, err := NewCluster(m, ClusterSettings{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			f := lattice.NewField(L)
			ctx := context.Background()
			if err := s.Thermalize(ctx, f, 300, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := s.Run(ctx, f, b.N, nil); err != nil {
				b.Fatal(err)
			}
			st := s.Stats()
			b.ReportMetric(float64(st.Clusters), "clusters/sweep")
			b.ReportMetric(st.MeanClusterSize, "sites/cluster")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*L*L), "ns/site")
		})
	}
}

func BenchmarkHMCTrajectory(b *testing.B) {
	for _, w := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			const L = 128
			m := Phi4{L: L, Beta: 0.68}
			s, err := NewHMC(m, HMCSettings{Seed: 1, Workers: w})
			if err != nil {
				b.Fatal(err)
			}
			f := lattice.NewField(L)
			ctx := context.Background()
			InitField(f, m, Cold, 0)
			if err := s.Thermalize(ctx, f, 100, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := s.Run(ctx, f, b.N, nil); err != nil {
				b.Fatal(err)
			}
			st := s.Stats()
			b.ReportMetric(st.Acceptance, "acceptance")
			b.ReportMetric(float64(st.LeapfrogSteps), "steps/traj")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*st.LeapfrogSteps*L*L), "ns/site-step")
		})
	}
}

// BenchmarkCReference runs the plain-C reference on the same problem as
// BenchmarkMetropolisSweep (L = 128, β = 0.68) and reports its ns per site
// update, so that one `go test -bench 'MetropolisSweep|CReference'` gives
// both numbers. Each op is one run of 500 sweeps (compilation included in the
// wall time, not in the metric).
func BenchmarkCReference(b *testing.B) {
	needCReference(b)
	var ns float64
	var n int
	for b.Loop() {
		r, err := RunCReference(context.Background(), cRefSource, 128, 0.68, 500, 1)
		if err != nil {
			b.Fatal(err)
		}
		ns += r.NsPerUpdate
		n++
	}
	b.ReportMetric(ns/float64(n), "ns/site-update")
}

// Micro-benchmarks of the Metropolis kernel's parts.

func BenchmarkExpNonPos(b *testing.B) {
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = -float64(i) / 100
	}
	var s float64
	for b.Loop() {
		for _, x := range xs {
			s += expNonPos(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/exp")
	_ = s
}

func BenchmarkMathExp(b *testing.B) {
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = -float64(i) / 100
	}
	var s float64
	for b.Loop() {
		for _, x := range xs {
			s += math.Exp(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/exp")
	_ = s
}

func BenchmarkPCG(b *testing.B) {
	p := rng{Hi: 1, Lo: 2}
	var s uint64
	for b.Loop() {
		for range 1024 {
			s += p.Uint64()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/draw")
	_ = s
}
