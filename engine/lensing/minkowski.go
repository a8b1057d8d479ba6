package lensing

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Thresholds of the Minkowski functionals, in units of σ about the mean.
const (
	MinkowskiNuLo    = -4.0
	MinkowskiNuHi    = 4.0
	MinkowskiBinSize = 0.25
)

// Minkowski holds the three Minkowski functionals of the excursion sets
// {x : u(x) ≥ ν} of maps, u = (κ − Mean)/Sigma, per unit area with
// lengths in pixels (Schmalzing & Gorski 1998, MNRAS 297, 355, eqs. 2–4;
// Kratochvil et al. 2012, PRD 85, 103513, eqs. 4–6):
//
//	V0(ν) = (1/A) ∫ Θ(u − ν) dA                                  area fraction
//	V1(ν) = (1/4A) ∫ δ(u − ν) |∇u| dA                            boundary length / 4A
//	V2(ν) = (1/2πA) ∫ δ(u − ν) (2u_x u_y u_xy − u_x² u_yy − u_y² u_xx)/|∇u|² dA
//	                                                              Euler characteristic / A
//
// with derivatives by central differences on the periodic lattice and δ
// replaced by the indicator of the threshold bin divided by its width.
// For a Gaussian field, with σ₁² = ⟨|∇u|²⟩ (GaussianMinkowski):
// V0 = ½ erfc(ν/√2), V1 = σ₁/(8√2) e^{−ν²/2}, V2 = σ₁²/(2(2π)^{3/2}) ν e^{−ν²/2}.
type Minkowski struct {
	Nu          []float64 // bin centres (V1, V2) and thresholds (V0)
	V0, V1, V2  []float64 // means over the maps
	Err0, Err1  []float64 // standard errors over the maps
	Err2        []float64
	Mean, Sigma float64 // the normalization u = (κ − Mean)/Sigma
	Sigma1      float64 // √⟨|∇u|²⟩ over all maps (finite differences)
}

// MinkowskiFunctionals measures the Minkowski functionals of every map on
// thresholds ν from MinkowskiNuLo to MinkowskiNuHi. mean and sigma normalize
// the maps; sigma = 0 takes both from the maps themselves (pass the
// reference set's values to compare two sets on the same thresholds).
func MinkowskiFunctionals(s lattice.Stack, mean, sigma float64) (Minkowski, error) {
	if s.N < 1 || s.L < 3 {
		return Minkowski{}, fmt.Errorf("lensing: Minkowski functionals need maps of side ≥ 3 (got %d maps of %d²)", s.N, s.L)
	}
	if sigma == 0 {
		mean, sigma = lattice.Mean(s.Data), lattice.Std(s.Data)
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) || math.IsNaN(mean) || math.IsInf(mean, 0) {
		return Minkowski{}, fmt.Errorf("lensing: Minkowski normalization mean %g, σ %g (constant maps?)", mean, sigma)
	}
	nb := int(math.Round((MinkowskiNuHi - MinkowskiNuLo) / MinkowskiBinSize))
	mk := Minkowski{Mean: mean, Sigma: sigma, Nu: make([]float64, nb)}
	for b := range mk.Nu {
		mk.Nu[b] = MinkowskiNuLo + (float64(b)+0.5)*MinkowskiBinSize
	}
	L := s.L
	area := float64(L * L)
	var sums [3][]float64
	var sums2 [3][]float64
	for k := range sums {
		sums[k] = make([]float64, nb)
		sums2[k] = make([]float64, nb)
	}
	var per [3][]float64
	for k := range per {
		per[k] = make([]float64, nb)
	}
	u := make([]float64, L*L)
	var grad2 float64
	for i := 0; i < s.N; i++ {
		for x, v := range s.Field(i).Data {
			u[x] = (v - mean) / sigma
		}
		for k := range per {
			clear(per[k])
		}
		for r := 0; r < L; r++ {
			up, down := ((r+L-1)%L)*L, ((r+1)%L)*L
			row := r * L
			for c := 0; c < L; c++ {
				left, right := (c+L-1)%L, (c+1)%L
				v := u[row+c]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return Minkowski{}, fmt.Errorf("lensing: map %d holds a non-finite value (%g)", i, s.Field(i).Data[row+c])
				}
				// Area: every threshold (bin centre) at or below v.
				for b := 0; b < nb; b++ {
					if v >= mk.Nu[b] {
						per[0][b]++
					} else {
						break
					}
				}
				ux := (u[row+right] - u[row+left]) / 2
				uy := (u[down+c] - u[up+c]) / 2
				uxx := u[row+right] - 2*v + u[row+left]
				uyy := u[down+c] - 2*v + u[up+c]
				uxy := (u[down+right] - u[down+left] - u[up+right] + u[up+left]) / 4
				g2 := ux*ux + uy*uy
				grad2 += g2
				b := int(math.Floor((v - MinkowskiNuLo) / MinkowskiBinSize))
				if b < 0 || b >= nb || g2 == 0 {
					continue
				}
				per[1][b] += math.Sqrt(g2)
				per[2][b] += (2*ux*uy*uxy - ux*ux*uyy - uy*uy*uxx) / g2
			}
		}
		for b := 0; b < nb; b++ {
			vals := [3]float64{
				per[0][b] / area,
				per[1][b] / (4 * area * MinkowskiBinSize),
				per[2][b] / (2 * math.Pi * area * MinkowskiBinSize),
			}
			for k, val := range vals {
				sums[k][b] += val
				sums2[k][b] += val * val
			}
		}
	}
	// V0 counts u ≥ ν at the bin centres.
	mk.V0, mk.Err0 = meanOverMaps(sums[0], sums2[0], s.N)
	mk.V1, mk.Err1 = meanOverMaps(sums[1], sums2[1], s.N)
	mk.V2, mk.Err2 = meanOverMaps(sums[2], sums2[2], s.N)
	mk.Sigma1 = math.Sqrt(grad2 / (area * float64(s.N)))
	return mk, nil
}

// GaussianMinkowski returns the Minkowski functionals of a Gaussian field
// of unit variance and gradient variance sigma1² at threshold ν, in the
// units of Minkowski.
func GaussianMinkowski(nu, sigma1 float64) (v0, v1, v2 float64) {
	g := math.Exp(-nu * nu / 2)
	v0 = 0.5 * math.Erfc(nu/math.Sqrt2)
	v1 = sigma1 / (8 * math.Sqrt2) * g
	v2 = sigma1 * sigma1 / (2 * math.Pow(2*math.Pi, 1.5)) * nu * g
	return v0, v1, v2
}

// MinkowskiMaxDev returns, for each functional k = 0, 1, 2, the largest
// |b_k(ν) − a_k(ν)| over the thresholds, relative to the largest |a_k|:
// a compact figure of how far two sets' functionals differ.
func MinkowskiMaxDev(a, b Minkowski) [3]float64 {
	var out [3]float64
	for k, pair := range [3][2][]float64{{a.V0, b.V0}, {a.V1, b.V1}, {a.V2, b.V2}} {
		var scale, dev float64
		for i := range pair[0] {
			scale = math.Max(scale, math.Abs(pair[0][i]))
			if i < len(pair[1]) {
				dev = math.Max(dev, math.Abs(pair[1][i]-pair[0][i]))
			}
		}
		if scale > 0 {
			out[k] = dev / scale
		}
	}
	return out
}
