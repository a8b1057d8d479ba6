package wavelet

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// MaxLevels returns log₂ L, the number of levels down to a 1×1 coarsest grid,
// or 0 if L is not a power of two.
func MaxLevels(L int) int {
	if L < 1 || L&(L-1) != 0 {
		return 0
	}
	return bits.TrailingZeros(uint(L))
}

// Decomposition is the renormalized multilevel decomposition of an L×L field
// (spec §1.4): the coarse fields φ_j (side L_j = L/2^j) and the detail
// coefficients φ̄_j (three channel-major planes of side L_j) for j = 1 … J.
// φ_J and φ̄_J, …, φ̄_1 determine the field; the intermediate φ_j are kept
// because estimation and display use them.
type Decomposition struct {
	L, Levels int
	coarse    [][]float64 // coarse[j] = φ_j, j = 1 … J
	detail    [][]float64 // detail[j] = φ̄_j, j = 1 … J
}

// NewDecomposition allocates a decomposition of an L×L field into J levels.
func NewDecomposition(L, J int) *Decomposition {
	if J < 1 || J > MaxLevels(L) {
		panic(fmt.Sprintf("wavelet: %d levels for side %d", J, L))
	}
	d := &Decomposition{L: L, Levels: J, coarse: make([][]float64, J+1), detail: make([][]float64, J+1)}
	for j := 1; j <= J; j++ {
		n := L >> j
		d.coarse[j] = make([]float64, n*n)
		d.detail[j] = make([]float64, 3*n*n)
	}
	return d
}

// Side returns L_j = L/2^j, the side of φ_j and of each channel of φ̄_j.
func (d *Decomposition) Side(j int) int { return d.L >> j }

// Coarse returns φ_j (1 ≤ j ≤ J), sharing storage.
func (d *Decomposition) Coarse(j int) []float64 { return d.coarse[j] }

// Detail returns φ̄_j (1 ≤ j ≤ J), channel-major [c=1 | c=2 | c=3], sharing storage.
func (d *Decomposition) Detail(j int) []float64 { return d.detail[j] }

// Channel returns channel c ∈ {1, 2, 3} of φ̄_j, sharing storage.
func (d *Decomposition) Channel(j, c int) []float64 {
	n := d.Side(j)
	return d.detail[j][(c-1)*n*n : c*n*n]
}

// Transform computes renormalized decompositions of L×L fields into J levels
// with fixed γ_j (spec §1.4):
//
//	φ_j = γ_j⁻¹ G φ_{j−1},  φ̄_j = γ_j⁻¹ Ḡ φ_{j−1},  φ_{j−1} = γ_j (Gᵀφ_j + Ḡᵀφ̄_j).
//
// A Transform holds scratch space and is not safe for concurrent use.
type Transform struct {
	Basis Basis
	L, J  int
	gamma []float64 // gamma[j-1] = γ_j
	ws    *Workspace
	tmp   [2][]float64
}

// NewTransform returns a transform with the given γ_j (gamma[j−1] = γ_j;
// nil means γ_j = 1 at every level).
func NewTransform(b Basis, L, J int, gamma []float64) (*Transform, error) {
	if MaxLevels(L) == 0 {
		return nil, fmt.Errorf("wavelet: field side %d is not a power of two", L)
	}
	if J < 1 || J > MaxLevels(L) {
		return nil, fmt.Errorf("wavelet: %d levels for a %d×%d field (want 1 … %d)", J, L, L, MaxLevels(L))
	}
	g := make([]float64, J)
	for j := range g {
		g[j] = 1
		if gamma != nil {
			if len(gamma) != J {
				return nil, fmt.Errorf("wavelet: %d values of γ for %d levels", len(gamma), J)
			}
			if !(gamma[j] > 0) || math.IsInf(gamma[j], 0) {
				return nil, fmt.Errorf("wavelet: γ_%d = %g (want finite and > 0)", j+1, gamma[j])
			}
			g[j] = gamma[j]
		}
	}
	return &Transform{
		Basis: b, L: L, J: J, gamma: g, ws: NewWorkspace(L),
		tmp: [2][]float64{make([]float64, L*L/4), make([]float64, L*L/4)},
	}, nil
}

// Gamma returns γ_j for 1 ≤ j ≤ J.
func (t *Transform) Gamma(j int) float64 { return t.gamma[j-1] }

// Gammas returns a copy of γ_1 … γ_J.
func (t *Transform) Gammas() []float64 { return append([]float64(nil), t.gamma...) }

// Workspace returns the transform's scratch space, for callers that apply
// single levels of t.Basis themselves.
func (t *Transform) Workspace() *Workspace { return t.ws }

// AnalyzeLevel computes φ_j = γ_j⁻¹ G φ_{j−1} and φ̄_j = γ_j⁻¹ Ḡ φ_{j−1}
// from fine = φ_{j−1} (side L_{j−1}).
func (t *Transform) AnalyzeLevel(j int, coarse, detail, fine []float64) {
	n := t.L >> (j - 1)
	t.Basis.Analyze(coarse, detail, fine, n, t.ws)
	s := 1 / t.gamma[j-1]
	scale(coarse, s)
	scale(detail, s)
}

// SynthesizeLevel sets fine = φ_{j−1} = γ_j (Gᵀ coarse + Ḡᵀ detail).
func (t *Transform) SynthesizeLevel(j int, fine, coarse, detail []float64) {
	n := t.L >> (j - 1)
	t.Basis.Synthesize(fine, coarse, detail, n, t.ws)
	scale(fine, t.gamma[j-1])
}

