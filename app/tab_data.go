package app

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// dataStats are the statistics of a whole data set shown in the Data tab.
type dataStats struct {
	N, L                 int
	Mean, Std, Kurtosis  float64
	Constant             bool // every value equal (Std may still be a rounding error)
	Xi                   float64
	Mag                  lattice.MagnetizationMoments
	Hist                 *lattice.Histogram
	Spectrum             lattice.RadialSpectrum
	HistFig, SpectrumFig *plots.Figure
	Range                plots.Range // colour range over all fields (0.5 % clip)
}

// computeDataStats is the Data tab's analysis job body.
func computeDataStats(ctx context.Context, d *Dataset) (*dataStats, error) {
	s := d.Stack
	st := &dataStats{N: s.N, L: s.L}
	st.Mean = lattice.Mean(s.Data)
	st.Std = lattice.Std(s.Data)
	st.Kurtosis = lattice.Kurtosis(s.Data)
	st.Constant = true
	for _, v := range s.Data {
		if v != s.Data[0] {
			st.Constant = false
			break
		}
	}
	st.Mag = lattice.MomentsOf(lattice.Magnetizations(s), s.L)
	st.Range = plots.AutoRange(s.Data, 0.5)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sp := lattice.PowerSpectrum(s, 0)
	st.Xi = sp.CorrelationLength()
	st.Spectrum = sp.Radial()
	lo, hi, ok := lattice.SpreadRange(s.Data, 4)
	if !ok {
		return nil, fmt.Errorf("%s: the values are too large for statistics (their spread overflows)", d.Name)
	}
	st.Hist = lattice.NewHistogram(lo, hi, 60)
	st.Hist.Add(s.Data)
	st.HistFig = plots.HistogramFigure("Pixel values: "+d.Name, "φ", plots.HistogramSeries(d.Name, st.Hist))
	st.SpectrumFig = plots.SpectrumFigure("Power spectrum: "+d.Name, plots.SpectrumSeries(d.Name, st.Spectrum))
	return st, nil
}

type dataTab struct {
	a        *App
	view     *widgets.FieldView
	index    *widget.Entry
	count    *widget.Label
	slider   *widget.Slider
	cmap     *widget.Select
	stretch  *widget.Select
	zoom     *widget.Select
	clip     *widget.Select
	gallery  *gallery
	scope    *widget.Select
	stats    *widget.Label
	hist     *widgets.PlotView
	spectrum *widgets.PlotView
	content  fyne.CanvasObject

	renderSeq int
	thumbKey  thumbKey // what the gallery's thumbnails were drawn for

	rangeMu   sync.Mutex
	rangeData *Dataset
	ranges    map[float64]plots.Range // clip → whole-stack range of rangeData
}

// thumbKey identifies the data and colours of the gallery's thumbnails.
type thumbKey struct {
	data          *Dataset
	cmap, stretch string
	clip          float64
}

