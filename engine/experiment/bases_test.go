package experiment

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

func readDemo(t *testing.T) lattice.Stack {
	t.Helper()
	st, _, err := fieldio.Read("../../testdata/phi4_L32_beta0.68.npy", fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return *st
}

// checkBasisResult checks what must hold for any data: finite figures,
// fractions in [0, 1], monotone tails, sorted eigenvalues.
func checkBasisResult(t *testing.T, r BasisResult) {
	t.Helper()
	for name, v := range map[string]float64{"gamma": r.Gamma, "decay": r.Decay, "decay same": r.DecaySame,
		"decay index": r.DecayIndex, "ref decay": r.RefDecay, "train loss": r.TrainLoss, "test loss": r.TestLoss,
		"cond sm": r.CondSM, "eig min": r.EigMin, "eig max": r.EigMax, "tau": r.Tau, "delta": r.Delta,
		"acceptance": r.Acceptance, "curvature": r.MeanCurvature, "ref cond": r.RefCond} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: %s = %g", r.Basis, name, v)
		}
	}
	for name, v := range map[string]float64{"decay": r.Decay, "decay same": r.DecaySame, "decay index": r.DecayIndex,
		"ref decay": r.RefDecay, "ref decay same": r.RefDecaySame, "acceptance": r.Acceptance} {
		if v < 0 || v > 1 {
			t.Errorf("%s: %s = %g not in [0, 1]", r.Basis, name, v)
		}
	}
	if !(r.Tau >= 0.5) || !(r.Delta > 0) {
		t.Errorf("%s: τ = %g, δ = %g", r.Basis, r.Tau, r.Delta)
	}
	if len(r.Eigenvalues) != 3*r.Side*r.Side || !slices.IsSorted(r.Eigenvalues) {
		t.Errorf("%s: %d eigenvalues (want %d, ascending)", r.Basis, len(r.Eigenvalues), 3*r.Side*r.Side)
	}
	if r.EigMin > 0 && math.Abs(r.CondFourier-r.EigMax/r.EigMin) > 1e-12*r.CondFourier {
		t.Errorf("%s: κ = %g, eigenvalues [%g, %g]", r.Basis, r.CondFourier, r.EigMin, r.EigMax)
	}
	for _, tail := range [][]TailPoint{r.Tail, r.RefTail} {
		if len(tail) < 2 || tail[0].Distance != 0 || tail[0].Tail > 1 || tail[len(tail)-1].Tail > 1e-12 {
			t.Errorf("%s: tail %v … does not run from 1 to 0", r.Basis, tail[:min(len(tail), 3)])
			continue
		}
		for i := 1; i < len(tail); i++ {
			if tail[i].Distance <= tail[i-1].Distance || tail[i].Tail > tail[i-1].Tail {
				t.Errorf("%s: tail not monotone at %d: %v, %v", r.Basis, i, tail[i-1], tail[i])
				break
			}
		}
	}
}

