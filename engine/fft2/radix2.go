package fft2

import (
	"math"
	"math/bits"
)

// radix2 is an in-place iterative radix-2 complex FFT of a power-of-two
// length, with twiddles stored contiguously per stage.
type radix2 struct {
	n   int
	rev []int32
	// stage[s] holds e^{∓2πik/size}, k < size/2, for size = 2^(s+1) ≥ 8.
	fwd, inv [][]complex128
}

func newRadix2(n int) *radix2 {
	logn := bits.TrailingZeros(uint(n))
	r := &radix2{n: n, rev: make([]int32, n)}
	for i := range r.rev {
		if logn > 0 {
			r.rev[i] = int32(bits.Reverse(uint(i)) >> (bits.UintSize - logn))
		}
	}
	for size := 8; size <= n; size <<= 1 {
		f := make([]complex128, size/2)
		g := make([]complex128, size/2)
		for k := range f {
			s, c := math.Sincos(2 * math.Pi * float64(k) / float64(size))
			f[k] = complex(c, -s)
			g[k] = complex(c, s)
		}
		r.fwd = append(r.fwd, f)
		r.inv = append(r.inv, g)
	}
	return r
}

// transform replaces a (length n) by its unnormalized DFT (inverse = false:
// kernel e^{−2πijk/n}; true: e^{+2πijk/n}).
func (r *radix2) transform(a []complex128, inverse bool) {
	n := r.n
	a = a[:n]
	for i, j := range r.rev {
		if int(j) > i {
			a[i], a[j] = a[j], a[i]
		}
	}
	// Size 2: twiddle 1.
	for i := 0; i+1 < n; i += 2 {
		u, v := a[i], a[i+1]
		a[i], a[i+1] = u+v, u-v
	}
	// Size 4: twiddles 1 and ∓i.
	if n >= 4 {
		for i := 0; i+3 < n; i += 4 {
			b := a[i : i+4 : i+4]
			u0, u1 := b[0], b[1]
			t0 := b[2]
			t1 := b[3]
			if inverse {
				t1 = complex(-imag(t1), real(t1)) // · i
			} else {
				t1 = complex(imag(t1), -real(t1)) // · (−i)
			}
			b[0], b[2] = u0+t0, u0-t0
			b[1], b[3] = u1+t1, u1-t1
		}
	}
	tws := r.fwd
	if inverse {
		tws = r.inv
	}
	for s, tw := range tws {
		size := 8 << s
		half := size >> 1
		for start := 0; start < n; start += size {
			lo := a[start : start+half : start+half]
			hi := a[start+half : start+size : start+size]
			tw := tw[:half]
			for k, w := range tw {
				h := hi[k]
				t := complex(real(w)*real(h)-imag(w)*imag(h), real(w)*imag(h)+imag(w)*real(h))
				u := lo[k]
				lo[k] = u + t
				hi[k] = u - t
			}
		}
	}
}
