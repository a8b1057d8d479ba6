package phi4

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Sampler is a Markov chain Monte Carlo update of a field that leaves the
// Boltzmann distribution of its model invariant. A sampler owns its random
// streams and tuned parameters, not the field: callers pass the field, so one
// driver (a data generator, an autocorrelation experiment) can run any
// sampler for a number of sweeps and read observables after each.
//
// A sampler is not safe for concurrent use; it parallelizes internally.
type Sampler interface {
	Chain
	// Model returns the model the sampler draws from.
	Model() Model
}

// Chain is the part of a Sampler that the generic drivers (MakeChainDataset,
// MeasureChainTau) use, so that samplers of other lattice models, such as
// the Ising samplers of package ising, run through the same code.
type Chain interface {
	// Thermalize performs sweeps sweeps on f while adapting the sampler's
	// step size (and cluster count) to its target, then freezes the tuned
	// values. It calls observe, if not nil, after every sweep.
	Thermalize(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error
	// Run performs sweeps sweeps on f with frozen parameters and calls
	// observe, if not nil, after every sweep.
	Run(ctx context.Context, f lattice.Field, sweeps int, observe Observer) error
	// Stats returns the acceptance and tuned parameters so far.
	Stats() Stats
}

// Observer is called after every sweep with a progress value and the current
// field. The field is the sampler's working state: read it (or copy it) but
// neither modify nor keep it. A non-nil error stops the run and is returned.
type Observer func(p Progress, f lattice.Field) error

// Phase says whether a sweep was part of thermalization (with adaptation)
// or of the production run.
type Phase int

const (
	Thermalizing Phase = iota
	Sampling
)

func (p Phase) String() string {
	if p == Thermalizing {
		return "thermalizing"
	}
	return "sampling"
}

// Progress is the state of a Thermalize or Run call after one sweep.
type Progress struct {
	Phase      Phase
	Sweep      int           // sweeps done in this call, 1 … Total
	Total      int           // sweeps requested in this call
	Acceptance float64       // acceptance rate of this call so far
	Step       float64       // Metropolis proposal width δ or HMC step size ε
	Clusters   int           // cluster flips per sweep (cluster hybrid)
	Elapsed    time.Duration // since the call started
}

// Stats summarizes a sampler's history.
type Stats struct {
	Seed       uint64  // the seed of the sampler's random streams
	Sweeps     int     // sweeps (trajectories for HMC) done, including thermalization
	Proposed   int64   // local or HMC proposals since the last Thermalize or Run started
	Accepted   int64   // accepted among Proposed
	Acceptance float64 // Accepted / Proposed
	Step       float64 // current δ (Metropolis) or ε (HMC)
	// HMC only.
	LeapfrogSteps int // leapfrog steps per trajectory
	// Cluster hybrid only.
	Clusters        int     // cluster flips per sweep
	MeanClusterSize float64 // mean size of the clusters flipped since the last call started
}

func checkField(m Model, f lattice.Field, sweeps int) error {
	if f.L != m.Side() || len(f.Data) != f.L*f.L {
		return fmt.Errorf("phi4: field of side %d (%d values) does not match the model's side %d", f.L, len(f.Data), m.Side())
	}
	if sweeps < 0 {
		return fmt.Errorf("phi4: number of sweeps %d < 0", sweeps)
	}
	return nil
}

// loop calls sweep(i) for i = 0 … sweeps−1, checks ctx before each sweep
// and calls observe after it.
func loop(ctx context.Context, f lattice.Field, sweeps int, phase Phase, observe Observer, sweep func(i int), prog func(*Progress)) error {
	start := time.Now()
	for i := 0; i < sweeps; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		sweep(i)
		if observe != nil {
			p := Progress{Phase: phase, Sweep: i + 1, Total: sweeps, Elapsed: time.Since(start)}
			prog(&p)
			if err := observe(p, f); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// Start values for a field.
type Start int

const (
	// Cold sets every site to the positive minimum of the energy of a
	// uniform field, −2Jφ² + Aφ² + Bφ⁴ per site: φ = √((2J − A)/(2B)), or 0
	// if that minimum is at 0 (e.g. a Gaussian); √((1+2β)/2) for Phi4.
	Cold Start = iota
	// Hot draws every site uniformly from [−1, 1].
	Hot
	// Zero sets every site to 0.
	Zero
)

// InitField fills f with the start configuration s for model m, drawing from
// a stream derived from seed for Hot.
func InitField(f lattice.Field, m Model, s Start, seed uint64) error {
	if err := checkField(m, f, 0); err != nil {
		return err
	}
	switch s {
	case Cold:
		fm := m.Form()
		v := 0.0
		// Minimum of the potential including the mean-field coupling for
		// a uniform field: E/site = −2Jφ² + Aφ² + Bφ⁴.
		if a := fm.A - 2*fm.J; fm.B > 0 && a < 0 {
			v = math.Sqrt(-a / (2 * fm.B))
		}
		for i := range f.Data {
			f.Data[i] = v
		}
	case Hot:
		r := newStream(seed, streamStart, 0)
		for i := range f.Data {
			f.Data[i] = 2*r.Float64() - 1
		}
	case Zero:
		clear(f.Data)
	default:
		return fmt.Errorf("phi4: unknown start configuration %d", int(s))
	}
	return nil
}
