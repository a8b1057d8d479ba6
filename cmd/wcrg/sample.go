package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
)

// sampleScale summarizes one scale of a sampling run over all batches.
type sampleScale struct {
	Level      int     `json:"level"` // J+1 for a coarsest model sampled by MALA, else j of Ē_j
	Side       int     `json:"side"`  // side of the sampled variables
	Delta      float64 `json:"delta"` // MALA step δ_j after adaptation (mean over batches)
	DeltaMin   float64 `json:"delta_min"`
	DeltaMax   float64 `json:"delta_max"`
	Acceptance float64 `json:"acceptance"` // over the non-adapting steps (the last round's if all adapted), mean over batches
	// Site sweeps after the global steps: step size and acceptance (means
	// over batches; zero when no sweeps ran).
	SweepDelta      float64 `json:"sweep_delta"`
	SweepAcceptance float64 `json:"sweep_acceptance"`
	// Steps and Sweeps are what ran (where the basis has no local
	// synthesis, the sweeps ran as 15 global steps each).
	Steps   int     `json:"steps"`
	Sweeps  int     `json:"sweeps"`
	Seconds float64 `json:"seconds"`
	Walled  int     `json:"walled,omitempty"`
	Outside int     `json:"still_outside,omitempty"`
}

// samplesSidecar is the JSON document written beside generated fields.
type samplesSidecar struct {
	Schema       string        `json:"schema"`
	ModelFile    string        `json:"model_file"`
	ModelSHA256  string        `json:"model_sha256"`
	TrainedOn    string        `json:"trained_on,omitempty"`
	L            int           `json:"L"`
	Levels       int           `json:"levels"`
	Seed         uint64        `json:"seed"`
	Requested    int           `json:"requested"`
	Stored       int           `json:"stored"`
	Complete     bool          `json:"complete"`
	Batch        int           `json:"batch"`
	Steps        int           `json:"steps_per_scale"`
	Adapt        int           `json:"adapting_steps"`
	Sweeps       int           `json:"site_sweeps_per_scale"`
	CoarseFactor int           `json:"coarse_factor,omitempty"` // steps and sweeps multiplied at every scale but the finest
	InitStep     float64       `json:"initial_step,omitempty"`
	ZeroStart    bool          `json:"zero_start,omitempty"`
	Symmetric    bool          `json:"symmetric,omitempty"`
	Scales       []sampleScale `json:"scales"` // coarse to fine
	MeanAbsM     float64       `json:"mean_abs_m"`
	Binder       float64       `json:"binder"`
	Seconds      float64       `json:"seconds"`
	SecPerField  float64       `json:"seconds_per_field"`
	Snapshots    []string      `json:"snapshots,omitempty"`
	Kappa        string        `json:"kappa_file,omitempty"` // lensing models: the fields mapped back to κ
	Created      string        `json:"created"`
	Command      string        `json:"command"`
	OutputFile   string        `json:"file"`
}

