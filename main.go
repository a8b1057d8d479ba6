// Command wcrglab is the WCRG Lab desktop application. It opens on the
// built-in demo: 256 φ⁴ fields of 32×32 at β = 0.68 ≈ β_c, made by
// `wcrg generate` (see README.md).
package main

import (
	_ "embed"

	"github.com/wcrglab/wcrg/app"
)

//go:embed testdata/phi4_L32_beta0.68.npy
var demoPhi4 []byte

func main() {
	app.Run(app.Demo{Name: "φ⁴, L = 32, β = 0.68 (built-in demo)", File: "phi4_L32_beta0.68.npy", Npy: demoPhi4, Kind: "phi4", Beta: 0.68})
}
