package mcmc

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// acAR1 fills dst with a stationary Gaussian AR(1) series
// x_{t+1} = a x_t + √(1−a²) ε_t, x_0 ~ N(0, 1), so Var x = 1 at every t.
// Exact values (e.g. Sokal 1996, §3, or any time-series text):
//
//	ρ(t) = a^{|t|},  τ_int = ½ + Σ_{t≥1} a^t = ½(1+a)/(1−a),  τ_exp = −1/ln a,
//
// and Var(x̄) = 2τ_int/N to O(1/N²).
func acAR1(dst []float64, a float64, rng *rand.Rand) {
	x := rng.NormFloat64()
	s := math.Sqrt(1 - a*a)
	for i := range dst {
		dst[i] = x
		x = a*x + s*rng.NormFloat64()
	}
}

func acTauIntAR1(a float64) float64 { return 0.5 * (1 + a) / (1 - a) }

func acTauExpAR1(a float64) float64 {
	if a == 0 {
		return 0
	}
	return -1 / math.Log(a)
}

// acCase is one AR(1) test point. Lengths are ≥ 1000 τ_int.
type acCase struct {
	a float64
	n int
}

var acCases = []acCase{{0, 20000}, {0.5, 20000}, {0.9, 20000}, {0.99, 100000}}

// acRng returns the fixed PCG source of replica r of case a.
func acRng(a float64, r int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(1000*a)+1, uint64(r)+17))
}

// acDirectAutocov is the O(T²) definition of Γ(t) (see autocorr.go).
func acDirectAutocov(chains [][]float64, c Centering) []float64 {
	R, T := len(chains), len(chains[0])
	var grand float64
	for _, ch := range chains {
		for _, v := range ch {
			grand += v
		}
	}
	grand /= float64(R * T)
	g := make([]float64, T)
	for _, ch := range chains {
		m := grand
		if c == ChainMean {
			m = 0
			for _, v := range ch {
				m += v
			}
			m /= float64(T)
		}
		for t := range T {
			for i := 0; i+t < T; i++ {
				g[t] += (ch[i] - m) * (ch[i+t] - m)
			}
		}
	}
	for t := range g {
		g[t] /= float64(R * (T - t))
	}
	return g
}

func TestAutocovarianceMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, T := range []int{2, 3, 7, 37, 64, 101} {
		for _, R := range []int{1, 3} {
			chains := make([][]float64, R)
			for r := range chains {
				chains[r] = make([]float64, T)
				acAR1(chains[r], 0.6, rng)
				for i := range chains[r] {
					chains[r][i] += 5 + float64(r) // offsets tell the centerings apart
				}
			}
			for _, c := range []Centering{CommonMean, ChainMean} {
				want := acDirectAutocov(chains, c)
				for _, maxLag := range []int{0, T / 2, T - 1} {
					got, err := Autocovariance(nil, chains, maxLag, c)
					if err != nil {
						t.Fatalf("T=%d R=%d %v: %v", T, R, c, err)
					}
					if len(got) != maxLag+1 {
						t.Fatalf("T=%d maxLag=%d: %d lags returned", T, maxLag, len(got))
					}
					for lag := range got {
						if math.Abs(got[lag]-want[lag]) > 1e-12*math.Max(1, math.Abs(want[0])) {
							t.Fatalf("T=%d R=%d %v maxLag=%d: Γ(%d) = %.15g, want %.15g", T, R, c, maxLag, lag, got[lag], want[lag])
						}
					}
				}
				got, err := Autocovariance(nil, chains, T-1, c)
				if err != nil {
					t.Fatal(err)
				}
				for lag := range want {
					if math.Abs(got[lag]-want[lag]) > 1e-12*math.Max(1, math.Abs(want[0])) {
						t.Fatalf("T=%d R=%d %v: Γ(%d) = %.15g, want %.15g", T, R, c, lag, got[lag], want[lag])
					}
				}
				rho, err := Autocorrelation(nil, chains, T-1, c)
				if err != nil {
					t.Fatal(err)
				}
				if rho[0] != 1 {
					t.Fatalf("ρ(0) = %v, want exactly 1", rho[0])
				}
				for lag := range want {
					if math.Abs(rho[lag]-want[lag]/want[0]) > 1e-12 {
						t.Fatalf("T=%d R=%d %v: ρ(%d) = %.15g, want %.15g", T, R, c, lag, rho[lag], want[lag]/want[0])
					}
				}
			}
		}
	}
}

func TestAutocovarianceReusesWorkspaceAndDst(t *testing.T) {
	var w AutocorrWorkspace
	rng := rand.New(rand.NewPCG(5, 6))
	dst := make([]float64, 0, 64)
	for _, T := range []int{50, 20, 50, 33} { // plan reset between lengths
		x := make([]float64, T)
		acAR1(x, 0.3, rng)
		got, err := w.Autocovariance(dst, [][]float64{x}, 10, CommonMean)
		if err != nil {
			t.Fatal(err)
		}
		if &got[0] != &dst[:1][0] {
			t.Fatal("dst with enough capacity was not reused")
		}
		want := acDirectAutocov([][]float64{x}, CommonMean)
		for lag := range got {
			if math.Abs(got[lag]-want[lag]) > 1e-12 {
				t.Fatalf("T=%d: Γ(%d) = %g, want %g", T, lag, got[lag], want[lag])
			}
		}
	}
}

