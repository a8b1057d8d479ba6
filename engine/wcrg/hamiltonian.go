package wcrg

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// FreeSettings configures the free-energy fits F̃_j (spec §5.2).
type FreeSettings struct {
	Window int     // half-width of F̃_j's quadratic window (default 8, the reference's 17×17)
	Basis  string  // scalar basis of F̃_j (default hats: only first derivatives enter)
	Nodes  int     // default 30
	Ridge  float64 // default estimate.DefaultRidge
	// ModelSweeps moves each training φ̄_j that many site-by-site MALA
	// sweeps under the model's own conditional Ē_j(·|φ_j) before its
	// gradient is taken (default 10, about five relaxation times), so that
	// the regression targets average over the model's conditional, whose
	// free energy H₀ needs, rather than over the data's: the two differ
	// where the fitted conditional is off (φ⁴ at β = 0.68, L = 32: the
	// coarse V_j's deviation drops from 32 %, 40 % to 20 %, 23 % of V_0's
	// depth at j = 2, 3). Negative: use the data's φ̄_j as they are.
	ModelSweeps int
	// Route is RouteRegression (the default) or RouteTI: thermodynamic
	// integration of F̄_j at TI.Samples training φ_j (small lattices only),
	// with F̃_j fitted to those values by least squares with an intercept.
	Route   string
	TI      TISettings
	Seed    uint64
	Workers int
}

// Free-energy routes (FreeSettings.Route, spec §5.2–5.3).
const (
	RouteRegression = "regression"
	RouteTI         = "ti"
)

func (s FreeSettings) withDefaults() FreeSettings {
	if s.Window == 0 {
		s.Window = 8
	}
	if s.Basis == "" {
		s.Basis = energy.BasisHat
	}
	if s.Nodes == 0 {
		s.Nodes = 30
	}
	if s.ModelSweeps == 0 {
		s.ModelSweeps = 10
	}
	if s.Route == "" {
		s.Route = RouteRegression
	}
	return s
}

// standardized returns the fields in the model's standardized units.
func (m *Model) standardized(fields lattice.Stack) lattice.Stack {
	s := lattice.StackOf(fields.N, fields.L, make([]float64, len(fields.Data)))
	for i, v := range fields.Data {
		s.Data[i] = (v - m.Mean) / m.Scale
	}
	return s
}

