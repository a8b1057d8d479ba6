package wcrg

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Tolerances of the generation acceptance (Accept).
const (
	AcceptSpectrumMin    = 0.05 // the spectrum bound is max(AcceptSpectrumMin, AcceptFloorFactor × floor)
	AcceptFloorFactor    = 1.5  // multiple of the floor allowed for the spectrum and the histogram
	AcceptHistogramSlack = 0.01 // the histogram bound is AcceptFloorFactor × floor + AcceptHistogramSlack
	AcceptBinder         = 0.03 // |ΔU| of the Binder cumulant (critical phase)
	AcceptM2Sigmas       = 2.0  // |Δ⟨m²⟩| in combined standard errors (disordered phase)
	AcceptStdRelative    = 0.03 // per-scale std: relative difference …
	AcceptStdSigmas      = 3.0  // … or, where the data cannot resolve it, combined standard errors
)

// Acceptance is the verdict of the generation acceptance (issue 5): generated
// fields against a reference (held-out) set, each figure judged against its
// noise floor, the same figure between the reference and a slice of the
// training set of the reference's size.
type Acceptance struct {
	Generated *Comparison   // reference (A) against the generated fields (B)
	Floors    []*Comparison // reference (A) against each disjoint training slice (B)
	// FloorSpectrum and FloorHistL1 are the floors' spectrum error and
	// histogram L1, averaged over the slices: near a critical point one
	// slice is a poor estimate (φ⁴ at β = 0.68, L = 32: histogram L1 floors
	// 0.020, 0.035, 0.034, 0.026 for the four slices of one data set).
	FloorSpectrum, FloorHistL1 float64
	SpectrumLimit, HistL1Limit float64
	// Critical selects the Binder cumulant criterion (|ΔU| ≤ AcceptBinder);
	// otherwise ⟨m²⟩ is judged (within AcceptM2Sigmas standard errors),
	// because in the disordered phase U ≈ 0 is noise.
	Critical bool
	// WorstStd and WorstStdSigmas are the largest relative difference and
	// the largest difference in combined standard errors of the per-scale
	// std over all planes (not necessarily the same plane); FloorWorstStd the
	// largest relative difference over the floors.
	WorstStd, WorstStdSigmas, FloorWorstStd float64
	Failures                                []string // one line per missed criterion; empty when accepted
}

// Passed reports whether every criterion holds.
func (a *Acceptance) Passed() bool { return len(a.Failures) == 0 }

// Accept judges generated fields against reference fields (same side and,
// for the floors, at least one training slice of the reference's size):
//   - power spectrum max relative error (radial bins with ≥ 16 modes)
//     ≤ max(5 %, 1.5 × floor);
//   - pixel histogram L1 (60 bins over the reference's ±4σ) ≤ 1.5 × floor + 0.01;
//   - critical: the Binder cumulant within 0.03; otherwise ⟨m²⟩ within 2
//     combined standard errors;
//   - the std of φ_j and of every wavelet channel (basis, J levels) within
//     3 %, or within 3 combined jackknife standard errors where the data
//     cannot resolve 3 %: at β = 0.68, L = 32 the 2×2 and 4×4 channels of
//     500 fields have standard errors of 2–4 %, and six sets of 500 true φ⁴
//     fields differed from one held-out set by up to 7.3 % (1.8σ) there, so
//     a bare 3 % bound rejects the true distribution five times in six; 3σ
//     over 16 planes rejects it about once in 25.
//
// The floors use the first ⌊train.N/ref.N⌋ disjoint slices of train.
func Accept(ref, train, gen lattice.Stack, basis string, J int, critical bool) (*Acceptance, error) {
	if train.L != ref.L {
		return nil, errorf("training fields of side %d for reference fields of side %d", train.L, ref.L)
	}
	slices := train.N / ref.N
	if slices < 1 {
		return nil, errorf("%d training fields cannot give a floor for %d reference fields (want at least as many)", train.N, ref.N)
	}
	g, err := Compare(ref, gen, basis, J)
	if err != nil {
		return nil, err
	}
	a := &Acceptance{Generated: g, Critical: critical}
	n := ref.N * ref.L * ref.L
	for k := 0; k < slices; k++ {
		f, err := Compare(ref, lattice.Stack{N: ref.N, L: ref.L, Data: train.Data[k*n : (k+1)*n]}, basis, J)
		if err != nil {
			return nil, err
		}
		a.Floors = append(a.Floors, f)
		a.FloorSpectrum += f.SpectrumMaxRelErr / float64(slices)
		a.FloorHistL1 += f.HistL1 / float64(slices)
		for _, sc := range f.Scales {
			a.FloorWorstStd = math.Max(a.FloorWorstStd, math.Abs(sc.StdB/sc.StdA-1))
		}
	}
	fail := func(format string, v ...any) { a.Failures = append(a.Failures, fmt.Sprintf(format, v...)) }

	a.SpectrumLimit = math.Max(AcceptSpectrumMin, AcceptFloorFactor*a.FloorSpectrum)
	if g.SpectrumMaxRelErr > a.SpectrumLimit {
		fail("power spectrum max relative error %.4f > %.4f", g.SpectrumMaxRelErr, a.SpectrumLimit)
	}
	a.HistL1Limit = AcceptFloorFactor*a.FloorHistL1 + AcceptHistogramSlack
	if g.HistL1 > a.HistL1Limit {
		fail("histogram L1 %.4f > %.4f", g.HistL1, a.HistL1Limit)
	}
	if critical {
		if d, e := g.Scalar("Binder U").Diff(); math.Abs(d) > AcceptBinder {
			fail("Binder cumulant differs by %+.4f ± %.4f (> %.2f)", d, e, AcceptBinder)
		}
	} else if d, e := g.Scalar("<m^2>").Diff(); math.Abs(d) > AcceptM2Sigmas*e {
		fail("⟨m²⟩ differs by %+.3g ± %.3g (> %gσ)", d, e, AcceptM2Sigmas)
	}
	for _, sc := range g.Scales {
		r := math.Abs(sc.StdB/sc.StdA - 1)
		sig := math.Abs(sc.StdB-sc.StdA) / math.Hypot(sc.ErrA, sc.ErrB)
		a.WorstStd, a.WorstStdSigmas = math.Max(a.WorstStd, r), math.Max(a.WorstStdSigmas, sig)
		if r > AcceptStdRelative && sig > AcceptStdSigmas {
			fail("%s: std %.4f generated vs %.4f reference (%.1f %%, %.1fσ)", PlaneName(sc.Level, sc.Channel), sc.StdB, sc.StdA, 100*r, sig)
		}
	}
	return a, nil
}

// PlaneName is the name of a plane of the decomposition: φ_j for channel 0,
// φ̄_j,c for the wavelet channels c = 1, 2, 3.
func PlaneName(level, channel int) string {
	if channel == 0 {
		return fmt.Sprintf("φ_%d", level)
	}
	return fmt.Sprintf("φ̄_%d,%d", level, channel)
}
