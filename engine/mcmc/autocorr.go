// Autocorrelation analysis of scalar Monte Carlo time series (spec §7.1).
//
// Conventions used throughout this file:
//
//   - A run is one or several chains ("replicas") of the same length T, given
//     as [][]float64. N = R·T is the total number of samples.
//   - The autocovariance at lag t is estimated as
//
//     Γ(t) = 1/(R(T−t)) Σ_r Σ_{i=0}^{T−1−t} δ_{r,i} δ_{r,i+t},
//
//     the "N − R t" normalisation of U. Wolff, Comput. Phys. Commun. 156, 143
//     (2004) (§3, with replica sums; as in his UWerr reference code), also
//     used by A. D. Sokal, "Monte Carlo methods in statistical mechanics"
//     (Cargèse lectures 1996), §3.
//     ρ(t) = Γ(t)/Γ(0).
//   - δ is the sample minus a mean. CommonMean (the default) subtracts the grand
//     mean over all chains, as Wolff (2004, §3) does for replicas: chains that
//     have not reached the same equilibrium then show up as a slowly decaying
//     ρ(t) and a large τ_int, which is the diagnostic one wants. ChainMean
//     subtracts each chain's own mean; use it when chains legitimately differ in
//     mean (e.g. conditional chains with different conditioning fields). It
//     biases ρ(t) down by O(2τ_int/T) per chain.
//   - The integrated autocorrelation time is τ_int = ½ + Σ_{t≥1} ρ(t), so an
//     uncorrelated series has τ_int = ½, the variance of the mean is
//     Var(ā) = 2τ_int σ²/N with σ² = Γ(0), and the effective sample size is
//     N_eff = N/(2τ_int) (Sokal 1996, §3; Madras & Sokal, J. Stat. Phys. 50,
//     109 (1988), §2; spec §7.1).
//
// The autocovariance is computed with a zero-padded real FFT (gonum's
// dsp/fourier) in O(T log T): the power spectra of the chains are summed and
// transformed back once. The padded length is the smallest 2^a·3^b·5^c
// ≥ T + maxLag, so that no lag up to maxLag wraps around.

package mcmc

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// MinAutocorrLength is the shortest chain length accepted by the τ estimators
// (IntegratedTime, ExponentialTime, AnalyzeAutocorr). Shorter series give no
// meaningful window and are rejected with an error.
const MinAutocorrLength = 16

// ErrZeroVariance is wrapped by the errors of the τ estimators for a series
// without variance (every sample equal, or every chain constant under
// ChainMean): it has no autocorrelation. A frozen chain, such as an Ising
// chain deep in the ordered phase, gives one; callers may tell it from
// other failures with errors.Is.
var ErrZeroVariance = errors.New("zero variance, no autocorrelation defined")

// Centering selects the mean subtracted from each chain before the
// autocovariance is taken.
type Centering int

const (
	// CommonMean centres every chain by the grand mean over all chains
	// (default; Wolff 2004 §3). Disagreement between chains inflates τ.
	CommonMean Centering = iota
	// ChainMean centres each chain by its own mean.
	ChainMean
)

// String returns "common-mean" or "chain-mean".
func (c Centering) String() string {
	switch c {
	case CommonMean:
		return "common-mean"
	case ChainMean:
		return "chain-mean"
	}
	return fmt.Sprintf("Centering(%d)", int(c))
}

// WindowMethod selects the automatic windowing rule for τ_int.
type WindowMethod int

const (
	// MadrasSokal is the self-consistent window of Madras & Sokal (1988):
	// W is the smallest window with W ≥ c·τ_int(W). It is the project default
	// (spec §10, row 11).
	MadrasSokal WindowMethod = iota
	// Wolff is the Γ-method of U. Wolff, Comput. Phys. Commun. 156, 143 (2004),
	// with its bias correction of Γ and its error estimate. Like UWerr it
	// stops as soon as Σ_{t≤W} ρ(t) ≤ 0, so on anticorrelated series
	// (ρ(1) < 0) it sums only a few lags.
	Wolff
)

// String returns "madras-sokal" or "wolff".
func (m WindowMethod) String() string {
	switch m {
	case MadrasSokal:
		return "madras-sokal"
	case Wolff:
		return "wolff"
	}
	return fmt.Sprintf("WindowMethod(%d)", int(m))
}

// Defaults of AutocorrSettings, used for fields left at zero.
const (
	// DefaultWindowC is c of the Madras–Sokal window (spec §7.1: 6, 4–8 acceptable).
	DefaultWindowC = 6.0
	// DefaultSTau is S_τ of Wolff's window (Wolff 2004, §3.3: "S_τ = 1.5").
	DefaultSTau = 1.5
	// DefaultExpFloor is the lower bound 0.05 of the τ_exp fit threshold (spec §7.1).
	DefaultExpFloor = 0.05
	// DefaultExpNSigma is the number of standard errors of ρ(t) in the τ_exp fit
	// threshold max(0.05, 3σ_ρ) (spec §7.1).
	DefaultExpNSigma = 3.0
)

