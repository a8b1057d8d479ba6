package experiment

import (
	"fmt"
	"math"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// TauGD is the gradient-descent iteration count τ_GD of direct and of WC-RG
// maximum likelihood for the L×L free field of mass m (spec §3.3, §7.3),
// with exact Gaussian moments (GaussianFit), so that the counts carry no
// Monte Carlo noise, and with the same criterion for all (NLL gap below 10⁻³
// of the white-noise start's, diagonally normalized steps 1/λ_max at θ*).
type TauGD struct {
	L      int
	Mass   float64
	Window int // half-width of the conditional models' coupling windows
	// Direct is the nearest-neighbour model of spec §3.3 fitted to φ_0.
	Direct GDResult
	// Levels are the conditional models of φ̄_j given φ_j, j = 1 … J (coarse
	// grids of side ≥ 4), with the quadratic couplings of the window between
	// all channels, the couplings to φ_j as zero-sum kernels
	// (NewGaussianFitZeroSumCross). WCRG is the largest count over the
	// levels: the scales are fitted independently, so the slowest sets the
	// time.
	Levels []GDResult
	WCRG   int
	// LevelsPhiCross and WCRGPhiCross are the same with the couplings to φ_j
	// as in spec §2.2 (½Σ φ_j(x) φ̄_d(x−s)): the same family, but their
	// moments carry φ_j's low-frequency power, which grows with ξ, and so
	// does the Hessian's condition number.
	LevelsPhiCross []GDResult
	WCRGPhiCross   int
}

// GaussianTauGD computes TauGD for side L ≥ 8 and mass m > 0 (m = 0: the
// massless field without its zero mode) with wavelet b. maxIter bounds every
// count (0: 10⁷). The direct count is at most ½κ ln 10³ with κ the
// normalized Hessian's condition number, which grows like ξ²L⁰…L² (the
// k = 0 mode's power ξ² against the lattice cut-off): about 8×10⁵
// iterations at L = 128, ξ ≈ 100, a minute or two of computing.
func GaussianTauGD(b wavelet.Basis, L int, m float64, window, maxIter int) (TauGD, error) {
	if L < 8 || wavelet.MaxLevels(L) < 3 {
		return TauGD{}, fmt.Errorf("experiment: τ_GD needs a power-of-two lattice of side ≥ 8 (got %d)", L)
	}
	if !(m >= 0) || math.IsInf(m, 0) {
		return TauGD{}, fmt.Errorf("experiment: τ_GD with mass %g", m)
	}
	if window < 0 {
		return TauGD{}, fmt.Errorf("experiment: τ_GD with window %d", window)
	}
	if maxIter <= 0 {
		maxIter = 10_000_000
	}
	spec := gaussfield.FreeField(m)
	res := TauGD{L: L, Mass: m, Window: window}
	g, err := NewGaussianFit(NearestNeighbourModel(L), b, L, 0, spec)
	if err != nil {
		return res, err
	}
	if res.Direct, err = g.GradientDescent(1e-3, maxIter); err != nil {
		return res, fmt.Errorf("experiment: direct τ_GD at L = %d, m = %g: %w", L, m, err)
	}
	for j := 1; L>>j >= 4; j++ {
		cm, err := energy.NewConditional(L>>j, window, energy.ScalarBasis{Kind: energy.BasisNone}, 1, b)
		if err != nil {
			return res, err
		}
		for _, zeroSum := range []bool{true, false} {
			var cg *GaussianFit
			if zeroSum {
				cg, err = NewGaussianFitZeroSumCross(cm, b, L, j, spec)
			} else {
				cg, err = NewGaussianFit(cm, b, L, j, spec)
			}
			if err != nil {
				return res, err
			}
			r, err := cg.GradientDescent(1e-3, maxIter)
			if err != nil {
				return res, fmt.Errorf("experiment: conditional τ_GD at level %d, L = %d, m = %g: %w", j, L, m, err)
			}
			if zeroSum {
				res.Levels = append(res.Levels, r)
				res.WCRG = max(res.WCRG, r.Iterations)
			} else {
				res.LevelsPhiCross = append(res.LevelsPhiCross, r)
				res.WCRGPhiCross = max(res.WCRGPhiCross, r.Iterations)
			}
		}
	}
	return res, nil
}
