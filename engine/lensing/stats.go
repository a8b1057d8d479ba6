package lensing

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/pcg"
)

// AngularSpectrum is the radially averaged convergence power spectrum.
type AngularSpectrum struct {
	Ell    []float64 // mean multipole ℓ of each ring
	Cl     []float64 // C_ℓ in steradians (flat-sky convention, see the package doc)
	StdErr []float64 // standard error of Cl
	Modes  []int     // lattice modes per ring
}

// AngularPowerSpectrum returns the angular power spectrum of maps with pixels of
// pixelArcmin arcminutes, in rings of integer lattice radius |n| (ring 0,
// the mean, is left out).
func AngularPowerSpectrum(s lattice.Stack, pixelArcmin float64, workers int) AngularSpectrum {
	rad := lattice.PowerSpectrum(s, workers).Radial()
	pix := pixelArcmin / 60 * math.Pi / 180
	side := pix * float64(s.L)
	omega := pix * pix
	var a AngularSpectrum
	for b := 1; b < len(rad.Power); b++ {
		if rad.Modes[b] == 0 {
			continue
		}
		a.Ell = append(a.Ell, 2*math.Pi*rad.Radius[b]/side)
		a.Cl = append(a.Cl, omega*rad.Power[b])
		a.StdErr = append(a.StdErr, omega*rad.StdErr[b])
		a.Modes = append(a.Modes, rad.Modes[b])
	}
	return a
}

// PDF is a one-point probability density with per-bin errors.
type PDF struct {
	Centers []float64
	Density []float64 // mean over maps of each map's density (Σ density·width = fraction in range)
	StdErr  []float64 // standard error over maps
	Width   float64
}

// OnePointPDF histograms the pixel values of every map in bins equal bins
// over [lo, hi) and averages the densities over the maps, whose scatter
// gives the errors (pixels of one map are correlated; maps are not).
func OnePointPDF(s lattice.Stack, lo, hi float64, bins int) (PDF, error) {
	if !(hi > lo) || bins < 1 || s.N < 1 {
		return PDF{}, fmt.Errorf("lensing: PDF range [%g, %g) with %d bins over %d maps", lo, hi, bins, s.N)
	}
	sum := make([]float64, bins)
	sum2 := make([]float64, bins)
	var p PDF
	for i := 0; i < s.N; i++ {
		h := lattice.NewHistogram(lo, hi, bins)
		h.Add(s.Field(i).Data)
		d := h.Density()
		for b, v := range d {
			sum[b] += v
			sum2[b] += v * v
		}
		p.Centers, p.Width = h.Centers(), h.Width()
	}
	p.Density, p.StdErr = meanOverMaps(sum, sum2, s.N)
	return p, nil
}

// PeakSettings says how peaks are found (spec §8): optional Gaussian shape
// noise, optional Gaussian smoothing, then local maxima strictly above their
// 8 periodic neighbours, histogrammed by ν = (κ − Mean)/Sigma.
type PeakSettings struct {
	PixelArcmin float64 // pixel side (arcmin), needed for noise and smoothing
	// ShapeNoise is the intrinsic ellipticity dispersion σ_ε per component
	// (typically 0.3; 0: no noise). Each pixel gets independent Gaussian
	// noise of standard deviation σ_ε/√(n_gal·A_pix), A_pix in arcmin².
	ShapeNoise float64
	NGal       float64 // source galaxies per arcmin² (0: 30, Euclid-like)
	Seed       uint64  // noise of map i comes from its own stream of Seed
	// SmoothArcmin is the standard deviation θ_s of the Gaussian smoothing
	// kernel in arcmin (0: none), applied after the noise.
	SmoothArcmin float64
	// Mean and Sigma normalize the heights; Sigma = 0 takes the mean and the
	// pixel standard deviation of the (noisy, smoothed) maps being counted.
	// To compare two sets, count both with the reference set's values
	// (PeakCounts.Mean and .Sigma of the reference).
	Mean, Sigma float64
	Workers     int // 0: one per core
}

// PeakBins are the spec's height bins: width 0.5 over [−2, 6).
const (
	PeakNuLo    = -2.0
	PeakNuHi    = 6.0
	PeakBinSize = 0.5
)

