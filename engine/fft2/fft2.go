// Package fft2 computes two-dimensional discrete Fourier transforms of square
// periodic fields, on top of gonum's one-dimensional FFT.
//
// Conventions follow the project's specification (spec §0): for a field φ on the
// L×L periodic lattice, stored row-major with site (x₁, x₂) at index x₁·L + x₂,
//
//	φ̂(k) = Σ_x φ(x) e^{−i k·x},   k = 2π n / L,
//
// with the frequency index n = (n₁, n₂) stored at n₁·L + n₂ (n₁, n₂ ∈ [0, L)).
// The inverse carries the factor 1/L², so Inverse(Forward(φ)) = φ.
package fft2

import (
	"fmt"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Plan holds the one-dimensional plans and scratch space for transforms of
// one size. A Plan is not safe for concurrent use; give each goroutine its own.
type Plan struct {
	n    int
	fft  *fourier.CmplxFFT // other sizes
	r2   *radix2           // power-of-two sizes
	line []complex128      // one row or column
	out  []complex128
	tr   []complex128 // transposed copy (power-of-two sizes)
}

// NewPlan returns a plan for n×n transforms. It panics if n < 1.
func NewPlan(n int) *Plan {
	if n < 1 {
		panic(fmt.Sprintf("fft2: size %d < 1", n))
	}
	p := &Plan{n: n, line: make([]complex128, n), out: make([]complex128, n)}
	if n&(n-1) == 0 {
		p.r2 = newRadix2(n)
		p.tr = make([]complex128, n*n)
	} else {
		p.fft = fourier.NewCmplxFFT(n)
	}
	return p
}

// Len returns the side length n of the plan.
func (p *Plan) Len() int { return p.n }

// Forward sets dst to the unnormalized DFT of the real field src.
// Both have length n². It allocates nothing.
func (p *Plan) Forward(dst []complex128, src []float64) {
	p.check(len(dst), len(src))
	for i, v := range src {
		dst[i] = complex(v, 0)
	}
	p.transform(dst, false)
}

// ForwardComplex replaces the complex field a (length n²) by its unnormalized DFT.
func (p *Plan) ForwardComplex(a []complex128) {
	p.check(len(a), len(a))
	p.transform(a, false)
}

// InverseComplex replaces a by its inverse DFT, including the 1/n² factor.
func (p *Plan) InverseComplex(a []complex128) {
	p.check(len(a), len(a))
	p.transform(a, true)
	s := complex(1/float64(p.n*p.n), 0)
	for i := range a {
		a[i] *= s
	}
}

// InverseReal sets dst to the real part of the inverse DFT of src, including
// the 1/n² factor. src is overwritten with the complex inverse transform.
func (p *Plan) InverseReal(dst []float64, src []complex128) {
	p.check(len(src), len(dst))
	p.transform(src, true)
	s := 1 / float64(p.n*p.n)
	for i, v := range src {
		dst[i] = real(v) * s
	}
}

func (p *Plan) check(a, b int) {
	if a != p.n*p.n || b != p.n*p.n {
		panic(fmt.Sprintf("fft2: lengths %d, %d do not match plan size %d²", a, b, p.n))
	}
}

// transform applies the unnormalized forward (inverse=false) or backward 1D
// transform along rows and then along columns, in place.
func (p *Plan) transform(a []complex128, inverse bool) {
	n := p.n
	if p.r2 != nil {
		for r := 0; r < n; r++ {
			p.r2.transform(a[r*n:(r+1)*n], inverse)
		}
		transpose(p.tr, a, n)
		for r := 0; r < n; r++ {
			p.r2.transform(p.tr[r*n:(r+1)*n], inverse)
		}
		transpose(a, p.tr, n)
		return
	}
	do := p.fft.Coefficients
	if inverse {
		do = p.fft.Sequence
	}
	for r := 0; r < n; r++ {
		row := a[r*n : (r+1)*n]
		copy(p.line, row)
		do(row, p.line)
	}
	for c := 0; c < n; c++ {
		for r := 0; r < n; r++ {
			p.line[r] = a[r*n+c]
		}
		do(p.out, p.line)
		for r := 0; r < n; r++ {
			a[r*n+c] = p.out[r]
		}
	}
}

// Freq returns the signed frequency index of i ∈ [0, n): i folded to (−n/2, n/2].
func Freq(i, n int) int {
	if 2*i > n {
		return i - n
	}
	return i
}

// transpose sets dst = srcᵀ for n×n matrices, in 8×8 blocks.
func transpose(dst, src []complex128, n int) {
	const b = 8
	for i0 := 0; i0 < n; i0 += b {
		for j0 := 0; j0 < n; j0 += b {
			for i := i0; i < min(i0+b, n); i++ {
				row := src[i*n:]
				for j := j0; j < min(j0+b, n); j++ {
					dst[j*n+i] = row[j]
				}
			}
		}
	}
}

// Line is a one-dimensional FFT of a fixed length, unnormalized in both
// directions. It is not safe for concurrent use.
type Line struct {
	n   int
	r2  *radix2
	fft *fourier.CmplxFFT
	tmp []complex128
}

// NewLine returns a 1D FFT of length n ≥ 1.
func NewLine(n int) *Line {
	if n < 1 {
		panic(fmt.Sprintf("fft2: line length %d < 1", n))
	}
	l := &Line{n: n, tmp: make([]complex128, n)}
	if n&(n-1) == 0 {
		l.r2 = newRadix2(n)
	} else {
		l.fft = fourier.NewCmplxFFT(n)
	}
	return l
}

// Transform replaces a (length n) by its DFT: kernel e^{−2πijk/n}, or
// e^{+2πijk/n} if inverse (without the 1/n factor).
func (l *Line) Transform(a []complex128, inverse bool) {
	if l.r2 != nil {
		l.r2.transform(a, inverse)
		return
	}
	copy(l.tmp, a)
	if inverse {
		l.fft.Sequence(a, l.tmp)
	} else {
		l.fft.Coefficients(a, l.tmp)
	}
}
