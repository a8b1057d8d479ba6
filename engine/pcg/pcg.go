// Package pcg is math/rand/v2's PCG generator (128-bit LCG state, DXSM
// output) written out, so that Monte Carlo inner loops can copy the state
// into local variables and keep it in registers (a rand.PCG local to a loop
// lives in memory, which costs a store–load round trip per draw), and
// deterministic stream derivation for samplers with several independent
// uses of random numbers.
package pcg

import (
	"math/bits"
	"math/rand/v2"
)

// Source is the generator state: Source{Hi: a, Lo: b} produces the same
// numbers as rand.NewPCG(a, b). It implements rand.Source.
type Source struct{ Hi, Lo uint64 }

var _ rand.Source = (*Source)(nil)

const (
	mulHi    = 2549297995355413924
	mulLo    = 4865540595714422341
	incHi    = 6364136223846793005
	incLo    = 1442695040888963407
	cheapMul = 0xda942042e4dd58b5
)

// Step advances the state (hi, lo) and returns the new state and the DXSM
// output; it is small enough to be inlined into a caller's loop.
func Step(hi, lo uint64) (nhi, nlo, out uint64) {
	h, l := bits.Mul64(lo, mulLo)
	h += hi*mulLo + lo*mulHi
	l, c := bits.Add64(l, incLo, 0)
	h, _ = bits.Add64(h, incHi, c)
	out = h
	out ^= out >> 32
	out *= cheapMul
	out ^= out >> 48
	out *= l | 1
	return h, l, out
}

// Uint64 returns the next 64 random bits.
func (p *Source) Uint64() uint64 {
	var out uint64
	p.Hi, p.Lo, out = Step(p.Hi, p.Lo)
	return out
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (p *Source) Float64() float64 { return float64(p.Uint64()>>11) * 0x1p-53 }

// Below returns a uniform integer in [0, n) (multiply-high; bias ≤ n/2⁶⁴).
func (p *Source) Below(n int) int {
	hi, _ := bits.Mul64(p.Uint64(), uint64(n))
	return int(hi)
}

// splitmix64 is the finalizer of SplitMix64, used to derive stream seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream returns the generator for stream index of the given purpose,
// derived deterministically from seed: nearby seeds, purposes and indices
// give unrelated streams.
func Stream(seed, purpose, index uint64) Source {
	a := splitmix64(seed ^ splitmix64(purpose<<40^index))
	b := splitmix64(a ^ 0x6a09e667f3bcc909 ^ purpose)
	return Source{Hi: a, Lo: b}
}
