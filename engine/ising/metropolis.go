package ising

import (
	"context"
	"github.com/wcrglab/wcrg/engine/pcg"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// metropolis is the checkerboard single-spin-flip Metropolis sampler. A
// sweep visits the even sublattice ((row+column) even) row by row, then the
// odd one, so every site is proposed once. Flipping s_x changes the energy
// by ΔH = 2 s_x h_x, h_x the sum of the four neighbours, and is accepted
// with probability min(1, e^{−2β s_x h_x}). s_x h_x ∈ {−4, −2, 0, 2, 4}, so
// the probabilities are a table computed once; the test u < p uses a 32-bit
// uniform integer (half of a 64-bit PCG draw, so one draw serves two sites)
// compared with ⌈p·2³²⌉, i.e. p rounded up to a multiple of 2⁻³² (an error
// ≤ 2.3·10⁻¹⁰, as for the bond tests of the cluster samplers). The update
// is branch-free and allocates nothing.
//
// Sites of one sublattice do not interact, so the order within a half sweep
// is irrelevant for the distribution; each half sweep satisfies detailed
// balance and the sweep leaves exp(−βH) invariant.
//
// Thermalize has nothing to tune: it is Run with Phase Thermalizing.
type metropolis struct {
	model Model
	seed  uint64
	rng   rng
	// thr[k] = ⌈min(1, e^{−2β(2k−4)})·2³²⌉ for s·h = 2k − 4 (k = 0 … 4).
	thr [8]uint64

	sweeps             int
	proposed, accepted int64
}

func newMetropolis(m Model, seed uint64) *metropolis {
	mp := &metropolis{model: m, seed: seed, rng: newStream(seed, streamMetropolis)}
	for k := range 5 {
		sh := float64(2*k - 4)
		p := 1.0
		if sh > 0 {
			p = math.Exp(-2 * m.Beta * sh)
		}
		mp.thr[k] = uint64(math.Ceil(p * 0x1p32))
	}
	return mp
}

// Stats returns the seed, sweeps done and the acceptance of the last call.
func (mp *metropolis) Stats() phi4.Stats {
	st := phi4.Stats{Seed: mp.seed, Sweeps: mp.sweeps, Proposed: mp.proposed, Accepted: mp.accepted}
	if mp.proposed > 0 {
		st.Acceptance = float64(mp.accepted) / float64(mp.proposed)
	}
	return st
}

// Thermalize runs sweeps sweeps (there is nothing to adapt).
func (mp *metropolis) Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer) error {
	return mp.call(ctx, f, sweeps, observe, phi4.Thermalizing)
}

// Run runs sweeps sweeps.
func (mp *metropolis) Run(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer) error {
	return mp.call(ctx, f, sweeps, observe, phi4.Sampling)
}

func (mp *metropolis) call(ctx context.Context, f lattice.Field, sweeps int, observe phi4.Observer, phase phi4.Phase) error {
	if err := checkField(mp.model, f, sweeps); err != nil {
		return err
	}
	mp.proposed, mp.accepted = 0, 0
	return loop(ctx, f, sweeps, phase, observe,
		func(int) { mp.sweep(f.Data) },
		func(p *phi4.Progress) { p.Acceptance = mp.Stats().Acceptance })
}

// sweep performs one checkerboard sweep of phi.
func (mp *metropolis) sweep(phi []float64) {
	L := mp.model.L
	var acc int
	for parity := range 2 {
		for r := 0; r < L; r++ {
			ru, rd := r-1, r+1
			if ru < 0 {
				ru = L - 1
			}
			if rd == L {
				rd = 0
			}
			acc += metroRow(phi[r*L:r*L+L], phi[ru*L:ru*L+L], phi[rd*L:rd*L+L], (parity+r)&1, &mp.rng, &mp.thr)
		}
	}
	mp.sweeps++
	mp.proposed += int64(len(phi))
	mp.accepted += int64(acc)
}

// metroRow updates the sites c ≡ c0 (mod 2) of one row, in increasing c,
// and returns the number of accepted flips. Sites use the low and high
// halves of one 64-bit draw in turn (a row's last site of a pair-less
// draw leaves the high half unused).
func metroRow(row, up, dn []float64, c0 int, st *rng, thr *[8]uint64) int {
	n := len(row)
	up, dn = up[:n], dn[:n]
	hi, lo := st.Hi, st.Lo
	var x uint64
	acc := 0
	c := c0
	if c0 == 0 {
		hi, lo, x = pcg.Step(hi, lo)
		acc += metroSite(&row[0], row[n-1]+row[1]+up[0]+dn[0], x&0xffffffff, thr)
		c = 2
	}
	// Interior sites, two per draw.
	for ; c+2 < n-1; c += 4 {
		hi, lo, x = pcg.Step(hi, lo)
		s := row[c]
		k := int(s*(row[c-1]+row[c+1]+up[c]+dn[c]))>>1 + 2 // s·h/2 + 2 ∈ 0 … 4
		a := b2i(x&0xffffffff < thr[k&7])
		row[c] = s * float64(1-2*a)
		acc += a
		s = row[c+2]
		k = int(s*(row[c+1]+row[c+3]+up[c+2]+dn[c+2]))>>1 + 2
		a = b2i(x>>32 < thr[k&7])
		row[c+2] = s * float64(1-2*a)
		acc += a
	}
	if c < n-1 {
		hi, lo, x = pcg.Step(hi, lo)
		acc += metroSite(&row[c], row[c-1]+row[c+1]+up[c]+dn[c], x&0xffffffff, thr)
	}
	if c0 == 1 {
		hi, lo, x = pcg.Step(hi, lo)
		acc += metroSite(&row[n-1], row[n-2]+row[0]+up[n-1]+dn[n-1], x&0xffffffff, thr)
	}
	st.Hi, st.Lo = hi, lo
	return acc
}

// metroSite is the update of one site with neighbour sum h and a 32-bit
// uniform u.
func metroSite(p *float64, h float64, u uint64, thr *[8]uint64) int {
	s := *p
	k := int(s*h)>>1 + 2
	a := b2i(u < thr[k&7])
	*p = s * float64(1-2*a)
	return a
}
