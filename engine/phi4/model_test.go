package phi4

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// randomField returns a field with values uniform in [−a, a].
func randomField(L int, a float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	phi := make([]float64, L*L)
	for i := range phi {
		phi[i] = a * (2*r.Float64() - 1)
	}
	return phi
}

func testModels() map[string]Model {
	return map[string]Model{
		"phi4":        Phi4{L: 8, Beta: 0.68},
		"kappaLambda": KappaLambda{L: 8, Kappa: 0.27, Lambda: 0.7},
		"gaussian":    Gaussian{L: 8, Mass: 0.3},
		"localForm":   LocalForm{L: 6, J: 0.4, A: 0.3, B: 0.25, C: 0.1},
		"smallest":    Phi4{L: 4, Beta: 1.3},
	}
}

// naiveEnergy evaluates E from the defining formula of each model, site by
// site with periodic wrapping, independently of LocalForm.
func naiveEnergy(t *testing.T, m Model, phi []float64) float64 {
	L := m.Side()
	f := lattice.FieldOf(L, phi)
	var e float64
	for x1 := 0; x1 < L; x1++ {
		for x2 := 0; x2 < L; x2++ {
			v := f.At(x1, x2)
			r, d := f.At(x1, x2+1), f.At(x1+1, x2)
			switch m := m.(type) {
			case Phi4: // β/2 Σ(φx−φy)² + Σ[φ⁴ − (1+2β)φ²]
				e += m.Beta/2*((v-r)*(v-r)+(v-d)*(v-d)) + v*v*v*v - (1+2*m.Beta)*v*v
			case KappaLambda: // Σ[−2κ Σ_μ φxφx+μ + φ² + λ(φ²−1)²]
				e += -2*m.Kappa*v*(r+d) + v*v + m.Lambda*(v*v-1)*(v*v-1)
			case Gaussian: // ½ φ(−Δ + m²)φ
				lap := f.At(x1+1, x2) + f.At(x1-1, x2) + f.At(x1, x2+1) + f.At(x1, x2-1) - 4*v
				e += 0.5 * v * (-lap + m.Mass*m.Mass*v)
			case LocalForm:
				e += -m.J*v*(r+d) + m.A*v*v + m.B*v*v*v*v + m.C
			default:
				t.Fatalf("no naive energy for %T", m)
			}
		}
	}
	return e
}

func TestEnergyMatchesDefinition(t *testing.T) {
	for name, m := range testModels() {
		if err := m.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		phi := randomField(m.Side(), 1.5, 1)
		got, want := m.Energy(phi), naiveEnergy(t, m, phi)
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: Energy = %.15g, definition gives %.15g", name, got, want)
		}
	}
}

// TestGradientFiniteDifferences compares every gradient with central finite
// differences, h = 1e-5: truncation error h²|E”'|/6 ≈ 1e-9 and rounding
// ≈ 1e-16·|E|/h ≈ 1e-9, far below the 1e-6 tolerance.
func TestGradientFiniteDifferences(t *testing.T) {
	const h = 1e-5
	for name, m := range testModels() {
		phi := randomField(m.Side(), 1.5, 2)
		g := make([]float64, len(phi))
		m.Gradient(g, phi)
		var num, den float64
		for i := range phi {
			v := phi[i]
			phi[i] = v + h
			ep := m.Energy(phi)
			phi[i] = v - h
			em := m.Energy(phi)
			phi[i] = v
			fd := (ep - em) / (2 * h)
			if d := math.Abs(fd - g[i]); d > 1e-6*math.Max(1, math.Abs(g[i])) {
				t.Errorf("%s: ∂E/∂φ_%d = %.12g, finite difference %.12g", name, i, g[i], fd)
			}
			num += (fd - g[i]) * (fd - g[i])
			den += g[i] * g[i]
		}
		if rel := math.Sqrt(num / den); rel > 1e-6 {
			t.Errorf("%s: relative gradient error %.3g", name, rel)
		}
		// EnergyGrad (the engine/mcmc Target method) agrees.
		g2 := make([]float64, len(phi))
		e, ok := m.Form().EnergyGrad(phi, g2)
		if !ok || e != m.Energy(phi) || g2[0] != g[0] {
			t.Errorf("%s: EnergyGrad disagrees with Energy and Gradient", name)
		}
	}
}

// TestDeltaEnergy compares the local energy change with the difference of
// full energies, on every site (edges and corners wrap).
func TestDeltaEnergy(t *testing.T) {
	for name, m := range testModels() {
		phi := randomField(m.Side(), 1.5, 3)
		e0 := m.Energy(phi)
		r := rand.New(rand.NewPCG(4, 4))
		for i := range phi {
			v := 3 * (2*r.Float64() - 1)
			d := m.DeltaEnergy(phi, i, v)
			old := phi[i]
			phi[i] = v
			want := m.Energy(phi) - e0
			phi[i] = old
			if math.Abs(d-want) > 1e-11*math.Max(1, math.Abs(e0)) {
				t.Errorf("%s: site %d: DeltaEnergy = %.12g, E(φ')−E(φ) = %.12g", name, i, d, want)
			}
		}
	}
}