// FitFreeEnergies fits the free energies F̃_j(φ_j) ≈ F̄_j(φ_j) = −log Z̄_j(φ_j)
// of every conditional by regressing their gradients (spec §5.2):
// ∇_{φ_j}F̄_j = E[∇_{φ_j}Ē_j | φ_j], so θ̃_j minimizes E‖∇Ũ_j·θ̃ − ∇_{φ_j}Ē_j‖²
// over the training pairs. fields are in raw units. F̃[j−1] models level j.
//
// When the energy of the next coarser scale (Ē_{j+1}, or the coarsest) has
// a nearest-neighbour pair potential on φ_j, F̃_j gets one too, on the same
// number of nodes over the data's bonds of φ_j, so that the non-local part
// of the coarse energy E_j is represented alike on both sides of
// V_j = v̄_{j+1} − ṽ_j (φ⁴ at β = 0.68, L = 32, ML + 12×12 pairs: V_1 is
// flat, 2.0 % and 3.9 % of V_0's depth on two data sets, against 5–6 %
// for the default fit).
// The thermodynamic-integration route does not take pair potentials.
func FitFreeEnergies(ctx context.Context, m *Model, fields lattice.Stack, set FreeSettings, progress func(level int)) ([]*energy.Model, error) {
	set = set.withDefaults()
	if set.Route == RouteTI {
		if err := m.refusePairs(); err != nil {
			return nil, err
		}
	}
	if fields.L != m.L {
		return nil, fmt.Errorf("wcrg: fields of side %d for a model of side %d", fields.L, m.L)
	}
	if !(lattice.Std(fields.Data) > 0) {
		return nil, fmt.Errorf("wcrg: the fields are constant: their free energies cannot be regressed")
	}
	std := m.standardized(fields)
	tr := m.Transform()
	workers := parallel.Workers(set.Workers)
	free := make([]*energy.Model, m.Levels)
	for j := m.Levels; j >= 1; j-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pairs := estimate.LevelSamples(tr, std, j, workers)
		n := m.L >> j
		plain := estimate.NewPlainSamples(pairs.Count, n)
		for i := 0; i < pairs.Count; i++ {
			a0, _, _ := pairs.At(i)
			_, x, _ := plain.At(i)
			copy(x, a0)
		}
		sb := basisFor(set.Basis, Settings{Nodes: set.Nodes, QuantileLo: 0.001, QuantileHi: 0.999}, plain.Varying)
		f, err := energy.NewPlain(n, set.Window, sb)
		if err != nil {
			return nil, err
		}
		if above := m.energyOn(j); above != nil && above.Pair.Len() > 0 && n >= PairMinSide {
			if err := f.AddPair(pairBasisFor(above.Pair.Nodes, plain.Varying, n)); err != nil {
				return nil, fmt.Errorf("wcrg: free energy of scale %d: %w", j, err)
			}
		}
		cond := m.Conditionals[j-1]
		switch set.Route {
		case RouteRegression:
		case RouteTI:
			ti := set.TI
			ti.Seed, ti.Workers = set.Seed, set.Workers
			if err := fitFreeTI(ctx, m, fields, j, f, ti); err != nil {
				return nil, err
			}
			free[j-1] = f
			if progress != nil {
				progress(j)
			}
			continue
		default:
			return nil, fmt.Errorf("wcrg: free-energy route %q (want %s or %s)", set.Route, RouteRegression, RouteTI)
		}
		evals := make([]*energy.Conditioned, workers)
		var mover *modelMover
		if set.ModelSweeps > 0 {
			var err error
			if mover, err = newModelMover(cond, pairs, set.ModelSweeps, set.Seed, j, workers); err != nil {
				return nil, fmt.Errorf("wcrg: free energy of scale %d: %w", j, err)
			}
		}
		target := func(w, i int, dst []float64) {
			if evals[w] == nil {
				evals[w] = cond.NewConditioned()
				evals[w].Unbounded = true
			}
			a0, x, _ := pairs.At(i)
			if mover != nil {
				x = mover.move(w, i, a0, x)
			}
			evals[w].SetCondition(a0)
			evals[w].GradCondition(dst, x)
		}
		if _, err := estimate.RegressGradients(ctx, f, plain, target, set.Ridge, workers); err != nil {
			return nil, fmt.Errorf("wcrg: free energy of scale %d: %w", j, err)
		}
		free[j-1] = f
		if progress != nil {
			progress(j)
		}
	}
	return free, nil
}

// ScalePotential is the scalar potential V_j acting on the field φ_j in the
// reconstructed microscopic energy (spec §5.4), in standardized units.
type ScalePotential struct {
	Level  int
	Lo, Hi float64   // q_{0.01}, q_{0.99} of φ_j over the data
	Grid   []float64 // points of [Lo, Hi]
	V      []float64 // V_j on Grid, minus the quadratic moved into K (j ≥ 1)
	Moved  [3]float64
	// Moved holds (a, b, c) of the quadratic a t² + b t + c fitted to V_j over
	// the data marginal of φ_j; its t² part was moved into the kernel K (j ≥ 1).
	MaxDev float64 // max |V_j − quadratic| over [Lo, Hi] (j ≥ 1); see Hamiltonian.Depth
	// Amplitude (j ≥ 1) compares the two potentials V_j is the difference
	// of, v̄_{j+1} (of the next coarser conditional, or the coarsest energy)
	// and ṽ_j (of the free energy), each without its quadratic fit: the
	// least-squares c in v̄_{j+1} ≈ c·ṽ_j over the data values in [Lo, Hi].
	// c = 1 when they cancel; a V_j that keeps the shape of the wells with
	// c ≠ 1 points at conditionals whose fluctuations, integrated out, give
	// wells of another depth than the next scale sees. NaN when ṽ_j is
	// quadratic.
	Amplitude float64
	// Pair is set when a nearest-neighbour pair potential acts on φ_j (of
	// the energy above, w̄_{j+1}, or of F̃_j, w̃_j). Their on-site parts are
	// in V and the bilinear part of their difference W_j = w̄_{j+1} − w̃_j,
	// PairCoupling q, is in the kernel (K(e₁) = K(e₂) += q, on φ_j); the
	// rest of W_j, a genuine pair interaction that H₀'s form does not have,
	// has the RMS PairResidual over the data's bonds, to be judged against
	// Hamiltonian.Depth like MaxDev (pairSplit).
	Pair                       bool
	PairCoupling, PairResidual float64
}