func TestFFTSizeIsSmallestFiveSmooth(t *testing.T) {
	smooth := func(n int) bool {
		for _, p := range []int{2, 3, 5} {
			for n%p == 0 {
				n /= p
			}
		}
		return n == 1
	}
	for m := 1; m <= 3000; m++ {
		want := m
		for !smooth(want) {
			want++
		}
		if got := acFFTSize(m); got != want {
			t.Fatalf("acFFTSize(%d) = %d, want %d", m, got, want)
		}
	}
}

func TestCorrConvMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, L := range []int{1, 2, 5, 16, 31} {
		x := make([]float64, L)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		corr, conv := acCorrConv(x)
		for m := range L {
			var want float64
			for i := 0; i+m < L; i++ {
				want += x[i] * x[i+m]
			}
			if math.Abs(corr[m]-want) > 1e-12 {
				t.Fatalf("L=%d corr(%d) = %g, want %g", L, m, corr[m], want)
			}
		}
		for u := range 2*L - 1 {
			var want float64
			for i := max(0, u-L+1); i <= min(u, L-1); i++ {
				want += x[i] * x[u-i]
			}
			if math.Abs(conv[u]-want) > 1e-12 {
				t.Fatalf("L=%d conv(%d) = %g, want %g", L, u, conv[u], want)
			}
		}
	}
}

// TestExpFitErrorMatchesDirectSum checks the FFT evaluation of the Bartlett
// covariance in acExpFit against the explicit form
// N·cov(ρ̂(t), ρ̂(s)) = Σ_{k≥1} A_k(t)A_k(s), A_k(t) = ρ(k+t) + ρ(k−t) −
// 2ρ(k)ρ(t) (Anderson 1971, §8.4; diagonal: Lüscher 2005, hep-lat/0409106, eq. (E.11)),
// with ρ cut off beyond the window, summed directly in O(P²·W).
func TestExpFitErrorMatchesDirectSum(t *testing.T) {
	x := make([]float64, 20000)
	acAR1(x, 0.9, rand.New(rand.NewPCG(10, 11)))
	s := DefaultAutocorrSettings()
	for _, free := range []bool{false, true} {
		s.ExpFreeAmplitude = free
		an, err := AnalyzeAutocorr([][]float64{x}, s)
		if err != nil {
			t.Fatal(err)
		}
		rho, W, N := an.Rho, an.Int.Window, len(x)
		rt := func(i int) float64 {
			if i < 0 {
				i = -i
			}
			if i > W {
				return 0
			}
			return rho[i]
		}
		A := func(k, t int) float64 { return rt(k+t) + rt(k-t) - 2*rt(k)*rt(t) }
		cov := func(t, u int) float64 {
			var v float64
			for k := 1; k <= max(t, u)+W; k++ {
				v += A(k, t) * A(k, u)
			}
			return v / float64(N)
		}
		// Fit end, weights and slope coefficients, recomputed from scratch.
		t1 := 1
		for ; t1 < len(rho); t1++ {
			if rho[t1] < math.Max(DefaultExpFloor, DefaultExpNSigma*math.Sqrt(cov(t1, t1))) {
				break
			}
		}
		if t1 != an.Exp.FitEnd {
			t.Fatalf("free=%v: fit end %d, direct %d", free, an.Exp.FitEnd, t1)
		}
		P := t1 - 1
		w := make([]float64, P+1)
		var sw, swt float64
		for i := 1; i <= P; i++ {
			w[i] = rho[i] * rho[i] / cov(i, i)
			sw += w[i]
			swt += w[i] * float64(i)
		}
		tm := 0.0
		if free {
			tm = swt / sw
		}
		c := make([]float64, P+1)
		var stt, slope float64
		for i := 1; i <= P; i++ {
			stt += w[i] * (float64(i) - tm) * float64(i)
		}
		for i := 1; i <= P; i++ {
			a := w[i] * (float64(i) - tm) / stt
			slope += a * math.Log(rho[i])
			c[i] = a / rho[i]
		}
		var v float64
		for i := 1; i <= P; i++ {
			for j := 1; j <= P; j++ {
				v += c[i] * c[j] * cov(i, j)
			}
		}
		tau := -1 / slope
		tauErr := tau * tau * math.Sqrt(v)
		if math.Abs(an.Exp.Tau-tau) > 1e-9*tau || math.Abs(an.Exp.TauErr-tauErr) > 1e-9*tauErr {
			t.Fatalf("free=%v: τ_exp = %.12g ± %.12g, direct %.12g ± %.12g", free, an.Exp.Tau, an.Exp.TauErr, tau, tauErr)
		}
		t.Logf("free amplitude %v: τ_exp = %.4f ± %.4f (exact %.4f), A = %.4f, lags 1…%d", free, an.Exp.Tau, an.Exp.TauErr, acTauExpAR1(0.9), an.Exp.Amplitude, P)
	}
}

