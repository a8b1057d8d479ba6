package estimate

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

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
	st := lattice.NewStack(0, L)
	_, err := phi4.MakeDataset(context.Background(), phi4.Phi4{L: L, Beta: beta},
		phi4.DatasetSettings{Algorithm: phi4.AlgCluster, Samples: n, Seed: seed},
		func(f lattice.Field) error {
			st.Data = append(st.Data, f.Data...)
			st.N++
			return nil
		}, nil)
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

// TestPhi4FinestConditionalRecovery fits the finest conditional Ē_1 by
// score matching on 4000 Monte Carlo φ⁴ fields (L = 32, γ = 1, db4, window
// 4, quadratic B-splines) and compares it with the exact one (spec §5.5):
//
//   - energy differences between two φ̄_1 given the same φ_1 — a held-out
//     field's and one drawn from the exact conditional by MALA — agree with
//     the exact differences to a relative RMS error ≤ 5 % (issue 4);
//   - the quadratic couplings, fitted as b·P(−Δ) + c·P(I) (the t² gauge of
//     spec §2.3), give b = β within 3 %;
//   - the scalar potential, fitted on the central 98 % of the data as a
//     quartic polynomial (t, t² and constants are gauges or absorbed), has a
//     t⁴ coefficient of 1 within 3 %.
//
// The energy-difference error is estimation noise: measured 5–6 % with
// 1500 fields and 3 % with 4000, falling as 1/√N.
func TestPhi4FinestConditionalRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test")
	}
	const L = 32
	for _, beta := range []float64{0.50, 0.68} {
		t.Run(map[float64]string{0.5: "beta0.50", 0.68: "beta0.68"}[beta], func(t *testing.T) {
			train := phi4Data(t, L, beta, 4000, 11)
			test := phi4Data(t, L, beta, 100, 12)
			b, _ := wavelet.New("db4")
			tr, _ := wavelet.NewTransform(b, L, 1, []float64{1})
			sorted := append([]float64(nil), train.Data...)
			sort.Float64s(sorted)
			lo, hi := sorted[0], sorted[len(sorted)-1]
			sb := energy.ScalarBasis{Kind: energy.BasisBSpline2, Nodes: 30, Lo: lo - 0.3, Hi: hi + 0.3}
			m, err := energy.NewConditional(L/2, 4, sb, 1, b)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ScoreMatch(context.Background(), m, LevelSamples(tr, train, 1, 0), ScoreSettings{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			copy(m.Theta, res.Theta)

			// β from the quadratic couplings.
			qb, _ := m.ProjectQuadratic(energy.LaplacianOperator(L, 1, 0))
			qi, _ := m.ProjectQuadratic(energy.LaplacianOperator(L, 0, 1))
			nq := m.NumQuad()
			A := mat.NewDense(nq, 2, nil)
			for k := 0; k < nq; k++ {
				A.Set(k, 0, qb[k])
				A.Set(k, 1, qi[k])
			}
			var coef mat.VecDense
			if err := coef.SolveVec(A, mat.NewVecDense(nq, res.Theta[:nq])); err != nil {
				t.Fatal(err)
			}
			gotBeta := coef.AtVec(0)

			// Quartic coefficient of the scalar potential.
			pot := m.ScalarPotential()
			qlo, qhi := lattice.Quantile(sorted, 0.01), lattice.Quantile(sorted, 0.99)
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
			quartic := pc.AtVec(4)

			// Energy differences on held-out pairs.
			exact := newPhi4Conditional(L, beta, tr)
			fit := m.NewConditioned()
			hs := LevelSamples(tr, test, 1, 0)
			rng := rand.New(rand.NewPCG(5, 6))
			var num, den float64
			outside := 0
			for i := 0; i < hs.Count; i++ {
				a0, x, _ := hs.At(i)
				exact.setCondition(a0)
				ch, err := mcmc.NewChain(exact, x)
				if err != nil {
					t.Fatal(err)
				}
				// MALA with its step adapted towards 57 % acceptance (spec
				// §4.1) for 100 steps, then 300 steps at the tuned step.
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
				fit.SetCondition(a0)
				fA, ok1 := fit.Energy(x)
				fB, ok2 := fit.Energy(ch.X)
				if !ok1 || !ok2 {
					outside++
					continue
				}
				d := (fA - fB) - (eA - eB)
				num += d * d
				den += (eA - eB) * (eA - eB)
			}
			rel := math.Sqrt(num / den)
			t.Logf("β = %.2f: fitted β %.4f (%.2f%%), quartic %.4f, energy-difference RMS error %.2f%% (rms ΔE %.1f, %d pairs outside support), %d samples, κ %.3g",
				beta, gotBeta, 100*(gotBeta/beta-1), quartic, 100*rel, math.Sqrt(den/float64(hs.Count)), outside, res.Samples, res.Cond)
			if math.Abs(gotBeta/beta-1) > 0.03 {
				t.Errorf("fitted β = %.4f, want %.2f within 3%%", gotBeta, beta)
			}
			if math.Abs(quartic-1) > 0.03 {
				t.Errorf("fitted quartic coefficient %.4f, want 1 within 3%%", quartic)
			}
			if !(rel <= 0.05) || outside > 0 || !(den > 0) {
				t.Errorf("energy differences: relative RMS error %.3f (want ≤ 0.05), %d pairs outside the support", rel, outside)
			}
		})
	}
}
