package estimate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// MLSettings configures maximum-likelihood estimation with persistent MALA
// chains (spec §3.1; the project's defaults are row 6 of spec §10).
type MLSettings struct {
	Iterations   int     // maximum Newton iterations T (default 300)
	Batch        int     // chains advanced per iteration B (default 256, at most the number of samples)
	Steps        int     // MALA steps per chain and iteration k (default 10)
	Eta          float64 // Newton step size η (default 0.5)
	Ridge        float64 // λ = Ridge·tr(Ĥ)/m in the standardized coordinates (default 1e-3)
	HessianDecay float64 // weight of each new batch in the running Hessian (default 0.1)
	Window       int     // iterations pooled by the convergence test and averaged into the result (default 20)
	Tolerance    float64 // stop when the pooled χ²/m of the moment mismatch falls below this (default 1.5)
	InitialStep  float64 // initial MALA step δ (default 0.1)
	Warmup       int     // MALA steps of every chain before the first iteration (default 50)
	// Sweeps is the number of site-by-site MALA sweeps (energy.SiteSweeper)
	// of every chain of the minibatch per iteration, after its k global
	// steps (default 0: none). Global MALA moves a field with a step that
	// shrinks as d^(−1/3), so on fields with sharp walls (Ising-like) its
	// chains stay near their data points and the fit matches the data's
	// moments under a short run from the data rather than at the model's
	// equilibrium; generated fields then drift away from the data. Site
	// sweeps let the persistent chains relax (one sweep costs about 13–20
	// global steps).
	Sweeps int
	// WarmupSweeps is the number of site sweeps of every chain after the
	// Warmup global steps (default 0).
	WarmupSweeps int
	// MaxStep bounds the change of any standardized parameter
	// θ'_k = θ_k·std_data(U_k) in one iteration (default DefaultMaxStep,
	// 0.2). Chains that relax (Sweeps > 0) can start far from the data's
	// moments; a larger bound (1) lets the descent follow in a few hundred
	// iterations.
	MaxStep float64
	// MinVisits is the number of times every chain is advanced, on
	// average, before convergence may be declared (default 3; at most
	// half the iteration budget is spent waiting). The χ²/m test pools
	// hundreds of parameters, so a mismatch along a few directions, such as
	// chains that have not yet relaxed the largest scales, passes it: on
	// Ising spins near β_c the 8×8 scale stopped at the 47 iterations of
	// the default with its equilibrium 5.7 % above the data at |k| = 3 of
	// the power spectrum of φ_1, and was within 2 % after 200 iterations.
	MinVisits int
	Averaging int // iterations averaged after convergence (default ⌈8n/B⌉, at most 500)
	Seed      uint64
	Workers   int // goroutines (0: all cores)
}

func (s MLSettings) withDefaults() MLSettings {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.Iterations, 300)
	def(&s.Batch, 256)
	def(&s.Steps, 10)
	def(&s.Window, 20)
	deff(&s.Eta, 0.5)
	deff(&s.Ridge, 1e-3)
	deff(&s.HessianDecay, 0.1)
	deff(&s.Tolerance, 1.5)
	deff(&s.InitialStep, 0.1)
	def(&s.Warmup, 50)
	def(&s.MinVisits, 3)
	deff(&s.MaxStep, DefaultMaxStep)
	return s
}