// AutocorrSettings configures the autocorrelation-time estimators. The zero
// value selects the defaults (Madras–Sokal with c = 6, common mean).
type AutocorrSettings struct {
	// Method is the τ_int windowing rule (default MadrasSokal).
	Method WindowMethod
	// C is Madras–Sokal's c; 0 selects DefaultWindowC.
	C float64
	// STau is Wolff's S_τ; 0 selects DefaultSTau.
	STau float64
	// Centering is the mean subtracted from the chains (default CommonMean).
	Centering Centering
	// MaxLag is the largest window considered; 0 selects ⌊T/2⌋ (Wolff's UWerr
	// default). It must be smaller than the chain length.
	MaxLag int
	// ExpFloor and ExpNSigma define the end t₁ of the τ_exp fit: the first
	// t ≥ 1 with ρ(t) < max(ExpFloor, ExpNSigma·σ_ρ(t)). 0 selects 0.05 and 3.
	ExpFloor  float64
	ExpNSigma float64
	// ExpFreeAmplitude fits log ρ(t) = log A − t/τ with a free amplitude A
	// instead of the spec's ρ(t) = e^{−t/τ} (A = ρ(0) = 1). A free amplitude
	// isolates the slowest mode when faster modes contribute at small t.
	ExpFreeAmplitude bool
}

// DefaultAutocorrSettings returns the settings with every default filled in.
func DefaultAutocorrSettings() AutocorrSettings {
	return AutocorrSettings{
		Method:    MadrasSokal,
		C:         DefaultWindowC,
		STau:      DefaultSTau,
		Centering: CommonMean,
		ExpFloor:  DefaultExpFloor,
		ExpNSigma: DefaultExpNSigma,
	}
}

// Validate checks the settings. Zero values are valid and mean "default".
func (s AutocorrSettings) Validate() error {
	if s.Method != MadrasSokal && s.Method != Wolff {
		return fmt.Errorf("mcmc: autocorrelation settings: unknown window method %d (want %d for Madras–Sokal or %d for Wolff)", int(s.Method), int(MadrasSokal), int(Wolff))
	}
	if s.Centering != CommonMean && s.Centering != ChainMean {
		return fmt.Errorf("mcmc: autocorrelation settings: unknown centering %d", int(s.Centering))
	}
	if !(s.C >= 0) || math.IsInf(s.C, 0) {
		return fmt.Errorf("mcmc: autocorrelation settings: window constant C = %g must be finite and positive (0 selects %g)", s.C, DefaultWindowC)
	}
	if !(s.STau >= 0) || math.IsInf(s.STau, 0) {
		return fmt.Errorf("mcmc: autocorrelation settings: STau = %g must be finite and positive (0 selects %g)", s.STau, DefaultSTau)
	}
	if s.MaxLag < 0 {
		return fmt.Errorf("mcmc: autocorrelation settings: MaxLag = %d must be ≥ 0 (0 selects T/2)", s.MaxLag)
	}
	if !(s.ExpFloor >= 0 && s.ExpFloor < 1) {
		return fmt.Errorf("mcmc: autocorrelation settings: ExpFloor = %g must lie in [0, 1) (0 selects %g)", s.ExpFloor, DefaultExpFloor)
	}
	if !(s.ExpNSigma >= 0) || math.IsInf(s.ExpNSigma, 0) {
		return fmt.Errorf("mcmc: autocorrelation settings: ExpNSigma = %g must be finite and ≥ 0 (0 selects %g)", s.ExpNSigma, DefaultExpNSigma)
	}
	return nil
}

// withDefaults returns s with zero fields replaced by defaults.
func (s AutocorrSettings) withDefaults() AutocorrSettings {
	if s.C == 0 {
		s.C = DefaultWindowC
	}
	if s.STau == 0 {
		s.STau = DefaultSTau
	}
	if s.ExpFloor == 0 {
		s.ExpFloor = DefaultExpFloor
	}
	if s.ExpNSigma == 0 {
		s.ExpNSigma = DefaultExpNSigma
	}
	return s
}

// TauInt is the result of an integrated-autocorrelation-time analysis.
type TauInt struct {
	Method WindowMethod
	// Tau is τ_int = ½ + Σ_{t=1}^{W} ρ(t) (½ for an uncorrelated series) and
	// TauErr its statistical error: τ·√(2(2W+1)/N) for Madras–Sokal (spec
	// §7.1; Madras & Sokal 1988 §2), 2τ·√((W+½−τ)/N) for Wolff (Wolff 2004
	// §3.3, the form used in UWerr V5 and later).
	Tau, TauErr float64
	// Window is the chosen summation window W.
	Window int
	// WindowFound is false when the windowing condition was not met up to the
	// largest lag considered; Window is then that lag and Tau a lower bound.
	WindowFound bool
	// Samples is N = Chains·Length, the total number of samples.
	Samples, Chains, Length int
	// TooShort is set when N < 50·τ_int: the series is too short to trust the
	// estimate (spec §7.1).
	TooShort bool
	// Mean is the grand mean and MeanErr = σ·√(2τ_int/N) its error, MeanErrErr
	// the error of MeanErr, MeanErr·√((W+½)/N) (Wolff 2004 and UWerr "ddvalue"; the same
	// follows from the Madras–Sokal error of τ). Zero for results computed
	// from a given ρ(t) (IntegratedTimeFromRho).
	Mean, MeanErr, MeanErrErr float64
	// Variance is σ² = Γ(0) (with Wolff's bias correction for the Wolff
	// method; without it, Γ(0) = Σ δ²/N, the biased sample variance).
	// Zero for results computed from a given ρ(t).
	Variance float64
	// ESS is the effective sample size N/(2τ_int).
	ESS float64
	// Warnings explains TooShort, a failed window search and similar caveats.
	Warnings []string
}