// TestAR1SingleSeries checks, for one fixed seed per a, that both windowing
// methods recover τ_int = ½(1+a)/(1−a) within 3 reported standard errors,
// that the mean's error matches √(2τ_int/N) (σ² = 1), and that τ_exp is
// recovered within 3 reported errors (its error validated in
// TestAR1Replicas).
func TestAR1SingleSeries(t *testing.T) {
	var w AutocorrWorkspace
	for _, tc := range acCases {
		x := make([]float64, tc.n)
		acAR1(x, tc.a, acRng(tc.a, 0))
		tauInt, tauExp := acTauIntAR1(tc.a), acTauExpAR1(tc.a)
		for _, m := range []WindowMethod{MadrasSokal, Wolff} {
			an, err := w.Analyze([][]float64{x}, AutocorrSettings{Method: m})
			if err != nil {
				t.Fatalf("a=%g %v: %v", tc.a, m, err)
			}
			ti, te := an.Int, an.Exp
			t.Logf("a=%-4g %-12v N=%d: τ_int = %.4f ± %.4f (exact %.4f, W=%d) τ_exp = %.4f ± %.4f (exact %.4f, lags 1…%d) mean %.4f ± %.4f ESS %.0f",
				tc.a, m, tc.n, ti.Tau, ti.TauErr, tauInt, ti.Window, te.Tau, te.TauErr, tauExp, te.Points, ti.Mean, ti.MeanErr, ti.ESS)
			if !ti.Reliable() || len(ti.Warnings) != 0 {
				t.Errorf("a=%g %v: result flagged unreliable: %v", tc.a, m, ti.Warnings)
			}
			if d := math.Abs(ti.Tau - tauInt); d > 3*ti.TauErr {
				t.Errorf("a=%g %v: τ_int = %.4f ± %.4f, exact %.4f (%.1fσ)", tc.a, m, ti.Tau, ti.TauErr, tauInt, d/ti.TauErr)
			}
			if ti.Samples != tc.n || ti.Chains != 1 || ti.Length != tc.n {
				t.Errorf("a=%g %v: counts %d/%d/%d", tc.a, m, ti.Samples, ti.Chains, ti.Length)
			}
			if math.Abs(ti.ESS-float64(tc.n)/(2*ti.Tau)) > 1e-9*ti.ESS {
				t.Errorf("a=%g %v: ESS %g, want N/(2τ) = %g", tc.a, m, ti.ESS, float64(tc.n)/(2*ti.Tau))
			}
			// The exact error of the mean is √(2τ_int/N); the estimate carries
			// the relative error of √τ̂ (≈ ½ TauErr/Tau) and of σ̂ (O(√(τ/N))).
			wantErr := math.Sqrt(2 * tauInt / float64(tc.n))
			if math.Abs(ti.MeanErr/wantErr-1) > 1.5*ti.TauErr/ti.Tau+0.01 {
				t.Errorf("a=%g %v: mean error %.5f, exact %.5f", tc.a, m, ti.MeanErr, wantErr)
			}
			if math.Abs(ti.Mean) > 3*ti.MeanErr {
				t.Errorf("a=%g %v: mean %.5f ± %.5f, exact 0", tc.a, m, ti.Mean, ti.MeanErr)
			}
			if tc.a == 0 {
				// τ_exp = 0: ρ(1) ≈ N(0, 1/N) is below the 0.05 floor, so the fit
				// reports an upper bound −1/ln 0.05 ≈ 0.334.
				if !te.UpperBound || te.Tau != 0 || math.Abs(te.TauErr+1/math.Log(DefaultExpFloor)) > 1e-12 {
					t.Errorf("a=0: τ_exp result %+v, want Tau 0 with the upper bound −1/ln 0.05", te)
				}
				continue
			}
			if te.UpperBound || !te.ThresholdReached {
				t.Errorf("a=%g: τ_exp flags %+v", tc.a, te)
			}
			if d := math.Abs(te.Tau - tauExp); d > 3*te.TauErr {
				t.Errorf("a=%g %v: τ_exp = %.4f ± %.4f, exact %.4f (%.1fσ)", tc.a, m, te.Tau, te.TauErr, tauExp, d/te.TauErr)
			}
		}
	}
}

