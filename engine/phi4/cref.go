package phi4

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// CReference is the output of one run of the plain-C reference
// (bench/phi4_metropolis.c).
type CReference struct {
	NsPerUpdate float64 // nanoseconds per site update
	Acceptance  float64
	Phi2, AbsM  float64 // ⟨φ²⟩ and ⟨|m|⟩ over the sweeps
	Output      string  // the program's output line
}

// cReferenceSource is cref/phi4_metropolis.c, the team's plain-C local
// update (shared/bench/phi4_metropolis.c), embedded so that `wcrg bench
// metropolis` works from any directory.
//
//go:embed cref/phi4_metropolis.c
var cReferenceSource []byte

// RunCReference compiles the C reference at srcPath (the embedded copy of
// cref/phi4_metropolis.c if srcPath is "") with the system C
// compiler (cc, or $CC) as `cc -O3 -march=native … -lm` in a temporary
// directory, runs it for L, beta, sweeps and seed, and parses its output.
// It returns a clear error if no C compiler is installed.
func RunCReference(ctx context.Context, srcPath string, L int, beta float64, sweeps int, seed uint64) (CReference, error) {
	if L < 2 || L > 1<<14 || sweeps < 1 || sweeps > 1e9 || !finite(beta) {
		return CReference{}, fmt.Errorf("phi4: C reference needs 2 ≤ L ≤ %d, 1 ≤ sweeps ≤ 1e9 and a finite β (got L=%d, sweeps=%d, β=%g)", 1<<14, L, sweeps, beta)
	}
	if srcPath != "" {
		if _, err := os.Stat(srcPath); err != nil {
			return CReference{}, fmt.Errorf("phi4: C reference source: %w", err)
		}
	}
	ccName := os.Getenv("CC")
	if ccName == "" {
		ccName = "cc"
	}
	cc, err := exec.LookPath(ccName)
	if err != nil {
		return CReference{}, fmt.Errorf("phi4: no C compiler %q found to build the C reference (install gcc or set CC): %w", ccName, err)
	}
	dir, err := os.MkdirTemp("", "wcrg-phi4ref-")
	if err != nil {
		return CReference{}, fmt.Errorf("phi4: C reference: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "phi4ref")
	if srcPath == "" {
		srcPath = filepath.Join(dir, "phi4_metropolis.c")
		if err := os.WriteFile(srcPath, cReferenceSource, 0o644); err != nil {
			return CReference{}, fmt.Errorf("phi4: C reference: %w", err)
		}
	}
	var stderr bytes.Buffer
	build := exec.CommandContext(ctx, cc, "-O3", "-march=native", "-o", bin, srcPath, "-lm")
	build.Stderr = &stderr
	if err := build.Run(); err != nil {
		if ctx.Err() != nil {
			return CReference{}, ctx.Err()
		}
		return CReference{}, fmt.Errorf("phi4: compiling %s with %s failed: %w: %s", srcPath, cc, err, bytes.TrimSpace(stderr.Bytes()))
	}
	stderr.Reset()
	run := exec.CommandContext(ctx, bin, strconv.Itoa(L), strconv.FormatFloat(beta, 'g', -1, 64),
		strconv.Itoa(sweeps), strconv.FormatUint(seed, 10))
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		if ctx.Err() != nil {
			return CReference{}, ctx.Err()
		}
		return CReference{}, fmt.Errorf("phi4: running the C reference failed: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return parseCReference(string(out))
}

// parseCReference reads the key=value line printed by the C reference.
func parseCReference(out string) (CReference, error) {
	kv := map[string]string{}
	for _, tok := range strings.Fields(out) {
		if k, v, ok := strings.Cut(tok, "="); ok {
			kv[k] = v
		}
	}
	r := CReference{Output: strings.TrimSpace(out)}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"ns_per_site", &r.NsPerUpdate}, {"acceptance", &r.Acceptance}, {"phi2", &r.Phi2}, {"absm", &r.AbsM}} {
		s, ok := kv[f.key]
		if !ok {
			return CReference{}, fmt.Errorf("phi4: C reference output has no %s: %q", f.key, r.Output)
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return CReference{}, fmt.Errorf("phi4: C reference output %s=%q is not a number", f.key, s)
		}
		*f.dst = v
	}
	if !(r.NsPerUpdate > 0) {
		return CReference{}, fmt.Errorf("phi4: C reference reports %g ns per site update", r.NsPerUpdate)
	}
	return r, nil
}

// MetropolisTiming is a timing of this package's Metropolis sampler on the
// C reference's problem.
type MetropolisTiming struct {
	L           int
	Beta        float64
	Sweeps      int
	Workers     int
	NsPerUpdate float64 // wall-clock nanoseconds per site update
	Acceptance  float64
}

// TimeMetropolis times the checkerboard Metropolis sampler on the φ⁴ model
// (L, beta) — the problem the C reference solves — on workers goroutines
// (0: all cores): thermalize sweeps (tuning δ) from a zero field, then sweeps
// timed sweeps. It is the Go side of `wcrg bench metropolis`.
func TimeMetropolis(ctx context.Context, L int, beta float64, thermalize, sweeps int, seed uint64, workers int) (MetropolisTiming, error) {
	m := Phi4{L: L, Beta: beta}
	if sweeps < 1 || thermalize < 0 {
		return MetropolisTiming{}, fmt.Errorf("phi4: timing needs sweeps ≥ 1 and thermalize ≥ 0 (got %d, %d)", sweeps, thermalize)
	}
	s, err := NewMetropolis(m, MetropolisSettings{Seed: seed, Workers: workers})
	if err != nil {
		return MetropolisTiming{}, err
	}
	f := lattice.NewField(L)
	if err := s.Thermalize(ctx, f, thermalize, nil); err != nil {
		return MetropolisTiming{}, err
	}
	start := time.Now()
	if err := s.Run(ctx, f, sweeps, nil); err != nil {
		return MetropolisTiming{}, err
	}
	el := time.Since(start)
	return MetropolisTiming{L: L, Beta: beta, Sweeps: sweeps, Workers: s.team.workers(),
		NsPerUpdate: float64(el.Nanoseconds()) / (float64(sweeps) * float64(L*L)),
		Acceptance:  s.Stats().Acceptance}, nil
}
