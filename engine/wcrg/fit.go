package wcrg

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// FitProgress reports a fit: which scale is being fitted and how far it
// is. When a scale is finished, Finished holds a copy of its diagnostics
// and Potential a copy of its scalar potential v_j(t) sampled on a grid
// (for live display).
type FitProgress struct {
	Level    int     // scale being fitted: J, …, 1; 0 for the coarsest model
	Levels   int     // J
	Stage    string  // "standardize", "gamma", "score matching", "maximum likelihood", "done"
	Fraction float64 // of the whole fit, by the number of sites of each scale
	ML       *estimate.MLProgress
	Finished *ScaleDiagnostics
	// Potential is v_j on Grid (standardized units) for a finished scale.
	Grid, Potential []float64
	Elapsed         time.Duration
}

// Fit standardizes the fields (a copy), decomposes them and fits every
// scale with the settings' estimator. prov is stored in the model.
func Fit(ctx context.Context, fields lattice.Stack, set Settings, prov Provenance, progress func(FitProgress)) (*Model, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	set = set.withDefaults()
	L := fields.L
	if wavelet.MaxLevels(L) == 0 {
		return nil, fmt.Errorf("wcrg: fields of side %d: the side must be a power of two, at least 2", L)
	}
	if fields.N < 2 {
		return nil, fmt.Errorf("wcrg: %d training fields (want at least 2)", fields.N)
	}
	if len(fields.Data) != fields.N*L*L {
		return nil, fmt.Errorf("wcrg: the training stack holds %d values for %d fields of %d×%d", len(fields.Data), fields.N, L, L)
	}
	J := set.Levels
	if J == 0 {
		J = wavelet.MaxLevels(L)
	}
	if J > wavelet.MaxLevels(L) {
		return nil, fmt.Errorf("wcrg: %d levels for %d×%d fields (at most %d)", J, L, L, wavelet.MaxLevels(L))
	}
	if set.MLFromLevel > J+1 {
		return nil, fmt.Errorf("wcrg: maximum likelihood from level %d, but the fit has %d levels (want 1 … %d, %d for the coarsest model alone, or 0 for none)", set.MLFromLevel, J, J, J+1)
	}
	start := time.Now()
	report := func(p FitProgress) {
		if progress != nil {
			p.Levels = J
			p.Elapsed = time.Since(start)
			progress(p)
		}
	}
	b, _ := wavelet.New(set.Wavelet)
	m := &Model{Settings: set, L: L, Levels: J, Scale: 1, Provenance: prov}
	m.Provenance.Count = fields.N
	if m.Provenance.Created.IsZero() {
		m.Provenance.Created = time.Now().UTC().Truncate(time.Second)
	}

	// Standardize a copy.
	report(FitProgress{Level: J, Stage: "standardize"})
	var std lattice.Stack
	if set.Z2 {
		std = Mirrored(fields)
	} else {
		std = lattice.StackOf(fields.N, L, append([]float64(nil), fields.Data...))
	}
	for _, v := range std.Data {
		if !finite(v) {
			return nil, fmt.Errorf("wcrg: the training data contain %g", v)
		}
	}
	lo, hi := std.Data[0], std.Data[0]
	var big float64 // largest |value|: the moments below are taken in its units
	for _, v := range std.Data {
		lo, hi, big = math.Min(lo, v), math.Max(hi, v), math.Max(big, math.Abs(v))
	}
	if lo == hi {
		return nil, fmt.Errorf("wcrg: the training data are constant (every pixel is %g): there is nothing to fit", lo)
	}
	// Moments in units of the largest value, so that values near 1e±200
	// neither overflow nor underflow.
	var s1, s2 float64
	for _, v := range std.Data {
		s1 += v / big
		s2 += (v / big) * (v / big)
	}
	n := float64(len(std.Data))
	switch set.Standardize {
	case StandardizeScale:
		m.Scale = big * math.Sqrt(s2/n)
	case StandardizeCenterScale:
		// Two passes: the mean, then the spread about it (one pass loses
		// the spread of data whose mean is far larger).
		m.Mean = big * s1 / n
		var d2 float64
		for _, v := range std.Data {
			d := (v - m.Mean) / big
			d2 += d * d
		}
		m.Scale = big * math.Sqrt(d2/n)
	}
	if !(m.Scale > 0) || math.IsInf(m.Scale, 0) {
		return nil, fmt.Errorf("wcrg: the training data's spread (%g … %g) cannot be standardized", lo, hi)
	}
	for i, v := range std.Data {
		std.Data[i] = (v - m.Mean) / m.Scale
	}

	// γ_j.
	report(FitProgress{Level: J, Stage: "gamma"})
	if set.GammaRule == GammaUnit {
		g, err := wavelet.EstimateGamma(b, std, J, set.Workers)
		if err != nil {
			return nil, err
		}
		m.Gamma = g
	} else {
		m.Gamma = make([]float64, J)
		for i := range m.Gamma {
			m.Gamma[i] = 1
		}
	}
	tr, err := wavelet.NewTransform(b, L, J, m.Gamma)
	if err != nil {
		return nil, err
	}

	// Work per scale ∝ its sites, for the progress fraction.
	weight := func(j int) float64 { return float64(int(1) << (2 * (J - j))) }
	var total float64
	for j := 0; j <= J; j++ {
		total += weight(j)
	}
	done := 0.0
	m.Diagnostics = make([]ScaleDiagnostics, J+1)

	// Coarsest scale.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cs := estimate.LevelSamples(tr, std, J+1, set.Workers)
	t0 := time.Now()
	side := L >> J
	if side == 1 {
		basis := basisFor(set.Basis, set, cs.Varying)
		if basis.Kind == energy.BasisNone {
			basis = energy.ScalarBasis{Kind: energy.BasisHat, Nodes: set.Nodes}
			basis = rangeFor(basis, set, cs.Varying)
		}
		d, err := estimate.NewDensity1D(basis)
		if err != nil {
			return nil, err
		}
		nll, err := d.Fit(cs.Varying)
		if err != nil {
			return nil, fmt.Errorf("wcrg: coarsest density: %w", err)
		}
		m.Coarsest = d
		m.Diagnostics[0] = ScaleDiagnostics{Level: 0, Side: 1, Params: len(d.Theta), Estimator: "ml-exact", NLL: nll, Seconds: time.Since(t0).Seconds()}
		grid, pot := densityCurve(d)
		report(FitProgress{Level: 0, Stage: "done", Fraction: weight(0) / total, Finished: &m.Diagnostics[0], Grid: grid, Potential: pot})
	} else {
		e, diag, err := fitScale(ctx, set.forLevel(J+1), cs, func(sb energy.ScalarBasis) (*energy.Model, error) {
			return energy.NewPlain(side, set.Window, sb)
		}, func(p FitProgress) { p.Level = 0; p.Fraction = p.Fraction * weight(0) / total; report(p) })
		if err != nil {
			return nil, fmt.Errorf("wcrg: coarsest %d×%d scale: %w", side, side, err)
		}
		m.CoarsestEnergy = e
		diag.Level, diag.Side = 0, side
		m.Diagnostics[0] = diag
		grid, pot := potentialCurve(e)
		report(FitProgress{Level: 0, Stage: "done", Fraction: weight(0) / total, Finished: &m.Diagnostics[0], Grid: grid, Potential: pot})
	}
	done += weight(0)

	// Conditionals, coarse to fine.
	m.Conditionals = make([]*energy.Model, J)
	for j := J; j >= 1; j-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := estimate.LevelSamples(tr, std, j, set.Workers)
		n := L >> j
		gamma := m.Gamma[j-1]
		base := done
		e, diag, err := fitScale(ctx, set.forLevel(j), s, func(sb energy.ScalarBasis) (*energy.Model, error) {
			return energy.NewConditional(n, set.Window, sb, gamma, b)
		}, func(p FitProgress) {
			p.Level = j
			p.Fraction = (base + p.Fraction*weight(j)) / total
			report(p)
		})
		if err != nil {
			return nil, fmt.Errorf("wcrg: scale %d (%d×%d): %w", j, n, n, err)
		}
		diag.Level, diag.Side = j, n
		diag.DetailStd = channelStd(s, n)
		m.Conditionals[j-1] = e
		m.Diagnostics[j] = diag
		done += weight(j)
		grid, pot := potentialCurve(e)
		report(FitProgress{Level: j, Stage: "done", Fraction: done / total, Finished: &m.Diagnostics[j], Grid: grid, Potential: pot})
	}
	return m, nil
}

