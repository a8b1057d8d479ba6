package app

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/widgets"
)

func newTestApp(t *testing.T) *App {
	t.Helper()
	a := New(test.NewTempApp(t))
	b, err := os.ReadFile("../testdata/phi4_L32_beta0.68.npy")
	if err != nil {
		t.Fatal(err)
	}
	a.demo = Demo{Name: "demo", File: "phi4_L32_beta0.68.npy", Npy: b, Kind: "phi4", Beta: 0.68}
	return a
}

// TestDemoAndOpen: the built-in demo loads in a job; a field file opened
// with LoadFile replaces it and is remembered in the recent files; a
// broken file leaves the current data alone.
func TestDemoAndOpen(t *testing.T) {
	a := newTestApp(t)
	a.LoadDemo()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if d := a.state.Data; d == nil || d.Stack.N != 256 || d.Stack.L != 32 || d.Kind != "phi4" {
		t.Fatalf("demo data: %+v", d)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "g.npy")
	s := lattice.NewStack(2, 16)
	for i := range s.Data {
		s.Data[i] = float64(i % 7)
	}
	if err := fieldio.WriteNpy(good, s, fieldio.Float64); err != nil {
		t.Fatal(err)
	}
	a.LoadFile(good, fieldio.Options{})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if d := a.state.Data; d.Stack.N != 2 || d.Source != good {
		t.Fatalf("opened data: %+v", d)
	}
	if r := a.fyne.Preferences().StringList(recentKey); len(r) == 0 || r[0] != good {
		t.Errorf("recent files %v", r)
	}
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte("not a numpy file"), 0o644)
	a.LoadFile(bad, fieldio.Options{})
	if err := a.jobs.Wait(); err == nil {
		t.Error("broken file loaded without error")
	}
	if a.state.Data.Source != good {
		t.Error("a failed load replaced the data")
	}
}

// TestSlowingDownTab runs a one-point study from the tab's form and checks
// that the plot and table fill in; a bad L is refused with an error.
func TestSlowingDownTab(t *testing.T) {
	a := newTestApp(t)
	c := a.csd
	c.sides.SetText("8,16")
	c.fields.SetText("32")
	c.samplers.SetSelected([]string{"cluster", "wcrg"})
	c.start()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if c.plot.Figure() == nil || !strings.Contains(c.table.Text, "wcrg") || !strings.Contains(c.table.Text, "cluster") {
		t.Errorf("after the study: figure %v, table %q", c.plot.Figure(), c.table.Text)
	}
	if f := c.gdPlot.Figure(); f == nil || f.Name != "csd_gd" || !strings.Contains(c.table.Text, "gd-direct") || !strings.Contains(c.table.Text, "gd-wcrg") {
		t.Errorf("τ_GD plot %v, table %q", f, c.table.Text)
	}
	c.sides.SetText("12")
	if _, err := c.settings(); err == nil {
		t.Error("L = 12 accepted")
	}
	// The Ising preset switches the model, its samplers and β; a β-scan
	// plots τ against ξ.
	c.preset.SetSelected(csdPresets[3].name)
	if c.model.Selected != csdModelIsing || !slices.Equal(c.samplers.Options, csdSamplers[csdModelIsing]) || c.theory.Checked || c.gd.Checked {
		t.Errorf("Ising preset: model %q, samplers %v, theory %v, τ_GD %v", c.model.Selected, c.samplers.Options, c.theory.Checked, c.gd.Checked)
	}
	c.sides.SetText("8")
	c.beta.SetText("0.40,0.44")
	c.fields.SetText("32")
	c.start()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if f := c.plot.Figure(); f == nil || !strings.Contains(c.table.Text, "wolff") || !strings.Contains(c.table.Text, "0.44") {
		t.Errorf("after the Ising β-scan: figure %v, table %q", f, c.table.Text)
	}
	c.beta.SetText("0.4,x")
	if _, err := c.settings(); err == nil {
		t.Error("β = x accepted")
	}
}

