package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// estimateTab is the Estimate tab: every fit setting in a validated form,
// Run/Cancel, live convergence curves and the potentials of the finished
// scales.
type estimateTab struct {
	a *App
	// fits counts the fits started (UI goroutine only): a stopped fit
	// touches the tab only if no newer one has started.
	fits                            int
	estimator, wave, gamma, basis   *widget.Select
	levels, window, nodes           *widget.Entry
	qlo, qhi                        *widget.Entry
	mlIter, mlBatch, mlSteps, mlEta *widget.Entry
	// mlSweeps, mlWarmupSweeps and mlMaxStep let the ML chains relax by
	// site sweeps (estimate.MLSettings), which Ising-like data need;
	// mlMinVisits holds the descent until the chains have relaxed.
	mlSweeps, mlWarmupSweeps, mlMaxStep, mlMinVisits *widget.Entry
	mlFrom, pairNodes                                *widget.Entry
	z2                                               *widget.Check // fit on ±φ (wcrg.Settings.Z2); not remembered between sessions
	seed                                             *widget.Entry
	run, cancel                                      *widget.Button
	status                                           *widget.Label
	diag                                             *widget.Label
	curves, acceptance, potentials                   *widgets.PlotView
	content                                          fyne.CanvasObject
}

func newEstimateTab(a *App) *estimateTab {
	t := &estimateTab{a: a}
	d := wcrg.DefaultSettings()
	t.estimator = widget.NewSelect([]string{wcrg.EstimatorSM, wcrg.EstimatorSMML, wcrg.EstimatorML}, func(s string) { t.syncBasis() })
	t.wave = widget.NewSelect(wavelet.Names(), nil)
	t.wave.SetSelected(d.Wavelet)
	t.gamma = widget.NewSelect([]string{wcrg.GammaUnit, wcrg.GammaOne}, nil)
	t.gamma.SetSelected(d.GammaRule)
	t.basis = widget.NewSelect(energy.BasisKinds(), nil)
	t.levels = intEntry(0, 0, 16)
	t.window = intEntry(d.Window, 0, 16)
	t.nodes = intEntry(d.Nodes, 2, 200)
	t.qlo = floatEntry(d.QuantileLo, 0, 0.49)
	t.qhi = floatEntry(d.QuantileHi, 0.51, 1)
	t.mlIter = intEntry(300, 1, 100000)
	t.mlBatch = intEntry(256, 1, 1000000)
	t.mlSteps = intEntry(10, 1, 10000)
	t.mlEta = floatEntry(0.5, 0.01, 2)
	t.mlSweeps = intEntry(0, 0, 10000)
	t.mlWarmupSweeps = intEntry(0, 0, 100000)
	t.mlMaxStep = floatEntry(estimate.DefaultMaxStep, 0.01, 10)
	t.mlMinVisits = intEntry(3, 1, 10000)
	t.mlFrom = intEntry(0, 0, 16)
	t.pairNodes = intEntry(0, 0, energy.MaxPairNodes)
	t.z2 = widget.NewCheck("fit on φ and −φ (Ising, φ⁴)", nil)
	t.seed = intEntry(1, 0, 1<<31-1)
	t.estimator.SetSelected(d.Estimator)

	form := widget.NewForm(
		widget.NewFormItem("Estimator", t.estimator),
		widget.NewFormItem("Wavelet", t.wave),
		widget.NewFormItem("Levels J (0 = to 1×1)", t.levels),
		widget.NewFormItem("γ rule", t.gamma),
		widget.NewFormItem("Window half-width", t.window),
		widget.NewFormItem("Scalar basis", t.basis),
		widget.NewFormItem("Basis nodes K", t.nodes),
		widget.NewFormItem("Range quantile low", t.qlo),
		widget.NewFormItem("Range quantile high", t.qhi),
		widget.NewFormItem("ML iterations", t.mlIter),
		widget.NewFormItem("ML batch", t.mlBatch),
		widget.NewFormItem("ML MALA steps / iteration", t.mlSteps),
		widget.NewFormItem("ML Newton step η", t.mlEta),
		widget.NewFormItem("ML site sweeps / iteration (Ising: 1)", t.mlSweeps),
		widget.NewFormItem("ML warm-up site sweeps (Ising: 30)", t.mlWarmupSweeps),
		widget.NewFormItem("ML largest parameter step (sweeps: 1)", t.mlMaxStep),
		widget.NewFormItem("ML least visits per chain (Ising: 12)", t.mlMinVisits),
		widget.NewFormItem("sm: ML from level (0 = none)", t.mlFrom),
		widget.NewFormItem("Pair potential nodes (ML scales, 0 = none)", t.pairNodes),
		widget.NewFormItem("Z₂ symmetry", t.z2),
		widget.NewFormItem("Seed", t.seed),
	)
	ising := widget.NewButton("Ising settings", t.setIsing)
	ising.Importance = widget.LowImportance
	t.run = widget.NewButtonWithIcon("Fit", theme.MediaPlayIcon(), t.start)
	t.run.Importance = widget.HighImportance
	t.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { a.jobs.Cancel("fit") })
	t.cancel.Disable()
	t.status = widget.NewLabel("Load data, choose settings and press Fit.")
	t.status.Wrapping = fyne.TextWrapWord
	t.diag = widget.NewLabel("")
	t.diag.TextStyle = fyne.TextStyle{Monospace: true}
	t.curves = widgets.NewPlotView(a.exportFigure)
	t.acceptance = widgets.NewPlotView(a.exportFigure)
	t.potentials = widgets.NewPlotView(a.exportFigure)

	left := container.NewBorder(nil, container.NewVBox(container.NewHBox(t.run, t.cancel, ising), t.status), nil, nil,
		container.NewVScroll(form))
	right := container.NewVSplit(
		container.NewHSplit(
			container.NewBorder(widgets.Heading("Convergence"), nil, nil, nil,
				container.NewAppTabs(container.NewTabItem("Moment mismatch", t.curves), container.NewTabItem("MALA acceptance", t.acceptance))),
			container.NewBorder(widgets.Heading("Fitted scalar potentials v̄_j(t)"), nil, nil, nil, t.potentials)),
		container.NewBorder(widgets.Heading("Per-scale diagnostics"), nil, nil, nil, container.NewScroll(t.diag)))
	split := container.NewHSplit(left, right)
	split.Offset = 0.3
	t.content = split
	a.state.OnModelChanged(t.modelChanged)
	a.remember("estimate", remembered{"estimator", t.estimator}, remembered{"wavelet", t.wave}, remembered{"gamma", t.gamma},
		remembered{"basis", t.basis}, remembered{"levels", t.levels}, remembered{"window", t.window}, remembered{"nodes", t.nodes},
		remembered{"qlo", t.qlo}, remembered{"qhi", t.qhi}, remembered{"mlIterations", t.mlIter}, remembered{"mlBatch", t.mlBatch},
		remembered{"mlSteps", t.mlSteps}, remembered{"mlEta", t.mlEta}, remembered{"mlSweeps", t.mlSweeps},
		remembered{"mlWarmupSweeps", t.mlWarmupSweeps}, remembered{"mlMaxStep", t.mlMaxStep}, remembered{"mlMinVisits", t.mlMinVisits}, remembered{"mlFrom", t.mlFrom}, remembered{"pairNodes", t.pairNodes},
		remembered{"seed", t.seed}) // not z2: a symmetry of one data set, wrong for the next (lensing)
	return t
}