// TestAR1Replicas runs 20 independent replicas per a and checks that
//   - the reported errors are sane: the empirical standard deviation of the τ
//     estimates lies within a factor 2 of the mean reported error;
//   - the estimators are unbiased at the resolution of 20 replicas: the
//     replica mean lies within 3 standard errors of the mean, sd/√20, of the
//     exact value (windowing biases, O(τ e^{−W/τ}) and O(τ/N), are far below
//     that here: e^{−6} τ/sd ≈ 0.03 for Madras–Sokal);
//   - at most one replica in 20 misses the exact τ_int by more than 3 of its
//     own reported errors (a 3σ miss has probability ≈ 0.3 % for a Gaussian
//     estimator).
//
// For τ_exp the same checks apply to a > 0 (a = 0 gives an upper bound only).
func TestAR1Replicas(t *testing.T) {
	const R = 20 // ≈ 1 s in all: fast enough to run under -short too
	var w AutocorrWorkspace
	for _, tc := range acCases {
		tauInt, tauExp := acTauIntAR1(tc.a), acTauExpAR1(tc.a)
		type acc struct{ sum, sum2, err float64 }
		var ints [2]acc
		var exp acc
		var misses [2]int
		x := make([]float64, tc.n)
		for r := range R {
			acAR1(x, tc.a, acRng(tc.a, r))
			an, err := w.Analyze([][]float64{x}, AutocorrSettings{Method: MadrasSokal})
			if err != nil {
				t.Fatal(err)
			}
			// Wolff's window on the same ρ(t): one FFT for both methods.
			wo, err := IntegratedTimeFromRho(an.Rho, tc.n, AutocorrSettings{Method: Wolff})
			if err != nil {
				t.Fatal(err)
			}
			for i, ti := range []TauInt{an.Int, wo} {
				ints[i].sum += ti.Tau
				ints[i].sum2 += ti.Tau * ti.Tau
				ints[i].err += ti.TauErr
				if math.Abs(ti.Tau-tauInt) > 3*ti.TauErr {
					misses[i]++
				}
			}
			exp.sum += an.Exp.Tau
			exp.sum2 += an.Exp.Tau * an.Exp.Tau
			exp.err += an.Exp.TauErr
		}
		check := func(name string, a acc, exact float64) {
			mean := a.sum / R
			sd := math.Sqrt(math.Max(a.sum2/R-mean*mean, 0) * R / (R - 1))
			rep := a.err / R
			t.Logf("a=%-4g %-14s exact %8.4f  replica mean %8.4f  sd %.4f  mean reported error %.4f  (sd/err %.2f, bias %.2f se)",
				tc.a, name, exact, mean, sd, rep, sd/rep, (mean-exact)/(sd/math.Sqrt(R)))
			if sd/rep < 0.5 || sd/rep > 2 {
				t.Errorf("a=%g %s: replica sd %.4g vs mean reported error %.4g: not within a factor 2", tc.a, name, sd, rep)
			}
			if math.Abs(mean-exact) > 3*sd/math.Sqrt(R) {
				t.Errorf("a=%g %s: replica mean %.4f, exact %.4f: more than 3 standard errors (%.4f)", tc.a, name, mean, exact, sd/math.Sqrt(R))
			}
		}
		check("τ_int MS", ints[0], tauInt)
		check("τ_int Wolff", ints[1], tauInt)
		for i, m := range []string{"Madras–Sokal", "Wolff"} {
			if misses[i] > 1 {
				t.Errorf("a=%g %s: %d of %d replicas miss τ_int by more than 3 reported errors", tc.a, m, misses[i], R)
			}
		}
		if tc.a > 0 {
			check("τ_exp", exp, tauExp)
		}
	}
}

