// Package lensing handles weak-lensing convergence (κ) maps: synthetic
// Gaussian and shifted-lognormal maps with a ΛCDM-like spectrum, the
// preprocessing that turns maps into training fields and back (block
// averaging, patches, a pointwise transform with exact inverse,
// standardization), and the lensing statistics (one-point PDF, angular
// power spectrum, peak counts). Spec §8.
//
// Conventions: a map is an L×L lattice.Field of κ on a flat patch of sky of
// side FieldDeg degrees, so that the pixel side is θ_pix = FieldDeg/L
// degrees and the wave vector k = 2πn/L (radians per pixel) is the
// multipole ℓ = |k|/θ_pix (θ_pix in radians). Power spectra follow the
// flat-sky convention C_ℓ = Ω_pix ⟨|κ̂(k)|²⟩/L², with κ̂ the unnormalized DFT
// and Ω_pix = θ_pix² the pixel solid angle in steradians.
package lensing

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/pcg"
)

// Spectrum is the shape of the synthetic maps' convergence power spectrum,
// a broken power law in the dimensionless band power
//
//	Δ²(ℓ) = ℓ² C_ℓ / 2π ∝ (ℓ/ℓ_k)^a / (1 + ℓ/ℓ_k)^(a−b),
//
// rising as ℓ^a on large scales and as ℓ^b on small scales. The defaults
// (ℓ_k = 1000, a = 1, b = 0.3) follow the shape of the ΛCDM convergence
// spectrum for sources at z_s ≈ 1 with non-linear (halofit) corrections,
// whose band power grows by ≈ 7.5 between ℓ = 100 and 1000 and by ≈ 2.7
// between ℓ = 1000 and 10⁴; the form gives 6.6 and 3.0. It is a stand-in for
// tests and demonstrations, not a cosmological prediction: the amplitude is
// set by the maps' pixel standard deviation σ_κ.
type Spectrum struct {
	LKnee     float64 `json:"l_knee"`     // ℓ_k, the multipole of the break
	LowSlope  float64 `json:"low_slope"`  // a
	HighSlope float64 `json:"high_slope"` // b
}

// DefaultSpectrum returns the ΛCDM-like shape described at Spectrum.
func DefaultSpectrum() Spectrum { return Spectrum{LKnee: 1000, LowSlope: 1, HighSlope: 0.3} }

// Cl returns C_ℓ up to a constant factor (0 at ℓ = 0).
func (s Spectrum) Cl(l float64) float64 {
	if l <= 0 {
		return 0
	}
	x := l / s.LKnee
	return 2 * math.Pi / (l * l) * math.Pow(x, s.LowSlope) / math.Pow(1+x, s.LowSlope-s.HighSlope)
}

// Kind is the distribution of synthetic maps.
type Kind string

// The kinds of synthetic map.
const (
	// Gaussian maps are exact draws of the Gaussian field with the spectrum.
	Gaussian Kind = "gaussian"
	// Lognormal maps are κ = λ(exp(g − σ_g²/2) − 1) with g Gaussian, the
	// shifted-lognormal model of the convergence: κ ≥ −λ, ⟨κ⟩ = 0, a long
	// positive tail. The spectrum of g is chosen so that κ has the target
	// spectrum exactly: ξ_g(r) = ln(1 + ξ_κ(r)/λ²) for the correlation
	// functions, where ξ_κ is the target's. Where that makes the spectrum of
	// g negative it is set to 0 (SynthReport.ClippedPower says how much).
	Lognormal Kind = "lognormal"
)

// SynthSettings describes a set of synthetic κ maps.
type SynthSettings struct {
	Kind     Kind    `json:"kind"`
	N        int     `json:"n"`         // number of maps (≥ 1)
	L        int     `json:"L"`         // pixels per side, a power of two ≥ 8
	FieldDeg float64 `json:"field_deg"` // side of a map in degrees
	// Sigma is the pixel standard deviation σ_κ of the maps: exactly the
	// ensemble value for Gaussian maps; for lognormal ones up to the
	// clipped power (SynthReport.ClippedPower, 10⁻⁴ for the defaults).
	Sigma float64 `json:"sigma"`
	// Shift is the lognormal shift λ > 0 (the minimum possible κ is −λ);
	// ignored for Gaussian maps. Smaller λ/σ_κ means a longer tail.
	Shift    float64  `json:"shift,omitempty"`
	Spectrum Spectrum `json:"spectrum"`
	Seed     uint64   `json:"seed"` // map i uses its own stream of Seed: maps do not depend on N or Workers
	Workers  int      `json:"-"`    // 0: one per core
}

