// Package energy implements the WC-RG energy ansatz (spec §2): energies that
// are linear in their parameters, E = θ·U, made of translation-invariant
// quadratic interactions inside a window plus a scalar potential expanded on
// a basis of functions of one variable.
//
// A Model is the energy of one scale in one of two forms:
//
//   - conditional: Ē_j(φ̄_j, φ_j) on the three detail channels φ̄_j given the
//     coarse field φ_j, with the scalar potential acting on the reconstructed
//     finer field φ_{j−1} = γ_j(Gᵀφ_j + Ḡᵀφ̄_j) (spec §2.1–2.4);
//   - plain: E(φ) on one field, for the coarsest scale E_J, the direct
//     single-scale model of spec §3.3 and the free-energy models F̃_j.
//
// Channels are numbered as in the spec: a₀ = φ_j (conditioning, conditional
// models only), a₁, a₂, a₃ = φ̄_j^{1,2,3}; a plain model has one channel, a₁.
// All fields are row-major n×n grids with periodic boundaries; the detail
// coefficients are stored channel-major [a₁ | a₂ | a₃].
package energy

import (
	"fmt"
	"slices"
)

// Shift is a lattice displacement (s₁, s₂): s₁ along rows (axis 1), s₂ along
// columns (axis 2).
type Shift [2]int

// QuadTerm is the quadratic moment M_{c,d,s} = ½ Σ_x a_c(x) a_d(x − s), with
// c ≤ d, d ≥ 1 and the shift reduced modulo the grid side.
type QuadTerm struct {
	C, D int
	S    Shift
}

func (q QuadTerm) String() string { return fmt.Sprintf("M[%d,%d,(%d,%d)]", q.C, q.D, q.S[0], q.S[1]) }

// HalfPlane returns the half-plane shift set S⁺ of a (2w+1)×(2w+1) window
// (spec §2.2): {(0, j): 1 ≤ j ≤ w} ∪ {(i, j): 1 ≤ i ≤ w, −w ≤ j ≤ w}, of size
// 2w² + 2w.
func HalfPlane(w int) []Shift {
	var s []Shift
	for j := 1; j <= w; j++ {
		s = append(s, Shift{0, j})
	}
	for i := 1; i <= w; i++ {
		for j := -w; j <= w; j++ {
			s = append(s, Shift{i, j})
		}
	}
	return s
}

// canonical reduces s modulo n into (−n/2, n/2] in both coordinates.
func canonical(s Shift, n int) Shift {
	r := func(v int) int {
		v %= n
		if v < 0 {
			v += n
		}
		if 2*v > n {
			v -= n
		}
		return v
	}
	return Shift{r(s[0]), r(s[1])}
}

// negate returns −s reduced modulo n.
func negate(s Shift, n int) Shift { return canonical(Shift{-s[0], -s[1]}, n) }

// quadTerms lists the quadratic terms of a window of half-width w on an n×n
// grid. Conditional models use every channel pair (c, d) with c ≤ d, d ≥ 1,
// c ∈ {0, …, 3}; plain models the single pair (1, 1). Same-channel pairs use
// {0} ∪ S⁺ (s and −s give the same moment), distinct pairs {0} ∪ S⁺ ∪ −S⁺.
// On grids smaller than the window, shifts are reduced modulo n and
// duplicates (including s ≡ −s for same-channel pairs) are dropped, so that
// no two terms are identical functions (spec §2.2).
func quadTerms(conditional bool, w, n int) []QuadTerm {
	half := HalfPlane(w)
	var pairs [][2]int
	if conditional {
		// Order: φ_j × φ̄ cross terms, same-channel terms, distinct detail pairs.
		pairs = [][2]int{{0, 1}, {0, 2}, {0, 3}, {1, 1}, {2, 2}, {3, 3}, {1, 2}, {1, 3}, {2, 3}}
	} else {
		pairs = [][2]int{{1, 1}}
	}
	var terms []QuadTerm
	for _, p := range pairs {
		seen := make(map[Shift]bool)
		add := func(s Shift) {
			s = canonical(s, n)
			key := s
			if p[0] == p[1] {
				// M_{c,c,s} = M_{c,c,−s}: one representative per ± pair.
				if m := negate(s, n); less(m, s) {
					key = m
				}
			}
			if seen[key] {
				return
			}
			seen[key] = true
			terms = append(terms, QuadTerm{C: p[0], D: p[1], S: key})
		}
		add(Shift{0, 0})
		for _, s := range half {
			add(s)
		}
		if p[0] != p[1] {
			for _, s := range half {
				add(Shift{-s[0], -s[1]})
			}
		}
	}
	return terms
}

func less(a, b Shift) bool {
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	return a[1] < b[1]
}

// CountQuadTerms returns the number of quadratic parameters of a
// conditional model with window half-width w on a grid large enough for the
// window: 3(2|S⁺|+1) + 3(|S⁺|+1) + 3(2|S⁺|+1) (spec §2.2).
func CountQuadTerms(w int) int {
	s := 2*w*w + 2*w
	return 3*(2*s+1) + 3*(s+1) + 3*(2*s+1)
}

// sortTerms orders terms for display: by pair, then by |s|.
func sortTerms(t []QuadTerm) {
	slices.SortStableFunc(t, func(a, b QuadTerm) int {
		if a.C != b.C {
			return a.C - b.C
		}
		return a.D - b.D
	})
}
