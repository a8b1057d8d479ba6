package lensing

import (
	"context"
	"math"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// meanErr returns the mean of x and its standard error.
func meanErr(x []float64) (float64, float64) {
	return lattice.Mean(x), lattice.Std(x) / math.Sqrt(float64(len(x)))
}

// TestSynthGaussian: Gaussian maps have zero mean, the target pixel variance
// σ_κ² and the target spectrum (ring by ring), within 4 standard errors
// estimated from the maps themselves.
func TestSynthGaussian(t *testing.T) {
	s := SynthSettings{Kind: Gaussian, N: 200, L: 32, FieldDeg: 2, Sigma: 0.02, Spectrum: DefaultSpectrum(), Seed: 3}
	st, rep, err := Synthesize(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ClippedPower != 0 || rep.SigmaG != s.Sigma {
		t.Errorf("Gaussian report %+v", rep)
	}
	checkMoments(t, st, s.Sigma*s.Sigma, 0)
	checkSpectrum(t, st, TargetSpectrum(s))
}

// TestSynthLognormal: shifted-lognormal maps stay above −λ, have zero mean,
// variance σ_κ², the analytic third moment of the shifted lognormal with the
// realized σ_g, E[κ³] = λ³(e^{3σ_g²} − 3e^{σ_g²} + 2), and the target
// spectrum.
func TestSynthLognormal(t *testing.T) {
	s := SynthSettings{Kind: Lognormal, N: 300, L: 32, FieldDeg: 2, Sigma: 0.02, Shift: 0.03, Spectrum: DefaultSpectrum(), Seed: 4}
	st, rep, err := Synthesize(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("σ_g = %.4f, clipped power %.2g", rep.SigmaG, rep.ClippedPower)
	if rep.ClippedPower > 1e-3 {
		t.Errorf("clipped %.3g of the Gaussian's power", rep.ClippedPower)
	}
	for _, v := range st.Data {
		if v <= -s.Shift {
			t.Fatalf("κ = %g ≤ −λ = %g", v, -s.Shift)
		}
	}
	e := math.Exp(rep.SigmaG * rep.SigmaG)
	// The realized variance of κ is λ²(e^{σ_g²} − 1), equal to σ_κ² when
	// nothing was clipped.
	checkMoments(t, st, s.Shift*s.Shift*(e-1), s.Shift*s.Shift*s.Shift*(e*e*e-3*e+2))
	if v := s.Shift * s.Shift * (e - 1); math.Abs(v/(s.Sigma*s.Sigma)-1) > 1e-3 {
		t.Errorf("lognormal variance %g, want σ_κ² = %g", v, s.Sigma*s.Sigma)
	}
	checkSpectrum(t, st, TargetSpectrum(s))
	// Same seed, other worker count: same maps.
	s.Workers, s.N = 1, 5
	again, _, err := Synthesize(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range again.Data {
		if v != st.Data[k] {
			t.Fatal("maps depend on the worker count or on N")
		}
	}
}

// checkMoments compares the per-map means of κ, κ² and κ³ with 0, v2 and v3
// within 4 standard errors over maps.
func checkMoments(t *testing.T, st lattice.Stack, v2, v3 float64) {
	t.Helper()
	m1 := make([]float64, st.N)
	m2 := make([]float64, st.N)
	m3 := make([]float64, st.N)
	for i := range m1 {
		for _, v := range st.Field(i).Data {
			m1[i] += v
			m2[i] += v * v
			m3[i] += v * v * v
		}
		n := float64(st.L * st.L)
		m1[i] /= n
		m2[i] /= n
		m3[i] /= n
	}
	for k, c := range []struct {
		x    []float64
		want float64
	}{{m1, 0}, {m2, v2}, {m3, v3}} {
		m, e := meanErr(c.x)
		t.Logf("⟨κ^%d⟩ = %.4g ± %.2g (want %.4g)", k+1, m, e, c.want)
		if math.Abs(m-c.want) > 4*e {
			t.Errorf("⟨κ^%d⟩ = %.4g ± %.2g, want %.4g", k+1, m, e, c.want)
		}
	}
}

// checkSpectrum compares the ring-averaged structure factor of the maps with
// the ring average of the target, within 4 standard errors per ring.
func checkSpectrum(t *testing.T, st lattice.Stack, target []float64) {
	t.Helper()
	got := lattice.PowerSpectrum(st, 0).Radial()
	want := lattice.Spectrum{L: st.L, N: 1, Power: target, Power2: make([]float64, len(target))}.Radial()
	worst := 0.0
	for b := 1; b < len(got.Power); b++ {
		if got.Modes[b] == 0 {
			continue
		}
		z := (got.Power[b] - want.Power[b]) / got.StdErr[b]
		worst = math.Max(worst, math.Abs(z))
		if math.Abs(z) > 4 {
			t.Errorf("ring %d: S = %.4g ± %.2g, target %.4g", b, got.Power[b], got.StdErr[b], want.Power[b])
		}
	}
	t.Logf("spectrum: largest deviation %.1fσ", worst)
}

// TestSpectrumShape: the default shape's band-power ratios are those its
// doc comment quotes (6.6 between ℓ = 100 and 1000, 3.0 between 1000 and 10⁴).
func TestSpectrumShape(t *testing.T) {
	s := DefaultSpectrum()
	band := func(l float64) float64 { return l * l * s.Cl(l) / (2 * math.Pi) }
	if r := band(1000) / band(100); math.Abs(r-6.6) > 0.05 {
		t.Errorf("Δ²(1000)/Δ²(100) = %.3f, want 6.6", r)
	}
	if r := band(1e4) / band(1000); math.Abs(r-3.0) > 0.05 {
		t.Errorf("Δ²(10⁴)/Δ²(1000) = %.3f, want 3.0", r)
	}
}

// TestAngularSpectrum: the ℓ axis and C_ℓ = Ω_pix·S follow the package doc.
func TestAngularSpectrum(t *testing.T) {
	s := SynthSettings{Kind: Gaussian, N: 4, L: 16, FieldDeg: 1, Sigma: 1, Spectrum: DefaultSpectrum(), Seed: 1}
	st, _, err := Synthesize(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := AngularPowerSpectrum(st, s.PixelArcmin(), 1)
	// Ring 1 holds the 8 modes with round(|n|) = 1, |n| = 1 and √2, at
	// ℓ = 2π|n|/(1°) = 360|n|.
	if want := 360 * (1 + math.Sqrt2) / 2; math.Abs(a.Ell[0]-want) > 1e-9 || a.Modes[0] != 8 {
		t.Errorf("first ring ℓ = %g with %d modes, want %g with 8", a.Ell[0], a.Modes[0], want)
	}
	r := lattice.PowerSpectrum(st, 1).Radial()
	pix := s.PixelArcmin() / 60 * math.Pi / 180
	if math.Abs(a.Cl[0]/(pix*pix*r.Power[1])-1) > 1e-12 {
		t.Errorf("C_ℓ = %g, want Ω_pix·S = %g", a.Cl[0], pix*pix*r.Power[1])
	}
}

// TestPrepRoundTrip: every transform is undone exactly by Inverse, the
// training fields are standardized, and downsampling and patches cut what
// they say.
func TestPrepRoundTrip(t *testing.T) {
	raw, _, err := Synthesize(context.Background(), SynthSettings{Kind: Lognormal, N: 3, L: 64, FieldDeg: 2, Sigma: 0.02, Shift: 0.03, Spectrum: DefaultSpectrum(), Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	down, err := Downsample(raw, 1)
	if err != nil {
		t.Fatal(err)
	}
	if down.L != 32 || down.N != 3 || math.Abs(lattice.Mean(down.Data)-lattice.Mean(raw.Data)) > 1e-15 {
		t.Errorf("downsampled %d maps of %d², mean %g (raw %g)", down.N, down.L, lattice.Mean(down.Data), lattice.Mean(raw.Data))
	}
	if want := (raw.Data[0] + raw.Data[1] + raw.Data[64] + raw.Data[65]) / 4; down.Data[0] != want {
		t.Errorf("first block average %g, want %g", down.Data[0], want)
	}
	for _, tr := range Transforms() {
		for _, mode := range []PatchMode{Tile, Random} {
			set := PrepSettings{Downsample: 1, Patch: 16, PatchMode: mode, PatchesPerMap: 5, Seed: 7, Transform: tr, Standardize: true}
			p, x, err := FitPrep(raw, set)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("%s/%s: fitted prep invalid: %v", tr, mode, err)
			}
			wantN := map[PatchMode]int{Tile: 12, Random: 15}[mode]
			if x.N != wantN || x.L != 16 {
				t.Errorf("%s/%s: %d fields of %d², want %d of 16²", tr, mode, x.N, x.L, wantN)
			}
			if m, s := lattice.Mean(x.Data), lattice.Std(x.Data); math.Abs(m) > 1e-12 || math.Abs(s-1) > 1e-12 {
				t.Errorf("%s/%s: standardized mean %g std %g", tr, mode, m, s)
			}
			kappa := p.Inverse(x)
			patches, _ := Patches(down, 16, mode, 5, 7)
			for k, v := range kappa.Data {
				if math.Abs(v-patches.Data[k]) > 1e-12 {
					t.Fatalf("%s/%s: inverse gives κ = %.15g at %d, want %.15g", tr, mode, v, k, patches.Data[k])
				}
			}
			again, err := p.Apply(patches)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range again.Data {
				if math.Abs(v-x.Data[k]) > 1e-9 {
					t.Fatalf("%s/%s: Apply differs from FitPrep's fields at %d", tr, mode, k)
				}
			}
		}
	}
	// The random patches of the tile test lie inside their maps: patch 0 of
	// map 0 is a block of the downsampled map 0.
	p, x, _ := FitPrep(raw, PrepSettings{Downsample: 1, Patch: 16, PatchMode: Random, PatchesPerMap: 1, Seed: 9, Transform: None})
	if p.Std != 1 || p.Mean != 0 {
		t.Errorf("no standardization: mean %g std %g", p.Mean, p.Std)
	}
	found := false
	for r := 0; r <= 16 && !found; r++ {
		for c := 0; c <= 16 && !found; c++ {
			found = down.Data[r*32+c] == x.Data[0] && down.Data[r*32+c+1] == x.Data[1] && down.Data[(r+1)*32+c] == x.Data[16]
		}
	}
	if !found {
		t.Error("random patch 0 is not a block of map 0")
	}
}

// TestPrepErrors: bad settings and data out of a transform's range are
// refused with an error.
func TestPrepErrors(t *testing.T) {
	raw := lattice.NewStack(2, 16)
	for k := range raw.Data {
		raw.Data[k] = float64(k % 7)
	}
	for _, s := range []PrepSettings{
		{Transform: "cube"},
		{Transform: Sqrt, Patch: 12},
		{Transform: Sqrt, Patch: 32},
		{Transform: Sqrt, PatchMode: Random, Patch: 8},
		{Transform: Sqrt, PatchMode: "spiral"},
		{Transform: Sqrt, Downsample: 5},
	} {
		if _, _, err := FitPrep(raw, s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	p, _, err := FitPrep(raw, PrepSettings{Transform: Sqrt})
	if err != nil {
		t.Fatal(err)
	}
	below := lattice.NewStack(1, 16)
	below.Data[3] = -1
	if _, err := p.Apply(below); err == nil {
		t.Error("κ below κ_min accepted by the sqrt transform")
	}
	raw.Data[5] = math.NaN()
	if _, _, err := FitPrep(raw, PrepSettings{Transform: None}); err == nil {
		t.Error("NaN accepted")
	}
}

// TestPeaks: single-pixel bumps on a flat map are the peaks, ties are not,
// and the heights use the given normalization.
func TestPeaks(t *testing.T) {
	st := lattice.NewStack(1, 16)
	f := st.Data
	f[2*16+3] = 3  // a peak of height 3
	f[9*16+9] = 5  // a peak of height 5
	f[12*16+1] = 2 // a plateau of two equal pixels: not a peak
	f[12*16+2] = 2
	f[0] = 1 // a peak at the corner (periodic neighbours)
	pc, err := Peaks(st, PeakSettings{Mean: 0, Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.Heights[0]) != 3 {
		t.Fatalf("found peaks %v, want heights 1, 3, 5", pc.Heights[0])
	}
	if n, _ := pc.Above(3); n != 2 {
		t.Errorf("%g peaks with ν ≥ 3, want 2", n)
	}
	total := 0.0
	for b, c := range pc.PerMap {
		total += c
		if c > 0 && !(pc.Nu[b] == 1.25 || pc.Nu[b] == 3.25 || pc.Nu[b] == 5.25) {
			t.Errorf("peak in bin ν = %g", pc.Nu[b])
		}
	}
	if total != 3 {
		t.Errorf("%g peaks in the bins, want 3", total)
	}
}

// TestPeakNoiseAndSmoothing: shape noise has the documented pixel standard
// deviation σ_ε/√(n_gal A_pix), and smoothing a single bump spreads it into
// a Gaussian of the given width with the same sum.
func TestPeakNoiseAndSmoothing(t *testing.T) {
	const L = 64
	st := lattice.NewStack(20, L)
	pc, err := Peaks(st, PeakSettings{PixelArcmin: 0.5, ShapeNoise: 0.3, NGal: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := 0.3 / math.Sqrt(20*0.25)
	// The pixel std of 20·64² independent normal values has relative error
	// 1/√(2·81920) ≈ 0.25 %.
	if math.Abs(pc.Sigma/want-1) > 0.01 {
		t.Errorf("noise σ = %g, want %g", pc.Sigma, want)
	}
	one := lattice.NewStack(1, L)
	one.Data[32*L+32] = 1
	const width = 2.0 // pixels
	pc, err = Peaks(one, PeakSettings{PixelArcmin: 0.5, SmoothArcmin: width * 0.5, Mean: 0, Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Far from the bump the smoothed map is 0 up to rounding (~1e-17), whose
	// ripples are peaks too; only one peak stands above 1e-9.
	if n, _ := pc.Above(1e-9); n != 1 {
		t.Fatalf("smoothed bump has %g peaks above 1e-9", n)
	}
	// The discrete Gaussian of σ = 2 pixels peaks at ≈ 1/(2πσ²).
	h := 0.0
	for _, v := range pc.Heights[0] {
		h = math.Max(h, v)
	}
	if want := 1 / (2 * math.Pi * width * width); math.Abs(h/want-1) > 0.01 {
		t.Errorf("smoothed peak %g, want %g", h, want)
	}
	if _, err := Peaks(one, PeakSettings{SmoothArcmin: 1}); err == nil {
		t.Error("smoothing without a pixel size accepted")
	}
}

// TestSynthValidate: bad settings are refused.
func TestSynthValidate(t *testing.T) {
	good := DefaultSynthSettings()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []func(*SynthSettings){
		func(s *SynthSettings) { s.Kind = "poisson" },
		func(s *SynthSettings) { s.L = 100 },
		func(s *SynthSettings) { s.N = 0 },
		func(s *SynthSettings) { s.Sigma = -1 },
		func(s *SynthSettings) { s.Shift = 0 },
		func(s *SynthSettings) { s.FieldDeg = math.NaN() },
	} {
		s := good
		mod(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Synthesize(ctx, good, nil); err == nil {
		t.Error("cancelled synthesis returned no error")
	}
}
