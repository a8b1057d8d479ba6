package app

import (
	"context"
	"fmt"
	"image"
	"slices"
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
	model    string
	beta     string
	sides    string
	samplers []string
	fields   int
}

var csdPresets = []csdPreset{
	{"quick demo (≈ 20 s)", csdModelPhi4, "0.68", "8,16,32", []string{"metropolis", "cluster", "wcrg"}, 300},
	{"full study (≈ 11 min)", csdModelPhi4, "0.68", "16,32,64,128", []string{"metropolis", "cluster", "wcrg"}, 500},
	{"β-scan, L = 32 (≈ 3 min)", csdModelPhi4, "0.55,0.60,0.64,0.66,0.68", "32", []string{"metropolis", "cluster"}, 200},
	{"Ising samplers (≈ 2 min)", csdModelIsing, "0.44068679350977147", "8,16,32,64", []string{"metropolis", "wolff", "sw"}, 100},
}

// Model names of the study's select.
const (
	csdModelPhi4  = "φ⁴"
	csdModelIsing = "Ising"
)

// csdSamplers lists the samplers of each model.
var csdSamplers = map[string][]string{
	csdModelPhi4:  {"metropolis", "cluster", "hmc", "mala", "wcrg", "wcrg-global"},
	csdModelIsing: {"metropolis", "wolff", "sw"},
}

// csdTab runs a critical-slowing-down study: τ against L for the chosen
// samplers, with the log–log plot growing point by point.
type csdTab struct {
	a        *App
	preset   *widget.Select
	model    *widget.Select
	beta     *widget.Entry
	sides    *widget.Entry
	fields   *widget.Entry
	samplers *widget.CheckGroup
	theory   *widget.Check
	gd       *widget.Check
	run      *widget.Button
	cancel   *widget.Button
	status   *widget.Label
	plot     *widgets.PlotView
	gdPlot   *widgets.PlotView // τ_GD against ξ
	table    *widget.Label
	content  fyne.CanvasObject
}

func newCSDTab(a *App) *csdTab {
	t := &csdTab{a: a}
	t.beta = widget.NewEntry()
	t.beta.SetText("0.68")
	t.sides = widget.NewEntry()
	t.fields = intEntry(300, 16, 100000)
	t.theory = widget.NewCheck("Gaussian-theory κ overlay (m = 1/ξ)", nil)
	t.theory.SetChecked(true)
	t.gd = widget.NewCheck("τ_GD: direct vs WC-RG estimation", nil)
	t.gd.SetChecked(true)
	t.samplers = widget.NewCheckGroup(csdSamplers[csdModelPhi4], nil)
	t.model = widget.NewSelect([]string{csdModelPhi4, csdModelIsing}, func(m string) {
		t.samplers.Options = csdSamplers[m]
		var keep []string
		for _, s := range t.samplers.Selected {
			if slices.Contains(t.samplers.Options, s) {
				keep = append(keep, s)
			}
		}
		t.samplers.SetSelected(keep)
		t.samplers.Refresh()
		if m == csdModelIsing {
			t.theory.SetChecked(false)
			t.theory.Disable()
			t.gd.SetChecked(false)
			t.gd.Disable()
		} else {
			t.theory.Enable()
			t.gd.Enable()
		}
	})
	t.model.SetSelected(csdModelPhi4)
	var names []string
	for _, p := range csdPresets {
		names = append(names, p.name)
	}
	t.preset = widget.NewSelect(names, func(s string) {
		for _, p := range csdPresets {
			if p.name == s {
				t.model.SetSelected(p.model)
				t.beta.SetText(p.beta)
				t.sides.SetText(p.sides)
				t.samplers.SetSelected(p.samplers)
				t.fields.SetText(strconv.Itoa(p.fields))
				if p.model == csdModelPhi4 { // the φ⁴ presets show both overlays
					t.theory.SetChecked(true)
					t.gd.SetChecked(true)
				}
			}
		}
	})
	t.preset.SetSelected(names[0])
	form := widget.NewForm(
		widget.NewFormItem("Preset", t.preset),
		widget.NewFormItem("Model", t.model),
		widget.NewFormItem("β (several: β-scan)", t.beta),
		widget.NewFormItem("Lattice sides L", t.sides),
		widget.NewFormItem("Fields per point", t.fields),
		widget.NewFormItem("Samplers", t.samplers),
		widget.NewFormItem("", t.theory),
		widget.NewFormItem("", t.gd),
	)
	t.run = widget.NewButtonWithIcon("Run study", theme.MediaPlayIcon(), t.start)
	t.run.Importance = widget.HighImportance
	t.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { a.jobs.Cancel("csd") })
	t.cancel.Disable()
	t.status = widget.NewLabel("metropolis, cluster, hmc: τ_int(|m|) in sweeps. mala: direct MALA on the full energy. wcrg: cost-weighted relaxation of the conditional MALA chains of a WC-RG fit.")
	t.status.Wrapping = fyne.TextWrapWord
	t.plot = widgets.NewPlotView(a.exportFigure)
	t.gdPlot = widgets.NewPlotView(a.exportFigure)
	t.table = widget.NewLabel("")
	t.table.TextStyle = fyne.TextStyle{Monospace: true}
	left := container.NewVBox(form, container.NewHBox(t.run, t.cancel), t.status)
	plotsRow := container.NewHSplit(t.plot, t.gdPlot)
	plotsRow.Offset = 0.55
	right := container.NewVSplit(plotsRow, container.NewScroll(t.table))
	right.Offset = 0.62
	split := container.NewHSplit(container.NewVScroll(left), right)
	split.Offset = 0.28
	t.content = split
	a.remember("csd", remembered{"preset", t.preset}, remembered{"model", t.model}, remembered{"beta", t.beta},
		remembered{"sides", t.sides}, remembered{"fields", t.fields}, remembered{"samplers", t.samplers},
		remembered{"theory", t.theory}, remembered{"gd", t.gd})
	return t
}

