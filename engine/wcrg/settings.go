// Package wcrg is the WC-RG pipeline: it standardizes a data set, splits it
// into scales with a renormalized wavelet transform, fits the coarsest
// density and every conditional energy, saves and loads models, and
// samples new fields from coarse to fine (spec §1–§4).
package wcrg

import (
	"fmt"
	"math"
	"strings"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// Estimators (spec §10, row 7).
const (
	EstimatorSM   = "sm"    // closed-form score matching with quadratic B-splines
	EstimatorML   = "ml"    // maximum likelihood with hats, started from a white-noise model
	EstimatorSMML = "sm+ml" // score matching, projected onto hats, refined by maximum likelihood
)

// γ rules (spec §1.4, §10 row 2).
const (
	GammaUnit = "unit" // γ_j² = Var(Gφ_{j−1})/Var(φ_{j−1}), estimated from the data
	GammaOne  = "one"  // γ_j = 1 (the reference code)
)

// Standardization modes (spec §0, §10 row 18).
const (
	StandardizeScale       = "scale"        // φ = φ_raw/s (keeps the Z₂ symmetry of φ⁴)
	StandardizeCenterScale = "center-scale" // φ = (φ_raw − μ)/s (lensing)
	StandardizeNone        = "none"
)

// Settings are every choice of a fit; they are recorded in the model file.
type Settings struct {
	Wavelet     string  `json:"wavelet"`     // basis name, default "db4"
	Levels      int     `json:"levels"`      // J; 0 means log₂ L (a 1×1 coarsest grid)
	GammaRule   string  `json:"gamma_rule"`  // "unit" (default) or "one"
	Standardize string  `json:"standardize"` // "scale" (default), "center-scale" or "none"
	Window      int     `json:"window"`      // half-width n of the quadratic window, default 4 (9×9)
	Basis       string  `json:"basis"`       // scalar basis; "" means the estimator's default
	Nodes       int     `json:"nodes"`       // basis nodes K, default 30 (capped at one per 50 data values of a scale)
	QuantileLo  float64 `json:"quantile_lo"` // basis range lower quantile, default 0.001
	QuantileHi  float64 `json:"quantile_hi"` // basis range upper quantile, default 0.999
	Estimator   string  `json:"estimator"`   // "sm" (default), "ml" or "sm+ml"
	// MLFromLevel, when > 0 and the estimator is "sm", refines the scales
	// j ≥ MLFromLevel (and a coarsest model larger than 1×1) by maximum
	// likelihood after score matching ("sm+ml"): there the ansatz is most
	// misspecified and score matching alone gives conditionals that are too
	// broad, while maximum likelihood matches the quadratic moments, and
	// those scales are small enough for its MCMC to be cheap.
	MLFromLevel int `json:"ml_from_level,omitempty"`
	// PairNodes, when > 0, gives every scale fitted by maximum likelihood
	// whose finer field is at least PairMinSide wide a nearest-neighbour pair
	// potential w(s, d) on that field (energy.PairBasis): PairNodes ×
	// PairNodes hats over the data's range of bond means s and differences
	// d. It lets a conditional match the joint histogram of neighbouring
	// values, and with it the shape of domain walls, beyond the quadratic +
	// scalar-potential ansatz. 0 (the default) means none.
	PairNodes int `json:"pair_nodes,omitempty"`
	// Z2, for data whose law is symmetric under φ → −φ (Ising, φ⁴ at zero
	// field), fits on every field and its mirror image −φ (Mirrored): the
	// model is then symmetric up to the estimator's noise instead of
	// learning the training set's chance sign balance (near β_c most
	// fields are magnetized, and 2000 critical Ising fields had 52.8 % of
	// them positive). Score matching costs twice as much; maximum
	// likelihood keeps its cost per iteration but visits each chain half
	// as often.
	Z2 bool `json:"z2,omitempty"`

	ScoreRidge float64             `json:"score_ridge"`
	ML         estimate.MLSettings `json:"ml"`
	Seed       uint64              `json:"seed"`
	Workers    int                 `json:"-"`
}

// DefaultSettings returns the project's defaults (spec §10).
func DefaultSettings() Settings {
	return Settings{
		Wavelet: "db4", GammaRule: GammaUnit, Standardize: StandardizeScale, Window: 4,
		Nodes: 30, QuantileLo: 0.001, QuantileHi: 0.999, Estimator: EstimatorSM,
	}
}

// IsingSettings returns the fit settings of WC-RG's route for Ising spins
// dequantized by ising.Dequantize (TestIsingDequantized measures it): Haar
// wavelets, so that φ_1 is Kadanoff's block spin; every field and its
// mirror image (Z2); maximum likelihood at every scale (MLFromLevel 1)
// with 12×12 pair potentials; ML chains relaxed by site sweeps (one per
// iteration, 30 in the warm-up) with a largest standardized step of 1, at
// least 12 visits of every chain before the descent may stop (the coarse
// scales' equilibrium moves for that long) and up to 1000 iterations.
func IsingSettings() Settings {
	s := DefaultSettings()
	s.Wavelet, s.Z2 = "haar", true
	s.MLFromLevel, s.PairNodes = 1, 12
	s.ML.Sweeps, s.ML.WarmupSweeps, s.ML.MaxStep, s.ML.Iterations = 1, 30, 1, 1000
	s.ML.MinVisits = 12
	return s
}

// withDefaults fills zero values.
func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	if s.Wavelet == "" {
		s.Wavelet = d.Wavelet
	}
	if s.GammaRule == "" {
		s.GammaRule = d.GammaRule
	}
	if s.Standardize == "" {
		s.Standardize = d.Standardize
	}
	if s.Nodes == 0 {
		s.Nodes = d.Nodes
	}
	if s.QuantileLo == 0 && s.QuantileHi == 0 {
		s.QuantileLo, s.QuantileHi = d.QuantileLo, d.QuantileHi
	}
	if s.Estimator == "" {
		s.Estimator = d.Estimator
	}
	if s.Basis == "" {
		s.Basis = energy.BasisBSpline2
		if s.Estimator != EstimatorSM {
			s.Basis = energy.BasisHat
		}
	}
	return s
}

