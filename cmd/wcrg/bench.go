package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
)

// benchmark is one `wcrg bench` target.
type benchmark struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, o benchOptions) (any, *table, error)
}

type benchOptions struct {
	quick bool
}

func benchmarks() []benchmark {
	return []benchmark{
		{"wavelet", "db4 decomposition + reconstruction of 100 fields of 256² (J = 5) vs PyWavelets", benchWavelet},
		{"metropolis", "φ⁴ checkerboard Metropolis at L = 128, β = 0.68, ns per site update vs plain C", benchMetropolis},
		{"fit", "score-matching fit of all scales on 2000 φ⁴ fields of 32² (β = 0.68) vs the PyTorch reference's 137 s", benchFit},
		{"fit64", "the same fit on 2000 φ⁴ fields of 64² (no reference)", benchFit64},
		{"sample", "coarse-to-fine generation of 100 fields of 32² from the fitted φ⁴ model, s/field vs the 0.24 s target", benchSample},
		{"sample64", "coarse-to-fine generation of 50 fields of 64² from the model fitted on 2000 φ⁴ fields of 64²", benchSample64},
	}
}

func benchCommand() *command {
	c := &command{
		name:    "bench",
		args:    "[TARGET ...]",
		summary: "measure the engine's speed against its reference implementations",
	}
	var names []string
	for _, b := range benchmarks() {
		names = append(names, fmt.Sprintf("  %-11s %s", b.name, b.summary))
	}
	c.details = "Targets (default all):\n" + strings.Join(names, "\n") +
		"\n\nReferences are measured in the same run on the same data; a missing reference\n" +
		"(PyWavelets via /usr/bin/python3, a C compiler) is reported, not fatal."
	c.setup = func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		quick := fs.Bool("quick", false, "fewer repetitions (a smoke test, not a measurement)")
		return func(ctx context.Context, e *env, args []string) error {
			all := benchmarks()
			var chosen []benchmark
			if len(args) == 0 || (len(args) == 1 && args[0] == "all") {
				chosen = all
			} else {
				for _, a := range args {
					found := false
					for _, b := range all {
						if b.name == a {
							chosen = append(chosen, b)
							found = true
						}
					}
					if !found {
						return usagef("unknown benchmark %q", a)
					}
				}
			}
			results := map[string]any{}
			var tables []*table
			for _, b := range chosen {
				e.logf("bench %s: %s", b.name, b.summary)
				obj, t, err := b.run(ctx, e, benchOptions{quick: *quick})
				if err != nil {
					return fmt.Errorf("bench %s: %w", b.name, err)
				}
				results[b.name] = obj
				tables = append(tables, t)
			}
			return e.emit(results, tables)
		}
	}
	return c
}
