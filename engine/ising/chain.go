package ising

import (
	"context"
	"fmt"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/pcg"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// Stream purposes: each use of random numbers draws from its own stream.
const (
	streamMetropolis uint64 = 1 + iota
	streamWolff
	streamSW
	streamStart
)

// newStream returns the PCG generator of the given purpose, derived
// deterministically from seed (nearby seeds give unrelated streams).
func newStream(seed, purpose uint64) rng { return pcg.Stream(seed, purpose, 0) }

// checkShape checks that f has the model's side and sweeps ≥ 0.
func checkShape(m Model, f lattice.Field, sweeps int) error {
	if f.L != m.L || len(f.Data) != f.L*f.L {
		return fmt.Errorf("ising: field of side %d (%d values) does not match the model's side %d", f.L, len(f.Data), m.L)
	}
	if sweeps < 0 {
		return fmt.Errorf("ising: number of sweeps %d < 0", sweeps)
	}
	return nil
}

// checkField is checkShape plus a check that every value is exactly ±1 (the
// samplers compare spins for equality and flip them by negation). It costs
// one pass over the field per Thermalize or Run call, not per sweep.
func checkField(m Model, f lattice.Field, sweeps int) error {
	if err := checkShape(m, f, sweeps); err != nil {
		return err
	}
	for i, v := range f.Data {
		if v != 1 && v != -1 {
			return fmt.Errorf("ising: field value %g at site (%d, %d) is not a spin ±1", v, i/f.L, i%f.L)
		}
	}
	return nil
}

// loop calls sweep(i) for i = 0 … sweeps−1, checks ctx before each sweep
// and, if observe is not nil, fills a Progress with prog and calls observe
// after it.
func loop(ctx context.Context, f lattice.Field, sweeps int, phase phi4.Phase, observe phi4.Observer, sweep func(i int), prog func(*phi4.Progress)) error {
	start := time.Now()
	for i := 0; i < sweeps; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		sweep(i)
		if observe != nil {
			p := phi4.Progress{Phase: phase, Sweep: i + 1, Total: sweeps, Elapsed: time.Since(start)}
			prog(&p)
			if err := observe(p, f); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