func scale(x []float64, s float64) {
	if s == 1 {
		return
	}
	for i := range x {
		x[i] *= s
	}
}

// Decompose fills dst with the decomposition of field (length L²).
// It allocates nothing.
func (t *Transform) Decompose(dst *Decomposition, field []float64) {
	t.check(dst)
	fine := field
	for j := 1; j <= t.J; j++ {
		t.AnalyzeLevel(j, dst.coarse[j], dst.detail[j], fine)
		fine = dst.coarse[j]
	}
}

// Reconstruct sets field (length L²) from φ_J and φ̄_J … φ̄_1 of src; the
// intermediate coarse fields of src are not read. It allocates nothing.
func (t *Transform) Reconstruct(field []float64, src *Decomposition) {
	t.check(src)
	coarse := src.coarse[t.J]
	for j := t.J; j >= 1; j-- {
		var fine []float64
		if j == 1 {
			fine = field
		} else {
			n := t.L >> (j - 1)
			fine = t.tmp[j%2][:n*n]
		}
		t.SynthesizeLevel(j, fine, coarse, src.detail[j])
		coarse = fine
	}
}

func (t *Transform) check(d *Decomposition) {
	if d.L != t.L || d.Levels != t.J {
		panic(fmt.Sprintf("wavelet: decomposition of side %d with %d levels given to a transform of side %d with %d levels", d.L, d.Levels, t.L, t.J))
	}
}

// EstimateGamma returns γ_1 … γ_J by the unit-variance rule (spec §1.4):
//
//	γ_j² = Var[(G φ_{j−1})(x)] / Var[φ_{j−1}(x)],
//
// with centred variances pooled over sites and fields, and φ_{j−1} itself
// renormalized by the γ of the finer levels. The coarse field then keeps the
// variance of its parent. workers ≤ 0 means runtime.NumCPU(); the result does
// not depend on it.
func EstimateGamma(b Basis, s lattice.Stack, J, workers int) ([]float64, error) {
	L := s.L
	if MaxLevels(L) == 0 || J < 1 || J > MaxLevels(L) {
		return nil, fmt.Errorf("wavelet: cannot take %d levels of %d×%d fields", J, L, L)
	}
	if s.N == 0 {
		return nil, fmt.Errorf("wavelet: no fields to estimate γ from")
	}
	workers = parallel.Workers(workers)
	gamma := make([]float64, J)
	cur := s
	for j := 1; j <= J; j++ {
		next := coarseStack(b, cur, workers)
		vf := lattice.Variance(cur.Data)
		vc := lattice.Variance(next.Data)
		switch {
		case math.IsInf(vf, 0) || math.IsInf(vc, 0):
			return nil, fmt.Errorf("wavelet: γ_%d is undefined: the variances at level %d overflow (values too large)", j, j-1)
		case !(vf > 0):
			return nil, fmt.Errorf("wavelet: γ_%d is undefined: the fields at level %d have variance %g (constant fields have no variance for the coarse field to keep)", j, j-1, vf)
		case !(vc > 0) && next.L == 1:
			return nil, fmt.Errorf("wavelet: γ_%d is undefined: the %d field(s) have one coarse value at level %d (1×1), the same for all; more fields are needed", j, s.N, j)
		case !(vc > 0):
			return nil, fmt.Errorf("wavelet: γ_%d is undefined: the coarse parts of the %d field(s) at level %d (%d×%d) are constant", j, s.N, j, next.L, next.L)
		}
		gamma[j-1] = math.Sqrt(vc / vf)
		scale(next.Data, 1/gamma[j-1])
		cur = next
	}
	return gamma, nil
}

// CoarseGrain returns the coarse fields G^levels φ of every field of s,
// (L/2^levels)×(L/2^levels) each, without renormalization (γ_j = 1): an
// orthogonal basis keeps the sum of squares of the field in the coarse plus
// detail planes, so a coarse value is 2^levels times a weighted block mean
// (exactly so for Haar). It is how WC-RG models a field whose finest scale it
// does not fit, such as ±1 Ising spins: the model is fitted to the coarse
// fields and generates them (spec §1; the fit standardizes and renormalizes
// again). workers ≤ 0 means runtime.NumCPU(); the result does not depend on it.
func CoarseGrain(b Basis, s lattice.Stack, levels, workers int) (lattice.Stack, error) {
	L := s.L
	if MaxLevels(L) == 0 || levels < 1 || levels >= MaxLevels(L) {
		return lattice.Stack{}, fmt.Errorf("wavelet: cannot coarse-grain %d×%d fields by %d levels (want 1 … %d)", L, L, levels, MaxLevels(L)-1)
	}
	workers = parallel.Workers(workers)
	cur := s
	for j := 1; j <= levels; j++ {
		next := coarseStack(b, cur, workers)
		cur = next
	}
	return cur, nil
}

// coarseStack returns G φ of every field of s, in parallel.
func coarseStack(b Basis, s lattice.Stack, workers int) lattice.Stack {
	n := s.L
	m := n / 2
	next := lattice.NewStack(s.N, m)
	wss := make([]*Workspace, workers)
	details := make([][]float64, workers)
	parallel.For(s.N, workers, func(w, i int) {
		if wss[w] == nil {
			wss[w] = NewWorkspace(n)
			details[w] = make([]float64, 3*m*m)
		}
		b.Analyze(next.Field(i).Data, details[w], s.Field(i).Data, n, wss[w])
	})
	return next
}
