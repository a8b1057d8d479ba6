package plots

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAutoRangeQuantiles: the selection-based percentiles equal those of
// the sorted data (linear interpolation between order statistics), for
// random, sorted, reversed and constant-heavy inputs.
func TestAutoRangeQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := map[string][]float64{}
	for _, n := range []int{1, 2, 3, 10, 1001} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		inputs[fmt.Sprintf("random %d", n)] = x
		s := slices.Clone(x)
		slices.Sort(s)
		inputs[fmt.Sprintf("sorted %d", n)] = s
		r := slices.Clone(s)
		slices.Reverse(r)
		inputs[fmt.Sprintf("reversed %d", n)] = r
	}
	few := make([]float64, 5000)
	for i := range few {
		few[i] = float64(rng.IntN(3))
	}
	inputs["three values"] = few
	for name, x := range inputs {
		s := slices.Clone(x)
		slices.Sort(s)
		want := func(p float64) float64 {
			pos := p / 100 * float64(len(s)-1)
			i := int(pos)
			if i >= len(s)-1 {
				return s[len(s)-1]
			}
			return s[i] + (pos-float64(i))*(s[i+1]-s[i])
		}
		for _, clip := range []float64{0, 0.5, 2.5, 10} {
			r := AutoRange(x, clip)
			lo, hi := want(clip), want(100-clip)
			if !(hi > lo) {
				lo, hi = lo-0.5, lo+0.5
			}
			if math.Abs(r.Lo-lo) > 1e-12 || math.Abs(r.Hi-hi) > 1e-12 {
				t.Errorf("%s, clip %g: range [%g, %g], want [%g, %g]", name, clip, r.Lo, r.Hi, lo, hi)
			}
		}
	}
}

// TestStretch checks the colour stretches against their definitions
// (astropy's visualization conventions): the ends of the range map to the
// ends of the colour scale, the mapping is monotone, and at t = 0.1 the
// asinh stretch (a = 0.1) gives asinh(1)/asinh(10) = 0.2940 and sqrt
// gives 0.3162, i.e. indices 75 and 80 of 256.
func TestStretch(t *testing.T) {
	base, _ := NewColorMap("gray")
	for _, name := range StretchNames() {
		c, err := base.WithStretch(name)
		if err != nil {
			t.Fatal(err)
		}
		c = c.WithRange(-1, 1)
		if c.Index(-1) != 0 || c.Index(1) != 255 {
			t.Errorf("%s: ends map to %d, %d", name, c.Index(-1), c.Index(1))
		}
		prev := uint8(0)
		for k := 0; k <= 1000; k++ {
			i := c.Index(-1 + 2*float64(k)/1000)
			if i < prev {
				t.Fatalf("%s: not monotone at step %d", name, k)
			}
			prev = i
		}
	}
	for name, want := range map[string]uint8{"asinh": 75, "sqrt": 80, "linear": 25} {
		c, _ := base.WithStretch(name)
		if got := c.Index(0.1); got != want {
			t.Errorf("%s: index of t = 0.1 is %d, want %d", name, got, want)
		}
	}
	if _, err := base.WithStretch("cubic"); err == nil {
		t.Error("unknown stretch accepted")
	}
}
