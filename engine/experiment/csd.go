package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// FieldEnergy is a lattice energy with its gradient, such as phi4.Phi4.
type FieldEnergy interface {
	Side() int
	EnergyGrad(phi, grad []float64) (float64, bool)
}

// DirectMALA measures τ_int (MALA steps, one full-field gradient each) of
// |m| and of E/L² for MALA on the full φ⁴ energy, with one chain started at
// each of the given equilibrium fields, δ adapted towards acceptance 0.57
// during the first adapt steps (not recorded). This is the direct sampler
// the WC-RG conditionals are compared with (spec §7.4).
func DirectMALA(ctx context.Context, m FieldEnergy, fields lattice.Stack, adapt, steps int, seed uint64, workers int) (absM, energy mcmc.TauInt, delta float64, err error) {
	L := m.Side()
	n := fields.N
	sm, se := make([][]float64, n), make([][]float64, n)
	deltas := make([]float64, n)
	errs := make([]error, n)
	parallel.For(n, parallel.Workers(workers), func(_, i int) {
		ch, e := mcmc.NewChain(m, fields.Field(i).Data)
		if e != nil {
			errs[i] = e
			return
		}
		rng := mcmc.StreamRand(seed, uint64(i), 0)
		d := 0.05
		for t := 0; t < adapt; t += 10 {
			ch.ResetCounts()
			for k := 0; k < 10; k++ {
				ch.Step(m, d, rng)
			}
			d = mcmc.AdaptStep(d, float64(ch.Accepted)/float64(ch.Proposed), mcmc.TargetAcceptance)
		}
		a, b := make([]float64, steps), make([]float64, steps)
		for t := range a {
			if t%256 == 0 && ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			ch.Step(m, d, rng)
			var s float64
			for _, v := range ch.X {
				s += v
			}
			a[t] = math.Abs(s) / float64(L*L)
			b[t] = ch.E / float64(L*L)
		}
		sm[i], se[i], deltas[i] = a, b, d
	})
	for _, e := range errs {
		if e != nil {
			return absM, energy, 0, e
		}
	}
	if absM, err = mcmc.IntegratedTime(sm, mcmc.AutocorrSettings{}); err != nil {
		return
	}
	energy, err = mcmc.IntegratedTime(se, mcmc.AutocorrSettings{})
	return absM, energy, lattice.Mean(deltas), err
}

// CSDSettings configures a critical-slowing-down study at fixed β over
// lattice sides (spec §7.4 protocol (a)).
type CSDSettings struct {
	// Model is "phi4" (the default) or "ising" (spins ±1, H = −Σ s_x s_y).
	Model string
	// Beta is the coupling of an L-study; Betas, when not empty, replaces it
	// with several couplings (a β-scan at fixed L, so that ξ varies): the
	// points are every (L, β) pair.
	Beta  float64
	Betas []float64
	Sides []int
	// Samplers to measure. φ⁴: "metropolis", "cluster", "hmc", "mala"
	// (direct MALA), "wcrg" (conditional chains with site-by-site MALA
	// sweeps; τ in sweeps) and "wcrg-global" (conditional chains with
	// global MALA moves; τ in steps); Ising: "metropolis", "wolff", "sw".
	Samplers []string
	// Fields is the number of training fields per point for the WC-RG fit
	// (default 500); 16 of them seed the relaxation chains.
	Fields int
	// Steps is the recorded length of the MALA chains (direct and
	// conditional) at the smallest side; direct MALA runs scale it by
	// (L/L_min)² so that they stay ≳ 50 τ (default 4000).
	Steps   int
	Seed    uint64
	Workers int
	// Theory adds, at every L, the Gaussian-theory predictions of spec §7.3
	// for a free field with the measured correlation length (m = 1/ξ): the
	// condition number of the direct precision ("theory-direct", the MALA
	// steps per e-fold of the slowest mode) and the largest over the scales
	// of the conditional precisions ("theory-wcrg", db4).
	Theory bool
	// GD adds, at every point, τ_GD of Gaussian theory for a free field with
	// the measured correlation length (m = 1/ξ; GaussianTauGD, db4, coupling
	// windows of half-width 1): "gd-direct" (direct maximum likelihood),
	// "gd-wcrg" (WC-RG maximum likelihood, the slowest scale, couplings to
	// φ_j as zero-sum kernels) and "gd-wcrg-phi" (the same with couplings
	// to φ_j itself, as in spec §2.2). Tau is then a count of gradient
	// iterations, not of sweeps (IsGD).
	GD bool
}