// Hamiltonian is the reconstructed microscopic energy (spec §5.4)
//
//	−log p_θ(φ_0) = ½ φ_0ᵀ K φ_0 + Σ_j Σ_x V_j(φ_j(x)) + R + const,
//
// in the model's standardized units, with the quadratic pieces of every
// scale collected into one translation-invariant kernel K on φ_0. R is
// zero for models without pair potentials; with them it is the rest of
// their split, Σ_j Σ_bonds of φ_j of a pair interaction that is neither
// on-site nor bilinear, which H₀'s form leaves out and reports
// (ScalePotential.PairResidual). EnergyFunc evaluates the full energy,
// R included.
//
// Gauge: quadratic terms can be traded between K's diagonal and V_0's t²
// component (spec §2.3). The kernel is put in the zero-mass gauge,
// K̂(0) = Σ_s K(s) = 0, with the difference moved into V_0; for φ⁴ this is
// K = −βΔ and V_0 = t⁴ − (1 + 2β)t².
type Hamiltonian struct {
	L, Levels   int
	Mean, Scale float64
	// Kernel[s₁·L + s₂] = K(s): ½φᵀKφ = ½ Σ_x Σ_s K(s) φ(x) φ(x + s).
	Kernel []float64
	// NonInvariance is the relative norm of the part of the collected
	// quadratic form that is not translation invariant (0 for an exact
	// telescoping of the scales).
	NonInvariance float64
	Mass          float64 // K̂(0) before the gauge fix, moved into V_0
	Potentials    []ScalePotential
	// Depth is V_0's well depth, V_0(0) − min V_0 over [Lo, Hi], the scale
	// against which MaxDev of the coarser potentials is judged.
	Depth float64
	// FormError says how faithful the written-out form (Energy) is to the
	// sum of the fitted energies it was assembled from (EnergyFunc): the
	// standard deviation of their difference over up to 200 training
	// fields, relative to the standard deviation of the energies. It is
	// what the translation average of the quadratic form (NonInvariance)
	// and the rest of pair potentials leave out (φ⁴ at β = 0.68, L = 32:
	// 0.16 with or without pair potentials).
	FormError float64

	// For Energy: V_j as functions (also beyond [Lo, Hi]) and K̂.
	terms     []func(float64) float64
	kernelHat []float64
	transform *wavelet.Transform
}

// Energy returns H₀ in its written-out form at a raw field (side L), up to
// a constant, in the model's units:
//
//	½ φᵀKφ + Σ_j Σ_x V_j(φ_j(x)),
//
// with φ the standardized field and φ_j its coarse fields. Unlike
// EnergyFunc, which sums the fitted energies themselves, it uses only the
// kernel and the potentials, so it leaves out the rest of pair potentials
// (R) and the part of the quadratic form that is not translation invariant
// (NonInvariance). Not safe for concurrent use.
func (h *Hamiltonian) Energy(raw []float64) float64 {
	phi := make([]float64, len(raw))
	for i, v := range raw {
		phi[i] = (v - h.Mean) / h.Scale
	}
	return h.quadraticEnergy(phi) + h.potentialEnergy(phi)
}

