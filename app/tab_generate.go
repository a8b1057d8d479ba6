package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// generateTab samples fields coarse to fine from the current model, shows
// the current scale of one sample filling in, and compares the generated
// statistics with the data's.
type generateTab struct {
	a               *App
	n, steps, adapt *widget.Entry
	sweeps          *widget.Entry
	coarseFactor    *widget.Entry // SampleSettings.CoarseFactor
	seed            *widget.Entry
	zero, symmetric *widget.Check
	run, cancel     *widget.Button
	check           *widget.Button // convergence check
	diagnose        *widget.Button // scale diagnosis
	cascade         *widgets.PlotView
	status          *widget.Label
	live            *widgets.FieldView
	spectrum, hist  *widgets.PlotView
	scaleStd        *widgets.PlotView
	peaks           *widgets.PlotView    // peak counts by height
	minkowski       [2]*widgets.PlotView // Minkowski functionals V1, V2
	figTabs         *container.AppTabs   // pixel values, per-scale std, peaks, Minkowski, cascade
	table           *widget.Label
	content         fyne.CanvasObject
	generated       *Dataset
	lastSnap        time.Time
	mu              sync.Mutex
	useAsDataButton *widget.Button
}

func newGenerateTab(a *App) *generateTab {
	t := &generateTab{a: a, live: widgets.NewFieldView()}
	t.n = intEntry(200, 1, 1000000)
	t.steps = intEntry(100, 1, 100000)
	t.adapt = intEntry(100, 0, 100000)
	t.sweeps = intEntry(40, 0, 100000)
	t.coarseFactor = intEntry(1, 1, 10000)
	t.seed = intEntry(1, 0, 1<<31-1)
	t.zero = widget.NewCheck("start φ̄ at 0 (default: white noise)", nil)
	t.symmetric = widget.NewCheck("append −φ (Z₂ doubling)", nil)
	form := widget.NewForm(
		widget.NewFormItem("Fields", t.n),
		widget.NewFormItem("MALA steps per scale", t.steps),
		widget.NewFormItem("of which adapting δ", t.adapt),
		widget.NewFormItem("then site sweeps", t.sweeps),
		widget.NewFormItem("× at coarse scales (Ising: 8)", t.coarseFactor),
		widget.NewFormItem("Seed", t.seed),
	)
	t.run = widget.NewButtonWithIcon("Generate", theme.MediaPlayIcon(), t.start)
	t.run.Importance = widget.HighImportance
	t.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { a.jobs.Cancel("generate") })
	t.cancel.Disable()
	t.check = widget.NewButton(fmt.Sprintf("Check convergence (×%d steps and sweeps)", convergenceFactor), t.checkConvergence)
	t.diagnose = widget.NewButton("Diagnose scales (start from the data's φ_k)", t.diagnoseScales)
	t.useAsDataButton = widget.NewButton("Show generated fields in the Data tab", func() {
		if t.generated != nil {
			a.state.SetData(t.generated)
			a.SelectTab("Data")
		}
	})
	t.useAsDataButton.Disable()
	t.status = widget.NewLabel("Fit or open a model first.")
	t.status.Wrapping = fyne.TextWrapWord
	t.table = widget.NewLabel("")
	t.table.TextStyle = fyne.TextStyle{Monospace: true}
	t.spectrum = widgets.NewPlotView(a.exportFigure)
	t.hist = widgets.NewPlotView(a.exportFigure)
	t.scaleStd = widgets.NewPlotView(a.exportFigure)
	t.peaks = widgets.NewPlotView(a.exportFigure)
	t.minkowski = [2]*widgets.PlotView{widgets.NewPlotView(a.exportFigure), widgets.NewPlotView(a.exportFigure)}
	t.cascade = widgets.NewPlotView(a.exportFigure)
	left := container.NewBorder(nil, container.NewVBox(container.NewHBox(t.run, t.cancel), t.check, t.diagnose, t.status, t.useAsDataButton), nil, nil,
		container.NewVBox(form, t.zero, t.symmetric, widgets.Heading("Sample 1, current scale"), container.NewGridWrap(fyne.NewSize(300, 300), t.live)))
	t.figTabs = container.NewAppTabs(
		container.NewTabItem("Pixel values", t.hist), container.NewTabItem("Per-scale std", t.scaleStd),
		container.NewTabItem("Peaks", t.peaks), container.NewTabItem("Minkowski V1", t.minkowski[0]),
		container.NewTabItem("Minkowski V2", t.minkowski[1]), container.NewTabItem("Cascade", t.cascade))
	right := container.NewVSplit(
		container.NewHSplit(t.spectrum, t.figTabs),
		container.NewBorder(widgets.Heading("Generated (B) vs data (A)"), nil, nil, nil, container.NewScroll(t.table)))
	split := container.NewHSplit(container.NewVScroll(left), right)
	split.Offset = 0.3
	t.content = split
	a.state.OnModelChanged(func() {
		if m := a.state.Model; m != nil {
			t.status.SetText(fmt.Sprintf("Model of %d×%d fields, %d levels, %d parameters.", m.L, m.L, m.Levels, m.NumParams()))
		}
	})
	a.remember("generate", remembered{"n", t.n}, remembered{"steps", t.steps}, remembered{"adapt", t.adapt}, remembered{"sweeps", t.sweeps},
		remembered{"coarseFactor", t.coarseFactor}, remembered{"seed", t.seed}, remembered{"zeroStart", t.zero}, remembered{"symmetric", t.symmetric})
	return t
}

