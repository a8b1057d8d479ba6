package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/wcrglab/wcrg/engine/wcrg"
)

// cancelSoon cancels the job in slot once it has run for a moment, and
// returns the error the job runner reports.
func cancelSoon(t *testing.T, a *App, slot string) error {
	t.Helper()
	time.Sleep(200 * time.Millisecond)
	if !a.jobs.Running(slot) {
		t.Fatalf("no %s job running", slot)
	}
	a.jobs.Cancel(slot)
	return a.jobs.Wait()
}

// generateSmallPhi4 makes 64 φ⁴ fields of 16×16 with the app's
// Generate-data form and waits for them.
func generateSmallPhi4(t *testing.T, a *App) {
	t.Helper()
	f := newGenDataForm()
	ui(func() {
		f.L.SetSelected("16")
		f.n.SetText("64")
		a.GenerateData(f)
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
}

// ui runs f on the UI goroutine, as the app's own callbacks run.
func ui(f func()) { fyne.DoAndWait(f) }

// TestGenerateTabAndCancel runs the Estimate → Generate path on a 16² φ⁴
// data set made in the app, then cancels a long fit, a long generation and
// a long slowing-down study: each reports context.Canceled, re-enables its
// Run button and leaves the previous results (model, figures, table) as
// they were.
func TestGenerateTabAndCancel(t *testing.T) {
	a := newTestApp(t)
	generateSmallPhi4(t, a)
	ui(a.estimate.start)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	m0 := a.state.Model
	if m0 == nil || m0.L != 16 {
		t.Fatalf("model %+v", m0)
	}
	g := a.generate
	ui(func() {
		g.n.SetText("16")
		g.steps.SetText("60")
		g.adapt.SetText("30")
		g.start()
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	spec, hist, table := g.spectrum.Figure(), g.hist.Figure(), g.table.Text
	if spec == nil || hist == nil || g.scaleStd.Figure() == nil || !strings.Contains(table, "Binder") || g.generated == nil || g.generated.Stack.N != 16 {
		t.Fatalf("after generation: spectrum %v, histogram %v, table %q", spec, hist, table)
	}

	// The convergence check: 300 steps + 40 sweeps against 1200 + 160 per scale.
	ui(func() {
		g.n.SetText("64")
		g.steps.SetText("300")
		g.adapt.SetText("100")
		g.checkConvergence()
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.table.Text, "Convergence check") || !strings.Contains(g.table.Text, "spectrum max relative difference") {
		t.Errorf("convergence table %q", g.table.Text)
	}
	t.Log(g.table.Text)

	// The scale diagnosis from the data's own coarse fields: rows φ_1 …
	// φ_J and the coarsest, and the Cascade figure.
	ui(func() {
		g.n.SetText("32")
		g.steps.SetText("60")
		g.adapt.SetText("30")
		g.sweeps.SetText("10")
		g.diagnoseScales()
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.table.Text, "Scale diagnosis") || !strings.Contains(g.table.Text, "coarsest") || g.cascade.Figure() == nil ||
		g.diagnose.Disabled() || g.run.Disabled() {
		t.Errorf("scale diagnosis: table %q, figure %v", g.table.Text, g.cascade.Figure())
	}
	for j := 1; j <= a.state.Model.Levels; j++ {
		if !strings.Contains(g.table.Text, fmt.Sprintf("φ_%d ", j)) {
			t.Errorf("scale diagnosis: no row φ_%d in\n%s", j, g.table.Text)
		}
	}
	t.Log(g.table.Text)
	table = g.table.Text

	// A long generation, cancelled.
	ui(func() {
		g.n.SetText("2000")
		g.steps.SetText("100000")
		g.start()
	})
	if err := cancelSoon(t, a, "generate"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled generation: %v", err)
	}
	if g.spectrum.Figure() != spec || g.hist.Figure() != hist || g.table.Text != table || g.run.Disabled() || !g.cancel.Disabled() {
		t.Error("a cancelled generation changed the results or left the buttons busy")
	}

	// A long maximum-likelihood fit, cancelled.
	e := a.estimate
	ui(func() {
		e.estimator.SetSelected(wcrg.EstimatorML)
		e.mlIter.SetText("100000")
		e.start()
	})
	if err := cancelSoon(t, a, "fit"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fit: %v", err)
	}
	if a.state.Model != m0 || e.run.Disabled() || !e.cancel.Disabled() {
		t.Error("a cancelled fit replaced the model or left the buttons busy")
	}

	// A slowing-down study, finished, then a longer one cancelled.
	c := a.csd
	ui(func() {
		c.sides.SetText("8")
		c.fields.SetText("32")
		c.samplers.SetSelected([]string{"cluster"})
		c.start()
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	fig, text := c.plot.Figure(), c.table.Text
	ui(func() {
		c.sides.SetText("8,16,32,64,128")
		c.samplers.SetSelected([]string{"metropolis", "wcrg"})
		c.start()
	})
	if err := cancelSoon(t, a, "csd"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled study: %v", err)
	}
	if c.plot.Figure() != fig || c.table.Text != text {
		t.Error("a cancelled study changed the figure or the table")
	}
}

// TestEstimatePairPotentials: the Estimate tab's ML-from level and pair
// potential fields reach the fit (pair potentials on the ML scales whose
// finer field is at least 4×4, named in the diagnostics); pair potentials
// without maximum likelihood are refused with a message; the Hamiltonian
// tab reconstructs H₀ of such a model by the regression route, listing the
// pair potentials' coupling and rest, and refuses the thermodynamic
// integration route with the engine's reason.
func TestEstimatePairPotentials(t *testing.T) {
	a := newTestApp(t)
	generateSmallPhi4(t, a)
	e := a.estimate
	ui(func() {
		e.estimator.SetSelected(wcrg.EstimatorSM)
		e.pairNodes.SetText("6")
	})
	var err error
	ui(func() { _, err = e.settings() })
	if err == nil || !strings.Contains(err.Error(), "maximum likelihood") {
		t.Errorf("pair potentials with score matching alone: %v", err)
	}
	ui(func() {
		e.mlFrom.SetText("1")
		e.mlIter.SetText("40")
		e.start()
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	m := a.state.Model
	if m == nil || m.Settings.PairNodes != 6 || m.Settings.MLFromLevel != 1 {
		t.Fatalf("model settings %+v", m)
	}
	if lv := m.PairLevels(); len(lv) != 3 || lv[0] != 1 || lv[1] != 2 || lv[2] != 3 {
		t.Errorf("pair potentials at levels %v, want [1 2 3] (finer fields 16×16, 8×8 and 4×4)", lv)
	}
	if !strings.Contains(e.diag.Text, "pair potentials") || !strings.Contains(e.diag.Text, "ML from level 1") {
		t.Errorf("diagnostics: %q", e.diag.Text)
	}
	ui(func() {
		a.ham.route.SetSelected(routeRegression)
		a.ham.start()
	})
	if err := a.jobs.Wait(); err != nil {
		t.Fatalf("H₀ of a model with pair potentials (regression route): %v", err)
	}
	var text string
	ui(func() { text = a.ham.table.Text })
	if !strings.Contains(text, "Pair potentials on φ_j") || !strings.Contains(text, "j = 0: q") || !strings.Contains(text, "j = 2: q") {
		t.Errorf("Hamiltonian summary of a pair model:\n%s", text)
	}
	ui(func() {
		a.ham.route.SetSelected(routeTI)
		a.ham.start()
	})
	if err := a.jobs.Wait(); err == nil || !strings.Contains(err.Error(), "pair potentials") {
		t.Errorf("H₀ of a model with pair potentials by thermodynamic integration: %v", err)
	}
}
