package experiment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/fft2"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// DecayRadius is the distance, in coarse lattice spacings, beyond which
// couplings count as long range in BasisResult.Decay.
const DecayRadius = 2.0

// BasesSettings configures CompareBases: the finest conditional Ē_1 is
// fitted with each wavelet basis under otherwise identical settings.
type BasesSettings struct {
	// Bases are the wavelet names to compare (default haar, db4, shannon).
	Bases []string
	// Window is the half-width n of the quadratic window, (2n+1)² shifts on
	// the coarse grid, the same for every basis (default 4, 9×9).
	Window int
	// Train is the fraction of the fields used for fitting (default 0.75);
	// the others are held out for the score-matching loss and seed the
	// relaxation chains. The split is a seeded random permutation.
	Train float64
	// Nodes is the number of scalar-basis nodes K (default 30, quadratic
	// B-splines as for every score-matching fit).
	Nodes int
	// GammaRule is the γ rule, "unit" (default) or "one".
	GammaRule string
	// Chains, Adapt and Steps configure the conditional MALA relaxation
	// measurement (wcrg.RelaxSettings): chains at held-out fields (default
	// 16, at most the held-out count), adaptation steps (default 200, at
	// least 50) and recorded steps per chain (default 4000, at least 100).
	Chains, Adapt, Steps int
	Seed                 uint64
	// Workers is the number of goroutines (0: one per core); results do
	// not depend on it.
	Workers int
}

// DefaultBasesSettings returns the defaults of the study.
func DefaultBasesSettings() BasesSettings {
	return BasesSettings{Bases: []string{"haar", "db4", "shannon"}, Window: 4, Train: 0.75, Nodes: 30,
		GammaRule: wcrg.GammaUnit, Chains: 16, Adapt: 200, Steps: 4000, Seed: 1}
}

func (s BasesSettings) withDefaults() BasesSettings {
	d := DefaultBasesSettings()
	if len(s.Bases) == 0 {
		s.Bases = d.Bases
	}
	if s.Train == 0 {
		s.Train = d.Train
	}
	if s.Nodes == 0 {
		s.Nodes = d.Nodes
	}
	if s.GammaRule == "" {
		s.GammaRule = d.GammaRule
	}
	if s.Chains == 0 {
		s.Chains = d.Chains
	}
	if s.Adapt == 0 {
		s.Adapt = d.Adapt
	}
	if s.Steps == 0 {
		s.Steps = d.Steps
	}
	return s
}

// Validate reports settings that cannot be used, naming the setting.
func (s BasesSettings) Validate() error {
	s = s.withDefaults()
	seen := map[string]bool{}
	for _, b := range s.Bases {
		if _, err := wavelet.New(b); err != nil {
			return fmt.Errorf("experiment: bases: %v", err)
		}
		key := strings.ToLower(strings.TrimSpace(b))
		if seen[key] {
			return fmt.Errorf("experiment: bases: %q is listed twice", b)
		}
		seen[key] = true
	}
	switch {
	case s.Window < 0 || s.Window > 16:
		return fmt.Errorf("experiment: window half-width %d (want 0 … 16)", s.Window)
	case !(s.Train > 0 && s.Train < 1):
		return fmt.Errorf("experiment: training fraction %g (want 0 < train < 1)", s.Train)
	case s.Nodes < 2 || s.Nodes > 1000:
		return fmt.Errorf("experiment: %d scalar basis nodes (want 2 … 1000)", s.Nodes)
	case s.GammaRule != wcrg.GammaUnit && s.GammaRule != wcrg.GammaOne:
		return fmt.Errorf("experiment: γ rule %q (want %q or %q)", s.GammaRule, wcrg.GammaUnit, wcrg.GammaOne)
	case s.Chains < 1 || s.Chains > 10000:
		return fmt.Errorf("experiment: %d relaxation chains (want 1 … 10000)", s.Chains)
	case s.Adapt < 50 || s.Adapt > 1e6:
		// Fewer steps cannot bring the initial step 1/(curvature bound) down
		// to an accepting one, and the chains stay constant.
		return fmt.Errorf("experiment: %d adaptation steps (want 50 … 1e6)", s.Adapt)
	case s.Steps < 100 || s.Steps > 1e7:
		return fmt.Errorf("experiment: %d relaxation steps (want 100 … 1e7)", s.Steps)
	case s.Workers < 0:
		return fmt.Errorf("experiment: %d workers (want 0 for one per core, or more)", s.Workers)
	}
	return nil
}