// setIsing fills the form with wcrg.IsingSettings, the route for
// dequantized Ising spins (the seed stays).
func (t *estimateTab) setIsing() {
	s := wcrg.IsingSettings()
	t.estimator.SetSelected(s.Estimator) // also picks its basis
	t.wave.SetSelected(s.Wavelet)
	t.gamma.SetSelected(s.GammaRule)
	t.levels.SetText(strconv.Itoa(s.Levels))
	t.window.SetText(strconv.Itoa(s.Window))
	t.nodes.SetText(strconv.Itoa(s.Nodes))
	t.qlo.SetText(strconv.FormatFloat(s.QuantileLo, 'g', -1, 64))
	t.qhi.SetText(strconv.FormatFloat(s.QuantileHi, 'g', -1, 64))
	t.mlIter.SetText(strconv.Itoa(s.ML.Iterations))
	t.mlBatch.SetText("256") // the form's defaults (estimate.MLSettings)
	t.mlSteps.SetText("10")
	t.mlEta.SetText("0.5")
	t.mlSweeps.SetText(strconv.Itoa(s.ML.Sweeps))
	t.mlWarmupSweeps.SetText(strconv.Itoa(s.ML.WarmupSweeps))
	t.mlMaxStep.SetText(strconv.FormatFloat(s.ML.MaxStep, 'g', -1, 64))
	t.mlMinVisits.SetText(strconv.Itoa(s.ML.MinVisits))
	t.mlFrom.SetText(strconv.Itoa(s.MLFromLevel))
	t.pairNodes.SetText(strconv.Itoa(s.PairNodes))
	t.z2.SetChecked(s.Z2)
	if g := t.a.generate; g != nil {
		// Generation to go with it: the large structures relax slowly, and
		// white-noise starts put coarse blocks beyond saturation.
		g.coarseFactor.SetText("8")
		g.zero.SetChecked(true)
	}
	t.status.SetText("Settings for dequantized Ising spins: Haar, Z₂, maximum likelihood at every scale with pair potentials and site sweeps (about 10 minutes at L = 32); " +
		"the Generate tab samples the coarse scales 8× longer, from zero. " +
		"Judge generated fields at the first coarse scale: wcrg coarsen --wavelet haar --levels 1 on training, held-out and generated fields, then wcrg compare --z2 --floor.")
}

