package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
)

// coupling is one entry K(s) of the reconstructed kernel.
type coupling struct {
	Name     string  `json:"name"`
	S1       int     `json:"s1"`
	S2       int     `json:"s2"`
	Raw      float64 `json:"raw"`          // data units
	Std      float64 `json:"standardized"` // the model's standardized units
	Expected float64 `json:"phi4_expected,omitempty"`
	// RawErr is the bootstrap standard error of Raw (--bootstrap).
	RawErr jsonFloat `json:"raw_bootstrap_err,omitempty"`
}

type potentialRow struct {
	Level   int     `json:"level"`
	Side    int     `json:"side"`
	Lo      float64 `json:"lo"`
	Hi      float64 `json:"hi"`
	MovedT2 float64 `json:"moved_t2"` // a_j of the quadratic moved into K
	MaxDev  float64 `json:"max_dev"`
	RelDev  float64 `json:"rel_dev"` // MaxDev / depth of V_0
	Passes  bool    `json:"vanishes"`
	// Amplitude is c in v̄_{j+1} ≈ c·ṽ_j (wcrg.ScalePotential.Amplitude);
	// null when undefined.
	Amplitude jsonFloat `json:"amplitude"`
	// AmplitudeErr is its bootstrap standard error (--bootstrap).
	AmplitudeErr *jsonFloat `json:"amplitude_bootstrap_err,omitempty"`
	// With a pair potential on φ_j (wcrg.ScalePotential.Pair): the
	// nearest-neighbour coupling q_j moved into K, and the RMS of what is
	// left of the pair interaction, also relative to V_0's depth.
	Pair            bool    `json:"pair"`
	PairCoupling    float64 `json:"pair_coupling"`
	PairResidual    float64 `json:"pair_residual"`
	PairResidualRel float64 `json:"pair_residual_rel"`
	// With --bootstrap (j ≥ 1): the standard error of RelDev over the
	// replicates; the RMS over [Lo, Hi] of the pointwise standard error of
	// V_j's deviation from its quadratic, relative to V_0's depth; and the
	// RMS of the deviation over the RMS of that error (about 1 or less:
	// the deviation is estimation noise).
	RelDevErr     *jsonFloat `json:"rel_dev_bootstrap_err,omitempty"`
	NoiseRel      *jsonFloat `json:"noise_rel,omitempty"`
	SignalToNoise *jsonFloat `json:"signal_to_noise,omitempty"`
}

// quarticFit is V_0(t) ≈ c + a t² + b t⁴ in raw units.
type quarticFit struct {
	A, B, C     float64
	RMS         float64 // of the residual, relative to V_0's range on the grid
	BetaFromK   float64 // −K(e₁)
	BetaFromA   float64 // from a = −(1 + 2β)
	Known       bool
	Beta        float64 `json:",omitempty"` // of the data, when known
	ExpectedA   float64 `json:",omitempty"`
	ExpectedB   float64 `json:",omitempty"`
	Description string
	// Bootstrap standard errors (--bootstrap) of A, B, BetaFromK.
	AErr, BErr, BetaFromKErr, BetaFromAErr jsonFloat `json:",omitempty"`
}

// vanishThreshold is the spec's "V_j ≈ 0" threshold (§10 row 14).
const vanishThreshold = 0.05

// findTrainingData returns the training data of a model: --data, or the
// file recorded in the model (as recorded, then beside the model file).
func findTrainingData(flagValue, modelPath string, m *wcrg.Model) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	f := m.Provenance.File
	if f == "" {
		return "", usagef("--data is required: %s does not record its training file", modelPath)
	}
	if _, err := os.Stat(f); err == nil {
		return f, nil
	}
	alt := filepath.Join(filepath.Dir(modelPath), filepath.Base(f))
	if _, err := os.Stat(alt); err == nil {
		return alt, nil
	}
	return "", usagef("--data is required: the training file %s recorded in %s was not found", f, modelPath)
}

// hamiltonianOptions are the flags that say how a model's H₀ is built.
type hamiltonianOptions struct {
	data             string // training data (default: the model's record)
	crop             bool
	patch, maxFields int
	free             wcrg.FreeSettings
}

