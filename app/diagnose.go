package app

import (
	"context"
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
	"github.com/wcrglab/wcrg/widgets"
)

// diagnoseScales is the Generate tab's cascade diagnosis (wcrg.Diagnose):
// the form's sampler generates from the loaded data's own coarse field φ_k
// for every k, and from the coarsest model, and each result is compared
// with the data. It uses the first "Fields" fields of the data.
func (t *generateTab) diagnoseScales() {
	m, set, ok := t.prepare()
	if !ok {
		return
	}
	data := t.a.state.Data
	switch {
	case data == nil:
		t.a.showError(fmt.Errorf("no data: the diagnosis starts from the data's own coarse fields; open or generate data of %d×%d", m.L, m.L))
		return
	case data.Stack.L != m.L:
		t.a.showError(fmt.Errorf("the data %q holds %d×%d fields; the model was fitted on %d×%d", data.Name, data.Stack.L, data.Stack.L, m.L, m.L))
		return
	}
	n := min(set.N, data.Stack.N)
	if n < 2 {
		t.a.showError(fmt.Errorf("fields: the diagnosis compares statistics and needs at least 2 fields"))
		return
	}
	fields := lattice.Stack{N: n, L: m.L, Data: data.Stack.Data[:n*m.L*m.L]}
	set.Snapshots = false
	t.run.Disable()
	t.check.Disable()
	t.diagnose.Disable()
	t.cancel.Enable()
	t.a.jobs.Start("generate", "Diagnose scales", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(func() { t.run.Enable(); t.check.Enable(); t.diagnose.Enable(); t.cancel.Disable() })
		d, err := wcrg.Diagnose(ctx, m, fields, set, func(p wcrg.DiagnoseProgress) {
			from := fmt.Sprintf("from the data's φ_%d", p.From)
			if p.From > m.Levels {
				from = "from the coarsest model"
			}
			report(Progress{Fraction: p.Fraction, Text: fmt.Sprintf("%s: scale %d", from, p.Level)})
		})
		if err != nil {
			return nil, err
		}
		fig := plots.CascadeFigure(d)
		img := widgets.RenderFigure(fig)
		text := formatDiagnosis(d, data.Name)
		return func() {
			t.table.SetText(text)
			t.cascade.SetFigure(fig, img)
			t.figTabs.SelectIndex(cascadeTabIndex)
			t.status.SetText(fmt.Sprintf("Scale diagnosis on %d data fields (see the table and the Cascade figure).", n))
		}, nil
	})
}

// formatDiagnosis is the table of the scale diagnosis.
func formatDiagnosis(d *wcrg.Diagnosis, dataName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scale diagnosis: generated from the data's own φ_k, against the data (%s, %d fields of %d×%d)\n\n", dataName, d.N, d.L, d.L)
	fmt.Fprintf(&b, "%-9s %7s %9s %9s %7s %-18s | %9s %9s %7s %9s %s\n", "from", "φ_k−1", "spectrum", "hist L1", "kurt σ", "φ̄_k std ratios", "φ_0 spec.", "hist L1", "kurt σ", "worst std", "at")
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.4f", v)
	}
	sigmas := func(z float64) string {
		if math.IsNaN(z) {
			return "–"
		}
		return fmt.Sprintf("%+.1f", z)
	}
	for _, r := range d.Rows {
		from, side := fmt.Sprintf("φ_%d", r.From), fmt.Sprintf("%d×%d", r.Side, r.Side)
		ratios := fmt.Sprintf("%.3f %.3f %.3f", r.DetailStdRatio[0], r.DetailStdRatio[1], r.DetailStdRatio[2])
		if r.From > d.Levels {
			from, side, ratios = "coarsest", "–", "–"
		}
		at := wcrg.PlaneName(r.WorstScaleLevel, r.WorstPlane)
		fmt.Fprintf(&b, "%-9s %7s %9s %9s %7s %-17s | %9.4f %9.4f %7s %8.1f%% %s\n", from, side, num(r.FirstSpectrum), num(r.FirstHistL1), sigmas(r.FirstKurtosis), ratios,
			r.Spectrum, r.HistL1, sigmas(r.Kurtosis), 100*r.WorstScaleStd, at)
	}
	b.WriteString("\nLeft: the first generated level φ_k−1 alone against the data's (spectrum and histogram from 8×8 up)\n" +
		"and the std of the generated wavelet channels over the data's. Right: the finest field φ_0.\n" +
		"kurt σ: pixel kurtosis, generated − data, in standard errors.\n" +
		"Row φ_1 is close to the sampling noise; a jump at row k points at the conditional Ē_k.\n" +
		"On the model's own training fields the figures understate the error: use held-out data.\n")
	return b.String()
}
