package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/engine/wcrg"
	"github.com/wcrglab/wcrg/plots"
)

// jsonFloat is a float64 written as null in JSON when it is NaN or
// infinite (a statistic undefined for the data, such as the second-moment
// correlation length of a jackknife replicate with G(k_min) > G(0)).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// compareStat is one row of the comparison (JSON output).
type compareStat struct {
	Name   string    `json:"name"`
	A      jsonFloat `json:"a"`
	ErrA   jsonFloat `json:"err_a"`
	B      jsonFloat `json:"b"`
	ErrB   jsonFloat `json:"err_b"`
	Diff   jsonFloat `json:"diff"`
	Err    jsonFloat `json:"err"`
	Sigmas jsonFloat `json:"sigmas"` // |diff|/err
}

type comparePlane struct {
	Level    int       `json:"level"`
	Channel  int       `json:"channel"` // 0: φ_j; 1–3: φ̄_j channels
	StdA     jsonFloat `json:"std_a"`
	StdErrA  jsonFloat `json:"std_err_a"`
	StdB     jsonFloat `json:"std_b"`
	StdErrB  jsonFloat `json:"std_err_b"`
	StdSig   jsonFloat `json:"std_sigmas"`
	KurtA    jsonFloat `json:"kurt_a"`
	KurtErrA jsonFloat `json:"kurt_err_a"`
	KurtB    jsonFloat `json:"kurt_b"`
	KurtErrB jsonFloat `json:"kurt_err_b"`
	KurtSig  jsonFloat `json:"kurt_sigmas"`
}

func sigmas(d, e float64) jsonFloat {
	if e > 0 {
		return jsonFloat(math.Abs(d) / e)
	}
	if math.IsNaN(d) || math.IsNaN(e) {
		return jsonFloat(math.NaN())
	}
	return 0
}