// TestMultiChain checks that several shorter chains give the same τ_int and
// τ_exp as one long chain of the same total length, with either centering.
func TestMultiChain(t *testing.T) {
	const a, T, R = 0.9, 4000, 10
	tauInt := acTauIntAR1(a)
	long := make([]float64, T*R)
	acAR1(long, a, rand.New(rand.NewPCG(21, 22)))
	chains := make([][]float64, R)
	for r := range chains {
		chains[r] = make([]float64, T)
		acAR1(chains[r], a, rand.New(rand.NewPCG(23, uint64(r))))
	}
	one, err := IntegratedTime([][]float64{long}, AutocorrSettings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Centering{CommonMean, ChainMean} {
		for _, m := range []WindowMethod{MadrasSokal, Wolff} {
			an, err := AnalyzeAutocorr(chains, AutocorrSettings{Method: m, Centering: c})
			if err != nil {
				t.Fatal(err)
			}
			many := an.Int
			t.Logf("%v %v: %d×%d: τ_int = %.3f ± %.3f, τ_exp = %.3f ± %.3f; one chain of %d: τ_int = %.3f ± %.3f; exact %.3f",
				c, m, R, T, many.Tau, many.TauErr, an.Exp.Tau, an.Exp.TauErr, T*R, one.Tau, one.TauErr, tauInt)
			if many.Samples != T*R || many.Chains != R || many.Length != T {
				t.Errorf("counts %d %d %d", many.Samples, many.Chains, many.Length)
			}
			if d := math.Abs(many.Tau - tauInt); d > 3*many.TauErr {
				t.Errorf("%v %v: τ_int = %.3f ± %.3f, exact %.3f", c, m, many.Tau, many.TauErr, tauInt)
			}
			if d := math.Abs(many.Tau - one.Tau); d > 3*math.Hypot(many.TauErr, one.TauErr) {
				t.Errorf("%v %v: %d chains give τ_int = %.3f ± %.3f, one chain %.3f ± %.3f", c, m, R, many.Tau, many.TauErr, one.Tau, one.TauErr)
			}
			if d := math.Abs(an.Exp.Tau - acTauExpAR1(a)); d > 3*an.Exp.TauErr {
				t.Errorf("%v %v: τ_exp = %.3f ± %.3f, exact %.3f", c, m, an.Exp.Tau, an.Exp.TauErr, acTauExpAR1(a))
			}
		}
	}
}

// TestCenteringWithOffsetChains: chains whose means differ (offsets ±1 on
// unit-variance AR(1) chains) look strongly correlated under the common mean,
// the intended diagnostic, and are analysed correctly with per-chain means.
func TestCenteringWithOffsetChains(t *testing.T) {
	const a, T, R = 0.5, 4000, 6
	chains := make([][]float64, R)
	for r := range chains {
		chains[r] = make([]float64, T)
		acAR1(chains[r], a, rand.New(rand.NewPCG(31, uint64(r))))
		for i := range chains[r] {
			chains[r][i] += float64(2*(r%2) - 1)
		}
	}
	common, err := IntegratedTime(chains, AutocorrSettings{Centering: CommonMean})
	if err != nil {
		t.Fatal(err)
	}
	own, err := IntegratedTime(chains, AutocorrSettings{Centering: ChainMean})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("common mean: τ_int = %.2f (W=%d, found %v); chain means: τ_int = %.3f ± %.3f (exact %.3f)",
		common.Tau, common.Window, common.WindowFound, own.Tau, own.TauErr, acTauIntAR1(a))
	if common.Reliable() || common.Tau < 100 {
		t.Errorf("common mean over offset chains: τ_int = %.3f, reliable %v; want a large, flagged value", common.Tau, common.Reliable())
	}
	if math.Abs(own.Tau-acTauIntAR1(a)) > 3*own.TauErr {
		t.Errorf("chain means: τ_int = %.3f ± %.3f, exact %.3f", own.Tau, own.TauErr, acTauIntAR1(a))
	}
}

// TestTooShortFlag: a strongly correlated series shorter than 50 τ_int is
// flagged, with warnings, but still gives finite numbers.
func TestTooShortFlag(t *testing.T) {
	x := make([]float64, 600)
	acAR1(x, 0.99, rand.New(rand.NewPCG(41, 42)))
	for _, m := range []WindowMethod{MadrasSokal, Wolff} {
		an, err := AnalyzeAutocorr([][]float64{x}, AutocorrSettings{Method: m})
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		ti := an.Int
		t.Logf("%v: τ_int = %.2f ± %.2f, W = %d, found %v, warnings %q", m, ti.Tau, ti.TauErr, ti.Window, ti.WindowFound, ti.Warnings)
		if ti.Reliable() || len(ti.Warnings) == 0 {
			t.Errorf("%v: 600 samples of a τ ≈ 100 series not flagged: %+v", m, ti)
		}
		for _, v := range []float64{ti.Tau, ti.TauErr, ti.MeanErr, ti.ESS, an.Exp.Tau, an.Exp.TauErr} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%v: non-finite number in %+v", m, an)
			}
		}
	}
}

func TestWolffBiasCorrection(t *testing.T) {
	// Wolff (2004) §3 / UWerr: Γ(t) → Γ(t) + C_F/N, C_F = 2τ_raw Γ(0), so
	// ρ'(t) = (ρ(t) + b)/(1 + b) with b = 2τ_raw/N and
	// τ = ½ + (τ_raw − ½ + W b)/(1 + b); checked on an exact ρ(t) = a^t.
	const a, N = 0.5, 1000
	rho := make([]float64, 200)
	for t := range rho {
		rho[t] = math.Pow(a, float64(t))
	}
	ti, err := IntegratedTimeFromRho(rho, N, AutocorrSettings{Method: Wolff})
	if err != nil {
		t.Fatal(err)
	}
	raw := 0.5
	for t := 1; t <= ti.Window; t++ {
		raw += rho[t]
	}
	b := 2 * raw / N
	want := 0.5 + (raw-0.5+float64(ti.Window)*b)/(1+b)
	if math.Abs(ti.Tau-want) > 1e-12 {
		t.Fatalf("Wolff τ = %.15g, want %.15g (raw %.15g, W %d)", ti.Tau, want, raw, ti.Window)
	}
	if want := 2 * ti.Tau * math.Sqrt((float64(ti.Window)+0.5-ti.Tau)/N); math.Abs(ti.TauErr-want) > 1e-12 {
		t.Fatalf("Wolff error %g, want %g (Wolff 2004 §3.3)", ti.TauErr, want)
	}
	// Madras–Sokal on the same exact ρ: smallest W ≥ 6 τ(W), and the spec's error.
	ms, err := IntegratedTimeFromRho(rho, N, AutocorrSettings{})
	if err != nil {
		t.Fatal(err)
	}
	tau := 0.5
	W := 1
	for ; ; W++ {
		tau += rho[W]
		if float64(W) >= 6*tau {
			break
		}
	}
	if ms.Window != W || ms.Tau != tau || math.Abs(ms.TauErr-tau*math.Sqrt(2*(2*float64(W)+1)/N)) > 1e-15 {
		t.Fatalf("Madras–Sokal: W=%d τ=%g±%g, want W=%d τ=%g", ms.Window, ms.Tau, ms.TauErr, W, tau)
	}
}

