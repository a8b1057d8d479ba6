package app

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// hamiltonianTab reconstructs the microscopic Hamiltonian H₀ of the current
// model (free energies by gradient regression or thermodynamic integration,
// spec §5.2–5.4) and shows its coupling kernel and scale potentials, each
// exportable.
type hamiltonianTab struct {
	a               *App
	route           *widget.Select
	bootstrap       *widget.Entry // resamples for error bars (0: none)
	run, cancel     *widget.Button
	status          *widget.Label
	kernel, profile *widgets.PlotView
	v0, potentials  *widgets.PlotView
	table           *widget.Label
	content         fyne.CanvasObject
}

func newHamiltonianTab(a *App) *hamiltonianTab {
	t := &hamiltonianTab{a: a}
	t.run = widget.NewButtonWithIcon("Reconstruct H₀", theme.MediaPlayIcon(), t.start)
	t.run.Importance = widget.HighImportance
	t.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { a.jobs.Cancel("hamiltonian") })
	t.cancel.Disable()
	t.route = widget.NewSelect([]string{routeRegression, routeTI}, nil)
	t.route.SetSelected(routeRegression)
	t.bootstrap = intEntry(0, 0, 64)
	t.status = widget.NewLabel("Fit a model in the Estimate tab (or open one), then reconstruct H₀ = ½φᵀKφ + Σ_j Σ_x V_j(φ_j(x)) from its conditional energies and free energies.")
	t.status.Wrapping = fyne.TextWrapWord
	t.kernel = widgets.NewPlotView(a.exportFigure)
	t.profile = widgets.NewPlotView(a.exportFigure)
	t.v0 = widgets.NewPlotView(a.exportFigure)
	t.potentials = widgets.NewPlotView(a.exportFigure)
	t.table = widget.NewLabel("")
	t.table.TextStyle = fyne.TextStyle{Monospace: true}
	routeRow := container.NewBorder(nil, nil, widget.NewLabel("Free energies"), nil, t.route)
	bootRow := container.NewBorder(nil, nil, widget.NewLabel("Bootstrap resamples (error bars; 0: none)"), nil, t.bootstrap)
	left := container.NewBorder(container.NewVBox(routeRow, bootRow, container.NewHBox(t.run, t.cancel), t.status), nil, nil, nil, container.NewScroll(t.table))
	grid := container.NewGridWithColumns(2, t.kernel, t.profile, t.v0, t.potentials)
	split := container.NewHSplit(left, grid)
	split.Offset = 0.3
	t.content = split
	// Not the bootstrap count: one run with many resamples should not make
	// every later reconstruction as slow.
	a.remember("hamiltonian", remembered{"route", t.route})
	return t
}

// The Hamiltonian tab's free-energy routes (wcrg.FreeSettings.Route).
const (
	routeRegression = "gradient regression (default)"
	routeTI         = "thermodynamic integration (small lattices)"
)