// Validate reports settings that cannot be used (zero means the default).
func (s MLSettings) Validate() error {
	switch {
	case s.Iterations < 0 || s.Iterations > 1e6:
		return fmt.Errorf("estimate: %d iterations (want 1 … 1e6)", s.Iterations)
	case s.Batch < 0:
		return fmt.Errorf("estimate: batch of %d chains", s.Batch)
	case s.Steps < 0 || s.Steps > 1e5:
		return fmt.Errorf("estimate: %d MALA steps per iteration (want 1 … 1e5)", s.Steps)
	case s.Eta < 0 || s.Eta > 2 || math.IsNaN(s.Eta):
		return fmt.Errorf("estimate: Newton step η = %g (want 0 < η ≤ 2)", s.Eta)
	case s.Ridge < 0 || math.IsNaN(s.Ridge):
		return fmt.Errorf("estimate: ridge %g < 0", s.Ridge)
	case s.HessianDecay < 0 || s.HessianDecay > 1 || math.IsNaN(s.HessianDecay):
		return fmt.Errorf("estimate: Hessian decay %g (want 0 < decay ≤ 1)", s.HessianDecay)
	case s.Window < 0:
		return fmt.Errorf("estimate: convergence window %d", s.Window)
	case s.Tolerance < 0 || math.IsNaN(s.Tolerance):
		return fmt.Errorf("estimate: tolerance %g < 0", s.Tolerance)
	case s.InitialStep < 0 || math.IsNaN(s.InitialStep):
		return fmt.Errorf("estimate: initial MALA step %g < 0", s.InitialStep)
	case s.Workers < 0:
		return fmt.Errorf("estimate: %d workers", s.Workers)
	case s.Sweeps < 0 || s.Sweeps > 1e4 || s.WarmupSweeps < 0 || s.WarmupSweeps > 1e5:
		return fmt.Errorf("estimate: %d site sweeps per iteration and %d in the warm-up (want 0 … 1e4 and 0 … 1e5)", s.Sweeps, s.WarmupSweeps)
	case s.MaxStep < 0 || math.IsNaN(s.MaxStep) || math.IsInf(s.MaxStep, 0):
		return fmt.Errorf("estimate: largest standardized step %g (want ≥ 0; 0 means the default %g)", s.MaxStep, DefaultMaxStep)
	case s.MinVisits < 0 || s.MinVisits > 1e4:
		return fmt.Errorf("estimate: %d visits of every chain before convergence (want 1 … 1e4; 0 means the default 3)", s.MinVisits)
	case s.Warmup < 0 || s.Averaging < 0:
		return fmt.Errorf("estimate: warm-up %d and averaging %d must be ≥ 0", s.Warmup, s.Averaging)
	}
	return nil
}

// MLProgress is reported after every iteration.
type MLProgress struct {
	Iteration, Total int
	GradNorm         float64 // ‖∇NLL‖ in standardized coordinates (batch estimate)
	Mismatch         float64 // RMS over parameters of the standardized moment mismatch, pooled over the window
	ChiSquare        float64 // pooled χ²/m of the mismatch against its Monte Carlo error (≈ 1 at convergence)
	Acceptance       float64 // MALA acceptance of the iteration
	Step             float64 // MALA step δ
	Elapsed          time.Duration
}

// MLResult is a maximum-likelihood fit.
type MLResult struct {
	Theta      []float64
	Iterations int
	Converged  bool
	Step       float64
	History    []MLProgress
	Elapsed    time.Duration
}