// PeakCounts are peak counts per map.
type PeakCounts struct {
	Nu     []float64 // bin centres
	PerMap []float64 // mean number of peaks per map in each bin
	StdErr []float64 // standard error over maps
	// Heights holds every peak's ν, per map (also outside the bins).
	Heights     [][]float64
	Mean, Sigma float64 // the normalization used
}

// Above returns the mean number of peaks per map with ν ≥ nu and its
// standard error over maps.
func (p PeakCounts) Above(nu float64) (mean, stderr float64) {
	n := float64(len(p.Heights))
	var s, s2 float64
	for _, hs := range p.Heights {
		c := 0.0
		for _, h := range hs {
			if h >= nu {
				c++
			}
		}
		s += c
		s2 += c * c
	}
	mean = s / n
	if n > 1 {
		stderr = math.Sqrt(math.Max(0, s2/n-mean*mean) / (n - 1))
	}
	return mean, stderr
}

// Validate checks the settings.
func (s PeakSettings) Validate() error {
	switch {
	case (s.ShapeNoise != 0 || s.SmoothArcmin != 0) && !(s.PixelArcmin > 0):
		return fmt.Errorf("lensing: peak counts with noise or smoothing need the pixel size (got %g arcmin)", s.PixelArcmin)
	case s.ShapeNoise < 0 || math.IsNaN(s.ShapeNoise) || math.IsInf(s.ShapeNoise, 0):
		return fmt.Errorf("lensing: shape noise σ_ε = %g must be finite and ≥ 0", s.ShapeNoise)
	case s.NGal < 0 || math.IsNaN(s.NGal) || math.IsInf(s.NGal, 0):
		return fmt.Errorf("lensing: galaxy density %g per arcmin² must be finite and ≥ 0", s.NGal)
	case s.SmoothArcmin < 0 || math.IsNaN(s.SmoothArcmin) || math.IsInf(s.SmoothArcmin, 0):
		return fmt.Errorf("lensing: smoothing scale %g arcmin must be finite and ≥ 0", s.SmoothArcmin)
	case s.Sigma < 0 || math.IsNaN(s.Sigma) || math.IsInf(s.Sigma, 0) || math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0):
		return fmt.Errorf("lensing: peak normalization mean %g, σ %g must be finite with σ ≥ 0", s.Mean, s.Sigma)
	}
	return nil
}

