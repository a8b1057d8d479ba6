package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wcrglab/wcrg/engine/parallel"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// pywtScript times wavedec2 + waverec2 (db4, periodization, level 5) of the
// fields in a raw little-endian float64 file; it prints the best of reps
// passes over all fields in seconds, and the largest reconstruction error.
const pywtScript = `
import sys, time, numpy as np, pywt
x = np.fromfile(sys.argv[1], dtype='<f8').reshape(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[3]))
best, err = 1e300, 0.0
for r in range(int(sys.argv[4])):
    t = time.perf_counter()
    for f in x:
        c = pywt.wavedec2(f, 'db4', mode='periodization', level=5)
        y = pywt.waverec2(c, 'db4', mode='periodization')
    best = min(best, time.perf_counter() - t)
    err = max(err, float(np.abs(y - x[-1]).max()))
print(best, err)
`

type waveletBench struct {
	Fields, L, Levels int
	Wavelet           string
	GoSeconds         float64 // best pass over all fields, all cores
	GoSeconds1        float64 // best pass on one core
	Workers           int
	GoMaxError        float64
	PyWaveletsSeconds float64 `json:",omitempty"`
	PyWaveletsError   string  `json:",omitempty"`
	Ratio             float64 `json:",omitempty"` // Go (all cores) / PyWavelets
	Ratio1            float64 `json:",omitempty"` // Go (one core) / PyWavelets
	AllocsPerField    float64
}

func benchWavelet(ctx context.Context, e *env, o benchOptions) (any, *table, error) {
	const n, L, J = 100, 256, 5
	reps := 5
	if o.quick {
		reps = 1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float64, n*L*L)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	b, _ := wavelet.New("db4")
	workers := runtime.NumCPU()
	r := waveletBench{Fields: n, L: L, Levels: J, Wavelet: "db4", Workers: workers}

	pass := func(workers int) (time.Duration, float64) {
		trs := make([]*wavelet.Transform, workers)
		decs := make([]*wavelet.Decomposition, workers)
		outs := make([][]float64, workers)
		errs := make([]float64, n)
		for w := range trs {
			trs[w], _ = wavelet.NewTransform(b, L, J, nil)
			decs[w] = wavelet.NewDecomposition(L, J)
			outs[w] = make([]float64, L*L)
		}
		t0 := time.Now()
		parallel.For(n, workers, func(w, i int) {
			x := data[i*L*L : (i+1)*L*L]
			trs[w].Decompose(decs[w], x)
			trs[w].Reconstruct(outs[w], decs[w])
			errs[i] = math.Abs(outs[w][0] - x[0])
		})
		el := time.Since(t0)
		worst := 0.0
		for _, v := range errs {
			worst = math.Max(worst, v)
		}
		return el, worst
	}
	best := func(workers int) (float64, float64) {
		bt, worst := math.Inf(1), 0.0
		for range reps {
			d, w := pass(workers)
			bt = math.Min(bt, d.Seconds())
			worst = math.Max(worst, w)
		}
		return bt, worst
	}
	r.GoSeconds, r.GoMaxError = best(workers)
	r.GoSeconds1, _ = best(1)
	{
		tr, _ := wavelet.NewTransform(b, L, J, nil)
		d := wavelet.NewDecomposition(L, J)
		y := make([]float64, L*L)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		for i := 0; i < 10; i++ {
			tr.Decompose(d, data[:L*L])
			tr.Reconstruct(y, d)
		}
		runtime.ReadMemStats(&ms1)
		r.AllocsPerField = float64(ms1.Mallocs-ms0.Mallocs) / 10
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	e.logf("bench wavelet: timing PyWavelets on the same %d fields …", n)
	py, pyErr := runPyWavelets(ctx, data, n, L, reps)
	if pyErr != nil {
		r.PyWaveletsError = pyErr.Error()
	} else {
		r.PyWaveletsSeconds = py
		r.Ratio = r.GoSeconds / py
		r.Ratio1 = r.GoSeconds1 / py
	}

	t := &table{title: fmt.Sprintf("wavelet: db4, %d fields of %d², J = %d, decomposition + reconstruction (best of %d)", n, L, J, reps),
		header: []string{"implementation", "seconds", "ms/field", "ratio to PyWavelets"}}
	ratio := func(v float64) string {
		if r.PyWaveletsSeconds == 0 {
			return "—"
		}
		return fmt.Sprintf("%.3f", v/r.PyWaveletsSeconds)
	}
	t.add(fmt.Sprintf("wcrg, %d cores", workers), r.GoSeconds, 1e3*r.GoSeconds/n, ratio(r.GoSeconds))
	t.add("wcrg, 1 core", r.GoSeconds1, 1e3*r.GoSeconds1/n, ratio(r.GoSeconds1))
	if r.PyWaveletsSeconds > 0 {
		t.add("PyWavelets (1 core)", r.PyWaveletsSeconds, 1e3*r.PyWaveletsSeconds/n, "1")
	} else {
		t.add("PyWavelets", "not measured: "+r.PyWaveletsError, "", "")
	}
	t.add("allocations per field", r.AllocsPerField, "", "")
	return r, t, nil
}

// runPyWavelets times PyWavelets on data with Debian's /usr/bin/python3
// (which sees python3-pywt) and returns the best pass in seconds.
func runPyWavelets(ctx context.Context, data []float64, n, L, reps int) (float64, error) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		return 0, fmt.Errorf("%s not found", py)
	}
	dir, err := os.MkdirTemp("", "wcrg-bench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
	}
	path := filepath.Join(dir, "fields.f64")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, py, "-c", pywtScript, path, strconv.Itoa(n), strconv.Itoa(L), strconv.Itoa(reps))
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if strings.Contains(msg, "No module named") {
			return 0, fmt.Errorf("python3-pywt is not installed (apt-get install python3-pywt)")
		}
		return 0, fmt.Errorf("python: %v: %s", err, lastLine(msg))
	}
	var secs, maxErr float64
	if _, err := fmt.Sscan(string(out), &secs, &maxErr); err != nil {
		return 0, fmt.Errorf("unexpected PyWavelets output %q", strings.TrimSpace(string(out)))
	}
	if maxErr > 1e-10 {
		return 0, fmt.Errorf("PyWavelets reconstruction error %.3g: wrong setup", maxErr)
	}
	return secs, nil
}

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}
