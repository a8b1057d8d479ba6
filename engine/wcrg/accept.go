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
	AcceptMeanSigmas     = 3.0  // AcceptZ2: |Δ pixel mean| in combined standard errors
)

// PlaneCheck is the per-scale std criterion on one plane of the
// decomposition.
type PlaneCheck struct {
	Level, Channel int
	StdRef, StdGen float64
	Relative       float64 // |StdGen/StdRef − 1|
	Sigmas         float64 // |StdGen − StdRef| in combined standard errors (+Inf for a difference without error)
	// Margin is min(Relative/AcceptStdRelative, Sigmas/AcceptStdSigmas): the
	// plane fails when it exceeds 1 (or is NaN).
	Margin float64
}

// Passed reports whether the plane meets the criterion.
func (p PlaneCheck) Passed() bool { return p.Margin <= 1 }

// Acceptance is the verdict of the generation acceptance (issue 5): generated
// fields against a reference (held-out) set, each figure judged against its
// noise floor, the same figure between the reference and a slice of the
// training set of the generated set's size.
type Acceptance struct {
	Generated *Comparison   // reference (A) against the generated fields (B)
	Floors    []*Comparison // reference (A) against each disjoint training slice (B)
	// FloorSpectrum and FloorHistL1 are the floors' spectrum error and
	// histogram L1, averaged over the slices: near a critical point one
	// slice is a poor estimate (φ⁴ at β = 0.68, L = 32: histogram L1 floors
	// 0.020, 0.035, 0.034, 0.026 for the four slices of one data set).
	FloorSpectrum, FloorHistL1 float64
	SpectrumLimit, HistL1Limit float64
	SpectrumOK, HistL1OK       bool
	// Critical selects the Binder cumulant criterion (|ΔU| ≤ AcceptBinder);
	// otherwise ⟨m²⟩ is judged (within AcceptM2Sigmas standard errors),
	// because in the disordered phase U ≈ 0 is noise. Scalar is that
	// statistic, FloorScalarDiff its difference averaged over the floors.
	Critical        bool
	Scalar          Statistic
	FloorScalarDiff float64
	ScalarOK        bool
	// Planes holds the per-scale std check of every plane; Tightest indexes
	// the plane with the largest margin. FloorStdFailures counts the floor
	// slices that fail the same criterion against the reference: true data
	// fail it too when the reference set is itself an outlier.
	Planes           []PlaneCheck
	Tightest         int
	StdOK            bool
	FloorStdFailures int
	// Z2 marks a verdict of AcceptZ2: every figure above is of the sets
	// with their mirror images, and Mean (pixel mean of the sets as given)
	// judges the sign balance, MeanOK when within AcceptMeanSigmas.
	Z2       bool
	Mean     Statistic
	MeanOK   bool
	Failures []string // one line per missed criterion; empty when accepted
}

// Passed reports whether every criterion holds.
func (a *Acceptance) Passed() bool { return len(a.Failures) == 0 }

// Accept judges generated fields against reference fields of the same side:
//   - power spectrum max relative error (radial bins with ≥ 16 modes)
//     ≤ max(5 %, 1.5 × floor);
//   - pixel histogram L1 (60 bins over the reference's ±4σ) ≤ 1.5 × floor + 0.01;
//   - critical: the Binder cumulant within 0.03; otherwise ⟨m²⟩ within 2
//     combined standard errors;
//   - the std of φ_j and of every wavelet channel (basis, J levels) within
//     3 %, or within 3 combined jackknife standard errors where the data
//     cannot resolve 3 %.
//
// The floors are the same figures between the reference and each of the
// ⌊train.N/gen.N⌋ disjoint gen.N-field slices of train, averaged; train must
// hold at least gen.N fields. A figure that is not finite fails.
//
// Why 3σ: at β = 0.68, L = 32 the 500-field standard errors of a channel
// std are 1.0–1.5 % at 4×4 and 2–3 % at 2×2. On one data set ('wcrg
// generate phi4 --seed 21'), six sets of 500 true φ⁴ fields (four training
// slices, two independent) differed from the held-out set by up to 7.3 %
// (1.8σ) there, so a bare 3 % bound rejected the true distribution five
// times in six. On the acceptance test's data one of five true sets still
// fails 3σ (5.8 %, 3.7σ at the 4×4 channel, where that held-out set is
// itself low): FloorStdFailures reports such a reference.
func Accept(ref, train, gen lattice.Stack, basis string, J int, critical bool) (*Acceptance, error) {
	return accept(ref, train, gen, basis, J, critical, false)
}

