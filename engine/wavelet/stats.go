package wavelet

import (
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// PlaneStats summarizes one plane of a decomposition, pooled over sites and
// fields: Channel 0 is the coarse field φ_j (Level 0 is the data φ_0 itself),
// channels 1–3 the detail coefficients φ̄_j^c. Std is the population standard
// deviation about the pooled mean; Kurtosis is m₄/m₂² (3 for a Gaussian).
type PlaneStats struct {
	Level, Channel, Side int
	Mean, Std, Kurtosis  float64
	Count                int
}

// planeSums accumulates Σx, Σx², Σx³, Σx⁴ about zero, per plane.
type planeSums struct {
	n              float64
	s1, s2, s3, s4 float64
}

func (p *planeSums) add(x []float64) {
	for _, v := range x {
		v2 := v * v
		p.s1 += v
		p.s2 += v2
		p.s3 += v2 * v
		p.s4 += v2 * v2
	}
	p.n += float64(len(x))
}

func (p *planeSums) merge(q planeSums) {
	p.n += q.n
	p.s1 += q.s1
	p.s2 += q.s2
	p.s3 += q.s3
	p.s4 += q.s4
}

func (p planeSums) stats(level, channel, side int) PlaneStats {
	m := p.s1 / p.n
	e2 := p.s2/p.n - m*m
	e4 := p.s4/p.n - 4*m*p.s3/p.n + 6*m*m*p.s2/p.n - 3*m*m*m*m
	return PlaneStats{
		Level: level, Channel: channel, Side: side,
		Mean: m, Std: math.Sqrt(math.Max(e2, 0)), Kurtosis: e4 / (e2 * e2), Count: int(p.n),
	}
}

// planeIndex orders planes: level 0; then for each j: coarse, c1, c2, c3.
func planeCount(J int) int { return 1 + 4*J }

func sumsOf(d *Decomposition, field []float64, acc []planeSums) {
	acc[0].add(field)
	for j := 1; j <= d.Levels; j++ {
		acc[4*j-3].add(d.Coarse(j))
		for c := 1; c <= 3; c++ {
			acc[4*j-3+c].add(d.Channel(j, c))
		}
	}
}

func finishStats(L, J int, acc []planeSums) []PlaneStats {
	out := []PlaneStats{acc[0].stats(0, 0, L)}
	for j := 1; j <= J; j++ {
		for c := 0; c <= 3; c++ {
			out = append(out, acc[4*j-3+c].stats(j, c, L>>j))
		}
	}
	return out
}

// Stats returns the statistics of every plane of one decomposition of field.
func (d *Decomposition) Stats(field []float64) []PlaneStats {
	acc := make([]planeSums, planeCount(d.Levels))
	sumsOf(d, field, acc)
	return finishStats(d.L, d.Levels, acc)
}

// StackStats decomposes every field of s with a copy of t's settings and
// returns the per-plane statistics pooled over all fields, in the order:
// level 0; then for j = 1 … J the coarse field φ_j and channels 1–3 of φ̄_j.
// workers ≤ 0 means runtime.NumCPU(); the result does not depend on it.
func StackStats(t *Transform, s lattice.Stack, workers int) []PlaneStats {
	const chunk = 16
	nc, bounds := parallel.Chunks(s.N, chunk)
	partial := make([][]planeSums, nc)
	workers = parallel.Workers(workers)
	trs := make([]*Transform, workers)
	decs := make([]*Decomposition, workers)
	parallel.For(nc, workers, func(w, c int) {
		if trs[w] == nil {
			trs[w], _ = NewTransform(t.Basis, t.L, t.J, t.gamma)
			decs[w] = NewDecomposition(t.L, t.J)
		}
		acc := make([]planeSums, planeCount(t.J))
		lo, hi := bounds(c)
		for i := lo; i < hi; i++ {
			f := s.Field(i).Data
			trs[w].Decompose(decs[w], f)
			sumsOf(decs[w], f, acc)
		}
		partial[c] = acc
	})
	total := make([]planeSums, planeCount(t.J))
	for _, acc := range partial {
		for k := range total {
			total[k].merge(acc[k])
		}
	}
	return finishStats(t.L, t.J, total)
}
