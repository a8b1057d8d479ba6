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

	"github.com/wcrglab/wcrg/engine/atomicfile"
	"github.com/wcrglab/wcrg/engine/experiment"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/plots"
)

func basesCommand() *command {
	c := &command{
		name:    "compare-bases",
		args:    "--data FILE",
		summary: "fit the finest conditional with several wavelet bases and compare locality, loss and mixing",
		details: `Reads the fields (.npy, FITS, PNG or text), splits them at random (--seed) into a
training and a held-out part (--train), and for each basis of --bases fits only the
finest conditional Ē_1(φ̄_1 | φ_1) by score matching with the same window and
settings. Per basis it reports:
  decay>2    fraction of the squared norm of the learned couplings between distinct
             coefficients (φ_1–φ̄_1 and φ̄_1–φ̄_1, self terms excluded) at a distance
             greater than 2 coarse lattice spacings; the distance is measured between
             the energy centres of the coefficients' wavelet atoms (for db4 the
             high-pass atoms sit 2.04 spacings from the low-pass ones along their
             high-pass axis; "index" uses the index shift |s| instead)
  same-ch    the same for the same-channel couplings φ̄^c–φ̄^c alone
  NN ref     the same two fractions for the exact couplings of a nearest-neighbour
             kinetic term Ḡ(−Δ)Ḡᵀ, Ḡ(−Δ)Gᵀ in the window (β times these are the φ⁴
             couplings at j = 1): what the basis needs, whatever the data
  loss       held-out (and training) score-matching loss per detail coordinate, in
             units of the standardized field (loss per field / (3n²γ_1²)); lower is
             better, but the true conditional's own constant differs between bases
  κ_F        condition number over coarse frequencies of the mean Hessian
             E[∇²Ē_1] (quadratic part plus γ²⟨v̄''⟩); κ_SM that of the normalized
             score-matching system
  τ_int      integrated autocorrelation time, in MALA steps, of Ē_1 along
             conditional MALA chains at held-out φ_1 (δ adapted to acceptance 0.57)
With --out DIR it writes DIR/bases.csv (the table), DIR/bases.json (settings and
full results) and two figures as PNG, SVG and PDF with their numbers as CSV:
bases_tail (log₁₀ of the fraction of the coupling norm beyond distance r;
dashed: the nearest-neighbour reference) and bases_spectrum (eigenvalues of the
mean Hessian over all frequencies, largest first, relative to the largest).`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		d := experiment.DefaultBasesSettings()
		data := fs.String("data", "", "field file (required; or give it as the argument)")
		bases := fs.String("bases", strings.Join(d.Bases, ","), "comma-separated wavelets: "+strings.Join(wavelet.Names(), ", "))
		window := fs.Int("window", d.Window, "half-width n of the quadratic window ((2n+1)² shifts), 0 … 16")
		train := fs.Float64("train", d.Train, "fraction of the fields used for fitting; the rest is held out")
		nodes := fs.Int("nodes", d.Nodes, "scalar basis nodes K (quadratic B-splines)")
		gammaRule := fs.String("gamma", d.GammaRule, "γ_1 rule: unit or one")
		chains := fs.Int("chains", d.Chains, "relaxation: chains, each at one held-out φ_1")
		adapt := fs.Int("adapt", d.Adapt, "relaxation: MALA steps adapting δ (not recorded), ≥ 50")
		steps := fs.Int("steps", d.Steps, "relaxation: recorded MALA steps per chain")
		seed := fs.Uint64("seed", d.Seed, "random seed (split and chains)")
		workers := fs.Int("workers", 0, "goroutines (0: one per core; results do not depend on it)")
		maxFields := fs.Int("max-fields", 0, "use only the first N fields of the file (0: all)")
		out := fs.String("out", "", "output directory for bases.csv, bases.json and the figures (created if missing)")
		return func(ctx context.Context, e *env, args []string) error {
			path, err := dataArg(*data, args)
			if err != nil {
				return err
			}
			set := experiment.BasesSettings{Window: *window, Train: *train, Nodes: *nodes, GammaRule: *gammaRule,
				Chains: *chains, Adapt: *adapt, Steps: *steps, Seed: *seed, Workers: *workers}
			for _, b := range strings.Split(*bases, ",") {
				if b = strings.TrimSpace(b); b != "" {
					set.Bases = append(set.Bases, b)
				}
			}
			if len(set.Bases) == 0 {
				return usagef("--bases %q: name at least one wavelet", *bases)
			}
			if *maxFields < 0 {
				return usagef("--max-fields %d: want 0 (all) or a positive count", *maxFields)
			}
			// The settings take 0 for their default; on the command line a
			// typed 0 is a mistake, not a request for the default.
			switch {
			case !(*train > 0 && *train < 1):
				return usagef("--train %g: want a fraction between 0 and 1", *train)
			case *chains < 1:
				return usagef("--chains %d: want at least 1", *chains)
			case *adapt < 50:
				return usagef("--adapt %d: want at least 50", *adapt)
			case *steps < 1:
				return usagef("--steps %d: want at least 1", *steps)
			case *nodes < 1 || *window < 0:
				return usagef("--nodes %d, --window %d: want a positive count and a half-width ≥ 0", *nodes, *window)
			}
			if err := set.Validate(); err != nil {
				return usagef("%s", strings.TrimPrefix(err.Error(), "experiment: "))
			}
			st, info, err := readFields(path, false, 0)
			if err != nil {
				return err
			}
			if *maxFields > 0 && *maxFields < st.N {
				sub := st.Slice(0, *maxFields)
				st = &sub
			}
			if *out != "" {
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return fmt.Errorf("--out %s: %w", *out, err)
				}
			}
			e.logf("%s: %d fields of %d×%d (%s); bases %s, window %d×%d, train %.0f%%",
				path, st.N, st.L, st.L, info.Format, strings.Join(set.Bases, ", "), 2*set.Window+1, 2*set.Window+1, 100*set.Train)
			p := e.progress()
			start := time.Now()
			res, err := experiment.CompareBases(ctx, *st, set, func(bp experiment.BasesProgress) {
				if bp.Finished != nil {
					p.done()
					r := bp.Finished
					e.logf("%s: decay>2 %.4f, held-out loss %.5f, κ_F %.3g, τ_int %.3g ± %.2g steps (%.1f s)",
						r.Basis, r.Decay, r.TestLoss, r.CondFourier, r.Tau, r.TauErr, r.Seconds)
					return
				}
				p.update(false, "compare-bases %3.0f%%: %s (%d/%d), %s (%s)", 100*bp.Fraction, bp.Basis, bp.Index+1, bp.Count,
					bp.Stage, bp.Elapsed.Round(time.Second))
			})
			p.done()
			if err != nil {
				return err
			}
			seconds := time.Since(start).Seconds()
			t := basesTable(res)
			t.title = fmt.Sprintf("%s: finest conditional Ē_1 (%d×%d details) by score matching, window %d×%d, %d training / %d held-out fields",
				filepath.Base(path), st.L/2, st.L/2, 2*set.Window+1, 2*set.Window+1, res[0].Train, res[0].Test)
			result := map[string]any{
				"data":     map[string]any{"file": path, "sha256": info.SHA256, "count": st.N, "L": st.L},
				"settings": basesSettingsJSON(set),
				"results":  res, "decay_radius": experiment.DecayRadius, "seconds": seconds,
			}
			if *out != "" {
				files, err := writeBasesOutputs(*out, res, result)
				if err != nil {
					return err
				}
				for _, f := range files {
					e.logf("wrote %s", f)
				}
			}
			return e.emit(result, []*table{t},
				"(decay>2, same-ch: fraction of the squared coupling norm beyond 2 coarse spacings; NN ref: the same for the exact",
				" nearest-neighbour couplings; loss per detail coordinate in standardized field units; κ_F: mean Hessian over",
				" frequencies; τ_int: conditional MALA steps. See 'wcrg help compare-bases'.)")
		}
	}
	return c
}

