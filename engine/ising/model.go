package ising

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// BetaC is the critical coupling of the infinite square lattice,
// β_c = ½ ln(1+√2) ≈ 0.4406868 (Kramers & Wannier, Phys. Rev. 60, 252, 1941;
// Onsager, Phys. Rev. 65, 117, 1944). It is dimensionless (J = 1).
const BetaC = 0.44068679350977147

// MaxSide is the largest supported lattice side (as in package phi4): the
// cluster samplers pack a site as row<<16 | column.
const MaxSide = 1 << 14

// Model is the nearest-neighbour Ising model on the periodic L×L lattice,
// H(s) = −Σ_x Σ_{μ∈{e₁,e₂}} s_x s_{x+μ} (2L² bonds), with weight exp(−βH).
// Beta is the dimensionless coupling β = J/k_BT.
type Model struct {
	L    int     // lattice side (even, 4 ≤ L ≤ MaxSide)
	Beta float64 // coupling β (finite, ≥ 0)
}

// Validate checks that L is even, 4 ≤ L ≤ MaxSide (the checkerboard update
// needs an even side) and that β is finite and ≥ 0.
func (m Model) Validate() error {
	if m.L < 4 || m.L%2 != 0 {
		return fmt.Errorf("ising: lattice side %d is not supported (want an even L ≥ 4)", m.L)
	}
	if m.L > MaxSide {
		return fmt.Errorf("ising: lattice side %d is too large (at most %d)", m.L, MaxSide)
	}
	if !(m.Beta >= 0) || math.IsInf(m.Beta, 0) {
		return fmt.Errorf("ising: coupling β=%g is not finite and ≥ 0", m.Beta)
	}
	return nil
}

// Energy returns H(s) = −Σ_x (s_x s_{x+e₁} + s_x s_{x+e₂}) of the
// configuration phi (row-major, length L²), dimensionless (without β).
// It is defined for any real field, not only ±1. It panics if len(phi) ≠ L².
func (m Model) Energy(phi []float64) float64 {
	L := m.L
	if L < 1 || len(phi) != L*L {
		panic(fmt.Sprintf("ising: field of %d values does not match the side %d", len(phi), L))
	}
	var e float64
	for r := 0; r < L; r++ {
		rd := r + 1
		if rd == L {
			rd = 0
		}
		row := phi[r*L : r*L+L]
		dn := phi[rd*L : rd*L+L]
		var s float64
		for c := 0; c < L-1; c++ {
			s += row[c] * (row[c+1] + dn[c])
		}
		s += row[L-1] * (row[0] + dn[L-1])
		e -= s
	}
	return e
}

// Algorithm names an Ising sampler.
type Algorithm string

const (
	AlgMetropolis   Algorithm = "metropolis" // checkerboard single-spin Metropolis
	AlgWolff        Algorithm = "wolff"      // Wolff single-cluster updates
	AlgSwendsenWang Algorithm = "sw"         // Swendsen–Wang multi-cluster updates
)

// Algorithms lists the sampler names accepted by NewSampler.
func Algorithms() []Algorithm {
	return []Algorithm{AlgMetropolis, AlgWolff, AlgSwendsenWang}
}

// NewSampler returns a sampler of m with the given algorithm and seed. It
// runs on one core; run independent chains for parallelism.
func NewSampler(alg Algorithm, m Model, seed uint64) (phi4.Chain, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	switch alg {
	case AlgMetropolis:
		return newMetropolis(m, seed), nil
	case AlgWolff:
		return newWolff(m, seed), nil
	case AlgSwendsenWang:
		return newSwendsenWang(m, seed), nil
	}
	return nil, fmt.Errorf("ising: unknown sampler %q (want one of %v)", string(alg), Algorithms())
}

// Ensemble describes m sampled by alg to the generic drivers of package
// phi4 (MakeChainDataset, MeasureChainTau). Chains start hot: independent
// spins ±1 with probability ½ each, drawn from the start seed.
func Ensemble(m Model, alg Algorithm) (phi4.Ensemble, error) {
	if _, err := NewSampler(alg, m, 0); err != nil {
		return phi4.Ensemble{}, err
	}
	return phi4.Ensemble{
		Name:   string(alg),
		L:      m.L,
		Energy: m.Energy,
		NewChain: func(seed uint64) (phi4.Chain, error) {
			return NewSampler(alg, m, seed)
		},
		Start: func(f lattice.Field, seed uint64) error { return HotStart(f, m, seed) },
	}, nil
}

// HotStart fills f with independent spins ±1 (probability ½ each) drawn from
// a stream derived from seed.
func HotStart(f lattice.Field, m Model, seed uint64) error {
	if err := checkShape(m, f, 0); err != nil {
		return err
	}
	r := newStream(seed, streamStart)
	var w uint64
	for i := range f.Data {
		if i%64 == 0 {
			w = r.Uint64()
		}
		f.Data[i] = float64(int64(w&1)*2 - 1)
		w >>= 1
	}
	return nil
}
