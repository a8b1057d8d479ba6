package lattice

import (
	"math"

	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// Spectrum is the structure factor (power spectrum) of a set of L×L fields,
//
//	G(k) = ⟨|φ̂(k)|²⟩ / L²,   φ̂(k) = Σ_x φ(x) e^{−ik·x},  k = 2πn/L,
//
// averaged over the fields, stored at n₁·L + n₂ with n₁, n₂ ∈ [0, L) (spec §0).
// Power2 holds the average of (|φ̂(k)|²/L²)², from which per-mode standard
// errors follow.
type Spectrum struct {
	L      int
	N      int // number of fields averaged
	Power  []float64
	Power2 []float64
}

// spectrumChunk is the number of fields per reduction chunk: fixed, so that
// sums do not depend on the worker count.
const spectrumChunk = 8

// PowerSpectrum returns the structure factor of the fields of s, computed on
// workers goroutines (0 means runtime.NumCPU()). The result does not depend
// on the worker count.
func PowerSpectrum(s Stack, workers int) Spectrum {
	L := s.L
	n2 := L * L
	nc, bounds := parallel.Chunks(s.N, spectrumChunk)
	sums := make([][]float64, nc)
	sums2 := make([][]float64, nc)
	workers = parallel.Workers(workers)
	plans := make([]*fft2.Plan, workers)
	bufs := make([][]complex128, workers)
	parallel.For(nc, workers, func(w, c int) {
		if plans[w] == nil {
			plans[w] = fft2.NewPlan(L)
			bufs[w] = make([]complex128, n2)
		}
		acc := make([]float64, n2)
		acc2 := make([]float64, n2)
		lo, hi := bounds(c)
		for i := lo; i < hi; i++ {
			plans[w].Forward(bufs[w], s.Field(i).Data)
			for k, z := range bufs[w] {
				p := (real(z)*real(z) + imag(z)*imag(z)) / float64(n2)
				acc[k] += p
				acc2[k] += p * p
			}
		}
		sums[c], sums2[c] = acc, acc2
	})
	sp := Spectrum{L: L, N: s.N, Power: make([]float64, n2), Power2: make([]float64, n2)}
	for c := range sums {
		for k := range sp.Power {
			sp.Power[k] += sums[c][k]
			sp.Power2[k] += sums2[c][k]
		}
	}
	if s.N > 0 {
		inv := 1 / float64(s.N)
		for k := range sp.Power {
			sp.Power[k] *= inv
			sp.Power2[k] *= inv
		}
	}
	return sp
}

// At returns G at the integer frequency (n1, n2), wrapped periodically.
func (sp Spectrum) At(n1, n2 int) float64 {
	return sp.Power[wrap(n1, sp.L)*sp.L+wrap(n2, sp.L)]
}

// RadialSpectrum is a power spectrum averaged over rings of integer radius:
// the mode n, folded to (−L/2, L/2]², goes to bin round(|n|).
type RadialSpectrum struct {
	Radius []float64 // mean |n| of the modes in each bin
	Power  []float64 // mean G over the modes of each bin
	StdErr []float64 // standard error of Power, treating ±n as one mode
	Modes  []int     // number of lattice modes in each bin
}

// Radial returns the radially averaged spectrum, bins 0 … ⌊L/√2⌉.
func (sp Spectrum) Radial() RadialSpectrum {
	L := sp.L
	nb := int(math.Round(float64(L)/math.Sqrt2)) + 1
	r := RadialSpectrum{
		Radius: make([]float64, nb),
		Power:  make([]float64, nb),
		StdErr: make([]float64, nb),
		Modes:  make([]int, nb),
	}
	varsum := make([]float64, nb)
	for i := 0; i < L; i++ {
		f1 := float64(foldFreq(i, L))
		for j := 0; j < L; j++ {
			f2 := float64(foldFreq(j, L))
			rad := math.Hypot(f1, f2)
			b := int(math.Round(rad))
			k := i*L + j
			r.Radius[b] += rad
			r.Power[b] += sp.Power[k]
			varsum[b] += sp.Power2[k] - sp.Power[k]*sp.Power[k]
			r.Modes[b]++
		}
	}
	for b := range r.Power {
		m := float64(r.Modes[b])
		if m == 0 {
			continue
		}
		r.Radius[b] /= m
		r.Power[b] /= m
		// A real field has φ̂(−k) = φ̂(k)*, so a ring holds about m/2
		// independent modes; each of the N fields contributes one draw.
		indep := math.Max(1, m/2) * float64(sp.N)
		if sp.N > 1 {
			r.StdErr[b] = math.Sqrt(math.Max(0, varsum[b]/m) / indep)
		}
	}
	return r
}

// foldFreq maps i ∈ [0, L) to the signed frequency in (−L/2, L/2].
func foldFreq(i, L int) int {
	if 2*i > L {
		return i - L
	}
	return i
}

// TwoPoint returns the two-point function C(r) = (1/L²) Σ_x ⟨φ(x) φ(x + r)⟩
// as an L×L field indexed by the displacement r (the inverse DFT of G).
// It is not connected: subtract ⟨m⟩² for the connected function.
func (sp Spectrum) TwoPoint() Field {
	L := sp.L
	buf := make([]complex128, L*L)
	for k, p := range sp.Power {
		buf[k] = complex(p, 0)
	}
	out := NewField(L)
	fft2.NewPlan(L).InverseReal(out.Data, buf)
	return out
}

// CorrelationLength returns the second-moment correlation length (spec §7.2)
//
//	ξ = sqrt(G(0)/G(k_min) − 1) / (2 sin(π/L)),
//
// with G(k_min) the average of G at n = (1, 0) and (0, 1) (and their
// negatives) and the full, not connected, G(0) = L²⟨m²⟩. It returns NaN when
// G(0) ≤ G(k_min) (no long-range order to measure).
func (sp Spectrum) CorrelationLength() float64 {
	gmin := (sp.At(1, 0) + sp.At(0, 1) + sp.At(-1, 0) + sp.At(0, -1)) / 4
	return SecondMomentXi(sp.At(0, 0), gmin, sp.L)
}

// SecondMomentXi evaluates ξ = sqrt(g0/gmin − 1) / (2 sin(π/L)). It returns
// NaN if g0 ≤ gmin or gmin ≤ 0.
func SecondMomentXi(g0, gmin float64, L int) float64 {
	if !(gmin > 0) || !(g0 > gmin) {
		return math.NaN()
	}
	return math.Sqrt(g0/gmin-1) / (2 * math.Sin(math.Pi/float64(L)))
}
