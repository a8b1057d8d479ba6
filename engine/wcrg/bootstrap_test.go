package wcrg

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// TestBootstrapHamiltonian checks the bootstrap error bars of H₀ against
// the real thing: on free-field data (L = 16, m = 0.5, 400 fields), the
// bootstrap standard error of the nearest-neighbour coupling K(e₁), from
// 8 resamples of one data set (in blocks of two fields, which exercises
// the block bootstrap; the fields are independent), must agree with the standard deviation of
// K(e₁) over 8 independent data sets of the same size. Each of the two is
// a standard deviation of 8 values, with a relative error of about
// 1/√14 ≈ 27 %; their ratio is accepted within [0.4, 2.5], about 2.4
// standard deviations of its logarithm. It also checks that Deviation is
// the curve MaxDev is the maximum of, and that the V_j of the free field,
// which vanish up to a quadratic, deviate from it by no more than their
// bootstrap noise (PotentialNoise).
func TestBootstrapHamiltonian(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 17 models (about 10 s)")
	}
	const L, n, mass, reps = 16, 400, 0.5, 8
	ctx := context.Background()
	build := func(data lattice.Stack) (*Model, *Hamiltonian) {
		m, err := Fit(ctx, data, DefaultSettings(), Provenance{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		free, err := FitFreeEnergies(ctx, m, data, FreeSettings{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := BuildHamiltonian(m, free, data)
		if err != nil {
			t.Fatal(err)
		}
		return m, h
	}
	data := freeField(t, n, L, mass, 101)
	m, h := build(data)
	done := 0
	boot, err := BootstrapHamiltonian(ctx, m, data, FreeSettings{}, BootstrapSettings{Replicates: reps, Seed: 3, Block: 2}, func(d int) { done = d })
	if err != nil {
		t.Fatal(err)
	}
	if len(boot) != reps || done != reps {
		t.Fatalf("%d replicates, progress at %d; want %d", len(boot), done, reps)
	}
	k := func(hs []*Hamiltonian) float64 {
		return BootstrapError(hs, func(x *Hamiltonian) float64 { return x.RawKernelAt(1, 0) })
	}
	var indep []*Hamiltonian
	for i := 0; i < reps; i++ {
		_, hi := build(freeField(t, n, L, mass, 200+uint64(i)))
		indep = append(indep, hi)
	}
	se, sd := k(boot), k(indep)
	t.Logf("K(e1) = %.4f: bootstrap s.e. %.4f, s.d. over independent data sets %.4f (ratio %.2f)", h.RawKernelAt(1, 0), se, sd, se/sd)
	if r := se / sd; !(r >= 0.4 && r <= 2.5) {
		t.Errorf("bootstrap s.e. of K(e1) %.4g against %.4g over independent data sets: ratio %.2f outside [0.4, 2.5]", se, sd, r)
	}

	for j, p := range h.Potentials {
		if j == 0 {
			if d := h.Deviation(0, 0); d != 0 {
				t.Errorf("Deviation(0, 0) = %g, want 0", d)
			}
			continue
		}
		var mx float64
		for _, x := range p.Grid {
			mx = math.Max(mx, math.Abs(h.Deviation(j, x)))
		}
		if math.Abs(mx-p.MaxDev) > 1e-12*math.Max(1, p.MaxDev) {
			t.Errorf("V_%d: max |Deviation| over the grid %.15g, MaxDev %.15g", j, mx, p.MaxDev)
		}
		noise, sn := PotentialNoise(h, boot, j)
		t.Logf("V_%d: max dev %.4f, noise (RMS bootstrap s.e.) %.4f, deviation / noise %.2f", j, p.MaxDev, noise, sn)
		// A free field's V_j vanish up to a quadratic: what deviation
		// there is must be estimation noise (about 1; the noise is itself
		// known to about 1/√(2·7) ≈ 27 % from 8 replicates).
		if !(sn <= 2) {
			t.Errorf("V_%d of a free field: deviation / bootstrap noise %.2f (want ≤ 2: the reconstruction has a bias)", j, sn)
		}
	}
}

// TestBootstrapSettingsErrors checks that unusable bootstrap settings are
// refused before any fit.
func TestBootstrapSettingsErrors(t *testing.T) {
	data := freeField(t, 12, 8, 0.5, 1)
	m := &Model{L: 8}
	for _, c := range []struct {
		set  BootstrapSettings
		want string
	}{
		{BootstrapSettings{Replicates: 1}, "at least 2"},
		{BootstrapSettings{Replicates: 2, Fields: 13}, "13 fields from 12"},
		{BootstrapSettings{Replicates: 2, Block: 7}, "fewer than 2 blocks"},
		{BootstrapSettings{Replicates: 2, Fields: 5, Block: 3}, "fewer than 2 blocks"},
	} {
		_, err := BootstrapHamiltonian(context.Background(), m, data, FreeSettings{}, c.set, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.set, err, c.want)
		}
	}
}