// quadraticEnergy returns ½ φᵀKφ of a standardized field, by FFT.
func (h *Hamiltonian) quadraticEnergy(phi []float64) float64 {
	hat := make([]complex128, len(phi))
	fft2.NewPlan(h.L).Forward(hat, phi)
	var quad float64
	for k, c := range hat {
		quad += h.kernelHat[k] * (real(c)*real(c) + imag(c)*imag(c))
	}
	return 0.5 * quad / float64(len(phi))
}

// potentialEnergy returns Σ_j Σ_x V_j(φ_j(x)) of a standardized field.
func (h *Hamiltonian) potentialEnergy(phi []float64) float64 {
	dec := wavelet.NewDecomposition(h.L, h.Levels)
	h.transform.Decompose(dec, phi)
	var e float64
	for j, v := range h.terms {
		f := phi
		if j > 0 {
			f = dec.Coarse(j)
		}
		for _, t := range f {
			e += v(t)
		}
	}
	return e
}

// KernelAt returns K(s₁, s₂) with periodic wrapping.
func (h *Hamiltonian) KernelAt(s1, s2 int) float64 {
	L := h.L
	return h.Kernel[((s1%L+L)%L)*L+(s2%L+L)%L]
}

// RawKernelAt returns K(s) in the data's raw units: K_raw = K/Scale².
func (h *Hamiltonian) RawKernelAt(s1, s2 int) float64 {
	return h.KernelAt(s1, s2) / (h.Scale * h.Scale)
}

// RawPotential returns V_j at the raw value t (φ_j in raw units is
// Scale·φ_j + Mean·(scale factor of the level); only V_0 has a direct raw
// reading): V_raw(t) = V((t − Mean)/Scale).
func (h *Hamiltonian) RawPotential(j int, t float64) float64 {
	p := h.Potentials[j]
	return interp(p.Grid, p.V, (t-h.Mean)/h.Scale)
}

func interp(x, y []float64, t float64) float64 {
	i, _ := slices.BinarySearch(x, t)
	switch {
	case len(x) == 0:
		return math.NaN()
	case i <= 0:
		return y[0]
	case i >= len(x):
		return y[len(y)-1]
	}
	f := (t - x[i-1]) / (x[i] - x[i-1])
	return y[i-1] + f*(y[i]-y[i-1])
}

// quadOnly returns a copy of e with its scalar potential switched off.
func quadOnly(e *energy.Model) *energy.Model {
	c := *e
	c.Theta = slices.Clone(e.Theta)
	clear(c.ScalarCoefficients())
	clear(c.PairCoefficients())
	return &c
}

// energyOn returns the fitted energy whose terms act on φ_j: the
// conditional Ē_{j+1} for j < J, the coarsest energy for j = J (nil when
// it is the exact 1-D density, which has no pair potential).
func (m *Model) energyOn(j int) *energy.Model {
	if j < m.Levels {
		return m.Conditionals[j]
	}
	return m.CoarsestEnergy
}

// refusePairs returns the error of thermodynamic integration for a model
// with pair potentials (Settings.PairNodes), which it does not include.
func (m *Model) refusePairs() error {
	lv := m.PairLevels()
	if len(lv) == 0 {
		return nil
	}
	var where []string
	for _, j := range lv {
		if j == 0 {
			where = append(where, "the coarsest energy")
		} else {
			where = append(where, fmt.Sprintf("Ē_%d", j))
		}
	}
	return fmt.Errorf("wcrg: %s of this model have nearest-neighbour pair potentials, which the thermodynamic-integration route of the free energies does not include; use the regression route", strings.Join(where, ", "))
}