// cascadeTabIndex is the index of the Cascade figure in figTabs.
const cascadeTabIndex = 5

// sampleSettings reads and validates the form.
func (t *generateTab) sampleSettings() (wcrg.SampleSettings, error) {
	var set wcrg.SampleSettings
	var err error
	set.N, err = readInt("fields", t.n)
	if err == nil {
		set.Steps, err = readInt("steps", t.steps)
	}
	if err == nil {
		set.Adapt, err = readInt("adapting steps", t.adapt)
	}
	if err == nil {
		set.Sweeps, err = readInt("site sweeps", t.sweeps)
		if set.Sweeps == 0 {
			set.Sweeps = -1 // the form's 0 means none; the engine's, its default
		}
	}
	if err == nil {
		set.CoarseFactor, err = readInt("coarse-scale factor", t.coarseFactor)
	}
	var seed int
	if err == nil {
		seed, err = readInt("seed", t.seed)
	}
	set.Seed = uint64(seed)
	set.ZeroStart, set.Symmetric, set.Snapshots = t.zero.Checked, t.symmetric.Checked, true
	if err == nil {
		err = set.Validate()
	}
	return set, err
}

// prepare returns the model and the form's settings, or shows what is
// missing and returns false.
func (t *generateTab) prepare() (*wcrg.Model, wcrg.SampleSettings, bool) {
	m := t.a.state.Model
	if m == nil {
		t.a.showError(fmt.Errorf("no model: fit one in the Estimate tab or open a model file"))
		return nil, wcrg.SampleSettings{}, false
	}
	set, err := t.sampleSettings()
	if err != nil {
		t.a.showError(err)
		return nil, set, false
	}
	return m, set, true
}