// DefaultSynthSettings returns 64 lognormal maps of 128² on 3.5° × 3.5°
// (1.64′ pixels) with σ_κ = 0.02 and λ = 0.03, of skewness 2.3
// ((e^{σ_g²} + 2)√(e^{σ_g²} − 1) with σ_g = 0.606).
func DefaultSynthSettings() SynthSettings {
	return SynthSettings{Kind: Lognormal, N: 64, L: 128, FieldDeg: 3.5, Sigma: 0.02, Shift: 0.03, Spectrum: DefaultSpectrum(), Seed: 1}
}

// Validate checks the settings.
func (s SynthSettings) Validate() error {
	switch s.Kind {
	case Gaussian, Lognormal:
	default:
		return fmt.Errorf("lensing: unknown map kind %q (want %q or %q)", string(s.Kind), Gaussian, Lognormal)
	}
	switch {
	case s.N < 1:
		return fmt.Errorf("lensing: number of maps %d < 1", s.N)
	case s.L < 8 || s.L&(s.L-1) != 0:
		return fmt.Errorf("lensing: map side %d is not a power of two ≥ 8", s.L)
	case !(s.FieldDeg > 0) || s.FieldDeg > 90:
		return fmt.Errorf("lensing: field size %g° must be in (0°, 90°] (flat-sky maps)", s.FieldDeg)
	case !(s.Sigma > 0) || math.IsInf(s.Sigma, 0):
		return fmt.Errorf("lensing: σ_κ = %g must be positive and finite", s.Sigma)
	case s.Kind == Lognormal && (!(s.Shift > 0) || math.IsInf(s.Shift, 0)):
		return fmt.Errorf("lensing: lognormal shift λ = %g must be positive and finite", s.Shift)
	case !(s.Spectrum.LKnee > 0) || math.IsInf(s.Spectrum.LKnee, 0):
		return fmt.Errorf("lensing: spectrum break ℓ_k = %g must be positive", s.Spectrum.LKnee)
	case math.IsNaN(s.Spectrum.LowSlope) || math.IsInf(s.Spectrum.LowSlope, 0) || math.IsNaN(s.Spectrum.HighSlope) || math.IsInf(s.Spectrum.HighSlope, 0):
		return fmt.Errorf("lensing: spectrum slopes must be finite")
	}
	return nil
}

// PixelArcmin returns the pixel side in arcminutes.
func (s SynthSettings) PixelArcmin() float64 { return 60 * s.FieldDeg / float64(s.L) }

// SynthReport describes the synthesized maps.
type SynthReport struct {
	PixelArcmin float64
	// SigmaG is the standard deviation of the underlying Gaussian field
	// (lognormal maps; σ_κ for Gaussian maps).
	SigmaG float64
	// ClippedPower is the fraction of the lognormal g field's spectral power
	// that was negative and set to 0 (0 for Gaussian maps); when it is not
	// small the κ spectrum falls short of the target.
	ClippedPower float64
}

// TargetSpectrum returns the structure factor S(k) = ⟨|κ̂(k)|²⟩/L² of the
// synthetic maps on the L×L frequency grid, stored at n₁·L + n₂, normalized
// so that the pixel variance (1/L²)·Σ_k S(k) is σ_κ² (S(0) = 0: every map
// has zero mean in expectation).
func TargetSpectrum(s SynthSettings) []float64 {
	L := s.L
	pix := s.FieldDeg * math.Pi / 180 / float64(L) // radians
	S := make([]float64, L*L)
	var sum float64
	for i := 0; i < L; i++ {
		k1 := 2 * math.Pi * float64(fft2.Freq(i, L)) / float64(L)
		for j := 0; j < L; j++ {
			k2 := 2 * math.Pi * float64(fft2.Freq(j, L)) / float64(L)
			v := s.Spectrum.Cl(math.Hypot(k1, k2) / pix)
			S[i*L+j] = v
			sum += v
		}
	}
	norm := s.Sigma * s.Sigma * float64(L*L) / sum
	for k := range S {
		S[k] *= norm
	}
	return S
}

