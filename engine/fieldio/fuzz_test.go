package fieldio

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzOptions derives reading options from a fuzzed byte.
func fuzzOptions(mode uint8) Options {
	var o Options
	switch mode % 4 {
	case 1:
		o.Crop = true
	case 2:
		o.PatchSize = 2
	case 3:
		o.PatchSize = 4
	}
	o.HDU = int(mode/4) % 4
	return o
}

// checkRead verifies what a reader returned for fuzzed input: an error
// naming the file, or a valid stack.
func checkRead(t *testing.T, name string, data []byte, format Format, mode uint8) {
	opt := fuzzOptions(mode)
	st, info, err := readBytes(name, data, format, opt)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "fieldio: "+name+": ") {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	if st.N < 1 || st.L < 2 || !isPow2(st.L) || len(st.Data) != st.N*st.L*st.L || info.N != st.N || info.L != st.L {
		t.Fatalf("bad stack: N=%d L=%d len=%d info %d×%d", st.N, st.L, len(st.Data), info.N, info.L)
	}
	for i, v := range st.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	sum := sha256.Sum256(data)
	if info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("SHA256 %s, want %x", info.SHA256, sum)
	}
	if info.Format != format {
		t.Fatalf("format %s, want %s", info.Format, format)
	}
}

// addTestdata adds the small files of testdata/fieldio as seeds. Large
// seeds are left out: the fuzzer's minimisation of a new input is quadratic
// in its length and would take the whole run.
func addTestdata(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join(testdata, pattern))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) <= 700 {
			f.Add(b, uint8(0))
		}
	}
}

func FuzzReadNpy(f *testing.F) {
	addTestdata(f, "*.npy")
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2, 3), }", f64le(zerosF64(18)...)), uint8(1))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 2), }", f64le(1, 2, 3, 4, 5, 6, 7, 8)), uint8(2))
	f.Add(npyFile(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (5, 5), }", make([]byte, 100)), uint8(3))
	f.Add(npyFile(3, "{\"descr\": \"<f4\", \"fortran_order\": True, \"shape\": (4, 4,), }", make([]byte, 64)), uint8(1))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 65536, 65536), }", nil), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		checkRead(t, "fuzz.npy", data, FormatNpy, mode)
	})
}

// hduMark separates HDUs in the compact FITS form used by FuzzReadFITS.
const hduMark = "\xffHDU\n"

// expandFITS turns the compact form into a FITS file, so that the fuzzer
// works on inputs of a few hundred bytes instead of 2880-byte blocks (whose
// minimisation takes longer than a fuzz run): HDUs are separated by hduMark;
// in each, the bytes before the first 0x00 are header cards, one per line,
// padded or cut to 80 columns, the header padded with spaces to 2880-byte
// blocks; the bytes after the 0x00 are the data, zero-padded to 2880-byte
// blocks except in the last HDU.
func expandFITS(b []byte) []byte {
	var out bytes.Buffer
	hdus := bytes.Split(b, []byte(hduMark))
	for i, h := range hdus {
		head, data, _ := bytes.Cut(h, []byte{0})
		for _, line := range bytes.Split(head, []byte{'\n'}) {
			if len(line) > fitsCard {
				line = line[:fitsCard]
			}
			out.Write(line)
			out.Write(bytes.Repeat([]byte{' '}, fitsCard-len(line)))
		}
		for out.Len()%fitsBlock != 0 {
			out.WriteByte(' ')
		}
		out.Write(data)
		if i < len(hdus)-1 {
			for out.Len()%fitsBlock != 0 {
				out.WriteByte(0)
			}
		}
	}
	return out.Bytes()
}

// compactFITS builds the compact form of one HDU from "KEY = value" cards.
func compactFITS(cards []string, data []byte) []byte {
	var b bytes.Buffer
	for _, c := range cards {
		key, val, ok := strings.Cut(c, "=")
		if ok {
			fmt.Fprintf(&b, "%-8s= %20s\n", strings.TrimSpace(key), strings.TrimSpace(val))
		} else {
			b.WriteString(c + "\n")
		}
	}
	b.WriteString("END\x00")
	b.Write(data)
	return b.Bytes()
}

