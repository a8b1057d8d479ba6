package ising

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/mcmc"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// binderJackknife returns the Binder cumulant U = 1 − ⟨m⁴⟩/(3⟨m²⟩²) of the
// series m (magnetization per site) and its jackknife error over nb
// consecutive blocks, which must be much longer than τ_int.
func binderJackknife(m []float64, nb int) (u, se float64) {
	bl := len(m) / nb
	b2, b4 := make([]float64, nb), make([]float64, nb)
	var s2, s4 float64
	for b := range nb {
		for _, v := range m[b*bl : (b+1)*bl] {
			b2[b] += v * v
			b4[b] += v * v * v * v
		}
		s2 += b2[b]
		s4 += b4[b]
	}
	n := float64(nb * bl)
	u = 1 - (s4/n)/(3*(s2/n)*(s2/n))
	jk := make([]float64, nb)
	var mean float64
	for b := range jk {
		nn := n - float64(bl)
		m2, m4 := (s2-b2[b])/nn, (s4-b4[b])/nn
		jk[b] = 1 - m4/(3*m2*m2)
		mean += jk[b] / float64(nb)
	}
	var v float64
	for _, x := range jk {
		v += (x - mean) * (x - mean)
	}
	return u, math.Sqrt(v * float64(nb-1) / float64(nb))
}

// TestBinderCrossing (long): Wolff chains at L = 16, 32, 64 and β = 0.43,
// β_c, 0.45. Below β_c the Binder cumulant U_L decreases with L, above it
// increases, so the curves cross between 0.43 and 0.45, bracketing β_c; at
// β_c, U_L is the universal U* = 0.61069 (Kamieniarz & Blöte, J. Phys. A 26,
// 201, 1993; Salas & Sokal, J. Stat. Phys. 98, 551, 2000: 0.61069…) up to a
// finite-size correction that decreases with L and is below the exact
// ExactSmall(8, β_c) excess, U_8 − U* = 0.0024 (this package's transfer
// matrix). Errors: jackknife over 50 blocks of ≥ 800 sweeps (τ_int(|m|) of
// Wolff is a few sweeps). Differences between sides must exceed 3 combined
// errors; U(β_c) must be within 4 errors plus the finite-size bound.
func TestBinderCrossing(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test (≈ 10 s on two cores)")
	}
	const uStar = 0.61069 // Kamieniarz & Blöte 1993
	ex8, err := ExactSmall(8, BetaC)
	if err != nil {
		t.Fatal(err)
	}
	fsBound := ex8.Binder - uStar
	sides := []int{16, 32, 64}
	betas := []float64{0.43, BetaC, 0.45}
	type res struct{ u, se float64 }
	out := make([][]res, len(betas))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for bi, beta := range betas {
		out[bi] = make([]res, len(sides))
		for li, L := range sides {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				m := Model{L: L, Beta: beta}
				sweeps := 40000
				mag := make([]float64, 0, sweeps)
				s, _ := NewSampler(AlgWolff, m, uint64(100+10*bi+li))
				f := lattice.NewField(L)
				HotStart(f, m, uint64(7+li))
				ctx := context.Background()
				if err := s.Thermalize(ctx, f, 1000, nil); err != nil {
					t.Error(err)
					return
				}
				err := s.Run(ctx, f, sweeps, func(_ phi4.Progress, f lattice.Field) error {
					mag = append(mag, lattice.Magnetization(f))
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				absM := make([]float64, len(mag))
				for i, v := range mag {
					absM[i] = math.Abs(v)
				}
				ti, _ := mcmc.IntegratedTime([][]float64{absM}, mcmc.AutocorrSettings{})
				u, se := binderJackknife(mag, 50)
				if ti.Tau*20 > float64(sweeps/50) {
					t.Errorf("L=%d β=%g: τ_int(|m|) = %.1f too long for the blocks", L, beta, ti.Tau)
				}
				t.Logf("L=%d β=%.4f: U = %.4f ± %.4f, τ_int(|m|) = %.2f sweeps", L, beta, u, se, ti.Tau)
				out[bi][li] = res{u, se}
			}()
		}
	}
	wg.Wait()
	for li := 0; li+1 < len(sides); li++ {
		lo, hi := out[0], out[2]
		d := lo[li+1].u - lo[li].u
		e := math.Hypot(lo[li+1].se, lo[li].se)
		if !(d < -3*e) {
			t.Errorf("β=0.43: U_%d − U_%d = %.4f ± %.4f, want < 0 (below β_c U decreases with L)", sides[li+1], sides[li], d, e)
		}
		d = hi[li+1].u - hi[li].u
		e = math.Hypot(hi[li+1].se, hi[li].se)
		if !(d > 3*e) {
			t.Errorf("β=0.45: U_%d − U_%d = %.4f ± %.4f, want > 0 (above β_c U increases with L)", sides[li+1], sides[li], d, e)
		}
	}
	for li, L := range sides {
		r := out[1][li]
		if dev := r.u - uStar; math.Abs(dev) > 4*r.se+fsBound {
			t.Errorf("L=%d: U(β_c) = %.4f ± %.4f, want U* = %.5f within 4σ + %.4f", L, r.u, r.se, uStar, fsBound)
		}
	}
}

// TestTauWolffVsMetropolis (long): at β_c and L = 32, τ_int(|m|) of Wolff
// (in sweeps of ≈ L² flipped spins) is far below Metropolis' (z ≈ 2.17 vs
// ≈ 0.25; Nightingale & Blöte, Phys. Rev. Lett. 76, 4548, 1996; Coddington &
// Baillie, Phys. Rev. Lett. 68, 962, 1992). Swendsen–Wang is also checked.
func TestTauWolffVsMetropolis(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical test (≈ 2 s)")
	}
	m := Model{L: 32, Beta: BetaC}
	tau := map[Algorithm]phi4.TauMeasurement{}
	for _, alg := range Algorithms() {
		ens, err := Ensemble(m, alg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := phi4.MeasureChainTau(context.Background(), ens, phi4.TauSettings{Seed: 21, Chains: 2, RunInTau: 2000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s L=32 β_c: τ_int(|m|) = %.2f ± %.2f, τ_int(E) = %.2f ± %.2f (%d×%d sweeps, %.1f µs/sweep), U = %.4f",
			alg, r.AbsM.Tau, r.AbsM.TauErr, r.Energy.Tau, r.Energy.TauErr, r.Sweeps, r.Chains, 1e6*r.SecPerSweep, r.Binder)
		if !r.AbsM.Reliable() {
			t.Errorf("%s: τ_int not reliable", alg)
		}
		tau[alg] = r
	}
	// Wolff must be at least 5 times faster, SW (τ ≈ 4 at L = 32, Salas &
	// Sokal 1997's energy values are similar) at least 3 times, each with 3
	// errors on both sides.
	metro := tau[AlgMetropolis].AbsM
	for alg, factor := range map[Algorithm]float64{AlgWolff: 5, AlgSwendsenWang: 3} {
		c := tau[alg].AbsM
		if !(factor*(c.Tau+3*c.TauErr) < metro.Tau-3*metro.TauErr) {
			t.Errorf("%s τ_int(|m|) = %.2f ± %.2f is not %g times below Metropolis' %.2f ± %.2f", alg, c.Tau, c.TauErr, factor, metro.Tau, metro.TauErr)
		}
	}
}
