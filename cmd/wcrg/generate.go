package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// datasetSidecar is the JSON document written beside a generated data set.
type datasetSidecar struct {
	Schema    string  `json:"schema"`
	Model     string  `json:"model"` // "phi4" or "gaussian"
	Energy    string  `json:"energy"`
	L         int     `json:"L"`
	Beta      float64 `json:"beta,omitempty"`
	Mass      float64 `json:"mass,omitempty"`
	Sampler   string  `json:"sampler"`
	Seed      uint64  `json:"seed"`
	Requested int     `json:"requested"`
	Stored    int     `json:"stored"`
	Complete  bool    `json:"complete"`
	// Sampler provenance (Monte Carlo only).
	Chains       int     `json:"chains,omitempty"`
	Thermalize   int     `json:"thermalize_sweeps,omitempty"`
	PilotSweeps  int     `json:"pilot_sweeps,omitempty"`
	TauAbsM      float64 `json:"tau_int_abs_m,omitempty"`
	TauAbsMErr   float64 `json:"tau_int_abs_m_err,omitempty"`
	TauEnergy    float64 `json:"tau_int_energy,omitempty"`
	TauEnergyErr float64 `json:"tau_int_energy_err,omitempty"`
	TauReliable  bool    `json:"tau_reliable,omitempty"`
	Interval     int     `json:"interval_sweeps,omitempty"`
	Sweeps       int     `json:"total_sweeps,omitempty"`
	Acceptance   float64 `json:"acceptance,omitempty"`
	Step         float64 `json:"step,omitempty"`
	// Statistics of the stored fields.
	MeanAbsM   float64  `json:"mean_abs_m"`
	Binder     float64  `json:"binder"`
	Seconds    float64  `json:"seconds"`
	Created    string   `json:"created"`
	Command    string   `json:"command"`
	Warnings   []string `json:"warnings,omitempty"`
	OutputFile string   `json:"file"`
}

