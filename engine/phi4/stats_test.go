package phi4

import (
	"context"
	"math"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// record is what a test chain measures: per-sweep ⟨φ²⟩ (site average) and
// magnetization, and every keep-th field.
type record struct {
	phi2, m []float64
	fields  lattice.Stack
}

// collect thermalizes s from a hot start and records sweeps sweeps.
func collect(t *testing.T, s Sampler, therm, sweeps, keep int, seed uint64) record {
	t.Helper()
	m := s.Model()
	L := m.Side()
	f := lattice.NewField(L)
	if err := InitField(f, m, Hot, seed); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Thermalize(ctx, f, therm, nil); err != nil {
		t.Fatal(err)
	}
	r := record{phi2: make([]float64, 0, sweeps), m: make([]float64, 0, sweeps), fields: lattice.NewStack(sweeps/keep, L)}
	stored := 0
	err := s.Run(ctx, f, sweeps, func(p Progress, f lattice.Field) error {
		var s1, s2 float64
		for _, v := range f.Data {
			s1 += v
			s2 += v * v
		}
		n := float64(len(f.Data))
		r.phi2 = append(r.phi2, s2/n)
		r.m = append(r.m, s1/n)
		if p.Sweep%keep == 0 && stored < r.fields.N {
			copy(r.fields.Field(stored).Data, f.Data)
			stored++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// batchMeans returns the mean of x, its standard error from nb batch means
// (valid when a batch is much longer than the integrated autocorrelation
// time) and the implied τ_int = (batch length · var(batch means)) / (2 var(x)).
func batchMeans(x []float64, nb int) (mean, se, tau float64) {
	bl := len(x) / nb
	x = x[:bl*nb]
	means := make([]float64, nb)
	for b := range means {
		means[b] = lattice.Mean(x[b*bl : (b+1)*bl])
	}
	mean = lattice.Mean(means)
	vb := lattice.Variance(means) * float64(nb) / float64(nb-1)
	se = math.Sqrt(vb / float64(nb))
	tau = float64(bl) * vb / (2 * lattice.Variance(x))
	return mean, se, tau
}

// xiJackknife returns the second-moment correlation length of the stored
// fields (lattice.PowerSpectrum(...).CorrelationLength()) and its jackknife
// standard error over nb consecutive batches.
func xiJackknife(st lattice.Stack, nb int) (xi, se float64) {
	xi = lattice.PowerSpectrum(st, 0).CorrelationLength()
	bl := st.N / nb
	g0 := make([]float64, nb)
	g1 := make([]float64, nb)
	var s0, s1 float64
	for b := range g0 {
		sp := lattice.PowerSpectrum(st.Slice(b*bl, (b+1)*bl), 0)
		g0[b] = sp.At(0, 0)
		g1[b] = (sp.At(1, 0) + sp.At(0, 1) + sp.At(-1, 0) + sp.At(0, -1)) / 4
		s0 += g0[b]
		s1 += g1[b]
	}
	jk := make([]float64, nb)
	for b := range jk {
		jk[b] = lattice.SecondMomentXi((s0-g0[b])/float64(nb-1), (s1-g1[b])/float64(nb-1), st.L)
	}
	mj := lattice.Mean(jk)
	var v float64
	for _, x := range jk {
		v += (x - mj) * (x - mj)
	}
	return xi, math.Sqrt(v * float64(nb-1) / float64(nb))
}

// binder returns the Binder cumulant of m and its jackknife error over nb
// batches.
func binder(m []float64, L, nb int) (u, se float64) {
	u = lattice.MomentsOf(m, L).Binder()
	bl := len(m) / nb
	var s2, s4 float64
	b2 := make([]float64, nb)
	b4 := make([]float64, nb)
	for b := 0; b < nb; b++ {
		for _, v := range m[b*bl : (b+1)*bl] {
			b2[b] += v * v
			b4[b] += v * v * v * v
		}
		s2 += b2[b]
		s4 += b4[b]
	}
	jk := make([]float64, nb)
	n := float64((nb - 1) * bl)
	for b := range jk {
		m2, m4 := (s2-b2[b])/n, (s4-b4[b])/n
		jk[b] = 1 - m4/(3*m2*m2)
	}
	mj := lattice.Mean(jk)
	var v float64
	for _, x := range jk {
		v += (x - mj) * (x - mj)
	}
	return u, math.Sqrt(v * float64(nb-1) / float64(nb))
}
