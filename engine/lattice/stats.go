package lattice

import (
	"fmt"
	"math"
)

// Mean returns the arithmetic mean of x (NaN for an empty slice).
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Variance returns the population variance (1/n) Σ (x − x̄)², the convention of
// NumPy's default std (ddof = 0) used throughout the specification.
func Variance(x []float64) float64 {
	m := Mean(x)
	var s float64
	for _, v := range x {
		d := v - m
		s += d * d
	}
	return s / float64(len(x))
}

// Std returns sqrt(Variance(x)).
func Std(x []float64) float64 { return math.Sqrt(Variance(x)) }

// Kurtosis returns the (non-excess) kurtosis m₄/m₂² about the mean, which is 3
// for a Gaussian and 1 for a symmetric two-valued variable.
func Kurtosis(x []float64) float64 {
	m := Mean(x)
	var s2, s4 float64
	for _, v := range x {
		d := (v - m) * (v - m)
		s2 += d
		s4 += d * d
	}
	n := float64(len(x))
	s2 /= n
	return s4 / n / (s2 * s2)
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted values by linear
// interpolation between order statistics (NumPy's default "linear" method).
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := q * float64(n-1)
	i := int(math.Floor(pos))
	if i >= n-1 {
		return sorted[n-1]
	}
	if i < 0 {
		return sorted[0]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}

// Histogram counts values in equal-width bins over [Lo, Hi). Values outside
// the range are counted in Under and Over and are not part of Counts.
type Histogram struct {
	Lo, Hi      float64
	Counts      []float64
	Under, Over int
}

// NewHistogram returns an empty histogram of bins equal bins over [lo, hi).
func NewHistogram(lo, hi float64, bins int) *Histogram {
	if !(hi > lo) || bins < 1 {
		panic(fmt.Sprintf("lattice: histogram range [%g, %g) with %d bins", lo, hi, bins))
	}
	return &Histogram{Lo: lo, Hi: hi, Counts: make([]float64, bins)}
}

// SpreadRange returns a histogram range for the values x: their mean ± k
// standard deviations, widened to mean ± max(1, 10⁻⁶·|mean|) when that is
// empty in floating point (constant values, or a spread lost next to a
// large mean). ok is false when the mean or the spread overflows (values
// near ±1e308) or x is empty.
func SpreadRange(x []float64, k float64) (lo, hi float64, ok bool) {
	if len(x) == 0 {
		return 0, 0, false
	}
	m, s := Mean(x), Std(x)
	if math.IsNaN(m) || math.IsInf(m, 0) || math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, 0, false
	}
	lo, hi = m-k*s, m+k*s
	if w := (hi - lo) / 1e3; !(hi > lo) || lo+w == lo || hi-w == hi {
		h := math.Max(1, 1e-6*math.Abs(m))
		lo, hi = m-h, m+h
	}
	return lo, hi, !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && hi > lo
}

// Width returns the bin width.
func (h *Histogram) Width() float64 { return (h.Hi - h.Lo) / float64(len(h.Counts)) }

// Add counts every value of x. NaN values count as Over.
func (h *Histogram) Add(x []float64) {
	inv := 1 / h.Width()
	nb := len(h.Counts)
	for _, v := range x {
		if v < h.Lo {
			h.Under++
			continue
		}
		if !(v < h.Hi) { // also catches NaN
			h.Over++
			continue
		}
		// Rounding can reach nb just below Hi; a width that overflowed to
		// +Inf (inv = 0) against an offset that did too gives NaN.
		b := nb - 1
		if f := (v - h.Lo) * inv; f < float64(nb-1) {
			b = max(0, int(f))
		}
		h.Counts[b]++
	}
}

// Total returns the number of values counted in range.
func (h *Histogram) Total() float64 {
	var t float64
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Centers returns the bin centres.
func (h *Histogram) Centers() []float64 {
	c := make([]float64, len(h.Counts))
	w := h.Width()
	for i := range c {
		c[i] = h.Lo + (float64(i)+0.5)*w
	}
	return c
}

// Probabilities returns the fraction of all counted values (in range and
// out of range) that fall in each bin.
func (h *Histogram) Probabilities() []float64 {
	all := h.Total() + float64(h.Under+h.Over)
	p := make([]float64, len(h.Counts))
	for i, c := range h.Counts {
		p[i] = c / all
	}
	return p
}

// Density returns the probability density per bin: the probability of the
// bin divided by the bin width, so that Σ density·width = fraction in range.
func (h *Histogram) Density() []float64 {
	p := h.Probabilities()
	w := h.Width()
	for i := range p {
		p[i] /= w
	}
	return p
}

// Magnetization returns m = (1/L²) Σ_x φ(x), the mean of the field.
func Magnetization(f Field) float64 { return Mean(f.Data) }

// Magnetizations returns the magnetization of every field of s.
func Magnetizations(s Stack) []float64 {
	m := make([]float64, s.N)
	for i := range m {
		m[i] = Magnetization(s.Field(i))
	}
	return m
}

// MagnetizationMoments summarizes the magnetizations m of a set of L×L fields.
type MagnetizationMoments struct {
	N      int     // number of fields
	L      int     // lattice side
	MeanM  float64 // ⟨m⟩
	AbsM   float64 // ⟨|m|⟩
	M2, M4 float64 // ⟨m²⟩, ⟨m⁴⟩
}

// MomentsOf returns the moments of magnetizations m of L×L fields.
func MomentsOf(m []float64, L int) MagnetizationMoments {
	r := MagnetizationMoments{N: len(m), L: L}
	for _, v := range m {
		r.MeanM += v
		r.AbsM += math.Abs(v)
		r.M2 += v * v
		r.M4 += v * v * v * v
	}
	n := float64(len(m))
	r.MeanM /= n
	r.AbsM /= n
	r.M2 /= n
	r.M4 /= n
	return r
}

// Binder returns the Binder cumulant U = 1 − ⟨m⁴⟩/(3⟨m²⟩²): 0 for a
// Gaussian m, 2/3 for a two-valued m, ≈ 0.61 at the 2D Ising critical point.
func (r MagnetizationMoments) Binder() float64 { return 1 - r.M4/(3*r.M2*r.M2) }

// Susceptibility returns χ = L²(⟨m²⟩ − ⟨|m|⟩²), the finite-size
// susceptibility that stays finite in the ordered phase (spec §4.3).
func (r MagnetizationMoments) Susceptibility() float64 {
	return float64(r.L*r.L) * (r.M2 - r.AbsM*r.AbsM)
}
