package phi4

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
)

// DatasetSettings configures MakeDataset: decorrelated samples of a model
// from independent chains.
type DatasetSettings struct {
	Algorithm Algorithm
	Samples   int    // fields to produce (≥ 1)
	Seed      uint64 // chain c uses the streams of seed + c
	// Chains is the number of independent chains, run concurrently with one
	// goroutine each (0: one per core).
	Chains int
	// Thermalize is the number of sweeps with adaptation per chain before
	// anything is measured (0: 1000).
	Thermalize int
	// PilotSweeps is the first length of the pilot run per chain that
	// measures τ_int of |m| and of the energy; it doubles until τ_int is
	// reliable (run ≥ 50 τ_int, window found) or MaxPilotSweeps is reached
	// (0: 500 and 32000).
	PilotSweeps, MaxPilotSweeps int
	// Spacing is the minimum spacing of stored fields in units of τ_int
	// (0: 2, the "at least 2 τ_int"). The interval in sweeps is
	// ⌈Spacing · max(τ_int(|m|), τ_int(E))⌉, at least 1.
	Spacing float64
	// Interval, if > 0, overrides the measured interval (sweeps).
	Interval int
}

func (s DatasetSettings) withDefaults() DatasetSettings {
	if s.Chains == 0 {
		s.Chains = runtime.GOMAXPROCS(0)
	}
	if s.Thermalize == 0 {
		s.Thermalize = 1000
	}
	if s.PilotSweeps == 0 {
		s.PilotSweeps = 500
	}
	if s.MaxPilotSweeps == 0 {
		s.MaxPilotSweeps = 32000
	}
	if s.Spacing == 0 {
		s.Spacing = 2
	}
	return s
}

// Validate checks the settings.
func (s DatasetSettings) Validate() error {
	switch s.Algorithm {
	case AlgMetropolis, AlgHMC, AlgCluster:
	default:
		return fmt.Errorf("phi4: unknown sampler %q (want one of %v)", string(s.Algorithm), Algorithms())
	}
	return s.validateRun()
}

// validateRun checks everything but the algorithm, which MakeChainDataset
// takes from its Ensemble.
func (s DatasetSettings) validateRun() error {
	if s.Samples < 1 {
		return fmt.Errorf("phi4: number of samples %d < 1", s.Samples)
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"chains", s.Chains}, {"thermalization sweeps", s.Thermalize}, {"pilot sweeps", s.PilotSweeps}, {"maximum pilot sweeps", s.MaxPilotSweeps}, {"interval", s.Interval}} {
		if c.v < 0 {
			return fmt.Errorf("phi4: data set with %d %s (want 0 for the default, or more)", c.v, c.name)
		}
	}
	if !(s.Spacing >= 0) || math.IsInf(s.Spacing, 0) {
		return fmt.Errorf("phi4: spacing %g τ_int must be finite and ≥ 0", s.Spacing)
	}
	return nil
}

// DatasetPhase is the stage of MakeDataset.
type DatasetPhase string

const (
	DatasetThermalizing DatasetPhase = "thermalizing"
	DatasetPilot        DatasetPhase = "measuring τ_int"
	DatasetSampling     DatasetPhase = "sampling"
)

// DatasetProgress reports MakeDataset's state.
type DatasetProgress struct {
	Phase          DatasetPhase
	Done, Total    int     // sweeps of the current phase summed over chains, or fields stored
	Tau            float64 // τ_int used for the spacing (0 before the pilot ends)
	Interval       int     // sweeps between stored fields (0 before the pilot ends)
	Elapsed        time.Duration
	AcceptanceRate float64
}

// DatasetReport describes a finished (or interrupted) MakeDataset run.
type DatasetReport struct {
	Algorithm   Algorithm
	Chains      int
	Seed        uint64
	Thermalize  int // sweeps per chain
	PilotSweeps int // sweeps per chain of the final pilot
	// TauAbsM and TauEnergy are τ_int (sweeps) of |m| and of E/L² from the
	// pilot runs of all chains (Madras–Sokal window).
	TauAbsM, TauAbsMErr     float64
	TauEnergy, TauEnergyErr float64
	TauReliable             bool // every pilot estimate reliable (≥ 50 τ_int, window found); false when frozen chains allowed none
	Interval                int  // sweeps between stored fields
	Stored                  int  // fields handed to the sink
	Sweeps                  int  // total sweeps over all chains
	Acceptance              float64
	Step                    float64 // tuned δ or ε of chain 0
	Elapsed                 time.Duration
	Warnings                []string
}

