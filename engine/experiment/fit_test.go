package experiment

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitPowerLaw: exact power laws are recovered exactly, and with
// Gaussian noise of known σ(log y) the fitted exponent lies within 3 of its
// reported standard errors in each of 200 trials, with the pull's spread
// near 1 (the error is neither inflated nor understated).
func TestFitPowerLaw(t *testing.T) {
	x := []float64{8, 16, 32, 64, 128}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 0.7 * math.Pow(x[i], 2.1)
	}
	f, err := FitPowerLaw(x, y, nil)
	if err != nil || math.Abs(f.Z-2.1) > 1e-12 || math.Abs(f.A-0.7) > 1e-12 {
		t.Fatalf("exact: %+v %v", f, err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var pulls []float64
	for trial := 0; trial < 200; trial++ {
		yn, e := make([]float64, len(x)), make([]float64, len(x))
		for i := range x {
			s := 0.05 * float64(i+1)
			yn[i] = y[i] * math.Exp(s*rng.NormFloat64())
			e[i] = s * yn[i]
		}
		f, err := FitPowerLaw(x, yn, e)
		if err != nil {
			t.Fatal(err)
		}
		pulls = append(pulls, (f.Z-2.1)/f.ZErr)
	}
	var s2 float64
	for _, p := range pulls {
		s2 += p * p
		if math.Abs(p) > 4 {
			t.Errorf("pull %.2f", p)
		}
	}
	// The PDG scale factor only widens errors, so the pull spread is ≤ 1
	// and, for 3 dof, not far below it.
	if rms := math.Sqrt(s2 / float64(len(pulls))); rms > 1.15 || rms < 0.6 {
		t.Errorf("rms pull %.3f", rms)
	}
	if _, err := FitPowerLaw([]float64{1}, []float64{1}, nil); err == nil {
		t.Error("one point accepted")
	}
	if _, err := FitPowerLaw([]float64{1, 2}, []float64{1, -1}, nil); err == nil {
		t.Error("negative y accepted")
	}
}