// Peaks counts the peaks of every map.
func Peaks(s lattice.Stack, set PeakSettings) (PeakCounts, error) {
	if err := set.Validate(); err != nil {
		return PeakCounts{}, err
	}
	if s.N < 1 {
		return PeakCounts{}, fmt.Errorf("lensing: no maps to count peaks in")
	}
	L := s.L
	maps := lattice.StackOf(s.N, L, append([]float64(nil), s.Data...))
	if set.ShapeNoise > 0 || set.SmoothArcmin > 0 {
		ngal := set.NGal
		if ngal == 0 {
			ngal = 30
		}
		noise := set.ShapeNoise / math.Sqrt(ngal*set.PixelArcmin*set.PixelArcmin)
		width := set.SmoothArcmin / set.PixelArcmin // kernel σ in pixels
		workers := parallel.Workers(set.Workers)
		plans := make([]*fft2.Plan, workers)
		bufs := make([][]complex128, workers)
		kernel := make([]float64, L*L)
		for i := 0; i < L; i++ {
			k1 := 2 * math.Pi * float64(fft2.Freq(i, L)) / float64(L)
			for j := 0; j < L; j++ {
				k2 := 2 * math.Pi * float64(fft2.Freq(j, L)) / float64(L)
				kernel[i*L+j] = math.Exp(-(k1*k1 + k2*k2) * width * width / 2)
			}
		}
		parallel.For(s.N, workers, func(w, i int) {
			f := maps.Field(i).Data
			if noise > 0 {
				src := pcg.Stream(set.Seed, 0x6e6f697365, uint64(i)) // "noise"
				rng := rand.New(&src)
				for x := range f {
					f[x] += noise * rng.NormFloat64()
				}
			}
			if width > 0 {
				if plans[w] == nil {
					plans[w] = fft2.NewPlan(L)
					bufs[w] = make([]complex128, L*L)
				}
				plans[w].Forward(bufs[w], f)
				for k, g := range kernel {
					bufs[w][k] *= complex(g, 0)
				}
				plans[w].InverseReal(f, bufs[w])
			}
		})
	}
	pc := PeakCounts{Mean: set.Mean, Sigma: set.Sigma}
	if set.Sigma == 0 {
		pc.Mean, pc.Sigma = lattice.Mean(maps.Data), lattice.Std(maps.Data)
		if !(pc.Sigma > 0) {
			return PeakCounts{}, fmt.Errorf("lensing: the maps are constant: no peak heights")
		}
	}
	nb := int(math.Round((PeakNuHi - PeakNuLo) / PeakBinSize))
	pc.Nu = make([]float64, nb)
	for b := range pc.Nu {
		pc.Nu[b] = PeakNuLo + (float64(b)+0.5)*PeakBinSize
	}
	sum := make([]float64, nb)
	sum2 := make([]float64, nb)
	pc.Heights = make([][]float64, s.N)
	counts := make([]float64, nb)
	for i := 0; i < s.N; i++ {
		f := maps.Field(i).Data
		clear(counts)
		for r := 0; r < L; r++ {
			up, down := ((r+L-1)%L)*L, ((r+1)%L)*L
			row := r * L
			for c := 0; c < L; c++ {
				left, right := (c+L-1)%L, (c+1)%L
				v := f[row+c]
				if v <= f[row+left] || v <= f[row+right] ||
					v <= f[up+left] || v <= f[up+c] || v <= f[up+right] ||
					v <= f[down+left] || v <= f[down+c] || v <= f[down+right] {
					continue
				}
				nu := (v - pc.Mean) / pc.Sigma
				pc.Heights[i] = append(pc.Heights[i], nu)
				if b := int(math.Floor((nu - PeakNuLo) / PeakBinSize)); b >= 0 && b < nb {
					counts[b]++
				}
			}
		}
		for b, c := range counts {
			sum[b] += c
			sum2[b] += c * c
		}
	}
	pc.PerMap, pc.StdErr = meanOverMaps(sum, sum2, s.N)
	return pc, nil
}

// meanOverMaps turns per-bin sums of a per-map quantity and of its square
// over n maps into the mean per map and its standard error (0 for n = 1).
func meanOverMaps(sum, sum2 []float64, n int) (mean, stderr []float64) {
	mean = make([]float64, len(sum))
	stderr = make([]float64, len(sum))
	fn := float64(n)
	for b := range sum {
		m := sum[b] / fn
		mean[b] = m
		if n > 1 {
			stderr[b] = math.Sqrt(math.Max(0, sum2[b]/fn-m*m) / (fn - 1))
		}
	}
	return mean, stderr
}

// SpectrumMaxRelErr is max |C_b/C_a − 1| over the rings of a with at least
// minModes lattice modes (a and b from maps of one size and pixel).
func SpectrumMaxRelErr(a, b AngularSpectrum, minModes int) float64 {
	worst := 0.0
	for i := range a.Cl {
		if a.Modes[i] >= minModes && a.Cl[i] > 0 {
			worst = math.Max(worst, math.Abs(b.Cl[i]/a.Cl[i]-1))
		}
	}
	return worst
}

// PDFMaxLogErr is max |log10 p_b − log10 p_a| over the bins where a's
// density is at least frac of its peak (the tails down to frac); +Inf if b
// is empty in such a bin. a and b must share their bins.
func PDFMaxLogErr(a, b PDF, frac float64) float64 {
	peak := 0.0
	for _, p := range a.Density {
		peak = math.Max(peak, p)
	}
	worst := 0.0
	for i, pa := range a.Density {
		if pa < frac*peak {
			continue
		}
		pb := b.Density[i]
		if pb <= 0 {
			return math.Inf(1)
		}
		worst = math.Max(worst, math.Abs(math.Log10(pb/pa)))
	}
	return worst
}
