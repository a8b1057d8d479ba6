package wcrg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
)

// pairSplit is a nearest-neighbour pair potential W(φ(x), φ(y)) on the
// bonds of a field, written as far as possible in the terms of H₀ (spec
// §5.4): least squares over the data's bonds, a = φ(x), b = φ(y) = φ(x+e),
//
//	W(a, b) ≈ u₁(a) + u₂(b) + q·a·b + c,
//
// with u₁, u₂ on hats. Every site is the first end of two bonds and the
// second end of two, so Σ_bonds u₁(a) + u₂(b) = Σ_x 2(u₁ + u₂)(φ(x)): an
// on-site potential that joins V_j, while q·ab is a nearest-neighbour
// coupling that joins the kernel K (K(e₁) = K(e₂) += q). What is left is
// a genuine pair interaction, which H₀'s form (K and the V_j) does not
// have; its size is reported (Residual), not hidden.
type pairSplit struct {
	onSite   *energy.Potential // u₁ + u₂ (OnSite doubles it)
	Coupling float64           // q
	Residual float64           // RMS of W − fit over the data's bonds
}

// OnSite returns 2(u₁ + u₂)(t), the on-site potential of the split.
func (p *pairSplit) OnSite(t float64) float64 {
	if p == nil {
		return 0
	}
	return 2 * p.onSite.Eval(t, 0)
}

// splitBasis returns the hats of the on-site parts u₁, u₂: 30 nodes over
// every value of the field, so that no bond lies outside them.
func splitBasis(values []float64) energy.ScalarBasis {
	return basisFor(energy.BasisHat, Settings{Nodes: 30, QuantileLo: 0, QuantileHi: 1}, values)
}

// maxSplitBonds caps the bonds a split is fitted on (a regular subsample).
const maxSplitBonds = 200000

// splitPair fits the split of w (a function of the bond mean s and
// difference d) on the bonds of the side×side fields stacked in fields,
// with u₁, u₂ on the hat basis sb.
func splitPair(w func(s, d float64) float64, fields []float64, side int, sb energy.ScalarBasis) (*pairSplit, error) {
	k := sb.Len()
	p := 2*k + 2 // u₁, u₂, q, c
	nn := side * side
	bonds := 2 * len(fields)
	stride := max(1, bonds/maxSplitBonds)
	h := make([]float64, p*p) // upper triangle, row-major
	r := make([]float64, p)
	row := make([]float64, p)
	out := make([]float64, sb.MaxActive())
	var idx []int
	features := func(a, b float64) {
		clear(row)
		idx = idx[:0]
		f, n := sb.Eval(a, 0, out)
		for i := 0; i < n; i++ {
			row[f+i] += out[i]
			idx = append(idx, f+i)
		}
		f, n = sb.Eval(b, 0, out)
		for i := 0; i < n; i++ {
			row[k+f+i] += out[i]
			idx = append(idx, k+f+i)
		}
		row[2*k], row[2*k+1] = a*b, 1
		idx = append(idx, 2*k, 2*k+1)
	}
	forBonds := func(fn func(a, b, v float64)) {
		count := 0
		for f := 0; f+nn <= len(fields); f += nn {
			energy.ForEachBond(fields[f:f+nn], side, func(s, d float64, _, _ int) {
				count++
				if count%stride == 0 {
					fn(s+d/2, s-d/2, w(s, d))
				}
			})
		}
	}
	forBonds(func(a, b, v float64) {
		features(a, b)
		for _, i := range idx {
			r[i] += row[i] * v
			for _, j := range idx {
				if j >= i {
					h[i*p+j] += row[i] * row[j]
				}
			}
		}
	})
	theta, err := solveSym(h, r)
	if err != nil {
		return nil, err
	}
	split := &pairSplit{Coupling: theta[2*k]}
	u := make([]float64, k)
	for i := range u {
		u[i] = theta[i] + theta[k+i]
	}
	split.onSite = energy.NewPotential(sb, u)
	u1, u2 := energy.NewPotential(sb, theta[:k]), energy.NewPotential(sb, theta[k:2*k])
	var ss float64
	var n int
	forBonds(func(a, b, v float64) {
		e := v - (u1.Eval(a, 0) + u2.Eval(b, 0) + theta[2*k]*a*b + theta[2*k+1])
		ss += e * e
		n++
	})
	if n > 0 {
		split.Residual = math.Sqrt(ss / float64(n))
	}
	return split, nil
}

// solveSym solves h θ = r (upper triangle of h, row-major) after diagonal
// normalization, with a small ridge as a safeguard: the hats drop their
// last node (ScalarBasis.Len) and cover every value, so the data determine
// every direction.
func solveSym(h, r []float64) ([]float64, error) {
	p := len(r)
	d := make([]float64, p)
	a := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		if v := h[i*p+i]; v > 0 {
			d[i] = 1 / math.Sqrt(v)
		}
	}
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			a.SetSym(i, j, h[i*p+j]*d[i]*d[j])
		}
		if d[i] == 0 {
			a.SetSym(i, i, 1)
		} else {
			a.SetSym(i, i, a.At(i, i)+1e-9)
		}
	}
	rhs := mat.NewVecDense(p, nil)
	for i := 0; i < p; i++ {
		rhs.SetVec(i, r[i]*d[i])
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil, fmt.Errorf("wcrg: splitting a pair potential: normal equations not positive definite")
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, rhs); err != nil {
		return nil, fmt.Errorf("wcrg: splitting a pair potential: %v", err)
	}
	theta := make([]float64, p)
	for i := range theta {
		theta[i] = x.AtVec(i) * d[i]
	}
	return theta, nil
}