func compareCommand() *command {
	c := &command{
		name:    "compare",
		args:    "A B",
		summary: "compare the statistics of two field files (e.g. held-out data and generated fields)",
		details: `Reads A and B (same field side) and prints, for each statistic, A ± error, B ± error,
B − A ± error and |B − A| in combined standard errors (jackknife over 20 blocks of
fields): pixel mean, std and kurtosis, ⟨|m|⟩, ⟨m²⟩, the Binder cumulant
U = 1 − ⟨m⁴⟩/(3⟨m²⟩²), χ = L²(⟨m²⟩ − ⟨|m|⟩²), the second-moment correlation length;
the largest relative difference of the radial power spectra (bins with ≥ 16
modes) and the L1 distance of the pixel histograms (60 common bins over
mean ± 4 std of A); and per scale the std and kurtosis of φ_j and of the three
wavelet channels φ̄_j (γ = 1, so comparable with the spec's reference values).
With --out, writes the overlays: spectrum (log–log), pixel histogram (log y) and
per-scale std, each as PNG, SVG and PDF with the numbers as CSV, plus compare.json.

With --floor TRAIN, A is the reference (held-out data) and B the generated fields,
and compare also gives the verdict of the generation acceptance, each figure judged
against its noise floor: the same figure between A and every disjoint slice of
TRAIN (the training fields) with as many fields as B, averaged over the slices
(TRAIN must hold at least as many fields as B and be neither A nor B). Criteria:
spectrum error ≤ max(5 %, 1.5 × floor); histogram L1 ≤ 1.5 × floor + 0.01; the std of every
plane within 3 % or, where the sets cannot resolve 3 %, 3 combined standard
errors; --phase critical: Binder cumulant within 0.03, --phase disordered: ⟨m²⟩
within 2 standard errors (there U ≈ 0 is noise). --z2, for fields whose law is
symmetric under φ → −φ (Ising, φ⁴ at zero field): every set is judged with each
field followed by its mirror image −φ, because near β_c which sign a finite set favours is
binomial noise that dominates the pixel histogram; the sign balance is judged
apart (pixel means within 3 standard errors). The exit status is 0 whether B
is accepted or not; the verdict is in the last table and in the JSON object
"acceptance" (its "passed", and "…_ok" per criterion).`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		wname := fs.String("wavelet", "db4", "wavelet of the per-scale statistics: "+strings.Join(wavelet.Names(), ", "))
		levels := fs.Int("levels", 0, "levels J of the per-scale statistics (0: min(log₂ L, 4))")
		out := fs.String("out", "", "directory for the overlay figures and compare.json (optional)")
		nameA := fs.String("name-a", "", "legend name of A (default: its file name)")
		nameB := fs.String("name-b", "", "legend name of B (default: its file name)")
		crop := fs.Bool("crop", false, "crop non-square or non-power-of-two fields to the largest power-of-two square")
		patch := fs.Int("patch", 0, "cut fields into patches of this power-of-two side")
		floorPath := fs.String("floor", "", "training fields: judge B against A with the generation acceptance, floors from B-sized slices of this file")
		z2 := fs.Bool("z2", false, "with --floor: the fields' law is symmetric under φ → −φ (Ising, φ⁴ at zero field): judge every set with its mirror images and the sign balance by the pixel mean")
		phase := fs.String("phase", "", "with --floor: critical (judge the Binder cumulant; the default) or disordered (judge ⟨m²⟩)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return usagef("want two field files A and B, got %d arguments", len(args))
			}
			pa, pb := args[0], args[1]
			if _, err := wavelet.New(*wname); err != nil {
				return usagef("--wavelet %q: %v", *wname, err)
			}
			if *levels < 0 {
				return usagef("--levels %d: want 0 (automatic) or a positive count", *levels)
			}
			switch {
			case *phase != "" && *floorPath == "":
				return usagef("--phase %s: only with --floor", *phase)
			case *z2 && *floorPath == "":
				return usagef("--z2: only with --floor")
			case *phase == "":
				*phase = "critical"
			case *phase != "critical" && *phase != "disordered":
				return usagef("--phase %q: want critical or disordered", *phase)
			}
			a, ia, err := readFields(pa, *crop, *patch)
			if err != nil {
				return err
			}
			b, ib, err := readFields(pb, *crop, *patch)
			if err != nil {
				return err
			}
			if a.L != b.L {
				return fmt.Errorf("%s holds fields of %d×%d and %s of %d×%d; compare needs one side", pa, a.L, a.L, pb, b.L, b.L)
			}
			var train *lattice.Stack
			var it fieldio.Info
			if *floorPath != "" {
				if train, it, err = readFields(*floorPath, *crop, *patch); err != nil {
					return fmt.Errorf("--floor: %w", err)
				}
				switch {
				case train.L != a.L:
					return fmt.Errorf("--floor %s holds fields of %d×%d, %s of %d×%d; the floor needs one side", *floorPath, train.L, train.L, pa, a.L, a.L)
				case train.N < b.N:
					return fmt.Errorf("--floor %s: %d fields, fewer than the %d of %s; the floor needs at least one slice of that size", *floorPath, train.N, b.N, pb)
				case it.SHA256 == ia.SHA256 || it.SHA256 == ib.SHA256:
					return fmt.Errorf("--floor %s is the same file as A or B; the floor needs training fields apart from both", *floorPath)
				}
			}
			for _, x := range []struct {
				path string
				n    int
			}{{pa, a.N}, {pb, b.N}} {
				if x.n < 2 {
					return fmt.Errorf("%s: %d field(s); the error bars need at least 2", x.path, x.n)
				}
			}
			if *levels > wavelet.MaxLevels(a.L) {
				return usagef("--levels %d: fields of %d×%d allow 1 … %d levels", *levels, a.L, a.L, wavelet.MaxLevels(a.L))
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			e.logf("A = %s: %d fields of %d×%d; B = %s: %d fields", pa, a.N, a.L, a.L, pb, b.N)
			cmp, err := wcrg.Compare(*a, *b, *wname, *levels)
			if err != nil {
				return fmt.Errorf("A = %s, B = %s: %w", pa, pb, err)
			}
			la, lb := *nameA, *nameB
			if la == "" {
				la = filepath.Base(pa)
			}
			if lb == "" {
				lb = filepath.Base(pb)
			}
			if la == lb {
				la, lb = "A: "+la, "B: "+lb
			}

			st := &table{title: fmt.Sprintf("A = %s (%d fields), B = %s (%d fields), %d×%d; errors: jackknife, 20 blocks", pa, cmp.NA, pb, cmp.NB, cmp.L, cmp.L),
				header: []string{"statistic", "A", "± A", "B", "± B", "B − A", "±", "|B−A|/σ"}}
			var stats []compareStat
			for _, s := range cmp.Scalars {
				d, de := s.Diff()
				cs := compareStat{Name: s.Name, A: jsonFloat(s.A), ErrA: jsonFloat(s.ErrA), B: jsonFloat(s.B), ErrB: jsonFloat(s.ErrB),
					Diff: jsonFloat(d), Err: jsonFloat(de), Sigmas: sigmas(d, de)}
				stats = append(stats, cs)
				st.add(s.Name, s.A, s.ErrA, s.B, s.ErrB, d, de, fmt.Sprintf("%.1f", float64(cs.Sigmas)))
			}
			st.add("spectrum max |G_B/G_A − 1|", "", "", "", "", cmp.SpectrumMaxRelErr, "", "")
			st.add("histogram L1 Σ|p_B − p_A|", "", "", "", "", cmp.HistL1, "", "")

			pt := &table{title: fmt.Sprintf("Per scale (%s, J = %d, γ = 1): std and kurtosis of φ_j and of the channels φ̄_j,c (1: horizontal, 2: vertical, 3: diagonal)", cmp.Wavelet, cmp.Levels),
				header: []string{"plane", "std A", "±", "std B", "±", "|ΔB−A|/σ", "kurt A", "±", "kurt B", "±", "|ΔB−A|/σ"}}
			var planes []comparePlane
			for _, s := range cmp.Scales {
				cp := comparePlane{Level: s.Level, Channel: s.Channel, StdA: jsonFloat(s.StdA), StdErrA: jsonFloat(s.ErrA),
					StdB: jsonFloat(s.StdB), StdErrB: jsonFloat(s.ErrB), StdSig: sigmas(s.StdB-s.StdA, math.Hypot(s.ErrA, s.ErrB)),
					KurtA: jsonFloat(s.KurtA), KurtErrA: jsonFloat(s.KurtErrA), KurtB: jsonFloat(s.KurtB), KurtErrB: jsonFloat(s.KurtErrB),
					KurtSig: sigmas(s.KurtB-s.KurtA, math.Hypot(s.KurtErrA, s.KurtErrB))}
				planes = append(planes, cp)
				pt.add(wcrg.PlaneName(s.Level, s.Channel), s.StdA, s.ErrA, s.StdB, s.ErrB, fmt.Sprintf("%.1f", float64(cp.StdSig)),
					s.KurtA, s.KurtErrA, s.KurtB, s.KurtErrB, fmt.Sprintf("%.1f", float64(cp.KurtSig)))
			}
			tables := []*table{st, pt}
			var acceptance map[string]any
			if train != nil {
				accept := wcrg.Accept
				if *z2 {
					accept = wcrg.AcceptZ2
				}
				acc, err := accept(*a, *train, *b, *wname, cmp.Levels, *phase == "critical")
				if err != nil {
					return fmt.Errorf("--floor %s: %w", *floorPath, err)
				}
				at, js := acceptanceTable(acc, *floorPath)
				tables = append(tables, at)
				js["floor_file"] = map[string]any{"file": *floorPath, "sha256": it.SHA256, "fields": train.N}
				acceptance = js
			}
			result := map[string]any{
				"a": map[string]any{"file": pa, "sha256": ia.SHA256, "fields": cmp.NA},
				"b": map[string]any{"file": pb, "sha256": ib.SHA256, "fields": cmp.NB},
				"L": cmp.L, "wavelet": cmp.Wavelet, "levels": cmp.Levels,
				"statistics": stats, "spectrum_max_rel_err": jsonFloat(cmp.SpectrumMaxRelErr), "histogram_l1": jsonFloat(cmp.HistL1),
				"planes": planes,
			}
			if acceptance != nil {
				result["acceptance"] = acceptance
			}
			if *out != "" {
				files, err := writeCompareFigures(*out, cmp, la, lb)
				if err != nil {
					return err
				}
				result["figures"] = files
				if err := writeJSON(filepath.Join(*out, "compare.json"), result); err != nil {
					return err
				}
				for _, f := range files {
					e.logf("wrote %s", f)
				}
				e.logf("wrote %s", filepath.Join(*out, "compare.json"))
			}
			return e.emit(result, tables, "(|B−A|/σ: the difference in combined standard errors; above ~3 the two sets differ)")
		}
	}
	return c
}