// Reliable reports whether the window was found and the run is at least
// 50 τ_int long.
func (r TauInt) Reliable() bool { return r.WindowFound && !r.TooShort }

// TauExp is the result of the exponential fit ρ(t) ≈ A·e^{−t/τ}.
type TauExp struct {
	// Tau is τ_exp = −1/slope and TauErr its error propagated from the
	// covariance of ρ(t) at the fitted lags (see ExponentialTimeFromRho).
	Tau, TauErr float64
	// Amplitude is A (1 unless ExpFreeAmplitude).
	Amplitude float64
	// FitEnd is t₁, the first lag with ρ(t) below the threshold; the fit uses
	// lags 1 … t₁−1, Points = t₁ − 1 of them.
	FitEnd, Points int
	// UpperBound is set when ρ(1) is already below the threshold: then Tau = 0
	// and TauErr = −1/ln(threshold) is an upper bound on τ_exp.
	UpperBound bool
	// ThresholdReached is false when ρ(t) never fell below the threshold within
	// the available lags (the fit then uses all of them and is unreliable).
	ThresholdReached bool
	// Warnings explains the caveats above.
	Warnings []string
}

// AutocorrAnalysis bundles τ_int, τ_exp and the autocorrelation function
// computed from one FFT.
type AutocorrAnalysis struct {
	Int TauInt
	// Exp is τ_exp, or NaN values when its fit failed (ExpErr says why:
	// for example ρ(t) that does not decay, as for independent samples or a
	// chain stuck in one state); τ_int is still valid then.
	Exp    TauExp
	ExpErr error
	// Rho is ρ(t) for t = 0 … MaxLag (⌊T/2⌋ by default).
	Rho []float64
}

// AutocorrWorkspace holds the FFT plan and scratch space of the
// autocorrelation functions so that repeated analyses of equally long series
// allocate only their results. The zero value is ready to use. It is not safe
// for concurrent use.
type AutocorrWorkspace struct {
	n     int // padded FFT length
	fft   *fourier.FFT
	buf   []float64    // n
	coef  []complex128 // n/2+1
	pow   []float64    // n/2+1, summed power spectrum
	gamma []float64    // T, autocovariance in scaled units
	rho   []float64    // T
}

// acFFTSize returns the smallest 2^a·3^b·5^c ≥ m (m ≥ 1), sizes for which
// gonum's FFTPACK port runs in O(n log n) with small constants.
func acFFTSize(m int) int {
	best := math.MaxInt
	for p5 := 1; p5 < best; p5 *= 5 {
		for p35 := p5; p35 < best; p35 *= 3 {
			n := p35
			for n < m {
				n *= 2
			}
			if n < best {
				best = n
			}
			if p35 >= m {
				break
			}
		}
		if p5 >= m {
			break
		}
	}
	return best
}

// acCheckChains validates the shape and values of chains and returns the
// common length. minLen is the shortest acceptable length.
func acCheckChains(chains [][]float64, minLen int) (int, error) {
	if len(chains) == 0 {
		return 0, errors.New("mcmc: no chains given")
	}
	T := len(chains[0])
	for r, c := range chains {
		if len(c) != T {
			return 0, fmt.Errorf("mcmc: chain %d has %d samples, chain 0 has %d (chains must be equally long)", r, len(c), T)
		}
	}
	if T < minLen {
		return 0, fmt.Errorf("mcmc: series too short: %d samples per chain, need at least %d", T, minLen)
	}
	for r, c := range chains {
		for i, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("mcmc: chain %d, sample %d is %g (values must be finite)", r, i, v)
			}
		}
	}
	return T, nil
}

// acMean returns the mean of x, shifted by x[0] to limit cancellation.
func acMean(x []float64) float64 {
	x0 := x[0]
	var s float64
	for _, v := range x {
		s += v - x0
	}
	return x0 + s/float64(len(x))
}