// BuildHamiltonian assembles H₀ from a model, its free energies and the
// training fields (raw units; used for the data ranges of every φ_j).
func BuildHamiltonian(m *Model, free []*energy.Model, fields lattice.Stack) (*Hamiltonian, error) {
	if len(free) != m.Levels {
		return nil, fmt.Errorf("wcrg: %d free energies for %d levels", len(free), m.Levels)
	}
	for j, f := range free {
		if f == nil {
			return nil, fmt.Errorf("wcrg: no free energy of scale %d", j+1)
		}
	}
	L, J := m.L, m.Levels
	h := &Hamiltonian{L: L, Levels: J, Mean: m.Mean, Scale: m.Scale}
	std := m.standardized(fields)
	tr := m.Transform()

	// Values of every φ_j over the data, for ranges and quadratic fits.
	values := make([][]float64, J+1)
	dec := wavelet.NewDecomposition(L, J)
	for i := 0; i < std.N; i++ {
		f := std.Field(i).Data
		tr.Decompose(dec, f)
		values[0] = append(values[0], f...)
		for j := 1; j <= J; j++ {
			values[j] = append(values[j], dec.Coarse(j)...)
		}
	}

	// Pair potentials acting on φ_j, of the energy above (w̄_{j+1}) and of
	// F̃_j (w̃_j): their on-site parts join V_j, the bilinear part of their
	// difference joins K (pairSplit).
	splitsAbove, splitsBelow := make([]*pairSplit, J+1), make([]*pairSplit, J+1)
	pairDiff := make([]*pairSplit, J+1)
	for j := 0; j <= J; j++ {
		var above, below *energy.PairPotential
		if e := m.energyOn(j); e != nil {
			above = e.PairPotential()
		}
		if j >= 1 {
			below = free[j-1].PairPotential()
		}
		if above == nil && below == nil {
			continue
		}
		side := L >> j
		sb := splitBasis(values[j])
		eval := func(p *energy.PairPotential) func(s, d float64) float64 {
			if p == nil {
				return func(float64, float64) float64 { return 0 }
			}
			return p.Eval
		}
		wa, wb := eval(above), eval(below)
		var err error
		if splitsAbove[j], err = splitPair(wa, values[j], side, sb); err != nil {
			return nil, fmt.Errorf("wcrg: pair potential on φ_%d: %w", j, err)
		}
		if splitsBelow[j], err = splitPair(wb, values[j], side, sb); err != nil {
			return nil, fmt.Errorf("wcrg: pair potential of F̃_%d: %w", j, err)
		}
		if pairDiff[j], err = splitPair(func(s, d float64) float64 { return wa(s, d) - wb(s, d) }, values[j], side, sb); err != nil {
			return nil, fmt.Errorf("wcrg: pair potentials on φ_%d: %w", j, err)
		}
	}

	// Scalar potentials grouped by the field they act on.
	pot := func(e *energy.Model) func(float64) float64 {
		if e == nil || e.Scalar.Kind == energy.BasisNone {
			return func(float64) float64 { return 0 }
		}
		v := e.ScalarPotential()
		return func(t float64) float64 { return v.Eval(t, 0) }
	}
	vj := make([]func(float64) float64, J+1)
	aboves, belows := make([]func(float64) float64, J+1), make([]func(float64) float64, J+1)
	for j := 0; j <= J; j++ {
		var above func(float64) float64 // v̄_{j+1}, or the coarsest potential
		switch {
		case j < J:
			above = pot(m.Conditionals[j])
		case m.Coarsest != nil:
			d := m.Coarsest
			// E_J(t) = ½θ₀t² + v(t): the whole 1-D energy acts on φ_J.
			above = func(t float64) float64 { return d.Energy(t) }
		default:
			above = pot(m.CoarsestEnergy)
		}
		if sa := splitsAbove[j]; sa != nil {
			scalar := above
			above = func(t float64) float64 { return scalar(t) + sa.OnSite(t) }
		}
		if j == 0 {
			vj[0] = above
			continue
		}
		below := pot(free[j-1]) // ṽ_j
		if sb := splitsBelow[j]; sb != nil {
			scalar := below
			below = func(t float64) float64 { return scalar(t) + sb.OnSite(t) }
		}
		vj[j] = func(t float64) float64 { return above(t) - below(t) }
		aboves[j], belows[j] = above, below
	}
	moved := make([]float64, J+1)
	couplings := make([]float64, J+1)
	for j := 0; j <= J; j++ {
		v := slices.Clone(values[j])
		slices.Sort(v)
		p := ScalePotential{Level: j, Lo: lattice.Quantile(v, 0.01), Hi: lattice.Quantile(v, 0.99)}
		if !(p.Hi > p.Lo) {
			p.Hi = p.Lo + 1
		}
		if d := pairDiff[j]; d != nil {
			p.Pair, p.PairCoupling, p.PairResidual = true, d.Coupling, d.Residual
			couplings[j] = d.Coupling
		}
		if j >= 1 {
			p.Moved = fitQuadratic(vj[j], v, p.Lo, p.Hi)
			moved[j] = p.Moved[0]
			p.Amplitude = amplitudeRatio(aboves[j], belows[j], v, p.Lo, p.Hi)
		}
		const n = 201
		for k := 0; k < n; k++ {
			t := p.Lo + (p.Hi-p.Lo)*float64(k)/float64(n-1)
			val := vj[j](t)
			if j >= 1 {
				a, b, c := p.Moved[0], p.Moved[1], p.Moved[2]
				val -= a * t * t
				p.MaxDev = math.Max(p.MaxDev, math.Abs(val-(b*t+c)))
			}
			p.Grid = append(p.Grid, t)
			p.V = append(p.V, val)
		}
		h.Potentials = append(h.Potentials, p)
	}

	// Kernel: apply the collected quadratic form to impulses.
	K, nonInv := collectKernel(m, free, moved, couplings)
	h.Kernel, h.NonInvariance = K, nonInv
	// Zero-mass gauge: K(0) −= K̂(0), V_0 += ½K̂(0) t².
	for _, v := range K {
		h.Mass += v
	}
	h.Kernel[0] -= h.Mass
	p0 := &h.Potentials[0]
	for k, t := range p0.Grid {
		p0.V[k] += 0.5 * h.Mass * t * t
	}
	vmin := slices.Min(p0.V)
	h.Depth = interp(p0.Grid, p0.V, 0) - vmin

	h.transform = tr
	for j := 0; j <= J; j++ {
		v, a := vj[j], h.Potentials[j].Moved[0]
		if j == 0 {
			a = -0.5 * h.Mass
		}
		h.terms = append(h.terms, func(t float64) float64 { return v(t) - a*t*t })
	}
	// K̂ of the symmetric part of K (only it enters φᵀKφ): Re of the DFT.
	hat := make([]complex128, L*L)
	fft2.NewPlan(L).Forward(hat, h.Kernel)
	h.kernelHat = make([]float64, L*L)
	for k, c := range hat {
		h.kernelHat[k] = real(c)
	}

	full := EnergyFunc(m, free)
	var diff, ener []float64
	for i := 0; i < min(fields.N, 200); i++ {
		f := fields.Field(i).Data
		e := full(f)
		diff, ener = append(diff, h.Energy(f)-e), append(ener, e)
	}
	if s := lattice.Std(ener); s > 0 {
		h.FormError = lattice.Std(diff) / s
	}
	return h, nil
}

