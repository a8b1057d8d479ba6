package wcrg

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// TestIsingDequantized is WC-RG on Ising data (issue 9) from the first
// coarse scale down, with a dequantized finest scale: critical spins (β_c,
// L = 32, Wolff) plus Gaussian noise of std σ = 0.35 (ising.Dequantize)
// have a density, whose energy is close to the ansatz (a double well per
// site, and the Ising bond between the signs of neighbours, which the pair
// potential represents). A model is fitted on 2000 such fields with
// IsingSettings (Haar, Z₂, maximum likelihood at every scale with 12×12
// pair potentials, ML chains relaxed by site sweeps, at least 12 visits of
// every chain), 500 fields are generated with isingSampling (8× the
// sampling at the coarse scales, from zero), and their first
// coarse-grained fields φ_1 (Haar: Kadanoff's block spins, 16×16) must
// match those of 500 held-out fields under the generation acceptance for
// Z₂-symmetric data (AcceptZ2), each figure against its noise floor. The
// finest, dequantized scale is logged, not judged; so is the Ising bond
// energy of the spins sign(φ) (generated E/L² −1.434 ± 0.005 against the
// held-out −1.425 ± 0.005 here).
//
// Measured with the commands of the README ('wcrg generate ising --L 32
// --n 2500 --seed S', 'wcrg dequantize --seed D', fit on the first 2000
// fields, 500 generated with seed 7, 'wcrg coarsen --wavelet haar --levels
// 1' and 'wcrg compare --z2 --floor'):
//
//	data set (S, D)   φ_1: spectrum (limit)   histogram (limit)   per-scale std         verdict
//	this test             0.044 (0.050)          0.010 (0.023)     φ̄_1,2 1.9 % (2.0σ)   accepted
//	41, 5                 0.047 (0.072)          0.013 (0.028)     φ̄_4,2 20 % (2.2σ)    accepted
//	42, 6                 0.054 (0.073)          0.017 (0.029)     φ̄_4,2 22 % (3.0σ)    rejected
//	44, 7                 0.045 (0.088)          0.019 (0.030)     φ̄_2,1 3.8 % (2.3σ)   accepted
//
// The seed-42 rejection is its held-out set's: against 4000 independent
// true fields ('generate --seed 301', 'dequantize --seed 13') its φ̄_4,2
// std is 3.27 against 3.74 ± 0.05 (3.0σ low), while 1000 generated fields
// give 3.66 ± 0.11. Against the same 4000 true fields, 1000 generated
// fields have the power spectrum of φ_1 within 4.4 % in every radial bin
// (1–3σ) and the Haar detail std of every scale within 2 %.
//
// What it took, each measured on the seed-42 set (before: φ_1 spectrum
// 0.080 against 0.073, and against the 4000 true fields +6.1 % at |k| = 3
// and +4.9 % at |k| = 5):
//   - energy.Model.BalanceScalarGauge after every fit: the slope of the
//     scalar potential is not identified, and the fit had left the 2×2
//     scale's energy falling off one end of its range, beyond saturation;
//     4.5 % of the generated fields had a block beyond every training value
//     (1.4 % balanced, 0 with zero starts; the data: 0).
//   - MLSettings.MinVisits 12: at the default the 8×8 scale stopped after 47
//     iterations, its equilibrium 5.7 % above the data at |k| = 3 of φ_1
//     from the data's φ_2; after 200 iterations, within 2 % in every bin.
//   - SampleSettings.CoarseFactor 8: φ_1 generated from the data's φ_2 had
//     |k| = 3 4.3 % low with the default sampling, within 1.7 % in every bin
//     with 8×. (The finest scale is not judged and keeps the default.)
//   - ZeroStart: white-noise starts put 3 % of the 2×2-scale blocks beyond
//     saturation, where the energy is flat and the chains stay.
//
// Before Haar and Z₂ (db4, ML without site sweeps) the finest scale passed
// on two numpy-dequantized sets of four; the unsymmetrized histogram then
// measured the sign count of each set more than its shape (AcceptZ2). The
// finest scale does not pass with this recipe either (the seed-42 set:
// spectrum 0.062 against 0.067, histogram 0.027 against 0.017).
func TestIsingDequantized(t *testing.T) {
	if testing.Short() {
		t.Skip("acceptance of issue 9, dequantized Ising route (about 5 minutes)")
	}
	start := time.Now()
	spins, _, err := ising.MakeStack(context.Background(), ising.Model{L: 32, Beta: ising.BetaC}, ising.AlgWolff,
		phi4.DatasetSettings{Samples: 2500, Seed: 41, Chains: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, err := ising.Dequantize(spins, ising.DefaultDequantizeSigma, 5)
	if err != nil {
		t.Fatal(err)
	}
	L := all.L
	train := lattice.Stack{N: 2000, L: L, Data: all.Data[:2000*L*L]}
	held := lattice.Stack{N: 500, L: L, Data: all.Data[2000*L*L:]}
	m, err := Fit(context.Background(), train, isingSettings(), Provenance{File: "ising L=32 β_c, dequantized σ = 0.35"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.FitWarnings() {
		t.Log("fit warning: " + w)
	}
	tFit := time.Since(start)
	res, err := Sample(context.Background(), m, isingSampling(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data and fit %s, sampling %s", tFit.Round(time.Second), (time.Since(start) - tFit).Round(time.Second))
	for _, c := range []struct {
		name string
		s    lattice.Stack
	}{{"held-out", held}, {"training", train}, {"generated", res.Fields}} {
		e, se := signBondEnergy(c.s)
		t.Logf("spins sign(φ), %-9s fields: E/L² %.4f ± %.4f", c.name, e, se)
	}
	// The finest, dequantized scale itself, for the record (not the
	// acceptance: see the comment above).
	if _, logs, err := judgeBy(AcceptZ2, held, train, res.Fields, true); err != nil {
		t.Error(err)
	} else {
		for _, l := range logs {
			t.Log("finest scale (32×32), not judged: " + l)
		}
	}
	// The acceptance: the first coarse-grained fields φ_1 (16×16, Haar:
	// the block spins, γ = 1).
	haar, _ := wavelet.New("haar")
	coarse := func(s lattice.Stack) lattice.Stack {
		c, err := wavelet.CoarseGrain(haar, s, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	judgeGenerationBy(t, AcceptZ2, coarse(held), coarse(train), coarse(res.Fields), true)
}

// isingSettings are IsingSettings with seed 5. Without the site sweeps
// the global-MALA chains stay near their data points, the fit matches the
// data under a short run rather than at equilibrium, and longer sampling
// makes the generated fields worse (0.076 → 0.084 spectrum error at 40 →
// 400 sweeps on a dequantized set, db4).
func isingSettings() Settings {
	set := IsingSettings()
	set.Seed = 5
	return set
}

// isingSampling are the generation settings of TestIsingDequantized: 500
// fields, seed 7, 8× the steps and sweeps at the coarse scales (the large
// structures relax slowly; SampleSettings.CoarseFactor), every chain
// started at zero details (white-noise starts put 3 % of the 2×2-scale
// blocks beyond saturation, where the fitted energy is flat and the
// chains stay).
func isingSampling() SampleSettings {
	return SampleSettings{N: 500, Seed: 7, CoarseFactor: 8, ZeroStart: true}
}

// signBondEnergy returns the mean Ising energy per site, −Σ_bonds s s'/L²,
// of the spins s = sign(φ) of the fields, and its standard error.
func signBondEnergy(s lattice.Stack) (mean, se float64) {
	m := ising.Model{L: s.L, Beta: ising.BetaC}
	spins := make([]float64, s.L*s.L)
	var e1, e2 float64
	for i := 0; i < s.N; i++ {
		for k, v := range s.Field(i).Data {
			spins[k] = 1
			if v < 0 {
				spins[k] = -1
			}
		}
		e := m.Energy(spins) / float64(s.L*s.L)
		e1 += e
		e2 += e * e
	}
	n := float64(s.N)
	mean = e1 / n
	return mean, math.Sqrt((e2/n - mean*mean) / (n - 1))
}

// TestIsingFromFirstCoarseScale is the first Ising route tried for issue 9,
// kept as a measurement: the finest
// scale of ±1 spins is discrete, so WC-RG models the first coarse-grained
// field (db4, γ = 1; wavelet.CoarseGrain, `wcrg coarsen`), from that scale
// down. Critical Ising spins (β_c, L = 128, Wolff) are coarse-grained twice
// to 32², a model is fitted on 2000 of them, and 500 generated coarse fields
// must match 500 held-out ones with the quality criteria of the generation
// issue (judgeGeneration), each judged against its noise floor between
// training and held-out fields.
//
// One level of coarse-graining is not enough: the values of G s are still
// lumpy sums of a few dominant filter taps times ±1, and the finest fitted
// conditional then generates details with half the data's std. Two levels
// give a smooth density. Maximum likelihood refines every scale
// (MLFromLevel = 1): with score matching alone at j = 1 the finest
// conditional, run at the data's own φ_1, gives details 7 % too broad on
// the diagonal channel.
//
// It runs only with WCRG_ACCEPTANCE=1 because it does not pass. With the
// acceptance of the generation issue (Accept: floors averaged over the four
// training slices, 0.063 for the spectrum and 0.039 for the histogram here):
//
//	fit                                     spectrum (limit 0.095)  histogram L1 (limit 0.069)  worst std
//	ML at every scale                       0.168                   0.096                       7.4 % (level 3), 13.5σ (level 1)
//	+ pair potentials, 12×12                0.103                   0.065                       8.4 % (level 3), 8.8σ (level 1)
//	  + ML site sweeps, step 1, 1000 it.    0.117                   –                           – (the settings of this test)
//
// The Binder cumulant matches (0.611 vs 0.610). With pair potentials the
// maximum likelihood of the finest scale (16×16 → 32×32) does not converge
// in 300 iterations (χ²/m rises from 92 to 270 and is 149 at the end); a
// ten times larger ML ridge (spectrum 0.153), 40 MALA steps per iteration
// (0.134) and 8000 training fields (0.098, limit 0.070) did not help, nor
// did spins of L = 256 coarse-grained three times to 32² (0.095, limit
// 0.089; histogram 0.077, limit 0.067; the 4×4 details 5–7 % too broad).
// The error is made at the coarse scales and grows on the way down ('wcrg
// diagnose'): each conditional matches its own moments at the data's φ_j,
// but the φ_{j−1} it generates differ from the data's in ways its form
// cannot express (too many values between the two magnetized phases), and
// the next, finer conditional answers with broader details.
//
// Measured since, on 'wcrg generate ising --L 128 --n 2500 --seed 31'
// coarse-grained twice (2000 training, 500 held-out fields; floor 0.027,
// spectrum limit 0.05), with the pair settings of this test unless said:
//
//	fit                                                spectrum   histogram L1   worst std
//	ML 300 iterations (finest not converged, χ²/m 149)  0.094     0.025          4.2 % (φ̄_4,1)
//	ML 1500 iterations (finest converges at 879)        0.089     0.048          2.5 % (φ̄_2,2)
//	  the same, 3000 global MALA steps, no sweeps       0.089     0.044          4.2 % (φ̄_2,2)
//	  + diagonal-bond pair potentials (scratch build)   0.098     0.039          4.2 % (φ̄_2,2)
//	  + detail variance on hats of |∇φ_j| (scratch)     0.088     0.040          4.9 % (φ̄_2,2)
//	coarsest model on 4×4 (levels 3)                    0.103     0.189          9.6 % (φ_4)
//	db8 instead of db4 for the model (1500 iterations)  0.150     0.110          11.3 % (φ̄_2,2)
//	quadratic window half-width 6 (300 iterations)      0.097     0.024          2.5 % (φ̄_2,2)
//	quadratic window half-width 2 (300 iterations)      0.130     0.024          4.0 % (φ̄_2,2)
//
// On this test's data the converged finest scale gives 0.123 (histogram
// 0.071); with the ML chains relaxed by site sweeps (the settings below)
// 0.117 against a limit of 0.095. 'wcrg diagnose' puts the jump at the finest conditional's
// answer to a generated φ_1 (spectrum 0.089 against 0.031 from the data's
// φ_1), although that φ_1 matches the data's (spectrum 0.022, histogram
// 0.016, channel std within 1.3 %). Split by the last db4 level, the
// excess at radial bins 10–11 (+6–9 %) is mostly a missing part of the
// cross-spectrum of Gᵀφ_1 and Ḡᵀφ̄_1 (the aliasing term, −18 % of the
// data's power at bin 10, 30 % weaker in the generated fields), and the
// generated coarse fields are less intermittent (kurtosis of the discrete
// Laplacian of φ_1 4.07 against 4.34) with a few more values between the
// phases (8.6 % against 8.3 % within 0.3σ of 0).
func TestIsingFromFirstCoarseScale(t *testing.T) {
	if os.Getenv("WCRG_ACCEPTANCE") == "" {
		t.Skip("acceptance measurement of issue 9, coarse-grained route (set WCRG_ACCEPTANCE=1); it does not pass")
	}
	start := time.Now()
	spins, _, err := ising.MakeStack(context.Background(), ising.Model{L: 128, Beta: ising.BetaC}, ising.AlgWolff,
		phi4.DatasetSettings{Samples: 2500, Seed: 31, Chains: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	db4, _ := wavelet.New("db4")
	all, err := wavelet.CoarseGrain(db4, spins, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	L := all.L
	train := lattice.Stack{N: 2000, L: L, Data: all.Data[:2000*L*L]}
	held := lattice.Stack{N: 500, L: L, Data: all.Data[2000*L*L:]}
	tData := time.Since(start)
	set := DefaultSettings()
	set.Seed = 5
	set.MLFromLevel, set.PairNodes = 1, 12
	set.ML.Sweeps, set.ML.WarmupSweeps, set.ML.MaxStep, set.ML.Iterations = 1, 30, 1, 1000
	m, err := Fit(context.Background(), train, set, Provenance{File: "ising L=128 β_c, coarse-grained twice (db4)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tFit := time.Since(start) - tData
	res, err := Sample(context.Background(), m, isingSampling(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data %s, fit %s, sampling %s", tData.Round(time.Second), tFit.Round(time.Second), (time.Since(start) - tData - tFit).Round(time.Second))
	judgeGeneration(t, held, train, res.Fields, true)
}
