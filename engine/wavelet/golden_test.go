package wavelet

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// hashValue reproduces hash_value of testdata/wavelet/make_goldens.py exactly:
// integer arithmetic mod 2³², then an exact division by 2³².
func hashValue(k, seed int) float64 {
	u := uint32((k+1)*2654435761 + seed*40503)
	u ^= u >> 13
	u *= 2246822519
	u ^= u >> 16
	return float64(u)/4294967296.0 - 0.5
}

func hashField(n, seed int) []float64 {
	x := make([]float64, n*n)
	for k := range x {
		x[k] = hashValue(k, seed)
	}
	return x
}

type goldenKey struct {
	kind, name     string
	n, lev, ch, at int
}

func readGoldens(t *testing.T) map[goldenKey]float64 {
	t.Helper()
	f, err := os.Open("../../testdata/wavelet/pywt_goldens.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[goldenKey]float64)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		w := strings.Fields(line)
		atoi := func(s string) int {
			v, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("bad golden line %q", line)
			}
			return v
		}
		var k goldenKey
		var vs string
		switch w[0] {
		case "dec":
			k = goldenKey{"dec", w[1], atoi(w[2]), atoi(w[3]), atoi(w[4]), atoi(w[5])}
			vs = w[6]
		case "rec":
			k = goldenKey{kind: "rec", name: w[1], n: atoi(w[2]), at: atoi(w[3])}
			vs = w[4]
		default:
			t.Fatalf("bad golden line %q", line)
		}
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil {
			t.Fatalf("bad golden line %q", line)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPyWaveletsGoldens compares wavedec2/waverec2 (mode='periodization') of
// PyWavelets, recorded by testdata/wavelet/make_goldens.py, with Decompose and
// Reconstruct at γ = 1, coefficient for coefficient, to 1e-12.
func TestPyWaveletsGoldens(t *testing.T) {
	golden := readGoldens(t)
	const tol = 1e-12
	checked := make(map[string]int)
	for _, name := range []string{"haar", "db2", "db4", "db8", "sym4", "coif2"} {
		b, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{8, 32, 256} {
			J := MaxLevels(n)
			tr, err := NewTransform(b, n, J, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecomposition(n, J)
			tr.Decompose(d, hashField(n, 1))
			worst := 0.0
			// PyWavelets level lev (1 = coarsest details) is our j = J+1−lev.
			for k, want := range golden {
				if k.kind != "dec" || k.name != name || k.n != n {
					continue
				}
				var got float64
				if k.lev == 0 {
					got = d.Coarse(J)[k.at]
				} else {
					got = d.Channel(J+1-k.lev, k.ch)[k.at]
				}
				worst = math.Max(worst, math.Abs(got-want))
				checked[name]++
			}
			if worst > tol {
				t.Errorf("%s n=%d: decomposition differs from PyWavelets by %.3g", name, n, worst)
			}

			// Reconstruction from hashed coefficients (seeds as in the script).
			copy(d.Coarse(J), hashField(1, 100))
			for lev := 1; lev <= J; lev++ {
				j := J + 1 - lev
				m := 1 << (lev - 1)
				for c := 1; c <= 3; c++ {
					copy(d.Channel(j, c), hashField(m, 100+4*lev+c))
				}
			}
			y := make([]float64, n*n)
			tr.Reconstruct(y, d)
			worst = 0
			for k, want := range golden {
				if k.kind == "rec" && k.name == name && k.n == n {
					worst = math.Max(worst, math.Abs(y[k.at]-want))
					checked[name]++
				}
			}
			if worst > tol {
				t.Errorf("%s n=%d: reconstruction differs from PyWavelets by %.3g", name, n, worst)
			}
		}
		if checked[name] < 1000 {
			t.Errorf("%s: only %d golden values compared", name, checked[name])
		}
	}
}
