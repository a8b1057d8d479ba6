package estimate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
)

// Density1D is the coarsest-scale model when φ_J is a single number
// (spec §2.5): p(t) ∝ exp(−E(t)) on the basis support, with
//
//	E(t) = ½ θ₀ t² + Σ_k α_k ρ_k(t),
//
// Theta = (θ₀, α_1, …). It is fitted by maximum likelihood with exact
// normalization on a quadrature grid and sampled exactly by inverse CDF.
type Density1D struct {
	Basis energy.ScalarBasis
	Theta []float64

	grid []float64 // quadrature nodes over the support
	cdf  []float64 // normalized CDF at the nodes (trapezoid rule)
}

// density1DGrid is the number of quadrature nodes.
const density1DGrid = 4097

// NewDensity1D returns a density on basis b with θ = 0.
func NewDensity1D(b energy.ScalarBasis) (*Density1D, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	lo, hi := b.Support()
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, fmt.Errorf("estimate: a 1-D density needs a bounded basis support")
	}
	d := &Density1D{Basis: b, Theta: make([]float64, 1+b.Len())}
	d.grid = make([]float64, density1DGrid)
	for i := range d.grid {
		d.grid[i] = lo + (hi-lo)*float64(i)/float64(density1DGrid-1)
	}
	return d, nil
}

// features writes (½t², ρ_1(t), …) into f.
func (d *Density1D) features(t float64, f, buf []float64) {
	clear(f)
	f[0] = 0.5 * t * t
	first, c := d.Basis.Eval(t, 0, buf)
	for a := 0; a < c; a++ {
		f[1+first+a] = buf[a]
	}
}

// Energy returns E(t) (+Inf outside the support).
func (d *Density1D) Energy(t float64) float64 {
	lo, hi := d.Basis.Support()
	if t < lo || t > hi {
		return math.Inf(1)
	}
	f := make([]float64, len(d.Theta))
	d.features(t, f, make([]float64, max(d.Basis.MaxActive(), 1)))
	var e float64
	for k, v := range f {
		e += d.Theta[k] * v
	}
	return e
}

// EnergyUnbounded returns E(t) also outside the support (where the basis
// is flat), for energy read-outs of fields the model did not generate.
func (d *Density1D) EnergyUnbounded(t float64) float64 {
	f := make([]float64, len(d.Theta))
	d.features(t, f, make([]float64, max(d.Basis.MaxActive(), 1)))
	var e float64
	for k, v := range f {
		e += d.Theta[k] * v
	}
	return e
}

// moments returns log Z and the model mean and covariance of the features,
// by the trapezoid rule on the grid.
func (d *Density1D) moments() (logZ float64, mean []float64, cov *mat.SymDense) {
	m := len(d.Theta)
	f := make([]float64, m)
	buf := make([]float64, max(d.Basis.MaxActive(), 1))
	e := make([]float64, len(d.grid))
	emin := math.Inf(1)
	for i, t := range d.grid {
		d.features(t, f, buf)
		var s float64
		for k, v := range f {
			s += d.Theta[k] * v
		}
		e[i] = s
		emin = math.Min(emin, s)
	}
	h := d.grid[1] - d.grid[0]
	mean = make([]float64, m)
	second := mat.NewSymDense(m, nil)
	var z float64
	for i, t := range d.grid {
		w := math.Exp(-(e[i] - emin)) * h
		if i == 0 || i == len(d.grid)-1 {
			w /= 2
		}
		z += w
		d.features(t, f, buf)
		for k, v := range f {
			mean[k] += w * v
		}
		second.SymRankOne(second, w, mat.NewVecDense(m, f))
	}
	for k := range mean {
		mean[k] /= z
	}
	second.ScaleSym(1/z, second)
	cov = mat.NewSymDense(m, nil)
	cov.SymRankOne(second, -1, mat.NewVecDense(m, mean))
	return math.Log(z) - emin, mean, cov
}

