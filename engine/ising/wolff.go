package ising

import (
	"context"
	"github.com/wcrglab/wcrg/engine/pcg"
	"math"
	"math/bits"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// bondThreshold returns ⌈p·2³²⌉ for the Fortuin–Kasteleyn bond probability
// p = 1 − e^{−2β} between aligned neighbours: a bond is set iff a 32-bit
// uniform integer is below it, i.e. with probability p rounded up to a
// multiple of 2⁻³² (an error ≤ 2.3·10⁻¹⁰, far below any statistical
// resolution).
func bondThreshold(beta float64) uint64 {
	return uint64(math.Ceil(-math.Expm1(-2*beta) * 0x1p32))
}

// wolff is the single-cluster algorithm of U. Wolff (Phys. Rev. Lett. 62,
// 361, 1989). A cluster grows from a uniformly chosen site over bonds to
// aligned neighbours, each set with probability p = 1 − e^{−2β}, and is
// flipped. Spins are flipped as they join, so "aligned with the seed spin"
// also means "not yet in the cluster" and no marks are needed. Each visited
// site draws two 64-bit numbers, four 32-bit uniforms for its four bond
// tests (see bondThreshold); the growth is branch-free.
//
// One sweep is a number of cluster flips with a fixed mean n_c. The number
// must not depend on the current state for the chain to be exact, so n_c is
// chosen during Thermalize and frozen: in each thermalization sweep clusters
// are flipped until at least L² spins have been flipped, and at the end
// n_c = max(1, L²/⟨|C|⟩), ⟨|C|⟩ the mean size of the clusters of the second
// half of the thermalization. A sweep then flips ⌊n_c⌋ clusters, plus one
// more with probability n_c − ⌊n_c⌋ (drawn independently of the state, so
// the sweep is a mixture of exact kernels). One sweep thus flips L² spins
// on average, without the rounding of an integer n_c (which at β_c, where
// L²/⟨|C|⟩ ≈ 2–3, would change the unit by up to 25 % from one L to the
// next); this is the usual "Wolff sweep" unit in which τ is measured (e.g.
// Coddington & Baillie, Phys. Rev. Lett. 68, 962, 1992). Before any
// thermalization n_c = 1.
type wolff struct {
	model Model
	seed  uint64
	rng   rng
	thr   uint64
	nc    float64  // mean cluster flips per sweep (≥ 1)
	queue []uint32 // cluster sites as row<<16 | column, L² + 4 slots

	sweeps       int
	clusters     int64 // clusters flipped since the last call started
	clusterSites int64 // sites in them
}

func newWolff(m Model, seed uint64) *wolff {
	return &wolff{model: m, seed: seed, rng: newStream(seed, streamWolff), thr: bondThreshold(m.Beta),
		nc: 1, queue: make([]uint32, m.L*m.L+4)}
}

// Stats returns the seed, the sweeps done, n_c rounded (Clusters) and the
// mean size of the clusters flipped in the last call. Every cluster flip is
// accepted (Acceptance 1; Proposed = Accepted = clusters flipped).
func (w *wolff) Stats() phi4.Stats {
	st := phi4.Stats{Seed: w.seed, Sweeps: w.sweeps, Clusters: w.clustersPerSweep(), Proposed: w.clusters, Accepted: w.clusters}
	if w.clusters > 0 {
		st.Acceptance = 1
		st.MeanClusterSize = float64(w.clusterSites) / float64(w.clusters)
	}
	return st
}

// Thermalize runs sweeps sweeps, flipping clusters until L² spins are
// flipped in each, then freezes n_c (see wolff).
func (w *wolff) Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer) error {
	return w.call(ctx, f, sweeps, observe, true)
}

// Run runs sweeps sweeps of n_c cluster flips each (on average).
func (w *wolff) Run(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer) error {
	return w.call(ctx, f, sweeps, observe, false)
}

