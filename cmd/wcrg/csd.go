package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wcrglab/wcrg/engine/experiment"
	"github.com/wcrglab/wcrg/engine/ising"
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
                            scale j the τ_int of Ē_j along conditional chains at fixed
                            data φ_j, in sweeps of site-by-site MALA (each coarse site's
                            three details proposed with the local gradient and accepted
                            on their own); reported cost-weighted, Σ_j (d̄_j/L²) τ_j
  wcrg-global               the same with global MALA moves of the whole φ̄_j (τ in
                            steps; the step must shrink as d^(−1/3) to keep the
                            acceptance, so τ grows about like L^(2/3))
  theory-direct, theory-wcrg (with --theory) the Gaussian-theory condition numbers
                            of spec §7.3 for a free field with m = 1/ξ: the direct
                            precision's κ, and the largest conditional κ over scales
  gd-direct, gd-wcrg, gd-wcrg-phi (with --gd) τ_GD: gradient-descent iterations of
                            maximum likelihood with exact Gaussian moments at m = 1/ξ
                            (spec §3.3): the direct nearest-neighbour model on φ_0, and
                            the slowest WC-RG conditional (db4, window half-width 1) with
                            the couplings to φ_j as zero-sum kernels (gd-wcrg) or on
                            φ_j itself as in spec §2.2 (gd-wcrg-phi), whose moments
                            carry φ_j's growing low-frequency power
With --model ising the fields are ±1 Ising spins (H = −Σ s_x s_y, default β = β_c =
ln(1+√2)/2), generated with Wolff clusters, and the samplers are
  metropolis                checkerboard single-spin Metropolis, one sweep = L² updates
  wolff                     single-cluster Wolff, one sweep ≈ L² flipped spins
  sw                        Swendsen–Wang, one sweep = one clustering of the lattice