// reconstruct loads a model and its training data and assembles its
// microscopic Hamiltonian.
// The fields come back with the number of consecutive fields cut from one
// source field or map (--patch, or the patches per map that 'wcrg lensing
// prep' records), which the bootstrap must resample together.
func reconstruct(ctx context.Context, e *env, modelPath string, o hamiltonianOptions) (*wcrg.Model, *wcrg.Hamiltonian, string, *lattice.Stack, int, error) {
	m, err := wcrg.Load(modelPath)
	if err != nil {
		return nil, nil, "", nil, 0, err
	}
	dpath, err := findTrainingData(o.data, modelPath, m)
	if err != nil {
		return nil, nil, "", nil, 0, err
	}
	st, info, err := readFields(dpath, o.crop, o.patch)
	if err != nil {
		return nil, nil, "", nil, 0, err
	}
	if st.L != m.L {
		return nil, nil, "", nil, 0, fmt.Errorf("%s holds fields of %d×%d; %s was fitted on %d×%d", dpath, st.L, st.L, modelPath, m.L, m.L)
	}
	if m.Provenance.SHA256 != "" && info.SHA256 != m.Provenance.SHA256 {
		e.logf("warning: %s is not the file the model was trained on (sha256 differs from %s's record)", dpath, modelPath)
	}
	if o.maxFields > 0 && o.maxFields < st.N {
		sub := st.Slice(0, o.maxFields)
		st = &sub
	}
	if st.N < 2 {
		return nil, nil, "", nil, 0, fmt.Errorf("%s: %d field(s); the free energies need at least 2", dpath, st.N)
	}
	e.logf("%s: %d×%d, J = %d; free energies on %d fields of %s", modelPath, m.L, m.L, m.Levels, st.N, dpath)
	start := time.Now()
	p := e.progress()
	free, err := wcrg.FitFreeEnergies(ctx, m, *st, o.free,
		func(level int) {
			p.update(true, "free energy F̃_%d (%d×%d) fitted (%s)", level, m.L>>level, m.L>>level, time.Since(start).Round(100*time.Millisecond))
		})
	p.done()
	if err != nil {
		return nil, nil, "", nil, 0, fmt.Errorf("%s: %w", dpath, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, "", nil, 0, err
	}
	h, err := wcrg.BuildHamiltonian(m, free, *st)
	if err != nil {
		return nil, nil, "", nil, 0, err
	}
	e.logf("%s: Hamiltonian assembled in %s", modelPath, time.Since(start).Round(100*time.Millisecond))
	block := 1
	if o.patch > 0 && len(info.Shape) >= 2 {
		r, c := info.Shape[len(info.Shape)-2], info.Shape[len(info.Shape)-1]
		block = (r / o.patch) * (c / o.patch)
	}
	var lf lensingFieldsSidecar
	if fieldio.ReadSidecar(dpath, "wcrg-lab/lensing-fields/v1", &lf) && lf.Maps > 0 && lf.Fields%lf.Maps == 0 {
		block *= lf.Fields / lf.Maps
	}
	return m, h, dpath, st, block, nil
}

func hamiltonianCommand() *command {
	c := &command{
		name:    "hamiltonian",
		args:    "--model MODEL.json",
		summary: "reconstruct the microscopic Hamiltonian of a fitted model: coupling kernel and scale potentials",
		details: `Fits the free energies F̃_j of every conditional by regression of their gradients
on the training data (spec §5.2), then assembles
    −log p(φ) = ½ φᵀKφ + Σ_j Σ_x V_j(φ_j(x)) + const
with one translation-invariant kernel K (zero-mass gauge: Σ_s K(s) = 0, the
difference moved into V_0) and V_0 = v̄_1, V_j = v̄_{j+1} − ṽ_j (the quadratic
part of V_j, j ≥ 1, moved into K). Prints the leading couplings K(s) in the data's
units, and per scale the deviation of V_j (j ≥ 1) from a quadratic relative to the
well depth of V_0 (the spec's "V_j ≈ 0" check at 5 %), and the amplitude c of the
two potentials whose difference V_j is, v̄_{j+1} ≈ c·ṽ_j beyond their quadratic
parts (1 when they cancel). A model with nearest-neighbour pair potentials
('wcrg fit --pair-nodes') gets them in its free energies too (regression route
only); each pair potential on φ_j is split over the data's bonds into on-site
parts (into V_j), a coupling q φ(x)φ(x+e) (into K), and a rest, a pair
interaction H₀'s form does not have, whose RMS is printed beside the scale's
deviation. It also prints how far H₀ written out as K and the V_j is from the
sum of the fitted energies it was assembled from, over the training fields (the
translation average of the quadratic form and the pair rest are what it leaves
out; φ⁴ at β = 0.68, L = 32: 16 % of the energies' spread). For scale-only standardized
(Z₂-symmetric, φ⁴-like) models it fits V_0(t) = c + a t² + b t⁴ in data units and
estimates β = −K(e₁); for data made by 'wcrg generate phi4' it shows the exact
values K = −βΔ, V_0 = t⁴ − (1+2β)t² beside them.

--bootstrap B gives the couplings, the φ⁴ reading, the amplitudes c and the V_j
deviations standard errors: the model, its free energies and H₀ are refitted on
B resamples (with replacement) of as many training fields as the model was
fitted on, each costing a full fit; patches of one field or map are drawn
together (--bootstrap-block). Per scale it adds the standard error of the
deviation, the noise of V_j (RMS of its pointwise standard error, relative to
V_0's depth) and the ratio of the deviation to that noise: about 1 or less
means the deviation of V_j from a quadratic is estimation noise, which grows
at coarse scales (φ_j has 4^−j as many values per field). The potentials
figure gets error bars. φ⁴ at β = 0.68, L = 32, 2000 fields, B = 8 (2 min):
V_4 and V_5 deviate by 39 % and 73 % of the depth with ratios 1.0 and 0.9
(noise), V_1 … V_3 by 5, 23, 29 % with ratios 2.3, 4.3, 2.1.

The training data are --data, or the file recorded in the model. Figures (PNG,
SVG, PDF + CSV) go to --out (default: beside the model, named after it): the
kernel K(s) for |s|∞ ≤ --radius, its Fourier profile K̂(k) along k₁, V_0 in data
units with the quartic fit, and all V_j in standardized units.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		modelPath := fs.String("model", "", "model file from 'wcrg fit' (required)")
		data := fs.String("data", "", "training fields (default: the file recorded in the model)")
		out := fs.String("out", "", "output directory for the figures (default: the model's directory)")
		window := fs.Int("free-window", 8, "half-width of the free energies' quadratic window")
		nodes := fs.Int("free-nodes", 30, "scalar basis nodes of the free energies")
		route := fs.String("free-route", wcrg.RouteRegression, "free energies by 'regression' of their gradients (spec §5.2) or by thermodynamic integration, 'ti' (spec §5.3; small lattices: a cross-check)")
		tiSamples := fs.Int("ti-samples", 200, "with --free-route ti: training fields whose free energy is integrated")
		modelSweeps := fs.Int("free-model-sweeps", 10, "site-by-site MALA sweeps under the model's conditional applied to each training φ̄_j before its gradient enters the free-energy regression, so that it averages over the model's conditional (0: the data's φ̄_j as they are)")
		basis := fs.String("free-basis", energy.BasisHat, "scalar basis of the free energies: "+strings.Join(energy.BasisKinds(), ", "))
		radius := fs.Int("radius", 4, "kernel figure: displacements |s|∞ ≤ radius")
		maxFields := fs.Int("max-fields", 0, "use only the first N training fields (0: all)")
		workers := fs.Int("workers", 0, "goroutines (0: one per core)")
		beside := fs.String("beside", "", "a second model (e.g. φ⁴ beside lensing): also draw both models' V_j in one figure")
		besideData := fs.String("beside-data", "", "training fields of the --beside model (default: the file recorded in it)")
		crop := fs.Bool("crop", false, "crop non-square or non-power-of-two fields (as for the fit)")
		patch := fs.Int("patch", 0, "cut fields into patches of this power-of-two side (as for the fit)")
		boot := fs.Int("bootstrap", 0, "error bars: refit the model (and the --beside model), its free energies and H₀ on this many resamples of the training fields (0: none; each costs a full fit)")
		bootBlock := fs.Int("bootstrap-block", 0, "resample blocks of this many consecutive fields together, e.g. the patches of one map (0: the patches per field of --patch times the patches per map recorded by 'wcrg lensing prep', 1 without either; the --beside model's blocks are always automatic)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			switch {
			case *modelPath == "":
				return usagef("--model is required")
			case *window < 0 || *window > 16:
				return usagef("--free-window %d: want 0 … 16", *window)
			case *nodes < 2 || *nodes > 1000:
				return usagef("--free-nodes %d: want 2 … 1000", *nodes)
			case *route != wcrg.RouteRegression && *route != wcrg.RouteTI:
				return usagef("--free-route %q: want %s or %s", *route, wcrg.RouteRegression, wcrg.RouteTI)
			case *tiSamples < 10:
				return usagef("--ti-samples %d: want ≥ 10", *tiSamples)
			case *radius < 1:
				return usagef("--radius %d: want ≥ 1", *radius)
			case *maxFields < 0:
				return usagef("--max-fields %d: want 0 (all) or a positive count", *maxFields)
			case *workers < 0:
				return usagef("--workers %d: want 0 (one per core) or a positive count", *workers)
			case *boot < 0 || *boot == 1:
				return usagef("--bootstrap %d: want 0 (none) or at least 2 resamples", *boot)
			case *bootBlock < 0:
				return usagef("--bootstrap-block %d: want 0 (automatic) or a positive count", *bootBlock)
			}
			if *beside == "" && *besideData != "" {
				return usagef("--beside-data %s without --beside: give the model the data belong to", *besideData)
			}
			known := false
			for _, k := range energy.BasisKinds() {
				known = known || k == *basis
			}
			if !known {
				return usagef("--free-basis %q: want one of %s", *basis, strings.Join(energy.BasisKinds(), ", "))
			}
			start := time.Now()
			hopt := hamiltonianOptions{data: *data, crop: *crop, patch: *patch, maxFields: *maxFields,
				free: wcrg.FreeSettings{Window: *window, Basis: *basis, Nodes: *nodes, ModelSweeps: noneIfZero(*modelSweeps), Route: *route, TI: wcrg.TISettings{Samples: *tiSamples}, Seed: 1, Workers: *workers}}
			m, h, dpath, st, block, err := reconstruct(ctx, e, *modelPath, hopt)
			if err != nil {
				return err
			}
			// The --beside model is reconstructed, and both bootstraps are
			// planned, before any refit: a bad setting must not cost B fits.
			type besideModel struct {
				m    *wcrg.Model
				h    *wcrg.Hamiltonian
				st   *lattice.Stack
				plan wcrg.BootstrapSettings
			}
			var bes *besideModel
			if *beside != "" {
				bopt := hopt
				bopt.data = *besideData
				m2, h2, _, st2, block2, err := reconstruct(ctx, e, *beside, bopt)
				if err != nil {
					return fmt.Errorf("--beside: %w", err)
				}
				bes = &besideModel{m: m2, h: h2, st: st2}
				if bes.plan, err = planBootstrap(e, *beside, m2, st2, block2, 0, *boot); err != nil {
					return fmt.Errorf("--beside: %w", err)
				}
			}
			plan, err := planBootstrap(e, *modelPath, m, st, block, *bootBlock, *boot)
			if err != nil {
				return err
			}
			reps, err := runBootstrap(ctx, e, *modelPath, m, st, hopt.free, plan)
			if err != nil {
				return err
			}
			spread := func(f func(*wcrg.Hamiltonian) float64) float64 { return wcrg.BootstrapError(reps, f) }

			L := m.L
			s2 := h.Scale * h.Scale
			raw := make([]float64, len(h.Kernel))
			for i, v := range h.Kernel {
				raw[i] = v / s2
			}
			beta, betaKnown := m.Provenance.Beta, m.Provenance.Kind == "phi4" && m.Provenance.Beta > 0
			kt := &table{title: fmt.Sprintf("Coupling kernel K(s) of ½ Σ_x Σ_s K(s) φ(x) φ(x+s) (zero-mass gauge; non-invariance %.2g, mass moved into V_0 %.4g)", h.NonInvariance, h.Mass/s2),
				header: []string{"coupling", "s", "K (data units)", "K (standardized)"}}
			if reps != nil {
				kt.header = append(kt.header, "± (bootstrap)")
			}
			if betaKnown {
				kt.header = append(kt.header, fmt.Sprintf("φ⁴ β = %g", beta))
			}
			var couplings []coupling
			for _, s := range []struct {
				name   string
				s1, s2 int
				phi4   float64 // in units of β
			}{{"K(0)", 0, 0, 4}, {"K(e1)", 1, 0, -1}, {"K(e2)", 0, 1, -1}, {"K(e1+e2)", 1, 1, 0}, {"K(e1−e2)", 1, -1, 0},
				{"K(2e1)", 2, 0, 0}, {"K(2e2)", 0, 2, 0}, {"K(2e1+e2)", 2, 1, 0}, {"K(2e1+2e2)", 2, 2, 0}, {"K(3e1)", 3, 0, 0}} {
				if max(absInt(s.s1), absInt(s.s2)) > L/2 {
					continue
				}
				cp := coupling{Name: s.name, S1: s.s1, S2: s.s2, Raw: h.RawKernelAt(s.s1, s.s2), Std: h.KernelAt(s.s1, s.s2)}
				row := []any{s.name, fmt.Sprintf("(%d,%d)", s.s1, s.s2), cp.Raw, cp.Std}
				if reps != nil {
					cp.RawErr = jsonFloat(spread(func(r *wcrg.Hamiltonian) float64 { return r.RawKernelAt(s.s1, s.s2) }))
					row = append(row, orDash(float64(cp.RawErr)))
				}
				if betaKnown {
					cp.Expected = s.phi4 * beta
					row = append(row, cp.Expected)
				}
				couplings = append(couplings, cp)
				kt.add(row...)
			}

			anyPair := false
			for _, v := range h.Potentials {
				anyPair = anyPair || v.Pair
			}
			pt := &table{title: fmt.Sprintf("Scale potentials V_j (standardized units; V_j ≈ 0 when its deviation from a quadratic is < %.0f %% of V_0's well depth %.4g). Written out as K and the V_j, H₀ differs from the sum of the fitted energies by %.1f %% of the energies' spread between training fields", 100*vanishThreshold, h.Depth, 100*h.FormError),
				header: []string{"j", "side", "range of φ_j", "t² moved into K", "max dev", "dev / depth", "V_j ≈ 0", "v̄_j+1 / ṽ_j"}}
			if anyPair {
				pt.header = append(pt.header, "pair q → K", "pair rest (RMS)", "rest / depth")
				pt.title += "; with pair potentials on φ_j, their on-site parts are in V_j, their bilinear part q φ(x)φ(x+e) in K, and the rest is a pair interaction H₀'s form does not have"
			}
			pairCols := func(r *potentialRow, v wcrg.ScalePotential) []any {
				if !v.Pair {
					if anyPair {
						return []any{"–", "–", "–"}
					}
					return nil
				}
				r.Pair, r.PairCoupling, r.PairResidual = true, v.PairCoupling, v.PairResidual
				if h.Depth > 0 {
					r.PairResidualRel = v.PairResidual / h.Depth
				}
				return []any{v.PairCoupling, v.PairResidual, fmt.Sprintf("%.1f %%", 100*r.PairResidualRel)}
			}
			if reps != nil {
				pt.header = append(pt.header, "± (bootstrap)", "noise / depth", "dev / noise")
				pt.title += fmt.Sprintf("; bootstrap over %d resamples of the training fields: the standard error of dev / depth, the RMS over the range of the pointwise standard error of V_j's deviation (noise), and the RMS deviation over that noise (≲ 1: the deviation is estimation noise)", len(reps))
			}
			bootCols := func(r *potentialRow, v wcrg.ScalePotential) []any {
				if reps == nil {
					return nil
				}
				if v.Level == 0 {
					return []any{"–", "–", "–"}
				}
				j := v.Level
				relErr := jsonFloat(spread(func(b *wcrg.Hamiltonian) float64 { return b.Potentials[j].MaxDev / b.Depth }))
				n, sn := wcrg.PotentialNoise(h, reps, j)
				noise, snr := jsonFloat(n/h.Depth), jsonFloat(sn)
				r.RelDevErr, r.NoiseRel, r.SignalToNoise = &relErr, &noise, &snr
				return []any{percentOrDash(float64(relErr)), percentOrDash(float64(noise)), orDash(math.Round(100*float64(snr)) / 100)}
			}
			var pots []potentialRow
			for _, v := range h.Potentials {
				r := potentialRow{Level: v.Level, Side: L >> v.Level, Lo: v.Lo, Hi: v.Hi, MovedT2: v.Moved[0], MaxDev: v.MaxDev}
				if v.Level == 0 {
					r.Amplitude = jsonFloat(math.NaN())
					row := []any{0, r.Side, fmt.Sprintf("[%s, %s]", fmtFloat(v.Lo), fmtFloat(v.Hi)), "–", "–", "–", "(V_0: depth " + fmtFloat(h.Depth) + ")", "–"}
					row = append(row, pairCols(&r, v)...)
					pt.add(append(row, bootCols(&r, v)...)...)
					pots = append(pots, r)
					continue
				}
				if h.Depth > 0 {
					r.RelDev = v.MaxDev / h.Depth
				}
				r.Passes = h.Depth > 0 && r.RelDev < vanishThreshold
				r.Amplitude = jsonFloat(v.Amplitude)
				amp := "–"
				if !math.IsNaN(v.Amplitude) {
					amp = fmt.Sprintf("%.3f", v.Amplitude)
					if reps != nil {
						j := v.Level
						e := jsonFloat(spread(func(b *wcrg.Hamiltonian) float64 { return b.Potentials[j].Amplitude }))
						r.AmplitudeErr = &e
						if !math.IsNaN(float64(e)) {
							amp += fmt.Sprintf(" ± %.3f", float64(e))
						}
					}
				}
				row := []any{v.Level, r.Side, fmt.Sprintf("[%s, %s]", fmtFloat(v.Lo), fmtFloat(v.Hi)), r.MovedT2, r.MaxDev,
					fmt.Sprintf("%.1f %%", 100*r.RelDev), map[bool]string{true: "yes", false: "no"}[r.Passes], amp}
				row = append(row, pairCols(&r, v)...)
				pt.add(append(row, bootCols(&r, v)...)...)
				pots = append(pots, r)
			}
			tables := []*table{kt, pt}
			result := map[string]any{"model": *modelPath, "data": dpath, "fields": st.N, "L": L, "levels": m.Levels,
				"mean": h.Mean, "scale": h.Scale, "mass": h.Mass / s2, "non_invariance": h.NonInvariance, "depth_v0": h.Depth, "form_error": h.FormError,
				"couplings": couplings, "potentials": pots, "bootstrap_replicates": len(reps)}

			var qf *quarticFit
			if q, ok := fitQuartic(h); ok && m.Settings.Standardize == wcrg.StandardizeScale && m.Provenance.Kind != "lensing" {
				q.BetaFromK = -h.RawKernelAt(1, 0)
				q.BetaFromA = (-q.A - 1) / 2
				q.Description = "V_0(t) ≈ c + a t² + b t⁴ in data units, least squares over [q_0.01, q_0.99] of the data"
				if betaKnown {
					q.Known, q.Beta, q.ExpectedA, q.ExpectedB = true, beta, -(1 + 2*beta), 1
				}
				if reps != nil {
					quartic := func(r *wcrg.Hamiltonian) quarticFit {
						qr, ok := fitQuartic(r)
						if !ok {
							return quarticFit{A: math.NaN(), B: math.NaN()} // left out of the error
						}
						return qr
					}
					q.AErr = jsonFloat(spread(func(r *wcrg.Hamiltonian) float64 { return quartic(r).A }))
					q.BErr = jsonFloat(spread(func(r *wcrg.Hamiltonian) float64 { return quartic(r).B }))
					q.BetaFromKErr = jsonFloat(spread(func(r *wcrg.Hamiltonian) float64 { return -r.RawKernelAt(1, 0) }))
					q.BetaFromAErr = q.AErr / 2
				}
				qf = &q
				ft := &table{title: "φ⁴ reading (data units): V_0(t) ≈ c + a t² + b t⁴, β ≈ −K(e1)",
					header: []string{"quantity", "fitted"}}
				if reps != nil {
					ft.header = append(ft.header, "± (bootstrap)")
				}
				if betaKnown {
					ft.header = append(ft.header, fmt.Sprintf("φ⁴ β = %g", beta))
				}
				add := func(name string, v float64, err jsonFloat, want float64) {
					row := []any{name, v}
					if reps != nil {
						row = append(row, orDash(float64(err)))
					}
					if betaKnown {
						row = append(row, want)
					}
					ft.add(row...)
				}
				add("b (t⁴)", q.B, q.BErr, 1)
				add("a (t²)", q.A, q.AErr, -(1 + 2*beta))
				add("β = −K(e1)", q.BetaFromK, q.BetaFromKErr, beta)
				add("β from a = −(1+2β)", q.BetaFromA, q.BetaFromAErr, beta)
				add("rms residual / range", q.RMS, jsonFloat(math.NaN()), 0)
				tables = append(tables, ft)
				result["phi4"] = q
			}

			// Figures.
			dir := *out
			if dir == "" {
				dir = filepath.Dir(*modelPath)
			}
			files, err := writeHamiltonianFigures(dir, strings.TrimSuffix(filepath.Base(*modelPath), filepath.Ext(*modelPath)), m, h, reps, raw, *radius, qf)
			if err != nil {
				return err
			}
			if bes != nil {
				m2, h2 := bes.m, bes.h
				reps2, err := runBootstrap(ctx, e, *beside, m2, bes.st, hopt.free, bes.plan)
				if err != nil {
					return fmt.Errorf("--beside: %w", err)
				}
				if reps2 != nil {
					type besideNoise struct {
						Level         int       `json:"level"`
						RelDev        jsonFloat `json:"rel_dev"`
						NoiseRel      jsonFloat `json:"noise_rel"`
						SignalToNoise jsonFloat `json:"signal_to_noise"`
					}
					var rows []besideNoise
					for _, p := range h2.Potentials[1:] {
						n, r := wcrg.PotentialNoise(h2, reps2, p.Level)
						row := besideNoise{Level: p.Level, RelDev: jsonFloat(p.MaxDev / h2.Depth), NoiseRel: jsonFloat(n / h2.Depth), SignalToNoise: jsonFloat(r)}
						rows = append(rows, row)
						e.logf("%s: V_%d deviates by %.1f %% of V_0's depth, %.2f times its bootstrap noise", *beside, p.Level, 100*float64(row.RelDev), r)
					}
					result["beside_bootstrap"] = rows
				}
				f, err := writePotentialsBeside(dir, *modelPath, *beside, m, h, reps, m2, h2, reps2)
				if err != nil {
					return err
				}
				files = append(files, f)
			}
			for _, f := range files {
				e.logf("wrote %s", f)
			}
			result["figures"] = files
			result["seconds"] = time.Since(start).Seconds()
			return e.emit(result, tables)
		}
	}
	return c
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// fitQuartic fits c + a t² + b t⁴ to V_0 in data units over its grid; false
// if the fit failed.
func fitQuartic(h *wcrg.Hamiltonian) (quarticFit, bool) {
	p := h.Potentials[0]
	n := len(p.Grid)
	A := mat.NewDense(n, 3, nil)
	y := mat.NewVecDense(n, nil)
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, t := range p.Grid {
		tr := h.Mean + h.Scale*t
		A.SetRow(k, []float64{1, tr * tr, tr * tr * tr * tr})
		y.SetVec(k, p.V[k])
		lo, hi = math.Min(lo, p.V[k]), math.Max(hi, p.V[k])
	}
	var x mat.VecDense
	if err := x.SolveVec(A, y); err != nil {
		return quarticFit{}, false
	}
	q := quarticFit{C: x.AtVec(0), A: x.AtVec(1), B: x.AtVec(2)}
	var ss float64
	for k, t := range p.Grid {
		tr := h.Mean + h.Scale*t
		r := p.V[k] - (q.C + q.A*tr*tr + q.B*tr*tr*tr*tr)
		ss += r * r
	}
	q.RMS = math.Sqrt(ss/float64(n)) / math.Max(hi-lo, 1e-300)
	return q, !math.IsNaN(q.A) && !math.IsNaN(q.B) && !math.IsNaN(q.RMS)
}

// writeHamiltonianFigures writes the kernel, its profile and the potentials.
// With bootstrap replicates, the potentials carry their standard errors as
// error bars on every 20th grid point.
func writeHamiltonianFigures(dir, stem string, m *wcrg.Model, h *wcrg.Hamiltonian, reps []*wcrg.Hamiltonian, raw []float64, radius int, q *quarticFit) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out %s: %w", dir, err)
	}
	L := h.L
	betaKnown := q != nil && q.Known
	kernel := plots.KernelFigure("Coupling kernel K(s), data units", raw, L, radius)

	prof := plots.KernelProfile("K̂(k₁, 0) reconstructed", raw, L)
	prof.Markers = true
	series := []plots.Series{prof}
	if betaKnown {
		th := plots.Series{Name: fmt.Sprintf("φ⁴: β(2 − 2cos k), β = %g", q.Beta), Dashed: true}
		for _, k := range prof.X {
			th.X = append(th.X, k)
			th.Y = append(th.Y, q.Beta*(2-2*math.Cos(k)))
		}
		series = append(series, th)
	}
	profile := plots.LineFigure(plots.Axes{Title: "Kernel in Fourier space along k₁ (data units)", X: "k₁", Y: "K̂(k)"}, series...)

	// V_0 in data units, zero at t = 0.
	p0 := h.Potentials[0]
	v00 := h.RawPotential(0, 0)
	v0 := plots.Series{Name: "V_0 reconstructed"}
	for k, t := range p0.Grid {
		v0.X = append(v0.X, h.Mean+h.Scale*t)
		v0.Y = append(v0.Y, p0.V[k]-v00)
	}
	vs := []plots.Series{v0}
	if q != nil {
		fit := plots.Series{Name: fmt.Sprintf("fit %.3g t² + %.3g t⁴", q.A, q.B), Dashed: true}
		exact := plots.Series{Name: fmt.Sprintf("φ⁴: t⁴ − (1+2β)t², β = %g", q.Beta), Dashed: true}
		for _, t := range v0.X {
			fit.X, fit.Y = append(fit.X, t), append(fit.Y, q.A*t*t+q.B*t*t*t*t)
			exact.X, exact.Y = append(exact.X, t), append(exact.Y, t*t*t*t-(1+2*q.Beta)*t*t)
		}
		vs = append(vs, fit)
		if betaKnown {
			vs = append(vs, exact)
		}
	}
	v0fig := plots.LineFigure(plots.Axes{Title: "Microscopic potential V_0 (data units, V_0(0) = 0)", X: "φ", Y: "V_0(φ) − V_0(0)"}, vs...)

	// All V_j, standardized: V_0 − V_0(0), and for j ≥ 1 the residual after
	// the fitted quadratic (the part that should vanish for φ⁴).
	all := potentialSeries(h, L, "")
	for k, p := range h.Potentials {
		all[k].Dashed = p.Level > 0
		if len(reps) < 2 {
			continue
		}
		c := all[k]
		c.Color = k + 1
		all = append(all, plots.ErrorBars(c, wcrg.PotentialSpread(h, reps, p.Level), 20))
	}
	title := fmt.Sprintf("Scale potentials (standardized units; j ≥ 1: minus the quadratic moved into K), %s J = %d", m.Settings.Wavelet, m.Levels)
	if len(reps) >= 2 {
		title = fmt.Sprintf("V_j (standardized; j ≥ 1: minus their quadratic), %s J = %d, ± bootstrap s.e. (%d)", m.Settings.Wavelet, m.Levels, len(reps))
	}
	potfig := plots.LineFigure(plots.Axes{Title: title,
		X: "t (standardized φ_j)", Y: "V_j(t)"}, all...)

	p := stem + "_hamiltonian_"
	return saveFigures(dir, []namedFigure{{p + "kernel", kernel}, {p + "kernel_profile", profile}, {p + "v0", v0fig}, {p + "potentials", potfig}})
}

// interpAt is linear interpolation of (x, y) at t, clamped to the ends.
func interpAt(x, y []float64, t float64) float64 {
	if len(x) == 0 {
		return 0
	}
	if t <= x[0] {
		return y[0]
	}
	for i := 1; i < len(x); i++ {
		if t <= x[i] {
			f := (t - x[i-1]) / (x[i] - x[i-1])
			return y[i-1] + f*(y[i]-y[i-1])
		}
	}
	return y[len(y)-1]
}

// potentialSeries returns a model's V_j in standardized units as series: V_0
// minus V_0(0), and for j ≥ 1 the residual after the quadratic moved into
// the kernel (the part that vanishes for φ⁴ at criticality).
func potentialSeries(h *wcrg.Hamiltonian, L int, label string) []plots.Series {
	var all []plots.Series
	for _, p := range h.Potentials {
		s := plots.Series{Name: strings.TrimSpace(fmt.Sprintf("%s V_%d (φ_%d, %d×%d)", label, p.Level, p.Level, L>>p.Level, L>>p.Level))}
		off := interpAt(p.Grid, p.V, 0)
		for k, t := range p.Grid {
			v := p.V[k]
			if p.Level == 0 {
				v -= off
			} else {
				v -= p.Moved[1]*t + p.Moved[2]
			}
			s.X, s.Y = append(s.X, t), append(s.Y, v)
		}
		all = append(all, s)
	}
	return all
}

// modelLabel names a model in a legend: its data kind, else its file stem.
func modelLabel(path string, m *wcrg.Model) string {
	switch m.Provenance.Kind {
	case "phi4":
		if m.Provenance.Beta > 0 {
			return fmt.Sprintf("φ⁴ β=%g", m.Provenance.Beta)
		}
		return "φ⁴"
	case "":
		return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return m.Provenance.Kind
}

// writePotentialsBeside draws the V_j of two models in one figure (the
// second dashed, scale j in the same colour in both) for the scales whose
// fields are at least 4×4 (the potentials of 2×2 and 1×1 fields rest on a
// handful of values per field and would set the axis range), and returns
// the files' pattern.
// With bootstrap replicates (repsA, repsB; may be nil) the curves get
// error bars.
func writePotentialsBeside(dir, pathA, pathB string, a *wcrg.Model, ha *wcrg.Hamiltonian, repsA []*wcrg.Hamiltonian, b *wcrg.Model, hb *wcrg.Hamiltonian, repsB []*wcrg.Hamiltonian) (string, error) {
	la, lb := modelLabel(pathA, a), modelLabel(pathB, b)
	if la == lb {
		la, lb = la+" (A)", lb+" (B)"
	}
	var series, bars []plots.Series
	add := func(h *wcrg.Hamiltonian, reps []*wcrg.Hamiltonian, L int, label string, dashed bool) {
		for k, s := range potentialSeries(h, L, label) {
			p := h.Potentials[k]
			if L>>p.Level < 4 {
				continue
			}
			s.Dashed, s.Color = dashed, 1+p.Level
			series = append(series, s)
			if len(reps) >= 2 {
				bars = append(bars, plots.ErrorBars(s, wcrg.PotentialSpread(h, reps, p.Level), 20))
			}
		}
	}
	add(ha, repsA, a.L, la, false)
	add(hb, repsB, b.L, lb, true)
	series = append(series, bars...)
	title := fmt.Sprintf("V_j of %s (solid) and %s (dashed), fields ≥ 4×4", la, lb)
	if bars != nil {
		title += ", ± bootstrap s.e."
	}
	fig := plots.LineFigure(plots.Axes{Title: title,
		X: "t (standardized φ_j)", Y: "V_j(t)"}, series...)
	stem := strings.TrimSuffix(filepath.Base(pathA), filepath.Ext(pathA)) + "_vs_" + strings.TrimSuffix(filepath.Base(pathB), filepath.Ext(pathB))
	files, err := saveFigures(dir, []namedFigure{{stem + "_potentials", fig}})
	if err != nil {
		return "", err
	}
	return files[0], nil
}

// noneIfZero maps a user's 0 ("none") to the engine's −1 (its 0 means the
// default).
func noneIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// percentOrDash formats a fraction as a percentage, or "–" for NaN.
func percentOrDash(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*v)
}

// orDash returns v, or "–" for NaN (an undefined standard error).
func orDash(v float64) any {
	if math.IsNaN(v) {
		return "–"
	}
	return v
}

// planBootstrap returns the bootstrap settings for the model at path:
// B resamples of as many of the fields st as the model was fitted on, in
// blocks of flagBlock fields if set, else of the automatic block (the
// patches of one source field or map). An automatic block that leaves
// fewer than two blocks (one map) falls back to single fields with a
// warning. B = 0 returns zero settings.
func planBootstrap(e *env, path string, m *wcrg.Model, st *lattice.Stack, auto, flagBlock, B int) (wcrg.BootstrapSettings, error) {
	if B == 0 {
		return wcrg.BootstrapSettings{}, nil
	}
	n := st.N
	if c := m.Provenance.Count; c > 0 && c < st.N {
		n = c
	} else if c > st.N {
		e.logf("warning: %s was fitted on %d fields, the bootstrap refits on the %d at hand: its errors are too large", path, c, st.N)
	}
	block := auto
	if flagBlock > 0 {
		block = flagBlock
	} else if auto > 1 && (n/auto < 2 || st.N/auto < 2) {
		e.logf("warning: %s: the %d fields are the patches of one field or map; resampled one by one, their errors are too small (patches of one map are correlated)", path, st.N)
		block = 1
	}
	set := wcrg.BootstrapSettings{Replicates: B, Seed: 1, Fields: n, Block: block}
	if err := set.Validate(st.N); err != nil {
		return set, fmt.Errorf("%s: %w (--bootstrap %d, --bootstrap-block %d)", path, err, B, flagBlock)
	}
	if k := n / max(block, 1); k < 10 {
		e.logf("warning: %s: only %d independent blocks to resample; the errors are rough", path, k)
	}
	e.logf("%s: bootstrap of %d resamples of %d fields (blocks of %d)", path, B, n/max(block, 1)*max(block, 1), max(block, 1))
	return set, nil
}

// runBootstrap refits the model at path on set.Replicates resamples
// (planBootstrap) with progress; nil without replicates.
func runBootstrap(ctx context.Context, e *env, path string, m *wcrg.Model, st *lattice.Stack, free wcrg.FreeSettings, set wcrg.BootstrapSettings) ([]*wcrg.Hamiltonian, error) {
	B := set.Replicates
	if B == 0 {
		return nil, nil
	}
	start := time.Now()
	p := e.progress()
	p.update(true, "bootstrap: refitting on resample 1 of %d", B)
	reps, err := wcrg.BootstrapHamiltonian(ctx, m, *st, free, set,
		func(done int) {
			el := time.Since(start)
			left := time.Duration(float64(el) / float64(done) * float64(B-done))
			p.update(true, "bootstrap: %d of %d resamples refitted (%s, about %s left)", done, B, el.Round(time.Second), left.Round(time.Second))
		})
	p.done()
	if err != nil {
		return nil, fmt.Errorf("%s: bootstrap: %w", path, err)
	}
	return reps, nil
}
