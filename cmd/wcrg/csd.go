package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wcrglab/wcrg/engine/experiment"
	"github.com/wcrglab/wcrg/plots"
)

func csdCommand() *command {
	c := &command{
		name:    "csd",
		args:    "",
		summary: "critical slowing down: τ against L and ξ for local, cluster, direct MALA and WC-RG sampling",
		details: `At each lattice side L (β fixed, so ξ grows with L near β_c), generates --fields
φ⁴ fields with the cluster hybrid, measures ξ (second moment) from them, and then
for each sampler the integrated autocorrelation time in full-field sweeps:
  metropolis, cluster, hmc  τ_int(|m|) of the chain from a hot start (Γ method)
  mala                      τ_int of |m| and E (the larger) of MALA on the full energy,
                            one step = one full-field gradient
  wcrg                      a WC-RG fit (score matching) of the fields, then at every
                            scale j the τ_int of Ē_j along conditional MALA chains at
                            fixed data φ_j; reported cost-weighted, Σ_j (d̄_j/L²) τ_j
  theory-direct, theory-wcrg (with --theory) the Gaussian-theory condition numbers
                            of spec §7.3 for a free field with m = 1/ξ: the direct
                            precision's κ, and the largest conditional κ over scales
Fits τ ∝ L^z per sampler. With --out, writes csd.csv, csd.json and the log–log
figure csd.png/.svg/.pdf (one series per sampler, fitted lines with z).
The quick preset (--quick) runs L = 8, 16, 32 with metropolis, cluster and wcrg.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		beta := fs.Float64("beta", 0.68, "φ⁴ coupling β")
		Ls := fs.String("L", "16,32,64", "comma-separated lattice sides")
		samplers := fs.String("samplers", "metropolis,cluster,mala,wcrg", "comma-separated: metropolis, cluster, hmc, mala, wcrg")
		fields := fs.Int("fields", 500, "training fields per point for the WC-RG fit")
		steps := fs.Int("steps", 4000, "recorded MALA steps per chain (direct MALA: × (L/L_min)²)")
		seed := fs.Uint64("seed", 1, "random seed")
		theory := fs.Bool("theory", true, "add the Gaussian-theory condition numbers (direct and conditional) for m = 1/ξ")
		quick := fs.Bool("quick", false, "the live-demo preset: L = 8,16,32, samplers metropolis,cluster,wcrg, 300 fields")
		out := fs.String("out", "", "directory for csd.csv, csd.json and the figure (optional)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			if *quick {
				*Ls, *samplers, *fields = "8,16,32", "metropolis,cluster,wcrg", 300
			}
			sides, err := parseInts("L", *Ls)
			if err != nil {
				return err
			}
			for _, L := range sides {
				if L < 8 || L > 512 || L&(L-1) != 0 {
					return usagef("--L %d: want a power of two in 8 … 512", L)
				}
			}
			var names []string
			for _, s := range strings.Split(*samplers, ",") {
				s = strings.TrimSpace(s)
				switch s {
				case "metropolis", "cluster", "hmc", "mala", "wcrg":
				default:
					return usagef("--samplers: unknown sampler %q", s)
				}
				names = append(names, s)
			}
			if *fields < 16 {
				return usagef("--fields %d: want at least 16", *fields)
			}
			if *out != "" {
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return fmt.Errorf("--out %s: %w", *out, err)
				}
			}
			p := e.progress()
			t := &table{title: fmt.Sprintf("φ⁴ at β = %g: autocorrelation time in full-field sweeps", *beta),
				header: []string{"L", "ξ", "Binder U", "sampler", "τ", "± error", "seconds", "note"}}
			pts, err := experiment.RunCSD(ctx, experiment.CSDSettings{Beta: *beta, Sides: sides, Samplers: names, Fields: *fields, Steps: *steps, Seed: *seed, Theory: *theory},
				func(pt experiment.CSDPoint) {
					p.update(true, "L=%d %s: τ = %.3g ± %.2g (ξ = %.3g)", pt.L, pt.Sampler, pt.Tau, pt.TauErr, pt.Xi)
				},
				func(s string) { p.update(false, "%s", s) })
			p.done()
			if err != nil {
				return err
			}
			for _, pt := range pts {
				t.add(pt.L, pt.Xi, pt.Binder, pt.Sampler, pt.Tau, pt.TauErr, pt.Seconds, pt.Note)
			}
			st := &table{title: "WC-RG per scale: τ_int of Ē_j (MALA steps at that scale)", header: []string{"L", "j", "d̄_j/L²", "τ_j", "± error", "δ_j", "acceptance"}}
			for _, pt := range pts {
				for _, r := range pt.PerScale {
					st.add(pt.L, r.Level, r.Weight, r.Energy.Tau, r.Energy.TauErr, r.Delta, r.Acceptance)
				}
			}
			fits := experiment.FitZ(pts)
			ft := &table{title: "Dynamic exponents: τ ∝ L^z", header: []string{"sampler", "z", "± error", "χ²", "points"}}
			keys := make([]string, 0, len(fits))
			for k := range fits {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var series []plots.Series
			for ki, k := range keys {
				f := fits[k]
				ft.add(k, f.Z, f.ZErr, f.Chi2, f.Points)
				var x, y, ye []float64
				for _, pt := range pts {
					if pt.Sampler == k {
						x, y, ye = append(x, float64(pt.L)), append(y, pt.Tau), append(ye, pt.TauErr)
					}
				}
				series = append(series, plots.Series{Name: fmt.Sprintf("%s: z = %.2f ± %.2f", k, f.Z, f.ZErr), X: x, Y: y, Err: ye, NoLine: true, Color: ki + 1})
				fx := []float64{x[0], x[len(x)-1]}
				series = append(series, plots.Series{X: fx, Y: []float64{f.A * math.Pow(fx[0], f.Z), f.A * math.Pow(fx[1], f.Z)}, Dashed: true, Color: ki + 1})
			}
			result := map[string]any{"beta": *beta, "points": pts, "fits": fits}
			if *out != "" {
				fig := plots.LineFigure(plots.Axes{Title: fmt.Sprintf("Critical slowing down, φ⁴ at β = %g", *beta), X: "L", Y: "τ [full-field sweeps]  (theory: condition number κ)", LogX: true, LogY: true}, series...)
				fig.Name = "csd"
				for _, ext := range []string{"png", "svg", "pdf"} {
					if err := fig.Save(filepath.Join(*out, "csd."+ext)); err != nil {
						return err
					}
				}
				if err := writeJSON(filepath.Join(*out, "csd.json"), result); err != nil {
					return err
				}
				e.logf("wrote %s", filepath.Join(*out, "csd.{png,svg,pdf,csv,json}"))
			}
			return e.emit(result, []*table{t, st, ft})
		}
	}
	return c
}
