package ising

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/pcg"
)

// DefaultDequantizeSigma is the noise std σ of the dequantized WC-RG route
// for Ising data (Dequantize): small enough that the two values of a spin
// stay apart (noise beyond 1 against the spin, probability Φ(−1/0.35),
// flips the sign of 0.2 % of the sites), large
// enough that the site density has no gap for a scalar potential on hats
// to resolve.
const DefaultDequantizeSigma = 0.35

// streamDequantize is the pcg purpose of Dequantize's noise.
const streamDequantize = 0x6465_7175 // "dequ"

// Dequantize returns s + σε: every value of every field plus independent
// Gaussian noise of standard deviation sigma, drawn from streams derived
// from seed (one per field, so the result does not depend on how it is
// computed).
//
// It is WC-RG's route for data whose finest scale is discrete, such as ±1
// spins: the dequantized field has a density, and for small σ its energy is
// close to the ansatz of the conditional energies, a double-well potential
// per site (the noise around ±1) plus a nearest-neighbour coupling of the
// spins' signs (the Ising bond), which the scalar and pair potentials
// represent. sign(φ) recovers spins from generated fields.
func Dequantize(s lattice.Stack, sigma float64, seed uint64) (lattice.Stack, error) {
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return lattice.Stack{}, fmt.Errorf("ising: dequantization noise σ = %g (want a positive, finite std)", sigma)
	}
	out := lattice.NewStack(s.N, s.L)
	for i := 0; i < s.N; i++ {
		src := pcg.Stream(seed, streamDequantize, uint64(i))
		r := rand.New(&src)
		f, g := s.Field(i).Data, out.Field(i).Data
		for k, v := range f {
			g[k] = v + sigma*r.NormFloat64()
		}
	}
	return out, nil
}
