package fieldio

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

const testdata = "../../testdata/fieldio"

// golden is one "data" line of a golden file: the tokens before ':' and the
// values after it.
type golden struct {
	head []string
	vals []float64
}

// goldenCard is a "card FILE HDU KEY = VALUE" line.
type goldenCard struct {
	file       string
	hdu        int
	key, value string
}

func readGoldenFile(t *testing.T, name string) (data []golden, cards []goldenCard) {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "data "):
			head, rest, ok := strings.Cut(line, " : ")
			if !ok {
				t.Fatalf("%s: bad line %q", name, line)
			}
			g := golden{head: strings.Fields(head)[1:]}
			for _, w := range strings.Fields(rest) {
				v, err := strconv.ParseFloat(w, 64)
				if err != nil {
					t.Fatalf("%s: bad value %q", name, w)
				}
				g.vals = append(g.vals, v)
			}
			data = append(data, g)
		case strings.HasPrefix(line, "card "):
			w := strings.SplitN(line, " ", 4)
			key, value, ok := strings.Cut(w[3], " = ")
			if len(w) != 4 || !ok {
				t.Fatalf("%s: bad line %q", name, line)
			}
			cards = append(cards, goldenCard{w[1], atoiT(t, w[2]), key, value})
		default:
			t.Fatalf("%s: unknown line %q", name, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return data, cards
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("bad integer %q", s)
	}
	return v
}

