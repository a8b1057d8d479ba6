package app

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/experiment"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// csdPreset is a ready-made study.
type csdPreset struct {
	name     string
	sides    string
	samplers []string
	fields   int
}

var csdPresets = []csdPreset{
	{"quick demo (≈ 1 min)", "8,16,32", []string{"metropolis", "cluster", "wcrg"}, 300},
	{"full study (≈ 15 min)", "16,32,64,128", []string{"metropolis", "cluster", "mala", "wcrg"}, 500},
}

// csdTab runs a critical-slowing-down study: τ against L for the chosen
// samplers, with the log–log plot growing point by point.
type csdTab struct {
	a        *App
	preset   *widget.Select
	beta     *widget.Entry
	sides    *widget.Entry
	fields   *widget.Entry
	samplers *widget.CheckGroup
	theory   *widget.Check
	run      *widget.Button
	cancel   *widget.Button
	status   *widget.Label
	plot     *widgets.PlotView
	table    *widget.Label
	content  fyne.CanvasObject
}

func newCSDTab(a *App) *csdTab {
	t := &csdTab{a: a}
	t.beta = widget.NewEntry()
	t.beta.SetText("0.68")
	t.sides = widget.NewEntry()
	t.fields = intEntry(300, 16, 100000)
	t.theory = widget.NewCheck("Gaussian-theory overlay (κ of the direct and conditional precisions, m = 1/ξ)", nil)
	t.theory.SetChecked(true)
	t.samplers = widget.NewCheckGroup([]string{"metropolis", "cluster", "hmc", "mala", "wcrg"}, nil)
	var names []string
	for _, p := range csdPresets {
		names = append(names, p.name)
	}
	t.preset = widget.NewSelect(names, func(s string) {
		for _, p := range csdPresets {
			if p.name == s {
				t.sides.SetText(p.sides)
				t.samplers.SetSelected(p.samplers)
				t.fields.SetText(strconv.Itoa(p.fields))
			}
		}
	})
	t.preset.SetSelected(names[0])
	form := widget.NewForm(
		widget.NewFormItem("Preset", t.preset),
		widget.NewFormItem("β", t.beta),
		widget.NewFormItem("Lattice sides L", t.sides),
		widget.NewFormItem("Fields per point", t.fields),
		widget.NewFormItem("Samplers", t.samplers),
		widget.NewFormItem("", t.theory),
	)
	t.run = widget.NewButtonWithIcon("Run study", theme.MediaPlayIcon(), t.start)
	t.run.Importance = widget.HighImportance
	t.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { a.jobs.Cancel("csd") })
	t.cancel.Disable()
	t.status = widget.NewLabel("metropolis, cluster, hmc: τ_int(|m|) in sweeps. mala: direct MALA on the full energy. wcrg: cost-weighted relaxation of the conditional MALA chains of a WC-RG fit.")
	t.status.Wrapping = fyne.TextWrapWord
	t.plot = widgets.NewPlotView(a.exportFigure)
	t.table = widget.NewLabel("")
	t.table.TextStyle = fyne.TextStyle{Monospace: true}
	left := container.NewVBox(form, container.NewHBox(t.run, t.cancel), t.status)
	right := container.NewVSplit(t.plot, container.NewScroll(t.table))
	split := container.NewHSplit(container.NewVScroll(left), right)
	split.Offset = 0.28
	t.content = split
	return t
}

func (t *csdTab) settings() (experiment.CSDSettings, error) {
	var set experiment.CSDSettings
	beta, err := strconv.ParseFloat(strings.TrimSpace(t.beta.Text), 64)
	if err != nil || !(beta > 0) || beta > 10 {
		return set, fmt.Errorf("β %q: want a number in (0, 10]", t.beta.Text)
	}
	set.Beta = beta
	for _, s := range strings.Split(t.sides.Text, ",") {
		L, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || L < 8 || L > 256 || L&(L-1) != 0 {
			return set, fmt.Errorf("lattice side %q: want powers of two in 8 … 256, separated by commas", s)
		}
		set.Sides = append(set.Sides, L)
	}
	if set.Fields, err = readInt("fields per point", t.fields); err != nil {
		return set, err
	}
	set.Samplers = t.samplers.Selected
	if len(set.Samplers) == 0 {
		return set, fmt.Errorf("choose at least one sampler")
	}
	set.Seed = 1
	set.Theory = t.theory.Checked
	return set, nil
}

