package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/experiment"
)

// TestCompareBasesWavelets runs the basis comparison of the Wavelets tab on
// the demo data with short chains: the table lists every basis and the
// coupling-tail figure appears; the form refuses a bad training fraction; a
// cancelled run keeps the previous table.
func TestCompareBasesWavelets(t *testing.T) {
	a := newTestApp(t)
	w := a.wavelets
	w.basesDialog() // no data: refused with an error dialog, no job
	if a.jobs.Busy() {
		t.Fatal("a comparison started without data")
	}
	a.LoadDemo()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if w.basesTable.Text != basesHint || w.basesPlot.Figure() != nil {
		t.Fatalf("before the run: %q, figure %v", w.basesTable.Text, w.basesPlot.Figure())
	}

	f := newBasesForm()
	set, err := f.settings()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(set.Bases, ",") != "haar,db4,shannon" || set.Window != 4 || set.Train != 0.75 {
		t.Errorf("form defaults %+v", set)
	}
	f.train.SetText("1")
	if _, err := f.settings(); err == nil {
		t.Error("training fraction 1 accepted")
	}
	f.train.SetText("0.75")
	f.bases.SetSelected(nil)
	if _, err := f.settings(); err == nil {
		t.Error("no basis accepted")
	}

	set.Steps, set.Chains, set.Adapt = 200, 2, 50
	w.runBases(set)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"haar", "db4", "shannon", "decay > 2", "τ_int"} {
		if !strings.Contains(w.basesTable.Text, b) {
			t.Errorf("table lacks %q:\n%s", b, w.basesTable.Text)
		}
	}
	if fig := w.basesPlot.Figure(); fig == nil || len(fig.Table.Rows) == 0 {
		t.Error("no coupling-tail figure")
	}
	if w.right.SelectedIndex() != 2 {
		t.Error("the basis comparison is not shown")
	}
	t.Log("\n" + w.basesTable.Text)

	// A cancelled run leaves the table alone.
	before := w.basesTable.Text
	w.runBases(experiment.BasesSettings{Bases: []string{"shannon"}, Steps: 100000, Chains: 2})
	a.jobs.Cancel("bases")
	if err := a.jobs.Wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled comparison: %v", err)
	}
	if w.basesTable.Text != before {
		t.Error("a cancelled comparison changed the table")
	}
}
