package lensing

import (
	"fmt"
	"math"
	"strings"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/pcg"
)

// Transform is the pointwise map applied to κ before fitting (spec §8).
type Transform string

// The pointwise transforms. Each has an exact inverse (Prep.Inverse).
const (
	// None keeps κ.
	None Transform = "none"
	// Sqrt is x = √(κ − κ_min), inverted by κ = x² + κ_min, with κ_min the
	// training data's minimum (the CSLC paper's choice, the default).
	Sqrt Transform = "sqrt"
	// Log is x = ln(κ − κ_min + ε) with ε = 10⁻³·std(κ), inverted by
	// κ = eˣ + κ_min − ε.
	Log Transform = "log"
)

// Transforms lists the transform names.
func Transforms() []Transform { return []Transform{None, Sqrt, Log} }

// PatchMode says how patches are cut from a map.
type PatchMode string

// The patch modes.
const (
	// Tile cuts ⌊L/P⌋² non-overlapping patches on a grid from the corner.
	Tile PatchMode = "tile"
	// Random cuts PatchesPerMap patches at positions uniform over the map
	// (not wrapping around its edge; patches may overlap), from a seeded
	// stream per map.
	Random PatchMode = "random"
)

// PrepSettings is what the user chooses about preprocessing.
type PrepSettings struct {
	// Downsample block-averages every map Downsample times by 2×2 (a factor
	// 2^Downsample per side).
	Downsample int `json:"downsample"`
	// Patch is the patch side after downsampling (a power of two ≥ 8;
	// 0 keeps whole maps).
	Patch         int       `json:"patch"`
	PatchMode     PatchMode `json:"patch_mode,omitempty"`      // Tile (default) or Random
	PatchesPerMap int       `json:"patches_per_map,omitempty"` // Random mode (≥ 1)
	Seed          uint64    `json:"seed,omitempty"`            // Random mode
	Transform     Transform `json:"transform"`
	// Standardize subtracts the training fields' mean and divides by their
	// standard deviation after the transform (spec §10, default for lensing).
	Standardize bool `json:"standardize"`
}

// DefaultPrepSettings returns the spec's defaults: no downsampling, whole
// maps, the square-root transform and standardization.
func DefaultPrepSettings() PrepSettings {
	return PrepSettings{PatchMode: Tile, Transform: Sqrt, Standardize: true}
}

// Validate checks the settings.
func (s PrepSettings) Validate() error {
	switch s.Transform {
	case None, Sqrt, Log:
	default:
		return fmt.Errorf("lensing: unknown transform %q (want none, sqrt or log)", string(s.Transform))
	}
	switch s.PatchMode {
	case "", Tile:
	case Random:
		if s.Patch > 0 && s.PatchesPerMap < 1 {
			return fmt.Errorf("lensing: random patches need at least 1 patch per map (got %d)", s.PatchesPerMap)
		}
	default:
		return fmt.Errorf("lensing: unknown patch mode %q (want tile or random)", string(s.PatchMode))
	}
	switch {
	case s.Downsample < 0 || s.Downsample > 10:
		return fmt.Errorf("lensing: downsampling %d times is out of range [0, 10]", s.Downsample)
	case s.Patch < 0 || (s.Patch > 0 && (s.Patch < 8 || s.Patch&(s.Patch-1) != 0)):
		return fmt.Errorf("lensing: patch side %d is not a power of two ≥ 8", s.Patch)
	}
	return nil
}