// autocov fills w.gamma[0:maxLag+1] with Γ(t)/scale² for the validated
// chains and returns the grand mean and scale (scale² multiplies Γ back to
// data units; dividing by scale before the FFT keeps huge values finite).
func (w *AutocorrWorkspace) autocov(chains [][]float64, T, maxLag int, c Centering) (mean, scale float64, err error) {
	R := len(chains)
	// Grand mean, and the per-chain means if asked for.
	var sum float64
	x0 := chains[0][0]
	lo, hi := x0, x0
	for _, ch := range chains {
		for _, v := range ch {
			sum += v - x0
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
		}
	}
	mean = x0 + sum/float64(R*T)
	if math.IsInf(mean, 0) || math.IsNaN(mean) {
		return 0, 0, fmt.Errorf("mcmc: the mean of the series overflows float64 (values range over [%g, %g])", lo, hi)
	}
	if lo == hi {
		return 0, 0, fmt.Errorf("mcmc: all %d samples equal %g: %w", R*T, lo, ErrZeroVariance)
	}
	// Centre (a chain that is exactly constant under ChainMean gives δ = 0
	// exactly) and find the scale max|δ|.
	chainMean := func(ch []float64) float64 {
		if c == CommonMean {
			return mean
		}
		m := acMean(ch)
		for _, v := range ch {
			if v != ch[0] {
				return m
			}
		}
		return ch[0] // constant chain: δ ≡ 0
	}
	for _, ch := range chains {
		m := chainMean(ch)
		for _, v := range ch {
			scale = math.Max(scale, math.Abs(v-m))
		}
	}
	if scale == 0 {
		return 0, 0, fmt.Errorf("mcmc: every chain is constant (centering by chain means): %w", ErrZeroVariance)
	}
	if math.IsInf(scale, 0) {
		return 0, 0, fmt.Errorf("mcmc: deviations from the mean overflow float64 (values range over [%g, %g])", lo, hi)
	}

	// FFT plan and buffers.
	// Padding to n ≥ T + maxLag keeps lags 0 … maxLag free of wrap-around.
	n := acFFTSize(T + maxLag)
	if w.fft == nil || w.n != n {
		if w.fft == nil {
			w.fft = fourier.NewFFT(n)
		} else {
			w.fft.Reset(n)
		}
		w.n = n
		w.buf = make([]float64, n)
		w.coef = make([]complex128, n/2+1)
		w.pow = make([]float64, n/2+1)
	}
	if cap(w.gamma) < maxLag+1 {
		w.gamma = make([]float64, maxLag+1)
		w.rho = make([]float64, maxLag+1)
	}
	w.gamma, w.rho = w.gamma[:maxLag+1], w.rho[:maxLag+1]
	clear(w.pow)
	inv := 1 / scale
	for _, ch := range chains {
		m := chainMean(ch)
		for i, v := range ch {
			w.buf[i] = (v - m) * inv
		}
		clear(w.buf[T:])
		w.fft.Coefficients(w.coef, w.buf)
		for k, z := range w.coef {
			w.pow[k] += real(z)*real(z) + imag(z)*imag(z)
		}
	}
	for k, p := range w.pow {
		w.coef[k] = complex(p, 0)
	}
	w.fft.Sequence(w.buf, w.coef) // Σ_r Σ_i δ_i δ_{i+t}, times n
	norm := 1 / float64(n*R)
	for t := range w.gamma {
		w.gamma[t] = w.buf[t] * norm / float64(T-t)
	}
	if !(w.gamma[0] > 0) {
		return 0, 0, fmt.Errorf("mcmc: the series is constant to rounding after centering: %w", ErrZeroVariance)
	}
	return mean, scale, nil
}

// Autocovariance writes Γ(t), t = 0 … maxLag, of the chains into dst (grown
// if too small) and returns it; see the file comment for the estimator and the
// centering. Chains must be equally long (T ≥ 2), finite and not constant,
// and 0 ≤ maxLag < T.
func (w *AutocorrWorkspace) Autocovariance(dst []float64, chains [][]float64, maxLag int, c Centering) ([]float64, error) {
	T, err := acCheckChains(chains, 2)
	if err != nil {
		return nil, err
	}
	if maxLag < 0 || maxLag >= T {
		return nil, fmt.Errorf("mcmc: maximum lag %d out of range [0, %d] for chains of %d samples", maxLag, T-1, T)
	}
	if c != CommonMean && c != ChainMean {
		return nil, fmt.Errorf("mcmc: unknown centering %d", int(c))
	}
	_, scale, err := w.autocov(chains, T, maxLag, c)
	if err != nil {
		return nil, err
	}
	if cap(dst) < maxLag+1 {
		dst = make([]float64, maxLag+1)
	}
	dst = dst[:maxLag+1]
	s2 := scale * scale
	for t := range dst {
		dst[t] = w.gamma[t] * s2
	}
	if math.IsInf(dst[0], 0) {
		return nil, fmt.Errorf("mcmc: variance overflows float64 (deviations up to %g)", scale)
	}
	return dst, nil
}

// Autocorrelation writes ρ(t) = Γ(t)/Γ(0), t = 0 … maxLag, into dst and
// returns it, under the same conditions as Autocovariance.
func (w *AutocorrWorkspace) Autocorrelation(dst []float64, chains [][]float64, maxLag int, c Centering) ([]float64, error) {
	T, err := acCheckChains(chains, 2)
	if err != nil {
		return nil, err
	}
	if maxLag < 0 || maxLag >= T {
		return nil, fmt.Errorf("mcmc: maximum lag %d out of range [0, %d] for chains of %d samples", maxLag, T-1, T)
	}
	if c != CommonMean && c != ChainMean {
		return nil, fmt.Errorf("mcmc: unknown centering %d", int(c))
	}
	if _, _, err := w.autocov(chains, T, maxLag, c); err != nil {
		return nil, err
	}
	if cap(dst) < maxLag+1 {
		dst = make([]float64, maxLag+1)
	}
	dst = dst[:maxLag+1]
	g0 := w.gamma[0]
	for t := range dst {
		dst[t] = w.gamma[t] / g0
	}
	return dst, nil
}

// Autocovariance is AutocorrWorkspace.Autocovariance with a fresh workspace.
func Autocovariance(dst []float64, chains [][]float64, maxLag int, c Centering) ([]float64, error) {
	var w AutocorrWorkspace
	return w.Autocovariance(dst, chains, maxLag, c)
}