// acceptanceTable returns the verdict of the generation acceptance as a
// table and as JSON; every verdict is Accept's.
func acceptanceTable(acc *wcrg.Acceptance, floorPath string) (*table, map[string]any) {
	g := acc.Generated
	verdict := func(ok bool) string {
		if ok {
			return "pass"
		}
		return "FAIL"
	}
	title := fmt.Sprintf("Generation acceptance: B against A, floors from %d slices of %d fields of %s (mean over the slices)", len(acc.Floors), g.NB, floorPath)
	if acc.Z2 {
		title = fmt.Sprintf("Generation acceptance (Z₂: every set with its mirror images −φ): B against A, floors from %d slices of %d fields of %s (mean over the slices)", len(acc.Floors), g.NB/2, floorPath)
	}
	t := &table{title: title, header: []string{"criterion", "B vs A", "floor", "limit", "verdict"}}
	t.add("spectrum max rel. error", g.SpectrumMaxRelErr, acc.FloorSpectrum, acc.SpectrumLimit, verdict(acc.SpectrumOK))
	t.add("histogram L1", g.HistL1, acc.FloorHistL1, acc.HistL1Limit, verdict(acc.HistL1OK))
	d, e := acc.Scalar.Diff()
	if acc.Critical {
		t.add("Binder U difference", fmt.Sprintf("%+.4f ± %.4f", d, e), fmt.Sprintf("%+.4f", acc.FloorScalarDiff), fmt.Sprintf("±%g", wcrg.AcceptBinder), verdict(acc.ScalarOK))
	} else {
		t.add("⟨m²⟩ difference", fmt.Sprintf("%+.4g ± %.4g", d, e), fmt.Sprintf("%+.4g", acc.FloorScalarDiff), fmt.Sprintf("%gσ", wcrg.AcceptM2Sigmas), verdict(acc.ScalarOK))
	}
	p := acc.Planes[acc.Tightest]
	t.add("per-scale std, tightest plane", fmt.Sprintf("%s: %.1f %% (%.1fσ)", wcrg.PlaneName(p.Level, p.Channel), 100*p.Relative, p.Sigmas),
		fmt.Sprintf("%d of %d slices fail", acc.FloorStdFailures, len(acc.Floors)),
		fmt.Sprintf("%g %% or %gσ", 100*wcrg.AcceptStdRelative, wcrg.AcceptStdSigmas), verdict(acc.StdOK))
	if acc.Z2 {
		d, e := acc.Mean.Diff()
		t.add("pixel mean difference (as given)", fmt.Sprintf("%+.4f ± %.4f", d, e), "", fmt.Sprintf("%gσ", wcrg.AcceptMeanSigmas), verdict(acc.MeanOK))
	}
	t.add("verdict", "", "", "", map[bool]string{true: "accepted", false: "rejected"}[acc.Passed()])
	failures := acc.Failures
	if failures == nil {
		failures = []string{}
	}
	var planes []map[string]any
	for _, p := range acc.Planes {
		planes = append(planes, map[string]any{"level": p.Level, "channel": p.Channel, "relative": jsonFloat(p.Relative),
			"sigmas": jsonFloat(p.Sigmas), "passed": p.Passed()})
	}
	js := map[string]any{
		"slices": len(acc.Floors), "slice_fields": g.NB,
		"spectrum": jsonFloat(g.SpectrumMaxRelErr), "floor_spectrum": jsonFloat(acc.FloorSpectrum), "spectrum_limit": jsonFloat(acc.SpectrumLimit), "spectrum_ok": acc.SpectrumOK,
		"histogram_l1": jsonFloat(g.HistL1), "floor_histogram_l1": jsonFloat(acc.FloorHistL1), "histogram_l1_limit": jsonFloat(acc.HistL1Limit), "histogram_l1_ok": acc.HistL1OK,
		"critical": acc.Critical, "scalar": acc.Scalar.Name, "scalar_diff": jsonFloat(d), "scalar_err": jsonFloat(e),
		"floor_scalar_diff": jsonFloat(acc.FloorScalarDiff), "scalar_ok": acc.ScalarOK,
		"planes": planes, "std_ok": acc.StdOK, "floor_std_failures": acc.FloorStdFailures,
		"passed": acc.Passed(), "failures": failures,
	}
	js["z2"] = acc.Z2
	if acc.Z2 {
		d, e := acc.Mean.Diff()
		js["slice_fields"] = g.NB / 2
		js["mean_diff"], js["mean_err"], js["mean_ok"] = jsonFloat(d), jsonFloat(e), acc.MeanOK
	}
	return t, js
}

// writeCompareFigures writes the spectrum, histogram and per-scale std
// overlays into dir and returns their path patterns.
func writeCompareFigures(dir string, cmp *wcrg.Comparison, la, lb string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out %s: %w", dir, err)
	}
	ha := plots.HistogramSeries(la, cmp.HistA)
	hb := plots.HistogramSeries(lb, cmp.HistB)
	hb.Dashed = true
	sa := plots.SpectrumSeries(la, cmp.SpectrumA)
	sb := plots.SpectrumSeries(lb, cmp.SpectrumB)
	sa.Markers, sb.Markers = true, true
	return saveFigures(dir, []namedFigure{
		{"compare_spectrum", plots.SpectrumFigure(fmt.Sprintf("Power spectrum: %s vs %s", la, lb), sa, sb)},
		{"compare_histogram", plots.HistogramFigure(fmt.Sprintf("Pixel values: %s vs %s", la, lb), "φ", ha, hb)},
		{"compare_scale_std", plots.ScaleStdFigure(cmp, la, lb)},
	})
}