// IsGD says whether a study's sampler name is a τ_GD series, whose Tau is
// a number of gradient-descent iterations.
func IsGD(sampler string) bool { return strings.HasPrefix(sampler, "gd-") }

// CSDPoint is one lattice side of a study.
type CSDPoint struct {
	L        int
	Beta     float64
	Xi       float64 // second-moment correlation length of the data
	XiErr    float64
	Binder   float64
	Sampler  string
	Tau      float64 // τ_int in full-field sweeps (MALA: steps; WC-RG: cost-weighted); 0 where undefined (Note says why)
	TauErr   float64
	Seconds  float64                // wall time of the measurement
	PerScale []wcrg.ScaleRelaxation `json:",omitempty"`
	Note     string                 `json:",omitempty"`
}

// RunCSD runs the study, calling progress with each finished point.
func RunCSD(ctx context.Context, set CSDSettings, progress func(CSDPoint), status func(string)) ([]CSDPoint, error) {
	if set.Fields == 0 {
		set.Fields = 500
	}
	if set.Steps == 0 {
		set.Steps = 4000
	}
	if len(set.Sides) == 0 || len(set.Samplers) == 0 {
		return nil, fmt.Errorf("experiment: a study needs lattice sides and samplers")
	}
	if set.Fields < 0 || set.Steps < 0 {
		return nil, fmt.Errorf("experiment: %d fields and %d steps per chain (want positive counts)", set.Fields, set.Steps)
	}
	for i, L := range set.Sides {
		if slices.Contains(set.Sides[:i], L) {
			return nil, fmt.Errorf("experiment: lattice side %d is listed twice", L)
		}
	}
	for i, b := range set.Betas {
		if slices.Contains(set.Betas[:i], b) {
			return nil, fmt.Errorf("experiment: β = %g is listed twice", b)
		}
	}
	say := func(format string, a ...any) {
		if status != nil {
			status(fmt.Sprintf(format, a...))
		}
	}
	switch set.Model {
	case "", "phi4":
	case "ising":
		return runIsingCSD(ctx, set, progress, say)
	default:
		return nil, fmt.Errorf("experiment: unknown model %q (want phi4 or ising)", set.Model)
	}
	var out []CSDPoint
	Lmin := set.Sides[0]
	for _, L := range set.Sides {
		Lmin = min(Lmin, L)
	}
	for _, L := range set.Sides {
		for bi, beta := range set.couplings() {
			pts, err := phi4CSDPoint(ctx, set, L, Lmin, beta, set.Seed+uint64(L)+uint64(bi)<<20, progress, say)
			out = append(out, pts...)
			if err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// couplings returns the β values of the study.
func (set CSDSettings) couplings() []float64 {
	if len(set.Betas) > 0 {
		return set.Betas
	}
	return []float64{set.Beta}
}

// phi4CSDPoint measures every sampler of the study at one (L, β).
func phi4CSDPoint(ctx context.Context, set CSDSettings, L, Lmin int, beta float64, dataSeed uint64, progress func(CSDPoint), say func(string, ...any)) ([]CSDPoint, error) {
	var out []CSDPoint
	model := phi4.Phi4{L: L, Beta: beta}
	if err := model.Validate(); err != nil {
		return out, err
	}
	say("L=%d β=%g: generating %d fields (cluster hybrid)", L, beta, set.Fields)
	data, _, err := phi4.MakeStack(ctx, model, phi4.DatasetSettings{Algorithm: phi4.AlgCluster, Samples: set.Fields, Seed: dataSeed}, nil)
	if err != nil {
		return out, err
	}
	xi := lattice.PowerSpectrum(data, set.Workers).CorrelationLength()
	binder := lattice.MomentsOf(lattice.Magnetizations(data), L).Binder()
	base := CSDPoint{L: L, Beta: beta, Xi: xi, Binder: binder}
	if set.Theory && xi > 0 {
		m2 := 1 / (xi * xi)
		p := base
		p.Sampler, p.Tau, p.Note = "theory-direct", DirectCondition(L, m2), "κ of −Δ + m², m = 1/ξ"
		out = append(out, p)
		if progress != nil {
			progress(p)
		}
		b, _ := wavelet.New("db4")
		ks, err := ConditionalConditions(b, L, wavelet.MaxLevels(L)-1, gaussfield.FreeField(math.Sqrt(m2)))
		if err != nil {
			return out, err
		}
		p.Sampler, p.Tau, p.Note = "theory-wcrg", 0, "max over scales of κ of the conditional precision (db4)"
		for _, k := range ks {
			p.Tau = math.Max(p.Tau, k)
		}
		out = append(out, p)
		if progress != nil {
			progress(p)
		}
	}
	if set.GD && xi > 0 {
		say("L=%d β=%g: τ_GD of Gaussian theory at m = 1/ξ = %.3g", L, beta, 1/xi)
		t0 := time.Now()
		b, _ := wavelet.New("db4")
		gd, err := GaussianTauGD(b, L, 1/xi, 1, 0)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			say("L=%d β=%g: τ_GD failed: %v", L, beta, err)
		}
		levels := func(rs []GDResult) (string, bool) {
			var parts []string
			conv := len(rs) > 0
			for _, r := range rs {
				parts = append(parts, strconv.Itoa(r.Iterations))
				conv = conv && r.Converged
			}
			return "levels j = 1…: " + strings.Join(parts, ", "), conv
		}
		sec := time.Since(t0).Seconds()
		lz, lzOK := levels(gd.Levels)
		lp, lpOK := levels(gd.LevelsPhiCross)
		for _, g := range []struct {
			name string
			n    int
			note string
			ok   bool
		}{
			{"gd-direct", gd.Direct.Iterations, fmt.Sprintf("nearest-neighbour Gaussian on φ_0, κ = %.3g", gd.Direct.Cond), gd.Direct.Converged},
			{"gd-wcrg", gd.WCRG, lz, lzOK},
			{"gd-wcrg-phi", gd.WCRGPhiCross, lp, lpOK},
		} {
			if err != nil || !g.ok {
				// A failed or unfinished count is not a point: a lower
				// bound would bend the fit.
				if err == nil {
					say("L=%d β=%g: %s did not converge within the iteration bound; left out", L, beta, g.name)
				}
				continue
			}
			p := base
			p.Sampler, p.Tau, p.Note, p.Seconds = g.name, float64(g.n), g.note, sec
			out = append(out, p)
			if progress != nil {
				progress(p)
			}
		}
	}
	for _, smp := range set.Samplers {
		t0 := time.Now()
		p := base
		p.Sampler = smp
		switch smp {
		case "metropolis", "cluster", "hmc":
			say("L=%d: τ of the %s sampler", L, smp)
			r, err := phi4.MeasureTau(ctx, model, phi4.Algorithm(smp), phi4.TauSettings{Seed: set.Seed}, nil)
			if err != nil {
				return out, err
			}
			p.Tau, p.TauErr = r.AbsM.Tau, r.AbsM.TauErr
			if !r.AbsM.Reliable() {
				p.Note = "short run"
			}
		case "mala":
			say("L=%d: τ of direct MALA", L)
			steps := set.Steps * (L / Lmin) * (L / Lmin)
			sub := lattice.Stack{N: min(8, data.N), L: L, Data: data.Data[:min(8, data.N)*L*L]}
			a, e, _, err := DirectMALA(ctx, model, sub, 500, steps, set.Seed, set.Workers)
			if err != nil {
				return out, err
			}
			p.Tau, p.TauErr = a.Tau, a.TauErr
			if e.Tau > a.Tau {
				p.Tau, p.TauErr = e.Tau, e.TauErr
			}
			if !a.Reliable() || !e.Reliable() {
				p.Note = "short run"
			}
		case "wcrg", "wcrg-global":
			say("L=%d: WC-RG fit (score matching) on %d fields", L, data.N)
			s := wcrg.DefaultSettings()
			s.Seed, s.Workers = set.Seed, set.Workers
			m, err := wcrg.Fit(ctx, data, s, wcrg.Provenance{File: fmt.Sprintf("phi4 L=%d β=%g", L, beta)}, nil)
			if err != nil {
				return out, err
			}
			rs := wcrg.RelaxSettings{Steps: set.Steps, Seed: set.Seed, Workers: set.Workers}
			if smp == "wcrg" {
				// A site sweep decorrelates like tens of global steps
				// (τ ≈ 2 sweeps at β_c for L = 16 … 64): a tenth of the
				// step budget keeps T ≳ 100 τ.
				rs.Local, rs.Steps = true, max(400, set.Steps/10)
				say("L=%d: relaxation of the conditional chains (site-by-site MALA sweeps)", L)
			} else {
				say("L=%d: relaxation of the conditional chains (global MALA)", L)
			}
			rel, err := wcrg.ConditionalRelaxation(ctx, m, data, rs)
			if err != nil {
				return out, err
			}
			var v float64
			for _, r := range rel {
				p.Tau += r.Weight * r.Energy.Tau
				v += r.Weight * r.Weight * r.Energy.TauErr * r.Energy.TauErr
				if !r.Energy.Reliable() {
					p.Note = "short run at some scale"
				}
			}
			p.TauErr = math.Sqrt(v)
			p.PerScale = rel
		default:
			return out, fmt.Errorf("experiment: unknown sampler %q (want metropolis, cluster, hmc, mala, wcrg or wcrg-global)", smp)
		}
		p.Seconds = time.Since(t0).Seconds()
		out = append(out, p)
		if progress != nil {
			progress(p)
		}
	}
	return out, nil
}

// runIsingCSD is RunCSD for the Ising model: ξ from Wolff data at every
// side, then τ_int(|m|) of each Ising sampler (one sweep: every site once
// for Metropolis, one full clustering for Swendsen–Wang, about L² flipped
// spins for Wolff).
func runIsingCSD(ctx context.Context, set CSDSettings, progress func(CSDPoint), say func(string, ...any)) ([]CSDPoint, error) {
	for _, smp := range set.Samplers {
		if !slices.Contains(ising.Algorithms(), ising.Algorithm(smp)) {
			return nil, fmt.Errorf("experiment: sampler %q does not apply to the Ising model (want one of %v)", smp, ising.Algorithms())
		}
	}
	var out []CSDPoint
	for _, L := range set.Sides {
		for bi, beta := range set.couplings() {
			model := ising.Model{L: L, Beta: beta}
			if err := model.Validate(); err != nil {
				return out, err
			}
			say("L=%d β=%g: generating %d Ising fields (Wolff)", L, beta, set.Fields)
			data, _, err := ising.MakeStack(ctx, model, ising.AlgWolff, phi4.DatasetSettings{Samples: set.Fields, Seed: set.Seed + uint64(L) + uint64(bi)<<20}, nil)
			if err != nil {
				return out, err
			}
			xi := lattice.PowerSpectrum(data, set.Workers).CorrelationLength()
			binder := lattice.MomentsOf(lattice.Magnetizations(data), L).Binder()
			for _, smp := range set.Samplers {
				t0 := time.Now()
				p := CSDPoint{L: L, Beta: beta, Xi: xi, Binder: binder, Sampler: smp}
				say("L=%d β=%g: τ of the Ising %s sampler", L, beta, smp)
				ens, err := ising.Ensemble(model, ising.Algorithm(smp))
				if err != nil {
					return out, err
				}
				r, err := phi4.MeasureChainTau(ctx, ens, phi4.TauSettings{Seed: set.Seed}, nil)
				switch {
				case errors.Is(err, mcmc.ErrZeroVariance):
					// Deep in the ordered phase (a β-scan past β_c) the
					// chains freeze: no τ, and the point stays out of the fits.
					p.Note = "frozen: |m| or E never changed, no τ"
				case err != nil:
					return out, err
				default:
					p.Tau, p.TauErr = r.AbsM.Tau, r.AbsM.TauErr
					if !r.AbsM.Reliable() {
						p.Note = "short run"
					}
				}
				p.Seconds = time.Since(t0).Seconds()
				out = append(out, p)
				if progress != nil {
					progress(p)
				}
			}
		}
	}
	return out, nil
}

// FitZ fits τ ∝ L^z for each sampler of a study.
func FitZ(points []CSDPoint) map[string]PowerLaw {
	return fitTau(points, func(p CSDPoint) float64 { return float64(p.L) })
}

// FitZXi fits τ ∝ ξ^z for each sampler of a study, with ξ the measured
// second-moment correlation length of every point (the fit of a β-scan).
func FitZXi(points []CSDPoint) map[string]PowerLaw {
	return fitTau(points, func(p CSDPoint) float64 { return p.Xi })
}

func fitTau(points []CSDPoint, x func(CSDPoint) float64) map[string]PowerLaw {
	bySampler := map[string][3][]float64{}
	for _, p := range points {
		if !(p.Tau > 0) { // undefined (frozen chains)
			continue
		}
		v := bySampler[p.Sampler]
		v[0], v[1], v[2] = append(v[0], x(p)), append(v[1], p.Tau), append(v[2], p.TauErr)
		bySampler[p.Sampler] = v
	}
	out := map[string]PowerLaw{}
	for s, v := range bySampler {
		if f, err := FitPowerLaw(v[0], v[1], v[2]); err == nil {
			out[s] = f
		}
	}
	return out
}
