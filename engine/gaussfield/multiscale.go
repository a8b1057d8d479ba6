package gaussfield

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// CoarseCovariance returns the covariance function of the coarse field φ_j
// (1 ≤ j ≤ len(gamma)) of a stationary Gaussian field with spectrum s on the
// L×L lattice, under the renormalized decomposition φ_j = γ_j⁻¹ G φ_{j−1}
// (spec §1.4): c_j(r) = Cov(φ_j(x + r), φ_j(x)) on the L_j×L_j grid. φ_j is
// stationary on its grid because G commutes with shifts by two sites. It is
// computed exactly as A C₀ Aᵀ e_0, with A the analysis down to level j.
// j = 0 gives the covariance of the field itself.
func CoarseCovariance(b wavelet.Basis, L int, gamma []float64, s Spectrum, j int) ([]float64, error) {
	if j < 0 || j > len(gamma) || L>>j < 1 {
		return nil, fmt.Errorf("gaussfield: level %d of a %d×%d field with %d γ values", j, L, L, len(gamma))
	}
	// Aᵀ e_0: synthesize an impulse up to the fine grid with factors γ⁻¹.
	n := L >> j
	x := make([]float64, n*n)
	x[0] = 1
	ws := wavelet.NewWorkspace(L)
	for lev := j; lev >= 1; lev-- {
		fine := L >> (lev - 1)
		m := fine / 2
		out := make([]float64, fine*fine)
		b.Synthesize(out, x, make([]float64, 3*m*m), fine, ws)
		for i := range out {
			out[i] /= gamma[lev-1]
		}
		x = out
	}
	// C₀: multiply by S in Fourier space.
	p := fft2.NewPlan(L)
	buf := make([]complex128, L*L)
	p.Forward(buf, x)
	for i := 0; i < L; i++ {
		k1 := 2 * math.Pi * float64(fft2.Freq(i, L)) / float64(L)
		for k := 0; k < L; k++ {
			k2 := 2 * math.Pi * float64(fft2.Freq(k, L)) / float64(L)
			buf[i*L+k] *= complex(s(k1, k2), 0)
		}
	}
	p.InverseReal(x, buf)
	// A: analyze down to level j.
	for lev := 1; lev <= j; lev++ {
		fine := L >> (lev - 1)
		m := fine / 2
		c := make([]float64, m*m)
		b.Analyze(c, make([]float64, 3*m*m), x, fine, ws)
		for i := range c {
			c[i] /= gamma[lev-1]
		}
		x = c
	}
	return x, nil
}

// PrecisionOperator returns the operator dst = K src of the inverse of the
// stationary covariance c (a covariance function on an n×n grid, as from
// CoarseCovariance), applied in Fourier space. It returns an error if the
// covariance is not positive definite.
func PrecisionOperator(c []float64, n int) (func(dst, src []float64), error) {
	if len(c) != n*n {
		return nil, fmt.Errorf("gaussfield: covariance of length %d on a %d×%d grid", len(c), n, n)
	}
	p := fft2.NewPlan(n)
	spec := make([]complex128, n*n)
	p.Forward(spec, c)
	inv := make([]float64, n*n)
	for i, z := range spec {
		if !(real(z) > 0) {
			return nil, fmt.Errorf("gaussfield: covariance spectrum %g ≤ 0 at mode %d: not positive definite", real(z), i)
		}
		inv[i] = 1 / real(z)
	}
	return func(dst, src []float64) {
		q := fft2.NewPlan(n)
		buf := make([]complex128, n*n)
		q.Forward(buf, src)
		for i := range buf {
			buf[i] *= complex(inv[i], 0)
		}
		q.InverseReal(dst, buf)
	}, nil
}
