package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// Reference figures of the fit and sampling benchmarks.
const (
	// fitReferenceSeconds is the PyTorch reference implementation's time for
	// the score-matching fit of all scales of 32² φ⁴ data at β = 0.68 on a
	// CPU with 2 threads (the figure; finest scale 1299 parameters,
	// i.e. a 13×13 window, n = 6, plus 30 scalar nodes: spec §9).
	fitReferenceSeconds = 137
	fitTargetRatio      = 0.1
	// sampleTargetSeconds is the target time per generated 32² field.
	sampleTargetSeconds = 0.24
	// referenceWindow is the window half-width of the reference's model size.
	referenceWindow = 6
)

// benchData caches the generated φ⁴ training sets and fitted models of one
// `wcrg bench` invocation, so that `bench fit sample` fits once.
var benchData struct {
	mu     sync.Mutex
	fields map[int]benchFields
	models map[int]*wcrg.Model // default settings, by L
}

type benchFields struct {
	stack   lattice.Stack
	seconds float64
	report  phi4.DatasetReport
}

// benchPhi4Fields returns n fields of L² φ⁴ at β = 0.68 from the cluster
// sampler (seed 1), generating them on first use.
func benchPhi4Fields(ctx context.Context, e *env, L, n int) (benchFields, error) {
	benchData.mu.Lock()
	defer benchData.mu.Unlock()
	if benchData.fields == nil {
		benchData.fields = map[int]benchFields{}
	}
	if f, ok := benchData.fields[L]; ok && f.stack.N == n {
		return f, nil
	}
	const beta = 0.68
	st := lattice.NewStack(n, L)
	k := 0
	p := e.progress()
	start := time.Now()
	rep, err := phi4.MakeDataset(ctx, phi4.Phi4{L: L, Beta: beta}, phi4.DatasetSettings{Algorithm: phi4.AlgCluster, Samples: n, Seed: 1},
		func(f lattice.Field) error {
			copy(st.Field(k).Data, f.Data)
			k++
			return nil
		}, func(d phi4.DatasetProgress) {
			p.update(false, "generating φ⁴ L=%d β=%g: %s %d/%d", L, beta, d.Phase, d.Done, d.Total)
		})
	p.done()
	if err != nil {
		return benchFields{}, fmt.Errorf("generating the φ⁴ data: %w", err)
	}
	f := benchFields{stack: st, seconds: time.Since(start).Seconds(), report: rep}
	benchData.fields[L] = f
	e.logf("generated %d φ⁴ fields of %d² (β = %g, cluster sampler, seed 1, τ_int(|m|) %.2g sweeps, every %d sweeps) in %.1f s",
		n, L, beta, rep.TauAbsM, rep.Interval, f.seconds)
	return f, nil
}

// memPeak samples the runtime's memory statistics every 20 ms while a job
// runs.
type memPeak struct {
	stop      chan struct{}
	done      chan struct{}
	peakInuse uint64 // max HeapInuse + StackInuse seen
	start     runtime.MemStats
	end       runtime.MemStats
}

func startMemPeak() *memPeak {
	runtime.GC()
	m := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	runtime.ReadMemStats(&m.start)
	m.peakInuse = m.start.HeapInuse + m.start.StackInuse
	go func() {
		defer close(m.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				m.peakInuse = max(m.peakInuse, ms.HeapInuse+ms.StackInuse)
			}
		}
	}()
	return m
}

func (m *memPeak) finish() {
	close(m.stop)
	<-m.done
	runtime.ReadMemStats(&m.end)
	m.peakInuse = max(m.peakInuse, m.end.HeapInuse+m.end.StackInuse)
}

const mib = 1 << 20

type fitBenchScale struct {
	Level   int // 0: the coarsest model
	Side    int
	Params  int
	Seconds float64
}

type fitBenchRun struct {
	Window       int
	Scales       []fitBenchScale // coarsest first, then Ē_J … Ē_1
	FinestParams int
	TotalParams  int
	Seconds      float64
	Ratio        float64 `json:",omitempty"` // Seconds / reference (32² only)
	// Memory: PeakInuseMiB is the largest HeapInuse + StackInuse sampled
	// every 20 ms during the fit; SysMiB is runtime.MemStats.Sys (bytes
	// obtained from the OS by the process so far) after the fit;
	// AllocMiB is TotalAlloc during the fit.
	PeakInuseMiB, SysMiB, AllocMiB float64
}

type fitBench struct {
	L, Fields       int
	Beta            float64
	Wavelet         string
	Levels          int
	Estimator       string
	GenerateSeconds float64
	Workers         int
	Runs            []fitBenchRun
	ReferenceSecs   float64 `json:",omitempty"`
	TargetRatio     float64 `json:",omitempty"`
}