// BasesProgress reports CompareBases.
type BasesProgress struct {
	Basis        string  // basis being processed
	Index, Count int     // its position (0-based) among Count bases
	Stage        string  // "fit", "held-out loss", "couplings", "relaxation", "done"
	Fraction     float64 // of the whole study, in [0, 1]
	// Finished is a copy of the basis' result when Stage is "done".
	Finished *BasisResult
	Elapsed  time.Duration
}

// TailPoint is one point of a coupling tail curve: the fraction of the
// squared coupling norm at distances greater than Distance. A curve has a
// point at 0 and at every distance where a coupling sits, ascending.
type TailPoint struct {
	Distance float64 `json:"distance"` // coarse lattice spacings
	Tail     float64 `json:"tail"`
}

// BasisResult is the study's outcome for one basis. All figures refer to the
// finest conditional Ē_1(φ̄_1 | φ_1) fitted by score matching on the training
// fields, in standardized units.
//
// Couplings. The learned quadratic part is the block convolution kernel
// k_cd(s) of E_Q = ½ Σ_{x,c,d,s} a_c(x) k_cd(s) a_d(x−s), channels a₀ = φ_1 and
// a₁…₃ = φ̄_1, so that a term θ·M_{c,d,s} puts θ/2 at k_cd(s) and at
// k_dc(−s). The couplings are the entries between distinct coefficients:
// every k_cd(s) except the self terms k_cc(0), which are masses (and, for
// the detail channels, exchangeable with the t² part of the scalar
// potential, spec §2.3). Their norm is the squared Frobenius norm
// Σ k_cd(s)² over those entries, so a coupling θ·M_{c,d,s} between distinct
// coefficients counts θ²/2.
//
// Distance. The distance of k_cd(s) is the Euclidean distance, on the
// periodic fine lattice and divided by 2 (so in coarse lattice spacings),
// between the centres of the two coefficients' synthesis atoms: a_c(x) sits
// at 2x + o_c, where o_c is the centroid of |ψ_c|² of the channel's atom
// (the circular mean on the torus). For Haar and Shannon o_c is the same for
// every channel and the distance is |s|. db4's filters are not symmetric:
// the energy of its high-pass atom sits ≈ 4 fine sites (2.04 coarse
// spacings) from that of its low-pass atom along each high-pass axis, so
// couplings between channels (φ_1–φ̄_1^1, φ̄_1^1–φ̄_1^3, …) are measured
// with that displacement; DecayIndex uses the index shift |s| instead (the
// distance between the filters' support centres, which this package's
// alignment makes equal for all channels).
type BasisResult struct {
	Basis  string  `json:"basis"`
	L      int     `json:"L"`
	Side   int     `json:"side"` // n = L/2, the side of φ_1 and φ̄_1
	Window int     `json:"window"`
	Gamma  float64 `json:"gamma"` // γ_1
	Params int     `json:"params"`
	Train  int     `json:"train_fields"`
	Test   int     `json:"test_fields"`
	// Offsets are the atom centres o_c (fine lattice units, axis 1 and 2)
	// of channels c = 0 (φ_1), 1, 2, 3.
	Offsets [4][2]float64 `json:"offsets"`

	// Decay is the fraction of the squared norm of all learned couplings
	// (φ_1–φ̄_1 and φ̄_1–φ̄_1) at distance > DecayRadius. DecaySame is the
	// same for the same-channel couplings φ̄_1^c–φ̄_1^c alone (the
	// within-band kernels, whose decay reflects the basis' frequency
	// localization), and DecayIndex is Decay with the index shift |s| as
	// the distance. Tail is Decay as a function of the radius.
	Decay      float64     `json:"decay"`
	DecaySame  float64     `json:"decay_same"`
	DecayIndex float64     `json:"decay_index"`
	Tail       []TailPoint `json:"tail"`
	// RefDecay and RefDecaySame are Decay and DecaySame of the exact
	// couplings of a nearest-neighbour kinetic term, Ḡ(−Δ)Ḡᵀ and Ḡ(−Δ)Gᵀ
	// (spec §2.1; β times these are the φ⁴ couplings at j = 1), within
	// the same window: the data-independent expectation, with RefTail its
	// tail curve. RefCond is κ of Ḡ(−Δ)Ḡᵀ over all coarse frequencies.
	RefDecay     float64     `json:"ref_decay"`
	RefDecaySame float64     `json:"ref_decay_same"`
	RefTail      []TailPoint `json:"ref_tail"`
	RefCond      float64     `json:"ref_cond"`
	// MeanCurvature is γ_1²⟨v̄”(φ_0)⟩ over the training fields.
	MeanCurvature float64 `json:"mean_curvature"`

	// TrainLoss and TestLoss are the score-matching (Hyvärinen) losses
	// E[½‖∇_φ̄Ē‖² − Δ_φ̄Ē] on the training and held-out fields, per detail
	// coordinate and in the units of the standardized field φ_0: the loss
	// per sample divided by 3n²·γ_1² (the loss in φ̄ scales as γ_1² times
	// the loss in φ_0). The loss is the Fisher divergence to the true
	// conditional minus a constant of the data, ½E‖∇ log p̄‖², which
	// depends on the basis; lower is better.
	TrainLoss float64 `json:"train_loss"`
	TestLoss  float64 `json:"test_loss"`
	// CondSM is κ of the normalized score-matching Hessian (spec §3.2), 0
	// when it is not positive definite (the ridge then made the solve
	// possible).
	CondSM float64 `json:"cond_sm"`

	// EigMin and EigMax are the extreme eigenvalues over coarse frequencies
	// ω of the 3×3 Hermitian symbols of the mean Hessian E[∇²_φ̄ Ē_1] =
	// K̄ + MeanCurvature·Id, with K̄ the φ̄–φ̄ block of k (self terms
	// included), in φ̄ units; CondFourier = EigMax/EigMin, 0 when EigMin ≤ 0
	// (not positive definite). Eigenvalues lists all 3n² of them,
	// ascending.
	EigMin      float64   `json:"eig_min"`
	EigMax      float64   `json:"eig_max"`
	CondFourier float64   `json:"cond_fourier"`
	Eigenvalues []float64 `json:"eigenvalues"`

	// Tau and TauErr are τ_int, in MALA steps, of Ē_1 along conditional
	// MALA chains at fixed held-out φ_1 (wcrg.ConditionalRelaxation);
	// TauReliable is false when the autocorrelation window was not found or
	// the chains were shorter than 50 τ. Delta and Acceptance are the
	// adapted step and its acceptance rate.
	Tau         float64 `json:"tau"`
	TauErr      float64 `json:"tau_err"`
	TauReliable bool    `json:"tau_reliable"`
	Delta       float64 `json:"delta"`
	Acceptance  float64 `json:"acceptance"`

	Seed    uint64  `json:"seed"`
	Seconds float64 `json:"seconds"`
}

