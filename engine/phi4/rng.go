package phi4

import "math/bits"

// pcg is math/rand/v2's PCG generator (128-bit LCG state, DXSM output),
// reimplemented so that the Metropolis inner loop can keep its state in
// registers: pcg{hi, lo} produces the same numbers as rand.NewPCG(hi, lo).
// It implements rand.Source.
type pcg struct{ hi, lo uint64 }

const (
	pcgMulHi    = 2549297995355413924
	pcgMulLo    = 4865540595714422341
	pcgIncHi    = 6364136223846793005
	pcgIncLo    = 1442695040888963407
	pcgCheapMul = 0xda942042e4dd58b5
)

// pcgStep advances the state and returns the DXSM output; small enough to be
// inlined.
func pcgStep(hi, lo uint64) (nhi, nlo, out uint64) {
	h, l := bits.Mul64(lo, pcgMulLo)
	h += hi*pcgMulLo + lo*pcgMulHi
	l, c := bits.Add64(l, pcgIncLo, 0)
	h, _ = bits.Add64(h, pcgIncHi, c)
	out = h
	out ^= out >> 32
	out *= pcgCheapMul
	out ^= out >> 48
	out *= l | 1
	return h, l, out
}

// Uint64 returns the next 64 random bits.
func (p *pcg) Uint64() uint64 {
	var out uint64
	p.hi, p.lo, out = pcgStep(p.hi, p.lo)
	return out
}

// float64 returns a uniform number in [0, 1) with 53 random bits.
func (p *pcg) float64() float64 { return float64(p.Uint64()>>11) * 0x1p-53 }

// below returns a uniform integer in [0, n) (multiply-high; bias ≤ n/2⁶⁴).
func (p *pcg) below(n int) int {
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

// Stream purposes: each sampler component draws from its own family of
// streams, so that, e.g., the Metropolis part of the cluster hybrid is the
// same chain of random numbers as a plain Metropolis sampler with the same
// seed.
const (
	streamMetropolis uint64 = 1 + iota
	streamHMCMomenta
	streamHMCAccept
	streamCluster
	streamStart
)

// newStream returns the generator for stream index of the given purpose,
// derived deterministically from seed.
func newStream(seed, purpose, index uint64) pcg {
	a := splitmix64(seed ^ splitmix64(purpose<<40^index))
	b := splitmix64(a ^ 0x6a09e667f3bcc909 ^ purpose)
	return pcg{hi: a, lo: b}
}
