package plots

import (
	"fmt"
	"image"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// FieldFigure draws the n×n field data as a pixel-crisp image with a colour
// bar, on range r with colour map cm (nil means viridis). The table holds
// the field as an n×n matrix (row x₁, column x₂).
func FieldFigure(title string, data []float64, n int, r Range, cm *ColorMap) *Figure {
	if cm == nil {
		cm = mustColorMap("viridis")
	}
	img := FieldImage(nil, data, n, r, cm)
	f := &Figure{Name: "field", Width: 5.6 * vg.Inch, Height: 5 * vg.Inch}
	f.Table.Header = matrixHeader(n)
	for i := 0; i < n; i++ {
		row := make([]any, n)
		for j := range row {
			row[j] = data[i*n+j]
		}
		f.Table.AddRow(row...)
	}
	f.draw = func(dc draw.Canvas) {
		drawImageWithBar(dc, title, img, n, cm.WithRange(r.Lo, r.Hi), nil)
	}
	return f
}

func matrixHeader(n int) []string {
	h := make([]string, n)
	for j := range h {
		h[j] = fmt.Sprintf("x2=%d", j)
	}
	return h
}

// drawImageWithBar draws img (n×n sites) in a square panel with a vertical
// colour bar to its right; extra plotters (grid lines) go over the image.
func drawImageWithBar(dc draw.Canvas, title string, img *image.RGBA, n int, cm *ColorMap, extra []plot.Plotter) {
	const barWidth = 0.9 * vg.Inch
	w := dc.Max.X - dc.Min.X
	h := dc.Max.Y - dc.Min.Y
	p := plot.New()
	p.Title.Text = title
	wrapTitle(p, min(w-barWidth, h))
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(n), 0, float64(n)
	p.Add(plotter.NewImage(upscale(img, max(1, 1024/n)), 0, 0, float64(n), float64(n)))
	p.Add(extra...)
	side := min(w-barWidth, h)
	left := draw.Crop(dc, 0, -(w - side), 0, 0)
	left = draw.Crop(left, 0, 0, (h-side)/2, -(h-side)/2)
	p.Draw(left)

	if cm.Max() > cm.Min() {
		cb := plot.New()
		cb.HideX()
		cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
		cb.Title.Text = " "
		bar := draw.Crop(dc, side+0.1*vg.Inch, 0, (h-side)/2+0.1*vg.Inch, -(h-side)/2)
		cb.Draw(bar)
	}
}

// MosaicFigure draws a decomposition in the Mallat layout of MosaicImage,
// with lines between the planes. The table lists stats (the per-plane
// statistics, e.g. from Decomposition.Stats or StackStats) with γ_j.
func MosaicFigure(title string, d *wavelet.Decomposition, stats []wavelet.PlaneStats, gamma []float64, clip float64) *Figure {
	coarse, detail := mustColorMap("viridis"), mustColorMap("diverging")
	img := MosaicImage(d, clip, coarse, detail)
	L, J := d.L, d.Levels
	var lines []plot.Plotter
	for j := 1; j <= J; j++ {
		n := float64(d.Side(j))
		two := 2 * n
		for _, seg := range [][4]float64{{n, 0, n, two}, {0, n, two, n}} {
			// Image rows grow downwards; plot y grows upwards.
			xy := plotter.XYs{{X: seg[0], Y: float64(L) - seg[1]}, {X: seg[2], Y: float64(L) - seg[3]}}
			l, err := plotter.NewLine(xy)
			if err != nil {
				continue
			}
			l.Color = image.White.C
			l.Width = vg.Points(0.75)
			lines = append(lines, l)
		}
	}
	f := &Figure{Name: "decomposition", Width: 5 * vg.Inch, Height: 5 * vg.Inch}
	f.Table.Header = []string{"level", "channel", "side", "mean", "std", "kurtosis", "gamma"}
	for _, s := range stats {
		g := 1.0
		if s.Level >= 1 && s.Level <= len(gamma) {
			g = gamma[s.Level-1]
		}
		f.Table.AddRow(s.Level, s.Channel, s.Side, s.Mean, s.Std, s.Kurtosis, g)
	}
	f.draw = func(dc draw.Canvas) {
		p := plot.New()
		p.Title.Text = title
		w, h := dc.Max.X-dc.Min.X, dc.Max.Y-dc.Min.Y
		wrapTitle(p, min(w, h))
		p.HideAxes()
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(L), 0, float64(L)
		p.Add(plotter.NewImage(upscale(img, max(1, 1024/L)), 0, 0, float64(L), float64(L)))
		p.Add(lines...)
		side := min(w, h)
		p.Draw(draw.Crop(dc, (w-side)/2, -(w-side)/2, (h-side)/2, -(h-side)/2))
	}
	return f
}
