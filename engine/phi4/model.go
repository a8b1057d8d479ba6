package phi4

import (
	"fmt"
	"github.com/wcrglab/wcrg/engine/lattice"
	"math"

	"github.com/wcrglab/wcrg/engine/gaussfield"
)

// Model is an energy on the periodic L×L lattice with nearest-neighbour
// coupling and an even on-site potential (see the package documentation).
// Fields are row-major []float64 of length L² (spec §0).
type Model interface {
	// Side returns the lattice side L.
	Side() int
	// Energy returns E(φ).
	Energy(phi []float64) float64
	// DeltaEnergy returns E(φ') − E(φ), where φ' is φ with site i set to v.
	DeltaEnergy(phi []float64, i int, v float64) float64
	// Gradient writes ∇E(φ) into dst.
	Gradient(dst, phi []float64)
	// Form returns the model's coefficients in the common local family.
	Form() LocalForm
	// Validate reports whether the parameters describe a normalizable model
	// on a lattice the samplers support.
	Validate() error
}

// LocalForm is the family every model of this package belongs to:
//
//	E(φ) = −J Σ_x Σ_μ φ_x φ_{x+μ} + Σ_x (A φ_x² + B φ_x⁴) + C·L²,
//
// with μ ∈ {e₁, e₂} (2L² bonds, periodic). The on-site potential is even, so
// the embedded-Ising cluster update applies whenever J ≥ 0.
type LocalForm struct {
	L       int
	J, A, B float64
	C       float64 // constant per site; no effect on the distribution
}

