package phi4

import (
	"context"
	"fmt"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Algorithm names a sampler.
type Algorithm string

const (
	AlgMetropolis Algorithm = "metropolis" // checkerboard single-site Metropolis
	AlgHMC        Algorithm = "hmc"        // Hybrid Monte Carlo
	AlgCluster    Algorithm = "cluster"    // Metropolis + embedded-Ising Wolff clusters
)

// Algorithms lists the sampler names accepted by NewSampler.
func Algorithms() []Algorithm { return []Algorithm{AlgMetropolis, AlgHMC, AlgCluster} }

// NewSampler returns a sampler of the given algorithm for m with default
// settings, the seed and the worker count (0: all cores).
func NewSampler(alg Algorithm, m Model, seed uint64, workers int) (Sampler, error) {
	switch alg {
	case AlgMetropolis:
		return NewMetropolis(m, MetropolisSettings{Seed: seed, Workers: workers})
	case AlgHMC:
		return NewHMC(m, HMCSettings{Seed: seed, Workers: workers})
	case AlgCluster:
		return NewCluster(m, ClusterSettings{Seed: seed, Metropolis: MetropolisSettings{Workers: workers}})
	}
	return nil, fmt.Errorf("phi4: unknown sampler %q (want one of %v)", string(alg), Algorithms())
}

// GenerateSettings configures Generate.
type GenerateSettings struct {
	Samples    int   // fields to store (≥ 1)
	Thermalize int   // sweeps with adaptation before the first stored field (≥ 0)
	Interval   int   // sweeps between stored fields (≥ 1)
	Start      Start // start configuration
	StartSeed  uint64
}

// Validate checks the settings.
func (g GenerateSettings) Validate() error {
	if g.Samples < 1 {
		return fmt.Errorf("phi4: number of samples %d < 1", g.Samples)
	}
	if g.Thermalize < 0 {
		return fmt.Errorf("phi4: thermalization sweeps %d < 0", g.Thermalize)
	}
	if g.Interval < 1 {
		return fmt.Errorf("phi4: sweeps between samples %d < 1", g.Interval)
	}
	if g.Start < Cold || g.Start > Zero {
		return fmt.Errorf("phi4: unknown start configuration %d", int(g.Start))
	}
	if int64(g.Samples)*int64(g.Interval) > 1<<40 {
		return fmt.Errorf("phi4: %d samples × %d sweeps is too many", g.Samples, g.Interval)
	}
	return nil
}

// Generate starts a field, thermalizes it with s and stores Samples fields
// Interval sweeps apart. progress, if not nil, is called after every sweep.
// It returns ctx.Err() when cancelled.
func Generate(ctx context.Context, s Sampler, g GenerateSettings, progress func(Progress)) (lattice.Stack, error) {
	if err := g.Validate(); err != nil {
		return lattice.Stack{}, err
	}
	L := s.Model().Side()
	n := L * L
	if int64(g.Samples)*int64(n) > 1<<31 {
		return lattice.Stack{}, fmt.Errorf("phi4: %d fields of %d×%d do not fit in memory", g.Samples, L, L)
	}
	f := lattice.NewField(L)
	if err := InitField(f, s.Model(), g.Start, g.StartSeed); err != nil {
		return lattice.Stack{}, err
	}
	var obs Observer
	if progress != nil {
		obs = func(p Progress, _ lattice.Field) error { progress(p); return nil }
	}
	if err := s.Thermalize(ctx, f, g.Thermalize, obs); err != nil {
		return lattice.Stack{}, err
	}
	st := lattice.NewStack(g.Samples, L)
	stored := 0
	err := s.Run(ctx, f, g.Samples*g.Interval, func(p Progress, f lattice.Field) error {
		if p.Sweep%g.Interval == 0 {
			copy(st.Field(stored).Data, f.Data)
			stored++
		}
		if progress != nil {
			progress(p)
		}
		return nil
	})
	if err != nil {
		return lattice.Stack{}, err
	}
	return st, nil
}