// CompareBases fits the finest conditional Ē_1(φ̄_1 | φ_1) with every basis of
// set at the same window, by closed-form score matching on a training split
// of fields, and measures for each the spatial decay of the learned
// couplings, the held-out score-matching loss, the Fourier spectrum of the
// mean conditional Hessian and the conditional MALA relaxation time (see
// BasisResult). The fit is wcrg.Fit with one level, so the coarse field
// φ_1 also gets a plain model, which the study does not use. Fields are raw
// (the fit standardizes them). Results are in the order of set.Bases.
func CompareBases(ctx context.Context, fields lattice.Stack, set BasesSettings, progress func(BasesProgress)) ([]BasisResult, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	set = set.withDefaults()
	L := fields.L
	if wavelet.MaxLevels(L) == 0 || L < 4 {
		return nil, fmt.Errorf("experiment: fields of side %d (want a power of two ≥ 4)", L)
	}
	if w := 2*set.Window + 1; w > L/2 {
		// Shifts would wrap around the L/2 grid of φ_1 and repeat (they are
		// merged modulo the grid): the window would not be the one asked
		// for, and the couplings' decay with distance would be meaningless.
		return nil, fmt.Errorf("experiment: a %d×%d window on the %d×%d grid of φ_1 (fields of %d×%d): want a half-width of at most %d", w, w, L/2, L/2, L, L, (L/2-1)/2)
	}
	nTrain := int(math.Round(set.Train * float64(fields.N)))
	nTrain = min(nTrain, fields.N-1)
	if nTrain < 2 || fields.N-nTrain < 1 {
		return nil, fmt.Errorf("experiment: %d fields split %g : %g leave %d for training and %d held out (want at least 2 and 1)",
			fields.N, set.Train, 1-set.Train, max(nTrain, 0), fields.N-max(nTrain, 0))
	}
	train, test := splitFields(fields, nTrain, set.Seed)
	start := time.Now()
	count := len(set.Bases)
	report := func(p BasesProgress) {
		if progress != nil {
			p.Count = count
			p.Elapsed = time.Since(start)
			progress(p)
		}
	}
	// Share of each stage in a basis' work (for the progress fraction).
	const fitShare, lossShare, relaxShare = 0.45, 0.05, 0.5
	var out []BasisResult
	for i, name := range set.Bases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		frac := func(f float64) float64 { return (float64(i) + f) / float64(count) }
		t0 := time.Now()
		r := BasisResult{Basis: name, L: L, Side: L / 2, Window: set.Window, Train: train.N, Test: test.N, Seed: set.Seed}

		// Fit (one level: Ē_1 and a plain model of φ_1).
		ws := wcrg.DefaultSettings()
		ws.Wavelet, ws.Levels, ws.GammaRule, ws.Window, ws.Nodes = name, 1, set.GammaRule, set.Window, set.Nodes
		ws.Estimator, ws.Seed, ws.Workers = wcrg.EstimatorSM, set.Seed, set.Workers
		report(BasesProgress{Basis: name, Index: i, Stage: "fit", Fraction: frac(0)})
		m, err := wcrg.Fit(ctx, train, ws, wcrg.Provenance{Notes: []string{"compare-bases: finest conditional"}}, func(p wcrg.FitProgress) {
			report(BasesProgress{Basis: name, Index: i, Stage: "fit", Fraction: frac(fitShare * p.Fraction)})
		})
		if err != nil {
			return nil, fmt.Errorf("experiment: basis %s: %w", name, err)
		}
		e := m.Conditionals[0]
		r.Gamma, r.Params, r.CondSM = m.Gamma[0], e.NumParams(), m.Diagnostics[1].Cond
		if math.IsInf(r.CondSM, 0) || math.IsNaN(r.CondSM) {
			r.CondSM = 0
		}
		dof := float64(e.Dim()) * r.Gamma * r.Gamma
		r.TrainLoss = m.Diagnostics[1].ScoreLoss / dof

		// Held-out loss.
		report(BasesProgress{Basis: name, Index: i, Stage: "held-out loss", Fraction: frac(fitShare)})
		tr := m.Transform()
		testS := estimate.LevelSamples(tr, standardize(test, m), 1, set.Workers)
		loss, err := estimate.ScoreLoss(ctx, e, testS, set.Workers)
		if err != nil {
			return nil, fmt.Errorf("experiment: basis %s: held-out loss: %w", name, err)
		}
		r.TestLoss = loss / dof

		// Couplings and their Fourier spectrum.
		report(BasesProgress{Basis: name, Index: i, Stage: "couplings", Fraction: frac(fitShare + lossShare)})
		r.MeanCurvature = meanCurvature(e, standardize(train, m))
		k := couplingKernel(e, r.MeanCurvature)
		r.Offsets = atomOffsets(m.Basis(), L)
		r.Decay, r.DecaySame, r.DecayIndex, r.Tail = couplingDecay(k, e.N, r.Offsets)
		r.RefDecay, r.RefDecaySame, _, r.RefTail = couplingDecay(laplacianKernel(m.Basis(), L, set.Window), e.N, r.Offsets)
		ref := hessianSpectrum(laplacianKernel(m.Basis(), L, -1), e.N)
		r.RefCond = ref[len(ref)-1] / ref[0]
		r.Eigenvalues = hessianSpectrum(k, e.N)
		r.EigMin, r.EigMax = r.Eigenvalues[0], r.Eigenvalues[len(r.Eigenvalues)-1]
		if r.EigMin > 0 {
			r.CondFourier = r.EigMax / r.EigMin
		}

		// Conditional MALA relaxation at held-out φ_1.
		report(BasesProgress{Basis: name, Index: i, Stage: "relaxation", Fraction: frac(fitShare + lossShare)})
		rel, err := wcrg.ConditionalRelaxation(ctx, m, test, wcrg.RelaxSettings{Chains: set.Chains, Adapt: set.Adapt,
			Steps: set.Steps, Seed: set.Seed, Workers: set.Workers})
		if err != nil {
			return nil, fmt.Errorf("experiment: basis %s: relaxation: %w", name, err)
		}
		s := rel[0]
		r.Tau, r.TauErr, r.TauReliable = s.Energy.Tau, s.Energy.TauErr, s.Energy.WindowFound && !s.Energy.TooShort
		r.Delta, r.Acceptance = s.Delta, s.Acceptance
		r.Seconds = time.Since(t0).Seconds()
		out = append(out, r)
		done := r
		report(BasesProgress{Basis: name, Index: i, Stage: "done", Fraction: frac(fitShare + lossShare + relaxShare), Finished: &done})
	}
	return out, nil
}

