package app

// extraTourSteps lists the tour steps of the tabs added after the first
// four.
func (a *App) extraTourSteps() []tourStep {
	return []tourStep{
		{name: "hamiltonian", tab: "Hamiltonian", act: func(a *App) { a.ham.start() }},
		{name: "slowing-down", tab: "Slowing down", act: func(a *App) { a.csd.start() }},
	}
}