// TestBetaKappaLambdaConversion checks the documented map between the β
// form and the κ/λ form numerically: for λ = 1 and κ = β/2 the energies
// differ by exactly L², so every energy difference agrees; for general λ the
// rescaled forms reproduce energy differences.
func TestBetaKappaLambdaConversion(t *testing.T) {
	const L = 8
	for _, beta := range []float64{0.5, 0.68, 0.76} {
		b := Phi4{L: L, Beta: beta}
		k := b.KappaLambda()
		if k.Kappa != beta/2 || k.Lambda != 1 {
			t.Fatalf("Phi4(%g).KappaLambda() = %+v", beta, k)
		}
		back, err := k.Phi4()
		if err != nil || back != b {
			t.Fatalf("round trip: %+v, %v", back, err)
		}
		phi1, phi2 := randomField(L, 1.5, 5), randomField(L, 1.5, 6)
		if d := k.Energy(phi1) - b.Energy(phi1) - L*L; math.Abs(d) > 1e-10 {
			t.Errorf("β=%g: E_κλ − E_β − L² = %g, want 0", beta, d)
		}
		d1 := b.Energy(phi1) - b.Energy(phi2)
		d2 := k.Energy(phi1) - k.Energy(phi2)
		if math.Abs(d1-d2) > 1e-10 {
			t.Errorf("β=%g: energy differences %.12g (β form) and %.12g (κ/λ form)", beta, d1, d2)
		}
		// The general conversion finds the same model with scale 1.
		kk, c, err := b.Form().KappaLambda()
		if err != nil || math.Abs(kk.Kappa-beta/2) > 1e-15 || math.Abs(kk.Lambda-1) > 1e-15 || math.Abs(c-1) > 1e-15 {
			t.Errorf("β=%g: LocalForm.KappaLambda = %+v, c = %g, %v; want κ = β/2, λ = 1, c = 1", beta, kk, c, err)
		}
	}
	if _, err := (KappaLambda{L: L, Kappa: 0.3, Lambda: 0.5}).Phi4(); err == nil {
		t.Error("KappaLambda{λ=0.5}.Phi4() succeeded; no β form exists")
	}
	// General forms ↔ κ/λ with a rescaling φ = cψ: F(φ) − E_κλ(φ/c) is the
	// same constant for every field.
	for _, f := range []LocalForm{
		{L: L, J: 0.7, A: -1.3, B: 0.4},
		{L: L, J: 0.2, A: 0.9, B: 2.5, C: 0.3},
		{L: L, J: 0.3, A: 1.7, B: 0},
		KappaLambda{L: L, Kappa: 0.3, Lambda: 0.35}.Form(),
	} {
		k, c, err := f.KappaLambda()
		if err != nil {
			t.Fatal(err)
		}
		kf := k.Form()
		if math.Abs(kf.A+2*kf.B-1) > 1e-14 {
			t.Errorf("%+v: κ/λ form %+v does not satisfy A + 2B = 1", f, kf)
		}
		psi := func(phi []float64) []float64 {
			out := make([]float64, len(phi))
			for i, v := range phi {
				out[i] = v / c
			}
			return out
		}
		phi1, phi2 := randomField(L, 1.5, 7), randomField(L, 1.5, 8)
		d1 := f.Energy(phi1) - f.Energy(phi2)
		d2 := k.Energy(psi(phi1)) - k.Energy(psi(phi2))
		if math.Abs(d1-d2) > 1e-10*math.Max(1, math.Abs(d1)) {
			t.Errorf("%+v → κ=%g λ=%g c=%g: energy differences %.12g and %.12g", f, k.Kappa, k.Lambda, c, d1, d2)
		}
		// Rescale is the map in the other direction: F(cψ) = F'(ψ).
		r := f.Rescale(c)
		if d := r.Energy(psi(phi1)) - f.Energy(phi1); math.Abs(d) > 1e-10 {
			t.Errorf("%+v: Rescale(%g) energy off by %g", f, c, d)
		}
	}
	// A κ/λ field with λ ≠ 1, rescaled by c = λ^{1/4}, has a unit quartic
	// coefficient but a quadratic one of (1−2λ)/√λ ≠ −1: not a β form.
	k := KappaLambda{L: L, Kappa: 0.3, Lambda: 0.5}
	r := k.Form().Rescale(1 / math.Pow(k.Lambda, 0.25))
	if math.Abs(r.B-1) > 1e-15 || math.Abs(r.A-(1-2*k.Lambda)/math.Sqrt(k.Lambda)) > 1e-15 || math.Abs(r.J-2*k.Kappa/math.Sqrt(k.Lambda)) > 1e-15 {
		t.Errorf("rescaled κ/λ form %+v", r)
	}
}