// syncBasis picks the estimator's default basis (spec §2.3).
func (t *estimateTab) syncBasis() {
	if t.estimator.Selected == wcrg.EstimatorSM {
		t.basis.SetSelected(energy.BasisBSpline2)
	} else {
		t.basis.SetSelected(energy.BasisHat)
	}
}

// settings reads and validates the form.
func (t *estimateTab) settings() (wcrg.Settings, error) {
	s := wcrg.DefaultSettings()
	s.Estimator, s.Wavelet, s.GammaRule, s.Basis = t.estimator.Selected, t.wave.Selected, t.gamma.Selected, t.basis.Selected
	var err error
	read := func(name string, e *widget.Entry, dst *int) {
		if err == nil {
			*dst, err = readInt(name, e)
		}
	}
	readF := func(name string, e *widget.Entry, dst *float64) {
		if err == nil {
			*dst, err = readFloat(name, e)
		}
	}
	read("levels", t.levels, &s.Levels)
	read("window", t.window, &s.Window)
	read("basis nodes", t.nodes, &s.Nodes)
	readF("range quantile low", t.qlo, &s.QuantileLo)
	readF("range quantile high", t.qhi, &s.QuantileHi)
	read("ML iterations", t.mlIter, &s.ML.Iterations)
	read("ML batch", t.mlBatch, &s.ML.Batch)
	read("ML steps", t.mlSteps, &s.ML.Steps)
	readF("ML η", t.mlEta, &s.ML.Eta)
	read("ML site sweeps", t.mlSweeps, &s.ML.Sweeps)
	read("ML warm-up site sweeps", t.mlWarmupSweeps, &s.ML.WarmupSweeps)
	readF("ML largest parameter step", t.mlMaxStep, &s.ML.MaxStep)
	read("ML least visits per chain", t.mlMinVisits, &s.ML.MinVisits)
	read("ML from level", t.mlFrom, &s.MLFromLevel)
	read("pair potential nodes", t.pairNodes, &s.PairNodes)
	if err == nil && s.PairNodes > 0 && s.Estimator == wcrg.EstimatorSM && s.MLFromLevel == 0 {
		err = fmt.Errorf("pair potential nodes: pair potentials are fitted by maximum likelihood; choose the estimator sm+ml or ml, or an ML-from level")
	}
	if err == nil && s.PairNodes == 1 {
		err = fmt.Errorf("pair potential nodes: want 0 (none) or 2 … %d", energy.MaxPairNodes)
	}
	s.Z2 = t.z2.Checked
	var seed int
	read("seed", t.seed, &seed)
	s.Seed = uint64(seed)
	if err != nil {
		return s, err
	}
	return s, s.Validate()
}

// fitLive collects what the fit reports, for the live figures.
type fitLive struct {
	mu         sync.Mutex
	iter       map[int][]float64 // level → χ²/m per ML iteration
	accept     map[int][]float64
	potentials map[int][2][]float64
	lastPlot   time.Time
}