// amplitudeRatio returns the least-squares c in f ≈ c·g + quadratic over
// the data values in [lo, hi] (sorted), with f and g each first stripped of
// its own quadratic fit; NaN when g is quadratic there.
func amplitudeRatio(f, g func(float64) float64, sorted []float64, lo, hi float64) float64 {
	qf, qg := fitQuadratic(f, sorted, lo, hi), fitQuadratic(g, sorted, lo, hi)
	var fg, gg, g2 float64
	step := max(1, len(sorted)/20000)
	for i := 0; i < len(sorted); i += step {
		t := sorted[i]
		if t < lo || t > hi {
			continue
		}
		rf := f(t) - (qf[0]*t*t + qf[1]*t + qf[2])
		rg := g(t) - (qg[0]*t*t + qg[1]*t + qg[2])
		fg, gg, g2 = fg+rf*rg, gg+rg*rg, g2+g(t)*g(t)
	}
	// g's non-quadratic part must stand above the rounding of its fit.
	if !(gg > 1e-20*g2) {
		return math.NaN()
	}
	return fg / gg
}

// fitQuadratic fits a t² + b t + c to f by least squares over the data
// values in [lo, hi] (so weighted by the data marginal).
func fitQuadratic(f func(float64) float64, sorted []float64, lo, hi float64) [3]float64 {
	var A mat.Dense
	var rows [][3]float64
	var rhs []float64
	step := max(1, len(sorted)/20000)
	for i := 0; i < len(sorted); i += step {
		t := sorted[i]
		if t < lo || t > hi {
			continue
		}
		rows = append(rows, [3]float64{t * t, t, 1})
		rhs = append(rhs, f(t))
	}
	if len(rows) < 3 {
		return [3]float64{}
	}
	A.ReuseAs(len(rows), 3)
	for i, r := range rows {
		A.SetRow(i, r[:])
	}
	var x mat.VecDense
	if err := x.SolveVec(&A, mat.NewVecDense(len(rhs), rhs)); err != nil {
		return [3]float64{}
	}
	return [3]float64{x.AtVec(0), x.AtVec(1), x.AtVec(2)}
}