func (t *hamiltonianTab) start() {
	m, data := t.a.state.Model, t.a.state.Data
	if m == nil {
		t.a.showError(fmt.Errorf("no model: fit one in the Estimate tab first"))
		return
	}
	if data == nil || data.Stack.L != m.L || data.Stack.N < 2 {
		t.a.showError(fmt.Errorf("the free energies need the model's training data (%d×%d fields) loaded in the Data tab", m.L, m.L))
		return
	}
	beta := 0.0
	if data.Kind == "phi4" {
		beta = data.Beta
	}
	set := wcrg.FreeSettings{Seed: 1}
	if t.route.Selected == routeTI {
		set.Route = wcrg.RouteTI
	}
	boot, err := t.resamples()
	if err != nil {
		t.a.showError(err)
		return
	}
	bs, bootWarning, err := bootstrapPlan(m, data, boot)
	if err != nil {
		t.a.showError(err)
		return
	}
	t.run.Disable()
	t.cancel.Enable()
	t.a.jobs.Start("hamiltonian", "Reconstruct H₀", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(func() { t.run.Enable(); t.cancel.Disable() })
		// The reconstruction is 1 of 1 + boot equal parts of the work.
		part := 1 / float64(1+boot)
		free, err := wcrg.FitFreeEnergies(ctx, m, data.Stack, set, func(level int) {
			report(Progress{Fraction: part * float64(m.Levels-level+1) / float64(m.Levels+1), Text: fmt.Sprintf("free energy of scale %d fitted", level)})
		})
		if err != nil {
			return nil, err
		}
		h, err := wcrg.BuildHamiltonian(m, free, data.Stack)
		if err != nil {
			return nil, err
		}
		var reps []*wcrg.Hamiltonian
		if boot > 0 {
			report(Progress{Fraction: part, Text: fmt.Sprintf("bootstrap: refitting on resample 1 of %d", boot)})
			reps, err = wcrg.BootstrapHamiltonian(ctx, m, data.Stack, set, bs, func(done int) {
				report(Progress{Fraction: part * float64(1+done), Text: fmt.Sprintf("bootstrap: %d of %d resamples refitted", done, boot)})
			})
			if err != nil {
				return nil, err
			}
		}
		figs := hamiltonianFigures(h, reps, beta)
		imgs := make([]image.Image, len(figs))
		for i, f := range figs {
			imgs[i] = widgets.RenderFigure(f)
		}
		text := hamiltonianSummary(h, reps, bs.Block, beta) + bootWarning
		return func() {
			views := []*widgets.PlotView{t.kernel, t.profile, t.v0, t.potentials}
			for i, v := range views {
				v.SetFigure(figs[i], imgs[i])
			}
			t.table.SetText(text)
			t.status.SetText("H₀ reconstructed. Export any figure with its button.")
		}, nil
	})
}

// bootstrapPlan settles the tab's bootstrap before its job starts, as
// wcrg hamiltonian does: boot resamples as large as the model's training
// set (Provenance.Count, when the data at hand have more), with the patches
// of one map drawn together (Dataset.FieldsPerMap). Patches of a single map
// fall back to single fields. The warning, empty or starting with a
// newline, goes under the summary.
func bootstrapPlan(m *wcrg.Model, data *Dataset, boot int) (wcrg.BootstrapSettings, string, error) {
	if boot == 0 {
		return wcrg.BootstrapSettings{}, "", nil
	}
	n := data.Stack.N
	if c := m.Provenance.Count; c > 0 && c < n {
		n = c
	}
	set := wcrg.BootstrapSettings{Replicates: boot, Seed: 1, Fields: n, Block: max(1, data.FieldsPerMap)}
	var warning string
	if set.Block > 1 && (n/set.Block < 2 || data.Stack.N/set.Block < 2) {
		warning = fmt.Sprintf("\nWarning: the %d fields are patches of one\nmap, resampled one by one: their errors\nare too small (patches of a map are\ncorrelated)\n", data.Stack.N)
		set.Block = 1
	}
	if err := set.Validate(data.Stack.N); err != nil {
		return set, "", fmt.Errorf("bootstrap resamples: %w", err)
	}
	if k := n / set.Block; k < 10 {
		warning += fmt.Sprintf("\nWarning: only %d independent blocks to\nresample; the errors are rough\n", k)
	}
	return set, warning, nil
}

// resamples returns the bootstrap count of the tab's entry: 0 (none) or
// at least 2.
func (t *hamiltonianTab) resamples() (int, error) {
	boot, err := readInt("bootstrap resamples", t.bootstrap)
	if err == nil && boot == 1 {
		err = fmt.Errorf("bootstrap resamples: want 0 (none) or at least 2")
	}
	return boot, err
}