// benchFitAt times score-matching fits of every scale on φ⁴ data of side L
// with default settings (window 4) and with the reference's model size
// (window 6).
func benchFitAt(ctx context.Context, e *env, L int, o benchOptions) (any, *table, error) {
	n := 2000
	if o.quick {
		n = 200
	}
	data, err := benchPhi4Fields(ctx, e, L, n)
	if err != nil {
		return nil, nil, err
	}
	r := fitBench{L: L, Fields: n, Beta: 0.68, GenerateSeconds: data.seconds, Workers: runtime.GOMAXPROCS(0)}
	if L == 32 {
		r.ReferenceSecs, r.TargetRatio = fitReferenceSeconds, fitTargetRatio
	}
	for _, window := range []int{wcrg.DefaultSettings().Window, referenceWindow} {
		set := wcrg.DefaultSettings()
		set.Window = window
		r.Wavelet, r.Estimator = set.Wavelet, set.Estimator
		p := e.progress()
		mem := startMemPeak()
		start := time.Now()
		m, err := wcrg.Fit(ctx, data.stack, set, wcrg.Provenance{Kind: "phi4", Beta: 0.68, Notes: []string{"wcrg bench"}}, func(fp wcrg.FitProgress) {
			p.update(false, "fit L=%d window %d: %.0f%% (scale %d, %s)", L, window, 100*fp.Fraction, fp.Level, fp.Stage)
		})
		secs := time.Since(start).Seconds()
		mem.finish()
		p.done()
		if err != nil {
			return nil, nil, err
		}
		r.Levels = m.Levels
		run := fitBenchRun{Window: window, Seconds: secs, TotalParams: m.NumParams(),
			PeakInuseMiB: float64(mem.peakInuse) / mib, SysMiB: float64(mem.end.Sys) / mib,
			AllocMiB: float64(mem.end.TotalAlloc-mem.start.TotalAlloc) / mib}
		for k := 0; k <= m.Levels; k++ {
			j := 0
			if k > 0 {
				j = m.Levels + 1 - k
			}
			d := m.Diagnostics[j]
			run.Scales = append(run.Scales, fitBenchScale{Level: j, Side: d.Side, Params: d.Params, Seconds: d.Seconds})
		}
		run.FinestParams = m.Diagnostics[1].Params
		if r.ReferenceSecs > 0 {
			run.Ratio = secs / r.ReferenceSecs
		}
		e.logf("fit L=%d, window %d: %d parameters (finest %d) in %.2f s", L, window, run.TotalParams, run.FinestParams, secs)
		r.Runs = append(r.Runs, run)
		if window == wcrg.DefaultSettings().Window {
			benchData.mu.Lock()
			if benchData.models == nil {
				benchData.models = map[int]*wcrg.Model{}
			}
			benchData.models[L] = m
			benchData.mu.Unlock()
		}
	}

	t := &table{title: fmt.Sprintf("Score-matching fit of all scales: φ⁴ β = %g, %d fields of %d² (generated in %.1f s, not counted), %s, J = %d, %d cores",
		r.Beta, n, L, r.GenerateSeconds, r.Wavelet, r.Levels, r.Workers)}
	t.header = []string{"stage", "side"}
	for _, run := range r.Runs {
		name := fmt.Sprintf("n = %d", run.Window)
		if run.Window == referenceWindow {
			name += " (ref. size)"
		} else {
			name += " (default)"
		}
		t.header = append(t.header, "params "+name, "seconds")
	}
	for k := range r.Runs[0].Scales {
		sc := r.Runs[0].Scales[k]
		label := fmt.Sprintf("Ē_%d", sc.Level)
		if sc.Level == 0 {
			label = "coarsest"
		}
		row := []any{label, sc.Side}
		for _, run := range r.Runs {
			row = append(row, run.Scales[k].Params, run.Scales[k].Seconds)
		}
		t.add(row...)
	}
	row := []any{"total", ""}
	for _, run := range r.Runs {
		row = append(row, run.TotalParams, run.Seconds)
	}
	t.add(row...)
	if r.ReferenceSecs > 0 {
		row = []any{fmt.Sprintf("ratio to reference %g s (target ≤ %g)", r.ReferenceSecs, r.TargetRatio), ""}
		for _, run := range r.Runs {
			row = append(row, "", run.Ratio)
		}
		t.add(row...)
	}
	for _, mrow := range []struct {
		name string
		get  func(fitBenchRun) float64
	}{
		{"peak heap+stack in use, MiB (sampled / 20 ms)", func(r fitBenchRun) float64 { return r.PeakInuseMiB }},
		{"runtime Sys after the fit, MiB", func(r fitBenchRun) float64 { return r.SysMiB }},
		{"allocated during the fit (TotalAlloc), MiB", func(r fitBenchRun) float64 { return r.AllocMiB }},
	} {
		row = []any{mrow.name, ""}
		for _, run := range r.Runs {
			row = append(row, "", mrow.get(run))
		}
		t.add(row...)
	}
	return r, t, nil
}