// Validate reports settings that cannot be used, naming the setting.
func (s Settings) Validate() error {
	s = s.withDefaults()
	if _, err := wavelet.New(s.Wavelet); err != nil {
		return err
	}
	if s.PairNodes != 0 && (s.PairNodes < 2 || s.PairNodes > energy.MaxPairNodes) {
		return fmt.Errorf("wcrg: pair potential with %d nodes per axis (want 0 for none, or 2 … %d)", s.PairNodes, energy.MaxPairNodes)
	}
	if s.PairNodes > 0 && s.Estimator == EstimatorSM && s.MLFromLevel == 0 {
		return fmt.Errorf("wcrg: pair potentials are fitted by maximum likelihood: use the estimator sm+ml or ml, or an ML-from level")
	}
	if s.MLFromLevel < 0 || s.MLFromLevel > 30 {
		return fmt.Errorf("wcrg: ML-from level %d (want 0 for none, or 1 … log₂ L)", s.MLFromLevel)
	}
	if s.Levels < 0 || s.Levels > 30 {
		return fmt.Errorf("wcrg: levels %d (want 0 for all, or 1 … log₂ L)", s.Levels)
	}
	switch s.GammaRule {
	case GammaUnit, GammaOne:
	default:
		return fmt.Errorf("wcrg: unknown γ rule %q (want %q or %q)", s.GammaRule, GammaUnit, GammaOne)
	}
	switch s.Standardize {
	case StandardizeScale, StandardizeCenterScale, StandardizeNone:
	default:
		return fmt.Errorf("wcrg: unknown standardization %q (want scale, center-scale or none)", s.Standardize)
	}
	if s.Window < 0 || s.Window > 16 {
		return fmt.Errorf("wcrg: window half-width %d (want 0 … 16)", s.Window)
	}
	known := false
	for _, k := range energy.BasisKinds() {
		known = known || k == s.Basis
	}
	if !known {
		return fmt.Errorf("wcrg: unknown scalar basis %q (want one of %s)", s.Basis, strings.Join(energy.BasisKinds(), ", "))
	}
	if s.Basis != energy.BasisNone {
		if err := (energy.ScalarBasis{Kind: s.Basis, Nodes: s.Nodes, Lo: 0, Hi: 1}).Validate(); err != nil {
			return err
		}
	}
	if !(s.QuantileLo >= 0 && s.QuantileLo < s.QuantileHi && s.QuantileHi <= 1) {
		return fmt.Errorf("wcrg: basis quantile range [%g, %g] (want 0 ≤ lo < hi ≤ 1)", s.QuantileLo, s.QuantileHi)
	}
	switch s.Estimator {
	case EstimatorSM:
		if s.Basis == energy.BasisHat {
			return fmt.Errorf("wcrg: score matching needs a scalar basis with a second derivative; hats have none (use %q)", energy.BasisBSpline2)
		}
	case EstimatorML, EstimatorSMML:
	default:
		return fmt.Errorf("wcrg: unknown estimator %q (want sm, ml or sm+ml)", s.Estimator)
	}
	if s.ScoreRidge < 0 || s.ScoreRidge >= 1 || math.IsNaN(s.ScoreRidge) {
		return fmt.Errorf("wcrg: score-matching ridge %g (want 0 ≤ ridge < 1)", s.ScoreRidge)
	}
	return s.ML.Validate()
}