// checkSide validates a lattice side: even (checkerboard updates) and ≥ 4.
func checkSide(L int) error {
	if L < 4 || L%2 != 0 {
		return fmt.Errorf("phi4: lattice side %d is not supported (want an even L ≥ 4)", L)
	}
	if L > 1<<14 {
		return fmt.Errorf("phi4: lattice side %d is too large (at most %d)", L, 1<<14)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Validate checks that the form is finite, normalizable (B > 0, or B = 0 and
// the quadratic form positive definite: 2A − 4|J| > 0) and that L is even
// and at least 4.
func (f LocalForm) Validate() error {
	if err := checkSide(f.L); err != nil {
		return err
	}
	if !finite(f.J) || !finite(f.A) || !finite(f.B) || !finite(f.C) {
		return fmt.Errorf("phi4: local form J=%g A=%g B=%g C=%g is not finite", f.J, f.A, f.B, f.C)
	}
	if f.B < 0 {
		return fmt.Errorf("phi4: quartic coefficient B=%g < 0 (the distribution is not normalizable)", f.B)
	}
	if f.B == 0 && !(2*f.A-4*math.Abs(f.J) > 0) {
		return fmt.Errorf("phi4: Gaussian form J=%g A=%g is not positive definite (want 2A − 4|J| > 0)", f.J, f.A)
	}
	return nil
}

// Side returns L.
func (f LocalForm) Side() int { return f.L }

// Form returns f itself.
func (f LocalForm) Form() LocalForm { return f }

func (f LocalForm) check(n int) {
	if n != f.L*f.L {
		panic(fmt.Sprintf("phi4: field of length %d, want %d×%d", n, f.L, f.L))
	}
}

// Energy returns E(φ). Rows are summed in order, so the result is exactly
// reproducible.
func (f LocalForm) Energy(phi []float64) float64 {
	f.check(len(phi))
	L := f.L
	var bonds, pot float64
	for r := 0; r < L; r++ {
		rd := r + 1
		if rd == L {
			rd = 0
		}
		b, p := f.rowEnergy(phi[r*L:r*L+L], phi[rd*L:rd*L+L])
		bonds += b
		pot += p
	}
	return -f.J*bonds + pot + f.C*float64(L*L)
}

// rowEnergy returns Σ φ_xφ_{x+μ} over the bonds right of and below the sites
// of row, and Σ (Aφ² + Bφ⁴) over row.
func (f LocalForm) rowEnergy(row, down []float64) (bonds, pot float64) {
	n := len(row)
	down = down[:n]
	for c := 0; c < n-1; c++ {
		v := row[c]
		v2 := v * v
		bonds += v * (row[c+1] + down[c])
		pot += v2 * (f.A + f.B*v2)
	}
	v := row[n-1]
	v2 := v * v
	bonds += v * (row[0] + down[n-1])
	pot += v2 * (f.A + f.B*v2)
	return bonds, pot
}

// neighbours returns the sum of the four neighbours of site i.
func (f LocalForm) neighbours(phi []float64, i int) float64 {
	L := f.L
	r, c := i/L, i%L
	ru, rd, cl, cr := lattice.Neighbours(r, c, L)
	return phi[ru*L+c] + phi[rd*L+c] + phi[r*L+cl] + phi[r*L+cr]
}

// DeltaEnergy returns E(φ') − E(φ) for φ' equal to φ except φ'_i = v:
// −J·nb·(v − φ_i) + A(v² − φ_i²) + B(v⁴ − φ_i⁴), nb the neighbour sum.
func (f LocalForm) DeltaEnergy(phi []float64, i int, v float64) float64 {
	f.check(len(phi))
	old := phi[i]
	o2, n2 := old*old, v*v
	return -f.J*f.neighbours(phi, i)*(v-old) + (n2-o2)*(f.A+f.B*(n2+o2))
}

// Gradient writes ∂E/∂φ_x = −J Σ_{y~x} φ_y + 2Aφ_x + 4Bφ_x³ into dst.
func (f LocalForm) Gradient(dst, phi []float64) {
	f.check(len(phi))
	f.check(len(dst))
	f.gradRows(dst, phi, 0, f.L)
}

// gradRows computes the gradient on rows [lo, hi).
func (f LocalForm) gradRows(dst, phi []float64, lo, hi int) {
	L := f.L
	J, A2, B4 := f.J, 2*f.A, 4*f.B
	for r := lo; r < hi; r++ {
		ru, rd := r-1, r+1
		if ru < 0 {
			ru = L - 1
		}
		if rd == L {
			rd = 0
		}
		row := phi[r*L : r*L+L]
		up := phi[ru*L : ru*L+L]
		dn := phi[rd*L : rd*L+L]
		g := dst[r*L : r*L+L]
		up, dn, g = up[:len(row)], dn[:len(row)], g[:len(row)]
		n := len(row)
		v := row[0]
		g[0] = -J*(row[n-1]+row[1]+up[0]+dn[0]) + v*(A2+B4*v*v)
		for c := 1; c < n-1; c++ {
			v := row[c]
			g[c] = -J*(row[c-1]+row[c+1]+up[c]+dn[c]) + v*(A2+B4*v*v)
		}
		v = row[n-1]
		g[n-1] = -J*(row[n-2]+row[0]+up[n-1]+dn[n-1]) + v*(A2+B4*v*v)
	}
}

// EnergyGrad writes ∇E(φ) into grad and returns E(φ) and true; it makes a
// model usable as an engine/mcmc Target.
func (f LocalForm) EnergyGrad(phi, grad []float64) (float64, bool) {
	f.Gradient(grad, phi)
	return f.Energy(phi), true
}

// Rescale returns the form F' of the rescaled field ψ = φ/c: F'(ψ) = F(cψ),
// so J' = c²J, A' = c²A, B' = c⁴B, C' = C. If φ is distributed as e^{−F},
// then φ/c is distributed as e^{−F'}. It panics unless c > 0.
func (f LocalForm) Rescale(c float64) LocalForm {
	if !(c > 0) || math.IsInf(c, 0) {
		panic(fmt.Sprintf("phi4: rescaling factor %g is not positive and finite", c))
	}
	c2 := c * c
	return LocalForm{L: f.L, J: c2 * f.J, A: c2 * f.A, B: c2 * c2 * f.B, C: f.C}
}

// KappaLambda returns the κ/λ model and the scale c such that, for every
// field φ, F(φ) = E_κλ(φ/c) + (C − λ)L²: the field φ of this form is c times
// a field of the κ/λ model. c² = u is the positive root of 2Bu² + Au = 1
// (u = 1/A when B = 0). It fails if no such root exists (B = 0 and A ≤ 0).
func (f LocalForm) KappaLambda() (m KappaLambda, c float64, err error) {
	var u float64
	switch {
	case f.B > 0:
		u = (-f.A + math.Sqrt(f.A*f.A+8*f.B)) / (4 * f.B)
	case f.B == 0 && f.A > 0:
		u = 1 / f.A
	default:
		return KappaLambda{}, 0, fmt.Errorf("phi4: local form A=%g B=%g has no κ/λ equivalent", f.A, f.B)
	}
	return KappaLambda{L: f.L, Kappa: u * f.J / 2, Lambda: u * u * f.B}, math.Sqrt(u), nil
}

// Phi4 is the φ⁴ model of spec §6.1 (from the CSLC paper, §3.1):
//
//	E(φ) = β/2 Σ_<xy>(φ_x−φ_y)² + Σ_x[φ_x⁴ − (1+2β)φ_x²] = −β Σ_<xy> φ_xφ_y + Σ_x[φ_x⁴ − φ_x²]
//
// on the periodic L×L lattice (2L² bonds). β_c ≈ 0.68; β > β_c is ordered.
type Phi4 struct {
	L    int
	Beta float64
}

// Validate checks L (even, ≥ 4) and that β is finite.
func (m Phi4) Validate() error {
	if err := checkSide(m.L); err != nil {
		return err
	}
	if !finite(m.Beta) {
		return fmt.Errorf("phi4: β=%g is not finite", m.Beta)
	}
	return nil
}

// Form returns J = β, A = −1, B = 1, C = 0.
func (m Phi4) Form() LocalForm { return LocalForm{L: m.L, J: m.Beta, A: -1, B: 1} }

// Side returns L.
func (m Phi4) Side() int { return m.L }

// Energy returns E(φ).
func (m Phi4) Energy(phi []float64) float64 { return m.Form().Energy(phi) }

// DeltaEnergy returns the energy change of setting site i to v.
func (m Phi4) DeltaEnergy(phi []float64, i int, v float64) float64 {
	return m.Form().DeltaEnergy(phi, i, v)
}

// Gradient writes ∇E(φ) into dst.
func (m Phi4) Gradient(dst, phi []float64) { m.Form().Gradient(dst, phi) }

// EnergyGrad writes ∇E(φ) into grad and returns E(φ), true (an mcmc Target).
func (m Phi4) EnergyGrad(phi, grad []float64) (float64, bool) { return m.Form().EnergyGrad(phi, grad) }

// KappaLambda returns the same model in the κ/λ form: κ = β/2, λ = 1, with
// E_κλ(φ) = E_β(φ) + L² for every φ (no rescaling of the field).
func (m Phi4) KappaLambda() KappaLambda { return KappaLambda{L: m.L, Kappa: m.Beta / 2, Lambda: 1} }

// KappaLambda is the lattice φ⁴ model in the hopping-parameter form
//
//	E(φ) = Σ_x [−2κ Σ_μ φ_xφ_{x+μ} + φ_x² + λ(φ_x²−1)²],
//
// with μ ∈ {e₁, e₂}. With κ = β/2 it is the Kaupužs–Melnik–Rimšāns form
// −βΣφφ + Σ[φ² + λ(φ²−1)²]; λ = 1 is the β form of Phi4 (see the package
// documentation for general λ).
type KappaLambda struct {
	L             int
	Kappa, Lambda float64
}

// Validate checks L, that κ and λ are finite, λ ≥ 0, and κ < 1/4 when λ = 0
// (the Gaussian limit must be normalizable).
func (m KappaLambda) Validate() error {
	if err := checkSide(m.L); err != nil {
		return err
	}
	if !finite(m.Kappa) || !finite(m.Lambda) {
		return fmt.Errorf("phi4: κ=%g λ=%g is not finite", m.Kappa, m.Lambda)
	}
	if m.Lambda < 0 {
		return fmt.Errorf("phi4: λ=%g < 0 (the distribution is not normalizable)", m.Lambda)
	}
	return m.Form().Validate()
}

// Form returns J = 2κ, A = 1 − 2λ, B = λ, C = λ.
func (m KappaLambda) Form() LocalForm {
	return LocalForm{L: m.L, J: 2 * m.Kappa, A: 1 - 2*m.Lambda, B: m.Lambda, C: m.Lambda}
}

// Side returns L.
func (m KappaLambda) Side() int { return m.L }

// Energy returns E(φ).
func (m KappaLambda) Energy(phi []float64) float64 { return m.Form().Energy(phi) }

// DeltaEnergy returns the energy change of setting site i to v.
func (m KappaLambda) DeltaEnergy(phi []float64, i int, v float64) float64 {
	return m.Form().DeltaEnergy(phi, i, v)
}

// Gradient writes ∇E(φ) into dst.
func (m KappaLambda) Gradient(dst, phi []float64) { m.Form().Gradient(dst, phi) }

// EnergyGrad writes ∇E(φ) into grad and returns E(φ), true (an mcmc Target).
func (m KappaLambda) EnergyGrad(phi, grad []float64) (float64, bool) {
	return m.Form().EnergyGrad(phi, grad)
}

// Phi4 returns the β-form model β = 2κ. It is exact only for λ = 1
// (E_β = E_κλ − L²); for other λ it returns an error, since no β-form model
// has the same distribution (see LocalForm.KappaLambda for rescalings).
func (m KappaLambda) Phi4() (Phi4, error) {
	if m.Lambda != 1 {
		return Phi4{}, fmt.Errorf("phi4: κ/λ model with λ=%g has no β form (only λ = 1 does)", m.Lambda)
	}
	return Phi4{L: m.L, Beta: 2 * m.Kappa}, nil
}

// Gaussian is the massive lattice free field E(φ) = ½ Σ_x φ_x[(−Δ + m²)φ]_x,
// with covariance (−Δ + m²)⁻¹, structure factor S(k) = 1/(m² + K̂(k)) and
// second-moment correlation length exactly 1/m (spec §7.2).
type Gaussian struct {
	L    int
	Mass float64
}

// Validate checks L and that the mass is positive and finite.
func (m Gaussian) Validate() error {
	if err := checkSide(m.L); err != nil {
		return err
	}
	if !(m.Mass > 0) || math.IsInf(m.Mass, 0) {
		return fmt.Errorf("phi4: Gaussian mass %g is not positive and finite", m.Mass)
	}
	return nil
}

// Form returns J = 1, A = 2 + m²/2, B = 0, C = 0.
func (m Gaussian) Form() LocalForm {
	return LocalForm{L: m.L, J: 1, A: 2 + m.Mass*m.Mass/2}
}

// Side returns L.
func (m Gaussian) Side() int { return m.L }

// Energy returns E(φ).
func (m Gaussian) Energy(phi []float64) float64 { return m.Form().Energy(phi) }

// DeltaEnergy returns the energy change of setting site i to v.
func (m Gaussian) DeltaEnergy(phi []float64, i int, v float64) float64 {
	return m.Form().DeltaEnergy(phi, i, v)
}

// Gradient writes ∇E(φ) = (−Δ + m²)φ into dst.
func (m Gaussian) Gradient(dst, phi []float64) { m.Form().Gradient(dst, phi) }

// EnergyGrad writes ∇E(φ) into grad and returns E(φ), true (an mcmc Target).
func (m Gaussian) EnergyGrad(phi, grad []float64) (float64, bool) {
	return m.Form().EnergyGrad(phi, grad)
}

// Spectrum returns the exact structure factor S(k) = 1/(m² + K̂(k)).
func (m Gaussian) Spectrum() gaussfield.Spectrum { return gaussfield.FreeField(m.Mass) }

// Phi2 returns the exact ⟨φ_x²⟩ = (1/L²) Σ_k S(k) on the L×L lattice.
func (m Gaussian) Phi2() float64 {
	s := m.Spectrum()
	var sum float64
	for i := 0; i < m.L; i++ {
		k1 := 2 * math.Pi * float64(i) / float64(m.L)
		for j := 0; j < m.L; j++ {
			sum += s(k1, 2*math.Pi*float64(j)/float64(m.L))
		}
	}
	return sum / float64(m.L*m.L)
}

// Xi returns the exact second-moment correlation length 1/m.
func (m Gaussian) Xi() float64 { return 1 / m.Mass }

// NewExactSampler returns an exact Fourier sampler of the model (engine/gaussfield).
func (m Gaussian) NewExactSampler() (*gaussfield.Sampler, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return gaussfield.NewSampler(m.L, m.Spectrum())
}
