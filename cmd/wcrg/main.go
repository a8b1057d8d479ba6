// Command wcrg is the headless WCRG Lab tool: it decomposes, simulates, fits,
// samples and benchmarks from the command line, writing the same figures as
// the desktop app.
//
// Conventions shared by every subcommand: `wcrg help CMD` documents its flags
// and defaults; progress goes to stderr; results go to stdout as a readable
// table, or as one JSON object with --json; the exit status is 0 on success
// and 1 with a one-line error naming the file or flag otherwise (2 for a
// usage error). Ctrl-C cancels the running job cleanly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand of wcrg.
type command struct {
	name    string
	args    string // synopsis of positional arguments
	summary string
	details string
	// setup declares the command's flags and returns the function that runs it.
	setup func(fs *flag.FlagSet) func(ctx context.Context, env *env, args []string) error
}

// env is what a running command writes to.
type env struct {
	stdout, stderr io.Writer
	json           bool
}

// usageError marks an error in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func commands() []*command {
	return []*command{
		decomposeCommand(),
		benchCommand(),
		generateCommand(),
		tauCommand(),
		csdCommand(),
		fitCommand(),
		sampleCommand(),
		compareCommand(),
		diagnoseCommand(),
		basesCommand(),
		coarsenCommand(),
		dequantizeCommand(),
		hamiltonianCommand(),
		lensingSynthCommand(),
		lensingPrepCommand(),
		lensingStatsCommand(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one wcrg invocation and returns its exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	byName := make(map[string]*command, len(cmds))
	for _, c := range cmds {
		byName[c.name] = c
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		printOverview(stdout, cmds)
		return 0
	}
	args = joinSubcommand(byName, args)
	if args[0] == "help" {
		if len(args) > 1 {
			args = append(args[:1], joinSubcommand(byName, args[1:])...)
		}
		if len(args) == 1 {
			printOverview(stdout, cmds)
			return 0
		}
		c, ok := byName[args[1]]
		if !ok {
			fmt.Fprintf(stderr, "wcrg: unknown command %q (run 'wcrg help')\n", args[1])
			return 2
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		printCommandHelp(stdout, c, fs)
		return 0
	}
	c, ok := byName[args[0]]
	if !ok {
		if subs := subcommands(cmds, args[0]); len(subs) > 0 {
			fmt.Fprintf(stderr, "wcrg %s: want a subcommand: %s (run 'wcrg help')\n", args[0], strings.Join(subs, ", "))
			return 2
		}
		fmt.Fprintf(stderr, "wcrg: unknown command %q (run 'wcrg help')\n", args[0])
		return 2
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonOut := fs.Bool("json", false, "print the result as one JSON object")
	runFn := c.setup(fs)
	if err := fs.Parse(interleave(fs, args[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(stdout, c, fs)
			return 0
		}
		fmt.Fprintf(stderr, "wcrg %s: %v (run 'wcrg help %s')\n", c.name, err, c.name)
		return 2
	}
	e := &env{stdout: stdout, stderr: stderr, json: *jsonOut}
	if err := runFn(ctx, e, fs.Args()); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "wcrg %s: %v (run 'wcrg help %s')\n", c.name, err, c.name)
			return 2
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "wcrg %s: cancelled\n", c.name)
			return 130
		}
		fmt.Fprintf(stderr, "wcrg %s: %v\n", c.name, oneLine(err))
		return 1
	}
	return 0
}

// joinSubcommand turns ["lensing", "synth", …] into ["lensing synth", …]
// when that two-word command exists.
func joinSubcommand(byName map[string]*command, args []string) []string {
	if len(args) >= 2 {
		if _, ok := byName[args[0]+" "+args[1]]; ok {
			return append([]string{args[0] + " " + args[1]}, args[2:]...)
		}
	}
	return args
}

// subcommands lists the second words of the commands named "group …".
func subcommands(cmds []*command, group string) []string {
	var subs []string
	for _, c := range cmds {
		if rest, ok := strings.CutPrefix(c.name, group+" "); ok {
			subs = append(subs, rest)
		}
	}
	return subs
}

// interleave moves flags after positional arguments to the front, so that
// `wcrg decompose FILE --levels 3` works like `wcrg decompose --levels 3 FILE`.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

func printOverview(w io.Writer, cmds []*command) {
	fmt.Fprintln(w, "wcrg — headless WCRG Lab: wavelet conditional renormalization group for 2D lattice fields")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: wcrg COMMAND [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	sorted := append([]*command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'wcrg help COMMAND' for a command's flags and defaults.")
	fmt.Fprintln(w, "Every command accepts --json to print its result as one JSON object.")
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: wcrg %s [flags] %s\n\n%s\n", c.name, c.args, c.summary)
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%-14s %s%s\n", f.Name, f.Usage, def)
	})
	if fs.Lookup("json") == nil {
		fmt.Fprintf(w, "  --%-14s %s\n", "json", "print the result as one JSON object")
	}
}