func (t *generateTab) start() {
	m, set, ok := t.prepare()
	if !ok {
		return
	}
	data := t.a.state.Data
	t.run.Disable()
	t.check.Disable()
	t.diagnose.Disable()
	t.cancel.Enable()
	cm, _ := plots.NewColorMap("viridis")
	t.a.jobs.Start("generate", "Generate fields", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(func() { t.run.Enable(); t.check.Enable(); t.diagnose.Enable(); t.cancel.Disable() })
		res, err := wcrg.Sample(ctx, m, set, func(p wcrg.SampleProgress) {
			report(Progress{Fraction: p.Fraction, Text: fmt.Sprintf("scale %d: %s, acceptance %.2f, δ %.3g", p.Level, samplerPosition(p), p.Acceptance, p.Delta)})
			if p.Snapshot == nil {
				return
			}
			t.mu.Lock()
			due := time.Since(t.lastSnap) > 100*time.Millisecond || (p.Sweeps == 0 && p.Step == p.Steps) || (p.Sweeps > 0 && p.Sweep == p.Sweeps)
			if due {
				t.lastSnap = time.Now()
			}
			t.mu.Unlock()
			if due {
				img := plots.FieldImage(nil, p.Snapshot, p.SnapshotSide, plots.AutoRange(p.Snapshot, 0.5), cm)
				fyne.Do(func() { t.live.SetImage(img, nil, nil) })
			}
		})
		if err != nil {
			return nil, err
		}
		gen := &Dataset{Name: fmt.Sprintf("generated: %d fields (seed %d)", res.Fields.N, set.Seed), Stack: res.Fields, Kind: "generated"}
		status := fmt.Sprintf("Generated %d fields.", res.Fields.N)
		var cmp *wcrg.Comparison
		if data != nil && data.Stack.L != res.Fields.L {
			status += fmt.Sprintf(" Not compared with the data: they are %d×%d, the model's fields %d×%d.", data.Stack.L, data.Stack.L, res.Fields.L, res.Fields.L)
		}
		if data != nil && data.Stack.L == res.Fields.L && data.Stack.N >= 2 && res.Fields.N >= 2 {
			report(Progress{Fraction: 1, Text: "comparing statistics"})
			if cmp, err = wcrg.Compare(data.Stack, res.Fields, "db4", 0); err != nil {
				// Not worth losing the fields for (constant data, say).
				cmp = nil
				status += " Not compared with the data: " + err.Error() + "."
			}
		}
		var sfig, hfig, stdFig *plots.Figure
		var stdImg image.Image
		if cmp != nil {
			stdFig = plots.ScaleStdFigure(cmp, "data", "generated")
			stdImg = widgets.RenderFigure(stdFig)
			sfig = plots.SpectrumFigure("Power spectrum", plots.SpectrumSeries("data", cmp.SpectrumA), plots.SpectrumSeries("generated", cmp.SpectrumB))
			hfig = plots.HistogramFigure("Pixel values", "φ", plots.HistogramSeries("data", cmp.HistA), plots.HistogramSeries("generated", cmp.HistB))
		} else {
			sfig = plots.SpectrumFigure("Power spectrum", plots.SpectrumSeries("generated", lattice.PowerSpectrum(res.Fields, 0).Radial()))
			lo, hi, ok := lattice.SpreadRange(res.Fields.Data, 4)
			if !ok {
				lo, hi = -1, 1
				status += " The generated values overflow: no histogram."
			}
			h := lattice.NewHistogram(lo, hi, 60)
			h.Add(res.Fields.Data)
			hfig = plots.HistogramFigure("Pixel values", "φ", plots.HistogramSeries("generated", h))
		}
		si, hi := widgets.RenderFigure(sfig), widgets.RenderFigure(hfig)
		report(Progress{Fraction: 1, Text: "peak counts and Minkowski functionals"})
		topo, err := topologyFigures(ctx, data, cmp != nil, res.Fields)
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		if err != nil {
			// Not worth losing the fields for: say why the figures are empty.
			status += " No peak counts or Minkowski functionals: " + err.Error()
		}
		return func() {
			t.peaks.SetFigure(topo.peaks, topo.peaksImg)
			for k, v := range t.minkowski {
				v.SetFigure(topo.mk[k], topo.mkImg[k])
			}
			t.generated = gen
			t.useAsDataButton.Enable()
			t.spectrum.SetFigure(sfig, si)
			t.hist.SetFigure(hfig, hi)
			t.scaleStd.SetFigure(stdFig, stdImg)
			t.table.SetText(formatComparison(cmp, res))
			t.status.SetText(status)
		}, nil
	})
}

// topology holds the peak-count and Minkowski figures of the Generate tab
// with their renderings.
type topology struct {
	peaks    *plots.Figure
	peaksImg image.Image
	mk       [2]*plots.Figure // V1, V2
	mkImg    [2]image.Image
}

