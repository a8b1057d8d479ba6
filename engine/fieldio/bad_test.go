package fieldio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// npyFile builds a .npy file (version 1.0 unless major > 1) from a header
// dictionary and raw data.
func npyFile(major byte, dict string, data []byte) []byte {
	h := dict + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	}
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func f64le(vals ...float64) []byte {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

func zerosF64(n int) []float64 { return make([]float64, n) }

// fitsFile builds a FITS file from card texts ("KEY = value"), adding END
// and padding the header; data is appended as is.
func fitsFile(cards []string, end bool, data []byte) []byte {
	var b bytes.Buffer
	for _, c := range cards {
		key, val, ok := strings.Cut(c, "=")
		if ok {
			fmt.Fprintf(&b, "%-8s= %20s", strings.TrimSpace(key), strings.TrimSpace(val))
			b.WriteString(strings.Repeat(" ", 50))
		} else {
			fmt.Fprintf(&b, "%-80s", c)
		}
	}
	if end {
		fmt.Fprintf(&b, "%-80s", "END")
	}
	for b.Len()%fitsBlock != 0 {
		b.WriteByte(' ')
	}
	b.Write(data)
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

func hugePNG() []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	b.Write(pngChunk("IHDR", ihdr))
	b.Write(pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

func rectPNG() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 5, 3)))
	return b.Bytes()
}

func withValue(n, at int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i) / 7
	}
	x[at] = v
	return x
}

var fitsImage8x8 = []string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 2", "NAXIS1 = 8", "NAXIS2 = 8"}