func TestVarianceAndScaleInvariance(t *testing.T) {
	x := make([]float64, 5000)
	acAR1(x, 0.7, rand.New(rand.NewPCG(51, 52)))
	base, err := IntegratedTime([][]float64{x}, AutocorrSettings{})
	if err != nil {
		t.Fatal(err)
	}
	var m, v float64
	for _, xi := range x {
		m += xi
	}
	m /= float64(len(x))
	for _, xi := range x {
		v += (xi - m) * (xi - m)
	}
	v /= float64(len(x))
	if math.Abs(base.Variance-v) > 1e-12*v || math.Abs(base.Mean-m) > 1e-12 {
		t.Fatalf("variance %g mean %g, want %g %g", base.Variance, base.Mean, v, m)
	}
	// Affine maps leave τ unchanged, also at extreme scales.
	for _, sc := range []struct{ mul, add float64 }{{1e150, 0}, {1e-200, 0}, {1, 1e8}, {-3, 7}} {
		y := make([]float64, len(x))
		for i := range x {
			y[i] = sc.mul*x[i] + sc.add
		}
		r, err := IntegratedTime([][]float64{y}, AutocorrSettings{})
		if err != nil {
			t.Fatalf("scale %g, shift %g: %v", sc.mul, sc.add, err)
		}
		tol := 1e-9
		if sc.add != 0 {
			tol = 1e-6 // the shift costs |add|·ε of the mantissa
		}
		if math.Abs(r.Tau-base.Tau) > tol*base.Tau {
			t.Errorf("scale %g, shift %g: τ = %.12g, want %.12g", sc.mul, sc.add, r.Tau, base.Tau)
		}
	}
}