// basesSettingsJSON returns the settings with their defaults filled in.
func basesSettingsJSON(s experiment.BasesSettings) map[string]any {
	d := experiment.DefaultBasesSettings()
	pick := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	gamma := s.GammaRule
	if gamma == "" {
		gamma = d.GammaRule
	}
	return map[string]any{"bases": s.Bases, "window": s.Window, "train": s.Train, "nodes": pick(s.Nodes, d.Nodes),
		"gamma_rule": gamma, "chains": pick(s.Chains, d.Chains), "adapt": pick(s.Adapt, d.Adapt),
		"steps": pick(s.Steps, d.Steps), "seed": s.Seed, "estimator": "sm"}
}

// basesTable is the printed table of the study.
func basesTable(res []experiment.BasisResult) *table {
	t := &table{header: []string{"basis", "γ_1", "params", "decay>2", "index", "same-ch", "NN ref", "NN same",
		"held-out loss", "train loss", "κ_F", "κ_SM", "τ_int", "±", "δ", "accept", "seconds"}}
	for _, r := range res {
		tau := fmtFloat(r.Tau)
		if !r.TauReliable {
			tau += " (?)"
		}
		t.add(r.Basis, r.Gamma, r.Params, r.Decay, r.DecayIndex, r.DecaySame, r.RefDecay, r.RefDecaySame,
			r.TestLoss, r.TrainLoss, dash(r.CondFourier), dash(r.CondSM), tau, r.TauErr, r.Delta, r.Acceptance, r.Seconds)
	}
	return t
}