// collectKernel applies the quadratic part of H₀ (coarsest quadratic terms,
// Ē_j's quadratic terms, −F̃_j's quadratic terms, and the quadratics moved
// from V_j, a_j Σ_x φ_j(x)²) to unit impulses on φ_0 and averages over
// impulse positions to get the translation-invariant kernel K(s). At most
// 4096 positions (a regular subgrid) are used. couplings[j] is the
// nearest-neighbour coupling q_j Σ_bonds φ_j(x)φ_j(y) split off the pair
// potentials acting on φ_j.
func collectKernel(m *Model, free []*energy.Model, moved, couplings []float64) ([]float64, float64) {
	L, J := m.L, m.Levels
	tr := m.Transform()
	b := m.Basis()
	conds := make([]*energy.Conditioned, J)
	frees := make([]*energy.Conditioned, J)
	for j := 1; j <= J; j++ {
		conds[j-1] = quadOnly(m.Conditionals[j-1]).NewConditioned()
		conds[j-1].Unbounded = true
		frees[j-1] = quadOnly(free[j-1]).NewConditioned()
		frees[j-1].Unbounded = true
	}
	var coarsest *energy.Conditioned
	if m.CoarsestEnergy != nil {
		coarsest = quadOnly(m.CoarsestEnergy).NewConditioned()
		coarsest.Unbounded = true
	}
	dec := wavelet.NewDecomposition(L, J)
	ws := wavelet.NewWorkspace(L)
	apply := func(dst, src []float64) {
		tr.Decompose(dec, src)
		n := L >> J
		g := make([]float64, n*n) // ∂/∂φ_J
		phiJ := dec.Coarse(J)
		if m.Coarsest != nil {
			g[0] = m.Coarsest.Theta[0] * phiJ[0]
		} else {
			coarsest.EnergyGrad(phiJ, g)
		}
		for j := J; j >= 1; j-- {
			n := L >> j
			phij, bar := dec.Coarse(j), dec.Detail(j)
			gbar := make([]float64, 3*n*n)
			c := conds[j-1]
			c.SetCondition(phij)
			c.EnergyGrad(bar, gbar)
			gc := make([]float64, n*n)
			c.GradCondition(gc, bar)
			gf := make([]float64, n*n)
			frees[j-1].EnergyGrad(phij, gf)
			for i := range g {
				g[i] += gc[i] - gf[i] + 2*moved[j]*phij[i]
			}
			addNeighbours(g, phij, n, couplings[j])
			// Back through φ_j = γ⁻¹Gφ_{j−1}, φ̄_j = γ⁻¹Ḡφ_{j−1}.
			fine := make([]float64, 4*n*n)
			b.Synthesize(fine, g, gbar, 2*n, ws)
			for i := range fine {
				fine[i] /= m.Gamma[j-1]
			}
			g = fine
		}
		addNeighbours(g, src, L, couplings[0])
		copy(dst, g)
	}
	step := 1
	for (L/step)*(L/step) > 4096 {
		step *= 2
	}
	K := make([]float64, L*L)
	K2 := make([]float64, L*L)
	e := make([]float64, L*L)
	out := make([]float64, L*L)
	count := 0
	for x1 := 0; x1 < L; x1 += step {
		for x2 := 0; x2 < L; x2 += step {
			clear(e)
			e[x1*L+x2] = 1
			apply(out, e)
			for s1 := 0; s1 < L; s1++ {
				for s2 := 0; s2 < L; s2++ {
					v := out[((x1+s1)%L)*L+(x2+s2)%L]
					K[s1*L+s2] += v
					K2[s1*L+s2] += v * v
				}
			}
			count++
		}
	}
	var dev, norm float64
	for i := range K {
		K[i] /= float64(count)
		dev += K2[i]/float64(count) - K[i]*K[i]
		norm += K[i] * K[i]
	}
	return K, math.Sqrt(math.Max(dev, 0) / norm)
}