// hamiltonianFigures returns the kernel image, its Fourier profile, V_0 in
// data units and all V_j (standardized), with the φ⁴ terms overlaid when β
// is known (β > 0), and error bars on the V_j from bootstrap replicates
// (reps, may be nil).
func hamiltonianFigures(h *wcrg.Hamiltonian, reps []*wcrg.Hamiltonian, beta float64) []*plots.Figure {
	L := h.L
	raw := make([]float64, len(h.Kernel))
	for i, v := range h.Kernel {
		raw[i] = v / (h.Scale * h.Scale)
	}
	kernel := plots.KernelFigure("Coupling kernel K(s), data units", raw, L, min(4, L/2))
	kernel.Name = "kernel"
	prof := plots.KernelProfile("K̂(k₁, 0) reconstructed", raw, L)
	prof.Markers = true
	series := []plots.Series{prof}
	if beta > 0 {
		th := plots.Series{Name: fmt.Sprintf("φ⁴: β(2 − 2cos k), β = %g", beta), Dashed: true}
		for _, k := range prof.X {
			th.X, th.Y = append(th.X, k), append(th.Y, beta*(2-2*math.Cos(k)))
		}
		series = append(series, th)
	}
	profile := plots.LineFigure(plots.Axes{Title: "Kernel in Fourier space along k₁", X: "k₁", Y: "K̂(k)"}, series...)
	profile.Name = "kernel_profile"

	p0 := h.Potentials[0]
	v00 := h.RawPotential(0, 0)
	v0 := plots.Series{Name: "V_0 reconstructed"}
	for k, x := range p0.Grid {
		v0.X, v0.Y = append(v0.X, h.Mean+h.Scale*x), append(v0.Y, p0.V[k]-v00)
	}
	vs := []plots.Series{v0}
	if beta > 0 {
		ex := plots.Series{Name: fmt.Sprintf("φ⁴: t⁴ − (1+2β)t², β = %g", beta), Dashed: true}
		for _, x := range v0.X {
			ex.X, ex.Y = append(ex.X, x), append(ex.Y, x*x*x*x-(1+2*beta)*x*x)
		}
		vs = append(vs, ex)
	}
	v0fig := plots.LineFigure(plots.Axes{Title: "Microscopic potential V_0 (data units)", X: "φ", Y: "V_0(φ) − V_0(0)"}, vs...)
	v0fig.Name = "v0"

	var all, bars []plots.Series
	for k, p := range h.Potentials {
		s := plots.Series{Name: fmt.Sprintf("V_%d (%d×%d)", p.Level, L>>p.Level, L>>p.Level), Dashed: p.Level > 0}
		for _, x := range p.Grid {
			s.X, s.Y = append(s.X, x), append(s.Y, h.Deviation(p.Level, x))
		}
		all = append(all, s)
		if len(reps) >= 2 {
			c := s
			c.Color = k + 1
			bars = append(bars, plots.ErrorBars(c, wcrg.PotentialSpread(h, reps, p.Level), 20))
		}
	}
	title := "Scale potentials V_j (standardized; V_0 − V_0(0), j ≥ 1 minus their quadratic)"
	if len(reps) >= 2 {
		title = fmt.Sprintf("V_j (standardized; V_0 − V_0(0), j ≥ 1 minus their quadratic) ± bootstrap s.e. (%d)", len(reps))
	}
	pot := plots.LineFigure(plots.Axes{Title: title, X: "t", Y: "V_j(t)"}, append(all, bars...)...)
	pot.Name = "potentials"
	return []*plots.Figure{kernel, profile, v0fig, pot}
}

