package wcrg

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/parallel"
)

// TISettings configures free energies by thermodynamic integration
// (ThermodynamicFreeEnergy, spec §5.3).
type TISettings struct {
	Nodes   int // Gauss–Legendre nodes in t (default 16)
	Burn    int // site sweeps after each warm start (default 10)
	Sweeps  int // recorded site sweeps per node (default 40)
	Samples int // training pairs whose F̄_j is computed (default 200)
	Seed    uint64
	Workers int
}

func (s TISettings) withDefaults() TISettings {
	if s.Nodes == 0 {
		s.Nodes = 16
	}
	if s.Burn == 0 {
		s.Burn = 10
	}
	if s.Sweeps == 0 {
		s.Sweeps = 40
	}
	if s.Samples == 0 {
		s.Samples = 200
	}
	return s
}

// maxTIDim bounds the dimension 3N² of the conditionals integrated: the
// reference precision is handled as a dense matrix, which is what a
// small-lattice cross-check needs (N ≤ 16).
const maxTIDim = 768

// TIResult holds F̄_j(φ_j^i), up to one constant shared by all i, for
// training pairs of one level.
type TIResult struct {
	Level int
	Phi   [][]float64 // φ_j^i (standardized units)
	F     []float64   // F̄_j(φ_j^i) − const
	Err   []float64   // Monte Carlo standard error of each F (batch means)
	// Shift is c of the reference θ̄_ref = quadratic part of θ̄ + c·I, the
	// smallest multiple of the identity (with a margin: K̄_ref's condition
	// number at most 20) that makes the reference precision positive
	// definite.
	Shift float64
}