// addNeighbours adds the gradient of q Σ_bonds φ(x)φ(y) over the bonds of
// energy.ForEachBond (x, y = x + e, e = (1,0), (0,1), periodic) to g: q
// times the sum of the four neighbours (on sides 1 and 2 some of them are
// the same site, as they are among those bonds).
func addNeighbours(g, phi []float64, side int, q float64) {
	if q == 0 {
		return
	}
	for x1 := 0; x1 < side; x1++ {
		up, down := ((x1+side-1)%side)*side, ((x1+1)%side)*side
		for x2 := 0; x2 < side; x2++ {
			left, right := (x2+side-1)%side, (x2+1)%side
			g[x1*side+x2] += q * (phi[up+x2] + phi[down+x2] + phi[x1*side+left] + phi[x1*side+right])
		}
	}
}

// EnergyFunc returns H₀ as a function of a raw field (up to a constant):
// E_J(φ_J) + Σ_j [Ē_j(φ̄_j, φ_j) − F̃_j(φ_j)] in the model's units. Not safe
// for concurrent use.
func EnergyFunc(m *Model, free []*energy.Model) func(raw []float64) float64 {
	L, J := m.L, m.Levels
	tr := m.Transform()
	dec := wavelet.NewDecomposition(L, J)
	conds := make([]*energy.Conditioned, J)
	frees := make([]*energy.Conditioned, J)
	for j := 1; j <= J; j++ {
		conds[j-1] = m.Conditionals[j-1].NewConditioned()
		conds[j-1].Unbounded = true
		frees[j-1] = free[j-1].NewConditioned()
		frees[j-1].Unbounded = true
	}
	var coarsest *energy.Conditioned
	if m.CoarsestEnergy != nil {
		coarsest = m.CoarsestEnergy.NewConditioned()
		coarsest.Unbounded = true
	}
	phi := make([]float64, L*L)
	return func(raw []float64) float64 {
		for i, v := range raw {
			phi[i] = (v - m.Mean) / m.Scale
		}
		tr.Decompose(dec, phi)
		var e float64
		if m.Coarsest != nil {
			e = m.Coarsest.EnergyUnbounded(dec.Coarse(J)[0])
		} else {
			v, _ := coarsest.Energy(dec.Coarse(J))
			e = v
		}
		for j := 1; j <= J; j++ {
			c := conds[j-1]
			c.SetCondition(dec.Coarse(j))
			ej, _ := c.Energy(dec.Detail(j))
			fj, _ := frees[j-1].Energy(dec.Coarse(j))
			e += ej - fj
		}
		return e
	}
}
