package app

import "github.com/wcrglab/wcrg/engine/experiment"

// extraTourSteps lists the tour steps of the tabs added after the first
// four.
func (a *App) extraTourSteps() []tourStep {
	return []tourStep{
		{name: "generate-minkowski", tab: "Generate", act: func(a *App) { a.generate.figTabs.SelectIndex(4) }},
		{name: "generate-cascade", tab: "Generate", act: func(a *App) { a.generate.diagnoseScales() }},
		{name: "hamiltonian", tab: "Hamiltonian", act: func(a *App) {
			a.ham.route.SetSelected(routeRegression)
			a.ham.bootstrap.SetText("4") // error bars from four refits
			a.ham.start()
		}},
		{name: "slowing-down", tab: "Slowing down", act: func(a *App) {
			a.csd.preset.SetSelected(csdPresets[0].name) // settings persist: start from the preset
			a.csd.start()
		}},
		{name: "slowing-down-ising", tab: "Slowing down", act: func(a *App) {
			a.csd.preset.SetSelected(csdPresets[3].name)
			a.csd.start()
		}},
		{name: "wavelet-histograms", tab: "Wavelets", act: func(a *App) {
			a.wavelets.right.SelectIndex(1)
			a.wavelets.histLevel.SetSelected("1")
		}},
		{name: "bases", tab: "Wavelets", act: func(a *App) {
			set := experiment.DefaultBasesSettings()
			set.Steps = 1000
			a.wavelets.runBases(set)
		}},
		// Last, because it replaces the model: maximum likelihood with pair
		// potentials, and its H₀ with the pair potentials split.
		{name: "estimate-pairs", tab: "Estimate", act: func(a *App) {
			a.estimate.mlFrom.SetText("1")
			a.estimate.pairNodes.SetText("12")
			a.estimate.start()
		}},
		{name: "hamiltonian-pairs", tab: "Hamiltonian", act: func(a *App) {
			a.ham.route.SetSelected(routeRegression) // thermodynamic integration refuses pairs
			a.ham.bootstrap.SetText("0")
			a.ham.start()
		}},
	}
}
