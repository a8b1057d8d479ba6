package phi4

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// TestMakeDataset draws decorrelated Gaussian fields (L = 16, m = 0.5) and
// checks that the stored fields are spaced by ≥ 2 τ_int, that ⟨φ²⟩ agrees
// with the exact (1/L²)Σ_k 1/(m² + K̂(k)) within 3.5 standard errors of the
// (nearly independent) samples, and that the seed reproduces the data.
func TestMakeDataset(t *testing.T) {
	m := Gaussian{L: 16, Mass: 0.5}
	n := 400
	if testing.Short() {
		n = 100
	}
	run := func() (lattice.Stack, DatasetReport) {
		st := lattice.NewStack(0, 16)
		rep, err := MakeDataset(context.Background(), m, DatasetSettings{Algorithm: AlgMetropolis, Samples: n, Seed: 3, Chains: 1, Thermalize: 300},
			func(f lattice.Field) error {
				st.Data = append(st.Data, f.Data...)
				st.N++
				return nil
			}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st, rep
	}
	st, rep := run()
	t.Logf("report %+v", rep)
	if rep.Stored != n || st.N != n {
		t.Fatalf("stored %d fields, want %d", rep.Stored, n)
	}
	if float64(rep.Interval) < 2*math.Max(rep.TauAbsM, rep.TauEnergy) {
		t.Errorf("interval %d < 2 τ_int (%.2f, %.2f)", rep.Interval, rep.TauAbsM, rep.TauEnergy)
	}
	var phi2 []float64
	for i := 0; i < st.N; i++ {
		var s float64
		for _, v := range st.Field(i).Data {
			s += v * v
		}
		phi2 = append(phi2, s/256)
	}
	mean := lattice.Mean(phi2)
	se := math.Sqrt(lattice.Variance(phi2) / float64(len(phi2)))
	if exact := m.Phi2(); math.Abs(mean-exact) > 3.5*se {
		t.Errorf("⟨φ²⟩ = %.4f ± %.4f, exact %.4f", mean, se, exact)
	}
	st2, _ := run()
	for i := range st.Data {
		if st.Data[i] != st2.Data[i] {
			t.Fatal("same seed, different data")
		}
	}
}

// TestMakeDatasetStops: a cancelled context or a failing sink stops the run
// and reports what was stored.
func TestMakeDatasetStops(t *testing.T) {
	m := Phi4{L: 8, Beta: 0.6}
	boom := errors.New("disk full")
	k := 0
	rep, err := MakeDataset(context.Background(), m, DatasetSettings{Algorithm: AlgCluster, Samples: 50, Seed: 1, Thermalize: 50, Interval: 2},
		func(lattice.Field) error {
			if k++; k == 5 {
				return boom
			}
			return nil
		}, nil)
	if !errors.Is(err, boom) || rep.Stored != 4 {
		t.Errorf("sink error: got %v with %d stored, want %v with 4", err, rep.Stored, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep, err = MakeDataset(ctx, m, DatasetSettings{Algorithm: AlgMetropolis, Samples: 50, Seed: 1, Thermalize: 50, Interval: 2},
		func(lattice.Field) error {
			if k++; k == 12 {
				cancel()
			}
			return nil
		}, nil)
	if !errors.Is(err, context.Canceled) || rep.Stored >= 50 {
		t.Errorf("cancel: got %v with %d stored", err, rep.Stored)
	}
	if _, err := MakeDataset(context.Background(), m, DatasetSettings{Algorithm: "gibbs", Samples: 1}, nil, nil); err == nil {
		t.Error("unknown sampler accepted")
	}
}

// TestMakeDatasetDeterministic: the same settings give the same fields in the
// same order, whatever the scheduling of the chains' goroutines.
func TestMakeDatasetDeterministic(t *testing.T) {
	m := Phi4{L: 8, Beta: 0.6}
	s := DatasetSettings{Algorithm: AlgCluster, Samples: 7, Chains: 3, Seed: 5, Thermalize: 20, Interval: 3}
	a, _, err := MakeStack(context.Background(), m, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 3; run++ {
		b, _, err := MakeStack(context.Background(), m, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Data, b.Data) {
			t.Fatalf("run %d: the data set differs from the first run", run+1)
		}
	}
	if a.N != 7 {
		t.Errorf("stored %d fields, want 7", a.N)
	}
}