// splitFields returns the first nTrain fields of a seeded random permutation
// as the training set and the others as the held-out set (copies).
func splitFields(s lattice.Stack, nTrain int, seed uint64) (train, test lattice.Stack) {
	rng := rand.New(rand.NewPCG(seed, 0x6261736573)) // "bases"
	perm := rng.Perm(s.N)
	take := func(idx []int) lattice.Stack {
		slices.Sort(idx)
		st := lattice.NewStack(len(idx), s.L)
		sites := s.L * s.L
		for k, i := range idx {
			copy(st.Data[k*sites:(k+1)*sites], s.Data[i*sites:(i+1)*sites])
		}
		return st
	}
	return take(perm[:nTrain]), take(perm[nTrain:])
}

// standardize returns (fields − m.Mean)/m.Scale, a copy.
func standardize(s lattice.Stack, m *wcrg.Model) lattice.Stack {
	out := lattice.StackOf(s.N, s.L, slices.Clone(s.Data))
	for i, v := range out.Data {
		out.Data[i] = (v - m.Mean) / m.Scale
	}
	return out
}

// meanCurvature returns γ²⟨v̄”(φ_0(x))⟩ over every site of the standardized
// fields: the potential's contribution to the mean Hessian in φ̄, since
// E[γ²Ḡ diag(v̄”) Ḡᵀ] = γ²⟨v̄”⟩ ḠḠᵀ = γ²⟨v̄”⟩·Id for translation-invariant data.
func meanCurvature(e *energy.Model, std lattice.Stack) float64 {
	if e.Scalar.Kind == energy.BasisNone || len(std.Data) == 0 {
		return 0
	}
	v := e.ScalarPotential()
	var s float64
	for _, t := range std.Data {
		s += v.Eval(t, 2)
	}
	return e.Gamma * e.Gamma * s / float64(len(std.Data))
}