// Prep is a preprocessing fitted to a training set: the settings and the
// constants taken from the data. It is stored with a fitted model so that
// generated fields can be mapped back to κ.
type Prep struct {
	PrepSettings
	// KappaMin is the minimum κ of the training fields (after downsampling
	// and cutting; Apply refuses smaller values, so apply a Prep fitted on
	// patches to patches cut the same way).
	KappaMin float64 `json:"kappa_min"`
	// Epsilon is the Log transform's offset ε.
	Epsilon float64 `json:"epsilon,omitempty"`
	// Mean and Std standardize the transformed fields (0 and 1 when
	// Standardize is off).
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Downsample returns the stack block-averaged k times by 2×2.
func Downsample(s lattice.Stack, k int) (lattice.Stack, error) {
	if k < 0 || s.L>>k < 1 || s.L%(1<<k) != 0 {
		return lattice.Stack{}, fmt.Errorf("lensing: cannot downsample %d² maps %d times by 2", s.L, k)
	}
	for ; k > 0; k-- {
		h := s.L / 2
		out := lattice.NewStack(s.N, h)
		for i := 0; i < s.N; i++ {
			src, dst := s.Field(i).Data, out.Field(i).Data
			for r := 0; r < h; r++ {
				a, b := src[2*r*s.L:], src[(2*r+1)*s.L:]
				for c := 0; c < h; c++ {
					dst[r*h+c] = (a[2*c] + a[2*c+1] + b[2*c] + b[2*c+1]) / 4
				}
			}
		}
		s = out
	}
	return s, nil
}

// Patches cuts P×P patches from every map (tiles or seeded random
// positions; see PatchMode). Patches of map i come before those of map i+1.
func Patches(s lattice.Stack, P int, mode PatchMode, perMap int, seed uint64) (lattice.Stack, error) {
	if P < 1 {
		return lattice.Stack{}, fmt.Errorf("lensing: patch side %d < 1", P)
	}
	if mode == Random && perMap < 1 {
		return lattice.Stack{}, fmt.Errorf("lensing: random patches need at least 1 patch per map (got %d)", perMap)
	}
	if P > s.L {
		return lattice.Stack{}, fmt.Errorf("lensing: patch side %d is larger than the maps (%d²)", P, s.L)
	}
	type corner struct{ r, c int }
	var corners func(i int) []corner
	switch mode {
	case "", Tile:
		t := s.L / P
		corners = func(int) []corner {
			cs := make([]corner, 0, t*t)
			for r := 0; r < t; r++ {
				for c := 0; c < t; c++ {
					cs = append(cs, corner{r * P, c * P})
				}
			}
			return cs
		}
	case Random:
		corners = func(i int) []corner {
			src := pcg.Stream(seed, 0x7061746368, uint64(i)) // "patch"
			cs := make([]corner, perMap)
			for k := range cs {
				cs[k] = corner{src.Below(s.L - P + 1), src.Below(s.L - P + 1)}
			}
			return cs
		}
	default:
		return lattice.Stack{}, fmt.Errorf("lensing: unknown patch mode %q", string(mode))
	}
	out := lattice.NewStack(0, P)
	for i := 0; i < s.N; i++ {
		f := s.Field(i).Data
		for _, cr := range corners(i) {
			for r := 0; r < P; r++ {
				row := (cr.r + r) * s.L
				out.Data = append(out.Data, f[row+cr.c:row+cr.c+P]...)
			}
			out.N++
		}
	}
	return out, nil
}

// FitPrep downsamples and cuts the raw κ maps, takes the transform's
// constants (κ_min, ε, mean, std) from the result and returns the fitted
// Prep with the training fields.
func FitPrep(raw lattice.Stack, s PrepSettings) (Prep, lattice.Stack, error) {
	if err := s.Validate(); err != nil {
		return Prep{}, lattice.Stack{}, err
	}
	if s.PatchMode == "" {
		s.PatchMode = Tile
	}
	if raw.N < 1 {
		return Prep{}, lattice.Stack{}, fmt.Errorf("lensing: no maps to preprocess")
	}
	maps, err := Downsample(raw, s.Downsample)
	if err != nil {
		return Prep{}, lattice.Stack{}, err
	}
	if s.Patch > 0 {
		if maps, err = Patches(maps, s.Patch, s.PatchMode, s.PatchesPerMap, s.Seed); err != nil {
			return Prep{}, lattice.Stack{}, err
		}
	}
	for k, v := range maps.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Prep{}, lattice.Stack{}, fmt.Errorf("lensing: field %d has a non-finite value %g", k/(maps.L*maps.L), v)
		}
	}
	p := Prep{PrepSettings: s, KappaMin: math.Inf(1), Mean: 0, Std: 1}
	for _, v := range maps.Data {
		p.KappaMin = math.Min(p.KappaMin, v)
	}
	if s.Transform == Log {
		p.Epsilon = 1e-3 * lattice.Std(maps.Data)
		if !(p.Epsilon > 0) {
			return Prep{}, lattice.Stack{}, fmt.Errorf("lensing: the maps are constant: the log transform needs spread")
		}
	}
	out := lattice.StackOf(maps.N, maps.L, make([]float64, len(maps.Data)))
	if err := p.forward(out.Data, maps.Data); err != nil {
		return Prep{}, lattice.Stack{}, err
	}
	if s.Standardize {
		p.Mean, p.Std = lattice.Mean(out.Data), lattice.Std(out.Data)
		if !(p.Std > 0) {
			return Prep{}, lattice.Stack{}, fmt.Errorf("lensing: the transformed fields are constant: cannot standardize")
		}
		for k, v := range out.Data {
			out.Data[k] = (v - p.Mean) / p.Std
		}
	}
	return p, out, nil
}

