// Package phi4 holds the lattice φ⁴ and massive Gaussian models and the Monte
// Carlo samplers that generate their fields (spec §6): checkerboard
// single-site Metropolis, Hybrid Monte Carlo and the embedded-Ising cluster
// (Brower–Tamayo / Wolff) hybrid, plus a stack generator and a runner for the
// plain-C reference benchmark.
//
// # Models
//
// Every model is a member of one local family on the periodic L×L lattice,
//
//	E(φ) = −J Σ_x Σ_μ φ_x φ_{x+μ} + Σ_x (A φ_x² + B φ_x⁴) + C·L²,      (μ ∈ {e₁, e₂}: 2L² bonds)
//
// described by a LocalForm. The samplers only see this form, so one kernel
// serves all models:
//
//   - Phi4 (spec §6.1): E = β/2 Σ_<xy>(φ_x−φ_y)² + Σ_x[φ_x⁴ − (1+2β)φ_x²]
//     = −β Σ_<xy> φ_xφ_y + Σ_x[φ_x⁴ − φ_x²], i.e. J = β, A = −1, B = 1, C = 0.
//   - KappaLambda: E = Σ_x[−2κ Σ_μ φ_xφ_{x+μ} + φ_x² + λ(φ_x²−1)²], i.e.
//     J = 2κ, A = 1−2λ, B = λ, C = λ.
//   - Gaussian: E = ½ Σ_x φ_x[(−Δ + m²)φ]_x = ½Σ_<xy>(φ_x−φ_y)² + ½m²Σφ², i.e.
//     J = 1, A = 2 + m²/2, B = 0, C = 0.
//
// # Conversions between the β form and the κ/λ form (derived; tested)
//
// Expanding (φ_x²−1)² gives KappaLambda = −2κΣφφ + Σ[λφ⁴ + (1−2λ)φ²] + λL².
//
//   - λ = 1: this is −2κΣφφ + Σ[φ⁴ − φ²] + L², the β form with β = 2κ plus
//     the constant L² (no rescaling of the field). Phi4.KappaLambda and
//     KappaLambda.Phi4 implement this exact map; the Boltzmann weights are
//     identical. The Kaupužs–Melnik–Rimšāns form −βΣφφ + Σ[φ² + λ(φ²−1)²]
//     quoted in the spec is KappaLambda with κ = β/2 for every λ.
//   - General λ: the κ/λ family has two parameters and the β form one, so a
//     κ/λ model with λ ≠ 1 is no β-form model. What a field rescaling does
//     is map the whole three-parameter family (J, A, B) onto the κ/λ form:
//     if φ = cψ then E(φ) = E'(ψ) with J' = c²J, A' = c²A, B' = c⁴B
//     (LocalForm.Rescale). Choosing u = c² as the positive root of
//     2Bu² + Au − 1 = 0, u = (−A + √(A² + 8B))/(4B) (u = 1/A for B = 0), makes
//     A' + 2B' = 1, which is the κ/λ form with κ = uJ/2, λ = u²B
//     (LocalForm.KappaLambda). For the β form (A = −1, B = 1) the root is
//     u = 1, recovering κ = β/2, λ = 1. Conversely a κ/λ field ψ with λ ≠ 1
//     is, after φ = cψ for any c > 0, the field of the local form
//     J = 2κ/c², A = (1−2λ)/c², B = λ/c⁴ — e.g. c = λ^{1/4} gives a unit
//     quartic coefficient, −(2κ/√λ)Σφφ + Σ[φ⁴ + ((1−2λ)/√λ)φ²]: a β-like form
//     whose quadratic coefficient is no longer −1.
//
// # Samplers
//
// All samplers implement Sampler: Thermalize adapts the step size (and the
// number of clusters per sweep) and then freezes it; Run performs sweeps at
// frozen parameters and calls an Observer after each sweep with a Progress
// value and the current field. Samplers are seeded from their settings
// (math/rand/v2's PCG-DXSM algorithm, one stream per lattice row and per
// purpose, derived deterministically from the seed), so the same seed gives
// the same fields for any worker count. A sweep allocates nothing.
package phi4
