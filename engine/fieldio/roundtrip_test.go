package fieldio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// testStack is n fields of side L with distinct, non-round values.
func testStack(n, L int, seed float64) lattice.Stack {
	s := lattice.NewStack(n, L)
	for k := range s.Data {
		s.Data[k] = math.Sin(0.37*float64(k)+seed) * math.Exp(0.01*float64(k%17)) * 3.7
	}
	return s
}

func to32(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(float32(v))
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st := testStack(3, 16, 0.5)
	one := testStack(1, 8, 1.5)
	cases := []struct {
		name string
		s    lattice.Stack
		f32  bool
		dims int
		fmt  Format
		wr   func(path string, s lattice.Stack) error
	}{
		{"a.npy", st, false, 3, FormatNpy, Write},
		{"b.npy", one, false, 2, FormatNpy, Write},
		{"c.npy", st, true, 3, FormatNpy, func(p string, s lattice.Stack) error { return WriteNpy(p, s, Float32) }},
		{"d.fits", st, false, 3, FormatFITS, Write},
		{"e.fit", one, false, 2, FormatFITS, Write},
		{"f.fits", st, true, 3, FormatFITS, func(p string, s lattice.Stack) error {
			return WriteFITS(p, s, FITSOptions{Precision: Float32})
		}},
		{"g.csv", one, false, 2, FormatText, Write},
		{"h.txt", one, false, 2, FormatText, Write},
		{"i.dat", one, false, 2, FormatText, func(p string, s lattice.Stack) error { return WriteText(p, s.Field(0)) }},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		if err := c.wr(path, c.s); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, info, err := Read(path, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := c.s.Data
		if c.f32 {
			want = to32(want)
		}
		if got.N != c.s.N || got.L != c.s.L || len(info.Shape) != c.dims || info.Format != c.fmt {
			t.Errorf("%s: read %d×%d, shape %v, format %s", c.name, got.N, got.L, info.Shape, info.Format)
		}
		sameValues(t, c.name, got.Data, want)
	}
	// Text separators.
	b, _ := os.ReadFile(filepath.Join(dir, "g.csv"))
	if !strings.Contains(string(b), ",") {
		t.Errorf("g.csv has no commas")
	}
}

func TestFITSWriterCards(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.fits")
	s := testStack(1, 4, 0)
	cards := []Card{
		FloatCard("CDELT1", 0.5, "arcmin per pixel"),
		FloatCard("CDELT2", 2, ""),
		StringCard("CUNIT1", "it's", "quoted"),
		{Key: "NPIX", Value: "16"},
		{Key: "HISTORY", Comment: "made by a test"},
	}
	if err := WriteFITS(path, s, FITSOptions{Cards: cards}); err != nil {
		t.Fatal(err)
	}
	_, info, err := Read(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := info.HeaderFloat("CDELT1"); !ok || v != 0.5 {
		t.Errorf("CDELT1 = %v %v", v, ok)
	}
	if info.Header["CDELT2"] != "2.0" || info.Header["CUNIT1"] != "it's" || info.Header["NPIX"] != "16" {
		t.Errorf("header %v", info.Header)
	}
	found := false
	for _, c := range info.Cards {
		if c.Key == "HISTORY" && c.Comment == "made by a test" {
			found = true
		}
	}
	if !found {
		t.Errorf("HISTORY card lost: %v", info.Cards)
	}
	for _, bad := range []Card{
		{Key: "NAXIS3", Value: "2"},
		{Key: "BSCALE", Value: "2"},
		{Key: "lower", Value: "1"},
		{Key: "TOOLONGKEY", Value: "1"},
		{Key: "X", Value: "abc"},
		{Key: "X", Value: "NaN"},
		StringCard("X", strings.Repeat("a", 80), ""),
	} {
		if err := WriteFITS(path, s, FITSOptions{Cards: []Card{bad}}); err == nil || !strings.Contains(err.Error(), "k.fits") {
			t.Errorf("card %+v: err = %v, want an error naming the file", bad, err)
		}
	}
}

// TestNpyWriterIncremental reads the file back after every append.
func TestNpyWriterIncremental(t *testing.T) {
	for _, p := range []Precision{Float64, Float32} {
		path := filepath.Join(t.TempDir(), "grow.npy")
		st := testStack(4, 8, 2)
		w, err := CreateNpy(path, 8, p)
		if err != nil {
			t.Fatal(err)
		}
		size0 := -1
		for i := 0; i < 3; i++ {
			if err := w.Append(st.Field(i)); err != nil {
				t.Fatal(err)
			}
			got, info, err := Read(path, Options{})
			if err != nil {
				t.Fatalf("after %d appends: %v", i+1, err)
			}
			want := st.Data[:(i+1)*64]
			if p == Float32 {
				want = to32(want)
			}
			if got.N != i+1 || info.TrailingBytes != 0 || len(info.Shape) != 3 {
				t.Fatalf("after %d appends: %d fields, shape %v, %d trailing bytes", i+1, got.N, info.Shape, info.TrailingBytes)
			}
			sameValues(t, "incremental", got.Data, want)
			b, _ := os.ReadFile(path)
			hl := 10 + int(b[8]) + int(b[9])<<8
			if hl%64 != 0 || (size0 >= 0 && hl != size0) {
				t.Errorf("header length %d (first %d)", hl, size0)
			}
			size0 = hl
		}
		if w.Len() != 3 {
			t.Errorf("Len = %d", w.Len())
		}
		// A wrong side or NaN is refused without damaging the file.
		if err := w.Append(lattice.NewField(4)); err == nil || !strings.Contains(err.Error(), "grow.npy") {
			t.Errorf("wrong side: %v", err)
		}
		bad := st.Field(3).Clone()
		bad.Data[9] = math.NaN()
		if err := w.Append(bad); err == nil || !strings.Contains(err.Error(), "row 1, column 1") {
			t.Errorf("NaN: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := w.Append(st.Field(3)); err == nil {
			t.Errorf("Append after Close succeeded")
		}
		got, _, err := Read(path, Options{})
		if err != nil || got.N != 3 {
			t.Fatalf("after Close: %v, %v", got, err)
		}
		// An interrupted append leaves a partial field after the data: the
		// file still reads as the fields before it.
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		f.Write(make([]byte, 100))
		f.Close()
		got, info, err := Read(path, Options{})
		if err != nil || got.N != 3 || info.TrailingBytes != 100 {
			t.Fatalf("with a partial field: %v, %d trailing bytes, %v", got, info.TrailingBytes, err)
		}
	}
}

func TestStreamingEqualsRead(t *testing.T) {
	dir := t.TempDir()
	st := testStack(5, 16, 3)
	for _, name := range []string{"s.npy", "s.fits"} {
		path := filepath.Join(dir, name)
		if err := Write(path, st); err != nil {
			t.Fatal(err)
		}
		for _, opt := range []Options{{}, {PatchSize: 4}} {
			full, info, err := Read(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			r, err := OpenStack(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			f := lattice.NewField(r.L())
			n := 0
			for {
				err := r.Next(f)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				sameValues(t, name, f.Data, full.Field(n).Data)
				n++
			}
			if n != full.N || r.Info().SHA256 != info.SHA256 {
				t.Errorf("%s %+v: streamed %d fields, want %d; sha %s vs %s", name, opt, n, full.N, r.Info().SHA256, info.SHA256)
			}
			r.Close()
		}
	}
}

func TestCropAndPatches(t *testing.T) {
	dir := t.TempDir()
	// A 6×10 text field with value 10·row + column.
	var b strings.Builder
	for y := 0; y < 6; y++ {
		for x := 0; x < 10; x++ {
			if x > 0 {
				b.WriteString(" ")
			}
			b.WriteString(strconv.Itoa(10*y + x))
		}
		b.WriteString("\n")
	}
	path := filepath.Join(dir, "rect.txt")
	os.WriteFile(path, []byte(b.String()), 0o644)

	_, _, err := Read(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "rect.txt") || !strings.Contains(err.Error(), "(6, 10)") ||
		!strings.Contains(err.Error(), "Options.Crop") || !strings.Contains(err.Error(), "Options.PatchSize") {
		t.Fatalf("refusal: %v", err)
	}
	st, info, err := Read(path, Options{Crop: true})
	if err != nil {
		t.Fatal(err)
	}
	// Largest power of two ≤ 6 is 4: rows 1–4, columns 3–6.
	if st.N != 1 || st.L != 4 || st.Data[0] != 13 || st.Data[15] != 46 || info.Fix == "" {
		t.Errorf("crop: %d×%d %v, fix %q", st.N, st.L, st.Data, info.Fix)
	}
	st, info, err = Read(path, Options{PatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 3×5 patches of 2×2 covering everything.
	if st.N != 15 || st.L != 2 || st.Field(1).Data[0] != 2 || st.Field(5).Data[3] != 31 || !strings.Contains(info.Fix, "15 patches") {
		t.Errorf("patches: %d×%d, field 1 %v, field 5 %v, fix %q", st.N, st.L, st.Field(1).Data, st.Field(5).Data, info.Fix)
	}
	if _, _, err := Read(path, Options{PatchSize: 8}); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("patch too large: %v", err)
	}
	if _, _, err := Read(path, Options{PatchSize: 3}); err == nil || !strings.Contains(err.Error(), "power of two") {
		t.Errorf("patch not a power of two: %v", err)
	}
	if _, _, err := Read(path, Options{PatchSize: 2, Crop: true}); err == nil || !strings.Contains(err.Error(), "rect.txt") {
		t.Errorf("both options: %v", err)
	}
	// NaN outside the cropped square is not looked at.
	os.WriteFile(path, []byte("# masked corner\nnan 1 2 3 4 5\n"+strings.Repeat("1 2 3 4 5 6\n", 5)), 0o644)
	st, _, err = Read(path, Options{Crop: true})
	if err != nil || st.L != 4 || st.Data[0] != 2 {
		t.Errorf("crop past NaN: %v %v", st, err)
	}
	_, _, err = Read(path, Options{PatchSize: 2})
	if err == nil || !strings.Contains(err.Error(), "NaN value at row 0, column 0 (line 2)") {
		t.Errorf("patch with NaN: %v", err)
	}
}

func encodePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPNG(t *testing.T) {
	dir := t.TempDir()
	g8 := image.NewGray(image.Rect(0, 0, 4, 4))
	g16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	rgb := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Gray{0}, color.RGBA{255, 0, 0, 255}})
	for k := 0; k < 16; k++ {
		x, y := k%4, k/4
		g8.SetGray(x, y, color.Gray{uint8(17 * k)})
		g16.SetGray16(x, y, color.Gray16{uint16(4000 * k)})
		rgb.SetNRGBA(x, y, color.NRGBA{uint8(k), uint8(2 * k), uint8(3 * k), 128})
		pal.SetColorIndex(x, y, uint8(k%2))
	}
	rgb.SetNRGBA(0, 0, color.NRGBA{51, 51, 51, 255})
	cases := []struct {
		name  string
		img   image.Image
		dtype string
		want  func(k int) float64
	}{
		{"g8.png", g8, "gray8", func(k int) float64 { return float64(17*k) / 255 }},
		{"g16.png", g16, "gray16", func(k int) float64 { return float64(4000*k) / 65535 }},
		{"rgb.png", rgb, "rgba8", func(k int) float64 {
			if k == 0 {
				return 0.2 // gray pixel: exact
			}
			return 0.2126*float64(k)/255 + 0.7152*float64(2*k)/255 + 0.0722*float64(3*k)/255
		}},
		{"pal.png", pal, "palette8", func(k int) float64 { return 0.2126 * float64(k%2) }},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		encodePNG(t, path, c.img)
		st, info, err := Read(path, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if info.Dtype != c.dtype || st.N != 1 || st.L != 4 {
			t.Errorf("%s: dtype %s, %d×%d", c.name, info.Dtype, st.N, st.L)
		}
		for k, v := range st.Data {
			if math.Abs(v-c.want(k)) > 1e-15 {
				t.Errorf("%s: value %d = %v, want %v", c.name, k, v, c.want(k))
				break
			}
		}
	}
}

// TestReadFrom: reading from memory gives the same fields as from disk.
func TestReadFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.npy")
	s := lattice.NewStack(3, 8)
	for i := range s.Data {
		s.Data[i] = float64(i) / 7
	}
	if err := WriteNpy(path, s, Float64); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, info, err := ReadFrom("m.npy", bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil || info.N != 3 || !slices.Equal(got.Data, s.Data) {
		t.Fatalf("ReadFrom: %v, %+v", err, info)
	}
	if _, _, err := ReadFrom("m.npy", bytes.NewReader(b[:100]), 100, Options{}); err == nil || !strings.Contains(err.Error(), "m.npy") {
		t.Errorf("truncated: %v", err)
	}
}
