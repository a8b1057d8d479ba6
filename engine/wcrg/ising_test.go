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
// pair potentials and ML chains relaxed by site sweeps), 500 fields are
// generated, and their first coarse-grained fields φ_1 (Haar: Kadanoff's
// block spins, 16×16) must match those of 500 held-out fields under the
// generation acceptance for Z₂-symmetric data (AcceptZ2), each figure
// against its noise floor. The finest, dequantized scale is logged, not
// judged; so is the Ising bond energy of the spins sign(φ) (generated
// E/L² −1.405 ± 0.005 against the held-out −1.425 ± 0.005 here).
//
// It passes on one data set of the four below, not on its own, so it runs
// only with WCRG_ACCEPTANCE=1 and issue 9 stays open. Measured with the commands of
// the README ('wcrg generate ising --L 32 --n 2500 --seed S', 'wcrg
// dequantize --seed D', fit on the first 2000 fields, 500 generated with
// seed 7, 'wcrg coarsen --wavelet haar --levels 1' and 'wcrg compare --z2
// --floor'):
//
//	data set (seed S, D)     φ_1: spectrum (limit)   histogram (limit)   verdict    finest: spectrum (limit)
//	this test (in-process)        0.055 (0.050)          0.013 (0.023)      rejected        0.091 (0.050)
//	41, 5                         0.046 (0.072)          0.015 (0.028)      accepted        0.084 (0.074)
//	42, 6                         0.080 (0.073)          0.022 (0.029)      rejected        0.059 (0.067)
//	44, 7                         0.091 (0.088)          0.022 (0.030)      rejected        0.083 (0.087)
//
// The histogram, the Binder cumulant (within 0.013), the sign balance and
// the per-scale std pass on all four at φ_1. The judge is not what fails:
// four independent sets of 500 true fields ('generate --seed 201',
// 'dequantize --seed 11') are accepted against each of the three CLI data
// sets (12 of 12, φ_1 spectrum 0.028–0.056). The generated fields carry
// 4–9 % too much power at the largest scales (radial bins 2–5 of φ_1 on
// the seed-42 set), made by the coarse conditionals: from the data's φ_5,
// Ē_5 gives φ̄_5 channel-1 details 20 % broader than the held-out ones
// ('wcrg diagnose'), and 10× longer sampling (1000 global steps and 400
// sweeps per scale) makes φ_1 worse (0.097, and φ̄_4,2 +19.7 %), so the
// fitted energies' equilibrium is off at the coarse scales. 64× longer ML
// warm-up and 16× more sweeps per iteration at those scales do not help
// (0.072, φ̄_4,2 +18.6 %): the ML chains, started at the data, match the
// data's moments without reaching the states that generation from noise
// finds. Sampling the coarse scales 4^(j−1) times longer (at most 64×)
// makes all four sets worse (φ_1 spectrum 0.095–0.125): the fitted coarse
// energies' own equilibrium has too much large-scale power, and the
// default sampling, not relaxed there, hides part of it.
//
// Before Haar and Z₂ (db4, ML without site sweeps) the finest scale passed
// on two numpy-dequantized sets of four; the unsymmetrized histogram then
// measured the sign count of each set more than its shape (AcceptZ2).
func TestIsingDequantized(t *testing.T) {
	if os.Getenv("WCRG_ACCEPTANCE") == "" {
		t.Skip("acceptance measurement of issue 9, dequantized route (set WCRG_ACCEPTANCE=1; about 4 minutes); it passes on one data set of the four measured, not on its own")
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
	res, err := Sample(context.Background(), m, SampleSettings{N: 500, Seed: 7}, nil)
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
	res, err := Sample(context.Background(), m, SampleSettings{N: 500, Seed: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data %s, fit %s, sampling %s", tData.Round(time.Second), tFit.Round(time.Second), (time.Since(start) - tData - tFit).Round(time.Second))
	judgeGeneration(t, held, train, res.Fields, true)
}