func benchFit(ctx context.Context, e *env, o benchOptions) (any, *table, error) {
	return benchFitAt(ctx, e, 32, o)
}

func benchFit64(ctx context.Context, e *env, o benchOptions) (any, *table, error) {
	return benchFitAt(ctx, e, 64, o)
}

type sampleBench struct {
	L, Fields      int
	TrainingFields int
	FitSeconds     float64 `json:",omitempty"` // when the model was fitted for this benchmark
	Seconds        float64
	SecPerField    float64
	FieldsPerSec   float64
	Target         float64 `json:",omitempty"` // the target, 32² only
	Ratio          float64 `json:",omitempty"`
	Workers        int
	Scales         []wcrg.ScaleSampling
	PeakInuseMiB   float64
}

// benchSample times coarse-to-fine generation of 32² fields from the model
// fitted (default settings) on the φ⁴ benchmark data.
func benchSample(ctx context.Context, e *env, o benchOptions) (any, *table, error) {
	return benchSampleAt(ctx, e, 32, o)
}

// benchSample64 is benchSample at 64² (no reference figure).
func benchSample64(ctx context.Context, e *env, o benchOptions) (any, *table, error) {
	return benchSampleAt(ctx, e, 64, o)
}

func benchSampleAt(ctx context.Context, e *env, L int, o benchOptions) (any, *table, error) {
	n, train := 100, 2000
	if L > 32 {
		n = 50
	}
	if o.quick {
		n, train = 20, 200
	}
	r := sampleBench{L: L, Fields: n, Workers: runtime.GOMAXPROCS(0)}
	if L == 32 {
		r.Target = sampleTargetSeconds
	}
	benchData.mu.Lock()
	m := benchData.models[L]
	benchData.mu.Unlock()
	if m != nil {
		r.TrainingFields = m.Provenance.Count
	} else {
		data, err := benchPhi4Fields(ctx, e, L, train)
		if err != nil {
			return nil, nil, err
		}
		start := time.Now()
		m, err = wcrg.Fit(ctx, data.stack, wcrg.DefaultSettings(), wcrg.Provenance{Kind: "phi4", Beta: 0.68}, nil)
		if err != nil {
			return nil, nil, err
		}
		benchData.mu.Lock()
		if benchData.models == nil {
			benchData.models = map[int]*wcrg.Model{}
		}
		benchData.models[L] = m
		benchData.mu.Unlock()
		r.FitSeconds = time.Since(start).Seconds()
		r.TrainingFields = train
		e.logf("fitted the model to sample from (default settings) in %.1f s", r.FitSeconds)
	}
	p := e.progress()
	mem := startMemPeak()
	start := time.Now()
	res, err := wcrg.Sample(ctx, m, wcrg.SampleSettings{N: n, Seed: 1}, func(sp wcrg.SampleProgress) {
		p.update(false, "sample %d fields: %.0f%% (scale %d)", n, 100*sp.Fraction, sp.Level)
	})
	r.Seconds = time.Since(start).Seconds()
	mem.finish()
	p.done()
	if err != nil {
		return nil, nil, err
	}
	r.SecPerField = r.Seconds / float64(n)
	r.FieldsPerSec = float64(n) / r.Seconds
	if r.Target > 0 {
		r.Ratio = r.SecPerField / r.Target
	}
	r.Scales = res.Scales
	r.PeakInuseMiB = float64(mem.peakInuse) / mib
	t := &table{title: fmt.Sprintf("Coarse-to-fine generation: %d fields of %d² from a model fitted on %d φ⁴ fields (default settings: per scale 100 global MALA steps + 40 site sweeps), %d cores",
		n, L, r.TrainingFields, r.Workers),
		header: []string{"stage", "δ_j", "acceptance", "sweep δ", "sweep acc.", "seconds"}}
	for _, sc := range res.Scales {
		t.add(fmt.Sprintf("Ē_%d", sc.Level), sc.Delta, sc.Acceptance, sc.SweepDelta, sc.SweepAcceptance, sc.Seconds)
	}
	t.add("total", "", "", "", "", r.Seconds)
	t.add("seconds per field", "", "", "", "", r.SecPerField)
	t.add("fields per second", "", "", "", "", r.FieldsPerSec)
	if r.Target > 0 {
		t.add(fmt.Sprintf("ratio to target %g s/field (≤ 1 meets it)", r.Target), "", "", "", "", r.Ratio)
	}
	t.add("peak heap+stack in use, MiB", "", "", "", "", r.PeakInuseMiB)
	return r, t, nil
}