// TestBadFiles: every broken file gives an error naming the file and the problem.
func TestBadFiles(t *testing.T) {
	d8 := f64le(zerosF64(64)...)
	cases := []struct {
		name string
		data []byte
		opt  Options
		want string
	}{
		{"empty.npy", nil, Options{}, "empty file"},
		{"short.npy", []byte("\x93NUM"), Options{}, "truncated .npy header"},
		{"trunc_header.npy", []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', "), Options{}, "truncated .npy header"},
		{"magic.npy", append([]byte("NUMPY!\x01\x00"), d8...), Options{}, "not a NumPy .npy file"},
		{"version.npy", npyFile(4, "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), }", d8), Options{}, "format version 4.0 is not supported"},
		{"complex.npy", npyFile(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (8, 8), }", d8), Options{}, "dtype '<c8' is not supported (want float32 or float64"},
		{"int.npy", npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (8, 8), }", d8), Options{}, "dtype '<i8' is not supported"},
		{"struct.npy", npyFile(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (8, 8), }", d8), Options{}, "structured dtypes are not supported"},
		{"badbool.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': maybe, 'shape': (8, 8), }", d8), Options{}, "fortran_order is not True or False"},
		{"nokey.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, }", d8), Options{}, `key "shape" is missing`},
		{"extrakey.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), 'x': 1}", d8), Options{}, `unexpected key "x"`},
		{"nonsquare.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 64, 32), }", f64le(zerosF64(3*64*32)...)), Options{}, "shape (3, 64, 32): fields are 64×32, not square; choose Options.Crop"},
		{"nonpow2.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (12, 12), }", f64le(zerosF64(144)...)), Options{}, "side 12 is not a power of two"},
		{"tiny.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", f64le(1)), Options{}, "too small"},
		{"nan.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4, 4), }", f64le(withValue(32, 16+2*4+3, math.NaN())...)), Options{}, "NaN value at field 1, row 2, column 3"},
		{"inf.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4), }", f64le(withValue(16, 1, math.Inf(1))...)), Options{}, "+Inf value at row 0, column 1"},
		{"fortran_inf.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (4, 4), }", f64le(withValue(16, 1, math.Inf(-1))...)), Options{}, "-Inf value at row 1, column 0"},
		{"zero.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 8, 8), }", nil), Options{}, "zero-size axis"},
		{"huge.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 65536, 65536), }", d8), Options{}, "truncated data: header declares shape (100000, 65536, 65536)"},
		{"overflow.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686014132420609, 4611686014132420609), }", d8), Options{}, "truncated data"},
		{"bigint.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 8), }", d8), Options{}, "too large"},
		{"trunc_data.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), }", d8[:100]), Options{}, "truncated data"},
		{"1d.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (64,), }", d8), Options{}, "1-D shape (64,)"},
		{"4d.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 4, 4), }", d8), Options{}, "4-D shape (2, 2, 4, 4)"},
		{"scalar.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", d8[:8]), Options{}, "0-D shape ()"},
		{"notuple.npy", npyFile(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (64), }", d8), Options{}, "(64) is not a tuple"},
		{"nonewline.npy", append([]byte("\x93NUMPY\x01\x00\x3c\x00{'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), }  "), d8...), Options{}, "bad .npy header: it does not end with a newline"},

		{"mixed.csv", []byte("1,2\n3\n"), Options{}, "line 2 has 1 values, line 1 has 2"},
		{"word.csv", []byte("x,y\n1,2\n"), Options{}, `line 1, column 1: "x" is not a number`},
		{"emptycell.csv", []byte("1,,2\n"), Options{}, "line 1, column 2: empty value"},
		{"comments.txt", []byte("# nothing here\n\n   \n"), Options{}, "no data"},
		{"nan.txt", []byte("1 2\nnan 4\n"), Options{}, "NaN value at row 1, column 0 (line 2)"},
		{"range.dat", []byte("1e400 1\n1 1\n"), Options{}, "out of the float64 range"},
		{"binary.txt", []byte("1 2\x00\n"), Options{}, "NUL bytes"},
		{"rect.csv", []byte("1,2,3\n4,5,6\n"), Options{}, "shape (2, 3): fields are 2×3, not square"},

		{"bitpix.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = 12", "NAXIS = 2", "NAXIS1 = 8", "NAXIS2 = 8"}, true, d8), Options{}, "BITPIX = 12 is not one of 8, 16, 32, 64, -32, -64"},
		{"noend.fits", fitsFile(fitsImage8x8, false, bytes.Repeat([]byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 360)), Options{}, "HDU 0, header card 37: byte 0xf0 in column 2 is not printable ASCII (is the END card missing?)"},
		{"noend_eof.fits", fitsFile(fitsImage8x8, false, nil), Options{}, "without an END card"},
		{"trunc.fits", fitsFile(fitsImage8x8, true, d8[:100]), Options{}, "truncated FITS data in HDU 0"},
		{"huge.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 3", "NAXIS1 = 1000000000", "NAXIS2 = 1000000000", "NAXIS3 = 1000000000"}, true, d8), Options{}, "truncated FITS data"},
		{"short.fits", []byte("SIMPLE  =                    T"), Options{}, "truncated FITS header"},
		{"simplef.fits", fitsFile([]string{"SIMPLE = F", "BITPIX = -64", "NAXIS = 2", "NAXIS1 = 8", "NAXIS2 = 8"}, true, d8), Options{}, "SIMPLE = F: the file does not conform"},
		{"order.fits", fitsFile([]string{"SIMPLE = T", "NAXIS = 2", "BITPIX = -64", "NAXIS1 = 8", "NAXIS2 = 8"}, true, d8), Options{}, `header card 2 must be BITPIX, found "NAXIS"`},
		{"naxis1.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 1", "NAXIS1 = 64"}, true, d8), Options{}, "no HDU holds 2- or 3-axis image data: HDU 0 has 1-D data"},
		{"naxis4.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 4", "NAXIS1 = 4", "NAXIS2 = 4", "NAXIS3 = 2", "NAXIS4 = 2"}, true, d8), Options{}, "4-D data"},
		{"zeroaxis.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 2", "NAXIS1 = 8", "NAXIS2 = 0"}, true, nil), Options{}, "zero-size axis (NAXIS2 = 0)"},
		{"naxisstr.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 'two'"}, true, nil), Options{}, "NAXIS = \"two\" is not an integer"},
		{"hdu.fits", fitsFile(fitsImage8x8, true, d8), Options{HDU: 2}, "Options.HDU = 2, but the file's HDUs are numbered 0 to 0"},
		{"blank.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = 8", "NAXIS = 2", "NAXIS1 = 8", "NAXIS2 = 8", "BLANK = 0"}, true, make([]byte, 64)), Options{}, "undefined (NaN or BLANK) value at row 0, column 0"},
		{"nanfits.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 3", "NAXIS1 = 4", "NAXIS2 = 4", "NAXIS3 = 2"}, true, bytes.Repeat([]byte{0x7f, 0xf8, 0, 0, 0, 0, 0, 1}, 32)), Options{}, "NaN value at field 0, row 0, column 0"},
		{"bscale.fits", fitsFile([]string{"SIMPLE = T", "BITPIX = 16", "NAXIS = 2", "NAXIS1 = 4", "NAXIS2 = 4", "BSCALE = 'big'"}, true, make([]byte, 32)), Options{}, `BSCALE = "big" is not a finite number`},
		{"ascii.fits", append([]byte("SIMPLE  =                    T"), bytes.Repeat([]byte{0xff}, 2880)...), Options{}, "is not printable ASCII"},

		{"bad.png", []byte("\x89PNG\r\n\x1a\nthis is not a png at all"), Options{}, "not a valid PNG"},
		{"huge.png", hugePNG(), Options{}, "declares 100000×100000 pixels"},
		{"rect.png", rectPNG(), Options{}, "shape (3, 5): fields are 3×5, not square"},

		{"data.bin", []byte("1 2\n3 4\n"), Options{}, "unknown format"},
		{"archive.npy", []byte("PK\x03\x04rest"), Options{}, "zip archive"},
		{"opts.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), }", d8), Options{PatchSize: 6}, "Options.PatchSize 6 is not a power of two"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, _, err := Read(path, c.opt)
		if err == nil {
			t.Errorf("%s: read %d×%d fields, want an error containing %q", c.name, st.N, st.L, c.want)
			continue
		}
		msg := err.Error()
		if os.Getenv("SHOWERR") != "" {
			t.Log(strings.TrimPrefix(msg, "fieldio: "+dir+"/"))
		}
		if !strings.HasPrefix(msg, "fieldio: "+path+": ") || !strings.Contains(msg, c.want) {
			t.Errorf("%s:\n got  %v\n want fieldio: %s: …%s…", c.name, msg, path, c.want)
		}
	}
	if _, _, err := Read(filepath.Join(dir, "missing.npy"), Options{}); err == nil || !strings.Contains(err.Error(), "missing.npy: no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := Read(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	st := testStack(2, 4, 0)
	st.Data[5] = math.NaN()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nan.npy", Write(filepath.Join(dir, "nan.npy"), st), "cannot write NaN at field 0, row 1, column 1"},
		{"two.csv", Write(filepath.Join(dir, "two.csv"), testStack(2, 4, 0)), "a text file holds one field"},
		{"x.png", Write(filepath.Join(dir, "x.png"), testStack(1, 4, 0)), `cannot write extension ".png"`},
		{"big.fits", WriteFITS(filepath.Join(dir, "big.fits"), func() lattice.Stack { s := testStack(1, 2, 0); s.Data[3] = 1e300; return s }(), FITSOptions{Precision: Float32}), "overflows float32"},
		{"empty.npy", Write(filepath.Join(dir, "empty.npy"), lattice.Stack{L: 4}), "the stack is empty"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.name) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, c.err, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, c.name)); err == nil {
			t.Errorf("%s: a file was left behind", c.name)
		}
	}
}