func (t *csdTab) start() {
	set, err := t.settings()
	if err != nil {
		t.a.showError(err)
		return
	}
	t.run.Disable()
	t.cancel.Enable()
	total := len(set.Sides) * len(set.Samplers)
	t.a.jobs.Start("csd", "Critical slowing down", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(func() { t.run.Enable(); t.cancel.Disable() })
		var pts []experiment.CSDPoint
		status := ""
		pts, err := experiment.RunCSD(ctx, set, func(p experiment.CSDPoint) {
			pts = append(pts, p)
			fig := csdFigure(set.Beta, pts)
			img := widgets.RenderFigure(fig)
			text := csdTable(pts)
			fyne.Do(func() {
				t.plot.SetFigure(fig, img)
				t.table.SetText(text)
			})
			report(Progress{Fraction: float64(len(pts)) / float64(total), Text: status})
		}, func(s string) {
			status = s
			report(Progress{Fraction: float64(len(pts)) / float64(total), Text: s})
		})
		if err != nil {
			return nil, err
		}
		return func() { t.status.SetText(fmt.Sprintf("Finished %d points.", len(pts))) }, nil
	})
}

// csdFigure is the τ–L log–log plot with a fitted line per sampler.
func csdFigure(beta float64, pts []experiment.CSDPoint) *plots.Figure {
	fits := experiment.FitZ(pts)
	bySampler := map[string][]experiment.CSDPoint{}
	for _, p := range pts {
		bySampler[p.Sampler] = append(bySampler[p.Sampler], p)
	}
	keys := make([]string, 0, len(bySampler))
	for k := range bySampler {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var series []plots.Series
	for ki, k := range keys {
		var x, y, e []float64
		for _, p := range bySampler[k] {
			x, y, e = append(x, float64(p.L)), append(y, p.Tau), append(e, p.TauErr)
		}
		name := k
		if f, ok := fits[k]; ok && len(x) >= 2 {
			name = fmt.Sprintf("%s (z = %.2f ± %.2f)", k, f.Z, f.ZErr)
			series = append(series, plots.Series{Name: "", X: []float64{x[0], x[len(x)-1]},
				Y: []float64{f.A * math.Pow(x[0], f.Z), f.A * math.Pow(x[len(x)-1], f.Z)}, Dashed: true, Color: ki + 1})
		}
		series = append(series, plots.Series{Name: name, X: x, Y: y, Err: e, NoLine: true, Color: ki + 1})
	}
	fig := plots.LineFigure(plots.Axes{Title: fmt.Sprintf("Critical slowing down, φ⁴ at β = %g", beta), X: "L", Y: "τ [full-field sweeps]  (theory: condition number κ)", LogX: true, LogY: true}, series...)
	fig.Name = "csd"
	return fig
}

func csdTable(pts []experiment.CSDPoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5s %8s %8s %-11s %10s %9s %8s\n", "L", "ξ", "Binder", "sampler", "τ", "± err", "seconds")
	for _, p := range pts {
		fmt.Fprintf(&b, "%5d %8.3g %8.3f %-11s %10.4g %9.2g %8.1f %s\n", p.L, p.Xi, p.Binder, p.Sampler, p.Tau, p.TauErr, p.Seconds, p.Note)
		for _, r := range p.PerScale {
			fmt.Fprintf(&b, "%5s   scale j=%d: τ_j = %.3g ± %.2g MALA steps, weight %.3f\n", "", r.Level, r.Energy.Tau, r.Energy.TauErr, r.Weight)
		}
	}
	return b.String()
}
