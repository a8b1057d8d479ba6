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

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// dataArg returns the data file of a command that takes it either as
// --data (the flag's value) or as its one argument.
func dataArg(flagValue string, args []string) (string, error) {
	path := flagValue
	switch {
	case path == "" && len(args) == 1:
		path = args[0]
	case path != "" && len(args) > 0:
		return "", usagef("unexpected argument %q (the data file is already given by --data)", args[0])
	case len(args) > 1:
		return "", usagef("want one data file, got %d arguments", len(args))
	}
	if path == "" {
		return "", usagef("--data is required")
	}
	return path, nil
}

// readDatasetSidecar returns the JSON sidecar that `wcrg generate` wrote
// beside a data file, when there is one and it describes that file.
func readDatasetSidecar(data string) (*datasetSidecar, bool) {
	var s datasetSidecar
	if !fieldio.ReadSidecar(data, "wcrg-lab/dataset/v1", &s) {
		return nil, false
	}
	return &s, true
}

// checkOutputDir reports, before a long run, an output file whose directory
// does not exist.
func checkOutputDir(flagName, path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--%s %s: directory %s does not exist", flagName, path, dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--%s %s: %s is not a directory", flagName, path, dir)
	}
	return nil
}

// fitRow is one line of the fit table (and of its JSON output).
type fitRow struct {
	wcrg.ScaleDiagnostics
	Gamma float64 `json:"gamma,omitempty"`
}