// fitScale fits one model with the settings' estimator. newModel builds the
// model for a scalar basis.
func fitScale(ctx context.Context, set Settings, s *estimate.Samples, newModel func(energy.ScalarBasis) (*energy.Model, error), report func(FitProgress)) (*energy.Model, ScaleDiagnostics, error) {
	t0 := time.Now()
	diag := ScaleDiagnostics{Estimator: set.Estimator}
	finalBasis := basisFor(set.Basis, set, s.Fine)
	smProgress := func(p estimate.ScoreProgress) {
		report(FitProgress{Stage: "score matching", Fraction: 0.5 * float64(p.Done) / float64(p.Total)})
	}
	switch set.Estimator {
	case EstimatorSM:
		m, err := newModel(finalBasis)
		if err != nil {
			return nil, diag, err
		}
		res, err := estimate.ScoreMatch(ctx, m, s, estimate.ScoreSettings{Ridge: set.ScoreRidge, Workers: set.Workers}, smProgress)
		if err != nil {
			return nil, diag, err
		}
		diag.ScoreLoss, diag.Cond, diag.CondRaw = res.Loss, res.Cond, res.CondRaw
		diag.Params = m.NumParams()
		diag.Seconds = time.Since(t0).Seconds()
		return m, diag, nil
	case EstimatorML, EstimatorSMML:
		m, err := newModel(finalBasis)
		if err != nil {
			return nil, diag, err
		}
		if set.PairNodes > 0 && m.FineSide() >= PairMinSide {
			if err := m.AddPair(pairBasisFor(set.PairNodes, s.Fine, m.FineSide())); err != nil {
				return nil, diag, err
			}
		}
		if set.Estimator == EstimatorSMML {
			smBasis := finalBasis
			if smBasis.Kind == energy.BasisHat {
				smBasis.Kind = energy.BasisBSpline2
			}
			sm, err := newModel(smBasis)
			if err != nil {
				return nil, diag, err
			}
			res, err := estimate.ScoreMatch(ctx, sm, s, estimate.ScoreSettings{Ridge: set.ScoreRidge, Workers: set.Workers}, smProgress)
			if err != nil {
				return nil, diag, err
			}
			diag.ScoreLoss, diag.Cond, diag.CondRaw = res.Loss, res.Cond, res.CondRaw
			projectInit(m, sm)
		} else {
			whiteInit(m, s)
		}
		mls := set.ML
		mls.Workers = set.Workers
		if mls.Seed == 0 {
			mls.Seed = set.Seed
		}
		res, err := estimate.MaximumLikelihood(ctx, m, s, mls, func(p estimate.MLProgress) {
			report(FitProgress{Stage: "maximum likelihood", Fraction: 0.5 + 0.5*float64(p.Iteration)/float64(max(p.Total, 1)), ML: &p})
		})
		if err != nil {
			return nil, diag, err
		}
		diag.MLIterations, diag.MLConverged, diag.Step = res.Iterations, res.Converged, res.Step
		if set.Z2 {
			// The slope is not identified by the data; for a law symmetric
			// under φ → −φ the energy beyond the data must be the same at
			// both ends. (Skewed data keep the fit's slope: balancing the
			// lognormal convergence maps of TestLognormalGeneration doubled
			// the error of the generated log-density, 0.108 → 0.204.)
			m.BalanceScalarGauge()
		}
		if h := res.History; len(h) > 0 {
			diag.MLChiSquare = h[len(h)-1].ChiSquare
		}
		diag.Params = m.NumParams()
		diag.Seconds = time.Since(t0).Seconds()
		return m, diag, nil
	}
	return nil, diag, fmt.Errorf("unknown estimator %q", set.Estimator)
}

