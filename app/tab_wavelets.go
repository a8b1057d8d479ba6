package app

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

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
	controls := container.NewHBox(
		widget.NewLabel("Wavelet"), t.basis, widget.NewLabel("levels J"), t.levels,
		widget.NewLabel("γ rule"), t.gamma, widget.NewLabel("clip"), t.clip, t.export)
	right := container.NewBorder(widgets.Heading("Per-scale statistics (whole data set)"), nil, nil, nil,
		container.NewScroll(t.table))
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
		r.gamma, r.stats = prev.gamma, prev.stats
	} else {
		if rule == gammaUnit {
			r.gamma, err = wavelet.EstimateGamma(b, d.Stack, J, 0)
			if err != nil {
				return nil, err
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