// forward applies the pointwise transform (not the standardization).
func (p Prep) forward(dst, kappa []float64) error {
	for k, v := range kappa {
		switch p.Transform {
		case None:
			dst[k] = v
		case Sqrt:
			if v < p.KappaMin {
				return fmt.Errorf("lensing: κ = %g is below the transform's κ_min = %g", v, p.KappaMin)
			}
			dst[k] = math.Sqrt(v - p.KappaMin)
		case Log:
			if v-p.KappaMin+p.Epsilon <= 0 {
				return fmt.Errorf("lensing: κ = %g is below the log transform's range (κ_min − ε = %g)", v, p.KappaMin-p.Epsilon)
			}
			dst[k] = math.Log(v - p.KappaMin + p.Epsilon)
		}
	}
	return nil
}

// Apply maps κ fields (already downsampled and cut as the Prep says) to
// model fields: transform, then standardization.
func (p Prep) Apply(kappa lattice.Stack) (lattice.Stack, error) {
	out := lattice.StackOf(kappa.N, kappa.L, make([]float64, len(kappa.Data)))
	if err := p.forward(out.Data, kappa.Data); err != nil {
		return lattice.Stack{}, err
	}
	for k, v := range out.Data {
		out.Data[k] = (v - p.Mean) / p.Std
	}
	return out, nil
}

// Inverse maps model fields (for instance generated ones) back to κ: it
// undoes the standardization, then the transform. Every finite input has
// an image (the Sqrt inverse x² + κ_min is defined for negative x too).
func (p Prep) Inverse(x lattice.Stack) lattice.Stack {
	out := lattice.StackOf(x.N, x.L, make([]float64, len(x.Data)))
	for k, v := range x.Data {
		v = v*p.Std + p.Mean
		switch p.Transform {
		case Sqrt:
			v = v*v + p.KappaMin
		case Log:
			v = math.Exp(v) + p.KappaMin - p.Epsilon
		}
		out.Data[k] = v
	}
	return out
}

// Validate checks a Prep, for instance one read from a model file.
func (p Prep) Validate() error {
	if err := p.PrepSettings.Validate(); err != nil {
		return err
	}
	switch {
	case math.IsNaN(p.KappaMin) || math.IsInf(p.KappaMin, 0):
		return fmt.Errorf("lensing: preprocessing κ_min = %g is not finite", p.KappaMin)
	case p.Transform == Log && !(p.Epsilon > 0 && !math.IsInf(p.Epsilon, 0)):
		return fmt.Errorf("lensing: log transform offset ε = %g must be positive and finite", p.Epsilon)
	case math.IsNaN(p.Mean) || math.IsInf(p.Mean, 0) || !(p.Std > 0) || math.IsInf(p.Std, 0):
		return fmt.Errorf("lensing: standardization mean %g, std %g must be finite with std > 0", p.Mean, p.Std)
	}
	return nil
}

// PixelArcmin returns the pixel side in arcminutes given by a FITS header:
// CDELT2 or CDELT1 (in CUNITn, degrees when absent; arcmin and arcsec are
// understood), else ANGLE, the map side in degrees of the Columbia lensing
// simulations. ok is false when the header says nothing usable.
func PixelArcmin(info fieldio.Info) (arcmin float64, key string, ok bool) {
	for _, key := range []string{"CDELT2", "CDELT1"} {
		if v, found := info.HeaderFloat(key); found && v != 0 {
			switch strings.ToLower(strings.TrimSpace(info.Header["CUNIT"+key[5:]])) {
			case "", "deg":
				return math.Abs(v) * 60, key, true
			case "arcmin":
				return math.Abs(v), key, true
			case "arcsec":
				return math.Abs(v) / 60, key, true
			}
		}
	}
	if v, found := info.HeaderFloat("ANGLE"); found && v > 0 && len(info.Shape) >= 2 {
		return 60 * v / float64(info.Shape[len(info.Shape)-1]), "ANGLE", true
	}
	return 0, "", false
}