// accept is Accept; pairs marks mirrored stacks (see compare).
func accept(ref, train, gen lattice.Stack, basis string, J int, critical, pairs bool) (*Acceptance, error) {
	if err := checkAcceptStacks(ref, train, gen); err != nil {
		return nil, err
	}
	slices := train.N / gen.N
	g, err := compare(ref, gen, basis, J, pairs)
	if err != nil {
		return nil, err
	}
	judged := false
	for k := 1; k < len(g.SpectrumA.Power); k++ {
		judged = judged || g.judgedBin(k)
	}
	if !judged {
		return nil, errorf("no radial bin of the reference's spectrum has 16 modes (fields of %d×%d): the spectrum criterion cannot be judged", ref.L, ref.L)
	}
	a := &Acceptance{Generated: g, Critical: critical}
	scalarName := "<m^2>"
	if critical {
		scalarName = "Binder U"
	}
	n := gen.N * gen.L * gen.L
	for k := 0; k < slices; k++ {
		f, err := compare(ref, lattice.Stack{N: gen.N, L: gen.L, Data: train.Data[k*n : (k+1)*n]}, basis, J, pairs)
		if err != nil {
			return nil, err
		}
		a.Floors = append(a.Floors, f)
		a.FloorSpectrum += f.SpectrumMaxRelErr / float64(slices)
		a.FloorHistL1 += f.HistL1 / float64(slices)
		d, _ := f.Scalar(scalarName).Diff()
		a.FloorScalarDiff += d / float64(slices)
		for _, sc := range f.Scales {
			if !checkPlane(sc).Passed() {
				a.FloorStdFailures++
				break
			}
		}
	}
	fail := func(format string, v ...any) { a.Failures = append(a.Failures, fmt.Sprintf(format, v...)) }

	a.SpectrumLimit = math.Max(AcceptSpectrumMin, AcceptFloorFactor*a.FloorSpectrum)
	if a.SpectrumOK = g.SpectrumMaxRelErr <= a.SpectrumLimit; !a.SpectrumOK {
		fail("power spectrum max relative error %.4f > %.4f", g.SpectrumMaxRelErr, a.SpectrumLimit)
	}
	a.HistL1Limit = AcceptFloorFactor*a.FloorHistL1 + AcceptHistogramSlack
	if a.HistL1OK = g.HistL1 <= a.HistL1Limit; !a.HistL1OK {
		fail("histogram L1 %.4f > %.4f", g.HistL1, a.HistL1Limit)
	}
	a.Scalar = g.Scalar(scalarName)
	d, e := a.Scalar.Diff()
	if critical {
		if a.ScalarOK = math.Abs(d) <= AcceptBinder; !a.ScalarOK {
			fail("Binder cumulant differs by %+.4f ± %.4f (> %.2f)", d, e, AcceptBinder)
		}
	} else if a.ScalarOK = math.Abs(d) <= AcceptM2Sigmas*e; !a.ScalarOK {
		fail("⟨m²⟩ differs by %+.3g ± %.3g (> %gσ)", d, e, AcceptM2Sigmas)
	}
	a.StdOK = true
	for _, sc := range g.Scales {
		p := checkPlane(sc)
		a.Planes = append(a.Planes, p)
		if !(a.Planes[a.Tightest].Margin >= p.Margin) { // NaN margins win
			a.Tightest = len(a.Planes) - 1
		}
		if !p.Passed() {
			a.StdOK = false
			fail("%s: std %.4f generated vs %.4f reference (%.1f %%, %.1fσ)", PlaneName(sc.Level, sc.Channel), p.StdGen, p.StdRef, 100*p.Relative, p.Sigmas)
		}
	}
	return a, nil
}

// checkAcceptStacks reports stacks that Accept cannot judge: fewer than 2
// fields, data of the wrong length, training fields of another side than
// the reference's, or fewer training than generated fields.
func checkAcceptStacks(ref, train, gen lattice.Stack) error {
	for _, s := range []struct {
		name string
		st   lattice.Stack
	}{{"reference", ref}, {"training", train}, {"generated", gen}} {
		if s.st.N < 2 {
			return errorf("%d %s field(s) (want at least 2)", s.st.N, s.name)
		}
		if len(s.st.Data) != s.st.N*s.st.L*s.st.L {
			return errorf("%s stack holds %d values for %d fields of %d×%d", s.name, len(s.st.Data), s.st.N, s.st.L, s.st.L)
		}
	}
	if train.L != ref.L {
		return errorf("training fields of side %d for reference fields of side %d", train.L, ref.L)
	}
	if train.N < gen.N {
		return errorf("%d training fields cannot give a floor for %d generated fields (want at least as many)", train.N, gen.N)
	}
	return nil
}

