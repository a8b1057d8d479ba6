// Package estimate fits the parameters θ of WC-RG energy models (package
// energy) to samples: closed-form score matching, maximum likelihood with
// persistent MALA chains, and the same for the direct single-scale model
// (spec §3).
package estimate

import (
	"fmt"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// Samples holds the training samples of one model, stored contiguously.
// For a conditional model sample i is the triple (φ_j, φ̄_j, φ_{j−1}):
// Coarse (N² values), Varying (3N²) and Fine ((2N)²). For a plain model it
// is one field: Varying (N²); Coarse is nil and Fine aliases Varying.
type Samples struct {
	Count   int
	Coarse  []float64
	Varying []float64
	Fine    []float64

	coarseLen, varLen, fineLen int
}

// NewSamples allocates storage for count samples of model m.
func NewSamples(m *energy.Model, count int) *Samples {
	if m.IsConditional() {
		return NewConditionalSamples(count, m.N)
	}
	return NewPlainSamples(count, m.N)
}

// NewConditionalSamples allocates count samples of a conditional model on
// an n×n coarse grid.
func NewConditionalSamples(count, n int) *Samples {
	s := &Samples{Count: count, coarseLen: n * n, varLen: 3 * n * n, fineLen: 4 * n * n}
	s.Varying = make([]float64, count*s.varLen)
	s.Coarse = make([]float64, count*s.coarseLen)
	s.Fine = make([]float64, count*s.fineLen)
	return s
}

// NewPlainSamples allocates count samples of a plain model of n×n fields.
func NewPlainSamples(count, n int) *Samples {
	s := &Samples{Count: count, varLen: n * n, fineLen: n * n}
	s.Varying = make([]float64, count*s.varLen)
	s.Fine = s.Varying
	return s
}

// LevelSamples decomposes the fields with tr and returns the samples of
// level j (1 ≤ j ≤ tr.J): (φ_j, φ̄_j, φ_{j−1}) for the conditional model
// Ē_j. j = tr.J + 1 returns the plain samples φ_J of the coarsest model.
func LevelSamples(tr *wavelet.Transform, fields lattice.Stack, j, workers int) *Samples {
	if fields.L != tr.L || j < 1 || j > tr.J+1 {
		panic(fmt.Sprintf("estimate: level %d of a transform with %d levels of side %d (fields of side %d)", j, tr.J, tr.L, fields.L))
	}
	var s *Samples
	if j <= tr.J {
		s = NewConditionalSamples(fields.N, tr.L>>j)
	} else {
		s = NewPlainSamples(fields.N, tr.L>>tr.J)
	}
	workers = parallel.Workers(workers)
	trs := make([]*wavelet.Transform, workers)
	decs := make([]*wavelet.Decomposition, workers)
	parallel.For(fields.N, workers, func(w, i int) {
		if trs[w] == nil {
			trs[w], _ = wavelet.NewTransform(tr.Basis, tr.L, tr.J, tr.Gammas())
			decs[w] = wavelet.NewDecomposition(tr.L, tr.J)
		}
		f := fields.Field(i).Data
		trs[w].Decompose(decs[w], f)
		a0, x, fine := s.At(i)
		if j > tr.J {
			copy(x, decs[w].Coarse(tr.J))
			return
		}
		copy(a0, decs[w].Coarse(j))
		copy(x, decs[w].Detail(j))
		if j == 1 {
			copy(fine, f)
		} else {
			copy(fine, decs[w].Coarse(j-1))
		}
	})
	return s
}

// At returns sample i: the conditioning field (nil for plain models), the
// varying field and the field the scalar potential acts on; all share the
// storage.
func (s *Samples) At(i int) (a0, x, fine []float64) {
	if i < 0 || i >= s.Count {
		panic(fmt.Sprintf("estimate: sample %d of %d", i, s.Count))
	}
	x = s.Varying[i*s.varLen : (i+1)*s.varLen]
	fine = s.Fine[i*s.fineLen : (i+1)*s.fineLen]
	if s.Coarse != nil {
		a0 = s.Coarse[i*s.coarseLen : (i+1)*s.coarseLen]
	}
	return a0, x, fine
}

// Subset returns the samples with the given indices, copied.
func (s *Samples) Subset(idx []int) *Samples {
	t := &Samples{Count: len(idx), coarseLen: s.coarseLen, varLen: s.varLen, fineLen: s.fineLen}
	t.Varying = make([]float64, len(idx)*s.varLen)
	if s.Coarse != nil {
		t.Coarse = make([]float64, len(idx)*s.coarseLen)
		t.Fine = make([]float64, len(idx)*s.fineLen)
	} else {
		t.Fine = t.Varying
	}
	for j, i := range idx {
		a0, x, fine := s.At(i)
		b0, y, gf := t.At(j)
		copy(y, x)
		if a0 != nil {
			copy(b0, a0)
			copy(gf, fine)
		}
	}
	return t
}

// Check verifies that the samples fit model m.
func (s *Samples) Check(m *energy.Model) error {
	if s.varLen != m.Dim() || s.fineLen != m.FineSide()*m.FineSide() || (s.Coarse != nil) != m.IsConditional() {
		return fmt.Errorf("estimate: samples of dimension %d do not fit a model of dimension %d", s.varLen, m.Dim())
	}
	if s.Count == 0 {
		return fmt.Errorf("estimate: no samples")
	}
	return nil
}