// basisFor returns the scalar basis of the given kind on the data range of
// values: nodes over the [QuantileLo, QuantileHi] quantiles, and a
// rejection interval that also holds every value (so no training value has
// zero probability) with a margin.
func basisFor(kind string, set Settings, values []float64) energy.ScalarBasis {
	if kind == energy.BasisNone {
		return energy.ScalarBasis{Kind: energy.BasisNone}
	}
	return rangeFor(energy.ScalarBasis{Kind: kind, Nodes: set.Nodes}, set, values)
}

// minValuesPerNode caps the number of scalar basis functions by the data:
// a scale whose potential sees v values gets at most v/minValuesPerNode
// nodes (and at least 4), so that small data sets and the coarsest scales,
// with few sites per field, are not over-fitted.
const minValuesPerNode = 50

func rangeFor(b energy.ScalarBasis, set Settings, values []float64) energy.ScalarBasis {
	b.Nodes = max(min(b.Nodes, len(values)/minValuesPerNode), min(b.Nodes, 4))
	v := slices.Clone(values)
	slices.Sort(v)
	b.Lo = lattice.Quantile(v, set.QuantileLo)
	b.Hi = lattice.Quantile(v, set.QuantileHi)
	if !(b.Hi > b.Lo) {
		b.Lo, b.Hi = b.Lo-0.5, b.Lo+0.5
	}
	lo, hi := b.Support()
	// Margin beyond the extreme training values: a node spacing, or a tenth
	// of the data range when that is wider (coarse scales of small data
	// sets see few values, and generated coarse fields may step slightly
	// outside them).
	margin := math.Max(b.Spacing(), 0.1*(v[len(v)-1]-v[0]))
	b.RejectLo = math.Min(lo, v[0]-margin)
	b.RejectHi = math.Max(hi, v[len(v)-1]+margin)
	return b
}

