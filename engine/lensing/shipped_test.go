package lensing_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// shipped reads a synthetic map file of testdata/lensing with the settings
// of its sidecar.
func shipped(t *testing.T, name string) (lattice.Stack, fieldio.Info, lensing.SynthSettings) {
	t.Helper()
	path := "../../testdata/lensing/" + name
	st, info, err := fieldio.Read(path+".fits", fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(path + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var side struct {
		Synth lensing.SynthSettings `json:"synth"`
	}
	if err := json.Unmarshal(js, &side); err != nil {
		t.Fatal(err)
	}
	return *st, info, side.Synth
}

// TestShippedMaps: the maps under testdata/lensing are what their sidecar's
// settings synthesize (stored as float32), and the FITS header gives the
// pixel scale.
func TestShippedMaps(t *testing.T) {
	for _, name := range []string{"lognormal_128", "lognormal_1024"} {
		st, info, set := shipped(t, name)
		want, _, err := lensing.Synthesize(context.Background(), set, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.N != want.N || st.L != want.L {
			t.Fatalf("%s: %d maps of %d², settings give %d of %d²", name, st.N, st.L, want.N, want.L)
		}
		for k, v := range want.Data {
			if float64(float32(v)) != st.Data[k] {
				t.Fatalf("%s: value %d is %g, the settings give %g", name, k, st.Data[k], v)
			}
		}
		if d, ok := info.HeaderFloat("CDELT1"); !ok || math.Abs(d-set.FieldDeg/float64(set.L)) > 1e-12 {
			t.Errorf("%s: CDELT1 = %g, want %g", name, d, set.FieldDeg/float64(set.L))
		}
	}
}

// TestLognormalGeneration is the lensing acceptance of the generation
// issue: a WC-RG model trained on the 1024 patches of 32² tiled from the
// shipped 64 lognormal maps of 128² generates maps that match 1024 held-out
// patches (the same synthesis with seed 101) in κ: angular power spectrum
// max relative error ≤ 10 % (rings with ≥ 16 modes), one-point PDF
// log10-density error ≤ 0.2 down to 10⁻³ of the peak density, and the
// number of peaks with ν ≥ 3 per patch within 15 %. Each figure is logged
// with its noise floor (training patches against the held-out ones).
//
// The preprocessing is the log transform: the lognormal field is Gaussian in
// log(κ + λ), so x = ln(κ − κ_min + ε) is nearly Gaussian. With the spec's
// default square root the conditional energies fitted by score matching
// are too broad at the finest scale (horizontal and vertical details 17 %
// above the data's std) and, after ML refinement, the κ spectrum is still
// 18 % short at the highest ℓ: the κ = x² + κ_min map amplifies the higher
// moments that the quadratic + scalar-potential ansatz misses. Refining
// every scale by maximum likelihood (MLFromLevel = 1) makes the model
// reproduce the second moments of its features, which score matching alone
// does not (measured: fine detail std +17 % with score matching only).
func TestLognormalGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("fits and samples a model (about 1.5 minutes)")
	}
	start := time.Now()
	raw, _, set := shipped(t, "lognormal_128")
	held := set
	held.Seed = 101
	heldRaw, _, err := lensing.Synthesize(context.Background(), held, nil)
	if err != nil {
		t.Fatal(err)
	}
	prep, train, err := lensing.FitPrep(raw, lensing.PrepSettings{Patch: 32, PatchMode: lensing.Tile, Transform: lensing.Log, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	heldK, err := lensing.Patches(heldRaw, 32, lensing.Tile, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	trainK := prep.Inverse(train)
	fs := wcrg.DefaultSettings()
	fs.Seed = 3
	fs.MLFromLevel = 1
	m, err := wcrg.Fit(context.Background(), train, fs, wcrg.Provenance{Kind: "lensing", Lensing: &prep, PixelArcmin: set.PixelArcmin()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tFit := time.Since(start)
	res, err := wcrg.Sample(context.Background(), m, wcrg.SampleSettings{N: train.N, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	genK := prep.Inverse(res.Fields)
	t.Logf("%d training patches of 32²; fit %s, sampling %s", train.N, tFit.Round(time.Second), (time.Since(start) - tFit).Round(time.Second))

	pix := set.PixelArcmin()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range heldK.Data {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := 0.05 * (hi - lo)
	measure := func(st lattice.Stack, ps lensing.PeakSettings) (lensing.AngularSpectrum, lensing.PDF, lensing.PeakCounts) {
		pdf, err := lensing.OnePointPDF(st, lo-pad, hi+pad, 60)
		if err != nil {
			t.Fatal(err)
		}
		pc, err := lensing.Peaks(st, ps)
		if err != nil {
			t.Fatal(err)
		}
		return lensing.AngularPowerSpectrum(st, pix, 0), pdf, pc
	}
	hs, hp, hpk := measure(heldK, lensing.PeakSettings{})
	norm := lensing.PeakSettings{Mean: hpk.Mean, Sigma: hpk.Sigma}
	gs, gp, gpk := measure(genK, norm)
	ts, tp, tpk := measure(trainK, norm)
	hn, _ := hpk.Above(3)
	gn, gerr := gpk.Above(3)
	tn, _ := tpk.Above(3)
	spec, specFloor := lensing.SpectrumMaxRelErr(hs, gs, 16), lensing.SpectrumMaxRelErr(hs, ts, 16)
	pdf, pdfFloor := lensing.PDFMaxLogErr(hp, gp, 1e-3), lensing.PDFMaxLogErr(hp, tp, 1e-3)
	t.Logf("spectrum max rel err %.4f (floor %.4f); PDF max |Δlog10 p| %.4f (floor %.4f); peaks ν ≥ 3 per patch: held-out %.3f, generated %.3f ± %.3f (%+.1f %%), training %.3f (%+.1f %%)",
		spec, specFloor, pdf, pdfFloor, hn, gn, gerr, 100*(gn/hn-1), tn, 100*(tn/hn-1))
	// Minkowski functionals (logged: the issue sets no bound), on the
	// held-out maps' thresholds, against their floor.
	hm, err := lensing.MinkowskiFunctionals(heldK, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := lensing.MinkowskiFunctionals(genK, hm.Mean, hm.Sigma)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := lensing.MinkowskiFunctionals(trainK, hm.Mean, hm.Sigma)
	if err != nil {
		t.Fatal(err)
	}
	gd, td := lensing.MinkowskiMaxDev(hm, gm), lensing.MinkowskiMaxDev(hm, tm)
	t.Logf("Minkowski max |ΔV|/max|V|: V0 %.4f (floor %.4f), V1 %.4f (floor %.4f), V2 %.4f (floor %.4f)", gd[0], td[0], gd[1], td[1], gd[2], td[2])
	if spec > 0.10 {
		t.Errorf("power spectrum max relative error %.4f > 0.10", spec)
	}
	if pdf > 0.2 {
		t.Errorf("PDF log10-density error %.4f > 0.2", pdf)
	}
	if math.Abs(gn/hn-1) > 0.15 {
		t.Errorf("high peaks: %.3f per patch against %.3f held-out (> 15 %%)", gn, hn)
	}
}