// Autocorrelation is AutocorrWorkspace.Autocorrelation with a fresh workspace.
func Autocorrelation(dst []float64, chains [][]float64, maxLag int, c Centering) ([]float64, error) {
	var w AutocorrWorkspace
	return w.Autocorrelation(dst, chains, maxLag, c)
}

// Analyze computes ρ(t), τ_int (with the window method of s) and τ_exp of
// the chains from one FFT. Chains must be equally long (at least
// MinAutocorrLength samples), finite and not constant. A failed τ_exp fit
// is not an error of Analyze: it is returned in ExpErr beside a valid τ_int.
func (w *AutocorrWorkspace) Analyze(chains [][]float64, s AutocorrSettings) (AutocorrAnalysis, error) {
	if err := s.Validate(); err != nil {
		return AutocorrAnalysis{}, err
	}
	s = s.withDefaults()
	T, err := acCheckChains(chains, MinAutocorrLength)
	if err != nil {
		return AutocorrAnalysis{}, err
	}
	maxLag := T / 2
	if s.MaxLag > 0 {
		if s.MaxLag >= T {
			return AutocorrAnalysis{}, fmt.Errorf("mcmc: autocorrelation settings: MaxLag = %d must be smaller than the chain length %d", s.MaxLag, T)
		}
		maxLag = s.MaxLag
	}
	mean, scale, err := w.autocov(chains, T, maxLag, s.Centering)
	if err != nil {
		return AutocorrAnalysis{}, err
	}
	g0 := w.gamma[0]
	for t := range w.rho {
		w.rho[t] = w.gamma[t] / g0
	}
	N := len(chains) * T
	// Wolff's bias correction refers to the number of samples behind each
	// subtracted mean: N for the common mean, T for per-chain means.
	perMean := N
	if s.Centering == ChainMean {
		perMean = T
	}
	ti, err := acWindow(w.rho, N, perMean, s)
	if err != nil {
		return AutocorrAnalysis{}, err
	}
	ti.Chains, ti.Length = len(chains), T
	// Variance in data units; Wolff's bias correction multiplies Γ(0) by
	// 1 + 2τ_raw/perMean (applied in acWindow, returned as the ti.Variance factor).
	ti.Variance *= g0 * scale * scale
	if math.IsInf(ti.Variance, 0) {
		return AutocorrAnalysis{}, fmt.Errorf("mcmc: variance overflows float64 (deviations up to %g)", scale)
	}
	ti.Mean = mean
	ti.MeanErr = math.Sqrt(2 * ti.Tau * ti.Variance / float64(N))
	ti.MeanErrErr = ti.MeanErr * math.Sqrt((float64(ti.Window)+0.5)/float64(N))
	a := AutocorrAnalysis{Int: ti, Rho: append([]float64(nil), w.rho...)}
	if a.Exp, a.ExpErr = acExpFit(w.rho, N, ti.Window, s); a.ExpErr != nil {
		a.Exp = TauExp{Tau: math.NaN(), TauErr: math.NaN()}
	}
	return a, nil
}

// AnalyzeAutocorr is AutocorrWorkspace.Analyze with a fresh workspace.
func AnalyzeAutocorr(chains [][]float64, s AutocorrSettings) (AutocorrAnalysis, error) {
	var w AutocorrWorkspace
	return w.Analyze(chains, s)
}

// IntegratedTime estimates τ_int of the chains with automatic windowing
// (s.Method), with its error, the mean and its error, and the effective
// sample size.
func IntegratedTime(chains [][]float64, s AutocorrSettings) (TauInt, error) {
	a, err := AnalyzeAutocorr(chains, s)
	return a.Int, err
}

// ExponentialTime estimates τ_exp of the chains by the fit of spec §7.1 (see
// ExponentialTimeFromRho); the noise level of ρ uses the τ_int window of
// s.Method. When the fit fails it returns the error with a NaN τ_exp.
func ExponentialTime(chains [][]float64, s AutocorrSettings) (TauExp, error) {
	a, err := AnalyzeAutocorr(chains, s)
	if err != nil {
		return TauExp{}, err
	}
	return a.Exp, a.ExpErr
}

// EffectiveSampleSize returns N/(2τ_int), the number of independent samples
// worth the chains for estimating a mean.
func EffectiveSampleSize(chains [][]float64, s AutocorrSettings) (float64, error) {
	a, err := AnalyzeAutocorr(chains, s)
	return a.Int.ESS, err
}

// acCheckRho validates a user-supplied normalised autocorrelation function.
func acCheckRho(rho []float64, samples int) error {
	if len(rho) < 2 {
		return fmt.Errorf("mcmc: autocorrelation function has %d lags, need at least 2", len(rho))
	}
	if samples < 2 {
		return fmt.Errorf("mcmc: number of samples %d must be at least 2", samples)
	}
	for t, v := range rho {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("mcmc: ρ(%d) is %g (values must be finite)", t, v)
		}
	}
	if math.Abs(rho[0]-1) > 1e-9 {
		return fmt.Errorf("mcmc: ρ(0) = %g, want 1 (normalise the autocovariance by Γ(0))", rho[0])
	}
	return nil
}