func (t *estimateTab) start() {
	d := t.a.state.Data
	if d == nil {
		t.a.showError(fmt.Errorf("no data loaded"))
		return
	}
	set, err := t.settings()
	if err != nil {
		t.a.showError(err)
		return
	}
	if set.Levels > wavelet.MaxLevels(d.Stack.L) {
		t.a.showError(fmt.Errorf("levels: at most %d for %d×%d fields", wavelet.MaxLevels(d.Stack.L), d.Stack.L, d.Stack.L))
		return
	}
	live := &fitLive{iter: map[int][]float64{}, accept: map[int][]float64{}, potentials: map[int][2][]float64{}}
	t.run.Disable()
	t.cancel.Enable()
	t.status.SetText(fmt.Sprintf("Fitting %d fields of %d×%d with %s …", d.Stack.N, d.Stack.L, d.Stack.L, set.Estimator))
	prov := wcrg.Provenance{File: d.Source, Kind: d.Kind, Beta: d.Beta, Notes: d.Notes, SHA256: d.SHA256,
		Lensing: d.Lensing, PixelArcmin: d.PixelArcmin}
	if d.Lensing != nil {
		// Preprocessed lensing fields are centred and scaled (spec §10,
		// row 18), as by wcrg fit.
		set.Standardize = wcrg.StandardizeCenterScale
	}
	t.fits++
	fit := t.fits
	t.a.jobs.Start("fit", "Fit model", func(ctx context.Context, report func(Progress)) (_ func(), err error) {
		defer func() {
			// A stopped fit must not leave "Fitting …" behind.
			stopped := ""
			switch {
			case errors.Is(err, context.Canceled) || ctx.Err() != nil:
				stopped = "Fit cancelled; the previous model is kept."
			case err != nil:
				stopped = "Fit failed: " + err.Error()
			}
			fyne.Do(func() {
				if fit != t.fits {
					return // a newer fit owns the tab
				}
				t.run.Enable()
				t.cancel.Disable()
				if stopped != "" {
					t.status.SetText(stopped)
				}
			})
		}()
		m, err := wcrg.Fit(ctx, d.Stack, set, prov, func(p wcrg.FitProgress) {
			text := fmt.Sprintf("scale %d of %d: %s", p.Level, p.Levels, p.Stage)
			if p.ML != nil {
				text += fmt.Sprintf(" — iteration %d, χ²/m %.3g, acceptance %.2f", p.ML.Iteration, p.ML.ChiSquare, p.ML.Acceptance)
			}
			report(Progress{Fraction: p.Fraction, Text: text})
			t.collect(live, p)
		})
		if err != nil {
			return nil, err
		}
		return func() {
			t.a.state.SetModel(m, "")
			status := fmt.Sprintf("Fitted %d parameters in %.1f s. Save the model from the File menu.", m.NumParams(), sumSeconds(m))
			if w := m.FitWarnings(); len(w) > 0 {
				status += "\nWarning: " + strings.Join(w, "\nWarning: ")
			}
			t.status.SetText(status)
		}, nil
	})
}

func sumSeconds(m *wcrg.Model) float64 {
	var s float64
	for _, d := range m.Diagnostics {
		s += d.Seconds
	}
	return s
}

// collect stores live figures' data and redraws them at most 4 times a
// second (called on the fit's goroutines).
func (t *estimateTab) collect(live *fitLive, p wcrg.FitProgress) {
	live.mu.Lock()
	if p.ML != nil {
		live.iter[p.Level] = append(live.iter[p.Level], p.ML.ChiSquare)
		live.accept[p.Level] = append(live.accept[p.Level], p.ML.Acceptance)
	}
	force := false
	if p.Finished != nil && p.Grid != nil {
		live.potentials[p.Level] = [2][]float64{p.Grid, p.Potential}
		force = true
	}
	if !force && time.Since(live.lastPlot) < 250*time.Millisecond {
		live.mu.Unlock()
		return
	}
	live.lastPlot = time.Now()
	curves, acc, pots := t.figures(live)
	live.mu.Unlock()
	ci, ai, pi := widgets.RenderFigure(curves), widgets.RenderFigure(acc), widgets.RenderFigure(pots)
	fyne.Do(func() {
		t.curves.SetFigure(curves, ci)
		t.acceptance.SetFigure(acc, ai)
		t.potentials.SetFigure(pots, pi)
	})
}

