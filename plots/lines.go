package plots

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Series is one named curve: points (X[i], Y[i]) with optional symmetric
// error bars Err[i] (nil for none).
type Series struct {
	Name    string
	X, Y    []float64
	Err     []float64
	Dashed  bool // draw as a dashed line without markers (theory, fits)
	NoLine  bool // markers only
	Markers bool // markers on the line
	// Color is 1 + the palette index to draw with; 0 uses the series'
	// position (so that a fitted line can share its data's colour).
	Color int
	// NoLegend keeps a named series (named for its rows in the figure's
	// table) out of the legend, e.g. error bars drawn apart from their
	// curve.
	NoLegend bool
}

// ErrorBars returns the error bars err (on the points of s) of every
// every-th point of s, starting at every/2, as a marker series in s's colour
// (set s.Color to pin it), named after s for the figure's table and kept
// out of the legend: error bars for a densely sampled curve.
func ErrorBars(s Series, err []float64, every int) Series {
	bars := Series{Name: s.Name + " (s.e.)", NoLine: true, NoLegend: true, Color: s.Color}
	every = max(every, 1)
	for i := every / 2; i < len(s.X) && i < len(err); i += every {
		bars.X, bars.Y, bars.Err = append(bars.X, s.X[i]), append(bars.Y, s.Y[i]), append(bars.Err, err[i])
	}
	return bars
}

// Axes describes a line figure's axes.
type Axes struct {
	Title, X, Y  string
	LogX, LogY   bool
	XMin, XMax   float64 // optional fixed limits (both zero: automatic)
	YMin, YMax   float64
	LegendBottom bool // legend in the bottom-left instead of the top-right
}

// LineFigure draws series on common axes. On a logarithmic axis, points with
// a non-positive coordinate are left out (they are kept in the table). The
// table lists series, x, y, err in long format.
func LineFigure(ax Axes, series ...Series) *Figure {
	f := &Figure{Name: "figure", Width: 6 * vg.Inch, Height: 4.2 * vg.Inch}
	f.Table.Header = []string{"series", "x", "y", "err"}
	for _, s := range series {
		for i := range s.X {
			e := math.NaN()
			if s.Err != nil {
				e = s.Err[i]
			}
			f.Table.AddRow(s.Name, s.X[i], s.Y[i], e)
		}
	}
	f.draw = func(dc draw.Canvas) {
		p := buildLinePlot(ax, series)
		wrapTitle(p, dc.Max.X-dc.Min.X)
		p.Draw(dc)
	}
	return f
}

// xyErr implements plotter.XYer and plotter.YErrorer.
type xyErr struct {
	plotter.XYs
	err []float64
}

func (e xyErr) YError(i int) (float64, float64) { return e.err[i], e.err[i] }

func buildLinePlot(ax Axes, series []Series) *plot.Plot {
	p := plot.New()
	p.Title.Text = ax.Title
	p.X.Label.Text = ax.X
	p.Y.Label.Text = ax.Y
	if ax.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: 1}
	}
	if ax.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: 1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = !ax.LegendBottom
	p.Legend.Left = ax.LegendBottom
	for i, s := range series {
		var pts plotter.XYs
		var errs []float64
		for k := range s.X {
			x, y := s.X[k], s.Y[k]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) ||
				(ax.LogX && x <= 0) || (ax.LogY && y <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
			if s.Err != nil {
				e := s.Err[k]
				if math.IsNaN(e) {
					e = 0
				}
				if ax.LogY && y-e <= 0 {
					e = y * (1 - 1e-3) // keep the bar on the axis
				}
				errs = append(errs, e)
			}
		}
		if len(pts) == 0 {
			continue
		}
		ci := i
		if s.Color > 0 {
			ci = s.Color - 1
		}
		col := plotutil.Color(ci)
		var thumbs []plot.Thumbnailer
		if !s.NoLine {
			l, err := plotter.NewLine(pts)
			if err == nil {
				l.Color = col
				l.Width = vg.Points(1.3)
				if s.Dashed {
					l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				}
				p.Add(l)
				thumbs = append(thumbs, l)
			}
		}
		if s.NoLine || s.Markers {
			sc, err := plotter.NewScatter(pts)
			if err == nil {
				sc.Color = col
				sc.Shape = plotutil.Shape(ci)
				sc.Radius = vg.Points(2.5)
				p.Add(sc)
				thumbs = append(thumbs, sc)
			}
		}
		if errs != nil {
			eb, err := plotter.NewYErrorBars(xyErr{pts, errs})
			if err == nil {
				eb.Color = col
				p.Add(eb)
			}
		}
		if s.Name != "" && !s.NoLegend && len(thumbs) > 0 {
			p.Legend.Add(s.Name, thumbs...)
		}
	}
	// The data's own lower ends, positive on a log axis when there are data.
	xData, yData := p.X.Min, p.Y.Min
	if ax.XMax > ax.XMin {
		p.X.Min, p.X.Max = ax.XMin, ax.XMax
	}
	if ax.YMax > ax.YMin {
		p.Y.Min, p.Y.Max = ax.YMin, ax.YMax
	}
	if ax.LogX {
		logRange(&p.X, xData)
	} else {
		linearRange(&p.X)
	}
	if ax.LogY {
		logRange(&p.Y, yData)
	} else {
		linearRange(&p.Y)
	}
	return p
}

