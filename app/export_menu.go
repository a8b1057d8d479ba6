package app

import (
	"fmt"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// currentFigures returns the figures shown by the selected tab, in the
// order they appear (figures not drawn yet are left out).
func (a *App) currentFigures() []*plots.Figure {
	var views []*widgets.PlotView
	var extra []*plots.Figure
	switch a.tabs.Selected().Content {
	case a.data.content:
		views = []*widgets.PlotView{a.data.hist, a.data.spectrum}
	case a.wavelets.content:
		if a.wavelets.last != nil {
			extra = append(extra, a.wavelets.last.fig)
		}
		views = []*widgets.PlotView{a.wavelets.histPlot, a.wavelets.basesPlot}
	case a.estimate.content:
		views = []*widgets.PlotView{a.estimate.curves, a.estimate.acceptance, a.estimate.potentials}
	case a.generate.content:
		views = []*widgets.PlotView{a.generate.spectrum, a.generate.hist, a.generate.scaleStd, a.generate.peaks, a.generate.minkowski[0], a.generate.minkowski[1], a.generate.cascade}
	case a.ham.content:
		views = []*widgets.PlotView{a.ham.kernel, a.ham.profile, a.ham.v0, a.ham.potentials}
	case a.csd.content:
		views = []*widgets.PlotView{a.csd.plot, a.csd.gdPlot}
	}
	var figs []*plots.Figure
	for _, f := range extra {
		if f != nil {
			figs = append(figs, f)
		}
	}
	for _, v := range views {
		if f := v.Figure(); f != nil {
			figs = append(figs, f)
		}
	}
	return figs
}

// exportCurrentFigure is the File ▸ Export figure… menu action: it exports
// the selected tab's figure, asking which one when the tab shows several.
func (a *App) exportCurrentFigure() {
	figs := a.currentFigures()
	tab := a.tabs.Selected().Text
	switch len(figs) {
	case 0:
		dialog.ShowInformation("Export figure", fmt.Sprintf("The %s tab shows no figure yet.", tab), a.win)
		return
	case 1:
		a.exportFigure(figs[0])
		return
	}
	names := make([]string, len(figs))
	for i, f := range figs {
		names[i] = fmt.Sprintf("%d. %s", i+1, f.Name)
	}
	choice := widget.NewRadioGroup(names, nil)
	choice.SetSelected(names[0])
	dialog.ShowCustomConfirm("Export figure — "+tab, "Export…", "Cancel", choice, func(ok bool) {
		if !ok {
			return
		}
		for i, n := range names {
			if n == choice.Selected {
				a.exportFigure(figs[i])
			}
		}
	}, a.win)
}