// AcceptZ2 is Accept for fields whose law is symmetric under φ → −φ
// (Ising and φ⁴ at zero field). Every set is judged with each field
// followed by its mirror image (Mirrored), so that the sign balance of a finite set drops out
// of the pixel histogram, and the sign balance itself is judged apart: the
// pixel means of ref and gen must agree within AcceptMeanSigmas combined
// jackknife standard errors.
//
// Why: near the critical point most fields are magnetized, and which sign
// a set favours is binomial noise. On dequantized critical Ising fields
// (L = 32, 500 fields, TestIsingDequantized's data) 50.0 % of the held-out
// fields and 52.8 % of the training fields have m > 0, and that alone
// makes the pixel histogram L1 between true sets 0.016–0.046 (floor
// slices), and 0.067 for generated fields with 55.2 % (1.6σ from the
// held-out mean): the unsymmetrized histogram measures the sign count,
// not the shape of the distribution. The other criteria are even in φ and
// change only through the mean subtracted from each plane's std.
func AcceptZ2(ref, train, gen lattice.Stack, basis string, J int, critical bool) (*Acceptance, error) {
	if err := checkAcceptStacks(ref, train, gen); err != nil {
		return nil, err
	}
	plain, err := Compare(ref, gen, basis, J)
	if err != nil {
		return nil, err
	}
	a, err := accept(Mirrored(ref), Mirrored(train), Mirrored(gen), basis, J, critical, true)
	if err != nil {
		return nil, err
	}
	a.Z2 = true
	a.Mean = plain.Scalar("mean")
	d, e := a.Mean.Diff()
	if a.MeanOK = math.Abs(d) <= AcceptMeanSigmas*e; !a.MeanOK {
		a.Failures = append(a.Failures, fmt.Sprintf("pixel mean differs by %+.4g ± %.4g (> %gσ): the generated fields favour one sign", d, e, AcceptMeanSigmas))
	}
	return a, nil
}

// Mirrored returns the fields of s each followed by its mirror image −φ
// (2·s.N fields). The pairs are adjacent: a slice of 2k fields of
// Mirrored(s) from an even index is the mirrored slice of k fields of s,
// and AcceptZ2's jackknife averages each pair into one entry.
func Mirrored(s lattice.Stack) lattice.Stack {
	n := s.L * s.L
	m := lattice.NewStack(2*s.N, s.L)
	for i := 0; i < s.N; i++ {
		f := s.Data[i*n : (i+1)*n]
		copy(m.Data[2*i*n:], f)
		neg := m.Data[(2*i+1)*n : (2*i+2)*n]
		for k, v := range f {
			neg[k] = -v
		}
	}
	return m
}

// checkPlane applies the per-scale std criterion to one plane.
func checkPlane(sc ScaleStatistic) PlaneCheck {
	p := PlaneCheck{Level: sc.Level, Channel: sc.Channel, StdRef: sc.StdA, StdGen: sc.StdB}
	diff := math.Abs(sc.StdB - sc.StdA)
	p.Relative = diff / sc.StdA
	switch e := math.Hypot(sc.ErrA, sc.ErrB); {
	case e > 0:
		p.Sigmas = diff / e
	case diff == 0:
		p.Sigmas = 0
	case diff > 0: // a difference without error
		p.Sigmas = math.Inf(1)
	default:
		p.Sigmas = math.NaN()
	}
	if sc.StdA == 0 && diff == 0 {
		p.Relative = 0
	}
	p.Margin = math.Min(p.Relative/AcceptStdRelative, p.Sigmas/AcceptStdSigmas)
	if math.IsNaN(p.Relative) || math.IsNaN(p.Sigmas) {
		p.Margin = math.NaN()
	}
	return p
}

// PlaneName is the name of a plane of the decomposition: φ_j for channel 0,
// φ̄_j,c for the wavelet channels c = 1, 2, 3.
func PlaneName(level, channel int) string {
	if channel == 0 {
		return fmt.Sprintf("φ_%d", level)
	}
	return fmt.Sprintf("φ̄_%d,%d", level, channel)
}
