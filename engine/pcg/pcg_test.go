package pcg

import (
	"math/rand/v2"
	"testing"
)

// TestMatchesRand: Source is math/rand/v2's PCG, draw for draw.
func TestMatchesRand(t *testing.T) {
	p := Source{Hi: 12345, Lo: 678910}
	r := rand.NewPCG(12345, 678910)
	for i := range 1000 {
		if a, b := p.Uint64(), r.Uint64(); a != b {
			t.Fatalf("draw %d: Source %x, rand.PCG %x", i, a, b)
		}
	}
}

// TestStreamsDiffer: streams of nearby seeds, purposes and indices start
// differently, and Below and Float64 stay in range.
func TestStreamsDiffer(t *testing.T) {
	seen := map[uint64]bool{}
	for seed := range uint64(4) {
		for purpose := range uint64(4) {
			for index := range uint64(4) {
				s := Stream(seed, purpose, index)
				v := s.Uint64()
				if seen[v] {
					t.Fatalf("stream (%d, %d, %d) repeats a first draw", seed, purpose, index)
				}
				seen[v] = true
				if f := s.Float64(); f < 0 || f >= 1 {
					t.Fatalf("Float64 = %g", f)
				}
				if b := s.Below(7); b < 0 || b >= 7 {
					t.Fatalf("Below(7) = %d", b)
				}
			}
		}
	}
}
