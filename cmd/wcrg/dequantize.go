package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lattice"
)

// dequantizedSidecar is the JSON document written beside a dequantized stack.
type dequantizedSidecar struct {
	Schema     string          `json:"schema"` // "wcrg-lab/dequantized/v1"
	Source     string          `json:"source"`
	Sigma      float64         `json:"sigma"`
	Seed       uint64          `json:"seed"`
	L          int             `json:"L"`
	Fields     int             `json:"fields"`
	Values     []float64       `json:"source_values,omitempty"`  // the source's distinct values, when there are few
	Dataset    *datasetSidecar `json:"source_dataset,omitempty"` // the source's own sidecar, when it has one
	Created    string          `json:"created"`
	Command    string          `json:"command"`
	OutputFile string          `json:"file"`
}

func dequantizeCommand() *command {
	c := &command{
		name:    "dequantize",
		args:    "FILE",
		summary: "add Gaussian noise to discrete fields (e.g. Ising spins) so that WC-RG can fit them",
		details: `Writes every field of FILE plus independent Gaussian noise of std --sigma (default
0.35), drawn from streams of --seed, so that the same command gives the same file.

This is the documented WC-RG route for fields whose finest scale is discrete, such
as ±1 Ising spins, which have no density to learn: the dequantized field has one,
and for small σ its energy is close to WC-RG's ansatz (a double well per site and
the Ising bond between neighbouring signs, which the pair potential represents).
Fit it with --wavelet haar --z2 --ml-from-level 1 --pair-nodes 12 --ml-sweeps 1
--ml-warmup-sweeps 30 --ml-max-step 1 --ml-iterations 1000 --ml-min-visits 12 (the
app's "Ising settings"), generate with 'wcrg sample --coarse-factor 8 --zero-start',
and judge the generated fields at the first coarse scale, the block spins: 'wcrg
coarsen --wavelet haar --levels 1' on the training, held-out and generated fields,
then 'wcrg compare --z2 --floor'. sign(φ) of the generated fields gives spins. For
critical spins at L = 32 this accepts three data sets of four; the fourth's
held-out set is itself 3σ off at the coarsest scale. The finest, dequantized scale
is not matched.`,
	}
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		sigma := fs.Float64("sigma", ising.DefaultDequantizeSigma, "noise std σ, in the units of the data (±1 spins: 0.35 keeps the two values apart)")
		seed := fs.Uint64("seed", 1, "random seed of the noise")
		out := fs.String("out", "", "output .npy file (required)")
		crop := fs.Bool("crop", false, "crop non-square or non-power-of-two fields to the largest power of two")
		patch := fs.Int("patch", 0, "cut fields into P×P patches (P a power of two)")
		f32 := fs.Bool("float32", false, "store float32 instead of float64")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one input file")
			}
			if err := checkNpyOut(*out, args[0]); err != nil {
				return err
			}
			if !(*sigma > 0) || math.IsInf(*sigma, 0) {
				return usagef("--sigma %g: want a positive noise std", *sigma)
			}
			st, _, err := readFields(args[0], *crop, *patch)
			if err != nil {
				return err
			}
			dq, err := ising.Dequantize(*st, *sigma, *seed)
			if err != nil {
				return err
			}
			prec := fieldio.Float64
			if *f32 {
				prec = fieldio.Float32
			}
			if err := fieldio.WriteNpy(*out, dq, prec); err != nil {
				return err
			}
			side := dequantizedSidecar{Schema: "wcrg-lab/dequantized/v1", Source: args[0], Sigma: *sigma, Seed: *seed, L: dq.L, Fields: dq.N,
				Values: distinctValues(st.Data, 8), Created: time.Now().UTC().Format(time.RFC3339), OutputFile: filepath.Base(*out),
				Command: "wcrg dequantize " + commandFlags(fs, "sigma", "seed") + " " + shellQuote(args[0])}
			if ds, ok := readDatasetSidecar(args[0]); ok {
				side.Dataset = ds
			}
			if err := writeJSON(fieldio.SidecarPath(*out), side); err != nil {
				return err
			}
			if side.Values == nil {
				e.logf("warning: %s holds more than 8 distinct values: it does not look discrete, and dequantizing it only adds noise", args[0])
			}
			t := &table{title: side.Command, header: []string{"fields", "L", "σ", "source values", "std", "kurtosis"}}
			vals := "many"
			if side.Values != nil {
				vals = fmt.Sprint(side.Values)
			}
			t.add(dq.N, dq.L, *sigma, vals, lattice.Std(dq.Data), lattice.Kurtosis(dq.Data))
			return e.emit(side, []*table{t})
		}
	}
	return c
}

// distinctValues returns the sorted distinct values of data, or nil when
// there are more than max of them.
func distinctValues(data []float64, max int) []float64 {
	seen := map[float64]bool{}
	for _, v := range data {
		if !seen[v] {
			if len(seen) == max {
				return nil
			}
			seen[v] = true
		}
	}
	out := make([]float64, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
