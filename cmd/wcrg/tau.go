package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wcrglab/wcrg/engine/experiment"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/plots"
)

// parseInts parses "8,16,32".
func parseInts(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, usagef("--%s %q: %q is not an integer", flagName, s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

type tauPoint struct {
	Sampler          string
	L                int
	Beta             float64
	TauAbsM, TauErr  float64   // τ_int(|m|) in sweeps
	TauExp, TauExpEr jsonFloat // τ_exp(|m|); null where its fit failed
	TauE, TauEErr    float64   // τ_int(E)
	Reliable         bool
	Sweeps, Chains   int
	MeanAbsM, Binder float64
	Acceptance       float64
	MsPerSweep       float64
	TauSeconds       float64 // τ_int(|m|) × seconds per sweep
}

type tauFit struct {
	Sampler   string
	Z, ZErr   float64 // τ_int(|m|) ∝ L^z
	Chi2      float64
	Points    int
	SecZ      float64 // exponent of τ in seconds
	SecZErr   float64
	Amplitude float64
}

func tauCommand() *command {
	c := &command{
		name:    "tau",
		args:    "",
		summary: "autocorrelation times of the φ⁴ samplers against L and the dynamic exponent z",
		details: `At each L, independent chains (one per core) start hot, thermalize, and run until
the pooled series covers 200 τ_int(|m|) (Γ method, Madras–Sokal window, c = 6).
τ is in sweeps: one checkerboard sweep (Metropolis), one trajectory (HMC), or one
Metropolis sweep plus its Wolff cluster flips (cluster). z is the weighted
least-squares slope of log τ_int against log L; its error is scaled by √(χ²/dof)
when the points scatter more than their errors. With --out, writes tau.csv,
tau.json and the log–log figure tau.png/.svg/.pdf.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		samplers := fs.String("sampler", "metropolis", "comma-separated: metropolis, hmc, cluster")
		beta := fs.Float64("beta", 0.68, "φ⁴ coupling β")
		Ls := fs.String("L", "8,16,32,64", "comma-separated lattice sides")
		seed := fs.Uint64("seed", 1, "random seed")
		chains := fs.Int("chains", 0, "independent chains (0: one per core)")
		runTau := fs.Float64("run", 200, "run length per point in units of τ_int")
		maxSweeps := fs.Int("max-sweeps", 1<<21, "largest run per chain")
		out := fs.String("out", "", "directory for tau.csv, tau.json and the figure (optional)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			sides, err := parseInts("L", *Ls)
			if err != nil {
				return err
			}
			for _, L := range sides {
				if L < 4 || L > 1024 {
					return usagef("--L %d: want 4 … 1024", L)
				}
			}
			var algs []phi4.Algorithm
			for _, s := range strings.Split(*samplers, ",") {
				a := phi4.Algorithm(strings.TrimSpace(s))
				if a != phi4.AlgMetropolis && a != phi4.AlgHMC && a != phi4.AlgCluster {
					return usagef("--sampler %q: want metropolis, hmc or cluster", s)
				}
				algs = append(algs, a)
			}
			if *out != "" {
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return fmt.Errorf("--out %s: %w", *out, err)
				}
			}
			p := e.progress()
			var points []tauPoint
			var fits []tauFit
			var series []plots.Series
			pts := &table{title: fmt.Sprintf("φ⁴ at β = %g: integrated autocorrelation time of |m| (sweeps)", *beta),
				header: []string{"sampler", "L", "τ_int(|m|)", "τ_exp(|m|)", "τ_int(E)", "sweeps×chains", "⟨|m|⟩", "U", "ms/sweep"}}
			for _, alg := range algs {
				var x, y, ye, ys []float64
				for _, L := range sides {
					res, err := phi4.MeasureTau(ctx, phi4.Phi4{L: L, Beta: *beta}, alg,
						phi4.TauSettings{Seed: *seed, Chains: *chains, RunInTau: *runTau, MaxSweeps: *maxSweeps},
						func(frac float64, status string) { p.update(false, "%s (%.0f%%)", status, 100*frac) })
					if err != nil {
						p.done()
						return err
					}
					tp := tauPoint{Sampler: string(alg), L: L, Beta: *beta, TauAbsM: res.AbsM.Tau, TauErr: res.AbsM.TauErr,
						TauExp: jsonFloat(res.AbsMExp.Tau), TauExpEr: jsonFloat(res.AbsMExp.TauErr), TauE: res.Energy.Tau, TauEErr: res.Energy.TauErr,
						Reliable: res.AbsM.Reliable(), Sweeps: res.Sweeps, Chains: res.Chains, MeanAbsM: res.MeanAbsM,
						Binder: res.Binder, Acceptance: res.Acceptance, MsPerSweep: 1e3 * res.SecPerSweep,
						TauSeconds: res.AbsM.Tau * res.SecPerSweep}
					points = append(points, tp)
					p.update(true, "%s L=%d: τ_int(|m|) = %.3g ± %.2g sweeps (%d×%d sweeps, %s)", alg, L, tp.TauAbsM, tp.TauErr, res.Sweeps, res.Chains, res.Elapsed.Round(1e8))
					rel := ""
					if !tp.Reliable {
						rel = " (short run)"
					}
					pts.add(string(alg), L, fmtErr(tp.TauAbsM, tp.TauErr)+rel, fmtErr(float64(tp.TauExp), float64(tp.TauExpEr)), fmtErr(tp.TauE, tp.TauEErr),
						fmt.Sprintf("%d×%d", tp.Sweeps, tp.Chains), tp.MeanAbsM, tp.Binder, tp.MsPerSweep)
					x = append(x, float64(L))
					y = append(y, tp.TauAbsM)
					ye = append(ye, tp.TauErr)
					ys = append(ys, tp.TauSeconds)
				}
				series = append(series, plots.Series{Name: string(alg), X: x, Y: y, Err: ye, Markers: true, NoLine: true})
				if len(x) >= 2 {
					f, err := experiment.FitPowerLaw(x, y, ye)
					if err != nil {
						return err
					}
					fs, _ := experiment.FitPowerLaw(x, ys, nil)
					fits = append(fits, tauFit{Sampler: string(alg), Z: f.Z, ZErr: f.ZErr, Chi2: f.Chi2, Points: f.Points, SecZ: fs.Z, SecZErr: fs.ZErr, Amplitude: f.A})
					fx := []float64{x[0], x[len(x)-1]}
					series = append(series, plots.Series{Name: fmt.Sprintf("%s fit: z = %.2f ± %.2f", alg, f.Z, f.ZErr), X: fx,
						Y: []float64{f.A * math.Pow(fx[0], f.Z), f.A * math.Pow(fx[1], f.Z)}, Dashed: true})
				}
			}
			p.done()
			ft := &table{title: "Dynamic exponent: τ_int(|m|) ∝ L^z", header: []string{"sampler", "z", "± error", "χ²", "points", "z (seconds)"}}
			for _, f := range fits {
				ft.add(f.Sampler, f.Z, f.ZErr, f.Chi2, f.Points, f.SecZ)
			}
			result := map[string]any{"beta": *beta, "points": points, "fits": fits}
			if *out != "" {
				fig := plots.LineFigure(plots.Axes{Title: fmt.Sprintf("φ⁴ autocorrelation time at β = %g", *beta), X: "L", Y: "τ_int(|m|) [sweeps]", LogX: true, LogY: true, LegendBottom: false}, series...)
				for _, ext := range []string{"png", "svg", "pdf"} {
					if err := fig.Save(filepath.Join(*out, "tau."+ext)); err != nil {
						return err
					}
				}
				if err := writeJSON(filepath.Join(*out, "tau.json"), result); err != nil {
					return err
				}
				e.logf("wrote %s", filepath.Join(*out, "tau.{png,svg,pdf,csv,json}"))
			}
			return e.emit(result, []*table{pts, ft})
		}
	}
	return c
}

// parseFloats parses "0.55,0.60,0.68".
func parseFloats(flagName, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usagef("--%s %q: %q is not a finite number", flagName, s, f)
		}
		out = append(out, v)
	}
	return out, nil
}