// ThermodynamicFreeEnergy computes the free energy F̄_j(φ_j) = −log ∫
// e^{−Ē_j(φ̄, φ_j)} dφ̄ of the conditional of level j at the φ_j of the
// first Samples training pairs of fields (raw units), by thermodynamic
// integration along θ(t) = θ̄_ref + t(θ̄ − θ̄_ref) (spec §5.3):
//
//	F̄_j(φ_j) = −½ bᵀK̄_ref⁻¹b + ∫₀¹ E_{θ(t)}[Ē_j − Ē_ref | φ_j] dt + const,
//
// with b the linear coupling of φ̄ to φ_j, the integral on Gauss–Legendre
// nodes, and each expectation a run of site-by-site MALA sweeps warm-started
// from the previous node (the first from the data φ̄_j). The scalar
// potential is continued flat outside its support at every t (no windowed
// rejection), so that t = 0 is exactly Gaussian. It is a cross-check of
// the regression route (FitFreeEnergies) on small lattices.
func ThermodynamicFreeEnergy(ctx context.Context, m *Model, fields lattice.Stack, j int, set TISettings) (*TIResult, error) {
	if err := m.refusePairs(); err != nil {
		return nil, err
	}
	set = set.withDefaults()
	if j < 1 || j > m.Levels {
		return nil, fmt.Errorf("wcrg: level %d of a model with %d levels", j, m.Levels)
	}
	if fields.L != m.L {
		return nil, fmt.Errorf("wcrg: fields of side %d for a model of side %d", fields.L, m.L)
	}
	cond := m.Conditionals[j-1]
	d := cond.Dim()
	if d > maxTIDim {
		return nil, fmt.Errorf("wcrg: thermodynamic integration is a small-lattice cross-check: level %d has %d details (at most %d)", j, d, maxTIDim)
	}
	workers := parallel.Workers(set.Workers)
	pairs := estimate.LevelSamples(m.Transform(), m.standardized(fields), j, workers)
	count := min(set.Samples, pairs.Count)
	n := cond.N

	// Dense quadratic part A of Ē_j in φ̄ (the condition only adds b).
	qm := quadOnly(cond)
	qc := qm.NewConditioned()
	qc.Unbounded = true
	zero := make([]float64, n*n)
	qc.SetCondition(zero)
	cols := make([]float64, d*d) // column k: A e_k
	e := make([]float64, d)
	for k := 0; k < d; k++ {
		clear(e)
		e[k] = 1
		qc.EnergyGrad(e, cols[k*d:(k+1)*d])
	}
	A := mat.NewSymDense(d, nil)
	for k := 0; k < d; k++ {
		for l := 0; l <= k; l++ {
			A.SetSym(l, k, 0.5*(cols[k*d+l]+cols[l*d+k]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(A, false) {
		return nil, fmt.Errorf("wcrg: level %d: eigenvalues of the quadratic part failed", j)
	}
	ev := eig.Values(nil)
	lmin, lmax := ev[0], ev[len(ev)-1]
	shift := math.Max(0, 0.05*lmax-lmin)
	ref := mat.NewSymDense(d, nil)
	ref.CopySym(A)
	for k := 0; k < d; k++ {
		ref.SetSym(k, k, ref.At(k, k)+shift)
	}
	var chol mat.Cholesky
	if !chol.Factorize(ref) {
		return nil, fmt.Errorf("wcrg: level %d: reference precision not positive definite", j)
	}
	thetaRef := slices.Clone(qm.Theta)
	for q, t := range cond.Terms {
		if t.C == t.D && t.C >= 1 && t.S == (energy.Shift{}) {
			thetaRef[q] += shift
		}
	}

	ts, ws := make([]float64, set.Nodes), make([]float64, set.Nodes)
	quad.Legendre{}.FixedLocations(ts, ws, 0, 1)

	res := &TIResult{Level: j, Phi: make([][]float64, count), F: make([]float64, count), Err: make([]float64, count), Shift: shift}
	type worker struct {
		full, refc, qc *energy.Conditioned
		path           []*energy.Conditioned
		all            []*energy.Conditioned // the above, for SetCondition
		sweeps         []*energy.SiteSweeper // one per path node; they read the condition at each sweep
		x, grad        []float64
		bvec           *mat.VecDense
		sol            mat.VecDense
	}
	wk := make([]*worker, workers)
	errs := make([]error, count)
	parallel.For(count, workers, func(w, i int) {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			return
		}
		if wk[w] == nil {
			k := &worker{full: cond.NewConditioned(), qc: qm.NewConditioned(), x: make([]float64, d), grad: make([]float64, d),
				bvec: mat.NewVecDense(d, nil)}
			rm := *cond
			rm.Theta = thetaRef
			k.refc = rm.NewConditioned()
			for _, t := range ts {
				pm := *cond
				pm.Theta = make([]float64, len(cond.Theta))
				for q := range pm.Theta {
					pm.Theta[q] = thetaRef[q] + t*(cond.Theta[q]-thetaRef[q])
				}
				k.path = append(k.path, pm.NewConditioned())
			}
			k.all = append([]*energy.Conditioned{k.full, k.refc, k.qc}, k.path...)
			for _, c := range k.all {
				c.Unbounded = true
			}
			wk[w] = k
		}
		k := wk[w]
		a0, x0, _ := pairs.At(i)
		for _, c := range k.all {
			c.SetCondition(a0)
		}
		if k.sweeps == nil {
			for _, c := range k.path {
				sw, err := c.NewSiteSweeper()
				if err != nil {
					errs[i] = err
					return
				}
				k.sweeps = append(k.sweeps, sw)
			}
		}
		// Gaussian reference: −½ bᵀ K_ref⁻¹ b, b = ∇Ē_Q at φ̄ = 0.
		clear(k.x)
		k.qc.EnergyGrad(k.x, k.grad)
		copy(k.bvec.RawVector().Data, k.grad)
		if err := chol.SolveVecTo(&k.sol, k.bvec); err != nil {
			errs[i] = err
			return
		}
		f := -0.5 * mat.Dot(k.bvec, &k.sol)
		// Path integral.
		copy(k.x, x0)
		rng := mcmc.StreamRand(set.Seed, uint64(i), uint64(j)+1<<20)
		delta := 0.05
		if b := k.path[0].CurvatureBound(); b > 0 {
			delta = 1 / b
		}
		var variance float64
		for node, sw := range k.sweeps {
			for s := 0; s < set.Burn; s++ {
				sw.ResetCounts()
				if err := sw.Sweep(k.x, delta, rng); err != nil {
					errs[i] = err
					return
				}
				delta = mcmc.AdaptStep(delta, float64(sw.Accepted)/float64(sw.Proposed), mcmc.TargetAcceptance)
			}
			const batches = 5
			per := max(1, set.Sweeps/batches)
			var means [batches]float64
			for b := 0; b < batches; b++ {
				for s := 0; s < per; s++ {
					if err := sw.Sweep(k.x, delta, rng); err != nil {
						errs[i] = err
						return
					}
					ef, _ := k.full.Energy(k.x)
					er, _ := k.refc.Energy(k.x)
					means[b] += (ef - er) / float64(per)
				}
			}
			mu := lattice.Mean(means[:])
			f += ws[node] * mu
			variance += ws[node] * ws[node] * lattice.Variance(means[:]) / batches
		}
		res.Phi[i] = slices.Clone(a0)
		res.F[i], res.Err[i] = f, math.Sqrt(variance)
	})
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("wcrg: thermodynamic integration, level %d: %w", j, err)
		}
	}
	return res, nil
}

// fitFreeTI sets θ of the plain model f to the least-squares fit of
// θ̃·Ũ(φ_j) + c to thermodynamic-integration values of F̄_j (spec §5.3).
func fitFreeTI(ctx context.Context, m *Model, fields lattice.Stack, j int, f *energy.Model, set TISettings) error {
	ti, err := ThermodynamicFreeEnergy(ctx, m, fields, j, set)
	if err != nil {
		return err
	}
	p := f.NumParams()
	rows := len(ti.F)
	if rows <= p+1 {
		return fmt.Errorf("wcrg: free energy of scale %d by integration: %d values for %d parameters (raise the samples)", j, rows, p+1)
	}
	X := mat.NewDense(rows, p+1, nil)
	u := make([]float64, p)
	for i, phi := range ti.Phi {
		f.Potentials(u, nil, phi, phi)
		X.SetRow(i, append(u, 1))
	}
	// Normalize the columns, then solve the least-squares problem.
	scale := make([]float64, p+1)
	for k := range scale {
		col := mat.Col(nil, k, X)
		scale[k] = math.Sqrt(mat.Dot(mat.NewVecDense(rows, col), mat.NewVecDense(rows, col)) / float64(rows))
		if scale[k] == 0 {
			scale[k] = 1
		}
		for i := range col {
			X.Set(i, k, col[i]/scale[k])
		}
	}
	// Normal equations with a tiny ridge (basis functions the data never
	// reach give zero columns).
	var xtx mat.SymDense
	xtx.SymOuterK(1, X.T())
	for k := 0; k <= p; k++ {
		xtx.SetSym(k, k, xtx.At(k, k)+1e-8*float64(rows))
	}
	var xtf, theta mat.VecDense
	xtf.MulVec(X.T(), mat.NewVecDense(rows, ti.F))
	var chol mat.Cholesky
	if !chol.Factorize(&xtx) {
		return fmt.Errorf("wcrg: free energy of scale %d by integration: singular least-squares system", j)
	}
	if err := chol.SolveVecTo(&theta, &xtf); err != nil {
		return fmt.Errorf("wcrg: free energy of scale %d by integration: %w", j, err)
	}
	for k := 0; k < p; k++ {
		f.Theta[k] = theta.AtVec(k) / scale[k]
	}
	return nil
}
