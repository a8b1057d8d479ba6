package phi4

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
)

// TauSettings configures MeasureTau.
type TauSettings struct {
	Seed uint64
	// Chains independent chains run concurrently (0: one per core); their
	// series are pooled in the Γ-method analysis.
	Chains int
	// Thermalize sweeps per chain, with adaptation (0: 2000).
	Thermalize int
	// Sweeps is the first production length per chain; it doubles until the
	// total run is at least RunInTau τ_int(|m|) with the window found, or
	// MaxSweeps per chain is reached (0: 4000, 1<<20, 200).
	Sweeps, MaxSweeps int
	RunInTau          float64
}

func (s TauSettings) withDefaults() TauSettings {
	if s.Chains == 0 {
		s.Chains = runtime.GOMAXPROCS(0)
	}
	if s.Thermalize == 0 {
		s.Thermalize = 2000
	}
	if s.Sweeps == 0 {
		s.Sweeps = 4000
	}
	if s.MaxSweeps == 0 {
		s.MaxSweeps = 1 << 20
	}
	if s.RunInTau == 0 {
		s.RunInTau = 200
	}
	return s
}

// TauMeasurement is the autocorrelation of a sampler's observables at
// equilibrium, in sweeps (HMC: trajectories; cluster hybrid: one
// Metropolis sweep plus its cluster flips).
type TauMeasurement struct {
	Algorithm   Algorithm
	L           int
	AbsM        mcmc.TauInt // τ_int of |m|
	Energy      mcmc.TauInt // τ_int of E/L²
	AbsMExp     mcmc.TauExp // τ_exp of |m|
	Sweeps      int         // production sweeps per chain
	Chains      int
	Acceptance  float64
	SecPerSweep float64 // wall-clock seconds per sweep of one chain (all chains running)
	MeanAbsM    float64
	Binder      float64
	Elapsed     time.Duration
}

// MeasureTau runs s.Chains chains of alg on m and measures the integrated
// autocorrelation times of |m| and of the energy per site with the Γ method
// (Madras–Sokal window), lengthening the run until it covers RunInTau
// τ_int. progress, if not nil, receives the fraction done of the current
// run length and a status line.
func MeasureTau(ctx context.Context, m Model, alg Algorithm, s TauSettings, progress func(frac float64, status string)) (TauMeasurement, error) {
	if _, err := NewSampler(alg, m, 0, 1); err != nil {
		return TauMeasurement{}, err
	}
	return MeasureChainTau(ctx, ModelEnsemble(m, alg), s, progress)
}

