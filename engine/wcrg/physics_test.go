package wcrg

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// TestPhi4HamiltonianPhysics is the physics acceptance of H₀ (issue 5,
// spec §5.4) at β = 0.68, L = 32, trained on 2000 cluster-sampled fields,
// for the default fit (score matching) and for maximum likelihood at every
// scale with 12×12 nearest-neighbour pair potentials, whose free energies
// get pair potentials too and whose H₀ takes their on-site parts into the
// V_j and their bilinear part into K (pairSplit):
//   - the nearest-neighbour coupling −K(e₁) within 5 % of β;
//   - for the default fit only, V_0 against t⁴ − (1+2β)t² in data units:
//     RMS difference (after the best constant) within 5 % of the true well
//     depth (1+2β)²/4 over the central 98 % of the data (3.7 %). With pair
//     potentials it is 5.6 % and only logged: the quadratics moved from the
//     non-flat coarse V_j into K give it a long-range tail whose sum the
//     zero-mass gauge moves into V_0's t² (a = −2.27 instead of −2.36);
//   - the energy of 200 held-out fields under the learned energy
//     (EnergyFunc: H₀ with the rest of the pair potentials) minus their true
//     energy
//     (up to the constant H₀ leaves free): its spread relative to the
//     fields' energies, std((H₀ − E − c)/|E|), ≤ 2 % (measured 1.5 %; with
//     pair potentials 0.54 %).
//
// Not asserted, because they do not hold yet (the generation issue stays
// open for them), but logged: the same spread relative to the spread of
// the true energies between fields, std(H₀ − E)/std(E) (measured 17 %;
// with pair potentials 5.7 %),
// and V_j ≈ 0 for j ≥ 1, the deviation from a quadratic relative to V_0's
// depth. Default fit: 5.8 %, 23 %, 36 %, 36 %, 75 % at j = 1 … 5; the two
// potentials V_j is the difference of have the wells' shape with different
// depths: the amplitude v̄_{j+1}/ṽ_j ('wcrg hamiltonian', the same default
// fit on two independent sets of 2000 fields) is 0.95, 1.20, 1.16–1.21,
// 1.07–1.13, 0.62 at j = 1 … 5; with ML at every scale 0.95, 1.13, 1.07,
// 1.07, 0.68. With pair potentials V_1 is flat (2.0 %) and the rest of the
// pair interactions is 0.4 %, 1.8 %, 4.5 %, 6.2 % of the depth on φ_0 …
// φ_3, but V_2 … V_5 still deviate by 17 %, 35 %, 30 %, 91 % (on another
// data set, seed 11 of 'wcrg generate phi4': V_1 3.9 %, V_2 … V_5 16 %,
// 33 %, 28 %, 70 %).
func TestPhi4HamiltonianPhysics(t *testing.T) {
	if testing.Short() {
		t.Skip("long: fits and free energies on 2000 fields of 32×32")
	}
	pairs := DefaultSettings()
	pairs.MLFromLevel, pairs.PairNodes = 1, 12
	for _, c := range []struct {
		name string
		set  Settings
	}{{"default", DefaultSettings()}, {"ml+pairs", pairs}} {
		t.Run(c.name, func(t *testing.T) { phi4HamiltonianPhysics(t, c.set, c.set.PairNodes == 0) })
	}
}