// IntegratedTimeFromRho applies the windowing of s.Method to a given
// normalised autocorrelation function rho (rho[0] = 1), estimated from
// samples values in all; windows up to min(s.MaxLag, len(rho)−1) are
// considered (all lags when s.MaxLag is 0). Use it for autocorrelations
// computed elsewhere, e.g. the field-wide A_j(t) of spec §7.1. Mean, MeanErr,
// MeanErrErr and Variance are left at zero; Chains is 0 and Length = samples.
func IntegratedTimeFromRho(rho []float64, samples int, s AutocorrSettings) (TauInt, error) {
	if err := s.Validate(); err != nil {
		return TauInt{}, err
	}
	if err := acCheckRho(rho, samples); err != nil {
		return TauInt{}, err
	}
	s = s.withDefaults()
	if s.MaxLag > 0 && s.MaxLag < len(rho)-1 {
		rho = rho[:s.MaxLag+1]
	}
	ti, err := acWindow(rho, samples, samples, s)
	if err != nil {
		return TauInt{}, err
	}
	ti.Variance = 0
	ti.Length = samples
	return ti, nil
}

// acWindow runs the windowing of s.Method on rho (rho[0] = 1, windows up to
// len(rho)−1) for N samples, each subtracted mean being taken over perMean
// samples. It returns Variance as the factor multiplying Γ(0) (1, or
// 1 + 2τ_raw/perMean after Wolff's bias correction).
func acWindow(rho []float64, N, perMean int, s AutocorrSettings) (TauInt, error) {
	wmax := len(rho) - 1
	if wmax < 1 {
		return TauInt{}, fmt.Errorf("mcmc: no lag available for a window (%d lags)", len(rho))
	}
	nf := float64(N)
	r := TauInt{Method: s.Method, Samples: N, Variance: 1}
	var tau float64
	switch s.Method {
	case MadrasSokal:
		// Madras & Sokal (1988), §2 and App. C; spec §7.1: the smallest W with
		// W ≥ c·τ_int(W), τ_int(W) = ½ + Σ_{t=1}^{W} ρ(t).
		tau = 0.5
		for W := 1; W <= wmax; W++ {
			tau += rho[W]
			r.Window = W
			if float64(W) >= s.C*tau {
				r.WindowFound = true
				break
			}
		}
		if !(tau > 0) {
			return TauInt{}, fmt.Errorf("mcmc: estimated τ_int = %g ≤ 0 at window %d: autocorrelation pathological (strongly anticorrelated series?)", tau, r.Window)
		}
		// Madras & Sokal (1988) §2, spec §7.1: σ²(τ) ≈ 2(2W+1)τ²/N.
		r.TauErr = tau * math.Sqrt(2*(2*float64(r.Window)+1)/nf)
	case Wolff:
		// Wolff (2004) §3.3 and the UWerr reference code: with
		// τ(W) = S_τ / ln((2τ_int(W)+1)/(2τ_int(W)−1)), W is the first window with
		// g(W) = exp(−W/τ(W)) − τ(W)/√(W·N) < 0. For τ_int(W) ≤ ½ UWerr sets
		// τ(W) = ε, which stops at once.
		cum := 0.0
		for W := 1; W <= wmax; W++ {
			cum += rho[W]
			r.Window = W
			if cum <= 0 {
				r.WindowFound = true
				break
			}
			tw := s.STau / math.Log1p(1/cum) // (2τ+1)/(2τ−1) = 1 + 1/cum
			if math.Exp(-float64(W)/tw)-tw/math.Sqrt(float64(W)*nf) < 0 {
				r.WindowFound = true
				break
			}
		}
		raw := 0.5 + cum
		if !(raw > 0) {
			return TauInt{}, fmt.Errorf("mcmc: estimated τ_int = %g ≤ 0 at window %d: autocorrelation pathological (strongly anticorrelated series?)", raw, r.Window)
		}
		// Bias correction of Γ (Wolff 2004 §3, UWerr): Γ(t) += C_F/N with
		// C_F = Γ(0)·2τ_raw, i.e. ρ'(t) = (ρ(t) + b)/(1 + b), b = 2τ_raw/N. It
		// undoes the O(1/N) bias from subtracting the estimated mean, so with
		// per-chain means N is replaced by the chain length (perMean).
		b := 2 * raw / float64(perMean)
		tau = 0.5
		for t := 1; t <= r.Window; t++ {
			tau += (rho[t] + b) / (1 + b)
		}
		r.Variance = 1 + b
		// Wolff (2004) §3.3 / UWerr: σ²(τ_int(W)) ≈ (4/N)(W + ½ − τ_int)τ_int².
		// The bracket is floored at ½ (it can only drop below when ρ > 1 at
		// some lag, a pathological estimate).
		r.TauErr = 2 * tau * math.Sqrt(math.Max(float64(r.Window)+0.5-tau, 0.5)/nf)
	default:
		return TauInt{}, fmt.Errorf("mcmc: unknown window method %d", int(s.Method))
	}
	r.Tau = tau
	r.ESS = nf / (2 * tau)
	if !r.WindowFound {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s window condition not met up to the largest lag %d: τ_int = %.4g is a lower bound; the series is too short", s.Method, wmax, tau))
	}
	if nf < 50*tau {
		r.TooShort = true
		r.Warnings = append(r.Warnings, fmt.Sprintf("only %d samples for τ_int = %.4g: fewer than 50 τ_int, estimate not trustworthy (spec §7.1)", N, tau))
	}
	if math.IsNaN(r.Tau) || math.IsNaN(r.TauErr) || math.IsInf(r.Tau, 0) || math.IsInf(r.TauErr, 0) {
		return TauInt{}, fmt.Errorf("mcmc: τ_int estimate is not finite (τ = %g ± %g)", r.Tau, r.TauErr)
	}
	return r, nil
}

