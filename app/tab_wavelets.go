package app

import (
	"context"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/experiment"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// Gamma rules offered in the Wavelets tab (spec §1.4, §10 row 2).
const (
	gammaUnit = "unit variance (estimated)"
	gammaOne  = "γ = 1"
)

// waveletResult is what the Wavelets tab's job computes.
type waveletResult struct {
	basis   string
	levels  int
	gamma   []float64
	dec     *wavelet.Decomposition
	stats   []wavelet.PlaneStats // pooled over the data set
	mosaic  *image.RGBA          // enlarged by scale, with grid lines
	scale   int
	coarse  []*image.RGBA // φ_0 … φ_J of the selected field
	ranges  []plots.Range
	fig     *plots.Figure
	field   int
	dataset *Dataset
	// hists[j−1] is the figure of level j's detail histograms per
	// orientation (pooled over the data set, in units of each channel's
	// std), histImgs its rendering.
	hists    []*plots.Figure
	histImgs []image.Image
}

type waveletTab struct {
	a       *App
	basis   *widget.Select
	levels  *widget.Select
	gamma   *widget.Select
	clip    *widget.Select
	mosaic  *widgets.FieldView
	table   *widget.Label
	coarse  *fyne.Container
	export  *widget.Button
	content fyne.CanvasObject
	last    *waveletResult

	// The basis comparison (experiment.CompareBases) on the loaded data.
	basesRun   *widget.Button
	basesTable *widget.Label
	basesPlot  *widgets.PlotView
	right      *container.AppTabs // per-scale statistics | histograms | basis comparison
	histLevel  *widget.Select     // level j of the histograms shown
	histPlot   *widgets.PlotView
}

func newWaveletTab(a *App) *waveletTab {
	t := &waveletTab{a: a, mosaic: widgets.NewFieldView()}
	t.basis = widget.NewSelect(wavelet.Names(), func(string) { t.recompute() })
	t.levels = widget.NewSelect(nil, func(string) { t.recompute() })
	t.gamma = widget.NewSelect([]string{gammaUnit, gammaOne}, func(string) { t.recompute() })
	t.clip = widget.NewSelect([]string{"0 %", "0.5 %", "1 %", "2 %"}, func(string) { t.recompute() })
	t.table = widget.NewLabel("")
	t.table.TextStyle = fyne.TextStyle{Monospace: true}
	t.coarse = container.NewHBox()
	t.export = widget.NewButton("Export mosaic…", func() {
		if t.last != nil {
			a.exportFigure(t.last.fig)
		}
	})
	t.export.Disable()
	t.basesRun = widget.NewButton("Compare bases…", t.basesDialog)
	t.basesTable = widget.NewLabel(basesHint)
	t.basesTable.TextStyle = fyne.TextStyle{Monospace: true}
	t.basesPlot = widgets.NewPlotView(a.exportFigure)
	controls := container.NewHBox(
		widget.NewLabel("Wavelet"), t.basis, widget.NewLabel("levels J"), t.levels,
		widget.NewLabel("γ rule"), t.gamma, widget.NewLabel("clip"), t.clip, t.export, t.basesRun)
	stats := container.NewBorder(widgets.Heading("Per-scale statistics (whole data set)"), nil, nil, nil,
		container.NewScroll(t.table))
	basesSplit := container.NewVSplit(container.NewScroll(t.basesTable), t.basesPlot)
	basesSplit.Offset = 0.45
	bases := container.NewBorder(widgets.Heading("Finest conditional Ē_1 fitted in each basis"), nil, nil, nil, basesSplit)
	t.histPlot = widgets.NewPlotView(a.exportFigure)
	t.histLevel = widget.NewSelect(nil, func(string) { t.showHistogram() })
	hists := container.NewBorder(container.NewHBox(widget.NewLabel("Detail coefficients of level j ="), t.histLevel), nil, nil, nil, t.histPlot)
	t.right = container.NewAppTabs(container.NewTabItem("Per-scale statistics", stats),
		container.NewTabItem("Histograms", hists),
		container.NewTabItem("Basis comparison", bases))
	right := t.right
	split := container.NewHSplit(t.mosaic, right)
	split.Offset = 0.55
	bottom := container.NewBorder(widgets.Heading("Coarse fields φ_j of the selected field, fine to coarse"), nil, nil, nil,
		container.NewHScroll(t.coarse))
	t.content = container.NewBorder(controls, bottom, nil, nil, split)

	t.basis.SetSelected("db4")
	t.gamma.SetSelected(gammaUnit)
	t.clip.SetSelected("0.5 %")
	a.state.OnDataChanged(t.dataChanged)
	a.state.OnSelectionChanged(t.recompute)
	return t
}

func (t *waveletTab) dataChanged() {
	d := t.a.state.Data
	if d == nil {
		return
	}
	t.a.jobs.Cancel("bases")
	t.basesTable.SetText(basesHint)
	t.basesPlot.SetFigure(nil, image.NewRGBA(image.Rect(0, 0, 1, 1)))
	J := wavelet.MaxLevels(d.Stack.L)
	opts := make([]string, J)
	for j := range opts {
		opts[j] = strconv.Itoa(j + 1)
	}
	t.levels.Options = opts
	t.levels.Refresh()
	// Default: down to 1×1, or 4 levels for large fields (the mosaic stays readable).
	def := min(J, 4)
	if d.Stack.L <= 64 {
		def = J
	}
	t.levels.SetSelected(strconv.Itoa(def)) // triggers recompute
}

func (t *waveletTab) recompute() {
	d := t.a.state.Data
	if d == nil || t.basis.Selected == "" || t.levels.Selected == "" || t.gamma.Selected == "" || t.clip.Selected == "" {
		return
	}
	J, err := strconv.Atoi(t.levels.Selected)
	if err != nil || J > wavelet.MaxLevels(d.Stack.L) {
		return
	}
	name, rule, clip, sel := t.basis.Selected, t.gamma.Selected, parseClip(t.clip.Selected), t.a.state.Selected
	// Reuse γ and the data-set statistics when only the selected field changed.
	prev := t.last
	t.a.jobs.Start("wavelets", "Wavelet decomposition", func(ctx context.Context, report func(Progress)) (func(), error) {
		r, err := computeWavelets(ctx, d, name, J, rule, clip, sel, prev)
		if err != nil {
			return nil, err
		}
		return func() { t.show(r) }, nil
	})
}

func computeWavelets(ctx context.Context, d *Dataset, name string, J int, rule string, clip float64, sel int, prev *waveletResult) (*waveletResult, error) {
	b, err := wavelet.New(name)
	if err != nil {
		return nil, err
	}
	r := &waveletResult{basis: name, levels: J, field: sel, dataset: d}
	reuse := prev != nil && prev.dataset == d && prev.basis == name && prev.levels == J && ((rule == gammaOne) == allOnes(prev.gamma))
	if reuse {
		r.gamma, r.stats, r.hists, r.histImgs = prev.gamma, prev.stats, prev.hists, prev.histImgs
	} else {
		if rule == gammaUnit {
			r.gamma, err = wavelet.EstimateGamma(b, d.Stack, J, 0)
			if err != nil {
				return nil, fmt.Errorf("%s: %w (choose γ = 1 to skip the estimate)", d.Name, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	tr, err := wavelet.NewTransform(b, d.Stack.L, J, r.gamma)
	if err != nil {
		return nil, err
	}
	r.gamma = tr.Gammas()
	if !reuse {
		r.stats = wavelet.StackStats(tr, d.Stack, 0)
		r.hists = orientationHistograms(tr, d, r.stats)
		for _, f := range r.hists {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r.histImgs = append(r.histImgs, widgets.RenderFigure(f))
		}
	}
	f := d.Stack.Field(sel)
	r.dec = wavelet.NewDecomposition(d.Stack.L, J)
	tr.Decompose(r.dec, f.Data)
	coarseCM, _ := plots.NewColorMap("viridis")
	detailCM, _ := plots.NewColorMap("diverging")
	r.scale = max(1, 512/d.Stack.L)
	r.mosaic = plots.MosaicImageGrid(r.dec, clip, coarseCM, detailCM, r.scale)
	for j := 0; j <= J; j++ {
		data, n := f.Data, f.L
		if j > 0 {
			data, n = r.dec.Coarse(j), r.dec.Side(j)
		}
		rg := plots.AutoRange(data, clip)
		r.ranges = append(r.ranges, rg)
		r.coarse = append(r.coarse, plots.FieldImage(nil, data, n, rg, coarseCM))
	}
	r.fig = plots.MosaicFigure(fmt.Sprintf("%s, %s, J = %d, field %d", d.Name, name, J, sel+1), r.dec, r.stats, r.gamma, clip)
	return r, nil
}

func allOnes(g []float64) bool {
	for _, v := range g {
		if v != 1 {
			return false
		}
	}
	return true
}

func (t *waveletTab) show(r *waveletResult) {
	if t.a.state.Data != r.dataset {
		return
	}
	t.last = r
	t.export.Enable()
	dec, scale := r.dec, r.scale
	t.mosaic.SetImage(r.mosaic, func(x, y int) string {
		j, c, x1, x2 := plots.MosaicBlock(dec.L, dec.Levels, x/scale, y/scale)
		if c == 0 {
			return fmt.Sprintf("φ_%d (%d×%d) at (%d, %d) = %s", j, dec.Side(j), dec.Side(j), x1, x2, plots.FormatValue(dec.Coarse(j)[x1*dec.Side(j)+x2]))
		}
		return fmt.Sprintf("φ̄_%d channel %d at (%d, %d) = %s", j, c, x1, x2, plots.FormatValue(dec.Channel(j, c)[x1*dec.Side(j)+x2]))
	}, nil)
	t.table.SetText(formatPlaneStats(r.stats, r.gamma))
	var levels []string
	for j := 1; j <= len(r.hists); j++ {
		levels = append(levels, strconv.Itoa(j))
	}
	t.histLevel.Options = levels
	if !contains(levels, t.histLevel.Selected) {
		t.histLevel.SetSelected("1") // shows it
	} else {
		t.showHistogram()
	}
	var cells []fyne.CanvasObject
	for j, img := range r.coarse {
		v := widgets.NewFieldView()
		n := img.Bounds().Dx()
		v.SetImage(img, nil, nil)
		title := widget.NewLabel(fmt.Sprintf("φ_%d  %d×%d", j, n, n))
		cells = append(cells, container.NewBorder(title, nil, nil, nil, container.NewGridWrap(fyne.NewSize(150, 150), v)))
	}
	t.coarse.Objects = cells
	t.coarse.Refresh()
}

// histogramFields caps the fields pooled into the orientation histograms.
const histogramFields = 500

// orientationHistograms returns, per level j, the figure of the densities
// of the three detail channels (horizontal, vertical, diagonal) in units of
// each channel's std, pooled over the first histogramFields fields, beside
// the unit Gaussian: the non-Gaussian tails and any anisotropy of the
// data show at a glance (log y).
func orientationHistograms(tr *wavelet.Transform, d *Dataset, stats []wavelet.PlaneStats) []*plots.Figure {
	J, L := len(tr.Gammas()), d.Stack.L
	std := map[[2]int]float64{}
	for _, s := range stats {
		std[[2]int{s.Level, s.Channel}] = s.Std
	}
	hs := make([][3]*lattice.Histogram, J+1)
	for j := 1; j <= J; j++ {
		for c := range hs[j] {
			hs[j][c] = lattice.NewHistogram(-6, 6, 60)
		}
	}
	dec := wavelet.NewDecomposition(L, J)
	buf := make([]float64, L*L)
	for i := 0; i < min(d.Stack.N, histogramFields); i++ {
		tr.Decompose(dec, d.Stack.Field(i).Data)
		for j := 1; j <= J; j++ {
			for c := 1; c <= 3; c++ {
				s := std[[2]int{j, c}]
				if !(s > 0) {
					continue
				}
				x := buf[:0]
				for _, v := range dec.Channel(j, c) {
					x = append(x, v/s)
				}
				hs[j][c-1].Add(x)
			}
		}
	}
	gauss := plots.Series{Name: "unit Gaussian", Dashed: true}
	for x := -6.0; x <= 6; x += 0.1 {
		gauss.X, gauss.Y = append(gauss.X, x), append(gauss.Y, math.Exp(-x*x/2)/math.Sqrt(2*math.Pi))
	}
	var figs []*plots.Figure
	for j := 1; j <= J; j++ {
		var series []plots.Series
		for c, name := range []string{"horizontal (c = 1)", "vertical (c = 2)", "diagonal (c = 3)"} {
			series = append(series, plots.HistogramSeries(name, hs[j][c]))
		}
		series = append(series, gauss)
		f := plots.HistogramFigure(fmt.Sprintf("%s: detail coefficients φ̄_%d (%d×%d) by orientation", d.Name, j, L>>j, L>>j),
			"φ̄ / std of its channel", series...)
		f.Name = fmt.Sprintf("orientation_histograms_j%d", j)
		figs = append(figs, f)
	}
	return figs
}

// showHistogram shows the histograms of the selected level.
func (t *waveletTab) showHistogram() {
	r := t.last
	j, err := strconv.Atoi(t.histLevel.Selected)
	if r == nil || err != nil || j < 1 || j > len(r.hists) {
		return
	}
	t.histPlot.SetFigure(r.hists[j-1], r.histImgs[j-1])
}

// formatPlaneStats formats the per-scale table: the std of φ_j and of each
// detail channel, the ratios std(φ̄_j^c)/std(φ_j), and γ_j.
func formatPlaneStats(stats []wavelet.PlaneStats, gamma []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%2s %5s %9s %9s %9s %9s %7s %7s\n", "j", "L_j", "std φ_j", "std c=1", "std c=2", "std c=3", "γ_j", "kurt φ̄")
	byLevel := map[int][4]wavelet.PlaneStats{}
	for _, s := range stats {
		v := byLevel[s.Level]
		v[s.Channel] = s
		byLevel[s.Level] = v
	}
	for j := 0; j <= len(gamma); j++ {
		v := byLevel[j]
		if j == 0 {
			fmt.Fprintf(&b, "%2d %5d %9.4f\n", 0, v[0].Side, v[0].Std)
			continue
		}
		k := (v[1].Kurtosis + v[2].Kurtosis + v[3].Kurtosis) / 3
		fmt.Fprintf(&b, "%2d %5d %9.4f %9.4f %9.4f %9.4f %7.4f %7.3f\n", j, v[0].Side, v[0].Std, v[1].Std, v[2].Std, v[3].Std, gamma[j-1], k)
	}
	return b.String()
}

// basesHint is the basis-comparison panel's text before a run.
const basesHint = "Press Compare bases… to fit the finest conditional Ē_1 with\n" +
	"each basis (same window) and compare the decay of its couplings,\n" +
	"the held-out score-matching loss and the conditional MALA τ_int."

// basesForm is the Compare bases… dialog: the settings a user may change.
type basesForm struct {
	bases  *widget.CheckGroup
	window *widget.Entry
	train  *widget.Entry
	steps  *widget.Entry
	seed   *widget.Entry
}

func newBasesForm() *basesForm {
	d := experiment.DefaultBasesSettings()
	f := &basesForm{
		bases:  widget.NewCheckGroup(wavelet.Names(), nil),
		window: intEntry(d.Window, 0, 16),
		train:  floatEntry(d.Train, 0.05, 0.95),
		steps:  intEntry(d.Steps, 100, 1000000),
		seed:   intEntry(int(d.Seed), 0, 1<<31-1),
	}
	f.bases.Horizontal = true
	f.bases.SetSelected(d.Bases)
	return f
}

func (f *basesForm) items() []*widget.FormItem {
	return []*widget.FormItem{
		widget.NewFormItem("Bases", container.NewHScroll(f.bases)),
		widget.NewFormItem("Window half-width", f.window),
		widget.NewFormItem("Training fraction", f.train),
		widget.NewFormItem("MALA steps per chain", f.steps),
		widget.NewFormItem("Seed", f.seed),
	}
}

// settings reads and validates the form.
func (f *basesForm) settings() (experiment.BasesSettings, error) {
	s := experiment.DefaultBasesSettings()
	// Keep the order of wavelet.Names (haar first) whatever the click order.
	s.Bases = nil
	for _, n := range wavelet.Names() {
		for _, sel := range f.bases.Selected {
			if sel == n {
				s.Bases = append(s.Bases, n)
			}
		}
	}
	if len(s.Bases) == 0 {
		return s, fmt.Errorf("bases: choose at least one wavelet")
	}
	var err error
	if s.Window, err = readInt("window half-width", f.window); err != nil {
		return s, err
	}
	if s.Train, err = readFloat("training fraction", f.train); err != nil {
		return s, err
	}
	if s.Steps, err = readInt("MALA steps", f.steps); err != nil {
		return s, err
	}
	seed, err := readInt("seed", f.seed)
	if err != nil {
		return s, err
	}
	s.Seed = uint64(seed)
	return s, s.Validate()
}

// basesDialog asks for the comparison's settings and runs it.
func (t *waveletTab) basesDialog() {
	if t.a.state.Data == nil {
		t.a.showError(fmt.Errorf("compare bases: no data loaded"))
		return
	}
	f := newBasesForm()
	d := dialog.NewForm("Compare bases on the finest scale", "Run", "Cancel", f.items(), func(ok bool) {
		if !ok {
			return
		}
		set, err := f.settings()
		if err != nil {
			t.a.showError(err)
			return
		}
		t.runBases(set)
	}, t.a.win)
	d.Resize(fyne.NewSize(560, 360))
	d.Show()
}

// runBases runs experiment.CompareBases on the loaded data in the "bases"
// job slot and shows the table and the coupling-tail figure.
func (t *waveletTab) runBases(set experiment.BasesSettings) {
	d := t.a.state.Data
	if d == nil {
		t.a.showError(fmt.Errorf("compare bases: no data loaded"))
		return
	}
	if err := set.Validate(); err != nil {
		t.a.showError(err)
		return
	}
	t.basesRun.Disable()
	t.a.jobs.Start("bases", "Compare bases", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(t.basesRun.Enable)
		res, err := experiment.CompareBases(ctx, d.Stack, set, func(p experiment.BasesProgress) {
			report(Progress{Fraction: p.Fraction, Text: fmt.Sprintf("%s (%d of %d): %s", p.Basis, p.Index+1, p.Count, p.Stage)})
		})
		if err != nil {
			return nil, err
		}
		text := formatBases(res)
		fig := basesTailFigure(d.Name, res)
		img := widgets.RenderFigure(fig)
		return func() {
			if t.a.state.Data != d {
				return
			}
			t.basesTable.SetText(text)
			t.basesPlot.SetFigure(fig, img)
			t.right.SelectIndex(2) // the Basis comparison tab
		}, nil
	})
}

// formatBases formats the comparison as a monospace table, one column per
// basis, with a legend.
func formatBases(res []experiment.BasisResult) string {
	var b strings.Builder
	if len(res) == 0 {
		return ""
	}
	r0 := res[0]
	fmt.Fprintf(&b, "%d×%d details, window %d×%d,\n%d training / %d held-out fields\n\n",
		r0.Side, r0.Side, 2*r0.Window+1, 2*r0.Window+1, r0.Train, r0.Test)
	row := func(name string, cell func(r experiment.BasisResult) string) {
		fmt.Fprintf(&b, "%-15s", name)
		for _, r := range res {
			fmt.Fprintf(&b, " %11s", cell(r))
		}
		b.WriteByte('\n')
	}
	f4 := func(v float64) string { return fmt.Sprintf("%.4f", v) }
	row("", func(r experiment.BasisResult) string { return r.Basis })
	row("decay > 2", func(r experiment.BasisResult) string { return f4(r.Decay) })
	row("  same channel", func(r experiment.BasisResult) string { return f4(r.DecaySame) })
	row("  NN reference", func(r experiment.BasisResult) string { return f4(r.RefDecay) })
	row("  NN same ch.", func(r experiment.BasisResult) string { return f4(r.RefDecaySame) })
	row("held-out loss", func(r experiment.BasisResult) string { return fmt.Sprintf("%.5f", r.TestLoss) })
	row("κ_F", func(r experiment.BasisResult) string { return fmt.Sprintf("%.4g", r.CondFourier) })
	row("τ_int (steps)", func(r experiment.BasisResult) string {
		s := fmt.Sprintf("%.3g±%.2g", r.Tau, r.TauErr)
		if !r.TauReliable {
			s += "?"
		}
		return s
	})
	b.WriteString("\ndecay > 2: fraction of the squared norm of\n" +
		"the learned couplings beyond 2 coarse spacings;\n" +
		"NN: the same for the exact nearest-neighbour\n" +
		"couplings (those of φ⁴ at j = 1, up to β).\n" +
		"held-out loss: score matching per coordinate,\n" +
		"standardized φ_0 units (lower is better).\n" +
		"κ_F: mean Hessian over frequencies.\n" +
		"τ_int: conditional MALA steps (? unreliable).")
	return b.String()
}

// basesTailFigure draws log₁₀ of the fraction of the squared coupling norm
// beyond a distance r per basis, with the nearest-neighbour reference
// dashed (fractions below 1e-6, rounding of the last couplings, left out).
func basesTailFigure(data string, res []experiment.BasisResult) *plots.Figure {
	var series []plots.Series
	for i, r := range res {
		s := plots.Series{Name: r.Basis, Markers: true, Color: i + 1}
		ref := plots.Series{Name: r.Basis + " (nearest-neighbour)", Dashed: true, Color: i + 1}
		for _, c := range []struct {
			dst *plots.Series
			pts []experiment.TailPoint
		}{{&s, r.Tail}, {&ref, r.RefTail}} {
			for _, p := range c.pts {
				if p.Tail >= 1e-6 {
					c.dst.X, c.dst.Y = append(c.dst.X, p.Distance), append(c.dst.Y, math.Log10(p.Tail))
				}
			}
		}
		series = append(series, s, ref)
	}
	f := plots.LineFigure(plots.Axes{Title: fmt.Sprintf("Coupling tails of Ē_1, %s (decay = tail at r = %g)", data, experiment.DecayRadius),
		X: "distance r (coarse lattice spacings)", Y: "log₁₀ fraction of squared coupling norm beyond r", LegendBottom: true}, series...)
	f.Name = "bases_tail"
	return f
}
