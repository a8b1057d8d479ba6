package fieldio_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
)

func ExampleRead() {
	st, info, err := fieldio.Read("../../testdata/fieldio/ext.fits", fieldio.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	scale, _ := info.HeaderFloat("CDELT2")
	fmt.Printf("%d field(s) of %d×%d from HDU %d (%s), %s per pixel: %g\n",
		st.N, st.L, st.L, info.HDU, info.Dtype, info.Header["CUNIT1"], scale)

	// A non-power-of-two field is refused unless a fix is chosen.
	dir, _ := os.MkdirTemp("", "fieldio")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "map.csv")
	os.WriteFile(path, []byte("1,2,3\n4,5,6\n7,8,9\n"), 0o644)
	if _, _, err := fieldio.Read(path, fieldio.Options{}); err != nil {
		fmt.Println("refused")
	}
	st, info, _ = fieldio.Read(path, fieldio.Options{Crop: true})
	fmt.Println(st.Data, info.Fix)
	// Output:
	// 1 field(s) of 8×8 from HDU 2 (BITPIX -32), deg per pixel: 0.0125
	// refused
	// [1 2 4 5] cropped each 3×3 field to its centred 2×2 square (rows 0–1, columns 0–1)
}

func ExampleNpyWriter() {
	dir, _ := os.MkdirTemp("", "fieldio")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "samples.npy")
	w, err := fieldio.CreateNpy(path, 4, fieldio.Float64)
	if err != nil {
		fmt.Println(err)
		return
	}
	f := lattice.NewField(4)
	for i := 0; i < 3; i++ {
		f.Data[0] = float64(i)
		if err := w.Append(f); err != nil { // the file is a valid .npy after each Append
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	st, info, _ := fieldio.Read(path, fieldio.Options{})
	fmt.Println(st.N, st.L, info.Shape, info.Dtype)
	// Output: 3 4 [3 4 4] <f8
}