// TestFitThenHamiltonian fits the demo data from the Estimate tab's
// defaults and reconstructs H₀ in the Hamiltonian tab: four figures appear
// and the summary reports the couplings with the φ⁴ reference.
func TestFitThenHamiltonian(t *testing.T) {
	a := newTestApp(t)
	a.ham.start() // no model yet: refused without a job
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	a.LoadDemo()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	a.estimate.start()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if a.state.Model == nil {
		t.Fatal("no model after fitting")
	}
	a.ham.start()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, v := range []*widgets.PlotView{a.ham.kernel, a.ham.profile, a.ham.v0, a.ham.potentials} {
		if v.Figure() == nil {
			t.Errorf("figure %d missing", i)
		}
	}
	if !strings.Contains(a.ham.table.Text, "β estimate") || !strings.Contains(a.ham.table.Text, "φ⁴") {
		t.Errorf("summary: %q", a.ham.table.Text)
	}
	t.Log(a.ham.table.Text)

	// Error bars: one resample (or none that parses) is refused, two
	// refit the model twice.
	for _, bad := range []string{"1", "-2", "x", "65"} {
		a.ham.bootstrap.SetText(bad)
		if n, err := a.ham.resamples(); err == nil {
			t.Errorf("bootstrap resamples %q accepted as %d", bad, n)
		}
	}
	// Resampled by "map", as patches from wcrg lensing prep would be.
	a.state.Data.FieldsPerMap = 4
	a.ham.bootstrap.SetText("2")
	a.ham.start()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.ham.table.Text, "Bootstrap (2 resamples, drawn by map,\n4 patches each") || !strings.Contains(a.ham.table.Text, "K(e1)") ||
		strings.Count(a.ham.table.Text, " ± ") < 6 || strings.Contains(a.ham.table.Text, "NaN") {
		t.Errorf("summary with bootstrap: %q", a.ham.table.Text)
	}
	t.Log(a.ham.table.Text)
	a.ham.bootstrap.SetText("0")
	// File ▸ Export figure… offers the selected tab's figures.
	a.SelectTab("Hamiltonian")
	if figs := a.currentFigures(); len(figs) != 4 {
		t.Errorf("Hamiltonian tab: %d figures to export, want 4", len(figs))
	}
	a.SelectTab("Estimate")
	if figs := a.currentFigures(); len(figs) != 3 {
		t.Errorf("Estimate tab: %d figures to export, want 3 (mismatch, acceptance, potentials)", len(figs))
	}
}