func generateCommand() *command {
	c := &command{
		name:    "generate",
		args:    "phi4|gaussian|ising",
		summary: "simulate lattice fields (φ⁴, the massive Gaussian free field or Ising spins) into a .npy stack",
		details: `phi4: E = β/2 Σ_<xy>(φ_x−φ_y)² + Σ_x[φ_x⁴ − (1+2β)φ_x²] (β_c ≈ 0.68), sampled by
independent Monte Carlo chains (one per core) that start hot, thermalize, measure
τ_int of |m| and of the energy in a pilot run, and store fields spaced by at least
--spacing × τ_int sweeps. The cluster hybrid (Metropolis + embedded-Ising Wolff
clusters) is the default: near β_c it decorrelates orders of magnitude faster.

gaussian: the free field with covariance (−Δ + m²)⁻¹ (ξ = 1/m), drawn exactly in
Fourier space by default (--sampler exact), or by Monte Carlo.

ising: spins ±1 (stored as floats) with weight exp(β Σ_<xy> s_x s_y), by default at
β_c = ln(1+√2)/2 ≈ 0.4407; samplers wolff (single-cluster, the default), sw
(Swendsen–Wang) or metropolis. The finest scale is discrete: to fit WC-RG, first
dequantize the stack (wcrg dequantize), or coarse-grain it (wcrg coarsen).

The .npy file is valid after every stored field, so an interrupted run (Ctrl-C)
keeps what it made; a JSON sidecar (same name, .json) records the model, β or m,
L, sampler, seed, τ_int, spacing and sweeps, and whether the run completed.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		L := fs.Int("L", 64, "lattice side (a power of two ≥ 4)")
		beta := fs.Float64("beta", 0.68, "φ⁴ coupling β")
		mass := fs.Float64("m", 0.25, "Gaussian mass m (ξ = 1/m)")
		n := fs.Int("n", 1000, "number of fields")
		seed := fs.Uint64("seed", 1, "random seed")
		out := fs.String("out", "", "output .npy file (required)")
		sampler := fs.String("sampler", "", "φ⁴: metropolis, hmc, cluster (default); Gaussian: exact (default) or a φ⁴ sampler; Ising: wolff (default), sw, metropolis")
		chains := fs.Int("chains", 0, "independent chains run concurrently (0: one per core)")
		therm := fs.Int("thermalize", 2000, "thermalization sweeps per chain")
		spacing := fs.Float64("spacing", 2, "minimum spacing of stored fields in units of τ_int")
		interval := fs.Int("interval", 0, "sweeps between stored fields (0: from the measured τ_int)")
		f32 := fs.Bool("float32", false, "store float32 instead of float64")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 || (args[0] != "phi4" && args[0] != "gaussian" && args[0] != "ising") {
				return usagef("want one model argument: phi4, gaussian or ising")
			}
			model := args[0]
			if *out == "" {
				return usagef("--out is required")
			}
			if !strings.EqualFold(filepath.Ext(*out), ".npy") {
				return usagef("--out %s: the output must be a .npy file", *out)
			}
			if *L < 4 || *L&(*L-1) != 0 {
				return usagef("--L %d: want a power of two ≥ 4 (wavelet transforms halve the field)", *L)
			}
			if *n < 1 {
				return usagef("--n %d: want at least one field", *n)
			}
			alg := *sampler
			if alg == "" {
				alg = map[string]string{"phi4": "cluster", "gaussian": "exact", "ising": "wolff"}[model]
			}
			var m phi4.Model
			var ens phi4.Ensemble
			side := &datasetSidecar{Schema: "wcrg-lab/dataset/v1", Model: model, L: *L, Sampler: alg, Seed: *seed,
				Requested: *n, Created: time.Now().UTC().Format(time.RFC3339), OutputFile: filepath.Base(*out)}
			switch model {
			case "phi4":
				if alg == "exact" {
					return usagef("--sampler exact exists only for the Gaussian model")
				}
				m = phi4.Phi4{L: *L, Beta: *beta}
				side.Beta = *beta
				side.Energy = "β/2 Σ_<xy>(φ_x−φ_y)² + Σ_x[φ_x⁴ − (1+2β)φ_x²]"
				side.Command = fmt.Sprintf("wcrg generate phi4 --L %d --beta %g --n %d --seed %d --sampler %s", *L, *beta, *n, *seed, alg)
			case "ising":
				if !flagSet(fs, "beta") {
					*beta = ising.BetaC
				}
				im := ising.Model{L: *L, Beta: *beta}
				if err := im.Validate(); err != nil {
					return usagef("%v", err)
				}
				var err error
				if ens, err = ising.Ensemble(im, ising.Algorithm(alg)); err != nil {
					return usagef("--sampler: %v", err)
				}
				side.Beta = *beta
				side.Energy = "−Σ_<xy> s_x s_y, s = ±1, weight exp(−βH)"
				side.Command = fmt.Sprintf("wcrg generate ising --L %d --beta %g --n %d --seed %d --sampler %s", *L, *beta, *n, *seed, alg)
			default:
				m = phi4.Gaussian{L: *L, Mass: *mass}
				side.Mass = *mass
				side.Energy = "½ Σ_x φ_x[(−Δ + m²)φ]_x"
				side.Command = fmt.Sprintf("wcrg generate gaussian --L %d --m %g --n %d --seed %d --sampler %s", *L, *mass, *n, *seed, alg)
			}
			if m != nil {
				if err := m.Validate(); err != nil {
					return usagef("%v", err)
				}
				if alg != "exact" {
					if _, err := phi4.NewSampler(phi4.Algorithm(alg), m, 0, 1); err != nil {
						return usagef("--sampler: %v", err)
					}
					ens = phi4.ModelEnsemble(m, phi4.Algorithm(alg))
				}
			}
			prec := fieldio.Float64
			if *f32 {
				prec = fieldio.Float32
			}
			w, err := fieldio.CreateNpy(*out, *L, prec)
			if err != nil {
				return err
			}
			var ms []float64
			sink := func(f lattice.Field) error {
				ms = append(ms, lattice.Magnetization(f))
				return w.Append(f)
			}
			start := time.Now()
			p := e.progress()
			var runErr error
			if alg == "exact" {
				runErr = exactGaussian(ctx, *L, *mass, *n, *seed, sink, func(done int) {
					p.update(done == *n, "gaussian L=%d m=%g: %d/%d fields", *L, *mass, done, *n)
				})
			} else {
				var rep phi4.DatasetReport
				rep, runErr = phi4.MakeChainDataset(ctx, ens, phi4.DatasetSettings{Samples: *n, Seed: *seed,
					Chains: *chains, Thermalize: *therm, Spacing: *spacing, Interval: *interval}, sink,
					func(d phi4.DatasetProgress) {
						msg := fmt.Sprintf("%s L=%d: %s %d/%d", model, *L, d.Phase, d.Done, d.Total)
						if d.Interval > 0 {
							msg += fmt.Sprintf(" (τ_int %.1f, every %d sweeps)", d.Tau, d.Interval)
						}
						p.update(d.Phase == phi4.DatasetSampling && d.Done == d.Total, "%s, acceptance %.2f, %s", msg, d.AcceptanceRate, d.Elapsed.Round(time.Second))
					})
				side.Chains, side.Thermalize, side.PilotSweeps = rep.Chains, rep.Thermalize, rep.PilotSweeps
				side.TauAbsM, side.TauAbsMErr, side.TauEnergy, side.TauEnergyErr = rep.TauAbsM, rep.TauAbsMErr, rep.TauEnergy, rep.TauEnergyErr
				side.TauReliable, side.Interval, side.Sweeps = rep.TauReliable, rep.Interval, rep.Sweeps
				side.Acceptance, side.Step, side.Warnings = rep.Acceptance, rep.Step, rep.Warnings
			}
			p.done()
			closeErr := w.Close()
			side.Stored = w.Len()
			side.Complete = runErr == nil && closeErr == nil
			side.Seconds = time.Since(start).Seconds()
			if len(ms) > 0 {
				mom := lattice.MomentsOf(ms, *L)
				side.MeanAbsM, side.Binder = mom.AbsM, mom.Binder()
			}
			if err := writeJSON(fieldio.SidecarPath(*out), side); err != nil {
				return err
			}
			if runErr != nil {
				if errors.Is(runErr, context.Canceled) {
					e.logf("interrupted: %s holds the %d fields made so far (a valid file)", *out, side.Stored)
				}
				return runErr
			}
			if closeErr != nil {
				return closeErr
			}
			for _, wmsg := range side.Warnings {
				e.logf("warning: %s", wmsg)
			}
			t := &table{title: fmt.Sprintf("%s → %s (+ %s)", side.Command, *out, filepath.Base(fieldio.SidecarPath(*out))),
				header: []string{"fields", "L", "sampler", "τ_int(|m|)", "τ_int(E)", "interval", "⟨|m|⟩", "Binder U", "seconds"}}
			t.add(side.Stored, *L, alg, fmtErr(side.TauAbsM, side.TauAbsMErr), fmtErr(side.TauEnergy, side.TauEnergyErr), side.Interval, side.MeanAbsM, side.Binder, side.Seconds)
			return e.emit(side, []*table{t})
		}
	}
	return c
}

// fmtErr formats v ± err, or "–" when v is 0 (not measured) or NaN
// (undefined, e.g. a failed τ_exp fit).
func fmtErr(v, err float64) string {
	if v == 0 || math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%s ± %s", fmtFloat(v), fmtFloat(err))
}

// exactGaussian draws n exact free-field samples of side L and mass m.
func exactGaussian(ctx context.Context, L int, m float64, n int, seed uint64, sink func(lattice.Field) error, progress func(int)) error {
	g, err := gaussfield.NewSampler(L, gaussfield.FreeField(m))
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	f := lattice.NewField(L)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.Sample(f.Data, rng)
		if err := sink(f); err != nil {
			return err
		}
		progress(i + 1)
	}
	return nil
}