// MakeDataset draws Samples decorrelated fields of m. Each chain starts
// hot (site values uniform in [−1, 1]), thermalizes, then runs a pilot
// that measures τ_int of |m| and of the energy per site; stored fields are
// then spaced by at least Spacing·τ_int sweeps. Field i comes from chain
// i mod Chains, so the data set depends only on the settings, not on the
// scheduling. Fields are handed to sink in order, one call at a time, from
// the calling goroutine (never concurrently); a sink error or a
// cancellation stops all chains and is returned together with the report
// of what was stored so far.
func MakeDataset(ctx context.Context, m Model, s DatasetSettings, sink func(lattice.Field) error, progress func(DatasetProgress)) (DatasetReport, error) {
	if err := s.Validate(); err != nil {
		return DatasetReport{}, err
	}
	return MakeChainDataset(ctx, ModelEnsemble(m, s.Algorithm), s, sink, progress)
}

// Ensemble describes a lattice model and one of its samplers to the generic
// drivers MakeChainDataset and MeasureChainTau.
type Ensemble struct {
	Name string // sampler name in reports ("metropolis", "wolff", …)
	L    int    // lattice side
	// Energy returns the energy of a field (its per-site value is the second
	// observable of the τ_int analysis).
	Energy func(phi []float64) float64
	// NewChain returns a sampler with the given seed running on one core.
	NewChain func(seed uint64) (Chain, error)
	// Start fills a chain's initial field from the given seed.
	Start func(f lattice.Field, seed uint64) error
}

// ModelEnsemble is the Ensemble of the φ⁴-family model m sampled by alg,
// starting hot.
func ModelEnsemble(m Model, alg Algorithm) Ensemble {
	return Ensemble{
		Name:   string(alg),
		L:      m.Side(),
		Energy: m.Energy,
		NewChain: func(seed uint64) (Chain, error) {
			return NewSampler(alg, m, seed, 1)
		},
		Start: func(f lattice.Field, seed uint64) error { return InitField(f, m, Hot, seed) },
	}
}

