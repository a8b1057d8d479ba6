package wcrg

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// phi4Stack draws n decorrelated φ⁴ fields with the cluster hybrid (spaced
// by ≥ 2 τ_int; near β_c local Metropolis would need thousands of sweeps
// per sample).
func phi4Stack(t *testing.T, L int, beta float64, n int, seed uint64) lattice.Stack {
	t.Helper()
	st, _, err := phi4.MakeStack(context.Background(), phi4.Phi4{L: L, Beta: beta},
		phi4.DatasetSettings{Algorithm: phi4.AlgCluster, Samples: n, Seed: seed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func stat(c *Comparison, name string) Statistic {
	for _, s := range c.Scalars {
		if s.Name == name {
			return s
		}
	}
	panic("no statistic " + name)
}

// TestGenerationQualityPhi4 is the acceptance test of the generation issue:
// φ⁴ trained on 2000 fields, 500 generated fields compared with 500
// held-out fields. Each figure is judged against its noise floor, the same
// figure between 500 training fields and the held-out set: power spectrum
// max relative error (radial bins with ≥ 16 modes) ≤ max(5 %, 1.5 × floor);
// pixel histogram L1 (60 bins on ±4σ) ≤ 1.5 × floor + 0.01; per-scale std
// (φ_j and every wavelet channel, j ≤ 4) within 3 %; at β = 0.68 the
// Binder cumulant within 0.03, at β = 0.50 (where U ≈ 0 is noise) ⟨m²⟩
// within 2 standard errors.
//
// β = 0.50 at L = 32 passes and runs in the full suite (about 40 s;
// spectrum 0.034, floor 0.033; histogram L1 0.014, limit 0.021; ⟨m²⟩
// within 1σ; worst per-scale std 1.7 %); at L = 64 (WCRG_LONG=1, 2.5
// minutes) it passes too: spectrum 0.032, floor 0.031;
// histogram L1 0.0093, limit 0.016; worst per-scale std 1.7 %). β = 0.68
// runs only with WCRG_ACCEPTANCE=1 because it does not pass yet. It is fit
// with maximum likelihood at every scale and nearest-neighbour pair
// potentials (12×12 nodes) on the 8×8 and finer fields. L = 32, default
// sampler: spectrum 0.054 (limit 0.050), histogram L1 0.043 (limit
// 0.040), pixel kurtosis within 0.4σ, Binder cumulant within 0.005,
// per-scale std up to 8 % at the 4×4 and 2×2 channels (j = 3, 4). The
// same data fitted as before (score matching, ML at j ≥ 3, no pair
// potentials) gave spectrum 0.105, histogram 0.050; ML at every scale
// without pair potentials 0.082, 0.049 and a pixel kurtosis 2.6σ too high
// (+0.019 ± 0.007). L = 64
// (WCRG_LONG=1) has not been measured with these settings; before them:
// spectrum 0.094 (limit 0.067), histogram 0.044 (limit 0.067).
//
// What is known ('wcrg diagnose', generation from the data's own φ_k): each
// conditional alone reproduces the data's φ_{j−1} (spectrum, histogram,
// kurtosis, channel std), but without pair potentials the finest one,
// given a generated φ_1, answered with a φ_0 whose pixel kurtosis was 5–6σ
// too high (less bimodal): the generated φ_1 differed from the data's in
// the joint distribution of neighbouring values (walls sharper at their
// centre, stiffer beside it), which the quadratic + scalar-potential ansatz
// cannot express and the finest conditional, exact in form for φ⁴,
// answers faithfully. The pair potentials match that joint histogram and
// remove most of the effect (kurtosis excess from φ_2: 5.7σ → 1.7σ). What
// remains is the coarse scales (2×2 and 4×4 fields), where the 500-field
// noise of a channel std is itself ±4 %, beyond the fixed 3 % bound.
// Issue 5 stays open.
func TestGenerationQualityPhi4(t *testing.T) {
	if testing.Short() {
		t.Skip("fits and samples φ⁴ models (about 40 s)")
	}
	type point struct {
		L    int
		beta float64
	}
	points := []point{{32, 0.50}}
	if os.Getenv("WCRG_LONG") != "" {
		points = append(points, point{64, 0.50})
	}
	if os.Getenv("WCRG_ACCEPTANCE") != "" {
		points = append(points, point{32, 0.68})
		if os.Getenv("WCRG_LONG") != "" {
			points = append(points, point{64, 0.68})
		}
	}
	for _, pt := range points {
		L, beta := pt.L, pt.beta
		t.Run(fmt.Sprintf("L%d_beta%.2f", L, beta), func(t *testing.T) {
			start := time.Now()
			all := phi4Stack(t, L, beta, 2500, 21)
			train := lattice.Stack{N: 2000, L: L, Data: all.Data[:2000*L*L]}
			held := lattice.Stack{N: 500, L: L, Data: all.Data[2000*L*L:]}
			floorSet := lattice.Stack{N: 500, L: L, Data: all.Data[:500*L*L]}
			tData := time.Since(start)
			set := DefaultSettings()
			set.Seed = 4
			set.MLFromLevel = 3
			if beta == 0.68 {
				// Near β_c: maximum likelihood at every scale, with
				// nearest-neighbour pair potentials on the 8×8 and finer
				// fields, so that the generated coarse fields carry the data's
				// domain-wall shapes (see the doc comment).
				set.MLFromLevel, set.PairNodes = 1, 12
			}
			m, err := Fit(context.Background(), train, set, Provenance{File: "phi4"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tFit := time.Since(start) - tData
			res, err := Sample(context.Background(), m, SampleSettings{N: 500, Seed: 6}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tSample := time.Since(start) - tData - tFit
			t.Logf("data %s, fit %s, sampling %s (%.3f s/field)", tData.Round(time.Second), tFit.Round(time.Second), tSample.Round(time.Second), tSample.Seconds()/500)
			judgeGeneration(t, held, floorSet, res.Fields, beta == 0.68)
		})
	}
}

func judgeGeneration(t *testing.T, held, floorSet, gen lattice.Stack, critical bool) {
	t.Helper()
	J := min(4, wavelet.MaxLevels(held.L)-1)
	g, err := Compare(held, gen, "db4", J)
	if err != nil {
		t.Fatal(err)
	}
	floor, err := Compare(held, floorSet, "db4", J)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("spectrum max rel err %.4f (floor %.4f); histogram L1 %.4f (floor %.4f)", g.SpectrumMaxRelErr, floor.SpectrumMaxRelErr, g.HistL1, floor.HistL1)
	if lim := math.Max(0.05, 1.5*floor.SpectrumMaxRelErr); g.SpectrumMaxRelErr > lim {
		t.Errorf("power spectrum max relative error %.4f > %.4f", g.SpectrumMaxRelErr, lim)
	}
	if lim := 1.5*floor.HistL1 + 0.01; g.HistL1 > lim {
		t.Errorf("histogram L1 %.4f > %.4f", g.HistL1, lim)
	}
	for _, name := range []string{"Binder U", "<m^2>", "<|m|>", "kurtosis"} {
		s, f := stat(g, name), stat(floor, name)
		d, e := s.Diff()
		fd, _ := f.Diff()
		t.Logf("%-9s held-out %.4f ± %.4f, generated %.4f ± %.4f (diff %+.4f ± %.4f; floor diff %+.4f)", name, s.A, s.ErrA, s.B, s.ErrB, d, e, fd)
	}
	if critical {
		if d, _ := stat(g, "Binder U").Diff(); math.Abs(d) > 0.03 {
			t.Errorf("Binder cumulant differs by %.4f (> 0.03)", d)
		}
	} else if d, e := stat(g, "<m^2>").Diff(); math.Abs(d) > 2*e {
		t.Errorf("⟨m²⟩ differs by %.3g ± %.3g (> 2σ)", d, e)
	}
	worst := 0.0
	for _, sc := range g.Scales {
		r := math.Abs(sc.StdB/sc.StdA - 1)
		worst = math.Max(worst, r)
		if r > 0.03 {
			t.Errorf("level %d channel %d: std %.4f generated vs %.4f held out (%.1f %%)", sc.Level, sc.Channel, sc.StdB, sc.StdA, 100*r)
		}
	}
	t.Logf("per-scale std: worst relative difference %.4f", worst)
}
