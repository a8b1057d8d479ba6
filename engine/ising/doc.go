// Package ising holds the two-dimensional nearest-neighbour Ising model on
// the periodic L×L lattice, its Monte Carlo samplers and exact finite-lattice
// values to check them against.
//
// # Model
//
// Spins s_x = ±1 are stored as float64 in a lattice.Field (row-major, L×L,
// periodic), so that Ising configurations go through the same data sets,
// files and analyses as φ⁴ fields. The energy (dimensionless; β carries the
// temperature) is
//
//	H(s) = −Σ_x Σ_{μ∈{e₁,e₂}} s_x s_{x+μ}        (2L² bonds),
//
// with Boltzmann weight exp(−βH). The infinite-lattice critical coupling is
// β_c = ½ ln(1+√2) (Kramers–Wannier 1941; Onsager 1944), BetaC.
//
// # Samplers
//
// Three algorithms implement phi4.Chain, so that the generic drivers of
// package phi4 (MakeChainDataset, MeasureChainTau) run them:
//
//   - "metropolis": checkerboard single-spin-flip Metropolis; one sweep
//     visits every site once.
//   - "wolff": single-cluster updates (U. Wolff, Phys. Rev. Lett. 62, 361,
//     1989); one sweep is a fixed number n_c of cluster flips, chosen during
//     thermalization so that about L² spins are flipped per sweep.
//   - "sw": Swendsen–Wang (Phys. Rev. Lett. 58, 86, 1987); one sweep is one
//     bond percolation over all 2L² bonds followed by flipping every
//     cluster with probability ½.
//
// Each chain runs on one core; parallelism comes from independent chains in
// the drivers. Every sampler draws from math/rand/v2 PCG streams derived
// from its seed, so the same seed gives the same chain.
//
// # Exact values
//
// ExactEnergy is ⟨H⟩/L² on the finite torus from Kaufman's exact partition
// function (B. Kaufman, Phys. Rev. 76, 1232, 1949; in the form of A. E.
// Ferdinand and M. E. Fisher, Phys. Rev. 185, 832, 1969), for any L.
// ExactSmall adds the magnetization moments and the Binder cumulant for
// L ≤ 10 from a transfer matrix that carries the magnetization histogram.
package ising
