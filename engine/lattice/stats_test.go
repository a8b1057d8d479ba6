package lattice_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/lattice"
)

func TestMoments(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	if got := lattice.Mean(x); got != 2.5 {
		t.Errorf("Mean = %v, want 2.5", got)
	}
	if got := lattice.Variance(x); got != 1.25 { // population variance of 1..4
		t.Errorf("Variance = %v, want 1.25", got)
	}
	// A symmetric two-valued variable has kurtosis exactly 1.
	if got := lattice.Kurtosis([]float64{-1, 1, -1, 1}); math.Abs(got-1) > 1e-15 {
		t.Errorf("Kurtosis(±1) = %v, want 1", got)
	}
	sorted := []float64{0, 1, 2, 3, 4}
	if got := lattice.Quantile(sorted, 0.3); math.Abs(got-1.2) > 1e-15 {
		t.Errorf("Quantile(0.3) = %v, want 1.2 (NumPy linear)", got)
	}
}

func TestHistogram(t *testing.T) {
	h := lattice.NewHistogram(0, 1, 4)
	h.Add([]float64{0, 0.1, 0.3, 0.6, 0.99, 1, -0.5, math.NaN()})
	want := []float64{2, 1, 1, 1}
	for i := range want {
		if h.Counts[i] != want[i] {
			t.Fatalf("Counts = %v, want %v", h.Counts, want)
		}
	}
	if h.Under != 1 || h.Over != 2 {
		t.Errorf("Under, Over = %d, %d; want 1, 2", h.Under, h.Over)
	}
	var s float64
	for _, d := range h.Density() {
		s += d * h.Width()
	}
	if math.Abs(s-5.0/8) > 1e-15 {
		t.Errorf("in-range probability = %v, want 5/8", s)
	}
}

func TestMagnetizationMoments(t *testing.T) {
	// A two-valued magnetization ±a has Binder cumulant 2/3 and χ = 0.
	r := lattice.MomentsOf([]float64{0.5, -0.5, 0.5, -0.5}, 8)
	if math.Abs(r.Binder()-2.0/3) > 1e-15 || r.Susceptibility() != 0 || r.AbsM != 0.5 {
		t.Errorf("±0.5: U = %v, χ = %v, ⟨|m|⟩ = %v", r.Binder(), r.Susceptibility(), r.AbsM)
	}
}

// gaussianStack draws n exact samples of the massive free field (spec §7.2).
func gaussianStack(t *testing.T, n, L int, m float64, seed uint64) lattice.Stack {
	t.Helper()
	g, err := gaussfield.NewSampler(L, gaussfield.FreeField(m))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	s := lattice.NewStack(n, L)
	for i := 0; i < n; i++ {
		g.Sample(s.Field(i).Data, rng)
	}
	return s
}

