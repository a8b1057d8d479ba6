package plots

import (
	"github.com/wcrglab/wcrg/engine/lensing"
)

// minkowskiTitles are the titles and y labels of V0, V1 and V2.
var minkowskiTitles = [3][2]string{
	{"Minkowski functional V0: area fraction above ν", "V0"},
	{"Minkowski functional V1: boundary length / 4A", "V1 (per pixel)"},
	{"Minkowski functional V2: Euler characteristic / A", "V2 (per pixel²)"},
}

// nuLabel names the threshold axis: κ for lensing maps, any field alike.
const nuLabel = "threshold ν (field value in σ about the mean)"

// PeakCountsFigure draws the peak counts per map by height ν of named sets,
// every set after the first dashed.
func PeakCountsFigure(names []string, peaks []lensing.PeakCounts) *Figure {
	var s []Series
	for i, p := range peaks {
		s = append(s, Series{Name: names[i], X: p.Nu, Y: p.PerMap, Err: p.StdErr, Markers: true, Dashed: i > 0})
	}
	return LineFigure(Axes{Title: "Peak counts per map", X: nuLabel, Y: "peaks per map per bin", LogY: true}, s...)
}

// MinkowskiFigure draws the Minkowski functional V_k (k = 0, 1, 2) of named
// sets against the threshold ν, every set after the first dashed.
func MinkowskiFigure(k int, names []string, mks []lensing.Minkowski) *Figure {
	var s []Series
	for i, m := range mks {
		y, e := [3][]float64{m.V0, m.V1, m.V2}[k], [3][]float64{m.Err0, m.Err1, m.Err2}[k]
		s = append(s, Series{Name: names[i], X: m.Nu, Y: y, Err: e, Dashed: i > 0})
	}
	return LineFigure(Axes{Title: minkowskiTitles[k][0], X: nuLabel, Y: minkowskiTitles[k][1]}, s...)
}
