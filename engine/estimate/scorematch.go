package estimate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// ScoreSettings configures closed-form score matching.
type ScoreSettings struct {
	// Ridge is added to the diagonal of the diagonally normalized Hessian
	// (whose diagonal is 1) before solving; it bounds the condition number
	// by about 1/Ridge and fixes near-degenerate directions such as the t²
	// component of the scalar potential against the δ = 0 quadratic terms
	// (spec §2.3). Default 1e-7.
	Ridge float64
	// Workers is the number of goroutines (0: all cores).
	Workers int
}

// DefaultRidge is ScoreSettings.Ridge when left at zero.
const DefaultRidge = 1e-7

// Validate reports settings that cannot be used.
func (s ScoreSettings) Validate() error {
	if s.Ridge < 0 || s.Ridge >= 1 || math.IsNaN(s.Ridge) {
		return fmt.Errorf("estimate: score-matching ridge %g (want 0 ≤ ridge < 1)", s.Ridge)
	}
	if s.Workers < 0 {
		return fmt.Errorf("estimate: %d workers", s.Workers)
	}
	return nil
}

// ScoreProgress reports score-matching assembly.
type ScoreProgress struct {
	Done, Total int // samples accumulated
	Elapsed     time.Duration
}

// ScoreResult is a score-matching fit.
type ScoreResult struct {
	Theta []float64
	// Loss is the empirical Hyvärinen loss E[½‖∇E‖² − ΔE] at Theta, per
	// sample (it is negative, and grows with the dimension).
	Loss float64
	// Cond and CondRaw are the condition numbers of the Hessian after and
	// before diagonal normalization (spec §3.2 reports both).
	Cond, CondRaw float64
	Samples       int
	Elapsed       time.Duration
	sys           system
}

// scoreChunks is the number of sample chunks whose accumulators are merged
// in order: fixed, so that results do not depend on the worker count.
const scoreChunks = 4

// ScoreAccumulator accumulates the score-matching system of a model over
// batches of samples, so that data sets larger than memory can be used:
// call Add for each batch, then Solve.
type ScoreAccumulator struct {
	m     *energy.Model
	total *gram
	start time.Time
}

// errPairScore refuses models with a pair potential, whose hats have no
// second derivative (score matching needs Δ_φ̄ E).
var errPairScore = errors.New("estimate: score matching does not take pair potentials (their hats have no second derivative); fit them by maximum likelihood")

// NewScoreAccumulator returns an empty accumulator for m.
func NewScoreAccumulator(m *energy.Model) (*ScoreAccumulator, error) {
	if !m.Scalar.SecondDerivative() {
		return nil, fmt.Errorf("estimate: score matching needs a scalar basis with a second derivative; %q has none (use %q)", m.Scalar.Kind, energy.BasisBSpline2)
	}
	if m.Pair.Len() > 0 {
		return nil, errPairScore
	}
	return &ScoreAccumulator{m: m, start: time.Now()}, nil
}

// Count returns the number of samples accumulated.
func (a *ScoreAccumulator) Count() int {
	if a.total == nil {
		return 0
	}
	return a.total.count
}