func sameValues(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: value %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestNpyGoldens reads the files NumPy wrote (testdata/fieldio/make_npy.py)
// and compares every value exactly with NumPy's.
func TestNpyGoldens(t *testing.T) {
	data, _ := readGoldenFile(t, "npy_goldens.txt")
	if len(data) < 6 {
		t.Fatalf("only %d golden arrays", len(data))
	}
	for _, g := range data {
		name, descr, fortran := g.head[0], g.head[1], g.head[2] == "True"
		var shape []int
		for _, w := range g.head[3:] {
			shape = append(shape, atoiT(t, w))
		}
		path := filepath.Join(testdata, name)
		st, info, err := Read(path, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Format != FormatNpy || info.Dtype != descr || info.FortranOrder != fortran || fmt.Sprint(info.Shape) != fmt.Sprint(shape) {
			t.Errorf("%s: info %+v, want %s fortran=%v shape %v", name, info, descr, fortran, shape)
		}
		wantN := 1
		if len(shape) == 3 {
			wantN = shape[0]
		}
		if st.N != wantN || st.L != shape[len(shape)-1] || info.N != st.N || info.L != st.L {
			t.Errorf("%s: stack %d×%d, want %d×%d", name, st.N, st.L, wantN, shape[len(shape)-1])
		}
		sameValues(t, name, st.Data, g.vals)
		if len(info.SHA256) != 64 {
			t.Errorf("%s: SHA256 %q", name, info.SHA256)
		}

		// The streaming reader gives the same fields.
		r, err := OpenStack(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := lattice.NewField(r.L())
		for i := 0; i < r.Len(); i++ {
			if err := r.Next(f); err != nil {
				t.Fatalf("%s: Next %d: %v", name, i, err)
			}
			sameValues(t, name+" streamed", f.Data, st.Field(i).Data)
		}
		if err := r.Next(f); err.Error() != "EOF" {
			t.Errorf("%s: after the last field Next = %v, want io.EOF", name, err)
		}
		if r.Info().SHA256 != info.SHA256 {
			t.Errorf("%s: streamed SHA256 %s, Read %s", name, r.Info().SHA256, info.SHA256)
		}
		r.Close()
	}
}

// TestFITSGoldens reads the files astropy wrote (testdata/fieldio/make_fits.py)
// and compares every value exactly with astropy's, and the header cards.
func TestFITSGoldens(t *testing.T) {
	data, cards := readGoldenFile(t, "fits_goldens.txt")
	if len(data) < 10 {
		t.Fatalf("only %d golden arrays", len(data))
	}
	for _, g := range data {
		name, hdu := g.head[0], atoiT(t, g.head[1])
		var shape []int
		for _, w := range g.head[2:] {
			shape = append(shape, atoiT(t, w))
		}
		opt := Options{}
		if hdu > 0 && name == "ext.fits" && hdu == 3 {
			opt.HDU = 3 // HDU 2 is found automatically; 3 must be asked for
		}
		st, info, err := Read(filepath.Join(testdata, name), opt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Format != FormatFITS || info.HDU != hdu || fmt.Sprint(info.Shape) != fmt.Sprint(shape) {
			t.Errorf("%s: format %s, HDU %d, shape %v; want HDU %d shape %v", name, info.Format, info.HDU, info.Shape, hdu, shape)
		}
		sameValues(t, fmt.Sprintf("%s HDU %d", name, hdu), st.Data, g.vals)
	}
	_, info, err := Read(filepath.Join(testdata, "ext.fits"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range cards {
		if c.file != "ext.fits" || c.hdu != 2 {
			continue
		}
		checked++
		got, ok := info.Header[c.key]
		if !ok {
			t.Errorf("ext.fits: keyword %s missing", c.key)
			continue
		}
		if got != c.value {
			if gf, ok1 := info.HeaderFloat(c.key); !ok1 || strconv.FormatFloat(gf, 'g', -1, 64) != c.value {
				t.Errorf("ext.fits: %s = %q, astropy says %q", c.key, got, c.value)
			}
		}
	}
	if checked < 7 {
		t.Errorf("checked %d cards of ext.fits, want 7", checked)
	}
	if v, ok := info.HeaderFloat("CDELT1"); !ok || v != -0.0125 {
		t.Errorf("HeaderFloat(CDELT1) = %v, %v", v, ok)
	}
	if info.Header["CUNIT1"] != "deg" {
		t.Errorf("CUNIT1 = %q", info.Header["CUNIT1"])
	}
}

func hasAstropy(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import astropy.io.fits, numpy").Run(); err != nil {
		t.Skip("/usr/bin/python3 with astropy and numpy is not available")
	}
}

// TestAstropyReadsOurFiles checks that astropy reads our FITS files and
// NumPy our .npy files (written by WriteFITS, WriteNpy and NpyWriter) with
// exactly the values written.
func TestAstropyReadsOurFiles(t *testing.T) {
	hasAstropy(t)
	dir := t.TempDir()
	st := testStack(3, 8, 1)
	one := testStack(1, 8, 2)
	files := map[string]lattice.Stack{}
	write := func(name string, s lattice.Stack, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files[name] = s
	}
	write("cube64.fits", st, WriteFITS(filepath.Join(dir, "cube64.fits"), st, FITSOptions{Cards: []Card{FloatCard("CDELT1", 0.25, "arcmin"), StringCard("CUNIT1", "arcmin", "")}}))
	write("img32.fits", one, WriteFITS(filepath.Join(dir, "img32.fits"), one, FITSOptions{Precision: Float32}))
	write("stack.npy", st, WriteNpy(filepath.Join(dir, "stack.npy"), st, Float64))
	write("one32.npy", one, WriteNpy(filepath.Join(dir, "one32.npy"), one, Float32))
	w, err := CreateNpy(filepath.Join(dir, "grow.npy"), 8, Float64)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < st.N; i++ {
		if err := w.Append(st.Field(i)); err != nil {
			t.Fatal(err)
		}
	}
	write("grow.npy", st, w.Close())

	script := `
import sys, numpy as np
from astropy.io import fits
for name in sys.argv[1:]:
    if name.endswith(".fits"):
        with fits.open(name) as h:
            d = h[0].data
            extra = str(h[0].header.get("CDELT1")) + "," + str(h[0].header.get("CUNIT1"))
    else:
        d = np.load(name)
        extra = "-"
    print(name.rsplit("/", 1)[-1], d.dtype.str, " ".join(map(str, d.shape)), extra, ":", " ".join(repr(float(v)) for v in d.ravel()))
`
	args := []string{"-c", script}
	for name := range files {
		args = append(args, filepath.Join(dir, name))
	}
	out, err := exec.Command("/usr/bin/python3", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		head, rest, _ := strings.Cut(line, " : ")
		h := strings.Fields(head)
		s, ok := files[h[0]]
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		seen++
		var got []float64
		for _, w := range strings.Fields(rest) {
			v, _ := strconv.ParseFloat(w, 64)
			got = append(got, v)
		}
		want := s.Data
		if strings.Contains(h[0], "32") {
			want = make([]float64, len(s.Data))
			for i, v := range s.Data {
				want[i] = float64(float32(v))
			}
		}
		sameValues(t, h[0]+" read by python", got, want)
		shape := strings.Join(h[2:len(h)-1], " ")
		wantShape := fmt.Sprintf("%d %d %d", s.N, s.L, s.L)
		if s.N == 1 {
			wantShape = fmt.Sprintf("%d %d", s.L, s.L)
		}
		if shape != wantShape {
			t.Errorf("%s: python sees shape %s, want %s", h[0], shape, wantShape)
		}
		if h[0] == "cube64.fits" && h[len(h)-1] != "0.25,arcmin" {
			t.Errorf("cube64.fits: astropy reads CDELT1,CUNIT1 = %s", h[len(h)-1])
		}
	}
	if seen != len(files) {
		t.Errorf("python read %d files, want %d", seen, len(files))
	}
}