// Synthesize draws the maps. It checks ctx between maps and reports the
// number of maps done to progress (if not nil), from worker goroutines but
// one call at a time.
func Synthesize(ctx context.Context, s SynthSettings, progress func(done, total int)) (lattice.Stack, SynthReport, error) {
	if err := s.Validate(); err != nil {
		return lattice.Stack{}, SynthReport{}, err
	}
	L := s.L
	rep := SynthReport{PixelArcmin: s.PixelArcmin(), SigmaG: s.Sigma}
	S := TargetSpectrum(s)
	if s.Kind == Lognormal {
		var err error
		S, rep.SigmaG, rep.ClippedPower, err = lognormalGaussianSpectrum(S, L, s.Shift)
		if err != nil {
			return lattice.Stack{}, rep, err
		}
	}
	table := func(k1, k2 float64) float64 {
		i := (int(math.Round(k1*float64(L)/(2*math.Pi)))%L + L) % L
		j := (int(math.Round(k2*float64(L)/(2*math.Pi)))%L + L) % L
		return S[i*L+j]
	}
	workers := parallel.Workers(s.Workers)
	samplers := make([]*gaussfield.Sampler, workers)
	for w := range samplers {
		g, err := gaussfield.NewSampler(L, table)
		if err != nil {
			return lattice.Stack{}, rep, fmt.Errorf("lensing: %v", err)
		}
		samplers[w] = g
	}
	out := lattice.NewStack(s.N, L)
	progressCh := make(chan struct{}, s.N)
	done := make(chan struct{})
	go func() {
		n := 0
		for range progressCh {
			n++
			if progress != nil {
				progress(n, s.N)
			}
		}
		close(done)
	}()
	shift := s.Shift
	half := rep.SigmaG * rep.SigmaG / 2
	parallel.For(s.N, workers, func(w, i int) {
		if ctx.Err() != nil {
			return
		}
		src := pcg.Stream(s.Seed, 0x6c656e73, uint64(i)) // "lens"
		f := out.Field(i).Data
		samplers[w].Sample(f, rand.New(&src))
		if s.Kind == Lognormal {
			for x, g := range f {
				f[x] = shift * (math.Exp(g-half) - 1)
			}
		}
		progressCh <- struct{}{}
	})
	close(progressCh)
	<-done
	if err := ctx.Err(); err != nil {
		return lattice.Stack{}, rep, err
	}
	return out, rep, nil
}

// lognormalGaussianSpectrum returns the structure factor of the Gaussian g
// whose shifted exponential κ = λ(exp(g − σ_g²/2) − 1) has structure factor
// Sk, the standard deviation σ_g of g, and the fraction of g's spectral power
// that was negative and dropped.
func lognormalGaussianSpectrum(Sk []float64, L int, shift float64) (Sg []float64, sigmaG, clipped float64, err error) {
	n := L * L
	plan := fft2.NewPlan(L)
	buf := make([]complex128, n)
	for k, v := range Sk {
		buf[k] = complex(v, 0)
	}
	// ξ_κ(r) = (1/L²) Σ_k S(k) e^{ik·r}; InverseComplex includes the 1/L².
	plan.InverseComplex(buf)
	l2 := shift * shift
	for r, z := range buf {
		x := real(z) / l2
		if x <= -1 {
			return nil, 0, 0, fmt.Errorf("lensing: the lognormal shift λ = %g is too small for the spectrum (ξ_κ(r)/λ² = %g ≤ −1 at some separation)", shift, x)
		}
		buf[r] = complex(math.Log1p(x), 0)
	}
	// S_g(k) = Σ_r ξ_g(r) e^{−ik·r}.
	plan.ForwardComplex(buf)
	Sg = make([]float64, n)
	var pos, neg float64
	for k, z := range buf {
		v := real(z)
		if v < 0 {
			neg -= v
			v = 0
		} else {
			pos += v
		}
		Sg[k] = v
	}
	sigmaG = math.Sqrt(pos / float64(n))
	return Sg, sigmaG, neg / (pos + neg), nil
}