// couplingKernel returns k_cd(s) (index c·4 + d, each n×n row-major over the
// shift s) of the model's quadratic part (see BasisResult), with curv added
// to the detail diagonals k_cc(0), c ≥ 1.
func couplingKernel(e *energy.Model, curv float64) [][]float64 {
	n := e.N
	k := make([][]float64, 16)
	for i := range k {
		k[i] = make([]float64, n*n)
	}
	idx := func(s0, s1 int) int { return modPos(s0, n)*n + modPos(s1, n) }
	for i, t := range e.Terms {
		th := 0.5 * e.Theta[i]
		k[t.C*4+t.D][idx(t.S[0], t.S[1])] += th
		k[t.D*4+t.C][idx(-t.S[0], -t.S[1])] += th
	}
	for c := 1; c < 4; c++ {
		k[c*4+c][0] += curv
	}
	return k
}

func modPos(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// atomOffsets returns, per channel (0: coarse, 1–3: details), the centroid
// of |ψ|² of the synthesis atom of the coefficient at index (0, 0) on a
// fine field of side L, as a circular mean in fine lattice units along
// axes 1 and 2, reduced to (−L/2, L/2].
func atomOffsets(b wavelet.Basis, L int) [4][2]float64 {
	var out [4][2]float64
	n := L / 2
	ws := wavelet.NewWorkspace(L)
	x := make([]float64, L*L)
	for c := 0; c < 4; c++ {
		co, de := make([]float64, n*n), make([]float64, 3*n*n)
		if c == 0 {
			co[0] = 1
		} else {
			de[(c-1)*n*n] = 1
		}
		b.Synthesize(x, co, de, L, ws)
		var s1, c1, s2, c2 float64
		for i := 0; i < L; i++ {
			si, ci := math.Sincos(2 * math.Pi * float64(i) / float64(L))
			for j := 0; j < L; j++ {
				w := x[i*L+j] * x[i*L+j]
				sj, cj := math.Sincos(2 * math.Pi * float64(j) / float64(L))
				s1, c1 = s1+w*si, c1+w*ci
				s2, c2 = s2+w*sj, c2+w*cj
			}
		}
		out[c][0] = math.Atan2(s1, c1) * float64(L) / (2 * math.Pi)
		out[c][1] = math.Atan2(s2, c2) * float64(L) / (2 * math.Pi)
	}
	return out
}

// couplingDecay returns the fractions of the squared norm of the couplings
// between distinct coefficients (every k_cd(s) except the self terms
// k_cc(0)) beyond DecayRadius: all couplings, the same-channel couplings
// only, and all couplings with the index distance |s|; and the tail curve
// of all couplings.
func couplingDecay(k [][]float64, n int, off [4][2]float64) (decay, same, index float64, tail []TailPoint) {
	type entry struct{ d, w float64 }
	var all []entry
	var totAll, farAll, totSame, farSame, farIdx float64
	// wrap reduces a fine-lattice displacement to the minimal image.
	L := float64(2 * n)
	wrap := func(v float64) float64 { return v - L*math.Round(v/L) }
	for c := 0; c < 4; c++ {
		for d := 0; d < 4; d++ {
			kc := k[c*4+d]
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					v := kc[i*n+j]
					if v == 0 || (c == d && i == 0 && j == 0) {
						continue
					}
					w := v * v
					s0, s1 := float64(centered(i, n)), float64(centered(j, n))
					// a_c(x) sits at 2x + o_c, a_d(x − s) at 2(x − s) + o_d.
					d0 := wrap(2*s0+off[c][0]-off[d][0]) / 2
					d1 := wrap(2*s1+off[c][1]-off[d][1]) / 2
					dist := math.Hypot(d0, d1)
					all = append(all, entry{dist, w})
					totAll += w
					if dist > DecayRadius {
						farAll += w
					}
					if math.Hypot(s0, s1) > DecayRadius {
						farIdx += w
					}
					if c == d {
						totSame += w
						if dist > DecayRadius {
							farSame += w
						}
					}
				}
			}
		}
	}
	if totAll == 0 {
		return 0, 0, 0, nil
	}
	decay, index = farAll/totAll, farIdx/totAll
	if totSame > 0 {
		same = farSame / totSame
	}
	// Tail curve: at each distinct distance (to 1e-9), the fraction beyond it.
	slices.SortFunc(all, func(a, b entry) int { return cmpFloat(a.d, b.d) })
	if all[0].d > 1e-9 {
		tail = append(tail, TailPoint{Distance: 0, Tail: 1})
	}
	acc := 0.0
	for i, en := range all {
		acc += en.w
		if i+1 < len(all) && all[i+1].d-en.d < 1e-9 {
			continue
		}
		tail = append(tail, TailPoint{Distance: en.d, Tail: math.Max(0, 1-acc/totAll)})
	}
	return decay, same, index, tail
}