// ExponentialTimeFromRho fits ρ(t) ≈ A·e^{−t/τ_exp} to a given normalised
// autocorrelation function rho (rho[0] = 1) estimated from samples values,
// following spec §7.1 (after the CSLC paper): least squares on log ρ(t) for
// t = 1 … t₁−1, with t₁ the first lag where ρ(t) < max(ExpFloor,
// ExpNSigma·σ_ρ(t)). The spec writes the range [1, t₁]; the point t₁ itself is
// left out because it lies below the noise floor and may be ≤ 0. The amplitude
// is A = ρ(0) = 1 unless s.ExpFreeAmplitude.
//
// The covariance of the estimates ρ̂(t) is Bartlett's formula for linear
// (e.g. Gaussian) processes, to leading order in 1/N (M. S. Bartlett,
// J. R. Stat. Soc. Suppl. 8, 27 (1946); T. W. Anderson, The Statistical
// Analysis of Time Series (Wiley, 1971), §8.4):
//
//	N·cov(ρ̂(t), ρ̂(s)) ≈ S(t−s) + S(t+s) + 2ρ(t)ρ(s)S(0) − 2ρ(t)S(s) − 2ρ(s)S(t),
//	S(m) = Σ_{k∈ℤ} ρ(k)ρ(k+m),
//
// equivalently (1/N) Σ_{k≥1} A_k(t)A_k(s) with A_k(t) = ρ(k+t) + ρ(k−t) −
// 2ρ(k)ρ(t), whose diagonal is M. Lüscher, Comput. Phys. Commun. 165, 199
// (2005) (hep-lat/0409106), eq. (E.11), used by Wolff's UWerr. Like UWerr
// (which stops the k-sum at t + W), the sums are cut off to keep estimation
// noise out, here by taking ρ as the estimate on lags 0 … window (the τ_int
// window) and zero beyond; S is then computed by FFT. σ_ρ(t) is the square root of the diagonal. The fit is weighted by
// 1/σ²(log ρ̂(t)) = ρ̂(t)²/σ_ρ(t)², and, because ρ̂ at different lags are
// strongly correlated, TauErr propagates the full covariance through the
// (linear) slope estimator instead of quoting the naive weighted-least-squares
// error; TauErr = τ²·σ(slope).
//
// When ρ(1) is already below the threshold, τ_exp is below one step: Tau = 0,
// UpperBound is set and TauErr = −1/ln(threshold) bounds τ_exp.
func ExponentialTimeFromRho(rho []float64, samples, window int, s AutocorrSettings) (TauExp, error) {
	if err := s.Validate(); err != nil {
		return TauExp{}, err
	}
	if err := acCheckRho(rho, samples); err != nil {
		return TauExp{}, err
	}
	if window < 1 {
		return TauExp{}, fmt.Errorf("mcmc: window %d must be ≥ 1", window)
	}
	s = s.withDefaults()
	if s.MaxLag > 0 && s.MaxLag < len(rho)-1 {
		rho = rho[:s.MaxLag+1]
	}
	return acExpFit(rho, samples, window, s)
}

// acCorrConv returns, for x of length L, corr(m) = Σ_i x_i x_{i+m}
// (m = 0 … L−1) and conv(u) = Σ_{i+j=u} x_i x_j (u = 0 … 2L−2), from one
// zero-padded FFT.
func acCorrConv(x []float64) (corr, conv []float64) {
	L := len(x)
	n := acFFTSize(2*L - 1)
	f := fourier.NewFFT(n)
	buf := make([]float64, n)
	copy(buf, x)
	X := f.Coefficients(nil, buf)
	P := make([]complex128, len(X))
	for k, z := range X {
		P[k] = complex(real(z)*real(z)+imag(z)*imag(z), 0)
		X[k] = z * z
	}
	corr = f.Sequence(nil, P)[:L]
	conv = f.Sequence(nil, X)[:2*L-1]
	inv := 1 / float64(n)
	for i := range corr {
		corr[i] *= inv
	}
	for i := range conv {
		conv[i] *= inv
	}
	return corr, conv
}

