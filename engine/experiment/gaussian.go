// Package experiment runs the critical-slowing-down studies of WCRG Lab
// (spec §7): autocorrelation times of local, cluster and WC-RG samplers and
// gradient-descent iteration counts of direct and WC-RG estimation against
// the correlation length, with fitted exponents, and the Gaussian theory
// that predicts them.
package experiment

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// DirectCondition returns κ = K̂_max/K̂_min of the precision K = −Δ + m² of
// the L×L lattice free field (spec §7.3): 8/m² + 1 for m > 0; for m = 0 the
// zero mode is excluded (κ ≈ 2L²/π²).
func DirectCondition(L int, m2 float64) float64 {
	lo, hi := math.Inf(1), 0.0
	for i := 0; i < L; i++ {
		for j := 0; j < L; j++ {
			if m2 == 0 && i == 0 && j == 0 {
				continue
			}
			k := m2 + gaussfield.LatticeLaplacian(2*math.Pi*float64(i)/float64(L), 2*math.Pi*float64(j)/float64(L))
			lo, hi = math.Min(lo, k), math.Max(hi, k)
		}
	}
	return hi / lo
}

// ConditionalConditions returns, for levels j = 1 … J, the condition number
// of the precision of φ̄_j given φ_j for a stationary Gaussian field with
// spectrum s on the L×L lattice (spec §7.3): K̄_j = Ḡ K_{j−1} Ḡᵀ, with K_{j−1}
// the precision of φ_{j−1}. K̄_j commutes with coarse shifts, so its
// spectrum is that of a 3×3 Hermitian matrix per coarse frequency. γ_j
// scales K̄_j and does not change κ, so γ = 1 is used. Modes where the
// field's spectrum vanishes (the zero mode of a massless field) are left
// out through the pseudo-inverse.
func ConditionalConditions(b wavelet.Basis, L, J int, s gaussfield.Spectrum) ([]float64, error) {
	if J < 1 || J > wavelet.MaxLevels(L) {
		return nil, fmt.Errorf("experiment: %d levels of a %d×%d lattice", J, L, L)
	}
	gamma := make([]float64, J)
	for i := range gamma {
		gamma[i] = 1
	}
	out := make([]float64, J)
	for j := 1; j <= J; j++ {
		c, err := gaussfield.CoarseCovariance(b, L, gamma, s, j-1)
		if err != nil {
			return nil, err
		}
		fine := L >> (j - 1)
		n := fine / 2
		// K_{j−1} in Fourier space (pseudo-inverse of the covariance).
		p := fft2.NewPlan(fine)
		cs := make([]complex128, fine*fine)
		p.Forward(cs, c)
		var cmax float64
		for _, z := range cs {
			cmax = math.Max(cmax, real(z))
		}
		kinv := make([]float64, fine*fine)
		for i, z := range cs {
			if real(z) > 1e-12*cmax {
				kinv[i] = 1 / real(z)
			}
		}
		applyK := func(dst, src []float64) {
			buf := make([]complex128, fine*fine)
			p.Forward(buf, src)
			for i := range buf {
				buf[i] *= complex(kinv[i], 0)
			}
			p.InverseReal(dst, buf)
		}
		// Blocks B_ep(x) = [Ḡ_e K Ḡ_pᵀ e_0](x), then their Fourier transforms.
		ws := wavelet.NewWorkspace(fine)
		blocks := make([][]complex128, 9)
		np := fft2.NewPlan(n)
		zc := make([]float64, n*n)
		for pch := 1; pch <= 3; pch++ {
			zd := make([]float64, 3*n*n)
			zd[(pch-1)*n*n] = 1
			x := make([]float64, fine*fine)
			b.Synthesize(x, zc, zd, fine, ws)
			kx := make([]float64, fine*fine)
			applyK(kx, x)
			co, de := make([]float64, n*n), make([]float64, 3*n*n)
			b.Analyze(co, de, kx, fine, ws)
			for e := 1; e <= 3; e++ {
				bs := make([]complex128, n*n)
				np.Forward(bs, de[(e-1)*n*n:e*n*n])
				blocks[(e-1)*3+pch-1] = bs
			}
		}
		lo, hi := math.Inf(1), 0.0
		var he hermitian3
		for w := 0; w < n*n; w++ {
			vals, ok := he.eigenvalues(blocks, w)
			if !ok {
				return nil, fmt.Errorf("experiment: eigenvalues failed at level %d", j)
			}
			for _, v := range vals {
				if v > 1e-12 {
					lo = math.Min(lo, v)
				}
				hi = math.Max(hi, v)
			}
		}
		out[j-1] = hi / lo
	}
	return out, nil
}

// hermitian3 computes the eigenvalues of 3×3 Hermitian matrices, such as
// the symbols of block convolutions at one frequency, through the 6×6 real
// symmetric matrix [[Re, −Im], [Im, Re]], whose eigenvalues are those of the
// 3×3 matrix, each twice. The zero value is ready to use; it reuses its
// workspace from call to call.
type hermitian3 struct {
	h    *mat.SymDense
	es   mat.EigenSym
	vals [6]float64
}

// eigenvalues returns the six eigenvalues, ascending (each eigenvalue of
// the 3×3 matrix twice), of the matrix with entries blocks[3e+q][w] for
// e ≤ q; the lower triangle follows by Hermitian symmetry and the
// imaginary parts of the diagonal are ignored. The slice is overwritten by
// the next call. ok is false if the eigendecomposition failed.
func (he *hermitian3) eigenvalues(blocks [][]complex128, w int) (vals []float64, ok bool) {
	if he.h == nil {
		he.h = mat.NewSymDense(6, nil)
	}
	for e := 0; e < 3; e++ {
		for q := e; q < 3; q++ {
			z := blocks[e*3+q][w]
			if e == q {
				z = complex(real(z), 0)
			}
			he.h.SetSym(e, q, real(z))
			he.h.SetSym(e+3, q+3, real(z))
			he.h.SetSym(e, q+3, -imag(z))
			he.h.SetSym(q, e+3, imag(z))
		}
	}
	if !he.es.Factorize(he.h, false) {
		return nil, false
	}
	return he.es.Values(he.vals[:]), true
}