func TestAutocorrErrors(t *testing.T) {
	ok := make([]float64, 100)
	acAR1(ok, 0.3, rand.New(rand.NewPCG(61, 62)))
	constant := make([]float64, 100)
	for i := range constant {
		constant[i] = 0.1
	}
	withNaN := append([]float64(nil), ok...)
	withNaN[17] = math.NaN()
	withInf := append([]float64(nil), ok...)
	withInf[3] = math.Inf(-1)
	huge := append([]float64(nil), ok...)
	for i := range huge {
		huge[i] *= 1e200
	}
	extreme := append([]float64(nil), ok...)
	for i := range extreme {
		extreme[i] = math.Copysign(math.MaxFloat64, extreme[i])
	}
	anti := make([]float64, 5000)
	acAR1(anti, -0.9, rand.New(rand.NewPCG(63, 64)))
	shifted := append([]float64(nil), constant...)
	for i := range shifted {
		shifted[i] = 3
	}
	cases := []struct {
		name   string
		chains [][]float64
		s      AutocorrSettings
		want   string
	}{
		{"no chains", nil, AutocorrSettings{}, "no chains"},
		{"empty chain", [][]float64{{}}, AutocorrSettings{}, "too short"},
		{"too short", [][]float64{ok[:MinAutocorrLength-1]}, AutocorrSettings{}, "too short"},
		{"unequal", [][]float64{ok, ok[:50]}, AutocorrSettings{}, "equally long"},
		{"constant", [][]float64{constant}, AutocorrSettings{}, "zero variance"},
		{"constant chains", [][]float64{constant, shifted}, AutocorrSettings{Centering: ChainMean}, "zero variance"},
		{"NaN", [][]float64{ok, withNaN}, AutocorrSettings{}, "chain 1, sample 17 is NaN"},
		{"Inf", [][]float64{withInf}, AutocorrSettings{}, "sample 3 is -Inf"},
		{"variance overflow", [][]float64{huge}, AutocorrSettings{}, "overflows"},
		{"mean overflow", [][]float64{extreme}, AutocorrSettings{}, "overflows"},
		{"anticorrelated", [][]float64{anti}, AutocorrSettings{}, "pathological"},
		{"anticorrelated Wolff", [][]float64{anti}, AutocorrSettings{Method: Wolff}, "pathological"},
		{"bad method", [][]float64{ok}, AutocorrSettings{Method: 7}, "window method"},
		{"bad centering", [][]float64{ok}, AutocorrSettings{Centering: -1}, "centering"},
		{"negative c", [][]float64{ok}, AutocorrSettings{C: -6}, "C = -6"},
		{"NaN STau", [][]float64{ok}, AutocorrSettings{STau: math.NaN()}, "STau"},
		{"negative MaxLag", [][]float64{ok}, AutocorrSettings{MaxLag: -1}, "MaxLag"},
		{"MaxLag too large", [][]float64{ok}, AutocorrSettings{MaxLag: 100}, "MaxLag = 100"},
		{"floor ≥ 1", [][]float64{ok}, AutocorrSettings{ExpFloor: 1}, "ExpFloor"},
		{"Inf nsigma", [][]float64{ok}, AutocorrSettings{ExpNSigma: math.Inf(1)}, "ExpNSigma"},
	}
	for _, c := range cases {
		an, err := AnalyzeAutocorr(c.chains, c.s)
		if err == nil {
			t.Errorf("%s: no error, got %+v", c.name, an.Int)
			continue
		}
		if !strings.HasPrefix(err.Error(), "mcmc: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to start with \"mcmc: \" and contain %q", c.name, err, c.want)
		}
		if zero := c.want == "zero variance"; errors.Is(err, ErrZeroVariance) != zero {
			t.Errorf("%s: errors.Is(%q, ErrZeroVariance) = %v", c.name, err, !zero)
		}
		for _, f := range []func() error{
			func() error { _, err := IntegratedTime(c.chains, c.s); return err },
			func() error { _, err := ExponentialTime(c.chains, c.s); return err },
			func() error { _, err := EffectiveSampleSize(c.chains, c.s); return err },
		} {
			if f() == nil {
				t.Errorf("%s: a wrapper returned no error", c.name)
			}
		}
	}
	// Autocovariance and Autocorrelation: lag range and the checks above.
	for _, c := range []struct {
		name   string
		chains [][]float64
		lag    int
		want   string
	}{
		{"lag ≥ T", [][]float64{ok}, 100, "out of range"},
		{"negative lag", [][]float64{ok}, -1, "out of range"},
		{"single sample", [][]float64{ok[:1]}, 0, "too short"},
		{"constant", [][]float64{constant}, 3, "zero variance"},
		{"NaN", [][]float64{withNaN}, 3, "NaN"},
	} {
		if _, err := Autocovariance(nil, c.chains, c.lag, CommonMean); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Autocovariance %s: error %v, want %q", c.name, err, c.want)
		}
		if _, err := Autocorrelation(nil, c.chains, c.lag, CommonMean); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Autocorrelation %s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Autocovariance(nil, [][]float64{ok}, 3, Centering(9)); err == nil {
		t.Error("unknown centering accepted")
	}
	// ρ-based entry points.
	for _, c := range []struct {
		name string
		rho  []float64
		n    int
		want string
	}{
		{"short", []float64{1}, 100, "at least 2"},
		{"not normalised", []float64{2, 1, 0.5}, 100, "ρ(0) = 2"},
		{"NaN", []float64{1, math.NaN(), 0}, 100, "ρ(1) is NaN"},
		{"few samples", []float64{1, 0.5, 0.25}, 1, "number of samples"},
		{"no decay", []float64{1, 1, 1, 1, 1}, 100, "window condition"}, // handled below: not an error for τ_int
	} {
		_, err := IntegratedTimeFromRho(c.rho, c.n, AutocorrSettings{})
		if c.name == "no decay" {
			ti, err := IntegratedTimeFromRho(c.rho, c.n, AutocorrSettings{})
			if err != nil || ti.WindowFound || !strings.Contains(strings.Join(ti.Warnings, ";"), c.want) {
				t.Errorf("no decay: %+v, %v; want a lower bound with a warning", ti, err)
			}
			if _, err := ExponentialTimeFromRho(c.rho, c.n, 2, AutocorrSettings{}); err == nil {
				t.Error("no decay: exponential fit gave no error")
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("IntegratedTimeFromRho %s: error %v, want %q", c.name, err, c.want)
		}
		if _, err := ExponentialTimeFromRho(c.rho, c.n, 2, AutocorrSettings{}); err == nil {
			t.Errorf("ExponentialTimeFromRho %s: no error", c.name)
		}
	}
	if _, err := ExponentialTimeFromRho([]float64{1, 0.5, 0.25}, 100, 0, AutocorrSettings{}); err == nil {
		t.Error("window 0 accepted")
	}
}

// TestMildlyAnticorrelated: a slightly anticorrelated AR(1) (τ_int < ½) is
// handled: τ_int near ½(1+a)/(1−a) and τ_exp reported as below one step.
func TestMildlyAnticorrelated(t *testing.T) {
	const a = -0.3
	x := make([]float64, 50000)
	acAR1(x, a, rand.New(rand.NewPCG(71, 72)))
	for _, m := range []WindowMethod{MadrasSokal, Wolff} {
		an, err := AnalyzeAutocorr([][]float64{x}, AutocorrSettings{Method: m})
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		t.Logf("%v: τ_int = %.4f ± %.4f (exact %.4f), W = %d", m, an.Int.Tau, an.Int.TauErr, acTauIntAR1(a), an.Int.Window)
		// The windows stop at W ≈ 2 on an oscillating ρ, leaving a truncation
		// bias |a|^{W+1}/(1−|a|)-sized; allow it on top of 3σ.
		bias := math.Pow(-a, float64(an.Int.Window+1)) / (1 + a)
		if d := math.Abs(an.Int.Tau - acTauIntAR1(a)); d > 3*an.Int.TauErr+bias {
			t.Errorf("%v: τ_int = %.4f ± %.4f, exact %.4f", m, an.Int.Tau, an.Int.TauErr, acTauIntAR1(a))
		}
		if !an.Exp.UpperBound || an.Exp.Tau != 0 {
			t.Errorf("%v: τ_exp %+v, want an upper bound", m, an.Exp)
		}
	}
}

