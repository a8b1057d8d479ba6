package ising

import "github.com/wcrglab/wcrg/engine/pcg"

// rng is the samplers' generator (math/rand/v2's PCG, written out so that
// inner loops keep its state in registers).
type rng = pcg.Source