func newDataTab(a *App) *dataTab {
	t := &dataTab{a: a, view: widgets.NewFieldView()}
	t.index = widget.NewEntry()
	t.index.SetText("1")
	t.index.OnSubmitted = func(s string) {
		if i, err := strconv.Atoi(s); err == nil {
			a.state.Select(i - 1)
		}
		t.syncIndex()
	}
	t.count = widget.NewLabel("of 0")
	t.slider = widget.NewSlider(1, 1)
	t.slider.Step = 1
	t.slider.OnChanged = func(v float64) { a.state.Select(int(v) - 1) }
	prev := widget.NewButton("◀", func() { a.state.Select(a.state.Selected - 1) })
	next := widget.NewButton("▶", func() { a.state.Select(a.state.Selected + 1) })
	t.cmap = widget.NewSelect(plots.ColorMapNames(), func(string) { t.render() })
	t.cmap.SetSelected("viridis")
	t.stretch = widget.NewSelect(plots.StretchNames(), func(string) { t.render() })
	t.stretch.SetSelected("linear")
	t.zoom = widget.NewSelect(zoomNames, func(s string) { t.view.SetZoom(parseZoom(s)) })
	t.zoom.SetSelected(zoomNames[0])
	t.gallery = newGallery(func(i int) { a.state.Select(i) })
	t.clip = widget.NewSelect([]string{"0 %", "0.5 %", "1 %", "2 %", "5 %"}, func(string) { t.render() })
	t.clip.SetSelected("0.5 %")
	t.scope = widget.NewSelect([]string{"this field", "whole data set"}, func(string) { t.render() })
	t.scope.SetSelected("whole data set")
	t.stats = widget.NewLabel("No data loaded.")
	t.stats.TextStyle = fyne.TextStyle{Monospace: true}
	// Notes can be long (a sidecar's command line): wrap them rather than
	// widen the panel past the window.
	t.stats.Wrapping = fyne.TextWrapWord
	t.hist = widgets.NewPlotView(a.exportFigure)
	t.spectrum = widgets.NewPlotView(a.exportFigure)

	nav := container.NewBorder(nil, nil,
		container.NewHBox(widget.NewLabel("Field"), prev, container.NewGridWrap(fyne.NewSize(70, 36), t.index), t.count, next),
		container.NewHBox(widget.NewLabel("zoom"), t.zoom), t.slider)
	display := container.NewHBox(widget.NewLabel("Colours"), t.cmap, t.stretch, widget.NewLabel("clip"), t.clip,
		widget.NewLabel("range of"), t.scope)
	// The gallery strip: full width, two rows of thumbnails high.
	stripHeight := canvas.NewRectangle(color.Transparent)
	stripHeight.SetMinSize(fyne.NewSize(0, 128))
	strip := container.NewStack(stripHeight, t.gallery.grid)
	left := container.NewBorder(container.NewVBox(nav, display), strip, nil, nil, t.view)
	plotsTabs := container.NewAppTabs(
		container.NewTabItem("Histogram", t.hist),
		container.NewTabItem("Spectrum", t.spectrum),
	)
	right := container.NewBorder(container.NewVBox(widgets.Heading("Data set statistics"), t.stats), nil, nil, nil, plotsTabs)
	split := container.NewHSplit(left, right)
	split.Offset = 0.55
	t.content = split

	a.state.OnDataChanged(t.dataChanged)
	a.state.OnSelectionChanged(func() {
		t.syncIndex()
		t.gallery.grid.Select(a.state.Selected)
		t.render()
	})
	return t
}

func (t *dataTab) syncIndex() {
	st := t.a.state
	if st.Data == nil {
		return
	}
	t.index.SetText(strconv.Itoa(st.Selected + 1))
	t.slider.SetValue(float64(st.Selected + 1))
}

func (t *dataTab) dataChanged() {
	d := t.a.state.Data
	if d == nil {
		return
	}
	t.count.SetText(fmt.Sprintf("of %d", d.Stack.N))
	t.slider.Max = float64(max(d.Stack.N, 1))
	t.slider.Refresh()
	t.stats.SetText(fmt.Sprintf("%s\n%d fields of %d×%d\ncomputing statistics…", d.Name, d.Stack.N, d.Stack.L, d.Stack.L))
	t.a.jobs.Start("data-stats", "Data statistics", func(ctx context.Context, report func(Progress)) (func(), error) {
		st, err := computeDataStats(ctx, d)
		if err != nil {
			return nil, err
		}
		hi, si := widgets.RenderFigure(st.HistFig), widgets.RenderFigure(st.SpectrumFig)
		return func() {
			if t.a.state.Data != d {
				return
			}
			t.stats.SetText(formatDataStats(d, st))
			t.rangeMu.Lock()
			if t.rangeData != d {
				t.rangeData, t.ranges = d, map[float64]plots.Range{}
			}
			t.ranges[0.5] = st.Range
			t.rangeMu.Unlock()
			t.render()
			t.hist.SetFigure(st.HistFig, hi)
			t.spectrum.SetFigure(st.SpectrumFig, si)
		}, nil
	})
}