// MakeChainDataset is MakeDataset for any Ensemble; s.Algorithm is ignored
// (the report names ens.Name).
func MakeChainDataset(ctx context.Context, ens Ensemble, s DatasetSettings, sink func(lattice.Field) error, progress func(DatasetProgress)) (DatasetReport, error) {
	if err := s.validateRun(); err != nil {
		return DatasetReport{}, err
	}
	s = s.withDefaults()
	if s.Chains > s.Samples {
		s.Chains = s.Samples
	}
	start := time.Now()
	rep := DatasetReport{Algorithm: Algorithm(ens.Name), Chains: s.Chains, Seed: s.Seed, Thermalize: s.Thermalize}
	L := ens.L
	samplers := make([]Chain, s.Chains)
	fields := make([]lattice.Field, s.Chains)
	for c := range samplers {
		smp, err := ens.NewChain(s.Seed + uint64(c))
		if err != nil {
			return rep, err
		}
		samplers[c] = smp
		fields[c] = lattice.NewField(L)
		if err := ens.Start(fields[c], s.Seed+uint64(c)+1<<32); err != nil {
			return rep, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	report := func(p DatasetProgress) {
		if progress != nil {
			p.Elapsed = time.Since(start)
			progress(p)
		}
	}
	// runAll runs fn on every chain concurrently and returns the first error.
	runAll := func(fn func(c int) error) error {
		var wg sync.WaitGroup
		errs := make([]error, s.Chains)
		for c := range samplers {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				if err := fn(c); err != nil {
					errs[c] = err
					cancel()
				}
			}(c)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
		}
		return ctx.Err()
	}
	// Thermalization.
	done := 0
	total := s.Chains * s.Thermalize
	err := runAll(func(c int) error {
		return samplers[c].Thermalize(ctx, fields[c], s.Thermalize, func(p Progress, _ lattice.Field) error {
			mu.Lock()
			done++
			d := done
			mu.Unlock()
			if c == 0 {
				report(DatasetProgress{Phase: DatasetThermalizing, Done: d, Total: total, AcceptanceRate: p.Acceptance})
			}
			return nil
		})
	})
	rep.Sweeps += done
	if err != nil {
		return rep, err
	}
	// Pilot: τ_int of |m| and E/L², doubling the run until reliable.
	interval := s.Interval
	if interval == 0 {
		absM := make([][]float64, s.Chains)
		ener := make([][]float64, s.Chains)
		n := s.PilotSweeps
		var frozen []string // observables no chain changed in the last pilot
		var allFrozen bool
		for {
			done = 0
			total = s.Chains * n
			err := runAll(func(c int) error {
				absM[c] = absM[c][:0]
				ener[c] = ener[c][:0]
				return samplers[c].Run(ctx, fields[c], n, func(p Progress, f lattice.Field) error {
					absM[c] = append(absM[c], math.Abs(lattice.Magnetization(f)))
					ener[c] = append(ener[c], ens.Energy(f.Data)/float64(L*L))
					mu.Lock()
					done++
					d := done
					mu.Unlock()
					if c == 0 {
						report(DatasetProgress{Phase: DatasetPilot, Done: d, Total: total, AcceptanceRate: p.Acceptance})
					}
					return nil
				})
			})
			rep.Sweeps += done
			if err != nil {
				return rep, err
			}
			// An observable that no chain changes (frozen chains: an Ising
			// chain deep in the ordered phase keeps |m| = 1 and E/L² = −2,
			// or a Metropolis chain stuck in a stripe state) has no τ_int
			// and sets no spacing; it is reported, not an error, and not
			// run longer.
			reliable := true
			var failed []error
			frozen = frozen[:0]
			for _, o := range []struct {
				name     string
				series   [][]float64
				tau, err *float64
			}{{"|m|", absM, &rep.TauAbsM, &rep.TauAbsMErr}, {"E/L²", ener, &rep.TauEnergy, &rep.TauEnergyErr}} {
				if everyChainConstant(o.series) {
					*o.tau, *o.err = 0, 0
					frozen = append(frozen, o.name)
					continue
				}
				ti, err := mcmc.IntegratedTime(o.series, mcmc.AutocorrSettings{})
				switch {
				case errors.Is(err, mcmc.ErrZeroVariance): // constant to rounding
					*o.tau, *o.err = 0, 0
					frozen = append(frozen, o.name)
				case err != nil:
					failed = append(failed, fmt.Errorf("%s: %w", o.name, err))
				default:
					*o.tau, *o.err = ti.Tau, ti.TauErr
					reliable = reliable && ti.Reliable()
				}
			}
			if len(failed) > 0 {
				return rep, fmt.Errorf("phi4: pilot autocorrelation of the %s chains at L = %d: %w", ens.Name, L, errors.Join(failed...))
			}
			allFrozen = len(frozen) == 2
			rep.TauReliable = reliable && !allFrozen // nothing measured is not reliable
			rep.PilotSweeps = n
			if reliable || 2*n > s.MaxPilotSweeps {
				break
			}
			n *= 2
		}
		if !rep.TauReliable && !allFrozen {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("τ_int not reliable after a pilot of %d sweeps per chain: the spacing may be too short", rep.PilotSweeps))
		}
		if len(frozen) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s did not change in %d pilot sweeps of any chain (frozen chains, e.g. deep in the ordered phase, or a local sampler stuck in one state): no τ_int, so it sets no spacing, and fields of a frozen chain repeat its state", strings.Join(frozen, " and "), rep.PilotSweeps))
		}
		interval = max(1, int(math.Ceil(s.Spacing*math.Max(rep.TauAbsM, rep.TauEnergy))))
	}
	rep.Interval = interval
	// Production in rounds: in round r every chain c with c + r·Chains <
	// Samples runs interval sweeps, then the round's fields go to the sink in
	// chain order. Field i therefore always comes from chain i mod Chains
	// after the same number of sweeps, whatever the goroutine scheduling.
	var sinkErr error
	var sweeps int
	for first := 0; first < s.Samples && err == nil; first += s.Chains {
		active := min(s.Chains, s.Samples-first)
		counts := make([]int, active)
		err = runAll(func(c int) error {
			if c >= active {
				return nil
			}
			return samplers[c].Run(ctx, fields[c], interval, func(Progress, lattice.Field) error {
				counts[c]++
				return nil
			})
		})
		for _, n := range counts {
			sweeps += n
		}
		if err != nil {
			break
		}
		for c := 0; c < active; c++ {
			if err = ctx.Err(); err != nil {
				break
			}
			if err = sink(fields[c]); err != nil {
				sinkErr = err
				break
			}
			rep.Stored++
			report(DatasetProgress{Phase: DatasetSampling, Done: rep.Stored, Total: s.Samples, Tau: math.Max(rep.TauAbsM, rep.TauEnergy), Interval: interval, AcceptanceRate: samplers[c].Stats().Acceptance})
		}
	}
	rep.Sweeps += sweeps
	st := samplers[0].Stats()
	rep.Acceptance, rep.Step = st.Acceptance, st.Step
	rep.Elapsed = time.Since(start)
	if sinkErr != nil {
		return rep, sinkErr
	}
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// MakeStack is MakeDataset collecting the fields in memory.
func MakeStack(ctx context.Context, m Model, s DatasetSettings, progress func(DatasetProgress)) (lattice.Stack, DatasetReport, error) {
	st := lattice.NewStack(0, m.Side())
	rep, err := MakeDataset(ctx, m, s, func(f lattice.Field) error {
		st.Data = append(st.Data, f.Data...)
		st.N++
		return nil
	}, progress)
	return st, rep, err
}

// everyChainConstant reports whether every chain of series keeps its first
// value (chains frozen in different states have variance between chains,
// but no autocorrelation to measure).
func everyChainConstant(series [][]float64) bool {
	for _, ch := range series {
		for _, v := range ch {
			if v != ch[0] {
				return false
			}
		}
	}
	return true
}
