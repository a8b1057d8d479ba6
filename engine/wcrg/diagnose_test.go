package wcrg

import (
	"context"
	"errors"
	"math"
	"testing"
)

// TestDiagnoseGaussian runs the cascade diagnosis on a free-field model,
// whose quadratic ansatz is exact: every row must match the held-out data
// within sampling noise, and the rows must be laid out as documented.
func TestDiagnoseGaussian(t *testing.T) {
	const L, mass = 16, 0.25
	set := DefaultSettings()
	set.Seed = 3
	m, err := Fit(context.Background(), freeField(t, 800, L, mass, 1), set, Provenance{File: "gaussian"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const N = 300
	held := freeField(t, N, L, mass, 2)
	var last DiagnoseProgress
	d, err := Diagnose(context.Background(), m, held, SampleSettings{Seed: 4}, func(p DiagnoseProgress) {
		if p.Fraction < last.Fraction-1e-12 || p.Fraction > 1+1e-12 {
			t.Errorf("progress went from %.4f to %.4f", last.Fraction, p.Fraction)
		}
		last = p
	})
	if err != nil {
		t.Fatal(err)
	}
	J := m.Levels
	if len(d.Rows) != J+1 || d.N != N || d.L != L || d.Levels != J {
		t.Fatalf("diagnosis of %d rows, N %d, L %d, J %d; want %d rows, %d, %d, %d", len(d.Rows), d.N, d.L, d.Levels, J+1, N, L, J)
	}
	if last.Fraction < 0.99 {
		t.Errorf("last progress %.3f, want 1", last.Fraction)
	}
	for i, r := range d.Rows {
		k := i + 1
		t.Logf("from %d (side %d): first level spectrum %.4f, hist %.4f, detail std ratios %.3f %.3f %.3f; φ_0 spectrum %.4f, hist %.4f, worst scale std %.4f (level %d plane %d)",
			r.From, r.Side, r.FirstSpectrum, r.FirstHistL1, r.DetailStdRatio[0], r.DetailStdRatio[1], r.DetailStdRatio[2], r.Spectrum, r.HistL1, r.WorstScaleStd, r.WorstScaleLevel, r.WorstPlane)
		if r.From != k {
			t.Errorf("row %d: From = %d", i, r.From)
		}
		if k <= J && r.Side != L>>(k-1) {
			t.Errorf("row %d: side %d, want %d", i, r.Side, L>>(k-1))
		}
		// Spectrum: radial bins of ≥ 16 modes (8 independent for a real
		// field) averaged over 300 fields have a relative standard error of
		// √(1/(8·300)) ≈ 2 % per set; the difference of two sets √2 times
		// that, and the maximum over the ≤ 8 bins of a 16² lattice stays
		// below 4σ ≈ 12 %.
		if r.Spectrum > 0.12 {
			t.Errorf("row %d: spectrum max relative error %.4f > 0.12", i, r.Spectrum)
		}
		if k > J {
			continue
		}
		// The standard deviation estimated from M Gaussian values has a
		// relative error √(1/2M); M = N·(L_k)² per channel; allow 5σ plus
		// 3 % for the fit's own error (800 training fields).
		n := L >> k
		tol := 5*math.Sqrt(1/(2*float64(N*n*n))) + 0.03
		for c, ratio := range r.DetailStdRatio {
			if math.Abs(ratio-1) > tol {
				t.Errorf("row %d: channel %d std ratio %.4f, want 1 ± %.3f", i, c+1, ratio, tol)
			}
		}
	}
	// Row 1 generates only φ̄_1, so its first level is the whole cascade
	// (compared in standardized units, the cascade in raw units: equal up
	// to rounding).
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }
	if r := d.Rows[0]; !close(r.FirstSpectrum, r.Spectrum) || !close(r.FirstHistL1, r.HistL1) {
		t.Errorf("row 1: first level (%.6g, %.6g) differs from the cascade (%.6g, %.6g)", r.FirstSpectrum, r.FirstHistL1, r.Spectrum, r.HistL1)
	}
	// Small first levels have no spectrum; the coarsest row has no first level.
	for _, r := range d.Rows {
		if (r.Side < 8 || r.From > J) != math.IsNaN(r.FirstSpectrum) {
			t.Errorf("row from %d (side %d): first-level spectrum %v", r.From, r.Side, r.FirstSpectrum)
		}
	}

	// Errors and cancellation.
	if _, err := Diagnose(context.Background(), m, freeField(t, 4, 8, mass, 3), SampleSettings{}, nil); err == nil {
		t.Error("fields of the wrong side: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Diagnose(ctx, m, held, SampleSettings{Seed: 4}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled diagnosis: %v, want context.Canceled", err)
	}
}