func (t *csdTab) settings() (experiment.CSDSettings, error) {
	var set experiment.CSDSettings
	set.Model = "phi4"
	if t.model.Selected == csdModelIsing {
		set.Model = "ising"
	}
	for _, s := range strings.Split(t.beta.Text, ",") {
		beta, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(beta > 0) || beta > 10 {
			return set, fmt.Errorf("β %q: want numbers in (0, 10], separated by commas", s)
		}
		set.Betas = append(set.Betas, beta)
	}
	set.Beta = set.Betas[0]
	var err error
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
	set.GD = t.gd.Checked
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
	total := len(set.Sides) * len(set.Betas) * len(set.Samplers)
	if set.Theory {
		total += 2 * len(set.Sides) * len(set.Betas)
	}
	if set.GD {
		total += 3 * len(set.Sides) * len(set.Betas)
	}
	title := fmt.Sprintf("Critical slowing down, %s at β = %s", t.model.Selected, strings.TrimSpace(t.beta.Text))
	// The plots grow live; a study that is cancelled or fails puts the
	// previous study's figures and table back.
	prevPlot, prevGD, prevTable := t.plot.Figure(), t.gdPlot.Figure(), t.table.Text
	// A τ_GD plot of an earlier study does not belong beside this one.
	t.gdPlot.SetFigure(nil, nil)
	t.a.jobs.Start("csd", "Critical slowing down", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(func() { t.run.Enable(); t.cancel.Disable() })
		var pts []experiment.CSDPoint
		status := ""
		var tauPts, gdPts []experiment.CSDPoint
		pts, err := experiment.RunCSD(ctx, set, func(p experiment.CSDPoint) {
			pts = append(pts, p)
			text := csdTable(pts)
			if experiment.IsGD(p.Sampler) {
				gdPts = append(gdPts, p)
				fig := plots.CSDFigure("Estimation: τ_GD against ξ", "ξ", gdPts, func(p experiment.CSDPoint) float64 { return p.Xi }, experiment.FitZXi(gdPts))
				fig.Name = "csd_gd"
				img := widgets.RenderFigure(fig)
				fyne.Do(func() {
					t.gdPlot.SetFigure(fig, img)
					t.table.SetText(text)
				})
			} else {
				tauPts = append(tauPts, p)
				fig := csdFigure(title, len(set.Betas) > 1, tauPts)
				img := widgets.RenderFigure(fig)
				fyne.Do(func() {
					t.plot.SetFigure(fig, img)
					t.table.SetText(text)
				})
			}
			report(Progress{Fraction: float64(len(pts)) / float64(total), Text: status})
		}, func(s string) {
			status = s
			report(Progress{Fraction: float64(len(pts)) / float64(total), Text: s})
		})
		if err != nil {
			t.restore(prevPlot, prevGD, prevTable)
			return nil, err
		}
		return func() { t.status.SetText(fmt.Sprintf("Finished %d points.", len(pts))) }, nil
	})
}

// restore shows the given figures and table again (called off the UI
// goroutine: it renders the figures first).
func (t *csdTab) restore(plot, gd *plots.Figure, table string) {
	var pi, gi image.Image
	if plot != nil {
		pi = widgets.RenderFigure(plot)
	}
	if gd != nil {
		gi = widgets.RenderFigure(gd)
	}
	fyne.DoAndWait(func() {
		t.plot.SetFigure(plot, pi)
		t.gdPlot.SetFigure(gd, gi)
		t.table.SetText(table)
		t.status.SetText("Study stopped; the previous results are shown.")
	})
}

// csdFigure is the log–log plot of τ with a fitted line per sampler:
// against L for an L-study, against ξ for a β-scan.
func csdFigure(title string, betaScan bool, pts []experiment.CSDPoint) *plots.Figure {
	if betaScan {
		return plots.CSDFigure(title, "ξ", pts, func(p experiment.CSDPoint) float64 { return p.Xi }, experiment.FitZXi(pts))
	}
	return plots.CSDFigure(title, "L", pts, func(p experiment.CSDPoint) float64 { return float64(p.L) }, experiment.FitZ(pts))
}

func csdTable(pts []experiment.CSDPoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5s %7s %8s %8s %-11s %10s %9s %8s\n", "L", "β", "ξ", "Binder", "sampler", "τ", "± err", "seconds")
	for _, p := range pts {
		fmt.Fprintf(&b, "%5d %7.4g %8.3g %8.3f %-11s %10.4g %9.2g %8.1f %s\n", p.L, p.Beta, p.Xi, p.Binder, p.Sampler, p.Tau, p.TauErr, p.Seconds, p.Note)
		for _, r := range p.PerScale {
			unit := "global MALA steps"
			if r.Local {
				unit = "site sweeps"
			}
			fmt.Fprintf(&b, "%5s   scale j=%d: τ_j = %.3g ± %.2g %s, weight %.3f\n", "", r.Level, r.Energy.Tau, r.Energy.TauErr, unit, r.Weight)
		}
	}
	return b.String()
}
