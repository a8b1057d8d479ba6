package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// cliRun runs one wcrg invocation and returns its exit status, stdout and
// stderr.
func cliRun(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// cliMust runs args, failing the test unless the exit status is 0, and
// returns stdout.
func cliMust(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := cliRun(context.Background(), args...)
	if code != 0 {
		t.Fatalf("wcrg %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// cliJSON runs args with --json and decodes stdout.
func cliJSON(t *testing.T, dst any, args ...string) {
	t.Helper()
	out := cliMust(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), dst); err != nil {
		t.Fatalf("wcrg %s --json: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func cliExists(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", p, err)
		}
	}
}

// cancelWriter cancels a context when a line containing trigger is written.
type cancelWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	trigger string
	cancel  context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.trigger) {
		w.cancel()
	}
	return len(p), nil
}

// TestCLIPipeline runs generate → decompose → fit → sample → compare →
// hamiltonian end to end on a small φ⁴ problem (L = 16, 64 fields).
func TestCLIPipeline(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "phi4.npy")
	var gen struct {
		Stored int     `json:"stored"`
		L      int     `json:"L"`
		Beta   float64 `json:"beta"`
	}
	cliJSON(t, &gen, "generate", "phi4", "--L", "16", "--n", "64", "--seed", "1", "--thermalize", "200", "--out", data)
	if gen.Stored != 64 || gen.L != 16 {
		t.Fatalf("generate: stored %d fields of side %d, want 64 of 16", gen.Stored, gen.L)
	}

	cliMust(t, "decompose", data, "--levels", "2", "--out", filepath.Join(dir, "dec"))
	cliExists(t, filepath.Join(dir, "dec", "phi4_spectrum.png"), filepath.Join(dir, "dec", "phi4_decomposition.csv"))

	// fit
	modelPath := filepath.Join(dir, "model.json")
	var fit struct {
		Model  string `json:"model"`
		Levels int    `json:"levels"`
		Params int    `json:"params"`
		Data   struct {
			SHA256 string `json:"sha256"`
			Count  int    `json:"count"`
		} `json:"data"`
		Scales []struct {
			Level     int    `json:"level"`
			Params    int    `json:"params"`
			Estimator string `json:"estimator"`
		} `json:"scales"`
	}
	cliJSON(t, &fit, "fit", "--data", data, "--levels", "2", "--estimator", "sm", "--nodes", "8", "--out", modelPath)
	if fit.Levels != 2 || len(fit.Scales) != 3 || fit.Params == 0 || fit.Data.Count != 64 || len(fit.Data.SHA256) != 64 {
		t.Errorf("fit JSON: %+v", fit)
	}
	m, err := wcrg.Load(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	if m.Levels != 2 || m.Provenance.Count != 64 || m.Provenance.File != data || m.Provenance.SHA256 != fit.Data.SHA256 ||
		m.Provenance.Kind != "phi4" || m.Provenance.Beta != 0.68 {
		t.Errorf("model provenance %+v", m.Provenance)
	}
	if out := cliMust(t, "fit", data, "--levels", "2", "--nodes", "8", "--out", filepath.Join(dir, "model2.json")); !strings.Contains(out, "coarsest") || !strings.Contains(out, "total") {
		t.Errorf("fit table:\n%s", out)
	}

	// sample
	genPath := filepath.Join(dir, "gen.npy")
	var smp struct {
		Stored   int  `json:"stored"`
		Complete bool `json:"complete"`
		Scales   []struct {
			Level           int     `json:"level"`
			Delta           float64 `json:"delta"`
			Acceptance      float64 `json:"acceptance"`
			SweepAcceptance float64 `json:"sweep_acceptance"`
			Steps           int     `json:"steps"`
			Sweeps          int     `json:"sweeps"`
		} `json:"scales"`
		Sweeps       int      `json:"site_sweeps_per_scale"`
		CoarseFactor int      `json:"coarse_factor"`
		Snapshots    []string `json:"snapshots"`
	}
	cliJSON(t, &smp, "sample", "--model", modelPath, "--n", "8", "--steps", "30", "--adapt", "10", "--sweeps", "12", "--batch", "5", "--seed", "2",
		"--coarse-factor", "2", "--snapshots", "--out", genPath)
	// Two levels at L = 16 leave a 4×4 coarsest field, sampled by MALA too,
	// and then by site sweeps, whose acceptance is adapted towards 0.57.
	if smp.Stored != 8 || !smp.Complete || len(smp.Scales) != 3 || len(smp.Snapshots) != 2 || smp.Sweeps != 12 {
		t.Errorf("sample JSON: %+v", smp)
	}
	for _, sc := range smp.Scales {
		if !(sc.Delta > 0) || !(sc.Acceptance > 0) || !(sc.SweepAcceptance > 0.3 && sc.SweepAcceptance < 0.9) {
			t.Errorf("sample scale %+v", sc)
		}
		// --coarse-factor 2: twice the steps and sweeps but at the finest scale.
		if f := map[bool]int{true: 1, false: 2}[sc.Level == 1]; sc.Steps != 30*f || sc.Sweeps != 12*f {
			t.Errorf("sample scale %d: %d steps and %d sweeps, want %d and %d", sc.Level, sc.Steps, sc.Sweeps, 30*f, 12*f)
		}
	}
	st, _, err := fieldio.Read(genPath, fieldio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.N != 8 || st.L != 16 {
		t.Errorf("%s: %d fields of side %d, want 8 of 16", genPath, st.N, st.L)
	}
	var side samplesSidecar
	if b, err := os.ReadFile(filepath.Join(dir, "gen.json")); err != nil {
		t.Error(err)
	} else if err := json.Unmarshal(b, &side); err != nil || side.Stored != 8 || side.ModelFile != modelPath || side.Seed != 2 || side.CoarseFactor != 2 {
		t.Errorf("sidecar %+v (%v)", side, err)
	}
	cliExists(t, smp.Snapshots...)

	// compare
	var cmp struct {
		Statistics []struct {
			Name string  `json:"name"`
			A    float64 `json:"a"`
			ErrA float64 `json:"err_a"`
		} `json:"statistics"`
		SpectrumErr float64 `json:"spectrum_max_rel_err"`
		HistL1      float64 `json:"histogram_l1"`
		Planes      []struct {
			Level, Channel int
		} `json:"planes"`
	}
	cmpDir := filepath.Join(dir, "cmp")
	cliJSON(t, &cmp, "compare", data, genPath, "--levels", "2", "--out", cmpDir)
	names := map[string]bool{}
	for _, s := range cmp.Statistics {
		names[s.Name] = true
		if s.Name == "std" && !(s.A > 0 && s.ErrA > 0) {
			t.Errorf("compare: std %+v", s)
		}
	}
	for _, want := range []string{"Binder U", "<|m|>", "<m^2>", "kurtosis"} {
		if !names[want] {
			t.Errorf("compare: no statistic %q in %v", want, names)
		}
	}
	if len(cmp.Planes) != 8 || !(cmp.HistL1 > 0) {
		t.Errorf("compare: %d planes, histogram L1 %g", len(cmp.Planes), cmp.HistL1)
	}
	for _, f := range []string{"compare_spectrum", "compare_histogram", "compare_scale_std"} {
		for _, ext := range []string{"png", "svg", "pdf", "csv"} {
			cliExists(t, filepath.Join(cmpDir, f+"."+ext))
		}
	}
	cliExists(t, filepath.Join(cmpDir, "compare.json"))
	if out := cliMust(t, "compare", data, genPath, "--levels", "2"); !strings.Contains(out, "Binder U") || !strings.Contains(out, "histogram L1") {
		t.Errorf("compare table:\n%s", out)
	}

	// compare --floor: the acceptance verdict of the 8 generated fields
	// against the data, with floors from the 8 slices of 8 fields of a
	// second φ⁴ run.
	train2 := filepath.Join(dir, "phi4_train.npy")
	cliMust(t, "generate", "phi4", "--L", "16", "--n", "64", "--seed", "2", "--thermalize", "200", "--out", train2)
	var acc struct {
		Acceptance struct {
			Slices        int      `json:"slices"`
			SliceFields   int      `json:"slice_fields"`
			Spectrum      float64  `json:"spectrum"`
			FloorSpectrum float64  `json:"floor_spectrum"`
			SpectrumLimit float64  `json:"spectrum_limit"`
			SpectrumOK    bool     `json:"spectrum_ok"`
			FloorHist     float64  `json:"floor_histogram_l1"`
			HistLimit     float64  `json:"histogram_l1_limit"`
			Critical      bool     `json:"critical"`
			Scalar        string   `json:"scalar"`
			Planes        []any    `json:"planes"`
			Passed        bool     `json:"passed"`
			Failures      []string `json:"failures"`
		} `json:"acceptance"`
	}
	cliJSON(t, &acc, "compare", data, genPath, "--levels", "2", "--floor", train2, "--phase", "disordered")
	ac := acc.Acceptance
	if ac.Slices != 8 || ac.SliceFields != 8 || !(ac.FloorSpectrum > 0) || ac.Critical || ac.Scalar != "<m^2>" || len(ac.Planes) != 8 ||
		ac.Passed != (len(ac.Failures) == 0) || ac.SpectrumOK != (ac.Spectrum <= ac.SpectrumLimit) ||
		math.Abs(ac.SpectrumLimit-math.Max(0.05, 1.5*ac.FloorSpectrum)) > 1e-12 || math.Abs(ac.HistLimit-(1.5*ac.FloorHist+0.01)) > 1e-12 {
		t.Errorf("compare --floor: %+v", ac)
	}
	if out := cliMust(t, "compare", data, genPath, "--levels", "2", "--floor", train2); !strings.Contains(out, "Generation acceptance") || !strings.Contains(out, "Binder U difference") {
		t.Errorf("compare --floor table:\n%s", out)
	}
	// --z2: the same sets with their mirror images; the slices keep their
	// size in fields of the files, and the sign balance is judged.
	var z2 struct {
		Acceptance struct {
			Z2          bool    `json:"z2"`
			Slices      int     `json:"slices"`
			SliceFields int     `json:"slice_fields"`
			MeanDiff    float64 `json:"mean_diff"`
			MeanErr     float64 `json:"mean_err"`
			MeanOK      bool    `json:"mean_ok"`
		} `json:"acceptance"`
	}
	cliJSON(t, &z2, "compare", data, genPath, "--levels", "2", "--floor", train2, "--z2")
	if za := z2.Acceptance; !za.Z2 || za.Slices != 8 || za.SliceFields != 8 || !(za.MeanErr > 0) || za.MeanOK != (math.Abs(za.MeanDiff) <= 3*za.MeanErr) {
		t.Errorf("compare --floor --z2: %+v", za)
	}
	if out := cliMust(t, "compare", data, genPath, "--levels", "2", "--floor", train2, "--z2"); !strings.Contains(out, "mirror images") || !strings.Contains(out, "pixel mean difference") {
		t.Errorf("compare --floor --z2 table:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", data, train2, "--floor", genPath}, "fewer than"},
		{[]string{"compare", data, genPath, "--floor", genPath}, "same file"},
		{[]string{"compare", data, genPath, "--floor", filepath.Join(dir, "nosuch.npy")}, "--floor"},
	} {
		if code, _, stderr := cliRun(context.Background(), c.args...); code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("wcrg %s: exit %d, %q; want exit 1 naming %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}

	// diagnose: rows k = 1, 2 and the coarsest; the 16×16 first level of
	// row 1 has a spectrum error, the 8×8 first level of row 2 too.
	var dg struct {
		Levels int `json:"levels"`
		Rows   []struct {
			From          int        `json:"from_level"`
			Side          int        `json:"side"`
			FirstSpectrum *float64   `json:"first_spectrum_max_rel_err"`
			Ratio         [3]float64 `json:"detail_std_ratio"`
			Spectrum      float64    `json:"spectrum_max_rel_err"`
		} `json:"rows"`
	}
	dgDir := filepath.Join(dir, "diag")
	cliJSON(t, &dg, "diagnose", "--model", modelPath, "--data", data, "--n", "16", "--steps", "20", "--sweeps", "5", "--out", dgDir)
	if dg.Levels != 2 || len(dg.Rows) != 3 {
		t.Fatalf("diagnose JSON: %+v", dg)
	}
	for i, r := range dg.Rows {
		if r.From != i+1 || !(r.Spectrum > 0) || (i < 2) != (r.FirstSpectrum != nil) || (i < 2 && !(r.Ratio[0] > 0)) {
			t.Errorf("diagnose row %d: %+v", i, r)
		}
	}
	for _, ext := range []string{"png", "svg", "pdf", "csv"} {
		cliExists(t, filepath.Join(dgDir, "diagnose_cascade."+ext))
	}
	cliExists(t, filepath.Join(dgDir, "diagnose.json"))
	if code, _, errs := cliRun(context.Background(), "fit", "--data", data, "--pair-nodes", "8", "--out", filepath.Join(dir, "p.json")); code == 0 || !strings.Contains(errs, "maximum likelihood") {
		t.Errorf("fit --pair-nodes with score matching alone: exit %d, stderr:\n%s", code, errs)
	}
	if code, _, errs := cliRun(context.Background(), "diagnose", "--model", modelPath); code == 0 || !strings.Contains(errs, "--data is required") {
		t.Errorf("diagnose without --data: exit %d, stderr:\n%s", code, errs)
	}

	// hamiltonian (the training data are found through the model)
	// with bootstrap error bars from two resamples.
	var ham struct {
		Couplings []struct {
			Name   string  `json:"name"`
			Raw    float64 `json:"raw"`
			RawErr float64 `json:"raw_bootstrap_err"`
		} `json:"couplings"`
		Potentials []struct {
			Level         int      `json:"level"`
			Amplitude     *float64 `json:"amplitude"`
			NoiseRel      *float64 `json:"noise_rel"`
			SignalToNoise *float64 `json:"signal_to_noise"`
		} `json:"potentials"`
		Replicates int `json:"bootstrap_replicates"`
		Phi4       *struct {
			BetaFromK float64
			Known     bool
		} `json:"phi4"`
		Figures []string `json:"figures"`
	}
	hamDir := filepath.Join(dir, "ham")
	cliJSON(t, &ham, "hamiltonian", "--model", modelPath, "--free-window", "2", "--free-nodes", "8", "--out", hamDir, "--bootstrap", "2")
	if len(ham.Couplings) < 3 || ham.Couplings[1].Name != "K(e1)" || len(ham.Potentials) != 3 || ham.Phi4 == nil || !ham.Phi4.Known {
		t.Errorf("hamiltonian JSON: %+v", ham)
	}
	if ham.Replicates != 2 || !(ham.Couplings[1].RawErr > 0) {
		t.Errorf("hamiltonian JSON: %d bootstrap replicates, s.e. of K(e1) %g", ham.Replicates, ham.Couplings[1].RawErr)
	}
	for _, p := range ham.Potentials {
		if (p.Level == 0) != (p.NoiseRel == nil) || (p.NoiseRel != nil && (!(*p.NoiseRel > 0) || p.SignalToNoise == nil)) {
			t.Errorf("hamiltonian JSON: V_%d bootstrap noise %v, signal/noise %v", p.Level, p.NoiseRel, p.SignalToNoise)
		}
		// V_0 has no amplitude (null); the φ⁴ wells of v̄_{j+1} and ṽ_j
		// make it a positive number at j ≥ 1.
		if (p.Level == 0) != (p.Amplitude == nil) || (p.Amplitude != nil && !(*p.Amplitude > 0)) {
			t.Errorf("hamiltonian JSON: V_%d amplitude %v", p.Level, p.Amplitude)
		}
	}
	if ham.Phi4 != nil && ham.Phi4.BetaFromK != -ham.Couplings[1].Raw {
		t.Errorf("β estimate %g is not −K(e1) = %g", ham.Phi4.BetaFromK, -ham.Couplings[1].Raw)
	}
	for _, f := range []string{"kernel", "kernel_profile", "v0", "potentials"} {
		cliExists(t, filepath.Join(hamDir, "model_hamiltonian_"+f+".png"), filepath.Join(hamDir, "model_hamiltonian_"+f+".csv"))
	}

	// Ctrl-C during sampling keeps the finished batches in a valid file.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cw := &cancelWriter{trigger: "3 fields stored", cancel: cancel}
	partial := filepath.Join(dir, "partial.npy")
	var out bytes.Buffer
	code := run(ctx, []string{"sample", "--model", modelPath, "--n", "9", "--steps", "20", "--adapt", "10", "--batch", "3", "--out", partial}, &out, cw)
	if code != 130 {
		t.Errorf("cancelled sample: exit %d, want 130\n%s", code, cw.buf.String())
	}
	if st, _, err := fieldio.Read(partial, fieldio.Options{}); err != nil || st.N != 3 {
		t.Errorf("cancelled sample: %s holds %v fields (%v), want the 3 of the first batch", partial, st, err)
	}
	var ps samplesSidecar
	if b, err := os.ReadFile(filepath.Join(dir, "partial.json")); err != nil || json.Unmarshal(b, &ps) != nil || ps.Complete || ps.Stored != 3 {
		t.Errorf("cancelled sample sidecar: %+v (%v)", ps, err)
	}
}

// TestCLIErrors: a missing file is exit status 1 with its name in the
// message; a bad flag or value is exit status 2 naming the flag.
func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	missingNpy := filepath.Join(dir, "missing.npy")
	missingModel := filepath.Join(dir, "nomodel.json")
	out := filepath.Join(dir, "out.json")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fit", "--data", missingNpy, "--out", out}, 1, "missing.npy"},
		{[]string{"sample", "--model", missingModel, "--out", filepath.Join(dir, "g.npy")}, 1, "nomodel.json"},
		{[]string{"compare", missingNpy, missingNpy}, 1, "missing.npy"},
		{[]string{"hamiltonian", "--model", missingModel}, 1, "nomodel.json"},
		{[]string{"fit", "--bogus", "--data", missingNpy, "--out", out}, 2, "bogus"},
		{[]string{"fit", "--data", missingNpy}, 2, "--out"},
		{[]string{"fit", "--data", missingNpy, "--out", out, "--window", "-1"}, 2, "--window"},
		{[]string{"fit", "--data", missingNpy, "--out", out, "--estimator", "xx"}, 2, "--estimator"},
		{[]string{"fit", "--data", missingNpy, "--out", out, "--levels", "x"}, 2, "levels"},
		{[]string{"fit", "--data", missingNpy, "--out", filepath.Join(dir, "no", "such", "m.json")}, 1, "--out"},
		{[]string{"sample", "--model", missingModel, "--out", filepath.Join(dir, "g.npy"), "--n", "0"}, 2, "--n"},
		{[]string{"sample", "--model", missingModel, "--out", filepath.Join(dir, "g.txt")}, 2, "--out"},
		{[]string{"sample", "--model", missingModel, "--out", filepath.Join(dir, "g.npy"), "--coarse-factor", "0"}, 2, "--coarse-factor"},
		{[]string{"compare", missingNpy}, 2, "two field files"},
		{[]string{"compare", missingNpy, missingNpy, "--floor", missingNpy, "--phase", "hot"}, 2, "--phase"},
		{[]string{"compare", missingNpy, missingNpy, "--phase", "critical"}, 2, "--floor"},
		{[]string{"compare", missingNpy, missingNpy, "--z2"}, 2, "--z2"},
		{[]string{"hamiltonian", "--model", missingModel, "--free-window", "99"}, 2, "--free-window"},
		{[]string{"hamiltonian", "--model", missingModel, "--free-route", "magic"}, 2, "--free-route"},
		{[]string{"hamiltonian", "--model", missingModel, "--bootstrap", "1"}, 2, "--bootstrap"},
		{[]string{"hamiltonian", "--model", missingModel, "--bootstrap", "2", "--bootstrap-block", "-1"}, 2, "--bootstrap-block"},
		{[]string{"bench", "nosuch"}, 2, "nosuch"},
		{[]string{"hamiltonian", "--model", missingModel, "--beside-data", missingNpy}, 2, "--beside-data"},
		{[]string{"coarsen", "--out", missingNpy, missingNpy}, 2, "is the input file"},
		{[]string{"lensing", "prep", "--out", missingNpy, missingNpy}, 2, "is the input file"},
		{[]string{"decompose", "--clip", "60", missingNpy}, 2, "--clip"},
		{[]string{"csd", "--steps", "-1"}, 2, "--steps"},
	} {
		code, stdout, stderr := cliRun(context.Background(), tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("wcrg %s: exit %d, stderr %q; want exit %d naming %q (stdout %q)", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want, stdout)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("wcrg %s: the error is not one line: %q", strings.Join(tc.args, " "), stderr)
		}
	}
	// Every new command documents its flags with their defaults.
	for _, c := range []string{"fit", "sample", "compare", "hamiltonian"} {
		help := cliMust(t, "help", c)
		if !strings.Contains(help, "Flags:") || !strings.Contains(help, "(default") {
			t.Errorf("wcrg help %s:\n%s", c, help)
		}
	}
	if help := cliMust(t, "help", "fit"); !strings.Contains(help, "--window") || !strings.Contains(help, "(default 4)") {
		t.Errorf("wcrg help fit does not show the window default:\n%s", help)
	}
}
