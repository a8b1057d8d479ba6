package ising

import (
	"math"
	"slices"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// TestDequantize: the added noise has mean 0 and std σ (within 4 standard
// errors of 20 000 normal draws: 0.007σ for the mean, 0.005σ for the std),
// the result depends only on the seed, and a bad σ is refused.
func TestDequantize(t *testing.T) {
	s := lattice.NewStack(20, 32)
	for i := range s.Data {
		s.Data[i] = float64(1 - 2*(i%3%2)) // ±1
	}
	const sigma = 0.35
	d, err := Dequantize(s, sigma, 9)
	if err != nil {
		t.Fatal(err)
	}
	var m1, m2 float64
	n := float64(len(s.Data))
	for i, v := range d.Data {
		e := v - s.Data[i]
		m1 += e / n
		m2 += e * e / n
	}
	std := math.Sqrt(m2 - m1*m1)
	if math.Abs(m1) > 4*sigma/math.Sqrt(n) || math.Abs(std/sigma-1) > 4/math.Sqrt(2*n) {
		t.Errorf("noise mean %.4g, std %.4g (σ = %g)", m1, std, sigma)
	}
	again, _ := Dequantize(s, sigma, 9)
	other, _ := Dequantize(s, sigma, 10)
	if !slices.Equal(d.Data, again.Data) || slices.Equal(d.Data, other.Data) {
		t.Error("the noise is not a function of the seed")
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := Dequantize(s, bad, 1); err == nil {
			t.Errorf("σ = %g accepted", bad)
		}
	}
}