// MeasureChainTau is MeasureTau for any Ensemble.
func MeasureChainTau(ctx context.Context, ens Ensemble, s TauSettings, progress func(frac float64, status string)) (TauMeasurement, error) {
	s = s.withDefaults()
	switch {
	case s.Chains < 1:
		return TauMeasurement{}, fmt.Errorf("phi4: τ measurement with %d chains (want at least 1)", s.Chains)
	case s.Thermalize < 0:
		return TauMeasurement{}, fmt.Errorf("phi4: τ measurement with %d thermalization sweeps (want 0 or more)", s.Thermalize)
	case s.Sweeps < 1 || s.MaxSweeps < s.Sweeps:
		return TauMeasurement{}, fmt.Errorf("phi4: τ measurement with a first run of %d sweeps and at most %d (want 1 ≤ first ≤ most)", s.Sweeps, s.MaxSweeps)
	case !(s.RunInTau > 0) || math.IsInf(s.RunInTau, 0):
		return TauMeasurement{}, fmt.Errorf("phi4: τ measurement with runs of %g τ_int (want a positive length)", s.RunInTau)
	}
	L := ens.L
	alg := ens.Name
	res := TauMeasurement{Algorithm: Algorithm(alg), L: L, Chains: s.Chains}
	samplers := make([]Chain, s.Chains)
	fields := make([]lattice.Field, s.Chains)
	for c := range samplers {
		smp, err := ens.NewChain(s.Seed + uint64(c))
		if err != nil {
			return res, err
		}
		samplers[c], fields[c] = smp, lattice.NewField(L)
		if err := ens.Start(fields[c], s.Seed+uint64(c)+1<<32); err != nil {
			return res, err
		}
	}
	start := time.Now()
	runAll := func(fn func(c int) error) error {
		var wg sync.WaitGroup
		errs := make([]error, s.Chains)
		for c := range samplers {
			wg.Add(1)
			go func(c int) { defer wg.Done(); errs[c] = fn(c) }(c)
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	say := func(c int, frac float64, format string, a ...any) {
		if progress != nil && c == 0 {
			progress(frac, fmt.Sprintf(format, a...))
		}
	}
	err := runAll(func(c int) error {
		return samplers[c].Thermalize(ctx, fields[c], s.Thermalize, func(p Progress, _ lattice.Field) error {
			if p.Sweep%64 == 0 {
				say(c, float64(p.Sweep)/float64(p.Total), "%s L=%d: thermalizing", alg, L)
			}
			return nil
		})
	})
	if err != nil {
		return res, err
	}
	absM := make([][]float64, s.Chains)
	ener := make([][]float64, s.Chains)
	n := s.Sweeps
	for {
		t0 := time.Now()
		err := runAll(func(c int) error {
			need := n - len(absM[c])
			return samplers[c].Run(ctx, fields[c], need, func(p Progress, f lattice.Field) error {
				absM[c] = append(absM[c], math.Abs(lattice.Magnetization(f)))
				ener[c] = append(ener[c], ens.Energy(f.Data)/float64(L*L))
				if p.Sweep%64 == 0 {
					say(c, float64(len(absM[c]))/float64(n), "%s L=%d: %d sweeps per chain", alg, L, n)
				}
				return nil
			})
		})
		if err != nil {
			return res, err
		}
		added := n - res.Sweeps
		res.SecPerSweep = time.Since(t0).Seconds() / float64(added)
		res.Sweeps = n
		if everyChainConstant(absM) {
			// Chains frozen apart (each constant, in different states) have
			// ρ(t) = 1 at every lag: the runs would double to MaxSweeps.
			return res, fmt.Errorf("phi4: |m| of the %s chains at L = %d did not change in %d sweeps of any chain (frozen chains): %w", alg, L, n, mcmc.ErrZeroVariance)
		}
		a, err := mcmc.AnalyzeAutocorr(absM, mcmc.AutocorrSettings{})
		if err != nil {
			return res, fmt.Errorf("phi4: τ_int of |m| of the %s chains at L = %d: %w", alg, L, err)
		}
		te, err := mcmc.IntegratedTime(ener, mcmc.AutocorrSettings{})
		if err != nil {
			return res, fmt.Errorf("phi4: τ_int of E/L² of the %s chains at L = %d: %w", alg, L, err)
		}
		res.AbsM, res.AbsMExp, res.Energy = a.Int, a.Exp, te
		total := float64(n * s.Chains)
		if (a.Int.WindowFound && total >= s.RunInTau*a.Int.Tau) || 2*n > s.MaxSweeps {
			break
		}
		// Aim at the needed length directly, at least doubling.
		next := max(2*n, int(math.Ceil(1.2*s.RunInTau*a.Int.Tau/float64(s.Chains))))
		n = min(next, s.MaxSweeps)
	}
	var ms []float64
	for c := range absM {
		ms = append(ms, absM[c]...)
	}
	var m2, m4 float64
	for _, v := range ms {
		res.MeanAbsM += v
		m2 += v * v
		m4 += v * v * v * v
	}
	k := float64(len(ms))
	res.MeanAbsM /= k
	m2, m4 = m2/k, m4/k
	res.Binder = 1 - m4/(3*m2*m2)
	for _, smp := range samplers {
		res.Acceptance += smp.Stats().Acceptance / float64(s.Chains)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
