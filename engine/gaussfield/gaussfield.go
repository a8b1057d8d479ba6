// Package gaussfield draws stationary Gaussian random fields on the periodic
// square lattice exactly, by colouring white noise in Fourier space.
//
// A field with structure factor S has ⟨|φ̂(k)|²⟩/L² = S(k) (spec §0) and
// covariance C(r) = (1/L²) Σ_k S(k) e^{ik·r}. Sampling is exact for any
// non-negative S with S(k) = S(−k): φ = F⁻¹[√S · F w] with w white noise.
package gaussfield

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/fft2"
)

// Spectrum returns the structure factor S at the wave vector k = 2πn/L.
// S must be non-negative, finite and even, S(k) = S(−k).
type Spectrum func(k1, k2 float64) float64

// LatticeLaplacian returns K̂(k) = 4 sin²(k₁/2) + 4 sin²(k₂/2), the symbol of
// −Δ for the nearest-neighbour Laplacian (spec §0).
func LatticeLaplacian(k1, k2 float64) float64 {
	s1, s2 := math.Sin(k1/2), math.Sin(k2/2)
	return 4 * (s1*s1 + s2*s2)
}

// FreeField returns the structure factor of the massive lattice free field
// with energy E = ½ Σ_x φ(x)[(−Δ + m²)φ](x): S(k) = 1/(m² + K̂(k)).
// Its second-moment correlation length is exactly 1/m (spec §7.2). For m = 0
// the zero mode is dropped (S(0) = 0): the massless field has zero mean.
func FreeField(m float64) Spectrum {
	m2 := m * m
	return func(k1, k2 float64) float64 {
		d := m2 + LatticeLaplacian(k1, k2)
		if d == 0 {
			return 0
		}
		return 1 / d
	}
}

// Sampler draws fields of side L with a fixed spectrum. Its table of √S and
// its FFT plan are computed once. A Sampler is not safe for concurrent use.
type Sampler struct {
	L     int
	amp   []float64 // √S(k) at n₁·L + n₂
	plan  *fft2.Plan
	noise []float64
	buf   []complex128
}

// NewSampler tabulates S on the L×L frequency grid. It returns an error if S
// is negative, not finite or not even anywhere.
func NewSampler(L int, s Spectrum) (*Sampler, error) {
	if L < 1 {
		return nil, fmt.Errorf("gaussfield: lattice side %d < 1", L)
	}
	amp := make([]float64, L*L)
	for i := 0; i < L; i++ {
		k1 := 2 * math.Pi * float64(fft2.Freq(i, L)) / float64(L)
		for j := 0; j < L; j++ {
			k2 := 2 * math.Pi * float64(fft2.Freq(j, L)) / float64(L)
			v := s(k1, k2)
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("gaussfield: spectrum at n = (%d, %d) is %g (want finite and ≥ 0)", fft2.Freq(i, L), fft2.Freq(j, L), v)
			}
			if w := s(-k1, -k2); math.Abs(w-v) > 1e-12*math.Max(1, math.Abs(v)) {
				return nil, fmt.Errorf("gaussfield: spectrum is not even at n = (%d, %d): %g ≠ %g", fft2.Freq(i, L), fft2.Freq(j, L), v, w)
			}
			amp[i*L+j] = math.Sqrt(v)
		}
	}
	return &Sampler{
		L: L, amp: amp, plan: fft2.NewPlan(L),
		noise: make([]float64, L*L), buf: make([]complex128, L*L),
	}, nil
}

// Sample overwrites dst (length L²) with a field drawn from the Gaussian
// with the sampler's spectrum, using rng. It allocates nothing.
func (g *Sampler) Sample(dst []float64, rng *rand.Rand) {
	for i := range g.noise {
		g.noise[i] = rng.NormFloat64()
	}
	g.plan.Forward(g.buf, g.noise)
	for k, a := range g.amp {
		g.buf[k] *= complex(a, 0)
	}
	g.plan.InverseReal(dst, g.buf)
}