func phi4HamiltonianPhysics(t *testing.T, set Settings, checkV0 bool) {
	const L, beta = 32, 0.68
	data, m, free := phi4FreeEnergies(t, set, L, beta, 2000, 5)
	held := phi4Stack(t, L, beta, 200, 6)
	h, err := BuildHamiltonian(m, free, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range h.Potentials[1:] {
		t.Logf("V_%d: deviation from a quadratic %.1f %% of V_0's depth; amplitude v̄_%d/ṽ_%d %.3f", p.Level, 100*p.MaxDev/h.Depth, p.Level+1, p.Level, p.Amplitude)
	}
	for _, p := range h.Potentials {
		if p.Pair {
			t.Logf("pair potentials on φ_%d: coupling q %.4f moved into K, rest %.1f %% of V_0's depth", p.Level, p.PairCoupling, 100*p.PairResidual/h.Depth)
		}
	}

	if b := -h.RawKernelAt(1, 0); math.Abs(b/beta-1) > 0.05 {
		t.Errorf("−K(e₁) = %.4f, want β = %.2f within 5 %%", b, beta)
	} else {
		t.Logf("−K(e₁) = %.4f (β = %.2f)", b, beta)
	}

	// V_0 in data units over the central 98 % of the data.
	sorted := slices.Clone(data.Data)
	slices.Sort(sorted)
	lo, hi := lattice.Quantile(sorted, 0.01), lattice.Quantile(sorted, 0.99)
	const n = 200
	var diff []float64
	for k := 0; k <= n; k++ {
		x := lo + (hi-lo)*float64(k)/n
		truth := x*x*x*x - (1+2*beta)*x*x
		diff = append(diff, h.RawPotential(0, x)-truth)
	}
	mean := lattice.Mean(diff)
	var rms float64
	for _, d := range diff {
		rms += (d - mean) * (d - mean) / float64(len(diff))
	}
	depth := (1 + 2*beta) * (1 + 2*beta) / 4
	rel := math.Sqrt(rms) / depth
	t.Logf("V_0: RMS difference from t⁴ − (1+2β)t² %.4f = %.1f %% of the depth %.3f on [%.3f, %.3f]", math.Sqrt(rms), 100*rel, depth, lo, hi)
	if checkV0 && rel > 0.05 {
		t.Errorf("V_0 differs from t⁴ − (1+2β)t² by %.1f %% RMS of the well depth (want ≤ 5 %%)", 100*rel)
	}

	// Held-out energies, under H₀ as the spec assembles it, the sum of the
	// fitted energies (EnergyFunc; asserted), and under its written-out
	// form, kernel and potentials (Hamiltonian.Energy; logged: it leaves
	// out the part of the quadratic form that is not translation invariant
	// and the pair rest; measured 2.6 % and 2.7 %).
	model := phi4.Phi4{L: L, Beta: beta}
	for _, c := range []struct {
		name   string
		h      func([]float64) float64
		assert bool
	}{{"learned energy", EnergyFunc(m, free), true}, {"written-out H₀", h.Energy, false}} {
		var d, e []float64
		for i := 0; i < held.N; i++ {
			f := held.Field(i).Data
			et := model.Energy(f)
			d = append(d, c.h(f)-et)
			e = append(e, et)
		}
		mean := lattice.Mean(d)
		relErr := make([]float64, len(d))
		for i := range d {
			relErr[i] = (d[i] - mean) / math.Abs(e[i])
		}
		spread := lattice.Std(relErr)
		t.Logf("held-out, %s: std((H₀ − E − c)/|E|) = %.2f %% (mean |E| = %.1f); std(H₀ − E)/std(E) = %.3f/%.3f = %.1f %%",
			c.name, 100*spread, math.Abs(lattice.Mean(e)), lattice.Std(d), lattice.Std(e), 100*lattice.Std(d)/lattice.Std(e))
		if c.assert && spread > 0.02 {
			t.Errorf("held-out relative energy error spread of the %s %.2f %% (want ≤ 2 %%)", c.name, 100*spread)
		}
	}
}

// phi4FreeEnergies draws n φ⁴ training fields (seeded), fits a model with
// the settings and its free energies by the default route.
func phi4FreeEnergies(t *testing.T, set Settings, L int, beta float64, n int, seed uint64) (lattice.Stack, *Model, []*energy.Model) {
	t.Helper()
	data := phi4Stack(t, L, beta, n, seed)
	m, err := Fit(context.Background(), data, set, Provenance{Kind: "phi4", Beta: beta}, nil)
	if err != nil {
		t.Fatal(err)
	}
	free, err := FitFreeEnergies(context.Background(), m, data, FreeSettings{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data, m, free
}