func (w *wolff) call(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer, tune bool) error {
	if err := checkField(w.model, f, sweeps); err != nil {
		return err
	}
	w.clusters, w.clusterSites = 0, 0
	phase := phi4.Sampling
	if tune {
		phase = phi4.Thermalizing
	}
	target := len(f.Data)
	var tuneSites, tuneClusters int64
	return loop(ctx, f, sweeps, phase, observe,
		func(i int) {
			sites, n := 0, 0
			if tune {
				for sites < target {
					sites += w.flip(f.Data)
					n++
				}
				if i >= sweeps/2 {
					tuneSites += int64(sites)
					tuneClusters += int64(n)
				}
				if i == sweeps-1 && tuneClusters > 0 {
					mean := float64(tuneSites) / float64(tuneClusters)
					w.nc = max(1, float64(target)/mean)
				}
			} else {
				sites, n = w.sweep(f.Data)
			}
			w.clusters += int64(n)
			w.clusterSites += int64(sites)
			w.sweeps++
		},
		func(p *phi4.Progress) {
			p.Acceptance, p.Clusters = 1, w.clustersPerSweep()
		})
}

// clustersPerSweep returns n_c rounded to an integer.
func (w *wolff) clustersPerSweep() int { return int(math.Round(w.nc)) }

// sweep flips ⌊n_c⌋ clusters, or one more with probability n_c − ⌊n_c⌋,
// and returns the number of flipped spins and of clusters.
func (w *wolff) sweep(phi []float64) (sites, clusters int) {
	n := int(w.nc)
	if frac := w.nc - float64(n); frac > 0 && float64(w.rng.Uint64()>>11)*0x1p-53 < frac {
		n++
	}
	for range n {
		sites += w.flip(phi)
	}
	return sites, n
}

// flip grows one Wolff cluster from a uniformly chosen site, flips it and
// returns its size.
func (w *wolff) flip(phi []float64) int {
	L := w.model.L
	n := L * L
	phi = phi[:n]
	queue := w.queue[:n+4]
	hi, lo := w.rng.Hi, w.rng.Lo
	var x, w1, w2 uint64
	hi, lo, x = pcg.Step(hi, lo)
	sh, _ := bits.Mul64(x, uint64(n)) // uniform in [0, n) up to a bias ≤ n·2⁻⁶⁴
	seed := int(sh)
	s0 := phi[seed]
	phi[seed] = -s0
	queue[0] = uint32(seed/L)<<16 | uint32(seed%L)
	size := 1
	thr := w.thr
	for q := 0; q < size; q++ {
		e := queue[q]
		r, c := int(e>>16), int(e&0xffff)
		ru, rd, cl, cr := lattice.Neighbours(r, c, L)
		hi, lo, w1 = pcg.Step(hi, lo)
		hi, lo, w2 = pcg.Step(hi, lo)
		// Each neighbour joins iff it is still aligned with the seed spin
		// (not yet flipped, hence not in the cluster) and its bond is set;
		// it is then flipped and queued. The queue slot at size is always
		// free (the queue has 4 spare), so it is written unconditionally.
		size = wolffTry(phi, queue, size, ru*L+c, uint32(ru)<<16|uint32(c), s0, w1&0xffffffff < thr)
		size = wolffTry(phi, queue, size, rd*L+c, uint32(rd)<<16|uint32(c), s0, w1>>32 < thr)
		size = wolffTry(phi, queue, size, r*L+cl, uint32(r)<<16|uint32(cl), s0, w2&0xffffffff < thr)
		size = wolffTry(phi, queue, size, r*L+cr, uint32(r)<<16|uint32(cr), s0, w2>>32 < thr)
	}
	w.rng = rng{Hi: hi, Lo: lo}
	return size
}

// wolffTry adds site y (queue code e) to the cluster if phi[y] == s0 and
// bond, and returns the new cluster size.
func wolffTry(phi []float64, queue []uint32, size, y int, e uint32, s0 float64, bond bool) int {
	v := phi[y]
	a := b2i(v == s0) & b2i(bond)
	phi[y] = v * float64(1-2*a)
	queue[size] = e
	return size + a
}