// PairMinSide is the smallest finer field that gets a pair potential
// (Settings.PairNodes): on a 2×2 grid the two neighbours of a site along an
// axis are the same site. (φ⁴ at β = 0.68, L = 32: moving it from 8 to 4,
// so that the 4×4 field also gets one, brought the coarse channels of the
// generated fields from 3.0σ to 1.6σ of the held-out data at φ̄_3.)
const PairMinSide = 4

// pairBasisFor returns a pair basis of k×k nodes spanning the bond means
// and differences of the side×side fields stacked in fine, so that every
// training bond lies inside the grid.
func pairBasisFor(k int, fine []float64, side int) energy.PairBasis {
	b := energy.PairBasis{Nodes: k, SLo: math.Inf(1), SHi: math.Inf(-1), DLo: math.Inf(1), DHi: math.Inf(-1)}
	nn := side * side
	for f := 0; f+nn <= len(fine); f += nn {
		energy.ForEachBond(fine[f:f+nn], side, func(s, d float64, _, _ int) {
			b.SLo, b.SHi = math.Min(b.SLo, s), math.Max(b.SHi, s)
			b.DLo, b.DHi = math.Min(b.DLo, d), math.Max(b.DHi, d)
		})
	}
	if !(b.SHi > b.SLo) {
		b.SLo, b.SHi = b.SLo-0.5, b.SLo+0.5
	}
	if !(b.DHi > b.DLo) {
		b.DLo, b.DHi = b.DLo-0.5, b.DLo+0.5
	}
	return b
}

// projectInit starts a hat model from a fitted smooth model (spec §3.1 step
// 2): the quadratic part is copied and the potential is projected onto the
// hats by its nodal values relative to the last node.
func projectInit(dst, src *energy.Model) {
	copy(dst.Theta, src.Theta[:src.NumQuad()])
	if dst.Scalar.Kind == energy.BasisNone {
		return
	}
	v := src.ScalarPotential()
	last := v.Eval(dst.Scalar.Node(dst.Scalar.Nodes-1), 0)
	a := dst.ScalarCoefficients()
	for k := range a {
		a[k] = v.Eval(dst.Scalar.Node(k), 0) - last
	}
}

// whiteInit sets the model that treats every varying coordinate as
// independent Gaussian with the data's variance per channel: θ = 1/var on
// the δ = 0 same-channel terms, zero elsewhere (spec §3.1 step 2).
func whiteInit(m *energy.Model, s *estimate.Samples) {
	clear(m.Theta)
	n := m.N
	nn := n * n
	var sum2 [3]float64
	for i := 0; i < s.Count; i++ {
		_, x, _ := s.At(i)
		for c := 0; c < m.Channels(); c++ {
			for _, v := range x[c*nn : (c+1)*nn] {
				sum2[c] += v * v
			}
		}
	}
	for i, t := range m.Terms {
		if t.C == t.D && t.S == (energy.Shift{}) {
			v := sum2[t.C-1] / float64(s.Count*nn)
			if v > 0 {
				m.Theta[i] = 1 / v
			}
		}
	}
}

func channelStd(s *estimate.Samples, n int) [3]float64 {
	var out [3]float64
	nn := n * n
	for c := 0; c < 3; c++ {
		var s1, s2 float64
		for i := 0; i < s.Count; i++ {
			_, x, _ := s.At(i)
			for _, v := range x[c*nn : (c+1)*nn] {
				s1 += v
				s2 += v * v
			}
		}
		cnt := float64(s.Count * nn)
		out[c] = math.Sqrt(math.Max(0, s2/cnt-(s1/cnt)*(s1/cnt)))
	}
	return out
}

// potentialCurve samples a model's scalar potential over its basis range.
func potentialCurve(e *energy.Model) (grid, pot []float64) {
	if e.Scalar.Kind == energy.BasisNone {
		return nil, nil
	}
	v := e.ScalarPotential()
	const n = 200
	for i := 0; i < n; i++ {
		t := e.Scalar.Lo + (e.Scalar.Hi-e.Scalar.Lo)*float64(i)/float64(n-1)
		grid = append(grid, t)
		pot = append(pot, v.Eval(t, 0))
	}
	return grid, pot
}

func densityCurve(d *estimate.Density1D) (grid, pot []float64) {
	const n = 200
	for i := 0; i < n; i++ {
		t := d.Basis.Lo + (d.Basis.Hi-d.Basis.Lo)*float64(i)/float64(n-1)
		grid = append(grid, t)
		pot = append(pot, d.Energy(t))
	}
	return grid, pot
}

// forLevel returns the settings for fitting scale j (J+1 for the coarsest
// model): score matching becomes "sm+ml" from MLFromLevel on.
func (s Settings) forLevel(j int) Settings {
	if s.MLFromLevel > 0 && j >= s.MLFromLevel && s.Estimator == EstimatorSM {
		s.Estimator = EstimatorSMML
	}
	return s
}