// acExpFit implements ExponentialTimeFromRho on validated input with defaults
// filled in.
func acExpFit(rho []float64, N, window int, s AutocorrSettings) (TauExp, error) {
	nf := float64(N)
	// Truncated model ρ̃: the estimate on lags 0 … Λ, zero beyond.
	lam := min(window, len(rho)-1)
	rt := func(t int) float64 {
		if t < 0 {
			t = -t
		}
		if t > lam {
			return 0
		}
		return rho[t]
	}
	// S(m) = Σ_k f(k)f(k+m) for the symmetric f(k) = ρ̃(|k|), k = −Λ … Λ.
	f := make([]float64, 2*lam+1)
	for k := -lam; k <= lam; k++ {
		f[k+lam] = rt(k)
	}
	sCorr, _ := acCorrConv(f)
	S := func(m int) float64 {
		if m < 0 {
			m = -m
		}
		if m >= len(sCorr) {
			return 0
		}
		return sCorr[m]
	}
	cov := func(t, u int) float64 {
		return (S(t-u) + S(t+u) + 2*rt(t)*rt(u)*S(0) - 2*rt(t)*S(u) - 2*rt(u)*S(t)) / nf
	}
	sigma := func(t int) float64 {
		// Floor at 1/N² ≪ 1/N (white noise) against a degenerate zero.
		return math.Sqrt(math.Max(cov(t, t), 1/(nf*nf)))
	}

	r := TauExp{Amplitude: 1}
	var sig []float64 // sig[t-1] = σ_ρ(t) on the fitted lags
	t1 := len(rho)
	for t := 1; t < len(rho); t++ {
		st := sigma(t)
		thr := math.Max(s.ExpFloor, s.ExpNSigma*st)
		if rho[t] < thr {
			t1 = t
			r.ThresholdReached = true
			if t == 1 {
				if thr >= 1 {
					return TauExp{}, fmt.Errorf("mcmc: noise level of ρ(1) (σ = %.3g) too large for an exponential fit: series too short", st)
				}
				r.FitEnd = 1
				r.UpperBound = true
				r.TauErr = -1 / math.Log(thr)
				r.Warnings = append(r.Warnings, fmt.Sprintf("ρ(1) = %.3g already below the threshold %.3g: τ_exp is below one step; Tau = 0 and TauErr = %.3g is an upper bound", rho[1], thr, r.TauErr))
				return r, nil
			}
			break
		}
		sig = append(sig, st)
	}
	r.FitEnd = t1
	P := t1 - 1
	r.Points = P
	if !r.ThresholdReached {
		r.Warnings = append(r.Warnings, fmt.Sprintf("ρ(t) never fell below the fit threshold within %d lags: τ_exp fit unreliable, the series is too short", len(rho)-1))
	}
	// Weighted least squares on y_t = log ρ̂(t) with w_t = ρ̂(t)²/σ_ρ(t)². The
	// slope estimate is linear in y: slope = Σ_t a_t y_t.
	wt := make([]float64, P)
	for i := range P {
		wt[i] = rho[i+1] * rho[i+1] / (sig[i] * sig[i])
	}
	a := make([]float64, P)
	var slope float64
	free := s.ExpFreeAmplitude && P >= 2
	if s.ExpFreeAmplitude && !free {
		r.Warnings = append(r.Warnings, "only one lag above the threshold: amplitude fixed to 1")
	}
	if free {
		var sw, swt, swy float64
		for i := range P {
			t := float64(i + 1)
			sw += wt[i]
			swt += wt[i] * t
			swy += wt[i] * math.Log(rho[i+1])
		}
		tm, ym := swt/sw, swy/sw
		var stt float64
		for i := range P {
			d := float64(i+1) - tm
			stt += wt[i] * d * d
		}
		for i := range P {
			a[i] = wt[i] * (float64(i+1) - tm) / stt
			slope += a[i] * math.Log(rho[i+1])
		}
		r.Amplitude = math.Exp(ym - slope*tm)
	} else {
		// Through the origin: log ρ(t) = −t/τ, since ρ(0) = 1.
		var stt float64
		for i := range P {
			t := float64(i + 1)
			stt += wt[i] * t * t
		}
		for i := range P {
			a[i] = wt[i] * float64(i+1) / stt
			slope += a[i] * math.Log(rho[i+1])
		}
	}
	if !(slope < 0) {
		return TauExp{}, fmt.Errorf("mcmc: exponential fit of ρ(t) over lags 1…%d gives a non-negative slope %g: no decay", P, slope)
	}
	// var(slope) = Σ_{t,u} c_t c_u cov(t, u), c_t = a_t/ρ̂(t) (δ log ρ = δρ/ρ).
	// With c indexed from lag 0 (c_0 = 0), C(m) = Σ_t c_t c_{t+m} and
	// D(v) = Σ_{t+u=v} c_t c_u turn the S(t−u) and S(t+u) sums into O(P) sums.
	c := make([]float64, P+1)
	var cr, cs float64 // Σ c_t ρ̃(t), Σ c_t S(t)
	for i := range P {
		t := i + 1
		c[t] = a[i] / rho[t]
		cr += c[t] * rt(t)
		cs += c[t] * S(t)
	}
	C, D := acCorrConv(c)
	v := S(0) * C[0]
	for m := 1; m < len(C); m++ {
		v += 2 * S(m) * C[m]
	}
	for u, d := range D {
		v += S(u) * d
	}
	v += 2*S(0)*cr*cr - 4*cr*cs
	slopeErr := math.Sqrt(math.Max(v, 0) / nf)
	r.Tau = -1 / slope
	r.TauErr = r.Tau * r.Tau * slopeErr
	if math.IsNaN(r.Tau) || math.IsInf(r.Tau, 0) || math.IsNaN(r.TauErr) || math.IsInf(r.TauErr, 0) || math.IsNaN(r.Amplitude) || math.IsInf(r.Amplitude, 0) {
		return TauExp{}, fmt.Errorf("mcmc: τ_exp fit is not finite (τ = %g ± %g)", r.Tau, r.TauErr)
	}
	return r, nil
}