func fitCommand() *command {
	c := &command{
		name:    "fit",
		args:    "--data FILE --out MODEL.json",
		summary: "fit a WC-RG model (coarsest density + one conditional energy per scale) to a field file",
		details: `Reads the training fields (.npy, FITS, PNG or text; --data or the one argument),
standardizes them, estimates γ_j, decomposes them down to --levels (0: to a 1×1
grid, whose density is fitted exactly), and fits the coarsest model and then each
conditional energy Ē_j from coarse to fine with the chosen estimator:
  sm     closed-form score matching with quadratic B-splines (fast; the default)
  ml     maximum likelihood with persistent MALA chains and hats
  sm+ml  score matching, projected onto hats, refined by maximum likelihood
The --ml-* flags only matter for ml and sm+ml. --pair-nodes K adds to every scale
fitted by maximum likelihood (and whose finer field is at least 4×4) a nearest-
neighbour pair potential w(s, d) on K×K hats over the bond means s and differences
d of that field: it matches the joint histogram of neighbouring values (the shape
of domain walls), which the quadratic + scalar-potential ansatz cannot; for φ⁴ near
β_c use it with --ml-from-level 1 --pair-nodes 12. Generation is up to 4× slower;
'wcrg hamiltonian' splits the pair potentials into on-site parts, a nearest-
neighbour coupling and a reported rest. --z2 fits on every field and its mirror
image −φ, for data whose law is symmetric under φ → −φ, so that the model does not
learn the training set's chance sign balance. Progress per scale goes to stderr;
the model (settings, γ_j, every scale's parameters and diagnostics, and the
data's provenance: file, sha256, count, and β when a 'wcrg generate' sidecar
lies beside the data) is written atomically to --out.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		d := wcrg.DefaultSettings()
		data := fs.String("data", "", "training field file (or give it as the argument)")
		out := fs.String("out", "", "output model file, .json (required)")
		wname := fs.String("wavelet", d.Wavelet, "wavelet: "+strings.Join(wavelet.Names(), ", "))
		levels := fs.Int("levels", d.Levels, "levels J (0: down to a 1×1 coarsest grid)")
		gammaRule := fs.String("gamma", d.GammaRule, "γ_j rule: unit (coarse field keeps its parent's variance) or one")
		standardize := fs.String("standardize", d.Standardize, "standardization: scale (φ/s), center-scale ((φ−μ)/s) or none")
		window := fs.Int("window", d.Window, "half-width n of the quadratic window ((2n+1)² displacements), 0 … 16")
		basis := fs.String("basis", "", "scalar basis: "+strings.Join(energy.BasisKinds(), ", ")+" (default: bspline2 for sm, hat for ml and sm+ml)")
		nodes := fs.Int("nodes", d.Nodes, "scalar basis nodes K (capped at one per 50 data values of a scale)")
		qlo := fs.Float64("quantile-lo", d.QuantileLo, "basis range: lower quantile of the data")
		qhi := fs.Float64("quantile-hi", d.QuantileHi, "basis range: upper quantile of the data")
		estimator := fs.String("estimator", d.Estimator, "estimator: sm, ml or sm+ml")
		pairNodes := fs.Int("pair-nodes", 0, "give every scale fitted by maximum likelihood whose finer field is at least 4×4 a nearest-neighbour pair potential on K×K nodes (0: none; 12 is a good start)")
		z2 := fs.Bool("z2", false, "fit on every field and its mirror image −φ (data symmetric under φ → −φ: Ising, φ⁴ at zero field)")
		mlFrom := fs.Int("ml-from-level", 0, "with --estimator sm: refine the scales j ≥ this level (and a coarsest model larger than 1×1) by maximum likelihood (0: none)")
		ridge := fs.Float64("ridge", 0, "score-matching ridge on the normalized Hessian (0: 1e-7)")
		mlIter := fs.Int("ml-iterations", 300, "ML: maximum Newton iterations T")
		mlBatch := fs.Int("ml-batch", 256, "ML: chains advanced per iteration B")
		mlSteps := fs.Int("ml-steps", 10, "ML: MALA steps per chain and iteration k")
		mlEta := fs.Float64("ml-eta", 0.5, "ML: Newton step size η")
		mlRidge := fs.Float64("ml-ridge", 1e-3, "ML: ridge λ = ridge·tr(Ĥ)/m")
		mlDecay := fs.Float64("ml-decay", 0.1, "ML: weight of each new batch in the running Hessian")
		mlWindow := fs.Int("ml-window", 20, "ML: iterations pooled by the convergence test")
		mlTol := fs.Float64("ml-tol", 1.5, "ML: stop when the pooled χ²/m of the moment mismatch is below this")
		mlStep := fs.Float64("ml-step", 0.1, "ML: initial MALA step δ")
		mlWarmup := fs.Int("ml-warmup", 50, "ML: MALA steps of every chain before the first iteration")
		mlSweeps := fs.Int("ml-sweeps", 0, "ML: site-by-site MALA sweeps per chain and iteration, after the --ml-steps global steps (Ising-like data: 1)")
		mlWarmupSweeps := fs.Int("ml-warmup-sweeps", 0, "ML: site sweeps of every chain after the --ml-warmup steps (Ising-like data: 30)")
		mlMaxStep := fs.Float64("ml-max-step", estimate.DefaultMaxStep, "ML: largest change of a standardized parameter per iteration (with --ml-sweeps: 1)")
		mlMinVisits := fs.Int("ml-min-visits", 3, "ML: advance every chain this many times on average before the descent may stop (Ising-like data: 12)")
		mlAvg := fs.Int("ml-averaging", 0, "ML: iterations averaged after convergence (0: ⌈8n/B⌉, at most 500)")
		seed := fs.Uint64("seed", 1, "random seed (ML chains)")
		workers := fs.Int("workers", 0, "goroutines (0: one per core; results do not depend on it)")
		maxFields := fs.Int("max-fields", 0, "use only the first N fields of the file (0: all)")
		crop := fs.Bool("crop", false, "crop non-square or non-power-of-two fields to the largest power-of-two square")
		patch := fs.Int("patch", 0, "cut fields into patches of this power-of-two side")
		return func(ctx context.Context, e *env, args []string) error {
			path, err := dataArg(*data, args)
			if err != nil {
				return err
			}
			if *out == "" {
				return usagef("--out is required")
			}
			if !strings.EqualFold(filepath.Ext(*out), ".json") {
				return usagef("--out %s: the model file must end in .json", *out)
			}
			set := wcrg.Settings{Wavelet: *wname, Levels: *levels, GammaRule: *gammaRule, Standardize: *standardize,
				Window: *window, Basis: *basis, Nodes: *nodes, QuantileLo: *qlo, QuantileHi: *qhi, Estimator: *estimator, MLFromLevel: *mlFrom, PairNodes: *pairNodes,
				ScoreRidge: *ridge, Z2: *z2, Seed: *seed, Workers: *workers}
			set.ML.Iterations, set.ML.Batch, set.ML.Steps = *mlIter, *mlBatch, *mlSteps
			set.ML.Eta, set.ML.Ridge, set.ML.HessianDecay = *mlEta, *mlRidge, *mlDecay
			set.ML.Window, set.ML.Tolerance, set.ML.InitialStep = *mlWindow, *mlTol, *mlStep
			set.ML.Warmup, set.ML.Averaging = *mlWarmup, *mlAvg
			set.ML.Sweeps, set.ML.WarmupSweeps, set.ML.MaxStep = *mlSweeps, *mlWarmupSweeps, *mlMaxStep
			set.ML.MinVisits = *mlMinVisits
			if err := checkFitFlags(set, *maxFields); err != nil {
				return err
			}
			if err := checkOutputDir("out", *out); err != nil {
				return err
			}
			st, info, err := readFields(path, *crop, *patch)
			if err != nil {
				return err
			}
			L := st.L
			maxJ := wavelet.MaxLevels(L)
			if maxJ == 0 {
				return fmt.Errorf("%s: fields of %d×%d: the side must be a power of two ≥ 2 (try --crop or --patch)", path, L, L)
			}
			if set.Levels > maxJ {
				return usagef("--levels %d: fields of %d×%d allow 1 … %d levels (0: %d)", set.Levels, L, L, maxJ, maxJ)
			}
			total := st.N
			if *maxFields > 0 && *maxFields < st.N {
				sub := st.Slice(0, *maxFields)
				st = &sub
			}
			if st.N < 2 {
				return fmt.Errorf("%s: %d field(s); a fit needs at least 2", path, st.N)
			}
			prov := wcrg.Provenance{File: path, SHA256: info.SHA256}
			if info.Fix != "" {
				prov.Notes = append(prov.Notes, info.Fix)
			}
			if st.N < total {
				prov.Notes = append(prov.Notes, fmt.Sprintf("first %d of the file's %d fields (--max-fields)", st.N, total))
			}
			if sc, ok := readDatasetSidecar(path); ok {
				prov.Kind = sc.Model
				if sc.Model == "phi4" {
					prov.Beta = sc.Beta
				}
				prov.Notes = append(prov.Notes, "data: "+sc.Command)
			}
			var lf lensingFieldsSidecar
			if fieldio.ReadSidecar(path, "wcrg-lab/lensing-fields/v1", &lf) {
				if err := lf.Prep.Validate(); err != nil {
					return fmt.Errorf("%s: %w", fieldio.SidecarPath(path), err)
				}
				prov.Kind, prov.Lensing, prov.PixelArcmin = "lensing", &lf.Prep, lf.PixelArcmin
				prov.Notes = append(prov.Notes, "data: "+lf.Command)
				if !flagSet(fs, "standardize") {
					// Lensing fields are centred and scaled (spec §10, row 18).
					set.Standardize = wcrg.StandardizeCenterScale
				}
			}
			J := set.Levels
			if J == 0 {
				J = maxJ
			}
			e.logf("%s: %d fields of %d×%d (%s); %s, J = %d (coarsest %d×%d), estimator %s",
				path, st.N, L, L, info.Format, set.Wavelet, J, L>>J, L>>J, set.Estimator)

			p := e.progress()
			start := time.Now()
			model, err := wcrg.Fit(ctx, *st, set, prov, func(fp wcrg.FitProgress) {
				if fp.Finished != nil {
					p.done()
					e.logf("%s", fitScaleLine(*fp.Finished, fp.Elapsed))
					return
				}
				scale := fmt.Sprintf("scale %d (%d×%d)", fp.Level, L>>fp.Level, L>>fp.Level)
				if fp.Level == 0 || fp.Stage == "standardize" || fp.Stage == "gamma" {
					scale = fmt.Sprintf("coarsest (%d×%d)", L>>J, L>>J)
					if fp.Stage == "standardize" || fp.Stage == "gamma" {
						scale = "preparing"
					}
				}
				msg := fmt.Sprintf("fit %3.0f%%: %s, %s", 100*fp.Fraction, scale, fp.Stage)
				if fp.ML != nil {
					msg += fmt.Sprintf(" iteration %d/%d, χ²/m %.3g, acceptance %.2f", fp.ML.Iteration, fp.ML.Total, fp.ML.ChiSquare, fp.ML.Acceptance)
				}
				p.update(false, "%s (%s)", msg, fp.Elapsed.Round(time.Second))
			})
			p.done()
			if err != nil {
				return err
			}
			seconds := time.Since(start).Seconds()
			if err := model.Save(*out); err != nil {
				return err
			}
			e.logf("wrote %s (%d parameters)", *out, model.NumParams())
			for _, w := range model.FitWarnings() {
				e.logf("warning: %s", w)
			}

			t := &table{title: fmt.Sprintf("%s → %s: %s, J = %d, estimator %s, %d fields of %d×%d", filepath.Base(path), *out,
				model.Settings.Wavelet, model.Levels, model.Settings.Estimator, st.N, L, L),
				header: []string{"j", "side", "γ_j", "params", "estimator", "score loss", "κ(H)", "ML iter", "ML χ²/m", "NLL", "seconds"}}
			rows := make([]fitRow, 0, model.Levels+1)
			for k := 0; k <= model.Levels; k++ {
				j := 0 // the coarsest model first, then Ē_J … Ē_1
				if k > 0 {
					j = model.Levels + 1 - k
				}
				dg := model.Diagnostics[j]
				r := fitRow{ScaleDiagnostics: dg}
				label := fmt.Sprint(j)
				gamma := "–"
				if j == 0 {
					label = "coarsest"
				} else {
					r.Gamma = model.Gamma[j-1]
					gamma = fmtFloat(r.Gamma)
				}
				rows = append(rows, r)
				t.add(label, dg.Side, gamma, dg.Params, dg.Estimator, dash(dg.ScoreLoss), dash(dg.Cond),
					dashInt(dg.MLIterations, dg.MLConverged), dash(dg.MLChiSquare), dash(dg.NLL), dg.Seconds)
			}
			t.add("total", "", "", model.NumParams(), "", "", "", "", "", "", seconds)
			result := map[string]any{
				"model": *out, "data": map[string]any{"file": path, "sha256": info.SHA256, "count": st.N, "kind": prov.Kind, "beta": prov.Beta},
				"L": L, "levels": model.Levels, "settings": model.Settings, "gamma": model.Gamma, "mean": model.Mean, "scale": model.Scale,
				"scales": rows, "params": model.NumParams(), "seconds": seconds, "warnings": model.FitWarnings(),
			}
			return e.emit(result, []*table{t},
				"(coarsest: the model of φ_J; row j: the conditional energy Ē_j(φ̄_j | φ_j), fitted coarse to fine)")
		}
	}
	return c
}

// checkFitFlags validates the settings with the names of the flags.
func checkFitFlags(s wcrg.Settings, maxFields int) error {
	if _, err := wavelet.New(s.Wavelet); err != nil {
		return usagef("--wavelet %q: %v", s.Wavelet, err)
	}
	switch {
	case s.Levels < 0 || s.Levels > 30:
		return usagef("--levels %d: want 0 (all) or 1 … log₂ L", s.Levels)
	case s.MLFromLevel < 0 || s.MLFromLevel > 30:
		return usagef("--ml-from-level %d: want 0 (none) or 1 … log₂ L", s.MLFromLevel)
	case s.PairNodes != 0 && (s.PairNodes < 2 || s.PairNodes > energy.MaxPairNodes):
		return usagef("--pair-nodes %d: want 0 (none) or 2 … %d", s.PairNodes, energy.MaxPairNodes)
	case s.PairNodes > 0 && s.Estimator == wcrg.EstimatorSM && s.MLFromLevel == 0:
		return usagef("--pair-nodes: pair potentials are fitted by maximum likelihood; use --estimator sm+ml or ml, or --ml-from-level")
	case s.GammaRule != wcrg.GammaUnit && s.GammaRule != wcrg.GammaOne:
		return usagef("--gamma %q: want unit or one", s.GammaRule)
	case s.Standardize != wcrg.StandardizeScale && s.Standardize != wcrg.StandardizeCenterScale && s.Standardize != wcrg.StandardizeNone:
		return usagef("--standardize %q: want scale, center-scale or none", s.Standardize)
	case s.Window < 0 || s.Window > 16:
		return usagef("--window %d: want 0 … 16", s.Window)
	case s.Estimator != wcrg.EstimatorSM && s.Estimator != wcrg.EstimatorML && s.Estimator != wcrg.EstimatorSMML:
		return usagef("--estimator %q: want sm, ml or sm+ml", s.Estimator)
	case s.Nodes < 1 || s.Nodes > 1000:
		return usagef("--nodes %d: want 2 … 1000 (1 … 12 for poly)", s.Nodes)
	case !(s.QuantileLo >= 0 && s.QuantileLo < s.QuantileHi && s.QuantileHi <= 1):
		return usagef("--quantile-lo %g, --quantile-hi %g: want 0 ≤ lo < hi ≤ 1", s.QuantileLo, s.QuantileHi)
	case s.ScoreRidge < 0 || s.ScoreRidge >= 1:
		return usagef("--ridge %g: want 0 ≤ ridge < 1", s.ScoreRidge)
	case maxFields < 0:
		return usagef("--max-fields %d: want 0 (all) or a positive count", maxFields)
	case s.Workers < 0:
		return usagef("--workers %d: want 0 (one per core) or a positive count", s.Workers)
	}
	if s.Basis != "" {
		known := false
		for _, k := range energy.BasisKinds() {
			known = known || k == s.Basis
		}
		if !known {
			return usagef("--basis %q: want one of %s", s.Basis, strings.Join(energy.BasisKinds(), ", "))
		}
		if s.Estimator == wcrg.EstimatorSM && s.Basis == energy.BasisHat {
			return usagef("--basis hat with --estimator sm: score matching needs a basis with a second derivative (use bspline2)")
		}
	}
	ml := s.ML
	switch {
	case ml.Iterations < 1 || ml.Iterations > 1e6:
		return usagef("--ml-iterations %d: want 1 … 1e6", ml.Iterations)
	case ml.Batch < 1:
		return usagef("--ml-batch %d: want ≥ 1", ml.Batch)
	case ml.Steps < 1 || ml.Steps > 1e5:
		return usagef("--ml-steps %d: want 1 … 1e5", ml.Steps)
	case !(ml.Eta > 0 && ml.Eta <= 2):
		return usagef("--ml-eta %g: want 0 < η ≤ 2", ml.Eta)
	case !(ml.Ridge >= 0):
		return usagef("--ml-ridge %g: want ≥ 0", ml.Ridge)
	case !(ml.HessianDecay > 0 && ml.HessianDecay <= 1):
		return usagef("--ml-decay %g: want 0 < decay ≤ 1", ml.HessianDecay)
	case ml.Window < 1:
		return usagef("--ml-window %d: want ≥ 1", ml.Window)
	case !(ml.Tolerance >= 0):
		return usagef("--ml-tol %g: want ≥ 0", ml.Tolerance)
	case !(ml.InitialStep > 0):
		return usagef("--ml-step %g: want > 0", ml.InitialStep)
	case ml.Warmup < 0:
		return usagef("--ml-warmup %d: want ≥ 0", ml.Warmup)
	case ml.Averaging < 0:
		return usagef("--ml-averaging %d: want ≥ 0", ml.Averaging)
	case ml.Sweeps < 0 || ml.Sweeps > 1e4:
		return usagef("--ml-sweeps %d: want 0 … 1e4", ml.Sweeps)
	case ml.WarmupSweeps < 0 || ml.WarmupSweeps > 1e5:
		return usagef("--ml-warmup-sweeps %d: want 0 … 1e5", ml.WarmupSweeps)
	case !(ml.MaxStep > 0) || math.IsInf(ml.MaxStep, 0):
		return usagef("--ml-max-step %g: want > 0", ml.MaxStep)
	case ml.MinVisits < 1 || ml.MinVisits > 1e4:
		return usagef("--ml-min-visits %d: want 1 … 1e4", ml.MinVisits)
	}
	if err := s.Validate(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// fitScaleLine describes a finished scale for the progress log.
func fitScaleLine(d wcrg.ScaleDiagnostics, elapsed time.Duration) string {
	name := fmt.Sprintf("scale %d (%d×%d)", d.Level, d.Side, d.Side)
	if d.Level == 0 {
		name = fmt.Sprintf("coarsest (%d×%d)", d.Side, d.Side)
	}
	msg := fmt.Sprintf("%s: %d parameters, %s", name, d.Params, d.Estimator)
	if d.ScoreLoss != 0 {
		msg += fmt.Sprintf(", score loss %.4g, κ %.3g", d.ScoreLoss, d.Cond)
	}
	if d.MLIterations > 0 {
		msg += fmt.Sprintf(", %d ML iterations (converged %v, χ²/m %.3g)", d.MLIterations, d.MLConverged, d.MLChiSquare)
	}
	if d.NLL != 0 {
		msg += fmt.Sprintf(", NLL %.4g", d.NLL)
	}
	return msg + fmt.Sprintf(", %.2f s (total %s)", d.Seconds, elapsed.Round(100*time.Millisecond))
}

// dash formats v, or "–" for 0 (not applicable).
func dash(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmtFloat(v)
}

func dashInt(n int, converged bool) string {
	if n == 0 {
		return "–"
	}
	if !converged {
		return fmt.Sprintf("%d (not converged)", n)
	}
	return fmt.Sprint(n)
}