// laplacianKernel returns the kernel k_cd(s) (layout of couplingKernel) of
// the joint quadratic form ½φ_0ᵀ(−Δ)φ_0 of the nearest-neighbour Laplacian in
// the coefficients (φ_1, φ̄_1) of basis b with γ = 1 (spec §2.1: K̄ = Ḡ(−Δ)Ḡᵀ,
// K̄' = Ḡ(−Δ)Gᵀ), without the φ_1–φ_1 block, restricted to the shifts of a
// window of half-width w: the exact conditional couplings of φ⁴ (spec §6.1)
// up to a factor, as the learned model can represent them. w < 0 keeps
// every shift.
func laplacianKernel(b wavelet.Basis, L, w int) [][]float64 {
	n := L / 2
	ws := wavelet.NewWorkspace(L)
	k := make([][]float64, 16)
	x := make([]float64, L*L)
	kx := make([]float64, L*L)
	for d := 0; d < 4; d++ {
		co, de := make([]float64, n*n), make([]float64, 3*n*n)
		if d == 0 {
			co[0] = 1
		} else {
			de[(d-1)*n*n] = 1
		}
		b.Synthesize(x, co, de, L, ws)
		for i := 0; i < L; i++ {
			for j := 0; j < L; j++ {
				kx[i*L+j] = 4*x[i*L+j] - x[modPos(i+1, L)*L+j] - x[modPos(i-1, L)*L+j] -
					x[i*L+modPos(j+1, L)] - x[i*L+modPos(j-1, L)]
			}
		}
		b.Analyze(co, de, kx, L, ws)
		for c := 0; c < 4; c++ {
			plane := make([]float64, n*n)
			if c == 0 && d == 0 {
				k[0] = plane
				continue
			}
			src := co
			if c > 0 {
				src = de[(c-1)*n*n : c*n*n]
			}
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					// Entries below 1e-12 are rounding of exact zeros.
					if v := src[i*n+j]; math.Abs(v) > 1e-12 && (w < 0 || (abs(centered(i, n)) <= w && abs(centered(j, n)) <= w)) {
						plane[i*n+j] = v
					}
				}
			}
			k[c*4+d] = plane
		}
	}
	return k
}

func centered(i, n int) int {
	if 2*i > n {
		return i - n
	}
	return i
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// hessianSpectrum returns the 3n² eigenvalues, ascending, of the φ̄–φ̄ block
// of k: a block convolution, so its spectrum is that of the 3×3 Hermitian
// symbols Ĥ_cd(ω) = Σ_s k_cd(s) e^{−iω·s} at the n² coarse frequencies.
func hessianSpectrum(k [][]float64, n int) []float64 {
	plan := fft2.NewPlan(n)
	hat := make([][]complex128, 9)
	for c := 1; c < 4; c++ {
		for d := 1; d < 4; d++ {
			z := make([]complex128, n*n)
			plan.Forward(z, k[c*4+d])
			hat[(c-1)*3+d-1] = z
		}
	}
	eig := make([]float64, 0, 3*n*n)
	var he hermitian3
	for w := 0; w < n*n; w++ {
		vals, ok := he.eigenvalues(hat, w)
		if !ok {
			panic("experiment: symmetric 6×6 eigendecomposition failed")
		}
		eig = append(eig, vals[0], vals[2], vals[4])
	}
	slices.Sort(eig)
	return eig
}
