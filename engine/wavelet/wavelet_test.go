package wavelet

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

func randVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestFilterIdentities checks the conjugate-mirror conditions of every filter,
// and the db4 numbers of spec §1.1: Σh = √2, Σh² = 1, even/odd tap energies
// 0.487148 / 0.512852, lag-1 autocorrelation r₁ = 0.598145.
func TestFilterIdentities(t *testing.T) {
	for _, name := range filterNames() {
		f, err := NewFilter(name)
		if err != nil {
			t.Fatal(err)
		}
		if dev := f.IsOrthogonalFilter(); dev > 1e-12 {
			t.Errorf("%s: conjugate-mirror conditions violated by %.3g", name, dev)
		}
	}
	f, _ := NewFilter("db4")
	h := f.LowPass()
	var a0, a1, r1 float64
	for k, v := range h {
		if k%2 == 0 {
			a0 += v * v
		} else {
			a1 += v * v
		}
		if k+1 < len(h) {
			r1 += v * h[k+1]
		}
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"a0", a0, 0.487148}, {"a1", a1, 0.512852}, {"r1", r1, 0.598145}} {
		if math.Abs(c.got-c.want) > 5e-7 { // spec §1.1 quotes six decimals
			t.Errorf("db4 %s = %.7f, spec §1.1 says %.6f", c.what, c.got, c.want)
		}
	}
	if _, err := New("db11"); err == nil {
		t.Error("New(db11) succeeded; want an unknown-wavelet error")
	}
}

// TestPeriodizedOrthogonality builds the 1D analysis matrix at N = 2 … 16 and
// checks W Wᵀ = Id to 1e-12 (spec §1.2), and that db4 at N = 2 is Haar.
func TestPeriodizedOrthogonality(t *testing.T) {
	for _, name := range []string{"haar", "db2", "db4", "db8", "sym4", "coif2", "coif5", "db10"} {
		f, _ := NewFilter(name)
		for N := 2; N <= 16; N += 2 {
			W := make([][]float64, N) // rows: a[0..N/2), d[0..N/2)
			a, d := make([]float64, N/2), make([]float64, N/2)
			cols := make([][]float64, N)
			for i := 0; i < N; i++ {
				e := make([]float64, N)
				e[i] = 1
				f.Analyze1D(a, d, e)
				cols[i] = append(append([]float64(nil), a...), d...)
			}
			for r := 0; r < N; r++ {
				W[r] = make([]float64, N)
				for c := 0; c < N; c++ {
					W[r][c] = cols[c][r]
				}
			}
			worst := 0.0
			for r := 0; r < N; r++ {
				for s := 0; s < N; s++ {
					want := 0.0
					if r == s {
						want = 1
					}
					worst = math.Max(worst, math.Abs(dot(W[r], W[s])-want))
				}
			}
			if worst > 1e-12 {
				t.Errorf("%s N=%d: ‖WWᵀ − I‖_max = %.3g", name, N, worst)
			}
			if name == "db4" && N == 2 {
				if math.Abs(W[0][0]-math.Sqrt2/2) > 1e-12 || math.Abs(W[0][1]-math.Sqrt2/2) > 1e-12 {
					t.Errorf("db4 at N=2: low-pass row %v, want Haar (1/√2, 1/√2)", W[0])
				}
			}
		}
	}
}

// TestAdjointAndReconstruction checks, for the 2D level at every even size n
// from 2 to 64 (n < K included): ⟨W x, y⟩ = ⟨x, Wᵀ y⟩, perfect reconstruction
// and Parseval, all to 1e-12.
func TestAdjointAndReconstruction(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"haar", "db2", "db4", "sym4", "coif2", "db10", "shannon"} {
		b, _ := New(name)
		for _, n := range []int{2, 4, 6, 8, 10, 16, 64} {
			if name == "shannon" && n%4 != 0 && n != 2 {
				continue
			}
			m := n / 2
			ws := NewWorkspace(n)
			x := randVec(rng, n*n)
			c, d := make([]float64, m*m), make([]float64, 3*m*m)
			b.Analyze(c, d, x, n, ws)
			// Parseval.
			if e := math.Abs(dot(x, x) - dot(c, c) - dot(d, d)); e > 1e-12*dot(x, x) {
				t.Errorf("%s n=%d: Parseval off by %.3g", name, n, e)
			}
			// Reconstruction.
			y := make([]float64, n*n)
			b.Synthesize(y, c, d, n, ws)
			if e := maxAbsDiff(x, y); e > 1e-12 {
				t.Errorf("%s n=%d: reconstruction error %.3g", name, n, e)
			}
			// Adjointness with independent coefficient vectors.
			c2, d2 := randVec(rng, m*m), randVec(rng, 3*m*m)
			b.Synthesize(y, c2, d2, n, ws)
			lhs := dot(c, c2) + dot(d, d2)
			rhs := dot(x, y)
			if math.Abs(lhs-rhs) > 1e-12*math.Max(1, math.Abs(lhs)) {
				t.Errorf("%s n=%d: ⟨Wx, y⟩ = %.15g but ⟨x, Wᵀy⟩ = %.15g", name, n, lhs, rhs)
			}
		}
	}
}