// Fit sets θ by maximum likelihood on the values t (all inside the
// support): Newton's method on the convex negative log-likelihood
// NLL = mean E(t_i) + log Z, whose gradient is the data minus the model
// feature means and whose Hessian is the model feature covariance. It
// returns the final NLL per sample.
func (d *Density1D) Fit(t []float64) (float64, error) {
	if len(t) == 0 {
		return 0, fmt.Errorf("estimate: no values to fit")
	}
	lo, hi := d.Basis.Support()
	m := len(d.Theta)
	dataMean := make([]float64, m)
	f := make([]float64, m)
	buf := make([]float64, max(d.Basis.MaxActive(), 1))
	for _, v := range t {
		if v < lo || v > hi || math.IsNaN(v) {
			return 0, fmt.Errorf("estimate: value %g outside the density's support [%g, %g]", v, lo, hi)
		}
		d.features(v, f, buf)
		for k, x := range f {
			dataMean[k] += x / float64(len(t))
		}
	}
	nll := func() float64 {
		logZ, _, _ := d.moments()
		var s float64
		for k := range d.Theta {
			s += d.Theta[k] * dataMean[k]
		}
		return s + logZ
	}
	cur := nll()
	for it := 0; it < 100; it++ {
		_, mean, cov := d.moments()
		g := mat.NewVecDense(m, nil)
		var tr float64
		for k := range mean {
			g.SetVec(k, dataMean[k]-mean[k])
			tr += cov.At(k, k)
		}
		// A tiny ridge keeps directions the data do not constrain (basis
		// functions beyond the data) at a finite solution.
		for k := 0; k < m; k++ {
			cov.SetSym(k, k, cov.At(k, k)+1e-10*tr/float64(m))
		}
		var ch mat.Cholesky
		if !ch.Factorize(cov) {
			return 0, fmt.Errorf("estimate: 1-D density Hessian is singular")
		}
		var step mat.VecDense
		if err := ch.SolveVecTo(&step, g); err != nil {
			return 0, err
		}
		// Backtracking line search on the exact NLL.
		old := append([]float64(nil), d.Theta...)
		s := 1.0
		var next float64
		for {
			for k := range d.Theta {
				d.Theta[k] = old[k] - s*step.AtVec(k)
			}
			next = nll()
			if next <= cur+1e-12*math.Abs(cur) || s < 1e-6 {
				break
			}
			s /= 2
		}
		if cur-next < 1e-12*math.Max(1, math.Abs(cur)) {
			cur = math.Min(cur, next)
			break
		}
		cur = next
	}
	d.prepare()
	return cur, nil
}

// prepare tabulates the CDF for sampling.
func (d *Density1D) prepare() {
	e := make([]float64, len(d.grid))
	emin := math.Inf(1)
	for i, t := range d.grid {
		e[i] = d.Energy(t)
		emin = math.Min(emin, e[i])
	}
	d.cdf = make([]float64, len(d.grid))
	for i := 1; i < len(d.grid); i++ {
		a, b := math.Exp(-(e[i-1] - emin)), math.Exp(-(e[i] - emin))
		d.cdf[i] = d.cdf[i-1] + 0.5*(a+b)*(d.grid[i]-d.grid[i-1])
	}
	z := d.cdf[len(d.cdf)-1]
	for i := range d.cdf {
		d.cdf[i] /= z
	}
}

// Sample draws one value by inverse CDF (linear interpolation of the
// tabulated CDF; exact up to the quadrature error, of order 1e-7 of the
// support width).
func (d *Density1D) Sample(rng *rand.Rand) float64 {
	if d.cdf == nil {
		d.prepare()
	}
	u := rng.Float64()
	i := sort.SearchFloat64s(d.cdf, u)
	if i == 0 {
		return d.grid[0]
	}
	if i >= len(d.cdf) {
		return d.grid[len(d.grid)-1]
	}
	c0, c1 := d.cdf[i-1], d.cdf[i]
	f := 0.0
	if c1 > c0 {
		f = (u - c0) / (c1 - c0)
	}
	return d.grid[i-1] + f*(d.grid[i]-d.grid[i-1])
}

// Prepare readies the density for concurrent Sample calls (after Theta was
// set directly, e.g. when a model is loaded).
func (d *Density1D) Prepare() { d.prepare() }
