package ising

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// enumeration is the joint histogram of all 2^{L²} configurations of the
// L×L torus by number of up spins k and energy H (brute force, an
// independent check of the transfer matrix and of Kaufman's formula).
type enumeration struct {
	L      int
	counts []float64 // [k·(2L²+1) + (H + 2L²)/2]: configurations with k up spins and energy H
}

// enumerate visits all configurations in Gray-code order, flipping one spin
// per step and updating k and H incrementally.
func enumerate(L int) enumeration {
	n := L * L
	s := make([]int, n)
	for i := range s {
		s[i] = -1
	}
	nb := func(i int) int {
		r, c := i/L, i%L
		return s[((r+1)%L)*L+c] + s[((r+L-1)%L)*L+c] + s[r*L+(c+1)%L] + s[r*L+(c+L-1)%L]
	}
	// All down: k = 0, H = −2L².
	k, H := 0, -2*n
	e := enumeration{L: L, counts: make([]float64, (n+1)*(2*n+1))}
	e.counts[(H+2*n)/2]++
	for g := uint64(1); g < 1<<n; g++ {
		i := 0
		for g>>i&1 == 0 { // the bit that changes in the Gray code
			i++
		}
		// ΔH of flipping s_i: 2 s_i h_i (a double bond for L = 2 counts twice,
		// as nb sums both directions).
		H += 2 * s[i] * nb(i)
		s[i] = -s[i]
		if s[i] == 1 {
			k++
		} else {
			k--
		}
		e.counts[k*(2*n+1)+(H+2*n)/2]++
	}
	return e
}

// exact returns the enumeration's ⟨|m|⟩, ⟨m²⟩, ⟨m⁴⟩ and ⟨H⟩/L² at β.
func (e enumeration) exact(beta float64) SmallExact {
	n := float64(e.L * e.L)
	var z, am, m2, m4, h float64
	nh := 2*e.L*e.L + 1
	for i, c := range e.counts {
		if c == 0 {
			continue
		}
		k, H := i/nh, 2*(i%nh)-(nh-1)
		w := c * math.Exp(-beta*float64(H+nh-1)) // relative to the ground state
		m := (2*float64(k) - n) / n
		z += w
		am += w * math.Abs(m)
		m2 += w * m * m
		m4 += w * m * m * m * m
		h += w * float64(H)
	}
	r := SmallExact{L: e.L, Beta: beta, MeanAbsM: am / z, M2: m2 / z, M4: m4 / z, Energy: h / z / n}
	r.Binder = 1 - r.M4/(3*r.M2*r.M2)
	return r
}

// TestBetaC checks the constant against its definition ½ ln(1+√2) and the
// self-duality condition sinh 2β_c = 1 (Kramers & Wannier 1941).
func TestBetaC(t *testing.T) {
	if d := BetaC - math.Log(1+math.Sqrt2)/2; math.Abs(d) > 1e-16 {
		t.Errorf("BetaC − ½ln(1+√2) = %g", d)
	}
	if d := math.Sinh(2*BetaC) - 1; math.Abs(d) > 1e-15 {
		t.Errorf("sinh 2β_c − 1 = %g", d)
	}
}

var exactBetas = []float64{0.01, 0.1, 0.3, 0.4, BetaC, 0.45, 0.6, 1, 2, 5}

// TestExactAgainstEnumeration: the transfer matrix (ExactSmall) and
// Kaufman's formula (ExactEnergy) against brute-force enumeration of all
// 2^{L²} configurations for L = 2 … 5. Both are exact; the tolerances are
// rounding (relative 10⁻¹²; 10⁻¹⁰ absolute for the energy, the brief's
// bound).
func TestExactAgainstEnumeration(t *testing.T) {
	for _, L := range []int{2, 3, 4, 5} {
		if L == 5 && testing.Short() {
			continue // 2²⁵ configurations: about a second
		}
		en := enumerate(L)
		for _, beta := range exactBetas {
			want := en.exact(beta)
			got, err := ExactSmall(L, beta)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"⟨|m|⟩", got.MeanAbsM, want.MeanAbsM}, {"⟨m²⟩", got.M2, want.M2}, {"⟨m⁴⟩", got.M4, want.M4},
				{"E", got.Energy, want.Energy}, {"U", got.Binder, want.Binder},
			} {
				if math.Abs(c.got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
					t.Errorf("L=%d β=%g: transfer-matrix %s = %.15g, enumeration %.15g", L, beta, c.name, c.got, c.want)
				}
			}
			if e := ExactEnergy(L, beta); !(math.Abs(e-want.Energy) < 1e-10) {
				t.Errorf("L=%d β=%g: Kaufman E = %.15g, enumeration %.15g (Δ=%.2g)", L, beta, e, want.Energy, e-want.Energy)
			}
		}
	}
}