// TestRenormalizedDecomposition checks the multilevel transform with γ ≠ 1:
// perfect reconstruction and ‖φ_{j−1}‖² = γ_j²(‖φ_j‖² + ‖φ̄_j‖²) (spec §1.6).
func TestRenormalizedDecomposition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b, _ := New("db4")
	L, J := 64, 6
	gamma := []float64{1.8, 1.7, 1.9, 1.6, 2.1, 1.3}
	tr, err := NewTransform(b, L, J, gamma)
	if err != nil {
		t.Fatal(err)
	}
	x := randVec(rng, L*L)
	d := NewDecomposition(L, J)
	tr.Decompose(d, x)
	fine := x
	for j := 1; j <= J; j++ {
		c, det := d.Coarse(j), d.Detail(j)
		want := dot(fine, fine)
		got := gamma[j-1] * gamma[j-1] * (dot(c, c) + dot(det, det))
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("level %d: ‖φ_{j−1}‖² = %.15g, γ²(‖φ_j‖²+‖φ̄_j‖²) = %.15g", j, want, got)
		}
		fine = c
	}
	y := make([]float64, L*L)
	tr.Reconstruct(y, d)
	if e := maxAbsDiff(x, y); e > 1e-12 {
		t.Errorf("reconstruction error %.3g", e)
	}
	if _, err := NewTransform(b, 48, 2, nil); err == nil {
		t.Error("NewTransform accepted side 48")
	}
	if _, err := NewTransform(b, 64, 7, nil); err == nil {
		t.Error("NewTransform accepted 7 levels of 64×64")
	}
	if _, err := NewTransform(b, 64, 2, []float64{1, -1}); err == nil {
		t.Error("NewTransform accepted γ = −1")
	}
}

// TestEstimateGammaWhiteNoise: for white noise every orthonormal coarse
// coefficient has the variance of a pixel, so γ_j = 1 up to sampling error.
// Each level pools n·L_j² independent unit-variance values; the relative
// standard error of a variance ratio of that size is ≈ sqrt(2/(n·L_j²)) for
// the coarse variance. We allow 5 standard errors.
func TestEstimateGammaWhiteNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	L, n := 32, 400
	s := lattice.NewStack(n, L)
	for i := range s.Data {
		s.Data[i] = rng.NormFloat64()
	}
	b, _ := New("db4")
	g, err := EstimateGamma(b, s, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	for j := 1; j <= 3; j++ {
		Lj := L >> j
		se := math.Sqrt(2 / float64(n*Lj*Lj)) // of γ² = ratio of variances
		if math.Abs(g[j-1]*g[j-1]-1) > 5*se {
			t.Errorf("white noise γ_%d = %.4f, want 1 within %.4f", j, g[j-1], 5*se/2)
		}
	}
	g1, _ := EstimateGamma(b, s, 3, 1)
	for j := range g {
		if g[j] != g1[j] {
			t.Errorf("γ_%d depends on the worker count: %v vs %v", j+1, g[j], g1[j])
		}
	}
}

func TestZeroAllocations(t *testing.T) {
	b, _ := New("db4")
	tr, _ := NewTransform(b, 64, 6, nil)
	d := NewDecomposition(64, 6)
	x := randVec(rand.New(rand.NewPCG(1, 1)), 64*64)
	y := make([]float64, 64*64)
	allocs := testing.AllocsPerRun(10, func() {
		tr.Decompose(d, x)
		tr.Reconstruct(y, d)
	})
	if allocs != 0 {
		t.Errorf("Decompose+Reconstruct allocate %v times per run", allocs)
	}
}