// topologyFigures measures the peak counts and the Minkowski functionals
// V1 and V2 of the generated fields, and of the data beside them when
// withData (both normalized by the data's mean and σ, so that they share
// the thresholds). The statistics of weak-lensing analyses, they also
// describe the domains of φ⁴ and Ising fields.
func topologyFigures(ctx context.Context, data *Dataset, withData bool, gen lattice.Stack) (topology, error) {
	var sets []lattice.Stack
	var names []string
	if withData {
		sets, names = append(sets, data.Stack), append(names, "data")
	}
	sets, names = append(sets, gen), append(names, "generated")
	var pk []lensing.PeakCounts
	var mk []lensing.Minkowski
	var pset lensing.PeakSettings
	var mean, sigma float64
	for i, st := range sets {
		if err := ctx.Err(); err != nil {
			return topology{}, err
		}
		p, err := lensing.Peaks(st, pset)
		if err != nil {
			return topology{}, fmt.Errorf("%s fields: %w", names[i], err)
		}
		m, err := lensing.MinkowskiFunctionals(st, mean, sigma)
		if err != nil {
			return topology{}, fmt.Errorf("%s fields: %w", names[i], err)
		}
		if i == 0 {
			pset.Mean, pset.Sigma = p.Mean, p.Sigma
			mean, sigma = m.Mean, m.Sigma
		}
		pk, mk = append(pk, p), append(mk, m)
	}
	var t topology
	t.peaks = plots.PeakCountsFigure(names, pk)
	t.peaksImg = widgets.RenderFigure(t.peaks)
	for k := range t.mk {
		t.mk[k] = plots.MinkowskiFigure(k+1, names, mk)
		t.mkImg[k] = widgets.RenderFigure(t.mk[k])
	}
	return t, nil
}

// samplerPosition says where a scale's sampler is: its global step, or its
// site sweep once the steps are done.
func samplerPosition(p wcrg.SampleProgress) string {
	if p.Sweep > 0 {
		return fmt.Sprintf("sweep %d of %d", p.Sweep, p.Sweeps)
	}
	return fmt.Sprintf("step %d of %d", p.Step, p.Steps)
}

// formatComparison is the text table of a comparison (nil: sampler figures only).
func formatComparison(c *wcrg.Comparison, res *wcrg.SampleResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s %10s %10s %10s %10s %s\n", "scale", "δ_j", "acceptance", "sweep δ", "sweep acc.", "fields started outside the model's range")
	for _, s := range res.Scales {
		note := ""
		if s.Walled > 0 {
			note = fmt.Sprintf("%d (still outside: %d)", s.Walled, s.StillOutside)
		}
		sd, sa := "–", "–"
		if s.Sweeps > 0 {
			sd, sa = fmt.Sprintf("%.4g", s.SweepDelta), fmt.Sprintf("%.3f", s.SweepAcceptance)
		}
		fmt.Fprintf(&b, "%-6d %10.4g %10.3f %10s %10s %s\n", s.Level, s.Delta, s.Acceptance, sd, sa, note)
	}
	if c == nil {
		return b.String()
	}
	fmt.Fprintf(&b, "\n%-16s %12s %12s %12s\n", "statistic", "data (A)", "generated (B)", "B − A ± err")
	for _, s := range c.Scalars {
		d, e := s.Diff()
		fmt.Fprintf(&b, "%-16s %12.5g %12.5g %+10.3g ± %.2g\n", s.Name, s.A, s.B, d, e)
	}
	fmt.Fprintf(&b, "\nspectrum max relative error (bins ≥ 16 modes): %.3f\nhistogram L1 (60 bins, ±4σ): %.3f\n", c.SpectrumMaxRelErr, c.HistL1)
	fmt.Fprintf(&b, "\n%-5s %-7s %10s %10s %12s\n", "level", "plane", "std A", "std B", "kurtosis A/B")
	for _, s := range c.Scales {
		plane := "φ_j"
		if s.Channel > 0 {
			plane = fmt.Sprintf("φ̄ c=%d", s.Channel)
		}
		fmt.Fprintf(&b, "%-5d %-7s %10.4g %10.4g %6.3f/%.3f\n", s.Level, plane, s.StdA, s.StdB, s.KurtA, s.KurtB)
	}
	return b.String()
}
