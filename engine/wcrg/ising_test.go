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

// TestIsingDequantized is WC-RG on Ising data (issue 9) with a dequantized
// finest scale, the route the tools recommend ('wcrg dequantize'):
// critical spins (β_c, L = 32, Wolff) plus Gaussian noise of std σ = 0.35
// (ising.Dequantize) have a density whose energy is close to the ansatz (a
// double well per site, and the Ising bond between the signs of
// neighbours, which the pair potential represents). A model is fitted on
// 2000 such fields with maximum likelihood at every scale and 12×12 pair
// potentials, and 500 generated fields must match 500 held-out ones with
// the quality criteria of the generation issue (judgeGeneration), each
// judged against its noise floor.
//
// It is closer than the coarse-grained route (TestIsingFromFirstCoarseScale)
// but passes on two data sets of four, both dequantized with numpy noise
// rather than ising.Dequantize (the noise is the same in law; the data sets
// differ), so it runs only with WCRG_ACCEPTANCE=1 and issue 9 stays open.
// The third row and this test use the same seeds but not the same spins:
// 'wcrg generate' thermalizes 2000 sweeps, ising.MakeStack here 1000 (two
// chains, as on the 2-core machine of the measurements).
//
//	data set (L = 32, β_c, 2000 + 500 fields)      spectrum (limit)   histogram L1 (limit)   worst std
//	generate --seed 41, noise numpy seed 5          0.067 (0.073)      0.029 (0.038)          2.7 % (φ̄_2,3)  accepted
//	generate --seed 42, noise numpy seed 6          0.055 (0.073)      0.027 (0.030)          3.6 %, 1.6σ    accepted
//	generate --seed 41, dequantize --seed 5         0.076 (0.074)      0.035 (0.038)          4.5 %, 3.3σ    rejected
//	this test (in-process data)                     0.075 (0.050)      0.068 (0.052)          3.9 %, 3.7σ    rejected
//
// With σ = 0.5 the third set is accepted (spectrum 0.066, limit 0.076),
// but this test's data still fail (0.075 against 0.050, histogram 0.064
// against 0.051). The Binder cumulant matches on all four (within 0.011). The spectrum
// error sits where the coarse-grained route's does, at radial bin 10 (+7.6
// %, 6σ on the third set): the aliasing band of the finest db4 level. The
// spins sign(φ) of the generated fields have a bond energy 0.7–1.2 % above
// the data's (here E/L² −1.409 ± 0.004 against −1.425 ± 0.002, logged): the
// generated fields hold a few more values near 0 (8.1 % against 7.6 %
// within 0.5 of 0), which the histogram L1 measures too.
func TestIsingDequantized(t *testing.T) {
	if os.Getenv("WCRG_ACCEPTANCE") == "" {
		t.Skip("acceptance measurement of issue 9, dequantized route (set WCRG_ACCEPTANCE=1; about 3 minutes); it does not pass on this data set")
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
	set := DefaultSettings()
	set.Seed = 5
	set.MLFromLevel, set.PairNodes = 1, 12
	m, err := Fit(context.Background(), train, set, Provenance{File: "ising L=32 β_c, dequantized σ = 0.35"}, nil)
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
	judgeGeneration(t, held, train, res.Fields, true)
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
//	+ pair potentials, 12×12 (this test)    0.103                   0.065                       8.4 % (level 3), 8.8σ (level 1)
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
// 0.071). 'wcrg diagnose' puts the jump at the finest conditional's
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