// TestShannonBands checks that the Shannon split separates Fourier shells:
// a plane wave with |f₁|, |f₂| < n/4 lands in the coarse field only, one
// with |f₂| > n/4 and |f₁| < n/4 in channel 1 only (high-pass along x₂),
// one with |f₁| > n/4 in channel 2, one with both above in channel 3.
func TestShannonBands(t *testing.T) {
	const n = 32
	b, _ := New("shannon")
	ws := NewWorkspace(n)
	m := n / 2
	for _, c := range []struct {
		f1, f2, want int // want: 0 coarse, 1–3 channel
	}{{3, 5, 0}, {-7, 2, 0}, {2, 11, 1}, {12, -3, 2}, {10, 14, 3}, {16, 16, 3}} {
		x := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				x[i*n+j] = math.Cos(2*math.Pi*float64(c.f1*i+c.f2*j)/n + 0.3)
			}
		}
		coarse, detail := make([]float64, m*m), make([]float64, 3*m*m)
		b.Analyze(coarse, detail, x, n, ws)
		energy := [4]float64{dot(coarse, coarse), dot(detail[:m*m], detail[:m*m]), dot(detail[m*m:2*m*m], detail[m*m:2*m*m]), dot(detail[2*m*m:], detail[2*m*m:])}
		total := dot(x, x)
		if math.Abs(energy[c.want]-total) > 1e-9*total {
			t.Errorf("wave (%d, %d): energies per plane %v, want all %g in plane %d", c.f1, c.f2, energy, total, c.want)
		}
	}
	tr, _ := NewTransform(b, 64, 6, nil)
	d := NewDecomposition(64, 6)
	x := randVec(rand.New(rand.NewPCG(1, 1)), 64*64)
	y := make([]float64, len(x))
	if a := testing.AllocsPerRun(5, func() { tr.Decompose(d, x); tr.Reconstruct(y, d) }); a != 0 {
		t.Errorf("shannon transform allocates %v times", a)
	}
	if e := maxAbsDiff(x, y); e > 1e-12 {
		t.Errorf("shannon multilevel reconstruction error %.3g", e)
	}
}

// TestCoarseGrain checks CoarseGrain against its definition: for Haar a
// coarse value after k levels is 2^k times the mean of its 2^k×2^k block;
// for db4 it equals φ_k of the decomposition with γ_j = 1.
func TestCoarseGrain(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	L, n, k := 16, 3, 2
	s := lattice.NewStack(n, L)
	for i := range s.Data {
		s.Data[i] = rng.NormFloat64()
	}
	haar, _ := New("haar")
	c, err := CoarseGrain(haar, s, k, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != n || c.L != L>>k {
		t.Fatalf("coarse stack %d×%d², want %d×%d²", c.N, c.L, n, L>>k)
	}
	b := 1 << k
	for f := range n {
		for y := range c.L {
			for x := range c.L {
				mean := 0.0
				for dy := range b {
					for dx := range b {
						mean += s.Field(f).Data[(b*y+dy)*L+b*x+dx]
					}
				}
				mean /= float64(b * b)
				if got := c.Field(f).Data[y*c.L+x]; math.Abs(got-float64(b)*mean) > 1e-12 {
					t.Fatalf("field %d (%d,%d): Haar coarse value %g, want 2^k × block mean %g", f, y, x, got, float64(b)*mean)
				}
			}
		}
	}
	db4, _ := New("db4")
	c, err = CoarseGrain(db4, s, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := NewTransform(db4, L, k, nil)
	d := NewDecomposition(L, k)
	for f := range n {
		tr.Decompose(d, s.Field(f).Data)
		for i, v := range d.Coarse(k) {
			if c.Field(f).Data[i] != v {
				t.Fatalf("field %d site %d: CoarseGrain %g, decomposition φ_%d %g", f, i, c.Field(f).Data[i], k, v)
			}
		}
	}
	if _, err := CoarseGrain(db4, s, 4, 0); err == nil {
		t.Error("coarse-graining 16² fields to 1×1 was accepted")
	}
}