func TestValidate(t *testing.T) {
	bad := []Model{
		Phi4{L: 7, Beta: 0.5}, Phi4{L: 2, Beta: 0.5}, Phi4{L: 8, Beta: math.NaN()},
		KappaLambda{L: 8, Kappa: 0.3, Lambda: -1}, KappaLambda{L: 8, Kappa: 0.3, Lambda: 0},
		Gaussian{L: 8, Mass: 0}, Gaussian{L: 8, Mass: math.Inf(1)},
		LocalForm{L: 8, J: 1, A: 1, B: 0}, LocalForm{L: 8, J: 1, A: 1, B: -1},
	}
	for _, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("%+v: Validate() = nil", m)
		} else if err.Error()[:6] != "phi4: " {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
	if _, err := NewMetropolis(Phi4{L: 9, Beta: 0.5}, MetropolisSettings{}); err == nil {
		t.Error("NewMetropolis accepted L = 9")
	}
	for _, s := range []MetropolisSettings{{Delta: -1}, {TargetAcceptance: 1}, {Workers: -1}, {Delta: math.NaN()}} {
		if s.Validate() == nil {
			t.Errorf("%+v: Validate() = nil", s)
		}
	}
	for _, s := range []HMCSettings{{StepSize: -1}, {TrajectoryLength: math.Inf(1)}, {Jitter: 0.5}, {TargetAcceptance: -0.1}, {StepSize: 1e-9, TrajectoryLength: 1}} {
		if s.Validate() == nil {
			t.Errorf("%+v: Validate() = nil", s)
		}
	}
	for _, s := range []ClusterSettings{{ClustersPerSweep: -1}, {SiteFraction: -1}, {Metropolis: MetropolisSettings{Workers: -2}}} {
		if s.Validate() == nil {
			t.Errorf("%+v: Validate() = nil", s)
		}
	}
	if _, err := NewCluster(Phi4{L: 8, Beta: -0.5}, ClusterSettings{}); err == nil {
		t.Error("NewCluster accepted an antiferromagnetic coupling")
	}
	for _, g := range []GenerateSettings{{Samples: 0, Interval: 1}, {Samples: 1, Interval: 0}, {Samples: 1, Interval: 1, Thermalize: -1}, {Samples: 1, Interval: 1, Start: 9}} {
		if g.Validate() == nil {
			t.Errorf("%+v: Validate() = nil", g)
		}
	}
}

// TestFastExp checks expNonPos against math.Exp and that the squeezed
// Metropolis test decides exactly like u < exp(−dE).
func TestFastExp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		x := -700 * r.Float64() * r.Float64()
		if i%2 == 0 {
			x = -10 * r.Float64()
		}
		got, want := expNonPos(x), math.Exp(x)
		if math.Abs(got-want) > 4e-16*want {
			t.Fatalf("expNonPos(%g) = %.17g, math.Exp = %.17g", x, got, want)
		}
	}
	if expNonPos(3) != 1 || expNonPos(-800) <= 0 {
		t.Errorf("clamping: expNonPos(3) = %g, expNonPos(−800) = %g", expNonPos(3), expNonPos(-800))
	}
	for i := 0; i < 1000000; i++ {
		u := float64(uint32(r.Uint64())) * 0x1p-32
		dE := 6 * r.NormFloat64()
		if i%10 == 0 {
			dE *= 20
		}
		if got, want := acceptMetropolis(u, dE), u < math.Exp(-dE); got != want {
			t.Fatalf("acceptMetropolis(%v, %v) = %v, want %v", u, dE, got, want)
		}
	}
}

// TestGaussianExactValues checks Phi2 against the exact Fourier sampler of
// engine/gaussfield (⟨φ²⟩ over 400 independent 16×16 fields: the standard
// error of the mean of φ² is below 1 %, the tolerance is 5σ) and Xi.
func TestGaussianExactValues(t *testing.T) {
	m := Gaussian{L: 16, Mass: 0.5}
	g, err := m.NewExactSampler()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	phi := make([]float64, 256)
	var s, s2 float64
	const n = 400
	for i := 0; i < n; i++ {
		g.Sample(phi, r)
		var q float64
		for _, v := range phi {
			q += v * v
		}
		q /= 256
		s += q
		s2 += q * q
	}
	mean := s / n
	se := math.Sqrt((s2/n - mean*mean) / n)
	if exact := m.Phi2(); math.Abs(mean-exact) > 5*se {
		t.Errorf("⟨φ²⟩: exact sampler %.5f ± %.5f, Phi2() = %.5f", mean, se, exact)
	}
	if m.Xi() != 2 {
		t.Errorf("Xi = %g", m.Xi())
	}
}