// batchSeed is the seed of batch b: the run's seed for the first batch (so
// that a run of at most one batch equals the engine's wcrg.Sample with that
// seed), a splitmix64 mix of seed and b after it.
func batchSeed(seed uint64, b int) uint64 {
	if b == 0 {
		return seed
	}
	z := seed + uint64(b)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func fileSHA256(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// engineSweeps maps the --sweeps flag (0: none) to SampleSettings.Sweeps
// (0: the default, negative: none).
func engineSweeps(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func sampleCommand() *command {
	c := &command{
		name:    "sample",
		args:    "--model MODEL.json --out FILE.npy",
		summary: "generate fields from a fitted model, coarse to fine, into a .npy stack",
		details: `Draws φ_J from the coarsest model (exact inverse CDF at 1×1, MALA otherwise),
then for j = J … 1 runs one MALA chain per field on Ē_j(·, φ_j) from white noise
with the data's channel std (--zero-start: from 0): --steps global steps, of which
the first --adapt adapt one shared step δ_j towards acceptance 0.57, then --sweeps
site-by-site MALA sweeps (every coarse site's three details moved and accepted
alone; their relaxation time does not grow with the lattice, global MALA's does;
bases without a local synthesis, shannon, get 15 global steps per sweep instead);
then φ_{j−1} = γ_j(Gᵀφ_j + Ḡᵀφ̄_j). Fields come back in the data's raw units.
--coarse-factor F multiplies the steps and sweeps at every scale but the finest,
where a step is 4× cheaper per level and the large structures relax slowly (Ising
near β_c: 8). Check that a run is converged by repeating it with 4× the sweeps
and a new seed and comparing the two with 'wcrg compare'.

Fields are made in batches of --batch; batch b uses a seed derived from --seed
and b (batch 0 uses --seed itself, so a run of one batch equals the app's
generation with that seed). The .npy file is valid after every batch, so Ctrl-C
keeps the finished batches. A JSON sidecar (same name, .json) records the model
file and its sha256, the seed, the counts and per-scale δ_j and acceptance.
--snapshots writes field 0 as it is refined (one image per scale, PNG + CSV)
into a directory named after the output.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		modelPath := fs.String("model", "", "model file from 'wcrg fit' (required)")
		n := fs.Int("n", 500, "number of fields")
		seed := fs.Uint64("seed", 1, "random seed")
		out := fs.String("out", "", "output .npy file (required)")
		steps := fs.Int("steps", 100, "global MALA steps per scale T_j")
		adapt := fs.Int("adapt", 100, "leading steps that adapt δ_j")
		sweeps := fs.Int("sweeps", 40, "site-by-site MALA sweeps per scale after the global steps (0: none)")
		initStep := fs.Float64("step", 0, "initial MALA step δ_j (0: from the fit, or 1/curvature bound)")
		zero := fs.Bool("zero-start", false, "start every φ̄_j at 0 instead of white noise")
		coarseFactor := fs.Int("coarse-factor", 1, "multiply the steps and sweeps at every scale but the finest (Ising near β_c: 8)")
		sym := fs.Bool("symmetric", false, "also store −φ for every field (Z₂ doubling; 2n fields)")
		batch := fs.Int("batch", 100, "fields per batch (the file is extended after each batch)")
		snapshots := fs.Bool("snapshots", false, "write field 0 after every scale as an image (PNG + CSV)")
		f32 := fs.Bool("float32", false, "store float32 instead of float64")
		workers := fs.Int("workers", 0, "goroutines (0: one per core; results do not depend on it)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			switch {
			case *modelPath == "":
				return usagef("--model is required")
			case *out == "":
				return usagef("--out is required")
			case !strings.EqualFold(filepath.Ext(*out), ".npy"):
				return usagef("--out %s: the output must be a .npy file", *out)
			case *n < 1 || *n > 1e7:
				return usagef("--n %d: want 1 … 1e7 fields", *n)
			case *steps < 1 || *steps > 1e6:
				return usagef("--steps %d: want 1 … 1e6", *steps)
			case *sweeps < 0 || *sweeps > 1e6:
				return usagef("--sweeps %d: want 0 … 1e6", *sweeps)
			case *adapt < 0 || *adapt > *steps:
				return usagef("--adapt %d: want 0 … --steps (%d)", *adapt, *steps)
			case !(*initStep >= 0) || math.IsInf(*initStep, 0):
				return usagef("--step %g: want ≥ 0 (0: automatic)", *initStep)
			case *coarseFactor < 1 || *coarseFactor > 1e4 || float64(*steps)*float64(*coarseFactor) > 1e7:
				return usagef("--coarse-factor %d: want 1 … 1e4, with at most 1e7 steps at a scale", *coarseFactor)
			case *batch < 1:
				return usagef("--batch %d: want ≥ 1", *batch)
			case *workers < 0:
				return usagef("--workers %d: want 0 (one per core) or a positive count", *workers)
			}
			if err := checkOutputDir("out", *out); err != nil {
				return err
			}
			m, err := wcrg.Load(*modelPath)
			if err != nil {
				return err
			}
			L, J := m.L, m.Levels
			adaptSteps := *adapt
			if adaptSteps == 0 {
				// The engine reads 0 as its default (100). δ is adapted
				// after rounds of 10 steps that end at or before step
				// Adapt, so Adapt = 1 means no adaptation at all.
				adaptSteps = 1
			}
			side := &samplesSidecar{Schema: "wcrg-lab/samples/v1", ModelFile: *modelPath, ModelSHA256: fileSHA256(*modelPath),
				TrainedOn: m.Provenance.File, L: L, Levels: J, Seed: *seed, Requested: *n, Batch: min(*batch, *n),
				Steps: *steps, Adapt: adaptSteps, Sweeps: *sweeps, CoarseFactor: *coarseFactor, InitStep: *initStep, ZeroStart: *zero, Symmetric: *sym,
				Created: time.Now().UTC().Format(time.RFC3339), OutputFile: filepath.Base(*out)}
			side.Command = fmt.Sprintf("wcrg sample --model %s --n %d --seed %d --steps %d --adapt %d --sweeps %d --batch %d", *modelPath, *n, *seed, *steps, adaptSteps, *sweeps, side.Batch)
			if *coarseFactor > 1 {
				side.Command += fmt.Sprintf(" --coarse-factor %d", *coarseFactor)
			}
			if *zero {
				side.Command += " --zero-start"
			}
			if *sym {
				side.Command += " --symmetric"
			}
			snapDir := ""
			if *snapshots {
				snapDir = strings.TrimSuffix(*out, filepath.Ext(*out)) + "_snapshots"
				if err := os.MkdirAll(snapDir, 0o755); err != nil {
					return fmt.Errorf("--snapshots: %s: %w", snapDir, err)
				}
			}
			prec := fieldio.Float64
			if *f32 {
				prec = fieldio.Float32
			}
			w, err := fieldio.CreateNpy(*out, L, prec)
			if err != nil {
				return err
			}
			e.logf("%s: %d×%d, J = %d, %d parameters; generating %d fields in batches of %d", *modelPath, L, L, J, m.NumParams(), *n, side.Batch)

			p := e.progress()
			start := time.Now()
			var ms []float64
			// Per-scale accumulators, coarse to fine.
			type acc struct {
				level, side             int
				delta, dmin, dmax, rate float64
				sweepDelta, sweepRate   float64
				steps, sweeps           int
				sec                     float64
				walled, outside, count  int
			}
			var scales []acc
			// Snapshot of field 0 (first batch): the last one seen per level.
			type snapshot struct {
				data []float64
				side int
			}
			snaps := map[int]snapshot{}
			var snapOrder []int
			nb := (*n + side.Batch - 1) / side.Batch
			var runErr error
			for b := 0; b < nb && runErr == nil; b++ {
				count := min(side.Batch, *n-b*side.Batch)
				set := wcrg.SampleSettings{N: count, Steps: *steps, Adapt: adaptSteps, Sweeps: engineSweeps(*sweeps), CoarseFactor: *coarseFactor, InitStep: *initStep, ZeroStart: *zero,
					Symmetric: *sym, Snapshots: *snapshots && b == 0, Seed: batchSeed(*seed, b), Workers: *workers}
				res, err := wcrg.Sample(ctx, m, set, func(sp wcrg.SampleProgress) {
					lvl := fmt.Sprintf("scale %d (%d×%d → %d×%d)", sp.Level, L>>sp.Level, L>>sp.Level, L>>(sp.Level-1), L>>(sp.Level-1))
					if sp.Level > J {
						lvl = fmt.Sprintf("coarsest (%d×%d)", L>>J, L>>J)
					}
					if sp.SnapshotSide > 0 {
						if _, ok := snaps[sp.Level]; !ok {
							snapOrder = append(snapOrder, sp.Level)
						}
						snaps[sp.Level] = snapshot{sp.Snapshot, sp.SnapshotSide}
					}
					done := float64(b*side.Batch) + sp.Fraction*float64(count)
					at := fmt.Sprintf("step %d/%d", sp.Step, sp.Steps)
					if sp.Sweep > 0 {
						at = fmt.Sprintf("sweep %d/%d", sp.Sweep, sp.Sweeps)
					}
					p.update(false, "sample %3.0f%%: batch %d/%d, %s %s, acceptance %.2f, δ %.3g (%s)",
						100*done/float64(*n), b+1, nb, lvl, at, sp.Acceptance, sp.Delta, (time.Since(start)).Round(time.Second))
				})
				if err != nil {
					runErr = err
					break
				}
				for k, sc := range res.Scales {
					if k >= len(scales) {
						sd := L >> sc.Level
						if sc.Level > J {
							sd = L >> J
						}
						scales = append(scales, acc{level: sc.Level, side: sd, dmin: sc.Delta, dmax: sc.Delta})
					}
					a := &scales[k]
					a.delta += sc.Delta
					a.dmin, a.dmax = math.Min(a.dmin, sc.Delta), math.Max(a.dmax, sc.Delta)
					a.rate += sc.Acceptance
					a.sweepDelta += sc.SweepDelta
					a.sweepRate += sc.SweepAcceptance
					a.steps, a.sweeps = sc.Steps, sc.Sweeps
					a.sec += sc.Seconds
					a.walled += sc.Walled
					a.outside += sc.StillOutside
					a.count++
				}
				for i := 0; i < res.Fields.N; i++ {
					f := res.Fields.Field(i)
					if err := w.Append(f); err != nil {
						runErr = err
						break
					}
					ms = append(ms, lattice.Magnetization(f))
				}
				p.done()
				e.logf("batch %d/%d: %d fields stored in %s (%s elapsed)", b+1, nb, w.Len(), *out, time.Since(start).Round(100*time.Millisecond))
			}
			p.done()
			closeErr := w.Close()
			side.Stored = w.Len()
			side.Complete = runErr == nil && closeErr == nil
			side.Seconds = time.Since(start).Seconds()
			if side.Stored > 0 {
				side.SecPerField = side.Seconds / float64(side.Stored)
			}
			for _, a := range scales {
				k := float64(a.count)
				side.Scales = append(side.Scales, sampleScale{Level: a.level, Side: a.side, Delta: a.delta / k, DeltaMin: a.dmin, DeltaMax: a.dmax,
					Acceptance: a.rate / k, SweepDelta: a.sweepDelta / k, SweepAcceptance: a.sweepRate / k, Steps: a.steps, Sweeps: a.sweeps, Seconds: a.sec, Walled: a.walled, Outside: a.outside})
			}
			if len(ms) > 0 {
				mom := lattice.MomentsOf(ms, L)
				side.MeanAbsM, side.Binder = mom.AbsM, mom.Binder()
			}
			for _, lvl := range snapOrder {
				sn := snaps[lvl]
				f := plots.FieldFigure(fmt.Sprintf("Field 0 after scale %d: φ_%d (%d×%d, standardized units)", lvl, lvl-1, sn.side, sn.side),
					sn.data, sn.side, plots.AutoRange(sn.data, 0.5), nil)
				path := filepath.Join(snapDir, fmt.Sprintf("scale%d.png", lvl))
				if err := f.Save(path); err != nil {
					return err
				}
				side.Snapshots = append(side.Snapshots, path)
			}
			if len(side.Snapshots) > 0 {
				e.logf("wrote %s", filepath.Join(snapDir, "scale*.{png,csv}"))
			}
			if p := m.Provenance.Lensing; p != nil && side.Stored > 0 {
				kp, err := writeKappa(*out, *p, m.Provenance.PixelArcmin)
				if err != nil {
					return err
				}
				side.Kappa = filepath.Base(kp)
				e.logf("wrote %s: the fields mapped back to κ by the model's preprocessing (%s transform)", kp, p.Transform)
			}
			if err := writeJSON(fieldio.SidecarPath(*out), side); err != nil {
				return err
			}
			if runErr != nil {
				if errors.Is(runErr, context.Canceled) {
					e.logf("interrupted: %s holds the %d fields of the finished batches (a valid file)", *out, side.Stored)
				}
				return runErr
			}
			if closeErr != nil {
				return closeErr
			}
			for _, sc := range side.Scales {
				if sc.Outside > 0 {
					e.logf("warning: scale %d: %d fields stayed outside the range the model was trained on", sc.Level, sc.Outside)
				}
			}
			t := &table{title: fmt.Sprintf("%s → %s (+ %s): %d fields of %d×%d, seed %d", *modelPath, *out, filepath.Base(fieldio.SidecarPath(*out)), side.Stored, L, L, *seed),
				header: []string{"scale", "sampled", "δ_j", "δ range", "acceptance", "sweep δ", "sweep acc.", "walled", "seconds"}}
			for _, sc := range side.Scales {
				name := fmt.Sprintf("Ē_%d", sc.Level)
				if sc.Level > J {
					name = "coarsest"
				}
				rng := "–"
				if sc.DeltaMax > sc.DeltaMin {
					rng = fmtFloat(sc.DeltaMin) + " … " + fmtFloat(sc.DeltaMax)
				}
				walled := "–"
				if sc.Walled > 0 {
					walled = fmt.Sprintf("%d (%d outside)", sc.Walled, sc.Outside)
				}
				sd, sa := any("–"), any("–")
				if sc.Sweeps > 0 {
					sd, sa = sc.SweepDelta, sc.SweepAcceptance
				}
				t.add(name, fmt.Sprintf("%d×%d", sc.Side, sc.Side), sc.Delta, rng, sc.Acceptance, sd, sa, walled, sc.Seconds)
			}
			s := &table{title: "Summary", header: []string{"fields", "batches", "steps/scale", "sweeps/scale", "⟨|m|⟩", "Binder U", "seconds", "s/field"}}
			s.add(side.Stored, nb, *steps, *sweeps, side.MeanAbsM, side.Binder, side.Seconds, side.SecPerField)
			notes := []string{}
			if *sweeps > 0 {
				for _, sc := range side.Scales {
					if sc.Sweeps == 0 {
						notes = append(notes, fmt.Sprintf("(Ē_%d: the wavelet's synthesis is not local enough for site sweeps; they ran as global MALA steps, %d in all)", sc.Level, sc.Steps))
					}
				}
			}
			if m.Coarsest != nil {
				notes = append(notes, "(the 1×1 coarsest field is drawn exactly by inverse CDF; no MALA there)")
			}
			return e.emit(side, []*table{t, s}, notes...)
		}
	}
	return c
}

// writeKappa maps the generated fields in out back to κ through the
// lensing preprocessing p and writes them beside out as OUT_kappa.npy with a
// lensing-maps sidecar. It returns the path written.
func writeKappa(out string, p lensing.Prep, pixelArcmin float64) (string, error) {
	st, _, err := fieldio.Read(out, fieldio.Options{})
	if err != nil {
		return "", err
	}
	kp := strings.TrimSuffix(out, filepath.Ext(out)) + "_kappa.npy"
	kappa := p.Inverse(*st)
	if err := fieldio.WriteNpy(kp, kappa, fieldio.Float64); err != nil {
		return "", err
	}
	side := lensingMapsSidecar{Schema: "wcrg-lab/lensing-maps/v1", Kind: "generated", Maps: kappa.N, L: kappa.L, PixelArcmin: pixelArcmin,
		Source: filepath.Base(out), Created: time.Now().UTC().Format(time.RFC3339),
		Command: fmt.Sprintf("wcrg sample (--out %s), mapped back by the %s transform", out, p.Transform), OutputFile: filepath.Base(kp)}
	return kp, writeJSON(fieldio.SidecarPath(kp), side)
}
