package estimate

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// featureGradients evaluates the gradient fields ∇U_k(x) of every feature
// of a plain model at a field x, one row per parameter: the model's energy
// is linear in θ, so ∇U_k is the energy gradient of the model with θ = e_k.
// It serves features whose gradients the spectral Gram accumulator does
// not know (the pair potential).
type featureGradients struct {
	units []*energy.Conditioned
	nn    int
}

func newFeatureGradients(m *energy.Model) *featureGradients {
	p := m.NumParams()
	f := &featureGradients{units: make([]*energy.Conditioned, p), nn: m.Dim()}
	for k := range f.units {
		u := *m
		u.Theta = make([]float64, p)
		u.Theta[k] = 1
		f.units[k] = u.NewConditioned()
		f.units[k].Unbounded = true
	}
	return f
}

// eval writes ∇U_k(x) into row k of a (P rows of nn values).
func (f *featureGradients) eval(a, x []float64) {
	for k, u := range f.units {
		u.EnergyGrad(x, a[k*f.nn:(k+1)*f.nn])
	}
}

// regressExplicit is RegressGradients for plain models with any features:
// it forms the P × n² matrix A of feature gradients of every sample and
// accumulates AAᵀ and A·T with BLAS. Its cost grows like P² n² per sample
// (and P model copies per worker): with P ≈ 300 (a 17×17 window, 30 hats,
// 12×12 pair nodes), about 10 ms per 16×16 sample and 30 ms per 32×32 one
// on one core, 50 MB per worker at 32×32.
func regressExplicit(ctx context.Context, m *energy.Model, s *Samples, target GradientTarget, ridge float64, workers int) (*RegressionResult, error) {
	if m.IsConditional() {
		return nil, fmt.Errorf("estimate: gradient regression of a conditional model with a pair potential is not supported")
	}
	p, nn := m.NumParams(), m.Dim()
	nc, bounds := parallel.Chunks(s.Count, (s.Count+scoreChunks-1)/scoreChunks)
	type partial struct{ h, r []float64 }
	parts := make([]partial, nc)
	fgs := make([]*featureGradients, workers)
	parallel.For(nc, workers, func(w, c int) {
		if fgs[w] == nil {
			fgs[w] = newFeatureGradients(m)
		}
		fg := fgs[w]
		h := blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: make([]float64, p*p)}
		r := blas64.Vector{N: p, Inc: 1, Data: make([]float64, p)}
		a := blas64.General{Rows: p, Cols: nn, Stride: nn, Data: make([]float64, p*nn)}
		t := blas64.Vector{N: nn, Inc: 1, Data: make([]float64, nn)}
		lo, hi := bounds(c)
		for i := lo; i < hi; i++ {
			if i%8 == 0 && ctx.Err() != nil {
				return
			}
			_, x, _ := s.At(i)
			fg.eval(a.Data, x)
			target(w, i, t.Data)
			blas64.Syrk(blas.NoTrans, 1, a, 1, h)
			blas64.Gemv(blas.NoTrans, 1, a, t, 1, r)
		}
		parts[c] = partial{h.Data, r.Data} // chunk c is this goroutine's alone
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	H, R := parts[0].h, parts[0].r
	for c := 1; c < nc; c++ {
		for i, v := range parts[c].h {
			H[i] += v
		}
		for i, v := range parts[c].r {
			R[i] += v
		}
	}
	theta, cond, condRaw, err := solveNormalized(H, R, p, ridge)
	if err != nil {
		return nil, err
	}
	copy(m.Theta, theta)
	return &RegressionResult{Theta: theta, Cond: cond, CondRaw: condRaw, Samples: s.Count}, nil
}
