package experiment

import (
	"encoding/json"
	"fmt"
	"math"
)

// PowerLaw is a fit y = A·x^Z on log–log axes.
type PowerLaw struct {
	Z, ZErr float64 // exponent and its standard error
	A       float64 // amplitude
	// Chi2 is χ² of the weighted fit, with Points − 2 degrees of freedom.
	Chi2   float64
	Points int
}

// MarshalJSON writes the fit with null for a value that is not finite (ZErr
// of a fit through two unweighted points is unknown: NaN).
func (p PowerLaw) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Z, ZErr, A, Chi2 *float64
		Points           int
	}{num(p.Z), num(p.ZErr), num(p.A), num(p.Chi2), p.Points})
}

// FitPowerLaw fits log y = log A + Z log x by weighted least squares with
// σ(log y) = yerr/y. If yerr is nil or any error is not positive, the points
// are weighted equally and ZErr comes from the residual scatter. With
// errors given, ZErr is the formal error scaled by √(χ²/dof) when that
// exceeds 1 (the Particle Data Group's scale factor), so that an
// inconsistent set of points widens the error rather than hiding it.
func FitPowerLaw(x, y, yerr []float64) (PowerLaw, error) {
	n := len(x)
	if n != len(y) || (yerr != nil && len(yerr) != n) {
		return PowerLaw{}, fmt.Errorf("experiment: power-law fit: %d x, %d y, %d errors", n, len(y), len(yerr))
	}
	if n < 2 {
		return PowerLaw{}, fmt.Errorf("experiment: power-law fit needs at least 2 points, have %d", n)
	}
	weighted := yerr != nil
	lx, ly, w := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range x {
		if !(x[i] > 0) || !(y[i] > 0) {
			return PowerLaw{}, fmt.Errorf("experiment: power-law fit: point %d (%g, %g) is not positive", i, x[i], y[i])
		}
		lx[i], ly[i], w[i] = math.Log(x[i]), math.Log(y[i]), 1
		if weighted {
			if !(yerr[i] > 0) {
				weighted = false
			} else {
				s := yerr[i] / y[i]
				w[i] = 1 / (s * s)
			}
		}
	}
	if !weighted {
		for i := range w {
			w[i] = 1
		}
	}
	var sw, sx, sy, sxx, sxy float64
	for i := range lx {
		sw += w[i]
		sx += w[i] * lx[i]
		sy += w[i] * ly[i]
		sxx += w[i] * lx[i] * lx[i]
		sxy += w[i] * lx[i] * ly[i]
	}
	det := sw*sxx - sx*sx
	if !(det > 0) {
		return PowerLaw{}, fmt.Errorf("experiment: power-law fit: the x values are all equal")
	}
	z := (sw*sxy - sx*sy) / det
	c := (sxx*sy - sx*sxy) / det
	var chi2 float64
	for i := range lx {
		r := ly[i] - c - z*lx[i]
		chi2 += w[i] * r * r
	}
	dof := float64(n - 2)
	varZ := sw / det
	switch {
	case !weighted && dof > 0:
		varZ *= chi2 / dof
	case !weighted:
		varZ = math.NaN()
	case dof > 0 && chi2/dof > 1:
		varZ *= chi2 / dof
	}
	return PowerLaw{Z: z, ZErr: math.Sqrt(varZ), A: math.Exp(c), Chi2: chi2, Points: n}, nil
}