func formatDataStats(d *Dataset, st *dataStats) string {
	s := fmt.Sprintf("%s\n%d fields of %d×%d\n", d.Name, st.N, st.L, st.L)
	for _, n := range d.Notes {
		s += n + "\n"
	}
	s += fmt.Sprintf("\nmean      %10.4f\nstd       %10.4f\nkurtosis  %10.4f\n", st.Mean, st.Std, st.Kurtosis)
	s += fmt.Sprintf("ξ (2nd moment) %7.3f\n", st.Xi)
	s += fmt.Sprintf("⟨|m|⟩     %10.4f\n⟨m²⟩      %10.4g\nBinder U  %10.4f\nχ         %10.4g", st.Mag.AbsM, st.Mag.M2, st.Mag.Binder(), st.Mag.Susceptibility())
	if math.IsNaN(st.Xi) {
		s += "\n(ξ undefined: G(0) ≤ G(k_min))"
	}
	if st.Constant {
		s += "\n(kurtosis undefined: every value is the same)"
	}
	if st.Mag.M2 == 0 {
		s += "\n(Binder U undefined: ⟨m²⟩ = 0)"
	}
	return s
}

func parseClip(s string) float64 {
	var v float64
	fmt.Sscanf(s, "%g", &v)
	return v
}

// zoomNames are the Data tab's zoom choices: fitted, or screen units per
// lattice site.
var zoomNames = []string{"fit", "1×", "2×", "4×", "8×", "16×"}

// parseZoom returns the screen units per site of a zoom choice (0: fit).
func parseZoom(s string) int {
	var z int
	fmt.Sscanf(s, "%d", &z)
	return z
}

// render draws the selected field off the UI goroutine, and recolours the
// gallery when the colours changed. The "whole data set" range is the clip
// percentiles of every value of the stack, computed once per clip.
func (t *dataTab) render() {
	f, ok := t.a.state.Field()
	d := t.a.state.Data
	if !ok || t.cmap.Selected == "" || t.stretch == nil || t.stretch.Selected == "" {
		return
	}
	t.renderSeq++
	seq := t.renderSeq
	cm, err := plots.NewColorMap(t.cmap.Selected)
	if err == nil {
		cm, err = cm.WithStretch(t.stretch.Selected)
	}
	if err != nil {
		return
	}
	clip := parseClip(t.clip.Selected)
	whole := t.scope.Selected == "whole data set"
	idx := t.a.state.Selected
	key := thumbKey{data: d, cmap: t.cmap.Selected, stretch: t.stretch.Selected, clip: clip}
	go func() {
		stackRange := t.rangeOf(d, clip)
		r := stackRange
		if !whole {
			r = plots.AutoRange(f.Data, clip)
		}
		img := plots.FieldImage(nil, f.Data, f.L, r, cm)
		lookup := func(x, y int) string {
			return fmt.Sprintf("field %d  site (x₁=%d, x₂=%d)  φ = %s", idx+1, y, x, plots.FormatValue(f.Data[y*f.L+x]))
		}
		fyne.Do(func() {
			if seq != t.renderSeq {
				return
			}
			t.view.SetImage(img, lookup, cm.WithRange(r.Lo, r.Hi))
			if t.thumbKey != key {
				t.thumbKey = key
				t.gallery.set(t.a.jobs, d.Stack, thumbLook{cm: cm, r: stackRange})
				t.gallery.grid.UnselectAll()
				t.gallery.grid.Select(idx)
			}
		})
	}()
}

// rangeOf returns the colour range of the whole stack of d at clip percent,
// from a cache (safe off the UI goroutine).
func (t *dataTab) rangeOf(d *Dataset, clip float64) plots.Range {
	t.rangeMu.Lock()
	defer t.rangeMu.Unlock()
	if t.rangeData != d {
		t.rangeData, t.ranges = d, map[float64]plots.Range{}
	}
	r, ok := t.ranges[clip]
	if !ok {
		r = plots.AutoRange(d.Stack.Data, clip)
		t.ranges[clip] = r
	}
	return r
}
