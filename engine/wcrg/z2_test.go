package wcrg

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

func TestMirrored(t *testing.T) {
	s := lattice.StackOf(2, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	m := Mirrored(s)
	want := []float64{1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8, -5, -6, -7, -8}
	if m.N != 4 || m.L != 2 || len(m.Data) != len(want) {
		t.Fatalf("Mirrored: %d fields of %d×%d, %d values", m.N, m.L, m.L, len(m.Data))
	}
	for i, v := range want {
		if m.Data[i] != v {
			t.Fatalf("Mirrored value %d = %g, want %g (data %v)", i, m.Data[i], v, m.Data)
		}
	}
	if s.Data[4] != 5 {
		t.Error("Mirrored changed its input")
	}
}

// TestAcceptZ2 calibrates the Z₂ acceptance on dequantized critical Ising
// fields (L = 32, σ = 0.35, the data of TestIsingDequantized): 500 fields
// of an independent run pass it; the same fields each turned to positive
// magnetization (the even statistics unchanged) fail only the sign-balance
// criterion; the same spins dequantized with σ = 0.45 (a broader peak per
// sign) fail on the histogram. It also shows why the Z₂ acceptance exists:
// the plain one's histogram floor on these data is several times the
// mirrored one's, being dominated by the sign count of each set.
func TestAcceptZ2(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 3000 Ising fields at β_c (a few seconds)")
	}
	ctx := context.Background()
	spins := func(n int, seed uint64) lattice.Stack {
		s, _, err := ising.MakeStack(ctx, ising.Model{L: 32, Beta: ising.BetaC}, ising.AlgWolff,
			phi4.DatasetSettings{Samples: n, Seed: seed, Chains: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	dequantize := func(s lattice.Stack, sigma float64) lattice.Stack {
		d, err := ising.Dequantize(s, sigma, 5)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const L = 32
	all := dequantize(spins(2500, 41), ising.DefaultDequantizeSigma)
	train := lattice.Stack{N: 2000, L: L, Data: all.Data[:2000*L*L]}
	held := lattice.Stack{N: 500, L: L, Data: all.Data[2000*L*L:]}
	other := spins(500, 43)
	truth := dequantize(other, ising.DefaultDequantizeSigma)

	acc, err := AcceptZ2(held, train, truth, "db4", 4, true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Accept(held, train, truth, "db4", 4, true)
	if err != nil {
		t.Fatal(err)
	}
	d, e := acc.Mean.Diff()
	t.Logf("true fields: histogram L1 %.4f (floor %.4f, limit %.4f; without Z₂ %.4f, floor %.4f), spectrum %.4f (limit %.4f), pixel mean %+.4f ± %.4f",
		acc.Generated.HistL1, acc.FloorHistL1, acc.HistL1Limit, plain.Generated.HistL1, plain.FloorHistL1, acc.Generated.SpectrumMaxRelErr, acc.SpectrumLimit, d, e)
	for _, f := range acc.Failures {
		t.Errorf("independent true fields rejected: %s", f)
	}
	// The sign count of 500 critical fields is binomial noise: the plain
	// histogram floor must exceed the mirrored one clearly (measured 0.028
	// against 0.0055 on these data).
	if !(plain.FloorHistL1 > 2*acc.FloorHistL1) {
		t.Errorf("histogram floor %.4f without Z₂, %.4f with: the sign count should dominate the plain one", plain.FloorHistL1, acc.FloorHistL1)
	}

	aligned := lattice.NewStack(truth.N, L)
	copy(aligned.Data, truth.Data)
	for i := 0; i < aligned.N; i++ {
		f := aligned.Field(i).Data
		if lattice.Mean(f) < 0 {
			for k := range f {
				f[k] = -f[k]
			}
		}
	}
	acc, err = AcceptZ2(held, train, aligned, "db4", 4, true)
	if err != nil {
		t.Fatal(err)
	}
	if acc.MeanOK || !acc.HistL1OK || !acc.SpectrumOK || !acc.StdOK || !acc.ScalarOK {
		t.Errorf("fields all turned positive: mean ok %v (want false); histogram %v, spectrum %v, std %v, Binder %v (want true: they are even in φ)",
			acc.MeanOK, acc.HistL1OK, acc.SpectrumOK, acc.StdOK, acc.ScalarOK)
	}

	broad := dequantize(other, 0.45)
	acc, err = AcceptZ2(held, train, broad, "db4", 4, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("σ = 0.45: histogram L1 %.4f (limit %.4f)", acc.Generated.HistL1, acc.HistL1Limit)
	if acc.HistL1OK {
		t.Errorf("fields dequantized with σ = 0.45 instead of 0.35 pass the histogram (L1 %.4f, limit %.4f)", acc.Generated.HistL1, acc.HistL1Limit)
	}
}

// TestFitZ2: Settings.Z2 fits exactly what a plain fit of the mirrored
// stack fits (score matching is deterministic), records the given field
// count, and gives a coarsest density symmetric under φ_J → −φ_J.
func TestFitZ2(t *testing.T) {
	st, _, err := fieldio.Read("../../testdata/phi4_L32_beta0.68.npy", fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := st.Slice(0, 64)
	set := DefaultSettings()
	set.Z2 = true
	z, err := Fit(context.Background(), data, set, Provenance{File: "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set.Z2 = false
	plain, err := Fit(context.Background(), Mirrored(data), set, Provenance{File: "demo, mirrored"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if z.Provenance.Count != 64 || !z.Settings.Z2 {
		t.Errorf("Z₂ fit: count %d (want 64), Z2 %v", z.Provenance.Count, z.Settings.Z2)
	}
	if z.Scale != plain.Scale || !slices.Equal(z.Gamma, plain.Gamma) {
		t.Errorf("Z₂ fit: scale %g, γ %v; the mirrored stack's %g, %v", z.Scale, z.Gamma, plain.Scale, plain.Gamma)
	}
	for j := range z.Conditionals {
		if !slices.Equal(z.Conditionals[j].Theta, plain.Conditionals[j].Theta) {
			t.Errorf("level %d: Z₂ fit differs from the fit of the mirrored stack", j+1)
		}
	}
	// With maximum likelihood (site sweeps) on the coarse scales it runs
	// on the mirrored stack too.
	set.Z2, set.MLFromLevel = true, 4
	set.ML.Iterations, set.ML.Sweeps, set.ML.WarmupSweeps, set.ML.MaxStep = 30, 1, 2, 1
	zml, err := Fit(context.Background(), data, set, Provenance{File: "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range zml.Diagnostics[1:] {
		if (d.Level >= 4) != (d.MLIterations > 0) {
			t.Errorf("Z₂ fit with ML from level 4: level %d ran %d ML iterations", d.Level, d.MLIterations)
		}
	}
	// The coarsest density of φ_J: equal at ±t within rounding.
	c := z.Coarsest
	if c == nil {
		t.Fatal("no 1×1 coarsest density")
	}
	for _, v := range []float64{0.3, 1, 2} {
		a, b := c.Energy(v), c.Energy(-v)
		if math.Abs(a-b) > 1e-6*(1+math.Abs(a)) {
			t.Errorf("coarsest energy at ±%g: %g and %g", v, a, b)
		}
	}
}

// TestAcceptZ2Errors: the jackknife of AcceptZ2 treats a field and its
// mirror image as one entry, so statistics even in φ (the Binder
// cumulant, ⟨m²⟩) get exactly the standard errors of the sets as given,
// also when the block edges would split pairs (8 fields, 20 blocks).
func TestAcceptZ2Errors(t *testing.T) {
	const L = 16
	rng := rand.New(rand.NewPCG(1, 2))
	stack := func(n int) lattice.Stack {
		s := lattice.NewStack(n, L)
		for i := range s.Data {
			s.Data[i] = rng.NormFloat64() + 0.3*float64(i/(L*L)%3)
		}
		return s
	}
	ref, train, gen := stack(8), stack(16), stack(8)
	acc, err := AcceptZ2(ref, train, gen, "db4", 2, true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Compare(ref, gen, "db4", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Binder U", "<m^2>"} {
		z, p := acc.Generated.Scalar(name), plain.Scalar(name)
		for _, v := range [][2]float64{{z.A, p.A}, {z.B, p.B}, {z.ErrA, p.ErrA}, {z.ErrB, p.ErrB}} {
			if math.Abs(v[0]-v[1]) > 1e-12*(1+math.Abs(v[1])) {
				t.Errorf("%s: mirrored %+v, as given %+v", name, z, p)
				break
			}
		}
	}
	if _, err := AcceptZ2(ref, stack(4), gen, "db4", 2, true); err == nil || !strings.Contains(err.Error(), "4 training fields") {
		t.Errorf("4 training fields for 8 generated: error %v, want one naming the given counts", err)
	}
}