// MaximumLikelihood fits θ of m to the samples by maximum likelihood
// (spec §3.1), starting from m.Theta: the gradient of the negative
// log-likelihood is the data moments minus the model moments,
//
//	∇NLL = (1/n) Σ_i [U(φ̄^i, φ_j^i) − E_θ(U | φ_j^i)],
//
// with the model moments from one persistent MALA chain per training sample,
// started at the data and conditioned on the sample's φ_j (conditional
// models) or on nothing (plain models: the direct, single-scale estimator).
//
// Every chain first runs Warmup MALA steps and WarmupSweeps site sweeps,
// so that it no longer sits at its data point. Each iteration then
// advances a minibatch of B chains by k steps and Sweeps site sweeps,
// compares their potentials with those of the same samples' data
// (which removes the variance due to φ_j), and takes a damped Newton step
// in standardized coordinates θ'_k = θ_k·std_data(U_k):
//
//	θ' ← θ' − η (Ĥ + λI)⁻¹ ∇NLL' / max(1, r),   r² = ∇NLL'ᵀ(Ĥ + λI)⁻¹∇NLL',
//
// where Ĥ estimates the Fisher information E_i Cov(U | φ_j^i) by a running
// average of ½(U_data − U_chain)(U_data − U_chain)ᵀ (an unbiased estimate
// when the chain state and the data are independent draws of the same
// conditional) and r, the Newton decrement, caps the step. The MALA step
// is adapted to acceptance 0.57 during warm-up and every iteration.
//
// Convergence: the mismatches of the last Window iterations are pooled and
// compared with their Monte Carlo standard errors; the descent has
// converged when χ²/m = mean_k (mean mismatch_k / s.e._k)² < Tolerance, i.e.
// when the data and model moments agree within the chains' noise. Single
// minibatch steps are noisy (their spread is about √(2n/B) times the
// statistical error of θ), so the descent is followed by Averaging further
// iterations whose iterates are averaged (Polyak–Ruppert); with the default
// ⌈8n/B⌉ this leaves an optimizer noise of about ¼ of the statistical
// variance. Iterations counts the descent only.
func MaximumLikelihood(ctx context.Context, m *energy.Model, s *Samples, set MLSettings, progress func(MLProgress)) (*MLResult, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	if err := s.Check(m); err != nil {
		return nil, err
	}
	set = set.withDefaults()
	start := time.Now()
	np := m.NumParams()
	n := s.Count
	B := min(set.Batch, n)
	if set.Averaging == 0 {
		set.Averaging = min((8*n+B-1)/B, 500)
	}
	workers := parallel.Workers(set.Workers)

	// Data potentials and their standard deviations.
	udata := make([]float64, n*np)
	parallel.For(n, workers, func(_, i int) {
		a0, x, fine := s.At(i)
		m.Potentials(udata[i*np:(i+1)*np], a0, x, fine)
	})
	scale := make([]float64, np) // std_data(U_k); 0 marks a fixed parameter
	for k := 0; k < np; k++ {
		var s1, s2 float64
		for i := 0; i < n; i++ {
			v := udata[i*np+k]
			s1 += v
			s2 += v * v
		}
		mean := s1 / float64(n)
		if v := s2/float64(n) - mean*mean; v > 1e-24*math.Max(1, mean*mean) {
			scale[k] = math.Sqrt(v)
		}
	}
	// Potentials that barely vary on the data (a hat function with a handful
	// of data values under it) are not identifiable from the chains' moments
	// either: in standardized coordinates their steps would be divided by a
	// vanishing scale and blow up. They stay at their starting value.
	var maxScale float64
	for _, sc := range scale {
		maxScale = math.Max(maxScale, sc)
	}
	var free []int
	for k, sc := range scale {
		if sc > minRelativeScale*maxScale {
			free = append(free, k)
		}
	}
	nf := len(free)
	if nf == 0 {
		return nil, fmt.Errorf("estimate: every potential is constant on the data")
	}

	r := &mlRun{m: m, s: s, set: set, np: np, chains: make([][]float64, n), udata: udata}
	for i := range r.chains {
		_, x, _ := s.At(i)
		r.chains[i] = append([]float64(nil), x...)
	}
	r.evals = make([]*energy.Conditioned, workers)
	r.mchains = make([]*mcmc.Chain, workers)
	r.ubuf = make([][]float64, workers)
	for w := range r.evals {
		r.evals[w] = m.NewConditioned()
		r.mchains[w] = mcmc.NewIdleChain(m.Dim())
		r.ubuf[w] = make([]float64, np)
	}
	r.delta = set.InitialStep
	r.siteDelta = 0.05
	if b := r.evals[0].CurvatureBound(); b > 0 {
		r.siteDelta = 1 / b
	}

	// Warm-up: every chain, in rounds of 10 steps with step adaptation.
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	diffAll := make([]float64, n*np)
	for round := 0; round*10 < set.Warmup; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		acc, err := r.advance(all, min(10, set.Warmup-10*round), uint64(1<<40+round), diffAll)
		if err != nil {
			return nil, err
		}
		r.delta = mcmc.AdaptStep(r.delta, acc, mcmc.TargetAcceptance)
	}
	for round := 0; round*5 < set.WarmupSweeps; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.sweep(all, min(5, set.WarmupSweeps-5*round), uint64(1<<41+round), diffAll); err != nil {
			return nil, err
		}
	}
	hess := mat.NewSymDense(nf, nil)
	d := make([]float64, nf)
	warmed := set.Warmup > 0 || set.WarmupSweeps > 0 // diffAll holds every chain's differences
	if warmed {
		for i := 0; i < n; i++ {
			for a, k := range free {
				d[a] = diffAll[i*np+k] / scale[k]
			}
			hess.SymRankOne(hess, 0.5/float64(n), mat.NewVecDense(nf, d))
		}
	}
	hInit := warmed

	rng := rand.New(rand.NewPCG(set.Seed, 0x4d4c))
	type winStat struct{ sum, sum2 []float64 }
	var window []winStat
	res := &MLResult{}
	diffs := make([]float64, B*np)
	// Convergence is declared only after every chain has been advanced
	// about MinVisits times on average, or after half the iteration budget
	// when n is so large that this would exceed it (the warm-up has already
	// moved every chain Warmup steps off its data point).
	minIter := min((set.MinVisits*n+B-1)/B, set.Iterations/2)
	avg := make([]float64, np)
	averaged := 0
	descending := true
	for it := 1; ; it++ {
		if descending && it > set.Iterations {
			descending = false // not converged: average anyway
		}
		if !descending && averaged >= set.Averaging {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := rng.Perm(n)[:B]
		accRate, err := r.advance(batch, set.Steps, uint64(it), diffs)
		if err != nil {
			return nil, err
		}
		if set.Sweeps > 0 {
			if err := r.sweep(batch, set.Sweeps, uint64(1<<42+it), diffs); err != nil {
				return nil, err
			}
		}

		// Gradient and batch Hessian in standardized coordinates.
		g := mat.NewVecDense(nf, nil)
		hb := mat.NewSymDense(nf, nil)
		ws := winStat{make([]float64, nf), make([]float64, nf)}
		for b := 0; b < B; b++ {
			for a, k := range free {
				d[a] = diffs[b*np+k] / scale[k]
				ws.sum[a] += d[a]
				ws.sum2[a] += d[a] * d[a]
				g.SetVec(a, g.AtVec(a)+d[a]/float64(B))
			}
			hb.SymRankOne(hb, 0.5/float64(B), mat.NewVecDense(nf, d))
		}
		if !hInit {
			hess.CopySym(hb)
			hInit = true
		} else {
			hess.ScaleSym(1-set.HessianDecay, hess)
			hb.ScaleSym(set.HessianDecay, hb)
			hess.AddSym(hess, hb)
		}
		window = append(window, ws)
		if len(window) > set.Window {
			window = window[1:]
		}

		// Damped Newton step.
		var tr float64
		for a := 0; a < nf; a++ {
			tr += hess.At(a, a)
		}
		hr := mat.NewSymDense(nf, nil)
		hr.CopySym(hess)
		lam := set.Ridge * tr / float64(nf)
		for a := 0; a < nf; a++ {
			hr.SetSym(a, a, hr.At(a, a)+lam)
		}
		var chol mat.Cholesky
		if !chol.Factorize(hr) {
			return nil, fmt.Errorf("estimate: iteration %d: Hessian estimate not positive definite", it)
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, g); err != nil {
			return nil, fmt.Errorf("estimate: iteration %d: %v", it, err)
		}
		damp := 1 / math.Max(1, math.Sqrt(mat.Dot(g, &step)))
		// Trust region: no standardized coordinate moves by more than
		// MaxStep per iteration. While the chains are still
		// close to their data points the Hessian estimate is too small and
		// the Newton step too long; a change of θ'_k by 1 changes the
		// energy's fluctuation along U_k by about one unit of kT.
		var big float64
		for a := range free {
			big = math.Max(big, math.Abs(set.Eta*damp*step.AtVec(a)))
		}
		if big > set.MaxStep {
			damp *= set.MaxStep / big
		}
		for a, k := range free {
			m.Theta[k] -= set.Eta * damp * step.AtVec(a) / scale[k]
		}
		for _, ev := range r.evals {
			ev.SetTheta()
		}
		r.delta = mcmc.AdaptStep(r.delta, accRate, mcmc.TargetAcceptance)

		// Convergence statistics over the window.
		var cnt float64
		sum, sum2 := make([]float64, nf), make([]float64, nf)
		for _, w := range window {
			for a := range sum {
				sum[a] += w.sum[a]
				sum2[a] += w.sum2[a]
			}
			cnt += float64(B)
		}
		var chi, rms float64
		for a := range sum {
			mean := sum[a] / cnt
			v := sum2[a]/cnt - mean*mean
			rms += mean * mean
			if v > 0 {
				chi += mean * mean / (v / cnt)
			}
		}
		p := MLProgress{
			Iteration: it, Total: set.Iterations + set.Averaging,
			GradNorm: mat.Norm(g, 2), Mismatch: math.Sqrt(rms / float64(nf)), ChiSquare: chi / float64(nf),
			Acceptance: accRate, Step: r.delta, Elapsed: time.Since(start),
		}
		res.History = append(res.History, p)
		if progress != nil {
			progress(p)
		}
		if descending {
			res.Iterations = it
			if it >= minIter && len(window) == set.Window && p.ChiSquare < set.Tolerance && accRate > 0.05 {
				res.Converged = true
				descending = false
			}
			continue
		}
		for k, v := range m.Theta {
			avg[k] += v
		}
		averaged++
	}
	if averaged > 0 {
		for k := range m.Theta {
			m.Theta[k] = avg[k] / float64(averaged)
		}
	}
	res.Theta = append([]float64(nil), m.Theta...)
	res.Step = r.delta
	res.Elapsed = time.Since(start)
	return res, nil
}