// TestModelSaveOpen: a fitted model saved from the app reloads with the
// same parameters; a broken model file is refused and the model kept.
func TestModelSaveOpen(t *testing.T) {
	a := newTestApp(t)
	a.LoadDemo()
	a.jobs.Wait()
	a.estimate.start()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.json")
	a.SaveModel(path)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	before := a.state.Model
	a.state.SetModel(nil, "")
	a.LoadModel(path)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if m := a.state.Model; m == nil || m.NumParams() != before.NumParams() || a.state.ModelPath != path {
		t.Fatalf("reloaded model %v", m)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{}"), 0o644)
	a.LoadModel(bad)
	if err := a.jobs.Wait(); err == nil {
		t.Error("broken model accepted")
	}
	if a.state.ModelPath != path {
		t.Error("a failed load replaced the model")
	}
}

// TestGenerateData: the Generate data form makes a φ⁴ data set in a job
// and records τ_int in the data set's notes; a bad β is refused.
func TestGenerateData(t *testing.T) {
	a := newTestApp(t)
	f := newGenDataForm()
	f.L.SetSelected("8")
	f.n.SetText("20")
	a.GenerateData(f)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	d := a.state.Data
	if d == nil || d.Stack.N != 20 || d.Stack.L != 8 || d.Kind != "phi4" || !strings.Contains(strings.Join(d.Notes, " "), "τ_int") {
		t.Fatalf("generated data %+v", d)
	}
	f.beta.SetText("-1")
	if _, _, _, err := f.settings(); err == nil {
		t.Error("β = −1 accepted")
	}
	f.model.SetSelected("Gaussian free field")
	f.beta.SetText("0.68")
	f.sampler.SetSelected("metropolis")
	a.GenerateData(f)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if a.state.Data.Kind != "gaussian" {
		t.Errorf("kind %q", a.state.Data.Kind)
	}
	f.model.SetSelected(genLensing)
	f.L.SetSelected("16")
	a.GenerateData(f)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	if d := a.state.Data; d.Kind != "lensing" || d.Stack.L != 16 || d.Stack.N != 20 || !strings.Contains(strings.Join(d.Notes, " "), "pixel") {
		t.Errorf("lensing data %+v", d)
	}
	f.shift.SetText("0")
	if _, _, err := f.lensingSettings(); err == nil {
		t.Error("lognormal shift 0 accepted")
	}

	// Ising spins at β_c, coarse-grained by one db4 level: 8×8 fields that
	// are no longer ±1; dequantized (the default): ±1 plus noise, signs kept
	// at nearly every site; kept as drawn: ±1 spins.
	f.model.SetSelected(genIsing)
	f.isingFinest.SetSelected("coarse-grained by 1 db4 level")
	a.GenerateData(f)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	d = a.state.Data
	if d.Kind != "ising" || d.Stack.L != 8 || d.Stack.N != 20 || !strings.Contains(strings.Join(d.Notes, " "), "coarse-grained") {
		t.Errorf("coarse-grained Ising data %+v", d)
	}
	if v := d.Stack.Data[0]; v == 1 || v == -1 {
		t.Errorf("coarse-grained value %g is a spin", v)
	}
	f.isingFinest.SetSelected("±1 spins as drawn")
	a.GenerateData(f)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	spins := a.state.Data.Stack
	for _, v := range spins.Data {
		if v != 1 && v != -1 {
			t.Fatalf("Ising spin %g", v)
		}
	}
	f.isingFinest.SetSelected(isingFinestChoices[0])
	a.GenerateData(f)
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	d = a.state.Data
	// The same seed draws the same spins; noise of σ = 0.35 flips the sign
	// of 0.2 % of the sites (noise beyond 1 against the spin), about 11 of
	// these 5120.
	var flipped int
	for k, v := range d.Stack.Data {
		if v == 1 || v == -1 {
			t.Fatalf("dequantized value %g is a spin", v)
		}
		if (v > 0) != (spins.Data[k] > 0) {
			flipped++
		}
	}
	if d.Kind != "ising" || d.Stack.L != 16 || flipped > 60 || !strings.Contains(strings.Join(d.Notes, " "), "dequantized") && !strings.Contains(d.Name, "dequantized") {
		t.Errorf("dequantized Ising data %s (%d signs flipped): %+v", d.Name, flipped, d.Notes)
	}
	f.isingFinest.SetSelected("coarse-grained by 3 db4 levels")
	f.L.SetSelected("8")
	if _, _, _, _, err := f.isingSettings(); err == nil {
		t.Error("3 levels of 8×8 spins accepted")
	}
}

// TestLoadLensingMap: a FITS κ map with a pixel scale in its header loads as
// lensing data, and its notes give the pixel and map sizes.
func TestLoadLensingMap(t *testing.T) {
	a := newTestApp(t)
	a.LoadFile("../testdata/lensing/lognormal_128.fits", fieldio.Options{})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	d := a.state.Data
	notes := strings.Join(d.Notes, "; ")
	if d.Kind != "lensing" || d.Stack.N != 64 || d.Stack.L != 128 || !strings.Contains(notes, "pixel 1.641′, map 3.5° × 3.5°") {
		t.Errorf("loaded %q: kind %q, %d fields of %d², notes %q", d.Name, d.Kind, d.Stack.N, d.Stack.L, notes)
	}
}

// TestSettingsPersist: the tabs' settings of one session come back in the
// next (same preferences), and a stored option that no longer exists is
// ignored.
func TestSettingsPersist(t *testing.T) {
	fa := test.NewTempApp(t)
	a := New(fa)
	a.csd.sides.SetText("8,16,64")
	a.csd.samplers.SetSelected([]string{"cluster"})
	a.csd.gd.SetChecked(false)
	a.estimate.window.SetText("2")
	a.estimate.wave.SetSelected("haar")
	a.generate.steps.SetText("123")
	fa.Preferences().SetString("estimate.gamma", "no such rule")
	b := New(fa)
	if b.csd.sides.Text != "8,16,64" || !slices.Equal(b.csd.samplers.Selected, []string{"cluster"}) || b.csd.gd.Checked {
		t.Errorf("slowing-down settings not restored: L %q, samplers %v, τ_GD %v", b.csd.sides.Text, b.csd.samplers.Selected, b.csd.gd.Checked)
	}
	if b.estimate.window.Text != "2" || b.estimate.wave.Selected != "haar" || b.estimate.gamma.Selected == "no such rule" {
		t.Errorf("estimate settings: window %q, wavelet %q, γ rule %q", b.estimate.window.Text, b.estimate.wave.Selected, b.estimate.gamma.Selected)
	}
	if b.generate.steps.Text != "123" {
		t.Errorf("generate steps %q", b.generate.steps.Text)
	}
}

// TestWaveletHistograms: after the demo data load, the Wavelets tab has the
// detail histograms by orientation for every level, and the level select
// switches between them.
func TestWaveletHistograms(t *testing.T) {
	a := newTestApp(t)
	a.LoadDemo()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	w := a.wavelets
	if w.last == nil || len(w.last.hists) != w.last.levels || len(w.histLevel.Options) != w.last.levels {
		t.Fatalf("wavelet result %+v, level options %v", w.last, w.histLevel.Options)
	}
	if f := w.histPlot.Figure(); f == nil || f.Name != "orientation_histograms_j1" {
		t.Fatalf("histogram shown: %v", f)
	}
	w.histLevel.SetSelected("2")
	if f := w.histPlot.Figure(); f == nil || f.Name != "orientation_histograms_j2" {
		t.Errorf("after choosing level 2: %v", f)
	}
	// Densities of standardized coefficients: the finest level's horizontal
	// channel integrates to ≈ 1 over [−6, 6) (its table has series, x, y).
	var sum float64
	for _, row := range w.last.hists[0].Table.Rows {
		if row[0] == "horizontal (c = 1)" {
			y, _ := strconv.ParseFloat(row[2], 64)
			sum += y * 0.2
		}
	}
	if math.Abs(sum-1) > 0.01 {
		t.Errorf("finest horizontal density integrates to %.4f", sum)
	}
}

// TestLoadSidecars: a field file's sidecar from WCRG Lab's commands tells
// the app what the data are: φ⁴ at β from `wcrg generate`, lensing patches
// of so many maps with their preprocessing from `wcrg lensing prep`. A
// sidecar describing another file is ignored, and one whose counts do not
// match the file is noted and not trusted.
func TestLoadSidecars(t *testing.T) {
	a := newTestApp(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "f.npy")
	fields := lattice.NewStack(4, 8)
	for i := range fields.Data {
		fields.Data[i] = float64(i % 7)
	}
	if err := fieldio.WriteNpy(data, fields, fieldio.Float64); err != nil {
		t.Fatal(err)
	}
	const prep = `"prep": {"patch": 8, "patch_mode": "tile", "transform": "sqrt", "standardize": true, "kappa_min": -0.03, "mean": 0.16, "std": 0.05}`
	for _, c := range []struct {
		name, sidecar string
		check         func(d *Dataset) bool
	}{
		{"φ⁴ data", `{"schema": "wcrg-lab/dataset/v1", "file": "f.npy", "model": "phi4", "beta": 0.68, "command": "wcrg generate phi4"}`,
			func(d *Dataset) bool { return d.Kind == "phi4" && d.Beta == 0.68 && d.FieldsPerMap == 0 }},
		{"another file's sidecar", `{"schema": "wcrg-lab/dataset/v1", "file": "g.npy", "model": "phi4", "beta": 0.68}`,
			func(d *Dataset) bool { return d.Kind == "" && d.Beta == 0 }},
		{"patches of two maps", `{"schema": "wcrg-lab/lensing-fields/v1", "file": "f.npy", ` + prep + `, "fields": 4, "maps": 2, "pixel_arcmin": 1.64, "command": "wcrg lensing prep"}`,
			func(d *Dataset) bool {
				return d.Kind == "lensing" && d.FieldsPerMap == 2 && d.Lensing != nil && d.Lensing.Transform == "sqrt" && d.PixelArcmin == 1.64
			}},
		{"patch counts not the file's", `{"schema": "wcrg-lab/lensing-fields/v1", "file": "f.npy", ` + prep + `, "fields": 6, "maps": 2, "command": "wcrg lensing prep"}`,
			func(d *Dataset) bool {
				return d.Kind == "lensing" && d.FieldsPerMap == 0 && strings.Contains(strings.Join(d.Notes, ";"), "treated as independent")
			}},
		{"Ising coarse-grained", `{"schema": "wcrg-lab/coarse/v1", "file": "f.npy", "levels": 2, "wavelet": "db4", "source_dataset": {"model": "ising", "beta": 0.4407}}`,
			func(d *Dataset) bool { return d.Kind == "ising" && d.Beta == 0.4407 }},
		{"φ⁴ coarse-grained: not φ⁴ at β", `{"schema": "wcrg-lab/coarse/v1", "file": "f.npy", "levels": 1, "wavelet": "db4", "source_dataset": {"model": "phi4", "beta": 0.68}}`,
			func(d *Dataset) bool { return d.Kind == "" && d.Beta == 0 }},
		{"Ising dequantized", `{"schema": "wcrg-lab/dequantized/v1", "file": "f.npy", "sigma": 0.35, "source_dataset": {"model": "ising", "beta": 0.4407}}`,
			func(d *Dataset) bool {
				return d.Kind == "ising" && d.Beta == 0.4407 && strings.Contains(strings.Join(d.Notes, ";"), "std 0.35")
			}},
		{"φ⁴ with noise: not φ⁴ at β", `{"schema": "wcrg-lab/dequantized/v1", "file": "f.npy", "sigma": 0.35, "source_dataset": {"model": "phi4", "beta": 0.68}}`,
			func(d *Dataset) bool { return d.Kind == "" && d.Beta == 0 }},
		{"maps of one patch each", `{"schema": "wcrg-lab/lensing-fields/v1", "file": "f.npy", ` + prep + `, "fields": 4, "maps": 4, "command": "wcrg lensing prep"}`,
			func(d *Dataset) bool { return d.Kind == "lensing" && d.FieldsPerMap == 0 && d.PixelArcmin == 0 }},
	} {
		if err := os.WriteFile(fieldio.SidecarPath(data), []byte(c.sidecar), 0o644); err != nil {
			t.Fatal(err)
		}
		a.LoadFile(data, fieldio.Options{})
		if err := a.jobs.Wait(); err != nil {
			t.Fatal(err)
		}
		if d := a.state.Data; !c.check(d) {
			t.Errorf("%s: kind %q, β %g, %d fields per map, prep %v, pixel %g, notes %q", c.name, d.Kind, d.Beta, d.FieldsPerMap, d.Lensing, d.PixelArcmin, d.Notes)
		}
	}
}

// TestSidecarAfterFITSHeader: the pixel scale of a FITS header is kept when
// the map's sidecar does not know it.
func TestSidecarAfterFITSHeader(t *testing.T) {
	a := newTestApp(t)
	b, err := os.ReadFile("../testdata/lensing/lognormal_128.fits")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.fits")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	side := `{"schema": "wcrg-lab/lensing-maps/v1", "file": "m.fits", "pixel_arcmin": 0, "command": "wcrg lensing synth"}`
	if err := os.WriteFile(fieldio.SidecarPath(path), []byte(side), 0o644); err != nil {
		t.Fatal(err)
	}
	a.LoadFile(path, fieldio.Options{})
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	d := a.state.Data
	notes := strings.Join(d.Notes, "; ")
	if d.Kind != "lensing" || d.PixelArcmin != 1.640625 || strings.Count(notes, "pixel") != 1 || !strings.Contains(notes, "data: wcrg lensing synth") {
		t.Errorf("kind %q, pixel %g′, notes %q", d.Kind, d.PixelArcmin, notes)
	}
}

// TestBootstrapPlan: the Hamiltonian tab resamples patches by map, falls
// back to single fields for the patches of one map, and warns when there
// are few blocks, before any work starts.
func TestBootstrapPlan(t *testing.T) {
	m := &wcrg.Model{Provenance: wcrg.Provenance{Count: 256}}
	data := &Dataset{Stack: lattice.NewStack(256, 4), FieldsPerMap: 4}
	for _, c := range []struct {
		perMap, boot, block int
		warn                string
	}{
		{4, 2, 4, ""},
		{0, 2, 1, ""},
		{64, 2, 64, "only 4 independent blocks"},
		{256, 2, 1, "patches of one"},
	} {
		data.FieldsPerMap = c.perMap
		set, warn, err := bootstrapPlan(m, data, c.boot)
		if err != nil || set.Block != c.block || set.Fields != 256 || set.Replicates != c.boot ||
			(c.warn == "") != (warn == "") || !strings.Contains(warn, c.warn) {
			t.Errorf("%d fields per map: %+v, warning %q, error %v", c.perMap, set, warn, err)
		}
	}
	if set, warn, err := bootstrapPlan(m, data, 0); err != nil || set.Replicates != 0 || warn != "" {
		t.Errorf("no bootstrap: %+v %q %v", set, warn, err)
	}
}

// TestParseIsingFinest: every choice of the form maps to its treatment, and
// no choice, or a remembered one that no longer exists, to the default
// (dequantization), never silently to raw spins.
func TestParseIsingFinest(t *testing.T) {
	want := []isingFinest{{Sigma: ising.DefaultDequantizeSigma}, {Levels: 1}, {Levels: 2}, {Levels: 3}, {}}
	if len(want) != len(isingFinestChoices) {
		t.Fatalf("%d choices, %d expectations", len(isingFinestChoices), len(want))
	}
	for i, c := range isingFinestChoices {
		if got := parseIsingFinest(c); got != want[i] {
			t.Errorf("%q: %+v, want %+v", c, got, want[i])
		}
	}
	for _, c := range []string{"", "2"} {
		if got := parseIsingFinest(c); got != want[0] {
			t.Errorf("%q: %+v, want dequantization", c, got)
		}
	}
}

// TestIsingSettingsButton: the Estimate tab's "Ising settings" gives exactly
// wcrg.IsingSettings (with the form's seed), which the engine's Ising
// acceptance test measures.
func TestIsingSettingsButton(t *testing.T) {
	a := New(test.NewTempApp(t))
	// Every field the button sets, set to something else first.
	a.estimate.estimator.SetSelected(wcrg.EstimatorML)
	a.estimate.wave.SetSelected("db8")
	a.estimate.gamma.SetSelected(wcrg.GammaOne)
	for _, e := range []*widget.Entry{a.estimate.levels, a.estimate.window, a.estimate.nodes, a.estimate.mlIter, a.estimate.mlBatch,
		a.estimate.mlSteps, a.estimate.mlSweeps, a.estimate.mlWarmupSweeps, a.estimate.mlMinVisits, a.estimate.mlFrom, a.estimate.pairNodes} {
		e.SetText("3")
	}
	a.estimate.qlo.SetText("0.1")
	a.estimate.qhi.SetText("0.9")
	a.estimate.mlEta.SetText("0.9")
	a.estimate.mlMaxStep.SetText("0.3")
	a.estimate.z2.SetChecked(false)
	a.generate.coarseFactor.SetText("3")
	a.generate.zero.SetChecked(false)
	a.estimate.setIsing()
	if gs, err := a.generate.sampleSettings(); err != nil || gs.CoarseFactor != 8 || !gs.ZeroStart {
		t.Errorf("generation after the Ising settings: coarse factor %d, zero start %v (%v); want 8, true", gs.CoarseFactor, gs.ZeroStart, err)
	}
	got, err := a.estimate.settings()
	if err != nil {
		t.Fatal(err)
	}
	want := wcrg.IsingSettings()
	want.Seed = got.Seed
	want.Basis = got.Basis // the form names the estimator's default basis
	want.ML.Batch, want.ML.Steps, want.ML.Eta = 256, 10, 0.5
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ising settings from the form\n%+v\nwant\n%+v", got, want)
	}
}
