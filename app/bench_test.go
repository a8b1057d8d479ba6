package app

import (
	"context"
	"testing"

	"github.com/wcrglab/wcrg/engine/fieldio"
)

// BenchmarkLensingMap1024 measures what the app does when a user opens a
// 1024² weak-lensing FITS map and looks at its 6-level decomposition: read
// the file, estimate γ_j, decompose, and render the mosaic and the coarse
// fields (issue 7 asks for under 1 s).
func BenchmarkLensingMap1024(b *testing.B) {
	const path = "../testdata/lensing/lognormal_1024.fits"
	for b.Loop() {
		st, info, err := fieldio.Read(path, fieldio.Options{})
		if err != nil {
			b.Fatal(err)
		}
		d := newFileDataset(path, st, info)
		if _, err := computeWavelets(context.Background(), d, "db4", 6, gammaUnit, 0.5, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
