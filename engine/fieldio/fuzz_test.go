package fieldio

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

func addTestdata(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join(testdata, pattern))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, uint8(0))
		}
	}
}

func FuzzReadNpy(f *testing.F) {
	addTestdata(f, "*.npy")
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4, 6), }", f64le(zerosF64(72)...)), uint8(1))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 4, 4), }", f64le(zerosF64(32)...)), uint8(2))
	f.Add(npyFile(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (5, 5), }", make([]byte, 100)), uint8(3))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 65536, 65536), }", nil), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		checkRead(t, "fuzz.npy", data, FormatNpy, mode)
	})
}

func FuzzReadFITS(f *testing.F) {
	addTestdata(f, "*.fits")
	f.Add(fitsFile(fitsImage8x8, true, f64le(zerosF64(64)...)), uint8(0))
	f.Add(fitsFile([]string{"SIMPLE = T", "BITPIX = 16", "NAXIS = 3", "NAXIS1 = 4", "NAXIS2 = 6", "NAXIS3 = 2", "BSCALE = 2.5", "BZERO = 1", "BLANK = -1"}, true, make([]byte, 96)), uint8(1))
	f.Add(fitsFile([]string{"SIMPLE = T", "BITPIX = 8", "NAXIS = 0", "EXTEND = T"}, true, nil), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		checkRead(t, "fuzz.fits", data, FormatFITS, mode)
	})
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
