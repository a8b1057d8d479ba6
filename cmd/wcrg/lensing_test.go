package main

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// TestCLILensing runs the lensing route end to end on small maps: synthesize
// FITS maps, preprocess them into patches, fit and sample a model whose
// provenance carries the preprocessing, and compare the generated κ maps
// with the data.
func TestCLILensing(t *testing.T) {
	dir := t.TempDir()
	maps := filepath.Join(dir, "maps.fits")
	var ms lensingMapsSidecar
	cliJSON(t, &ms, "lensing", "synth", "--n", "8", "--L", "64", "--field-deg", "1", "--seed", "2", "--out", maps)
	if ms.Maps != 8 || ms.L != 64 || math.Abs(ms.PixelArcmin-60.0/64) > 1e-12 || ms.Synth == nil || ms.Synth.Seed != 2 {
		t.Errorf("maps sidecar %+v", ms)
	}
	st, info, err := fieldio.Read(maps, fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p, from := pixelArcmin(maps, info, 0); math.Abs(p-60.0/64) > 1e-12 || from != "FITS CDELT2" {
		t.Errorf("pixel size %g from %q, want %g from the header", p, from, 60.0/64)
	}
	if st.N != 8 || minOf(st.Data) <= -0.03 {
		t.Errorf("%d maps with minimum %g (want 8 maps above −λ = −0.03)", st.N, minOf(st.Data))
	}

	train := filepath.Join(dir, "train.npy")
	var fs lensingFieldsSidecar
	cliJSON(t, &fs, "lensing", "prep", "--downsample", "1", "--patch", "16", "--transform", "log", "--out", train, maps)
	if fs.Fields != 32 || fs.L != 16 || fs.Prep.Transform != "log" || math.Abs(fs.PixelArcmin-2*60.0/64) > 1e-12 {
		t.Errorf("fields sidecar %+v: want 32 log-transformed 16² patches of 1.875′ pixels", fs)
	}
	// The prepared fields map back to the downsampled κ: their statistics
	// equal those of the maps downsampled by hand.
	var same lensingStatsResult
	down := filepath.Join(dir, "down.npy")
	cliJSON(t, &fs, "lensing", "prep", "--downsample", "1", "--patch", "16", "--transform", "none", "--standardize=false", "--out", down, maps)
	cliJSON(t, &same, "lensing", "stats", down, train)
	if same.SpectrumMaxRelErr > 1e-9 || same.PDFMaxLogErr > 1e-9 || same.HighPeaksRelErr != 0 || len(same.MinkowskiMaxDev) != 3 {
		t.Errorf("prepared fields mapped back differ from κ: %+v", same)
	}
	for k, d := range same.MinkowskiMaxDev {
		if d > 1e-6 {
			t.Errorf("Minkowski V%d of the prepared fields mapped back differs from κ's by %g", k, d)
		}
	}

	model := filepath.Join(dir, "model.json")
	cliMust(t, "fit", "--data", train, "--out", model, "--levels", "2")
	m, err := wcrg.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Provenance.Kind != "lensing" || m.Provenance.Lensing == nil || m.Provenance.Lensing.Transform != "log" || m.Provenance.PixelArcmin != fs.PixelArcmin {
		t.Errorf("model provenance %+v: want the lensing preprocessing", m.Provenance)
	}
	gen := filepath.Join(dir, "gen.npy")
	var ss samplesSidecar
	cliJSON(t, &ss, "sample", "--model", model, "--n", "16", "--steps", "50", "--adapt", "20", "--out", gen)
	kappa := filepath.Join(dir, "gen_kappa.npy")
	if ss.Kappa != "gen_kappa.npy" {
		t.Errorf("samples sidecar names κ file %q", ss.Kappa)
	}
	cliExists(t, kappa, fieldio.SidecarPath(kappa))
	var cmp lensingStatsResult
	cliJSON(t, &cmp, "lensing", "stats", "--out", filepath.Join(dir, "figs"), down, kappa)
	if cmp.PixelArcmin != fs.PixelArcmin || len(cmp.Summary) != 2 || cmp.Summary[1].Maps != 16 || !(cmp.SpectrumMaxRelErr > 0) {
		t.Errorf("stats %+v", cmp)
	}
	// Generated κ keeps the log transform's bound κ > κ_min − ε.
	if cmp.Summary[1].Min <= m.Provenance.Lensing.KappaMin-m.Provenance.Lensing.Epsilon {
		t.Errorf("generated κ minimum %g below the transform's bound", cmp.Summary[1].Min)
	}
	if len(cmp.Minkowski) != 2 || len(cmp.Minkowski[1].V2) != len(cmp.Minkowski[0].Nu) || !(cmp.Minkowski[0].V1[16] > 0) {
		t.Errorf("Minkowski functionals %+v", cmp.Minkowski)
	}
	for _, f := range []string{"lensing_pdf", "lensing_spectrum", "lensing_peaks", "lensing_minkowski_v0", "lensing_minkowski_v1", "lensing_minkowski_v2"} {
		cliExists(t, filepath.Join(dir, "figs", f+".png"), filepath.Join(dir, "figs", f+".csv"))
	}

	// H₀ of the lensing model, with its potentials drawn beside another
	// model's (here a copy of itself): no φ⁴ reading for lensing data.
	other := filepath.Join(dir, "other.json")
	cliMust(t, "fit", "--data", train, "--out", other, "--levels", "2", "--seed", "2")
	var ham map[string]any
	cliJSON(t, &ham, "hamiltonian", "--model", model, "--beside", other, "--out", filepath.Join(dir, "ham"))
	if _, ok := ham["phi4"]; ok {
		t.Error("hamiltonian of a lensing model prints a φ⁴ reading")
	}
	cliExists(t, filepath.Join(dir, "ham", "model_vs_other_potentials.png"), filepath.Join(dir, "ham", "model_vs_other_potentials.csv"))
}

// TestCLILensingErrors: bad flags and files give a usage error or a one-line
// error naming the problem, and the group name alone lists its subcommands.
func TestCLILensingErrors(t *testing.T) {
	dir := t.TempDir()
	maps := filepath.Join(dir, "maps.npy")
	cliMust(t, "lensing", "synth", "--n", "2", "--L", "16", "--out", maps)
	// A copy without its sidecar: the pixel size is unknown.
	bare := filepath.Join(dir, "bare.npy")
	st, _, err := fieldio.Read(maps, fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fieldio.WriteNpy(bare, *st, fieldio.Float64); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lensing"}, 2, "want a subcommand: synth, prep, stats"},
		{[]string{"lensing", "synth", "--out", filepath.Join(dir, "x.png")}, 2, ".fits or .npy"},
		{[]string{"lensing", "synth", "--L", "100", "--out", filepath.Join(dir, "x.npy")}, 2, "power of two"},
		{[]string{"lensing", "synth", "--kind", "poisson", "--out", filepath.Join(dir, "x.npy")}, 2, "unknown map kind"},
		{[]string{"lensing", "prep", "--transform", "cube", "--out", filepath.Join(dir, "p.npy"), maps}, 2, "unknown transform"},
		{[]string{"lensing", "prep", "--patch", "32", "--out", filepath.Join(dir, "p.npy"), maps}, 2, "--patch 32"},
		{[]string{"lensing", "prep", "--out", filepath.Join(dir, "p.npy"), filepath.Join(dir, "missing.fits")}, 1, "missing.fits"},
		{[]string{"lensing", "stats", maps + "x"}, 1, "maps.npyx"},
		{[]string{"lensing", "stats", "--smooth-arcmin", "2", bare}, 2, "give --pixel-arcmin"},
	} {
		code, _, stderr := cliRun(context.Background(), c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("wcrg %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if out := cliMust(t, "help", "lensing", "prep"); !strings.Contains(out, "Usage: wcrg lensing prep") {
		t.Errorf("help lensing prep: %q", out)
	}
}
