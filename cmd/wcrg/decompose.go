package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/wavelet"
	"github.com/wcrglab/wcrg/plots"
)

// readFields reads a field file with the crop/patch options of the common
// flags, turning fieldio's "choose --crop or --patch" advice into flag names.
func readFields(path string, crop bool, patch int) (*lattice.Stack, fieldio.Info, error) {
	st, info, err := fieldio.Read(path, fieldio.Options{Crop: crop, PatchSize: patch})
	if err != nil {
		msg := strings.NewReplacer("Options.Crop", "--crop", "Options.PatchSize = P", "--patch P", "Options.PatchSize", "--patch").Replace(err.Error())
		return nil, info, errors.New(msg)
	}
	return st, info, nil
}

type planeRow struct {
	Level   int     `json:"level"`
	Side    int     `json:"side"`
	Gamma   float64 `json:"gamma"`
	StdPhi  float64 `json:"std_phi_j"`
	Std     [3]float64
	Kurt    [3]float64
	KurtPhi float64 `json:"kurtosis_phi_j"`
}

func decomposeCommand() *command {
	c := &command{
		name:    "decompose",
		args:    "FILE",
		summary: "wavelet decomposition of a field file: figures and per-scale statistics",
		details: `Reads FILE (.npy, FITS, PNG or text), estimates γ_j (unit-variance rule of the
spec, or 1 with --gamma one), decomposes every field, and prints per level j the
std of the coarse field φ_j and of the three detail channels φ̄_j (1: horizontal
detail, 2: vertical, 3: diagonal, in the PyWavelets order), their kurtosis, and
γ_j — pooled over sites and fields. Writes, into --out (default: beside FILE,
named after it): the decomposition mosaic of field --index, the radially
averaged power spectrum and the pixel histogram, each as PNG, SVG and PDF with
the numbers as CSV.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		wname := fs.String("wavelet", "db4", "wavelet: "+strings.Join(wavelet.Names(), ", "))
		levels := fs.Int("levels", 4, "number of levels J")
		gammaRule := fs.String("gamma", "unit", "γ_j rule: unit (coarse field keeps its parent's variance) or one")
		index := fs.Int("index", 0, "field shown in the mosaic (0-based)")
		out := fs.String("out", "", "output directory (default: FILE's directory)")
		crop := fs.Bool("crop", false, "crop non-square or non-power-of-two fields to the largest power-of-two square")
		patch := fs.Int("patch", 0, "cut fields into patches of this power-of-two side")
		clip := fs.Float64("clip", 0.5, "colour range clip, percent at each end")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one FILE argument")
			}
			if !(*clip >= 0 && *clip < 50) {
				return usagef("--clip %g: want a percentage in [0, 50)", *clip)
			}
			path := args[0]
			b, err := wavelet.New(*wname)
			if err != nil {
				return usagef("--wavelet %q: %v", *wname, err)
			}
			if *gammaRule != "unit" && *gammaRule != "one" {
				return usagef("--gamma %q: want unit or one", *gammaRule)
			}
			st, info, err := readFields(path, *crop, *patch)
			if err != nil {
				return err
			}
			L := st.L
			if *levels < 1 || *levels > wavelet.MaxLevels(L) {
				return usagef("--levels %d: fields of %d×%d allow 1 … %d levels", *levels, L, L, wavelet.MaxLevels(L))
			}
			if *index < 0 || *index >= st.N {
				return usagef("--index %d: %s holds %d fields", *index, path, st.N)
			}
			e.logf("%s: %d fields of %d×%d (%s)", path, st.N, L, L, info.Format)
			var gamma []float64
			if *gammaRule == "unit" {
				if gamma, err = wavelet.EstimateGamma(b, *st, *levels, 0); err != nil {
					return fmt.Errorf("%s: %w (--gamma one skips the estimate)", path, err)
				}
			}
			tr, err := wavelet.NewTransform(b, L, *levels, gamma)
			if err != nil {
				return err
			}
			gamma = tr.Gammas()
			stats := wavelet.StackStats(tr, *st, 0)
			rows := make([]planeRow, *levels+1)
			for j := range rows {
				rows[j].Level, rows[j].Side = j, L>>j
				if j > 0 {
					rows[j].Gamma = gamma[j-1]
				}
			}
			for _, s := range stats {
				r := &rows[s.Level]
				if s.Channel == 0 {
					r.StdPhi, r.KurtPhi = s.Std, s.Kurtosis
				} else {
					r.Std[s.Channel-1], r.Kurt[s.Channel-1] = s.Std, s.Kurtosis
				}
			}
			t := &table{title: fmt.Sprintf("%s: %s, J = %d, γ rule %s (%d fields of %d×%d)", filepath.Base(path), *wname, *levels, *gammaRule, st.N, L, L),
				header: []string{"j", "side", "γ_j", "std φ_j", "std φ̄_j,1", "std φ̄_j,2", "std φ̄_j,3", "kurt φ_j", "kurt φ̄_j,1", "kurt φ̄_j,2", "kurt φ̄_j,3"}}
			for _, r := range rows {
				if r.Level == 0 {
					t.add(0, r.Side, "–", r.StdPhi, "–", "–", "–", r.KurtPhi, "–", "–", "–")
					continue
				}
				t.add(r.Level, r.Side, r.Gamma, r.StdPhi, r.Std[0], r.Std[1], r.Std[2], r.KurtPhi, r.Kurt[0], r.Kurt[1], r.Kurt[2])
			}
			// Figures.
			dir := *out
			if dir == "" {
				dir = filepath.Dir(path)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("--out %s: %w", dir, err)
			}
			stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			dec := wavelet.NewDecomposition(L, *levels)
			tr.Decompose(dec, st.Field(*index).Data)
			name := filepath.Base(path)
			lo, hi, ok := lattice.SpreadRange(st.Data, 4)
			if !ok {
				return fmt.Errorf("%s: the values are too large for a histogram (their spread overflows)", path)
			}
			h := lattice.NewHistogram(lo, hi, 60)
			h.Add(st.Data)
			figs := map[string]*plots.Figure{
				"decomposition": plots.MosaicFigure(fmt.Sprintf("%s field %d, %s, J = %d", name, *index, *wname, *levels), dec, stats, gamma, *clip),
				"spectrum":      plots.SpectrumFigure("Power spectrum: "+name, plots.SpectrumSeries(name, lattice.PowerSpectrum(*st, 0).Radial())),
				"histogram":     plots.HistogramFigure("Pixel values: "+name, "φ", plots.HistogramSeries(name, h)),
			}
			var written []string
			for _, kind := range []string{"decomposition", "spectrum", "histogram"} {
				for _, ext := range []string{"png", "svg", "pdf"} {
					p := filepath.Join(dir, fmt.Sprintf("%s_%s.%s", stem, kind, ext))
					if err := figs[kind].Save(p); err != nil {
						return err
					}
				}
				written = append(written, filepath.Join(dir, fmt.Sprintf("%s_%s.{png,svg,pdf,csv}", stem, kind)))
			}
			for _, w := range written {
				e.logf("wrote %s", w)
			}
			result := map[string]any{"file": path, "sha256": info.SHA256, "fields": st.N, "L": L, "wavelet": *wname,
				"levels": *levels, "gamma_rule": *gammaRule, "gamma": gamma, "planes": stats, "figures": written}
			return e.emit(result, []*table{t})
		}
	}
	return c
}