// basesCSV is the table of the study with full precision.
func basesCSV(res []experiment.BasisResult) *plots.Table {
	t := &plots.Table{Header: []string{"basis", "L", "window", "train_fields", "test_fields", "gamma", "params",
		"decay", "decay_index", "decay_same", "ref_decay", "ref_decay_same", "test_loss", "train_loss",
		"mean_curvature", "eig_min", "eig_max", "cond_fourier", "ref_cond", "cond_sm",
		"tau", "tau_err", "tau_reliable", "delta", "acceptance", "seed", "seconds"}}
	for _, r := range res {
		t.AddRow(r.Basis, r.L, r.Window, r.Train, r.Test, r.Gamma, r.Params,
			r.Decay, r.DecayIndex, r.DecaySame, r.RefDecay, r.RefDecaySame, r.TestLoss, r.TrainLoss,
			r.MeanCurvature, r.EigMin, r.EigMax, r.CondFourier, r.RefCond, r.CondSM,
			r.Tau, r.TauErr, fmt.Sprint(r.TauReliable), r.Delta, r.Acceptance, fmt.Sprint(r.Seed), r.Seconds)
	}
	return t
}

// basesFigures returns the coupling-tail and Hessian-spectrum figures.
func basesFigures(res []experiment.BasisResult) (tail, spectrum *plots.Figure) {
	var ss []plots.Series
	for i, r := range res {
		s := plots.Series{Name: r.Basis, Color: i + 1}
		n := len(r.Eigenvalues)
		for k := range r.Eigenvalues {
			s.X = append(s.X, float64(k)/float64(max(n-1, 1)))
			s.Y = append(s.Y, r.Eigenvalues[n-1-k]/r.EigMax)
		}
		ss = append(ss, s)
	}
	tail = basesTailFigure(res)
	spectrum = plots.LineFigure(plots.Axes{Title: "Mean Hessian of Ē_1 in φ̄_1 over all coarse frequencies",
		X: "rank, largest first / (3n² − 1)", Y: "λ / λ_max (smallest: 1/κ_F)", LegendBottom: true}, ss...)
	spectrum.Name = "bases_spectrum"
	return tail, spectrum
}

// basesTailFigure draws log₁₀ of the fraction of the squared coupling norm
// beyond a distance r, per basis, with the nearest-neighbour reference
// dashed. Fractions below 1e-6 (rounding of the last couplings) are left
// out.
func basesTailFigure(res []experiment.BasisResult) *plots.Figure {
	var series []plots.Series
	for i, r := range res {
		for _, ref := range []bool{false, true} {
			s := plots.Series{Name: r.Basis, Markers: true, Color: i + 1}
			pts := r.Tail
			if ref {
				s = plots.Series{Name: r.Basis + " (nearest-neighbour)", Dashed: true, Color: i + 1}
				pts = r.RefTail
			}
			for _, p := range pts {
				if p.Tail >= 1e-6 {
					s.X, s.Y = append(s.X, p.Distance), append(s.Y, math.Log10(p.Tail))
				}
			}
			series = append(series, s)
		}
	}
	w := 0
	if len(res) > 0 {
		w = res[0].Window
	}
	f := plots.LineFigure(plots.Axes{Title: fmt.Sprintf("Coupling tails of Ē_1 (window %d×%d); decay = tail at r = %g", 2*w+1, 2*w+1, experiment.DecayRadius),
		X: "distance r (coarse lattice spacings)", Y: "log₁₀ fraction of squared coupling norm beyond r", LegendBottom: true}, series...)
	f.Name = "bases_tail"
	return f
}

// writeBasesOutputs writes bases.csv, bases.json and the figures into dir
// and returns what it wrote.
func writeBasesOutputs(dir string, res []experiment.BasisResult, result any) ([]string, error) {
	csvPath := filepath.Join(dir, "bases.csv")
	if err := atomicfile.Write(csvPath, basesCSV(res).WriteCSV); err != nil {
		return nil, fmt.Errorf("%s: %w", csvPath, err)
	}
	jsonPath := filepath.Join(dir, "bases.json")
	if err := writeJSON(jsonPath, result); err != nil {
		return nil, fmt.Errorf("%s: %w", jsonPath, err)
	}
	files := []string{csvPath, jsonPath}
	tail, spec := basesFigures(res)
	for _, f := range []*plots.Figure{tail, spec} {
		for _, ext := range plots.Formats() {
			if err := f.Save(filepath.Join(dir, f.Name+"."+ext)); err != nil {
				return nil, err
			}
		}
		files = append(files, filepath.Join(dir, f.Name+".{png,svg,pdf,csv}"))
	}
	return files, nil
}
