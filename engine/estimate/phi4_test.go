package estimate

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// phi4Data draws n decorrelated φ⁴ fields with the cluster sampler.
func phi4Data(t *testing.T, L int, beta float64, n int, seed uint64) lattice.Stack {
	t.Helper()
	st, _, err := phi4.MakeStack(context.Background(), phi4.Phi4{L: L, Beta: beta},
		phi4.DatasetSettings{Algorithm: phi4.AlgCluster, Samples: n, Seed: seed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// phi4Conditional is the exact finest conditional of φ⁴ (spec §5.5): with
// γ_1 = 1 and an orthonormal wavelet, Ē_1(φ̄ | φ_1) = E_0(R(φ_1, φ̄)) up to a
// function of φ_1, and its gradient is the detail part of the analysis of
// ∇E_0.
type phi4Conditional struct {
	m      phi4.Phi4
	tr     *wavelet.Transform
	d      *wavelet.Decomposition
	phi, g []float64
}

func newPhi4Conditional(L int, beta float64, tr *wavelet.Transform) *phi4Conditional {
	return &phi4Conditional{m: phi4.Phi4{L: L, Beta: beta}, tr: tr, d: wavelet.NewDecomposition(L, 1),
		phi: make([]float64, L*L), g: make([]float64, L*L)}
}

func (e *phi4Conditional) setCondition(a0 []float64) { copy(e.d.Coarse(1), a0) }

func (e *phi4Conditional) EnergyGrad(x, grad []float64) (float64, bool) {
	copy(e.d.Detail(1), x)
	e.tr.Reconstruct(e.phi, e.d)
	en, ok := e.m.EnergyGrad(e.phi, e.g)
	if grad != nil {
		n := e.d.Side(1)
		co := make([]float64, n*n)
		e.tr.AnalyzeLevel(1, co, grad, e.g)
	}
	return en, ok
}

// recovery is how well a fitted finest conditional matches the exact one.
type recovery struct {
	beta, quartic, energyErr float64
}

// evaluate measures a fitted finest conditional m against the exact φ⁴
// conditional: β from the quadratic couplings fitted as b·P(−Δ) + c·P(I)
// (c is the t² gauge of spec §2.3), the t⁴ coefficient of the scalar
// potential fitted by a quartic over [qlo, qhi], and the relative RMS
// error of energy differences between held-out pairs (pairs nil: skipped).
func evaluate(t *testing.T, m *energy.Model, L int, qlo, qhi float64, pairs *heldOutPairs) recovery {
	t.Helper()
	var r recovery
	qb, _ := m.ProjectQuadratic(energy.LaplacianOperator(L, 1, 0))
	qi, _ := m.ProjectQuadratic(energy.LaplacianOperator(L, 0, 1))
	nq := m.NumQuad()
	A := mat.NewDense(nq, 2, nil)
	for k := 0; k < nq; k++ {
		A.Set(k, 0, qb[k])
		A.Set(k, 1, qi[k])
	}
	var coef mat.VecDense
	if err := coef.SolveVec(A, mat.NewVecDense(nq, m.Theta[:nq])); err != nil {
		t.Fatal(err)
	}
	r.beta = coef.AtVec(0)
	pot := m.ScalarPotential()
	const np = 200
	P := mat.NewDense(np, 5, nil)
	v := mat.NewVecDense(np, nil)
	for i := 0; i < np; i++ {
		x := qlo + (qhi-qlo)*float64(i)/(np-1)
		for k := 0; k < 5; k++ {
			P.Set(i, k, math.Pow(x, float64(k)))
		}
		v.SetVec(i, pot.Eval(x, 0))
	}
	var pc mat.VecDense
	if err := pc.SolveVec(P, v); err != nil {
		t.Fatal(err)
	}
	r.quartic = pc.AtVec(4)
	if pairs == nil {
		return r
	}
	fit := m.NewConditioned()
	var num, den float64
	for i := range pairs.a0 {
		fit.SetCondition(pairs.a0[i])
		fA, ok1 := fit.Energy(pairs.xA[i])
		fB, ok2 := fit.Energy(pairs.xB[i])
		if !ok1 || !ok2 {
			t.Errorf("held-out pair %d outside the fitted energy's support", i)
			continue
		}
		d := (fA - fB) - pairs.dE[i]
		num += d * d
		den += pairs.dE[i] * pairs.dE[i]
	}
	if !(den > 0) {
		t.Fatal("held-out pairs have no energy differences")
	}
	r.energyErr = math.Sqrt(num / den)
	return r
}

// heldOutPairs are pairs (φ̄_A, φ̄_B) given the same φ_1 with their exact
// conditional energy difference.
type heldOutPairs struct {
	a0, xA, xB [][]float64
	dE         []float64
}

// makePairs takes each held-out field's φ̄_1 as φ̄_A and draws φ̄_B from the
// exact conditional by 400 MALA steps from it (the first 100 adapting δ
// towards 57 % acceptance, spec §4.1).
func makePairs(t *testing.T, test lattice.Stack, beta float64, tr *wavelet.Transform) *heldOutPairs {
	t.Helper()
	exact := newPhi4Conditional(test.L, beta, tr)
	hs := LevelSamples(tr, test, 1, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	p := &heldOutPairs{}
	for i := 0; i < hs.Count; i++ {
		a0, x, _ := hs.At(i)
		exact.setCondition(a0)
		ch, err := mcmc.NewChain(exact, x)
		if err != nil {
			t.Fatal(err)
		}
		delta := 0.01
		for s := 0; s < 400; s++ {
			acc := ch.Step(exact, delta, rng)
			if s < 100 {
				if acc {
					delta *= 1.05
				} else {
					delta *= 0.93
				}
			}
		}
		eA, _ := exact.EnergyGrad(x, nil)
		eB, _ := exact.EnergyGrad(ch.X, nil)
		p.a0 = append(p.a0, append([]float64(nil), a0...))
		p.xA = append(p.xA, append([]float64(nil), x...))
		p.xB = append(p.xB, append([]float64(nil), ch.X...))
		p.dE = append(p.dE, eA-eB)
	}
	return p
}

// TestPhi4FinestConditionalRecovery fits the finest conditional Ē_1 on
// 4000 Monte Carlo φ⁴ fields (L = 32, γ = 1, db4, window 4, 30 quadratic
// B-splines) by score matching and then by maximum likelihood started from
// it, and compares both with the exact conditional (spec §5.5):
//
//   - energy differences between two φ̄_1 given the same φ_1 — a held-out
//     field's and one drawn from the exact conditional by MALA — agree with
//     the exact differences to a relative RMS error ≤ 5 % (issue 4);
//   - the quadratic couplings give β within 3 %;
//   - the scalar potential's t⁴ coefficient (a quartic fitted on the central
//     98 % of the data) is 1 within 3 %;
//   - SM and ML agree within their statistical errors: |β_ML − β_SM| and
//     |quartic_ML − quartic_SM| are at most 3 σ√2, with σ the standard
//     error of the SM value from fits on the 4 quarters of the data
//     (σ_quarter/2).
//
// The energy-difference error is estimation noise: measured 5–6 % with
// 1500 fields and 3 % with 4000, falling as 1/√N.
func TestPhi4FinestConditionalRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test")
	}
	const L, n = 32, 4000
	for _, beta := range []float64{0.50, 0.68} {
		t.Run(map[float64]string{0.5: "beta0.50", 0.68: "beta0.68"}[beta], func(t *testing.T) {
			train := phi4Data(t, L, beta, n, 11)
			test := phi4Data(t, L, beta, 100, 12)
			b, _ := wavelet.New("db4")
			tr, _ := wavelet.NewTransform(b, L, 1, []float64{1})
			sorted := append([]float64(nil), train.Data...)
			sort.Float64s(sorted)
			lo, hi := sorted[0], sorted[len(sorted)-1]
			qlo, qhi := lattice.Quantile(sorted, 0.01), lattice.Quantile(sorted, 0.99)
			sb := energy.ScalarBasis{Kind: energy.BasisBSpline2, Nodes: 30, Lo: lo - 0.3, Hi: hi + 0.3}
			newModel := func() *energy.Model {
				m, err := energy.NewConditional(L/2, 4, sb, 1, b)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			samples := LevelSamples(tr, train, 1, 0)
			pairs := makePairs(t, test, beta, tr)

			m := newModel()
			res, err := ScoreMatch(context.Background(), m, samples, ScoreSettings{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			copy(m.Theta, res.Theta)
			sm := evaluate(t, m, L, qlo, qhi, pairs)

			// Statistical errors of the SM values from the data's quarters.
			var bq, qq []float64
			for k := 0; k < 4; k++ {
				idx := make([]int, n/4)
				for i := range idx {
					idx[i] = k*n/4 + i
				}
				mq := newModel()
				rq, err := ScoreMatch(context.Background(), mq, samples.Subset(idx), ScoreSettings{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				copy(mq.Theta, rq.Theta)
				e := evaluate(t, mq, L, qlo, qhi, nil)
				bq, qq = append(bq, e.beta), append(qq, e.quartic)
			}
			sigB := math.Sqrt(lattice.Variance(bq)*4/3) / 2
			sigQ := math.Sqrt(lattice.Variance(qq)*4/3) / 2

			mlRes, err := MaximumLikelihood(context.Background(), m, samples, MLSettings{Seed: 9}, nil)
			if err != nil {
				t.Fatal(err)
			}
			copy(m.Theta, mlRes.Theta)
			ml := evaluate(t, m, L, qlo, qhi, pairs)

			t.Logf("β = %.2f, %d fields: SM β %.4f ± %.4f, quartic %.4f ± %.4f, energy-difference error %.2f%%", beta, n, sm.beta, sigB, sm.quartic, sigQ, 100*sm.energyErr)
			t.Logf("β = %.2f: ML β %.4f, quartic %.4f, energy-difference error %.2f%% (%d iterations, converged %v, %s)", beta, ml.beta, ml.quartic, 100*ml.energyErr, mlRes.Iterations, mlRes.Converged, mlRes.Elapsed.Round(time.Second))
			for _, c := range []struct {
				name string
				r    recovery
			}{{"score matching", sm}, {"maximum likelihood", ml}} {
				if math.Abs(c.r.beta/beta-1) > 0.03 {
					t.Errorf("%s: fitted β = %.4f, want %.2f within 3%%", c.name, c.r.beta, beta)
				}
				if math.Abs(c.r.quartic-1) > 0.03 {
					t.Errorf("%s: fitted quartic coefficient %.4f, want 1 within 3%%", c.name, c.r.quartic)
				}
				if !(c.r.energyErr <= 0.05) {
					t.Errorf("%s: energy differences: relative RMS error %.3f (want ≤ 0.05)", c.name, c.r.energyErr)
				}
			}
			if d := math.Abs(ml.beta - sm.beta); d > 3*math.Sqrt2*sigB {
				t.Errorf("β: ML %.4f and SM %.4f differ by more than 3σ√2 = %.4f", ml.beta, sm.beta, 3*math.Sqrt2*sigB)
			}
			if d := math.Abs(ml.quartic - sm.quartic); d > 3*math.Sqrt2*sigQ {
				t.Errorf("quartic: ML %.4f and SM %.4f differ by more than 3σ√2 = %.4f", ml.quartic, sm.quartic, 3*math.Sqrt2*sigQ)
			}
			if !mlRes.Converged {
				t.Errorf("ML did not converge in %d iterations", mlRes.Iterations)
			}
		})
	}
}
