package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/wcrglab/wcrg/engine/phi4"
)

type metropolisBench struct {
	L                 int
	Beta              float64
	Sweeps            int
	GoNsPerUpdate1    float64 // one core
	GoNsPerUpdateAll  float64 // all cores
	Workers           int
	GoAcceptance      float64
	CNsPerUpdate      float64 `json:",omitempty"`
	CAcceptance       float64 `json:",omitempty"`
	CError            string  `json:",omitempty"`
	Ratio1            float64 `json:",omitempty"` // Go one core / C
	RatioAll          float64 `json:",omitempty"` // Go all cores / C
	ThroughputSpeedup float64 // one core / all cores
}

// benchMetropolis times the checkerboard Metropolis sweep of φ⁴ at L = 128,
// β = 0.68 on one core and on all cores, and the plain-C lexicographic
// reference on the same problem in the same run (best of 3 each).
func benchMetropolis(ctx context.Context, e *env, o benchOptions) (any, *table, error) {
	const L, beta = 128, 0.68
	sweeps, reps := 2000, 3
	if o.quick {
		sweeps, reps = 100, 1
	}
	r := metropolisBench{L: L, Beta: beta, Sweeps: sweeps, Workers: runtime.GOMAXPROCS(0)}
	best := func(workers int) (float64, float64, error) {
		b, acc := 0.0, 0.0
		for i := 0; i < reps; i++ {
			t, err := phi4.TimeMetropolis(ctx, L, beta, 200, sweeps, uint64(i+1), workers)
			if err != nil {
				return 0, 0, err
			}
			if b == 0 || t.NsPerUpdate < b {
				b, acc = t.NsPerUpdate, t.Acceptance
			}
		}
		return b, acc, nil
	}
	var err error
	if r.GoNsPerUpdate1, r.GoAcceptance, err = best(1); err != nil {
		return nil, nil, err
	}
	if r.GoNsPerUpdateAll, _, err = best(0); err != nil {
		return nil, nil, err
	}
	r.ThroughputSpeedup = r.GoNsPerUpdate1 / r.GoNsPerUpdateAll
	for i := 0; i < reps; i++ {
		c, err := phi4.RunCReference(ctx, "", L, beta, sweeps, uint64(i+1))
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			r.CError = err.Error()
			break
		}
		if r.CNsPerUpdate == 0 || c.NsPerUpdate < r.CNsPerUpdate {
			r.CNsPerUpdate, r.CAcceptance = c.NsPerUpdate, c.Acceptance
		}
	}
	t := &table{title: fmt.Sprintf("φ⁴ Metropolis, L = %d, β = %g, %d sweeps (best of %d); ns per site update", L, beta, sweeps, reps),
		header: []string{"implementation", "cores", "ns/update", "acceptance", "ratio to C"}}
	ratio := func(v float64) string {
		if r.CNsPerUpdate == 0 {
			return "–"
		}
		return fmtFloat(v / r.CNsPerUpdate)
	}
	if r.CNsPerUpdate > 0 {
		r.Ratio1, r.RatioAll = r.GoNsPerUpdate1/r.CNsPerUpdate, r.GoNsPerUpdateAll/r.CNsPerUpdate
	}
	t.add("Go checkerboard", 1, r.GoNsPerUpdate1, r.GoAcceptance, ratio(r.GoNsPerUpdate1))
	t.add("Go checkerboard", r.Workers, r.GoNsPerUpdateAll, r.GoAcceptance, ratio(r.GoNsPerUpdateAll))
	if r.CNsPerUpdate > 0 {
		t.add("C lexicographic (δ = 1.5)", 1, r.CNsPerUpdate, r.CAcceptance, "1")
	} else {
		t.add("C reference unavailable: "+r.CError, "", "", "", "")
	}
	return r, t, nil
}
