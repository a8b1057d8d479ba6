package app

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"fyne.io/fyne/v2"

	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// tourStep is one stop of the scripted screenshot tour.
type tourStep struct {
	name string                 // screenshot name
	tab  string                 // tab to show
	act  func(a *App)           // started on the UI goroutine; may start jobs
	wait func(a *App) time.Time // optional extra settle time
}

// RunTour drives the app through every tab with a small job finished in
// each, for `make screenshots`: after each step it writes "ready NAME" to
// out and pauses so that a screenshot can be taken at the X level (under
// Xvfb the GL window's own capture is blank). It quits the app at the end.
// It runs on its own goroutine.
func (a *App) RunTour(out io.Writer, pause time.Duration) {
	steps := []tourStep{
		{name: "data", tab: "Data"},
		{name: "wavelets", tab: "Wavelets"},
		{name: "estimate", tab: "Estimate", act: func(a *App) {
			// Score matching refined by a short maximum likelihood, so that
			// the convergence curves have something to show.
			// Settings persist between runs: reset those a later step
			// changes (the pair-potential fit at the end of the tour).
			a.estimate.estimator.SetSelected(wcrg.EstimatorSMML)
			a.estimate.mlIter.SetText("40")
			a.estimate.mlFrom.SetText("0")
			a.estimate.pairNodes.SetText("0")
			a.estimate.mlSweeps.SetText("0")
			a.estimate.mlWarmupSweeps.SetText("0")
			a.estimate.z2.SetChecked(false)
			a.estimate.wave.SetSelected(wcrg.DefaultSettings().Wavelet)
			a.estimate.mlMaxStep.SetText(strconv.FormatFloat(estimate.DefaultMaxStep, 'g', -1, 64))
			a.estimate.mlMinVisits.SetText("3")
			a.estimate.start()
		}},
		{name: "generate", tab: "Generate", act: func(a *App) {
			a.generate.n.SetText("64")
			a.generate.steps.SetText("200")
			a.generate.coarseFactor.SetText("1")
			a.generate.start()
		}},
	}
	steps = append(steps, a.extraTourSteps()...)
	a.jobs.Wait()
	for _, s := range steps {
		fyne.DoAndWait(func() {
			a.SelectTab(s.tab)
			if s.act != nil {
				s.act(a)
			}
		})
		time.Sleep(300 * time.Millisecond) // let the job register
		if err := a.jobs.Wait(); err != nil {
			fmt.Fprintf(out, "error %s: %v\n", s.name, err)
		}
		time.Sleep(700 * time.Millisecond) // let the last figures render
		fmt.Fprintf(out, "ready %s\n", s.name)
		time.Sleep(pause)
	}
	fmt.Fprintln(out, "done")
	fyne.Do(a.fyne.Quit)
}