// TestExactEnergyMatchesTransfer: Kaufman's formula against the transfer
// matrix for L = 4 … 8 (and 9, 10 without -short), to 10⁻¹⁰.
func TestExactEnergyMatchesTransfer(t *testing.T) {
	maxL := 8
	if !testing.Short() {
		maxL = 10
	}
	for L := 4; L <= maxL; L++ {
		betas := exactBetas
		if L > 8 {
			betas = []float64{0.3, BetaC, 0.6} // ≈ 1.5 s per value at L = 10
		}
		for _, beta := range betas {
			ex, err := ExactSmall(L, beta)
			if err != nil {
				t.Fatal(err)
			}
			if e := ExactEnergy(L, beta); !(math.Abs(e-ex.Energy) < 1e-10) {
				t.Errorf("L=%d β=%g: Kaufman E = %.15g, transfer matrix %.15g (Δ=%.2g)", L, beta, e, ex.Energy, e-ex.Energy)
			}
		}
	}
}

// onsagerEnergy is the infinite-lattice energy per site (Onsager 1944; e.g.
// Huang, Statistical Mechanics, 2nd ed., eq. 15.132 with J = 1):
// u = −coth 2β [1 + (2/π)(2 tanh² 2β − 1) K(κ)], κ = 2 sinh 2β / cosh² 2β,
// K the complete elliptic integral of the first kind (parameter κ²).
func onsagerEnergy(beta float64) float64 {
	k := 2 * math.Sinh(2*beta) / math.Pow(math.Cosh(2*beta), 2)
	th := math.Tanh(2 * beta)
	return -1 / th * (1 + 2/math.Pi*(2*th*th-1)*mathext.CompleteK(k*k))
}

// TestExactEnergyLimits: β → 0 (E ≈ −2 tanh β, the leading high-temperature
// term: ⟨s_x s_y⟩ = tanh β + O(tanh³β) on a lattice without loops shorter
// than 4), β → ∞ (E → −2, the ground state), the infinite-lattice limit
// (Onsager) away from β_c where finite-size corrections are exponentially
// small, and at β_c, where E(L) = −√2 + O(1/L) (Ferdinand & Fisher 1969).
func TestExactEnergyLimits(t *testing.T) {
	for _, L := range []int{4, 8, 64, 1024} {
		for _, beta := range []float64{1e-30, 1e-12, 1e-6, 1e-3} {
			e := ExactEnergy(L, beta)
			// ⟨s s'⟩ = t + 2t³ + O(t⁵) for L ≥ 5; L = 4 adds the wrapping path of length 3.
			tb := math.Tanh(beta)
			// Absolute tolerance 10⁻¹⁵: the sum over the γ_l cancels to O(β)
			// from terms of O(1), so the relative accuracy at tiny β is lower.
			if d := e + 2*tb; math.Abs(d) > 12*tb*tb*tb+1e-15 {
				t.Errorf("L=%d β=%g: E = %.17g, want −2 tanh β = %.17g + O(β³)", L, beta, e, -2*tb)
			}
		}
		for _, beta := range []float64{10, 39.9, 40.1, 1e3} {
			if e := ExactEnergy(L, beta); math.Abs(e+2) > 1e-14 {
				t.Errorf("L=%d β=%g: E = %.17g, want −2", L, beta, e)
			}
		}
		if e := ExactEnergy(L, 0); e != 0 {
			t.Errorf("L=%d: E(β=0) = %g", L, e)
		}
	}
	for _, beta := range []float64{0.2, 0.3, 0.6, 0.8} {
		if e, u := ExactEnergy(1024, beta), onsagerEnergy(beta); math.Abs(e-u) > 1e-12 {
			t.Errorf("β=%g: E(L=1024) = %.15g, Onsager %.15g", beta, e, u)
		}
	}
	for _, L := range []int{64, 256, 1024, 4096} {
		e := ExactEnergy(L, BetaC)
		t.Logf("L=%d: E(β_c) + √2 = %.6g, ·L = %.4f", L, e+math.Sqrt2, (e+math.Sqrt2)*float64(L))
		if d := e + math.Sqrt2; math.Abs(d) > 2/float64(L) {
			t.Errorf("L=%d: E(β_c) = %.10g, want −√2 + O(1/L)", L, e)
		}
	}
	for _, bad := range []struct {
		L    int
		beta float64
	}{{1, 0.4}, {4, -1}, {4, math.NaN()}, {4, math.Inf(1)}} {
		if e := ExactEnergy(bad.L, bad.beta); !math.IsNaN(e) {
			t.Errorf("ExactEnergy(%d, %g) = %g, want NaN", bad.L, bad.beta, e)
		}
	}
	for _, bad := range []struct {
		L    int
		beta float64
	}{{1, 0.4}, {11, 0.4}, {4, -1}, {4, math.NaN()}} {
		if _, err := ExactSmall(bad.L, bad.beta); err == nil {
			t.Errorf("ExactSmall(%d, %g) accepted", bad.L, bad.beta)
		}
	}
}
