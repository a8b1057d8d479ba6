package wcrg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// BootstrapSettings controls BootstrapHamiltonian.
type BootstrapSettings struct {
	Replicates int    // B, at least 2
	Seed       uint64 // of the resampling and of the replicates' fits
	// Fields is the number of fields each replicate is fitted on (0: all
	// of them); it should be the number the model was fitted on
	// (Provenance.Count), so that the replicates have its noise.
	Fields int
	// Block, if above 1, resamples blocks of Block consecutive fields
	// instead of single fields: the patches cut from one map are
	// correlated and must be drawn together (a block bootstrap). Fields is
	// then rounded down to whole blocks, and so are the fields drawn from
	// (a last partial block is left out).
	Block int
}

// Validate reports settings that BootstrapHamiltonian refuses for a stack
// of n fields: fewer than two replicates, more fields than there are, or
// fewer than two blocks.
func (s BootstrapSettings) Validate(n int) error {
	block := max(s.Block, 1)
	fields := s.Fields
	if fields == 0 {
		fields = n
	}
	switch {
	case s.Replicates < 2:
		return fmt.Errorf("wcrg: bootstrap with %d replicates (want at least 2)", s.Replicates)
	case fields < 0 || fields > n:
		return fmt.Errorf("wcrg: bootstrap replicates of %d fields from %d", fields, n)
	case fields/block < 2 || n/block < 2:
		return fmt.Errorf("wcrg: bootstrap of %d fields in blocks of %d: fewer than 2 blocks", fields, block)
	}
	return nil
}

// BootstrapHamiltonian estimates the statistical error of the H₀
// reconstructed from a model and its training fields: for each of B
// replicates it draws fields (or blocks of them) with replacement, refits
// the model with its own Settings (a different seed per replicate), fits
// the free energies with free, and assembles H₀. The spread of a figure
// over the returned Hamiltonians is its bootstrap standard error
// (BootstrapError, PotentialSpread); it covers every fitted stage: the
// conditionals, the coarsest density and the free energies. Each replicate
// costs a full fit plus free energies.
//
// progress, if not nil, is called after each replicate with the number
// done.
func BootstrapHamiltonian(ctx context.Context, m *Model, fields lattice.Stack, free FreeSettings, set BootstrapSettings, progress func(done int)) ([]*Hamiltonian, error) {
	if err := set.Validate(fields.N); err != nil {
		return nil, err
	}
	if fields.L != m.L {
		return nil, fmt.Errorf("wcrg: fields of side %d for a model of side %d", fields.L, m.L)
	}
	block := max(set.Block, 1)
	n := set.Fields
	if n == 0 {
		n = fields.N
	}
	blocks := n / block
	rng := rand.New(rand.NewPCG(set.Seed, 0xb007))
	size := block * fields.L * fields.L // values per block
	re := lattice.StackOf(blocks*block, fields.L, make([]float64, blocks*size))
	out := make([]*Hamiltonian, 0, set.Replicates)
	for b := 0; b < set.Replicates; b++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := 0; i < blocks; i++ {
			k := rng.IntN(fields.N / block)
			copy(re.Data[i*size:(i+1)*size], fields.Data[k*size:(k+1)*size])
		}
		fs := m.Settings
		fs.Seed = set.Seed + uint64(b+1)*0x9e3779b9
		mb, err := Fit(ctx, re, fs, m.Provenance, nil)
		if err != nil {
			return nil, fmt.Errorf("wcrg: bootstrap replicate %d: %w", b+1, err)
		}
		fr := free
		fr.Seed = fs.Seed
		fe, err := FitFreeEnergies(ctx, mb, re, fr, nil)
		if err != nil {
			return nil, fmt.Errorf("wcrg: bootstrap replicate %d: %w", b+1, err)
		}
		h, err := BuildHamiltonian(mb, fe, re)
		if err != nil {
			return nil, fmt.Errorf("wcrg: bootstrap replicate %d: %w", b+1, err)
		}
		out = append(out, h)
		if progress != nil {
			progress(b + 1)
		}
	}
	return out, nil
}

// Deviation returns, in standardized units, V_j(t) minus the whole
// quadratic fitted to it for j ≥ 1 (the curve whose largest magnitude over
// [Lo, Hi] is MaxDev), and V_0(t) − V_0(0) for j = 0; also beyond [Lo, Hi].
func (h *Hamiltonian) Deviation(j int, t float64) float64 {
	if j == 0 {
		return h.terms[0](t) - h.terms[0](0)
	}
	mv := h.Potentials[j].Moved
	return h.terms[j](t) - (mv[1]*t + mv[2])
}

// PotentialSpread returns, on the grid of h's V_j, the standard deviation
// over the replicates (BootstrapHamiltonian) of their Deviation(j, ·),
// each replicate in its own standardized units (which differ from h's by
// the resampling noise of the standardization and of γ_j). A replicate
// whose potential is infinite at a point (beyond the support of its
// coarsest density) is left out there; NaN where fewer than two remain.
func PotentialSpread(h *Hamiltonian, reps []*Hamiltonian, j int) []float64 {
	grid := h.Potentials[j].Grid
	sd := make([]float64, len(grid))
	for k, t := range grid {
		sd[k] = BootstrapError(reps, func(r *Hamiltonian) float64 { return r.Deviation(j, t) })
	}
	return sd
}

// BootstrapError returns the bootstrap standard error of a figure of H₀,
// the standard deviation of f over the replicates with 1/(B−1), leaving
// out non-finite values; NaN with fewer than two.
func BootstrapError(reps []*Hamiltonian, f func(*Hamiltonian) float64) float64 {
	v := make([]float64, 0, len(reps))
	for _, r := range reps {
		if x := f(r); !math.IsInf(x, 0) && !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) < 2 {
		return math.NaN()
	}
	return lattice.Std(v) * math.Sqrt(float64(len(v))/float64(len(v)-1))
}

// PotentialNoise summarizes PotentialSpread for V_j (j ≥ 1) over its grid:
// noise is the RMS of the pointwise standard error, and signalToNoise the
// RMS of h's Deviation over it (about 1 or less when the deviation of V_j
// from a quadratic is estimation noise). Both NaN without a finite spread.
func PotentialNoise(h *Hamiltonian, reps []*Hamiltonian, j int) (noise, signalToNoise float64) {
	var n2, d2 float64
	cnt := 0
	for k, sd := range PotentialSpread(h, reps, j) {
		if math.IsNaN(sd) {
			continue
		}
		d := h.Deviation(j, h.Potentials[j].Grid[k])
		n2, d2, cnt = n2+sd*sd, d2+d*d, cnt+1
	}
	if cnt == 0 {
		return math.NaN(), math.NaN()
	}
	return math.Sqrt(n2 / float64(cnt)), math.Sqrt(d2 / n2)
}