func TestSettingsDefaults(t *testing.T) {
	d := DefaultAutocorrSettings()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if (AutocorrSettings{}).withDefaults() != d {
		t.Fatalf("zero settings with defaults %+v, want %+v", AutocorrSettings{}.withDefaults(), d)
	}
	if MadrasSokal.String() != "madras-sokal" || Wolff.String() != "wolff" || ChainMean.String() != "chain-mean" || WindowMethod(5).String() != "WindowMethod(5)" {
		t.Error("String methods")
	}
}

func BenchmarkAnalyzeAutocorr1e6(b *testing.B) {
	x := make([]float64, 1_000_000)
	acAR1(x, 0.99, rand.New(rand.NewPCG(81, 82)))
	chains := [][]float64{x}
	var w AutocorrWorkspace
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Analyze(chains, AutocorrSettings{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAutocorrelation1e6(b *testing.B) {
	x := make([]float64, 1_000_000)
	acAR1(x, 0.99, rand.New(rand.NewPCG(81, 82)))
	chains := [][]float64{x}
	dst := make([]float64, 1001)
	var w AutocorrWorkspace
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Autocorrelation(dst, chains, 1000, CommonMean); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoPanicOnOddInputs feeds short, degenerate and adversarial series
// (spikes, steps, alternation, random walks, near-constant chains) to every
// setting: the result is either an "mcmc: " error or finite numbers.
func TestNoPanicOnOddInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	gen := []func(x []float64){
		func(x []float64) { acAR1(x, 2*rng.Float64()-1, rng) },
		func(x []float64) { // random walk
			s := 0.0
			for i := range x {
				s += rng.NormFloat64()
				x[i] = s
			}
		},
		func(x []float64) { // alternating
			for i := range x {
				x[i] = float64(1 - 2*(i%2))
			}
		},
		func(x []float64) { // step
			for i := range x {
				if i >= len(x)/2 {
					x[i] = 1
				}
			}
		},
		func(x []float64) { // one spike on a constant
			for i := range x {
				x[i] = 0.1
			}
			x[rng.IntN(len(x))] = 1e10
		},
		func(x []float64) { // constant
			for i := range x {
				x[i] = 3
			}
		},
		func(x []float64) { // tiny fluctuations on a large offset
			for i := range x {
				x[i] = 1e15 + float64(rng.IntN(2))
			}
		},
	}
	for range 1500 {
		T := MinAutocorrLength + rng.IntN(60)
		R := 1 + rng.IntN(3)
		chains := make([][]float64, R)
		for r := range chains {
			chains[r] = make([]float64, T)
			gen[rng.IntN(len(gen))](chains[r])
		}
		s := AutocorrSettings{
			Method:           WindowMethod(rng.IntN(2)),
			Centering:        Centering(rng.IntN(2)),
			ExpFreeAmplitude: rng.IntN(2) == 0,
			MaxLag:           rng.IntN(T),
		}
		an, err := AnalyzeAutocorr(chains, s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mcmc: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			continue
		}
		vals := []float64{an.Int.Tau, an.Int.TauErr, an.Int.Mean, an.Int.MeanErr, an.Int.MeanErrErr, an.Int.Variance, an.Int.ESS}
		switch {
		case an.ExpErr == nil:
			vals = append(vals, an.Exp.Tau, an.Exp.TauErr, an.Exp.Amplitude)
		case !strings.HasPrefix(an.ExpErr.Error(), "mcmc: ") || !math.IsNaN(an.Exp.Tau):
			t.Fatalf("failed τ_exp fit: τ_exp %g, error %v", an.Exp.Tau, an.ExpErr)
		}
		for _, v := range append(vals, an.Rho...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value for settings %+v: %+v", s, an)
			}
		}
		if !(an.Int.Tau > 0) {
			t.Fatalf("τ_int = %g ≤ 0 returned without error", an.Int.Tau)
		}
	}
}

// TestAnalyzeKeepsTauIntWithoutExpFit: two chains stuck in different states
// (as checkerboard Metropolis at β = 0, which flips every spin each sweep,
// leaves |m| of each chain constant) have ρ(t) = 1 at every lag, which no
// exponential decay fits. Analyze used to fail as a whole; it now returns
// τ_int with the fit's failure in ExpErr, while ExponentialTime still fails.
func TestAnalyzeKeepsTauIntWithoutExpFit(t *testing.T) {
	a, b := make([]float64, 64), make([]float64, 64)
	for i := range a {
		a[i], b[i] = 0.25, 0.75
	}
	res, err := AnalyzeAutocorr([][]float64{a, b}, AutocorrSettings{})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if res.ExpErr == nil || !math.IsNaN(res.Exp.Tau) || !(res.Int.Tau > 0) {
		t.Errorf("τ_int %g, τ_exp %g, fit error %v: want τ_int > 0, τ_exp NaN and an error", res.Int.Tau, res.Exp.Tau, res.ExpErr)
	}
	if _, err := ExponentialTime([][]float64{a, b}, AutocorrSettings{}); err == nil {
		t.Error("ExponentialTime of a non-decaying ρ(t) did not fail")
	}
}
