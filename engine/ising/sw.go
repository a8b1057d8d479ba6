package ising

import (
	"context"
	"github.com/wcrglab/wcrg/engine/pcg"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// swendsenWang is the multi-cluster algorithm of R. H. Swendsen and J.-S.
// Wang (Phys. Rev. Lett. 58, 86, 1987). One sweep: every one of the 2L²
// bonds between aligned neighbours is set with probability p = 1 − e^{−2β}
// (Fortuin–Kasteleyn percolation; 32-bit uniforms, see bondThreshold), the
// clusters are found with union–find, and every cluster is flipped with
// probability ½.
//
// Union–find links the root with the larger index under the one with the
// smaller index and halves paths in find, so a cluster's root is its
// smallest site. One pass in site order then meets every root before the
// other sites of its cluster: it draws the root's flip bit (one bit of a
// 64-bit PCG draw per cluster) and flips each site with its root's bit.
// The parent and flip buffers are allocated once; a sweep allocates nothing.
type swendsenWang struct {
	model  Model
	seed   uint64
	rng    rng
	thr    uint64
	parent []int32
	flip   []uint8

	sweeps   int
	clusters int64 // clusters formed since the last call started
	calls    int64 // sweeps since the last call started
	last     int   // clusters of the last sweep
}

func newSwendsenWang(m Model, seed uint64) *swendsenWang {
	n := m.L * m.L
	return &swendsenWang{model: m, seed: seed, rng: newStream(seed, streamSW), thr: bondThreshold(m.Beta),
		parent: make([]int32, n), flip: make([]uint8, n)}
}

// Stats returns the seed, the sweeps done, the mean number of clusters per
// sweep of the last call (Clusters, rounded) and the mean cluster size
// L²/clusters. Every cluster update is accepted (Acceptance 1; Proposed =
// Accepted = clusters formed).
func (s *swendsenWang) Stats() phi4.Stats {
	st := phi4.Stats{Seed: s.seed, Sweeps: s.sweeps, Proposed: s.clusters, Accepted: s.clusters}
	if s.clusters > 0 {
		st.Acceptance = 1
		st.Clusters = int(math.Round(float64(s.clusters) / float64(s.calls)))
		st.MeanClusterSize = float64(s.calls) * float64(len(s.parent)) / float64(s.clusters)
	}
	return st
}

// Thermalize runs sweeps sweeps (there is nothing to adapt).
func (s *swendsenWang) Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer) error {
	return s.call(ctx, f, sweeps, observe, phi4.Thermalizing)
}

// Run runs sweeps sweeps.
func (s *swendsenWang) Run(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer) error {
	return s.call(ctx, f, sweeps, observe, phi4.Sampling)
}

func (s *swendsenWang) call(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer, phase phi4.Phase) error {
	if err := checkField(s.model, f, sweeps); err != nil {
		return err
	}
	s.clusters, s.calls = 0, 0
	return loop(ctx, f, sweeps, phase, observe,
		func(int) {
			s.last = s.sweep(f.Data)
			s.clusters += int64(s.last)
			s.calls++
		},
		func(p *phi4.Progress) { p.Acceptance, p.Clusters = 1, s.last })
}

// sweep performs one Swendsen–Wang update of phi and returns the number of
// clusters.
func (s *swendsenWang) sweep(phi []float64) int {
	L := s.model.L
	n := L * L
	phi = phi[:n]
	parent := s.parent[:n]
	flip := s.flip[:n]
	for i := range parent {
		parent[i] = int32(i)
	}
	hi, lo := s.rng.Hi, s.rng.Lo
	var x uint64
	thr := s.thr
	for r := 0; r < L; r++ {
		rd := r + 1
		if rd == L {
			rd = 0
		}
		row := phi[r*L : r*L+L]
		dn := phi[rd*L : rd*L+L]
		for c := 0; c < L; c++ {
			cr := c + 1
			if cr == L {
				cr = 0
			}
			hi, lo, x = pcg.Step(hi, lo)
			v := row[c]
			if v == row[cr] && x&0xffffffff < thr {
				union(parent, int32(r*L+c), int32(r*L+cr))
			}
			if v == dn[c] && x>>32 < thr {
				union(parent, int32(r*L+c), int32(rd*L+c))
			}
		}
	}
	var word uint64
	left, clusters := 0, 0
	for x := range phi {
		root := find(parent, int32(x))
		if int(root) == x {
			if left == 0 {
				hi, lo, word = pcg.Step(hi, lo)
				left = 64
			}
			flip[x] = uint8(word & 1)
			word >>= 1
			left--
			clusters++
		}
		phi[x] *= float64(1 - 2*int(flip[root]))
	}
	s.rng = rng{Hi: hi, Lo: lo}
	s.sweeps++
	return clusters
}

// find returns the root of x, halving the path.
func find(parent []int32, x int32) int32 {
	for {
		p := parent[x]
		if p == x {
			return x
		}
		g := parent[p]
		parent[x] = g
		x = g
	}
}

// union joins the trees of a and b under the smaller root.
func union(parent []int32, a, b int32) {
	ra, rb := find(parent, a), find(parent, b)
	if ra < rb {
		parent[rb] = ra
	} else if rb < ra {
		parent[ra] = rb
	}
}
