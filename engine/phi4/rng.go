package phi4

import "github.com/wcrglab/wcrg/engine/pcg"

// rng is the samplers' generator (math/rand/v2's PCG, written out so that
// inner loops keep its state in registers).
type rng = pcg.Source

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
func newStream(seed, purpose, index uint64) rng { return pcg.Stream(seed, purpose, index) }
