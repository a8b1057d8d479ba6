package plots

import "testing"

// TestErrorBars checks the thinning of error bars: every 20th of 201
// points, from the 10th, with the curve's values and colour.
func TestErrorBars(t *testing.T) {
	s := Series{Name: "V", Color: 3}
	var err []float64
	for i := 0; i <= 200; i++ {
		s.X, s.Y, err = append(s.X, float64(i)), append(s.Y, float64(2*i)), append(err, float64(i)/100)
	}
	b := ErrorBars(s, err, 20)
	if len(b.X) != 10 || b.X[0] != 10 || b.X[9] != 190 || b.Y[1] != 60 || b.Err[2] != 0.5 {
		t.Errorf("bars at %v, values %v, errors %v", b.X, b.Y, b.Err)
	}
	if !b.NoLine || !b.NoLegend || b.Color != 3 || b.Name == "" {
		t.Errorf("bar series %+v", b)
	}
}

// TestLogAxesWithoutPositiveData: the spectrum of a constant field is zero
// everywhere; its log–log figure must draw (empty), not panic.
func TestLogAxesWithoutPositiveData(t *testing.T) {
	f := SpectrumFigure("constant field", Series{Name: "zero", X: []float64{1, 2, 3}, Y: []float64{0, 0, 0}, Err: []float64{0, 0, 0}})
	if img := f.Image(100); img == nil {
		t.Fatal("no image")
	}
	f = LineFigure(Axes{Title: "nothing", LogX: true, LogY: true})
	if img := f.Image(100); img == nil {
		t.Fatal("no image")
	}
}

// TestLogAxisOneValue: a single positive value on a log axis draws.
func TestLogAxisOneValue(t *testing.T) {
	f := SpectrumFigure("one mode", Series{Name: "one", X: []float64{1}, Y: []float64{0.5}})
	if img := f.Image(100); img == nil {
		t.Fatal("no image")
	}
}

// TestLogAxisFixedLimits: a fixed lower limit of 0 on a log axis is raised
// to the data's smallest value, not replaced by an empty decade.
func TestLogAxisFixedLimits(t *testing.T) {
	p := buildLinePlot(Axes{LogY: true, YMin: 0, YMax: 100}, []Series{{X: []float64{1, 2}, Y: []float64{20, 50}}})
	if p.Y.Min != 20 || p.Y.Max != 100 {
		t.Errorf("y range [%g, %g], want [20, 100]", p.Y.Min, p.Y.Max)
	}
	p = buildLinePlot(Axes{LogY: true, YMin: 0, YMax: 100}, nil)
	if p.Y.Min != 0.1 || p.Y.Max != 100 {
		t.Errorf("y range without data [%g, %g], want [0.1, 100]", p.Y.Min, p.Y.Max)
	}
}

// TestLinearAxisOneLargeValue: one bin of a histogram of values near 1e20
// (a constant field) draws; gonum/plot's own ±1 widening is lost there.
func TestLinearAxisOneLargeValue(t *testing.T) {
	f := HistogramFigure("constant", "φ", Series{Name: "one bin", X: []float64{1e20}, Y: []float64{1}})
	if img := f.Image(100); img == nil {
		t.Fatal("no image")
	}
}
