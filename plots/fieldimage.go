package plots

import (
	"image"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/wcrglab/wcrg/engine/wavelet"
)

// Range is a closed value range [Lo, Hi] for colour mapping.
type Range struct{ Lo, Hi float64 }

// AutoRange returns the range between the clip and 100−clip percentiles of
// the finite values of data (clip in percent, 0 for min–max). A constant or
// empty input gets a unit-width range around its value.
func AutoRange(data []float64, clip float64) Range {
	v := make([]float64, 0, len(data))
	for _, x := range data {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Range{-0.5, 0.5}
	}
	q := func(p float64) float64 {
		pos := p / 100 * float64(len(v)-1)
		i := int(pos)
		if i >= len(v)-1 {
			return selectKth(v, len(v)-1)
		}
		lo := selectKth(v, i)
		// After selection every value right of i is ≥ v[i]: the next order
		// statistic is their minimum.
		return lo + (pos-float64(i))*(slices.Min(v[i+1:])-lo)
	}
	r := Range{q(clip), q(100 - clip)}
	if !(r.Hi > r.Lo) {
		r = Range{r.Lo - 0.5, r.Lo + 0.5}
	}
	return r
}

// selectKth reorders v so that v[k] is its k-th smallest value, with no
// larger value before k and no smaller one after, and returns v[k]: Hoare's
// selection with a median-of-three pivot, O(len(v)) on average, falling
// back to sorting the remaining part after 2·log₂ n rounds (so that no input
// makes it quadratic).
func selectKth(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for rounds := 2 * bits.Len(uint(len(v))); hi > lo; rounds-- {
		if rounds == 0 {
			slices.Sort(v[lo : hi+1])
			return v[k]
		}
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// SymmetricRange returns [−a, a] with a the (100−clip) percentile of |data|,
// the natural range for wavelet coefficients with a diverging colour map.
func SymmetricRange(data []float64, clip float64) Range {
	abs := make([]float64, len(data))
	for i, x := range data {
		abs[i] = math.Abs(x)
	}
	r := AutoRange(abs, clip)
	hi := r.Hi
	if !(hi > 0) {
		hi = AutoRange(abs, 0).Hi
	}
	if !(hi > 0) {
		hi = 1
	}
	return Range{-hi, hi}
}

// FieldImage renders the n×n field data (row-major, row x₁ = 0 at the top)
// into dst with colour map cm on range r; dst is allocated if nil or of the
// wrong size. One pixel per site.
func FieldImage(dst *image.RGBA, data []float64, n int, r Range, cm *ColorMap) *image.RGBA {
	if dst == nil || dst.Bounds().Dx() != n || dst.Bounds().Dy() != n {
		dst = image.NewRGBA(image.Rect(0, 0, n, n))
	}
	drawField(dst, 0, 0, data, n, r, cm)
	return dst
}

func drawField(dst *image.RGBA, x0, y0 int, data []float64, n int, r Range, cm *ColorMap) {
	m := cm.WithRange(r.Lo, r.Hi)
	for i := 0; i < n; i++ {
		row := dst.Pix[(y0+i)*dst.Stride+4*x0:]
		for j := 0; j < n; j++ {
			c := m.lut[m.Index(data[i*n+j])]
			row[4*j], row[4*j+1], row[4*j+2], row[4*j+3] = c.R, c.G, c.B, 255
		}
	}
}

// MosaicImage renders a decomposition in the classic Mallat layout on an
// L×L image: φ_J in the top-left corner and, for each level j, channel 2
// (high-pass along x₁) to the right of φ_j's block, channel 1 below it and
// channel 3 diagonally. Each plane has its own range: AutoRange(clip) with
// coarse for φ_J, SymmetricRange(clip) with detail for the channels.
func MosaicImage(d *wavelet.Decomposition, clip float64, coarse, detail *ColorMap) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, d.L, d.L))
	J := d.Levels
	nJ := d.Side(J)
	drawField(img, 0, 0, d.Coarse(J), nJ, AutoRange(d.Coarse(J), clip), coarse)
	for j := 1; j <= J; j++ {
		n := d.Side(j)
		for c, off := range [3][2]int{{0, n}, {n, 0}, {n, n}} { // channel c+1 at (x, y) offset
			ch := d.Channel(j, c+1)
			drawField(img, off[0], off[1], ch, n, SymmetricRange(ch, clip), detail)
		}
	}
	return img
}

// MosaicImageGrid is MosaicImage enlarged by an integer factor with
// nearest-neighbour sampling and one-pixel dark lines between the planes,
// for display. Pixel (x, y) of the result shows site (x/factor, y/factor).
func MosaicImageGrid(d *wavelet.Decomposition, clip float64, coarse, detail *ColorMap, factor int) *image.RGBA {
	img := upscale(MosaicImage(d, clip, coarse, detail), factor)
	if factor < 2 {
		return img
	}
	white := [4]uint8{20, 20, 20, 255} // dark lines: the diverging map is light near zero
	for j := 1; j <= d.Levels; j++ {
		n := d.Side(j) * factor // planes of level j start at n
		for k := 0; k < 2*n; k++ {
			copy(img.Pix[k*img.Stride+4*n:], white[:]) // vertical line x = n
			copy(img.Pix[n*img.Stride+4*k:], white[:]) // horizontal line y = n
		}
	}
	return img
}

// MosaicBlock returns the level j ≥ 1 and channel (0 for φ_J, 1–3 for φ̄_j)
// shown at pixel (x, y) of MosaicImage for a decomposition of side L into J
// levels, and the pixel's coordinates (x₁, x₂) inside that plane.
func MosaicBlock(L, J, x, y int) (level, channel, x1, x2 int) {
	for j := 1; j <= J; j++ {
		n := L >> j
		switch {
		case x >= n && y < n:
			return j, 2, y, x - n
		case x < n && y >= n:
			return j, 1, y - n, x
		case x >= n && y >= n:
			return j, 3, y - n, x - n
		}
	}
	return J, 0, y, x
}

// upscale returns img enlarged by an integer factor with nearest-neighbour
// sampling, so that renderers that interpolate keep sites as sharp squares.
func upscale(img *image.RGBA, factor int) *image.RGBA {
	if factor <= 1 {
		return img
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*factor, b.Dy()*factor))
	for y := 0; y < out.Bounds().Dy(); y++ {
		src := img.Pix[(y/factor)*img.Stride:]
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < out.Bounds().Dx(); x++ {
			copy(dst[4*x:4*x+4], src[4*(x/factor):4*(x/factor)+4])
		}
	}
	return out
}

// FormatValue formats a field value compactly for read-outs and labels.
func FormatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e4 || a < 1e-3:
		return strconv.FormatFloat(v, 'e', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}