// figures builds the convergence, acceptance and potential figures
// (live.mu held).
func (t *estimateTab) figures(live *fitLive) (curves, acceptance, potentials *plots.Figure) {
	var cs, as []plots.Series
	levels := sortedKeys(live.iter)
	for _, j := range levels {
		s := plots.Series{Name: fmt.Sprintf("scale %d: χ²/m", j)}
		for i, y := range live.iter[j] {
			s.X = append(s.X, float64(i+1))
			s.Y = append(s.Y, y)
		}
		cs = append(cs, s)
		a := plots.Series{Name: fmt.Sprintf("scale %d", j)}
		for i, y := range live.accept[j] {
			a.X = append(a.X, float64(i+1))
			a.Y = append(a.Y, y)
		}
		as = append(as, a)
	}
	acceptance = plots.LineFigure(plots.Axes{Title: fmt.Sprintf("ML persistent chains: MALA acceptance (δ adapted towards %.2f)", mcmc.TargetAcceptance),
		X: "iteration", Y: "acceptance"}, as...)
	if len(as) == 0 {
		acceptance = plots.LineFigure(plots.Axes{Title: "score matching: closed form, no MALA chains", X: "iteration", Y: "acceptance"})
	}
	acceptance.Name = "acceptance"
	curves = plots.LineFigure(plots.Axes{Title: "ML moment mismatch (≈ 1 when converged)", X: "iteration", Y: "χ²/m", LogY: true}, cs...)
	if len(cs) == 0 {
		curves = plots.LineFigure(plots.Axes{Title: "score matching: closed form, no iterations", X: "iteration", Y: "χ²/m"})
	}
	curves.Name = "convergence"
	var ps []plots.Series
	for _, j := range sortedKeys2(live.potentials) {
		g := live.potentials[j]
		name := fmt.Sprintf("v̄_%d", j)
		if j == 0 {
			name = "E_J (coarsest)"
		}
		ps = append(ps, plots.Series{Name: name, X: g[0], Y: shiftMin(g[1])})
	}
	potentials = plots.LineFigure(plots.Axes{Title: "scalar potentials (standardized units, min set to 0)", X: "t", Y: "v(t) − min v"}, ps...)
	potentials.Name = "potentials"
	return curves, acceptance, potentials
}

func shiftMin(v []float64) []float64 {
	if len(v) == 0 {
		return v
	}
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x - m
	}
	return out
}

func sortedKeys(m map[int][]float64) []int {
	var k []int
	for j := range m {
		k = append(k, j)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(k)))
	return k
}

func sortedKeys2(m map[int][2][]float64) []int {
	var k []int
	for j := range m {
		k = append(k, j)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(k)))
	return k
}

// modelChanged shows the diagnostics of the current model.
func (t *estimateTab) modelChanged() {
	m := t.a.state.Model
	if m == nil {
		t.diag.SetText("")
		return
	}
	t.diag.SetText(formatDiagnostics(m))
}

// formatDiagnostics is the per-scale table of a model.
func formatDiagnostics(m *wcrg.Model) string {
	var b strings.Builder
	est := m.Settings.Estimator
	if m.Settings.MLFromLevel > 0 && est == wcrg.EstimatorSM {
		est = fmt.Sprintf("sm, ML from level %d", m.Settings.MLFromLevel)
	}
	fmt.Fprintf(&b, "%s, %s, γ rule %s, window %d, basis %s (%d nodes); %d parameters\n",
		est, m.Settings.Wavelet, m.Settings.GammaRule, m.Settings.Window, m.Settings.Basis, m.Settings.Nodes, m.NumParams())
	if m.Settings.Z2 {
		b.WriteString("fitted on every field and its mirror image −φ (Z₂)\n")
	}
	if ml := m.Settings.ML; ml.Sweeps > 0 || ml.WarmupSweeps > 0 {
		fmt.Fprintf(&b, "ML chains relaxed by site sweeps: %d per iteration, %d in the warm-up\n", ml.Sweeps, ml.WarmupSweeps)
	}
	if lv := m.PairLevels(); len(lv) > 0 {
		fmt.Fprintf(&b, "pair potentials (%d×%d nodes) in the conditionals of levels %v\n", m.Settings.PairNodes, m.Settings.PairNodes, lv)
	}
	fmt.Fprintf(&b, "%5s %6s %7s %10s %9s %9s %6s %8s %8s\n", "scale", "side", "params", "loss", "κ norm", "κ raw", "ML it", "χ²/m", "seconds")
	for _, d := range m.Diagnostics {
		name, loss := fmt.Sprint(d.Level), d.ScoreLoss
		if d.Level == 0 {
			name = "E_J"
			if d.NLL != 0 {
				loss = d.NLL
			}
		}
		fmt.Fprintf(&b, "%5s %6d %7d %10.4g %9.3g %9.3g %6d %8.3g %8.2f\n", name, d.Side, d.Params, loss, d.Cond, d.CondRaw, d.MLIterations, d.MLChiSquare, d.Seconds)
	}
	b.WriteString("\nloss: score-matching loss per field (scales), NLL per field (1×1 E_J); κ: condition number of the score-matching Hessian")
	return b.String()
}
