package wcrg

import (
	"math"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// Statistic is one scalar statistic of two stacks, with jackknife standard
// errors over fields.
type Statistic struct {
	Name       string
	A, B       float64
	ErrA, ErrB float64
}

// Diff returns B − A and its standard error.
func (s Statistic) Diff() (d, err float64) {
	return s.B - s.A, math.Hypot(s.ErrA, s.ErrB)
}

// Scalar returns the scalar statistic of that name (see Compare), or one
// with NaN values if the comparison has none.
func (c *Comparison) Scalar(name string) Statistic {
	for _, s := range c.Scalars {
		if s.Name == name {
			return s
		}
	}
	nan := math.NaN()
	return Statistic{Name: name, A: nan, B: nan, ErrA: nan, ErrB: nan}
}

// ScaleStatistic is the standard deviation and kurtosis of one plane of
// the wavelet decomposition (channel 0: the coarse field φ_j).
type ScaleStatistic struct {
	Level, Channel     int
	StdA, StdB         float64
	ErrA, ErrB         float64 // of the std
	KurtA, KurtB       float64
	KurtErrA, KurtErrB float64
}

// Comparison holds the statistics of two stacks side by side (spec §4.3).
type Comparison struct {
	NA, NB, L int
	Scalars   []Statistic
	// Radial spectra and pixel histograms on common bins: 60 bins over the
	// mean ± 4 std of stack A (densities).
	SpectrumA, SpectrumB lattice.RadialSpectrum
	HistA, HistB         *lattice.Histogram
	Scales               []ScaleStatistic
	// SpectrumMaxRelErr is max |G_B/G_A − 1| over radial bins with at least
	// 16 modes (|n| ≥ 1) and G_A > 0, NaN when there is none (fields too
	// small); HistL1 is Σ |p_B − p_A| over the common bins with
	// each histogram normalized to sum to one (2 when B has no value in A's
	// range).
	SpectrumMaxRelErr float64
	HistL1            float64
	Wavelet           string
	Levels            int
}

// jackknifeBlocks is the number of delete-one blocks of the jackknife.
const jackknifeBlocks = 20

// fieldFeatures are per-field sums from which every compared statistic is a
// smooth function of field averages, so that the jackknife needs one pass.
// Layout: m, m², m⁴, |m|, P(0), P(k_min), Σφ, Σφ², Σφ³, Σφ⁴ (per site),
// then for each wavelet plane the per-site Σx, Σx², Σx³, Σx⁴.
type fieldFeatures [][]float64

const nScalarFeatures = 10

func featuresOf(s lattice.Stack, tr *wavelet.Transform) fieldFeatures {
	L := s.L
	sites := float64(L * L)
	f := make(fieldFeatures, s.N)
	dec := wavelet.NewDecomposition(L, tr.J)
	re := func(k1, k2 int, x []float64) float64 {
		var c, sn float64
		for i := 0; i < L; i++ {
			for j := 0; j < L; j++ {
				ph := 2 * math.Pi * float64(k1*i+k2*j) / float64(L)
				c += x[i*L+j] * math.Cos(ph)
				sn += x[i*L+j] * math.Sin(ph)
			}
		}
		return (c*c + sn*sn) / sites
	}
	for i := 0; i < s.N; i++ {
		x := s.Field(i).Data
		m := lattice.Mean(x)
		v := []float64{m, m * m, m * m * m * m, math.Abs(m), m * m * sites,
			(re(1, 0, x) + re(0, 1, x)) / 2}
		v = append(v, momentSums(x)...)
		tr.Decompose(dec, x)
		for j := 1; j <= tr.J; j++ {
			v = append(v, momentSums(dec.Coarse(j))...)
			for ch := 1; ch <= 3; ch++ {
				v = append(v, momentSums(dec.Channel(j, ch))...)
			}
		}
		f[i] = v
	}
	return f
}

// momentSums returns the per-site averages of x, x², x³, x⁴.
func momentSums(x []float64) []float64 {
	var s1, s2, s3, s4 float64
	for _, v := range x {
		v2 := v * v
		s1 += v
		s2 += v2
		s3 += v2 * v
		s4 += v2 * v2
	}
	n := float64(len(x))
	return []float64{s1 / n, s2 / n, s3 / n, s4 / n}
}

// stdKurt returns the std and kurtosis from raw moments averaged over fields.
func stdKurt(m []float64) (std, kurt float64) {
	mu := m[0]
	v := m[1] - mu*mu
	c4 := m[3] - 4*mu*m[2] + 6*mu*mu*m[1] - 3*mu*mu*mu*mu
	return math.Sqrt(math.Max(v, 0)), c4 / (v * v)
}

// pairMeans returns the features averaged over consecutive pairs of
// fields (a field and its mirror image); len(f) must be even.
func (f fieldFeatures) pairMeans() fieldFeatures {
	p := make(fieldFeatures, len(f)/2)
	for i := range p {
		a, b := f[2*i], f[2*i+1]
		p[i] = make([]float64, len(a))
		for k := range a {
			p[i][k] = (a[k] + b[k]) / 2
		}
	}
	return p
}

// jackknife returns g(mean features) and its jackknife standard error over
// blocks of fields.
func (f fieldFeatures) jackknife(g func(mean []float64) float64) (float64, float64) {
	n := len(f)
	d := len(f[0])
	sum := make([]float64, d)
	for _, v := range f {
		for k, x := range v {
			sum[k] += x
		}
	}
	mean := make([]float64, d)
	for k := range sum {
		mean[k] = sum[k] / float64(n)
	}
	full := g(mean)
	nb := min(jackknifeBlocks, n)
	vals := make([]float64, nb)
	for b := 0; b < nb; b++ {
		lo, hi := b*n/nb, (b+1)*n/nb
		part := make([]float64, d)
		copy(part, sum)
		for _, v := range f[lo:hi] {
			for k, x := range v {
				part[k] -= x
			}
		}
		for k := range part {
			part[k] /= float64(n - (hi - lo))
		}
		vals[b] = g(part)
	}
	mu := lattice.Mean(vals)
	var v float64
	for _, x := range vals {
		v += (x - mu) * (x - mu)
	}
	return full, math.Sqrt(v * float64(nb-1) / float64(nb))
}

// Compare computes the statistics of a (e.g. held-out data) and b (e.g.
// generated fields). Both must have the same side. basis and J define the
// wavelet decomposition whose per-scale statistics are compared (γ = 1, so
// the numbers are comparable with the spec's reference values; J = 0 means
// min(log₂ L, 4)). Errors are jackknife standard errors over 20 blocks of
// fields.
func Compare(a, b lattice.Stack, basis string, J int) (*Comparison, error) {
	return compare(a, b, basis, J, false)
}

// compare is Compare; with pairs, both stacks hold mirrored pairs
// (Mirrored) and the per-field features of each pair are averaged before
// the jackknife, so that its blocks hold whole pairs (the means, and so
// every statistic, are unchanged).
func compare(a, b lattice.Stack, basis string, J int, pairs bool) (*Comparison, error) {
	if a.L != b.L {
		return nil, errorf("stacks of side %d and %d", a.L, b.L)
	}
	if a.N < 2 || b.N < 2 {
		return nil, errorf("stacks of %d and %d fields (want at least 2 each)", a.N, b.N)
	}
	if !(lattice.Std(a.Data) > 0) {
		return nil, errorf("the reference A is constant (every value is %g): its statistics are undefined", a.Data[0])
	}
	wb, err := wavelet.New(basis)
	if err != nil {
		return nil, err
	}
	if J == 0 {
		J = min(wavelet.MaxLevels(a.L), 4)
	}
	tr, err := wavelet.NewTransform(wb, a.L, J, nil)
	if err != nil {
		return nil, err
	}
	c := &Comparison{NA: a.N, NB: b.N, L: a.L, Wavelet: basis, Levels: J}
	fa, fb := featuresOf(a, tr), featuresOf(b, tr)
	if pairs {
		fa, fb = fa.pairMeans(), fb.pairMeans()
	}
	L2 := float64(a.L * a.L)
	xi := func(v []float64) float64 { return lattice.SecondMomentXi(v[4], v[5], a.L) }
	scalars := []struct {
		name string
		g    func([]float64) float64
	}{
		{"mean", func(v []float64) float64 { return v[6] }},
		{"std", func(v []float64) float64 { s, _ := stdKurt(v[6:10]); return s }},
		{"kurtosis", func(v []float64) float64 { _, k := stdKurt(v[6:10]); return k }},
		{"<|m|>", func(v []float64) float64 { return v[3] }},
		{"<m^2>", func(v []float64) float64 { return v[1] }},
		{"Binder U", func(v []float64) float64 { return 1 - v[2]/(3*v[1]*v[1]) }},
		{"chi", func(v []float64) float64 { return L2 * (v[1] - v[3]*v[3]) }},
		{"xi (2nd moment)", xi},
	}
	for _, st := range scalars {
		va, ea := fa.jackknife(st.g)
		vb, eb := fb.jackknife(st.g)
		c.Scalars = append(c.Scalars, Statistic{Name: st.name, A: va, B: vb, ErrA: ea, ErrB: eb})
	}
	c.SpectrumA = lattice.PowerSpectrum(a, 0).Radial()
	c.SpectrumB = lattice.PowerSpectrum(b, 0).Radial()
	c.SpectrumMaxRelErr = math.NaN() // no bin to judge: undefined, not perfect
	judged := false
	for k := 1; k < len(c.SpectrumA.Power); k++ {
		if c.judgedBin(k) {
			e := math.Abs(c.SpectrumB.Power[k]/c.SpectrumA.Power[k] - 1)
			if judged {
				e = math.Max(c.SpectrumMaxRelErr, e) // NaN (from B) stays NaN
			}
			c.SpectrumMaxRelErr, judged = e, true
		}
	}
	lo, hi, ok := lattice.SpreadRange(a.Data, 4)
	if !ok {
		return nil, errorf("the values of A are too large to compare (their spread overflows)")
	}
	c.HistA = lattice.NewHistogram(lo, hi, 60)
	c.HistB = lattice.NewHistogram(lo, hi, 60)
	c.HistA.Add(a.Data)
	c.HistB.Add(b.Data)
	c.HistL1 = HistogramL1(c.HistA, c.HistB)

	for j := 1; j <= J; j++ {
		for ch := 0; ch <= 3; ch++ {
			off := nScalarFeatures + 16*(j-1) + 4*ch
			sg := func(v []float64) float64 { s, _ := stdKurt(v[off : off+4]); return s }
			kg := func(v []float64) float64 { _, k := stdKurt(v[off : off+4]); return k }
			sa, ea := fa.jackknife(sg)
			sb, eb := fb.jackknife(sg)
			ka, kea := fa.jackknife(kg)
			kb, keb := fb.jackknife(kg)
			c.Scales = append(c.Scales, ScaleStatistic{Level: j, Channel: ch, StdA: sa, StdB: sb, ErrA: ea, ErrB: eb,
				KurtA: ka, KurtB: kb, KurtErrA: kea, KurtErrB: keb})
		}
	}
	return c, nil
}

// judgedBin reports whether radial bin k enters SpectrumMaxRelErr: at
// least 16 modes and positive power in A.
func (c *Comparison) judgedBin(k int) bool {
	return c.SpectrumA.Modes[k] >= 16 && c.SpectrumA.Power[k] > 0
}

// HistogramL1 returns Σ_k |p_k − q_k| of two histograms on the same bins,
// each normalized to sum to one over its in-range counts; 2 when either has
// no count in range.
func HistogramL1(a, b *lattice.Histogram) float64 {
	ta, tb := a.Total(), b.Total()
	if ta == 0 || tb == 0 {
		return 2 // nothing in common: as far apart as two densities get
	}
	var l1 float64
	for k := range a.Counts {
		l1 += math.Abs(a.Counts[k]/ta - b.Counts[k]/tb)
	}
	return l1
}
