package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
)

// diagnoseRow is one row of 'wcrg diagnose' (JSON output).
type diagnoseRow struct {
	From           int          `json:"from_level"` // levels+1: generation from the coarsest model
	Side           int          `json:"side"`       // side of φ_{k−1}
	FirstSpectrum  jsonFloat    `json:"first_spectrum_max_rel_err"`
	FirstHistL1    jsonFloat    `json:"first_histogram_l1"`
	FirstKurtosis  jsonFloat    `json:"first_kurtosis_sigmas"`
	DetailStdRatio [3]jsonFloat `json:"detail_std_ratio"`
	Spectrum       jsonFloat    `json:"spectrum_max_rel_err"`
	HistL1         jsonFloat    `json:"histogram_l1"`
	Kurtosis       jsonFloat    `json:"kurtosis_sigmas"`
	WorstScaleStd  jsonFloat    `json:"worst_scale_std"`
	WorstPlane     string       `json:"worst_plane"`
}

func diagnoseCommand() *command {
	c := &command{
		name:    "diagnose",
		args:    "--model MODEL.json --data FILE",
		summary: "locate where generation loses accuracy: generate from the data's own φ_k, k = 1 … J",
		details: `For k = 1 … J keeps the data's own coarse field φ_k and generates the rest with the
model's conditionals (the sampler of 'wcrg sample'): first φ_{k−1} alone, compared
with the data's φ_{k−1} (spectrum error and histogram L1 when φ_{k−1} is at least
8×8, and the std of the generated wavelet channels φ̄_k over the data's), then on
down to φ_0, compared with the data as 'wcrg compare' does (spectrum max relative
error, histogram L1, worst per-scale std). The last row is ordinary generation from
the coarsest model. Use held-out fields: with an exact model every row matches
within sampling noise (row 1, where only the finest scale is generated, shows that
noise). A jump between rows k−1 and k points at Ē_k: at its own output (first-level
columns) or at how the finer conditionals answer it (the cascade columns).
With --out, writes diagnose.json and the figure diagnose_cascade (PNG, SVG, PDF, CSV).`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		modelPath := fs.String("model", "", "model file from 'wcrg fit' (required)")
		dataPath := fs.String("data", "", "fields to start from and compare with, ideally held out (required)")
		n := fs.Int("n", 500, "use the first n fields of --data (0: all)")
		seed := fs.Uint64("seed", 1, "random seed")
		steps := fs.Int("steps", 100, "global MALA steps per scale T_j")
		sweeps := fs.Int("sweeps", 40, "site-by-site MALA sweeps per scale after the global steps (0: none)")
		out := fs.String("out", "", "directory for diagnose.json and the figure (optional)")
		crop := fs.Bool("crop", false, "crop non-square or non-power-of-two fields to the largest power-of-two square")
		workers := fs.Int("workers", 0, "goroutines (0: one per core)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			switch {
			case *modelPath == "":
				return usagef("--model is required")
			case *dataPath == "":
				return usagef("--data is required")
			case *n < 0:
				return usagef("--n %d: want 0 (all) or a positive count", *n)
			case *steps < 1 || *steps > 1e6:
				return usagef("--steps %d: want 1 … 1e6", *steps)
			case *sweeps < 0 || *sweeps > 1e6:
				return usagef("--sweeps %d: want 0 … 1e6", *sweeps)
			case *workers < 0:
				return usagef("--workers %d: want 0 (one per core) or a positive count", *workers)
			}
			if *out != "" {
				// Before the run, so that a bad directory fails at once.
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return fmt.Errorf("--out %s: %w", *out, err)
				}
			}
			m, err := wcrg.Load(*modelPath)
			if err != nil {
				return err
			}
			data, info, err := readFields(*dataPath, *crop, 0)
			if err != nil {
				return err
			}
			if data.L != m.L {
				return fmt.Errorf("%s holds fields of %d×%d; the model %s was fitted on %d×%d", *dataPath, data.L, data.L, *modelPath, m.L, m.L)
			}
			if *n > 0 && *n < data.N {
				*data = lattice.Stack{N: *n, L: data.L, Data: data.Data[:*n*data.L*data.L]}
			}
			if data.N < 2 {
				return fmt.Errorf("%s: %d field(s); the comparison needs at least 2", *dataPath, data.N)
			}
			if info.SHA256 != "" && info.SHA256 == m.Provenance.SHA256 {
				e.logf("note: %s is the model's training file; held-out fields show the model's error, training fields part of it", *dataPath)
			}
			e.logf("%s: %d×%d, J = %d; %d fields of %s", *modelPath, m.L, m.L, m.Levels, data.N, *dataPath)
			p := e.progress()
			start := time.Now()
			d, err := wcrg.Diagnose(ctx, m, *data, wcrg.SampleSettings{Seed: *seed, Steps: *steps, Adapt: min(100, *steps), Sweeps: engineSweeps(*sweeps), Workers: *workers},
				func(dp wcrg.DiagnoseProgress) {
					from := fmt.Sprintf("from the data's φ_%d", dp.From)
					if dp.From > m.Levels {
						from = "from the coarsest model"
					}
					p.update(false, "diagnose %3.0f%%: %s, scale %d (%s)", 100*dp.Fraction, from, dp.Level, time.Since(start).Round(time.Second))
				})
			p.done()
			if err != nil {
				return fmt.Errorf("%s, %s: %w", *modelPath, *dataPath, err)
			}
			t := &table{title: fmt.Sprintf("Generation from the data's own φ_k (%d fields of %d×%d; statistics as 'wcrg compare', %s)", d.N, d.L, d.L, d.Wavelet),
				header: []string{"from", "φ_{k−1}", "spectrum", "hist L1", "kurt. σ", "φ̄_k std ratio (1, 2, 3)", "→ φ_0 spectrum", "hist L1", "kurt. σ", "worst scale std", "at"}}
			var rows []diagnoseRow
			for _, r := range d.Rows {
				from, side := fmt.Sprintf("φ_%d", r.From), fmt.Sprintf("%d×%d", r.Side, r.Side)
				ratios := fmt.Sprintf("%.3f %.3f %.3f", r.DetailStdRatio[0], r.DetailStdRatio[1], r.DetailStdRatio[2])
				if r.From > d.Levels {
					from, side, ratios = "coarsest", "–", "–"
				}
				plane := wcrg.PlaneName(r.WorstScaleLevel, r.WorstPlane)
				rows = append(rows, diagnoseRow{From: r.From, Side: r.Side, FirstSpectrum: jsonFloat(r.FirstSpectrum), FirstHistL1: jsonFloat(r.FirstHistL1), FirstKurtosis: jsonFloat(r.FirstKurtosis), Kurtosis: jsonFloat(r.Kurtosis),
					DetailStdRatio: [3]jsonFloat{jsonFloat(r.DetailStdRatio[0]), jsonFloat(r.DetailStdRatio[1]), jsonFloat(r.DetailStdRatio[2])},
					Spectrum:       jsonFloat(r.Spectrum), HistL1: jsonFloat(r.HistL1), WorstScaleStd: jsonFloat(r.WorstScaleStd), WorstPlane: plane})
				t.add(from, side, dashNaN(r.FirstSpectrum), dashNaN(r.FirstHistL1), signedSigmas(r.FirstKurtosis), ratios, r.Spectrum, r.HistL1,
					signedSigmas(r.Kurtosis), fmt.Sprintf("%.1f %%", 100*r.WorstScaleStd), plane)
			}
			result := map[string]any{
				"model": *modelPath, "model_sha256": fileSHA256(*modelPath),
				"data": map[string]any{"file": *dataPath, "sha256": info.SHA256, "fields": d.N},
				"L":    d.L, "levels": d.Levels, "seed": *seed, "steps": *steps, "sweeps": *sweeps, "rows": rows,
			}
			if *out != "" {
				files, err := saveFigures(*out, []namedFigure{{"diagnose_cascade", plots.CascadeFigure(d)}})
				if err != nil {
					return err
				}
				result["figures"] = files
				if err := writeJSON(filepath.Join(*out, "diagnose.json"), result); err != nil {
					return err
				}
				for _, f := range files {
					e.logf("wrote %s", f)
				}
				e.logf("wrote %s", filepath.Join(*out, "diagnose.json"))
			}
			return e.emit(result, []*table{t}, "(row 1 is close to the sampling noise; a jump at row k points at the conditional Ē_k; kurt. σ: pixel kurtosis, generated − data, in standard errors)")
		}
	}
	return c
}

// signedSigmas formats a difference in standard errors, "–" when NaN.
func signedSigmas(z float64) string {
	if math.IsNaN(z) {
		return "–"
	}
	return fmt.Sprintf("%+.1f", z)
}

// dashNaN formats v, or "–" when it is NaN (not measured).
func dashNaN(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmtFloat(v)
}