// linearRange widens a linear axis of a single value v to
// v ± max(1, 10⁻⁶·|v|): gonum/plot widens it by ±1, which is lost in
// rounding for |v| ≳ 10¹⁶ and then panics.
func linearRange(a *plot.Axis) {
	if a.Min == a.Max && !math.IsInf(a.Min, 0) {
		h := math.Max(1, 1e-6*math.Abs(a.Min))
		a.Min, a.Max = a.Min-h, a.Max+h
	}
}

// logRange keeps a logarithmic axis on positive values, which gonum/plot
// otherwise refuses with a panic. With nothing to show (a constant field's
// spectrum is zero everywhere) it shows the empty decade [1, 10]; a lower
// limit ≤ 0 (fixed by Axes) becomes the data's smallest value dataMin, or
// 10⁻³ of the upper limit without data; a single value v is shown over
// [v/10, 10v] instead of gonum/plot's [v−1, v+1].
func logRange(a *plot.Axis, dataMin float64) {
	if math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) || !(a.Max > 0) {
		a.Min, a.Max = 1, 10
		return
	}
	if !(a.Min > 0) {
		a.Min = a.Max / 1e3
		if dataMin > 0 && dataMin < a.Max {
			a.Min = dataMin
		}
	}
	if a.Min == a.Max {
		a.Min, a.Max = a.Min/10, a.Max*10
	}
}

// SpectrumSeries converts a radial spectrum into a series over |n| ≥ 1 with
// standard errors.
func SpectrumSeries(name string, r lattice.RadialSpectrum) Series {
	s := Series{Name: name}
	for b := 1; b < len(r.Power); b++ {
		if r.Modes[b] == 0 {
			continue
		}
		s.X = append(s.X, r.Radius[b])
		s.Y = append(s.Y, r.Power[b])
		s.Err = append(s.Err, r.StdErr[b])
	}
	return s
}

// SpectrumFigure draws radially averaged power spectra on log–log axes.
func SpectrumFigure(title string, series ...Series) *Figure {
	f := LineFigure(Axes{Title: title, X: "|n| (wave number × L/2π)", Y: "G(k) = ⟨|φ̂(k)|²⟩ / L²", LogX: true, LogY: true, LegendBottom: true}, series...)
	f.Name = "spectrum"
	return f
}

// HistogramSeries converts a histogram into a density series over bin centres.
func HistogramSeries(name string, h *lattice.Histogram) Series {
	return Series{Name: name, X: h.Centers(), Y: h.Density()}
}

// HistogramFigure draws pixel-value densities with a logarithmic y axis.
func HistogramFigure(title, xlabel string, series ...Series) *Figure {
	f := LineFigure(Axes{Title: title, X: xlabel, Y: "probability density", LogY: true}, series...)
	f.Name = "histogram"
	return f
}