// TestGaussianSpectrumAndXi checks PowerSpectrum, Radial and CorrelationLength
// on exactly sampled free fields, whose structure factor is known exactly:
// G(k) = 1/(m² + K̂(k)) (spec §0, §7.2), and ξ_2nd = 1/m for every L.
func TestGaussianSpectrumAndXi(t *testing.T) {
	const L, n, m = 32, 400, 0.25
	s := gaussianStack(t, n, L, m, 1)
	sp := lattice.PowerSpectrum(s, 0)
	exact := gaussfield.FreeField(m)

	// Every radial bin against the exact ring average, within 4 standard
	// errors (|φ̂(k)|²/L² of a Gaussian field is exponential with mean S(k), so
	// the standard error follows from the number of independent modes).
	r := sp.Radial()
	var sum, sum2 []float64 = make([]float64, len(r.Power)), make([]float64, len(r.Power))
	for i := 0; i < L; i++ {
		for j := 0; j < L; j++ {
			f1, f2 := fold(i, L), fold(j, L)
			b := int(math.Round(math.Hypot(float64(f1), float64(f2))))
			v := exact(2*math.Pi*float64(f1)/L, 2*math.Pi*float64(f2)/L)
			sum[b] += v
			sum2[b]++
		}
	}
	for b := range r.Power {
		want := sum[b] / sum2[b]
		// Relative error of a mean of exponentials over ≈ modes/2 · n draws;
		// the zero mode and n = (L/2, L/2)-type self-conjugate modes are real
		// and have relative variance 2, covered by using at least one mode.
		indep := math.Max(1, float64(r.Modes[b])/2) * n
		se := want * math.Sqrt(2/indep)
		if math.Abs(r.Power[b]-want) > 4*se {
			t.Errorf("radial bin %d: G = %.5g, exact %.5g (±%.2g)", b, r.Power[b], want, se)
		}
		if r.StdErr[b] > 0 && (r.StdErr[b] > 2.5*se || r.StdErr[b] < se/2.5) {
			t.Errorf("radial bin %d: reported standard error %.3g, expected about %.3g", b, r.StdErr[b], se)
		}
	}

	// ξ: error by jackknife over 20 blocks of fields.
	xi := sp.CorrelationLength()
	const blocks = 20
	var jk []float64
	for k := 0; k < blocks; k++ {
		sub := lattice.NewStack(n-n/blocks, L)
		c := 0
		for i := 0; i < n; i++ {
			if i/(n/blocks) == k {
				continue
			}
			copy(sub.Field(c).Data, s.Field(i).Data)
			c++
		}
		jk = append(jk, lattice.PowerSpectrum(sub, 0).CorrelationLength())
	}
	mean := lattice.Mean(jk)
	var v float64
	for _, x := range jk {
		v += (x - mean) * (x - mean)
	}
	se := math.Sqrt(v * (blocks - 1) / blocks)
	if math.Abs(xi-1/m) > 3*se {
		t.Errorf("ξ = %.4f ± %.4f, exact 1/m = %.4f", xi, se, 1/m)
	}
	t.Logf("ξ = %.4f ± %.4f (exact %.4f)", xi, se, 1/m)

	// Two-point function: C(0) = ⟨φ²⟩ = (1/L²) Σ_k S(k).
	var c0 float64
	for i := 0; i < L; i++ {
		for j := 0; j < L; j++ {
			c0 += exact(2*math.Pi*float64(i)/L, 2*math.Pi*float64(j)/L)
		}
	}
	c0 /= L * L
	tp := sp.TwoPoint()
	if got := tp.At(0, 0); math.Abs(got-c0) > 0.03*c0 { // ⟨φ²⟩ pools n·L²/ξ² ≈ 2.6e4 near-independent patches: 3 % is > 4σ
		t.Errorf("C(0) = %.4f, exact ⟨φ²⟩ = %.4f", got, c0)
	}
}

func fold(i, L int) int {
	if 2*i > L {
		return i - L
	}
	return i
}

func TestSecondMomentXiExact(t *testing.T) {
	// With the exact G of the free field, ξ = 1/m for every L (spec §7.2).
	for _, L := range []int{8, 16, 64} {
		for _, m := range []float64{0.05, 0.3, 1} {
			g := gaussfield.FreeField(m)
			xi := lattice.SecondMomentXi(g(0, 0), g(2*math.Pi/float64(L), 0), L)
			if math.Abs(xi-1/m) > 1e-12/m {
				t.Errorf("L=%d m=%g: ξ = %.15g, want %.15g", L, m, xi, 1/m)
			}
		}
	}
	if !math.IsNaN(lattice.SecondMomentXi(1, 2, 8)) {
		t.Error("SecondMomentXi(g0 < gmin) is not NaN")
	}
}

func TestPowerSpectrumWorkerIndependent(t *testing.T) {
	s := gaussianStack(t, 37, 16, 0.5, 9)
	a := lattice.PowerSpectrum(s, 1)
	b := lattice.PowerSpectrum(s, 3)
	for k := range a.Power {
		if a.Power[k] != b.Power[k] {
			t.Fatalf("mode %d: %v with 1 worker, %v with 3", k, a.Power[k], b.Power[k])
		}
	}
}

// TestSpreadRange: mean ± k σ for ordinary values; a usable window around
// constant values, large or not; no range when the spread overflows. A
// histogram over an overflowing width does not panic.
func TestSpreadRange(t *testing.T) {
	if lo, hi, ok := lattice.SpreadRange([]float64{-1, 1}, 4); !ok || lo != -4 || hi != 4 {
		t.Errorf("±1: [%g, %g) %v, want [−4, 4)", lo, hi, ok)
	}
	for _, v := range []float64{0, 3, 1e17, -1e20} {
		lo, hi, ok := lattice.SpreadRange([]float64{v, v, v}, 4)
		if !ok || !(lo < v && v < hi) || lo+(hi-lo)/60 == lo {
			t.Errorf("constant %g: [%g, %g) %v", v, lo, hi, ok)
		}
	}
	if _, _, ok := lattice.SpreadRange([]float64{1e300, -1e300}, 4); ok {
		t.Error("overflowing spread accepted")
	}
	if _, _, ok := lattice.SpreadRange(nil, 4); ok {
		t.Error("empty data accepted")
	}
	h := lattice.NewHistogram(-1e308, 1e308, 10)
	h.Add([]float64{-1e308, 0, 1e307})
	if h.Total() != 3 {
		t.Errorf("counted %g of 3", h.Total())
	}
}