// DefaultMaxStep is the default of MLSettings.MaxStep.
const DefaultMaxStep = 0.2

// minRelativeScale is the smallest data standard deviation of a potential,
// relative to the largest, for its parameter to be fitted by MaximumLikelihood.
const minRelativeScale = 1e-3

// mlRun is the chain state of one maximum-likelihood fit.
type mlRun struct {
	m       *energy.Model
	s       *Samples
	set     MLSettings
	np      int
	chains  [][]float64
	udata   []float64
	evals   []*energy.Conditioned
	mchains []*mcmc.Chain
	ubuf    [][]float64
	delta   float64
	// siteDelta is the step of the site sweeps, adapted after every round.
	siteDelta float64
}

// sweep runs site-by-site MALA sweeps on the chains of the given samples
// and writes U_data − U_chain as advance does; it adapts r.siteDelta.
func (r *mlRun) sweep(idx []int, sweeps int, round uint64, diffs []float64) error {
	np := r.np
	workers := len(r.evals)
	sweepers := make([]*energy.SiteSweeper, workers)
	errs := make([]error, workers)
	acc := make([]int, len(idx))
	prop := make([]int, len(idx))
	parallel.For(len(idx), workers, func(w, b int) {
		if errs[w] != nil {
			return
		}
		i := idx[b]
		ev := r.evals[w]
		a0, _, _ := r.s.At(i)
		if a0 != nil {
			ev.SetCondition(a0)
		}
		if sweepers[w] == nil {
			sweepers[w], errs[w] = ev.NewSiteSweeper()
			if errs[w] != nil {
				return
			}
		}
		sw := sweepers[w]
		sw.ResetCounts()
		rng := mcmc.StreamRand(r.set.Seed, uint64(i), round)
		for range sweeps {
			if err := sw.Sweep(r.chains[i], r.siteDelta, rng); err != nil {
				errs[w] = err
				return
			}
		}
		acc[b], prop[b] = sw.Accepted, sw.Proposed
		u := r.ubuf[w]
		r.m.Potentials(u, a0, r.chains[i], ev.Fine(r.chains[i]))
		for k := 0; k < np; k++ {
			diffs[b*np+k] = r.udata[i*np+k] - u[k]
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if rate, p := mcmc.PooledAcceptance(acc, prop); p > 0 {
		r.siteDelta = mcmc.AdaptStep(r.siteDelta, rate, mcmc.TargetAcceptance)
	}
	return nil
}

// advance runs steps MALA steps on the chains of the given samples (in
// parallel; chain i uses its own random stream for this round) and writes
// U_data − U_chain of batch entry b into diffs[b·np:]. It returns the
// pooled acceptance rate.
func (r *mlRun) advance(idx []int, steps int, round uint64, diffs []float64) (float64, error) {
	np := r.np
	accepted := make([]int, len(idx))
	ok := make([]bool, len(idx))
	parallel.For(len(idx), len(r.evals), func(w, b int) {
		i := idx[b]
		ev := r.evals[w]
		a0, _, _ := r.s.At(i)
		if a0 != nil {
			ev.SetCondition(a0)
		}
		ch := r.mchains[w]
		ok[b] = ch.Reset(ev, r.chains[i]) == nil
		ch.ResetCounts()
		rng := mcmc.StreamRand(r.set.Seed, uint64(i), round)
		for step := 0; step < steps && ok[b]; step++ {
			ch.Step(ev, r.delta, rng)
		}
		accepted[b] = ch.Accepted
		copy(r.chains[i], ch.X)
		u := r.ubuf[w]
		r.m.Potentials(u, a0, r.chains[i], ev.Fine(r.chains[i]))
		for k := 0; k < np; k++ {
			diffs[b*np+k] = r.udata[i*np+k] - u[k]
		}
	})
	acc := 0
	for b := range idx {
		if !ok[b] {
			return 0, fmt.Errorf("estimate: the chain of sample %d left the support of the energy", idx[b])
		}
		acc += accepted[b]
	}
	return float64(acc) / float64(len(idx)*max(steps, 1)), nil
}