// FuzzReadFITS reads the compact form (expandFITS) of its input, or the
// input itself when mode ≥ 128.
func FuzzReadFITS(f *testing.F) {
	img := []string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 2", "NAXIS1 = 4", "NAXIS2 = 4"}
	f.Add(compactFITS(img, f64le(zerosF64(16)...)), uint8(0))
	f.Add(compactFITS([]string{"SIMPLE = T", "BITPIX = 16", "NAXIS = 3", "NAXIS1 = 4", "NAXIS2 = 6", "NAXIS3 = 2", "BSCALE = 2.5", "BZERO = 1", "BLANK = -1"}, make([]byte, 96)), uint8(1))
	f.Add(compactFITS([]string{"SIMPLE = T", "BITPIX = 8", "NAXIS = 3", "NAXIS1 = 2", "NAXIS2 = 2", "NAXIS3 = 1", "NAXIS4 = 1"}, []byte{1, 2, 3, 4}), uint8(2))
	f.Add(compactFITS([]string{"SIMPLE = T", "BITPIX = 32", "NAXIS = 2", "NAXIS1 = 2", "NAXIS2 = 2", "GROUPS = T"}, make([]byte, 16)), uint8(3))
	ext := compactFITS([]string{"SIMPLE = T", "BITPIX = 8", "NAXIS = 0", "EXTEND = T"}, nil)
	ext = append(ext, hduMark...)
	ext = append(ext, compactFITS([]string{"XTENSION= 'BINTABLE'", "BITPIX = 8", "NAXIS = 2", "NAXIS1 = 8", "NAXIS2 = 1", "PCOUNT = 0", "GCOUNT = 1", "TFIELDS = 1"}, make([]byte, 8))...)
	ext = append(ext, hduMark...)
	ext = append(ext, compactFITS([]string{"XTENSION= 'IMAGE   '", "BITPIX = -32", "NAXIS = 2", "NAXIS1 = 2", "NAXIS2 = 2", "PCOUNT = 0", "GCOUNT = 1",
		"OBJECT  = 'a long string &'", "CONTINUE  'continued'", "HIERARCH ESO DET DIT = 1.5", "CDELT1 = 0.5D0"}, make([]byte, 16))...)
	f.Add(ext, uint8(0))
	f.Add(ext, uint8(8))
	f.Add([]byte("SIMPLE  =                    T"), uint8(128))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		if mode < 128 {
			data = expandFITS(data)
		}
		checkRead(t, "fuzz.fits", data, FormatFITS, mode)
	})
}

// TestExpandFITS checks that the compact seeds expand into valid files.
func TestExpandFITS(t *testing.T) {
	be := make([]byte, 8*16)
	for i, v := range withValue(16, 0, 1) {
		binary.BigEndian.PutUint64(be[8*i:], math.Float64bits(v))
	}
	img := compactFITS([]string{"SIMPLE = T", "BITPIX = -64", "NAXIS = 2", "NAXIS1 = 4", "NAXIS2 = 4"}, be)
	ext := append(compactFITS([]string{"SIMPLE = T", "BITPIX = 8", "NAXIS = 0"}, nil), hduMark...)
	ext = append(ext, compactFITS([]string{"XTENSION= 'IMAGE   '", "BITPIX = 8", "NAXIS = 2", "NAXIS1 = 2", "NAXIS2 = 2", "PCOUNT = 0", "GCOUNT = 1"}, []byte{1, 2, 3, 4})...)
	for _, c := range []struct {
		in   []byte
		want []float64
	}{{img, withValue(16, 0, 1)}, {ext, []float64{1, 2, 3, 4}}} {
		st, _, err := readBytes("x.fits", expandFITS(c.in), FormatFITS, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sameValues(t, "expanded", st.Data, c.want)
	}
}

func FuzzReadPNG(f *testing.F) {
	for _, img := range []image.Image{
		image.NewGray(image.Rect(0, 0, 4, 4)),
		image.NewGray16(image.Rect(0, 0, 8, 8)),
		image.NewNRGBA(image.Rect(0, 0, 4, 6)),
		image.NewRGBA64(image.Rect(0, 0, 2, 2)),
		image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White}),
	} {
		var b bytes.Buffer
		png.Encode(&b, img)
		f.Add(b.Bytes(), uint8(0))
	}
	f.Add(hugePNG(), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		checkRead(t, "fuzz.png", data, FormatPNG, mode)
	})
}

func FuzzReadText(f *testing.F) {
	f.Add([]byte("1 2\n3 4\n"), uint8(0))
	f.Add([]byte("# comment\n1,2,3,4\n5,6,7,8\n9,10,11,12\n13,14,15,16\n"), uint8(0))
	f.Add([]byte("1\t2 3\r\n4 5 6\r\n7 8 9\r\n"), uint8(1))
	f.Add([]byte("nan inf\n-inf 1e400\n"), uint8(2))
	f.Add([]byte("\xef\xbb\xbf0x1p-2, 1_0\n,\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		checkRead(t, "fuzz.txt", data, FormatText, mode)
	})
}
