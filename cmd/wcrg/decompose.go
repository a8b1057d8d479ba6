package main

import (
	"context"
	"flag"
)

func decomposeCommand() *command {
	return &command{name: "decompose", args: "FILE", summary: "wavelet decomposition of a field file: figures and per-scale statistics",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error { return usagef("not yet") }
		}}
}