// TestCompareBasesDemo runs the study on the shipped φ⁴ data (256 fields of
// 32², β = 0.68) with short relaxation chains. The learned couplings of 192
// training fields are too noisy to order the bases (TestCompareBasesPhysics
// does that on more data); the nearest-neighbour references are exact.
func TestCompareBasesDemo(t *testing.T) {
	st := readDemo(t)
	set := DefaultBasesSettings()
	set.Steps, set.Chains, set.Adapt = 400, 4, 100
	var stages []string
	res, err := CompareBases(context.Background(), st, set, func(p BasesProgress) {
		if p.Fraction < 0 || p.Fraction > 1+1e-12 || p.Count != 3 {
			t.Errorf("progress %+v", p)
		}
		if p.Stage == "done" {
			stages = append(stages, p.Basis)
			if p.Finished == nil || p.Finished.Basis != p.Basis {
				t.Errorf("done without the result: %+v", p)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || !slices.Equal(stages, []string{"haar", "db4", "shannon"}) {
		t.Fatalf("%d results, finished %v", len(res), stages)
	}
	by := map[string]BasisResult{}
	for _, r := range res {
		checkBasisResult(t, r)
		by[r.Basis] = r
		if r.Train != 192 || r.Test != 64 || r.Side != 16 || r.Params != energy.CountQuadTerms(4)+29 {
			t.Errorf("%s: split %d/%d, side %d, %d parameters", r.Basis, r.Train, r.Test, r.Side, r.Params)
		}
		t.Logf("%-8s γ %.3f decay %.4f (same-channel %.4f, index %.4f; Laplacian %.4f, %.4f) loss %.4f/%.4f κ_F %.3g κ_SM %.3g τ %.1f±%.1f (%.1fs)",
			r.Basis, r.Gamma, r.Decay, r.DecaySame, r.DecayIndex, r.RefDecay, r.RefDecaySame, r.TrainLoss, r.TestLoss,
			r.CondFourier, r.CondSM, r.Tau, r.TauErr, r.Seconds)
	}
	// Haar couples only neighbouring coarse sites (spec §2.1: support
	// |δ|_∞ ≤ 1), so nothing of the exact couplings lies beyond distance 2.
	// Shannon's within-band kernels have a kink at the band edge and decay
	// like 1/|δ|², slower than db4's (compact, |δ|_∞ ≤ 4, small taps).
	h, d, s := by["haar"], by["db4"], by["shannon"]
	if h.RefDecay > 1e-20 || !(s.RefDecaySame > 2*d.RefDecaySame && d.RefDecaySame > 0) {
		t.Errorf("reference same-channel decay: haar %g, db4 %g, shannon %g", h.RefDecaySame, d.RefDecaySame, s.RefDecaySame)
	}
	for _, o := range h.Offsets {
		if o != [2]float64{0.5, 0.5} {
			t.Errorf("Haar atom centres %v (want (0.5, 0.5) for every channel)", h.Offsets)
			break
		}
	}
	// db4 (offset o = −3): the low-pass energy centroid Σk h_k²−3 ≈ −1.542, the
	// high-pass one 7 − 1.458 − 3 ≈ 2.542 (taps of spec §1.1).
	if math.Abs(d.Offsets[1][0]+1.5424) > 1e-3 || math.Abs(d.Offsets[1][1]-2.5424) > 1e-3 {
		t.Errorf("db4 channel 1 atom centre %v (want (−1.542, 2.542))", d.Offsets[1])
	}
}

// TestCompareBasesReproducible: the same seed gives the same results,
// whatever the worker count; a cancelled context stops the study.
func TestCompareBasesReproducible(t *testing.T) {
	st := readDemo(t).Slice(0, 48)
	set := BasesSettings{Bases: []string{"db4"}, Window: 2, Steps: 200, Chains: 2, Adapt: 50, Seed: 5, Workers: 1}
	a, err := CompareBases(context.Background(), st, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	set.Workers = 2
	b, err := CompareBases(context.Background(), st, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	a[0].Seconds, b[0].Seconds = 0, 0
	if a[0].Decay != b[0].Decay || a[0].TestLoss != b[0].TestLoss || a[0].Tau != b[0].Tau || !slices.Equal(a[0].Eigenvalues, b[0].Eigenvalues) {
		t.Errorf("results depend on the worker count:\n%+v\n%+v", a[0], b[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CompareBases(ctx, st, set, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled study: %v", err)
	}
	// A window that wraps around φ_1's grid (5×5 on 4×4) is refused.
	small := lattice.NewStack(st.N, 8)
	for i := range small.Data {
		small.Data[i] = st.Data[i]
	}
	if _, err := CompareBases(context.Background(), small, set, nil); err == nil || !strings.Contains(err.Error(), "window") {
		t.Errorf("5×5 window on 4×4: %v", err)
	}
}

func TestBasesSettingsValidate(t *testing.T) {
	if err := DefaultBasesSettings().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (BasesSettings{}).Validate(); err != nil {
		t.Errorf("zero settings (defaults): %v", err)
	}
	bad := []BasesSettings{
		{Bases: []string{"db4", "nope"}},
		{Bases: []string{"db4", "DB4"}},
		{Window: -1}, {Window: 17},
		{Train: 1}, {Train: -0.5}, {Train: math.NaN()},
		{Nodes: 1}, {GammaRule: "two"}, {Chains: -1}, {Steps: 10}, {Adapt: -3}, {Adapt: 10}, {Workers: -1},
	}
	for _, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	st := readDemo(t)
	if _, err := CompareBases(context.Background(), st.Slice(0, 2), BasesSettings{Train: 0.5}, nil); err == nil {
		t.Error("a study of 2 fields accepted (1 for training)")
	}
}

// TestCouplingKernelConvention checks the kernel of a random model against
// the model's own quadratic potentials, E_Q = θ·M = ½ Σ a_c(x) k_cd(s)
// a_d(x−s), and the Fourier spectrum of its detail block against the dense
// Hessian matrix.
func TestCouplingKernelConvention(t *testing.T) {
	const n = 4
	b, _ := wavelet.New("db4")
	m, err := energy.NewConditional(n, 1, energy.ScalarBasis{Kind: energy.BasisNone}, 1.3, b)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range m.Theta {
		m.Theta[i] = rng.NormFloat64()
	}
	a0, abar := make([]float64, n*n), make([]float64, 3*n*n)
	for i := range a0 {
		a0[i] = rng.NormFloat64()
	}
	for i := range abar {
		abar[i] = rng.NormFloat64()
	}
	u := make([]float64, m.NumParams())
	m.Potentials(u, a0, abar, make([]float64, 4*n*n))
	var want float64
	for i := range u {
		want += m.Theta[i] * u[i]
	}
	const curv = 0.7
	k := couplingKernel(m, curv)
	ch := func(c int) []float64 {
		if c == 0 {
			return a0
		}
		return abar[(c-1)*n*n : c*n*n]
	}
	var got float64
	for c := 0; c < 4; c++ {
		for d := 0; d < 4; d++ {
			for x1 := 0; x1 < n; x1++ {
				for x2 := 0; x2 < n; x2++ {
					for s1 := 0; s1 < n; s1++ {
						for s2 := 0; s2 < n; s2++ {
							y := modPos(x1-s1, n)*n + modPos(x2-s2, n)
							got += 0.5 * ch(c)[x1*n+x2] * k[c*4+d][s1*n+s2] * ch(d)[y]
						}
					}
				}
			}
		}
	}
	var sq float64
	for _, v := range abar {
		sq += v * v
	}
	want += 0.5 * curv * sq // the curvature added to the detail diagonals
	if math.Abs(got-want) > 1e-10*math.Abs(want) {
		t.Errorf("½ aᵀ k a = %.12g, θ·M + ½curv‖φ̄‖² = %.12g", got, want)
	}
	// Dense Hessian H[(c,x),(d,y)] = k_cd(x − y), c, d ≥ 1.
	dim := 3 * n * n
	H := mat.NewSymDense(dim, nil)
	for c := 1; c < 4; c++ {
		for d := 1; d < 4; d++ {
			for x := 0; x < n*n; x++ {
				for y := 0; y < n*n; y++ {
					s := modPos(x/n-y/n, n)*n + modPos(x%n-y%n, n)
					H.SetSym((c-1)*n*n+x, (d-1)*n*n+y, k[c*4+d][s])
				}
			}
		}
	}
	var es mat.EigenSym
	if !es.Factorize(H, false) {
		t.Fatal("eigendecomposition failed")
	}
	dense := es.Values(nil)
	spec := hessianSpectrum(k, n)
	for i := range dense {
		if math.Abs(dense[i]-spec[i]) > 1e-10*(1+math.Abs(dense[i])) {
			t.Fatalf("eigenvalue %d: dense %g, Fourier %g", i, dense[i], spec[i])
		}
	}
}

// TestLaplacianKernel checks the exact nearest-neighbour couplings against
// spec §2.1: supports |δ|_∞ ≤ 1 (Haar) and ≤ 4 (db4), and the δ = 0 diagonal
// of Ḡ(−Δ)Ḡᵀ = (4, 4, 6) for Haar and (4, 4, 4 + 4r₁) = (4, 4, 6.393) for db4.
// The spectrum of Ḡ(−Δ)Ḡᵀ is [2, 8] in every orthogonal basis: at coarse
// frequency ω the details span the complement of the coarse direction in the
// four aliased fine frequencies, where −Δ̂ = 0, 4, 4, 8 at ω = 0, and the
// extremes over ω are those of K̂ on the outer half-band.
func TestLaplacianKernel(t *testing.T) {
	const L, n = 32, 16
	diag := map[string][3]float64{"haar": {4, 4, 6}, "db4": {4, 4, 6.393}}
	support := map[string]int{"haar": 1, "db4": 4, "shannon": n / 2}
	for _, name := range []string{"haar", "db4", "shannon"} {
		b, _ := wavelet.New(name)
		k := laplacianKernel(b, L, -1)
		if dg, ok := diag[name]; ok {
			for c := 1; c < 4; c++ {
				if math.Abs(k[c*4+c][0]-dg[c-1]) > 1e-3 {
					t.Errorf("%s: diagonal of channel %d = %.4f, want %.3f", name, c, k[c*4+c][0], dg[c-1])
				}
			}
		}
		reach := 0
		for _, kc := range k {
			for i, v := range kc {
				if math.Abs(v) > 1e-12 {
					reach = max(reach, abs(centered(i/n, n)), abs(centered(i%n, n)))
				}
			}
		}
		if reach != support[name] {
			t.Errorf("%s: couplings reach |δ|_∞ = %d, want %d", name, reach, support[name])
		}
		ev := hessianSpectrum(k, n)
		if math.Abs(ev[0]-2) > 1e-9 || math.Abs(ev[len(ev)-1]-8) > 1e-9 {
			t.Errorf("%s: spectrum of Ḡ(−Δ)Ḡᵀ [%g, %g], want [2, 8]", name, ev[0], ev[len(ev)-1])
		}
	}
}

// TestCompareBasesPhysics fits φ⁴ at β = 0.68 on 1500 training fields of 32²
// and checks the ordering that the exact couplings predict for the learned
// ones: Shannon's within-band couplings reach furthest (its band-limited
// atoms have sinc tails, and the kernel's kink at the band edge gives
// couplings ∝ 1/|δ|²); Haar's exact couplings stop at distance √2, so what
// it learns beyond 2 is estimation noise.
func TestCompareBasesPhysics(t *testing.T) {
	if testing.Short() {
		t.Skip("long: generates 2000 φ⁴ fields and fits three bases")
	}
	ctx := context.Background()
	st, _, err := phi4.MakeStack(ctx, phi4.Phi4{L: 32, Beta: 0.68}, phi4.DatasetSettings{Algorithm: phi4.AlgCluster, Samples: 2000, Seed: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := DefaultBasesSettings()
	set.Steps, set.Chains = 1000, 4
	res, err := CompareBases(ctx, st, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]BasisResult{}
	for _, r := range res {
		checkBasisResult(t, r)
		by[r.Basis] = r
		t.Logf("%-8s decay %.4f same-channel %.4f (Laplacian %.4f, %.4f) test loss %.4f κ_F %.3g τ %.1f±%.1f",
			r.Basis, r.Decay, r.DecaySame, r.RefDecay, r.RefDecaySame, r.TestLoss, r.CondFourier, r.Tau, r.TauErr)
	}
	h, d, s := by["haar"], by["db4"], by["shannon"]
	if !(s.DecaySame > 1.5*d.DecaySame && s.DecaySame > 1.5*h.DecaySame) {
		t.Errorf("same-channel decay: shannon %.4f, db4 %.4f, haar %.4f (want shannon clearly above both)", s.DecaySame, d.DecaySame, h.DecaySame)
	}
	if !(h.Decay < 0.05 && h.Decay < s.Decay && h.Decay < d.Decay) {
		t.Errorf("Haar's learned decay %.4f (exact 0) not below db4 %.4f and shannon %.4f", h.Decay, d.Decay, s.Decay)
	}
}