--beta takes one coupling (an L-study) or several (a β-scan, e.g. --L 64 --beta
0.55,0.60,0.64,0.66,0.68, where ξ varies at fixed L). Fits τ ∝ L^z (one β) and
τ ∝ ξ^z per sampler. With --out, writes csd.csv, csd.json and the log–log figures
csd.png/.svg/.pdf (τ against L, one β), csd_xi.png/.svg/.pdf (τ against ξ) and
csd_gd.png/.svg/.pdf (τ_GD against ξ), one series per sampler with its fitted line
and exponent in the legend.
The quick preset (--quick) runs L = 8, 16, 32 with metropolis, cluster and wcrg.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		modelName := fs.String("model", "phi4", "phi4 or ising")
		betaList := fs.String("beta", "0.68", "comma-separated couplings β (φ⁴ default 0.68; Ising default β_c = 0.4407)")
		Ls := fs.String("L", "16,32,64", "comma-separated lattice sides")
		samplers := fs.String("samplers", "metropolis,cluster,mala,wcrg", "comma-separated: metropolis, cluster, hmc, mala, wcrg (site-by-site conditional MALA sweeps), wcrg-global (global conditional MALA)")
		fields := fs.Int("fields", 500, "training fields per point for the WC-RG fit")
		steps := fs.Int("steps", 4000, "recorded MALA steps per chain (direct MALA: × (L/L_min)²)")
		seed := fs.Uint64("seed", 1, "random seed")
		theory := fs.Bool("theory", true, "add the Gaussian-theory condition numbers (direct and conditional) for m = 1/ξ")
		gd := fs.Bool("gd", true, "add τ_GD, the gradient-descent iterations of direct and WC-RG maximum likelihood in Gaussian theory at m = 1/ξ (csd_gd figure)")
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
			valid := []string{"metropolis", "cluster", "hmc", "mala", "wcrg", "wcrg-global"}
			modelTitle := "φ⁴"
			switch *modelName {
			case "phi4":
			case "ising":
				modelTitle = "Ising"
				valid = nil
				for _, a := range ising.Algorithms() {
					valid = append(valid, string(a))
				}
				if !flagSet(fs, "beta") {
					*betaList = strconv.FormatFloat(ising.BetaC, 'g', -1, 64)
				}
				if !flagSet(fs, "samplers") {
					*samplers = strings.Join(valid, ",")
				}
				*theory = *theory && flagSet(fs, "theory")
				if *theory {
					return usagef("--theory: the Gaussian-theory overlay is for φ⁴")
				}
				*gd = *gd && flagSet(fs, "gd")
				if *gd {
					return usagef("--gd: the τ_GD study is for φ⁴")
				}
			default:
				return usagef("--model %q: want phi4 or ising", *modelName)
			}
			betas, err := parseFloats("beta", *betaList)
			if err != nil {
				return err
			}
			beta := betas[0]
			var names []string
			for _, s := range strings.Split(*samplers, ",") {
				s = strings.TrimSpace(s)
				if !slices.Contains(valid, s) {
					return usagef("--samplers: unknown %s sampler %q (want %s)", modelTitle, s, strings.Join(valid, ", "))
				}
				names = append(names, s)
			}
			if *steps < 1 {
				return usagef("--steps %d: want at least 1", *steps)
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
			t := &table{title: fmt.Sprintf("%s at β = %s: autocorrelation time in full-field sweeps", modelTitle, *betaList),
				header: []string{"L", "β", "ξ", "Binder U", "sampler", "τ", "± error", "seconds", "note"}}
			pts, err := experiment.RunCSD(ctx, experiment.CSDSettings{Model: *modelName, Beta: beta, Betas: betas, Sides: sides, Samplers: names, Fields: *fields, Steps: *steps, Seed: *seed, Theory: *theory, GD: *gd},
				func(pt experiment.CSDPoint) {
					if experiment.IsGD(pt.Sampler) {
						p.update(true, "L=%d β=%g %s: τ_GD = %.0f iterations (ξ = %.3g)", pt.L, pt.Beta, pt.Sampler, pt.Tau, pt.Xi)
						return
					}
					if !(pt.Tau > 0) {
						p.update(true, "L=%d β=%g %s: no τ (%s)", pt.L, pt.Beta, pt.Sampler, pt.Note)
						return
					}
					p.update(true, "L=%d β=%g %s: τ = %.3g ± %.2g (ξ = %.3g)", pt.L, pt.Beta, pt.Sampler, pt.Tau, pt.TauErr, pt.Xi)
				},
				func(s string) { p.update(false, "%s", s) })
			p.done()
			if err != nil {
				return err
			}
			var tauPts, gdPts []experiment.CSDPoint
			gt := &table{title: "τ_GD: gradient-descent iterations of maximum likelihood, Gaussian theory at m = 1/ξ (db4, windows of half-width 1)",
				header: []string{"L", "β", "ξ", "estimator", "τ_GD", "note"}}
			for _, pt := range pts {
				if experiment.IsGD(pt.Sampler) {
					gdPts = append(gdPts, pt)
					gt.add(pt.L, pt.Beta, pt.Xi, pt.Sampler, pt.Tau, pt.Note)
					continue
				}
				tauPts = append(tauPts, pt)
				t.add(pt.L, pt.Beta, pt.Xi, pt.Binder, pt.Sampler, pt.Tau, pt.TauErr, pt.Seconds, pt.Note)
			}
			st := &table{title: "WC-RG per scale: τ_int of Ē_j at that scale (wcrg: site-by-site MALA sweeps; wcrg-global: global MALA steps)",
				header: []string{"L", "sampler", "j", "d̄_j/L²", "τ_j", "± error", "δ_j", "acceptance"}}
			for _, pt := range pts {
				for _, r := range pt.PerScale {
					st.add(pt.L, pt.Sampler, r.Level, r.Weight, r.Energy.Tau, r.Energy.TauErr, r.Delta, r.Acceptance)
				}
			}
			var tables []*table
			var figs []*plots.Figure
			result := map[string]any{"model": *modelName, "beta": betas, "points": pts}
			if len(betas) == 1 {
				fits := experiment.FitZ(tauPts)
				ft, fig := csdFits(fits, tauPts, "L", func(pt experiment.CSDPoint) float64 { return float64(pt.L) },
					fmt.Sprintf("Critical slowing down, %s at β = %.4g", modelTitle, beta))
				fig.Name = "csd"
				tables, figs = append(tables, ft), append(figs, fig)
				result["fits"] = fits
			}
			fitsXi := experiment.FitZXi(tauPts)
			title := fmt.Sprintf("Critical slowing down, %s at β = %s", modelTitle, *betaList)
			if len(betas) > 1 {
				title = fmt.Sprintf("Critical slowing down, %s at L = %s, β = %s", modelTitle, *Ls, *betaList)
			}
			ftx, figx := csdFits(fitsXi, tauPts, "ξ", func(pt experiment.CSDPoint) float64 { return pt.Xi }, title)
			figx.Name = "csd_xi"
			tables, figs = append(tables, ftx), append(figs, figx)
			result["fits_xi"] = fitsXi
			if len(gdPts) > 0 {
				fitsGD := experiment.FitZXi(gdPts)
				ftg, figg := csdFits(fitsGD, gdPts, "ξ", func(pt experiment.CSDPoint) float64 { return pt.Xi },
					fmt.Sprintf("Slowing down of estimation: τ_GD against ξ (Gaussian theory, %s points)", modelTitle))
				ftg.title = "τ_GD ∝ ξ^z: fitted exponents"
				figg.Name = "csd_gd"
				tables, figs = append(tables, gt, ftg), append(figs, figg)
				result["fits_gd"] = fitsGD
			}
			if *out != "" {
				for _, fig := range figs {
					for _, ext := range []string{"png", "svg", "pdf"} {
						if err := fig.Save(filepath.Join(*out, fig.Name+"."+ext)); err != nil {
							return err
						}
					}
				}
				if err := writeJSON(filepath.Join(*out, "csd.json"), result); err != nil {
					return err
				}
				e.logf("wrote %s and the figures with their numbers: %s", filepath.Join(*out, "csd.json"), filepath.Join(*out, "{csd,csd_xi,csd_gd}.{png,svg,pdf,csv}"))
			}
			return e.emit(result, append([]*table{t, st}, tables...))
		}
	}
	return c
}

// csdFits tabulates the fitted exponents τ ∝ x^z of a study and draws τ
// against x (log–log), one series per sampler with its fitted line.
func csdFits(fits map[string]experiment.PowerLaw, pts []experiment.CSDPoint, xName string, x func(experiment.CSDPoint) float64, title string) (*table, *plots.Figure) {
	ft := &table{title: fmt.Sprintf("Dynamic exponents: τ ∝ %s^z", xName), header: []string{"sampler", "z", "± error", "χ²", "points"}}
	keys := make([]string, 0, len(fits))
	for k := range fits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fits[k]
		ft.add(k, f.Z, f.ZErr, f.Chi2, f.Points)
	}
	return ft, plots.CSDFigure(title, xName, pts, x, fits)
}