// Add accumulates a batch of samples on workers goroutines (0: all cores).
// The result does not depend on the worker count.
func (a *ScoreAccumulator) Add(ctx context.Context, s *Samples, workers int, progress func(ScoreProgress)) error {
	if err := s.Check(a.m); err != nil {
		return err
	}
	nc, bounds := parallel.Chunks(s.Count, (s.Count+scoreChunks-1)/scoreChunks)
	grams := make([]*gram, nc)
	var mu sync.Mutex
	done := 0
	parallel.For(nc, parallel.Workers(workers), func(_, c int) {
		g := newGram(a.m)
		lo, hi := bounds(c)
		for i := lo; i < hi; i++ {
			if i%8 == 0 && ctx.Err() != nil {
				return
			}
			g.add(s.At(i))
			if progress != nil && (i-lo)%16 == 15 {
				mu.Lock()
				done += 16
				p := ScoreProgress{Done: min(done, s.Count), Total: s.Count, Elapsed: time.Since(a.start)}
				mu.Unlock()
				progress(p)
			}
		}
		grams[c] = g
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, g := range grams {
		if a.total == nil {
			a.total = g
		} else {
			a.total.merge(g)
		}
	}
	return nil
}

// Solve computes θ from the samples accumulated so far, sets the model's θ
// and returns the fit.
func (a *ScoreAccumulator) Solve(set ScoreSettings) (*ScoreResult, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	if a.Count() == 0 {
		return nil, fmt.Errorf("estimate: no samples")
	}
	sys := a.total.finish()
	ridge := set.Ridge
	if ridge == 0 {
		ridge = DefaultRidge
	}
	theta, cond, condRaw, err := solveNormalized(sys.H, sys.B, sys.M, ridge)
	if err != nil {
		return nil, err
	}
	copy(a.m.Theta, theta)
	return &ScoreResult{
		Theta: theta, Loss: quadLoss(sys, theta), Cond: cond, CondRaw: condRaw,
		Samples: sys.Count, Elapsed: time.Since(a.start), sys: sys,
	}, nil
}

// ScoreMatch fits θ of m to the samples by closed-form score matching
// (spec §3.2): θ = Ĥ⁻¹ĝ with Ĥ_kl = E⟨∇U_k, ∇U_l⟩ and ĝ_k = E[ΔU_k],
// solved after diagonal normalization with a small ridge, by Cholesky. It
// sets m.Theta and returns the fit. The scalar basis must have a second
// derivative (hats do not: use quadratic B-splines).
func ScoreMatch(ctx context.Context, m *energy.Model, s *Samples, set ScoreSettings, progress func(ScoreProgress)) (*ScoreResult, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	acc, err := NewScoreAccumulator(m)
	if err != nil {
		return nil, err
	}
	if err := acc.Add(ctx, s, set.Workers, progress); err != nil {
		return nil, err
	}
	return acc.Solve(set)
}

// ScoreLoss returns the empirical Hyvärinen loss E[½‖∇E‖² − ΔE] of m's
// current θ on samples (for held-out evaluation).
func ScoreLoss(ctx context.Context, m *energy.Model, s *Samples, workers int) (float64, error) {
	if !m.Scalar.SecondDerivative() {
		return 0, fmt.Errorf("estimate: the score-matching loss needs a scalar basis with a second derivative")
	}
	if m.Pair.Len() > 0 {
		return 0, errPairScore
	}
	if err := s.Check(m); err != nil {
		return 0, err
	}
	acc := &ScoreAccumulator{m: m, start: time.Now()}
	if err := acc.Add(ctx, s, workers, nil); err != nil {
		return 0, err
	}
	return quadLoss(acc.total.finish(), m.Theta), nil
}

func quadLoss(sys system, theta []float64) float64 {
	m := sys.M
	var l float64
	for i := 0; i < m; i++ {
		var hi float64
		for j := 0; j < m; j++ {
			hi += sys.H[i*m+j] * theta[j]
		}
		l += 0.5*theta[i]*hi - theta[i]*sys.B[i]
	}
	return l
}

// solveNormalized solves H θ = b with D = diag H as D^{−½}(H D^{−½} + ridge·I)
// θ' = D^{−½} b, θ = D^{−½} θ' (spec §3.2). Parameters with D = 0 (a basis
// function the data never reach) get θ = 0. It also returns the condition
// numbers of the normalized and raw H.
func solveNormalized(H, b []float64, m int, ridge float64) (theta []float64, cond, condRaw float64, err error) {
	var active []int
	for i := 0; i < m; i++ {
		if H[i*m+i] > 0 {
			active = append(active, i)
		}
	}
	k := len(active)
	theta = make([]float64, m)
	if k == 0 {
		return theta, 1, 1, nil
	}
	dn := make([]float64, k)
	for a, i := range active {
		dn[a] = 1 / math.Sqrt(H[i*m+i])
	}
	norm := mat.NewSymDense(k, nil)
	raw := mat.NewSymDense(k, nil)
	for a, i := range active {
		for c := a; c < k; c++ {
			j := active[c]
			raw.SetSym(a, c, H[i*m+j])
			norm.SetSym(a, c, H[i*m+j]*dn[a]*dn[c])
		}
	}
	cond, condRaw = symCond(norm), symCond(raw)
	for a := 0; a < k; a++ {
		norm.SetSym(a, a, norm.At(a, a)+ridge)
	}
	var ch mat.Cholesky
	if ok := ch.Factorize(norm); !ok {
		return nil, 0, 0, fmt.Errorf("estimate: score-matching Hessian is not positive definite (condition number %.3g after normalization); add data or a larger ridge", cond)
	}
	rhs := mat.NewVecDense(k, nil)
	for a, i := range active {
		rhs.SetVec(a, b[i]*dn[a])
	}
	var sol mat.VecDense
	if err := ch.SolveVecTo(&sol, rhs); err != nil {
		return nil, 0, 0, fmt.Errorf("estimate: solving the score-matching system: %v", err)
	}
	for a, i := range active {
		theta[i] = sol.AtVec(a) * dn[a]
	}
	return theta, cond, condRaw, nil
}

// symCond returns λ_max/λ_min of a symmetric matrix (+Inf if λ_min ≤ 0).
func symCond(a *mat.SymDense) float64 {
	var es mat.EigenSym
	if !es.Factorize(a, false) {
		return math.NaN()
	}
	v := es.Values(nil)
	lo, hi := v[0], v[len(v)-1]
	if lo <= 0 {
		return math.Inf(1)
	}
	return hi / lo
}