// hamiltonianSummary is the tab's text: couplings, β, the V_j deviations
// and pair rests, with bootstrap standard errors when reps has at least two
// replicates, drawn in blocks of block fields (1: single fields).
func hamiltonianSummary(h *wcrg.Hamiltonian, reps []*wcrg.Hamiltonian, block int, beta float64) string {
	var b strings.Builder
	se := func(f func(*wcrg.Hamiltonian) float64) float64 { return wcrg.BootstrapError(reps, f) }
	fmt.Fprintf(&b, "Couplings K(s), data units (zero-mass gauge)\n")
	for _, c := range []struct {
		name   string
		s1, s2 int
		phi4   float64
	}{{"K(0)", 0, 0, 4}, {"K(e1)", 1, 0, -1}, {"K(e2)", 0, 1, -1}, {"K(e1+e2)", 1, 1, 0}, {"K(2e1)", 2, 0, 0}} {
		fmt.Fprintf(&b, "%-9s %10.4f", c.name, h.RawKernelAt(c.s1, c.s2))
		if len(reps) >= 2 {
			fmt.Fprintf(&b, " ± %.4f", se(func(r *wcrg.Hamiltonian) float64 { return r.RawKernelAt(c.s1, c.s2) }))
		}
		if beta > 0 {
			fmt.Fprintf(&b, "   φ⁴: %7.4f", c.phi4*beta)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nβ estimate −K(e1) = %.4f", -h.RawKernelAt(1, 0))
	if len(reps) >= 2 {
		fmt.Fprintf(&b, " ± %.4f", se(func(r *wcrg.Hamiltonian) float64 { return -r.RawKernelAt(1, 0) }))
	}
	if beta > 0 {
		fmt.Fprintf(&b, " (data: β = %g)", beta)
	}
	fmt.Fprintf(&b, "\nnon-invariance %.2g; the written-out\nform differs from the fitted energies\nby %.0f %% of their spread\n", h.NonInvariance, 100*h.FormError)
	fmt.Fprintf(&b, "\nScale potentials: deviation from a\nquadratic (%% of V_0's depth %.3g) and\namplitude c = v̄_j+1/ṽ_j (1: they cancel)\n", h.Depth)
	for _, p := range h.Potentials[1:] {
		fmt.Fprintf(&b, "V_%d: %-8.3g %3.0f %%   c %.3g\n", p.Level, p.MaxDev, 100*p.MaxDev/h.Depth, p.Amplitude)
	}
	if len(reps) >= 2 {
		if block > 1 {
			fmt.Fprintf(&b, "\nBootstrap (%d resamples, drawn by map,\n%d patches each):\n", len(reps), block)
		} else {
			fmt.Fprintf(&b, "\nBootstrap (%d resamples of single fields;\npatches are drawn by map when their file\nhas the sidecar of wcrg lensing prep):\n", len(reps))
		}
		fmt.Fprintf(&b, "deviation ± s.e., noise (RMS s.e. of V_j,\n%% of the depth) and deviation / noise\n(≲ 1: the deviation is estimation noise)\n")
		for _, p := range h.Potentials[1:] {
			j := p.Level
			noise, sn := wcrg.PotentialNoise(h, reps, j)
			relErr := se(func(r *wcrg.Hamiltonian) float64 { return r.Potentials[j].MaxDev / r.Depth })
			if math.IsNaN(relErr) || math.IsNaN(noise) {
				fmt.Fprintf(&b, "V_%d: %3.0f %%  (no finite resamples)\n", j, 100*p.MaxDev/h.Depth)
				continue
			}
			fmt.Fprintf(&b, "V_%d: %3.0f ± %.1f %%  noise %3.1f %%  %.2f\n", j, 100*p.MaxDev/h.Depth, 100*relErr, 100*noise/h.Depth, sn)
		}
	}
	var pairs []wcrg.ScalePotential
	for _, p := range h.Potentials {
		if p.Pair {
			pairs = append(pairs, p)
		}
	}
	if len(pairs) > 0 {
		fmt.Fprintf(&b, "\nPair potentials on φ_j: on-site parts\nin V_j, q φ(x)φ(x+e) in K; the rest\n(RMS, %% of V_0's depth) is a pair\ninteraction H₀'s form does not have\n")
		for _, p := range pairs {
			if h.Depth > 0 {
				fmt.Fprintf(&b, "j = %d: q %-8.3g rest %3.0f %%\n", p.Level, p.PairCoupling, 100*p.PairResidual/h.Depth)
			} else {
				fmt.Fprintf(&b, "j = %d: q %-8.3g rest %.3g\n", p.Level, p.PairCoupling, p.PairResidual)
			}
		}
	}
	return b.String()
}
