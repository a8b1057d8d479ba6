package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/wcrglab/wcrg/engine/wcrg"
)

// convergenceFactor is how many times longer the second run of the
// convergence check is.
const convergenceFactor = 4

// checkConvergence is the Generate tab's convergence check: it generates
// the form's fields twice, once with the form's MALA steps and site sweeps
// per scale and seed and once with convergenceFactor times as many steps
// and sweeps and the next seed (independent sets, so that the jackknife
// errors of the difference hold), and compares the two sets. A fair sampler shows differences
// within their errors: longer chains no longer change the statistics.
func (t *generateTab) checkConvergence() {
	m, set, ok := t.prepare()
	if !ok {
		return
	}
	if set.N < 2 {
		t.a.showError(fmt.Errorf("fields: the convergence check compares statistics and needs at least 2 fields"))
		return
	}
	set.Snapshots = false
	long := set
	long.Steps *= convergenceFactor
	if long.Sweeps > 0 {
		long.Sweeps *= convergenceFactor
	}
	long.Seed++
	t.run.Disable()
	t.check.Disable()
	t.diagnose.Disable()
	t.cancel.Enable()
	t.a.jobs.Start("generate", "Convergence check", func(ctx context.Context, report func(Progress)) (func(), error) {
		defer fyne.Do(func() { t.run.Enable(); t.check.Enable(); t.diagnose.Enable(); t.cancel.Disable() })
		var runs [2]*wcrg.SampleResult
		for r, s := range []wcrg.SampleSettings{set, long} {
			res, err := wcrg.Sample(ctx, m, s, func(p wcrg.SampleProgress) {
				// The long run costs convergenceFactor times the short one.
				report(Progress{Fraction: (float64(r) + float64(1+(convergenceFactor-1)*r)*p.Fraction) / (1 + convergenceFactor),
					Text: fmt.Sprintf("run %d of 2 (%s per scale): scale %d, %s", r+1, chainLength(s), p.Level, samplerPosition(p))})
			})
			if err != nil {
				return nil, err
			}
			runs[r] = res
		}
		cmp, err := wcrg.Compare(runs[0].Fields, runs[1].Fields, "db4", 0)
		if err != nil {
			return nil, err
		}
		text := formatConvergence(cmp, chainLength(set), chainLength(long))
		return func() {
			t.table.SetText(text)
			t.status.SetText(fmt.Sprintf("Convergence check: %s vs %s per scale (see the table).", chainLength(set), chainLength(long)))
		}, nil
	})
}

// chainLength describes the chains of a setting: "300 MALA steps" or
// "100 MALA steps + 40 site sweeps".
func chainLength(s wcrg.SampleSettings) string {
	if s.Sweeps > 0 {
		return fmt.Sprintf("%d MALA steps + %d site sweeps", s.Steps, s.Sweeps)
	}
	return fmt.Sprintf("%d MALA steps", s.Steps)
}

// formatConvergence is the table of the convergence check: every scalar
// statistic of the short run (A) and the long run (B) with its difference
// in standard errors, then the spectrum and histogram differences.
func formatConvergence(c *wcrg.Comparison, short, long string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Convergence check: A = %s, B = %s per scale (independent seeds)\n\n", short, long)
	fmt.Fprintf(&b, "%-16s %12s %12s %12s %8s\n", "statistic", "A", "B", "B − A ± err", "σ")
	worst := 0.0
	for _, s := range c.Scalars {
		d, e := s.Diff()
		z := 0.0
		if e > 0 {
			z = d / e
		}
		worst = max(worst, abs(z))
		fmt.Fprintf(&b, "%-16s %12.5g %12.5g %+10.3g ± %.2g %+7.1f\n", s.Name, s.A, s.B, d, e, z)
	}
	fmt.Fprintf(&b, "\nspectrum max relative difference (bins ≥ 16 modes): %.3f\nhistogram L1 (60 bins, ±4σ): %.3f\n", c.SpectrumMaxRelErr, c.HistL1)
	verdict := "converged: the longer chains change no statistic by more than 3 standard errors"
	if worst > 3 {
		verdict = fmt.Sprintf("NOT converged: a statistic moved by %.1f standard errors; raise the MALA steps per scale", worst)
	}
	fmt.Fprintf(&b, "\n%s\n", verdict)
	return b.String()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
