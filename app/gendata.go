package app

import (
	"context"
	"fmt"
	"math"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/ising"
	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/phi4"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// genDataForm is the "Generate data" form: φ⁴ or Gaussian fields drawn by
// independent Monte Carlo chains spaced by 2 τ_int (engine/phi4), Ising
// spins drawn the same way (engine/ising) and coarse-grained by db4 levels
// (the discrete finest scale is not fitted: the WC-RG route for Ising data),
// or synthetic shifted-lognormal weak-lensing κ maps (engine/lensing).
type genDataForm struct {
	model                 *widget.RadioGroup
	L                     *widget.Select
	beta, mass            *widget.Entry
	sigma, shift, sizeDeg *widget.Entry // lensing
	n, seed               *widget.Entry
	sampler               *widget.Select
	isingBeta             *widget.Entry
	isingSampler          *widget.Select
	isingFinest           *widget.Select // what becomes of the ±1 spins: dequantized, coarse-grained or kept
}

// The data kinds of the form.
const (
	genPhi4    = "φ⁴"
	genGauss   = "Gaussian free field"
	genLensing = "Lensing κ (lognormal)"
	genIsing   = "Ising"
)

// Choices of the Ising data's finest scale (the "Finest scale (Ising)" field).
var isingFinestChoices = []string{
	fmt.Sprintf("dequantized, noise σ = %g (for WC-RG)", ising.DefaultDequantizeSigma),
	"coarse-grained by 1 db4 level",
	"coarse-grained by 2 db4 levels",
	"coarse-grained by 3 db4 levels",
	"±1 spins as drawn",
}

// isingFinest is what the Generate-data form does to Ising spins: add
// Gaussian noise of std Sigma (ising.Dequantize), or coarse-grain them by
// Levels db4 levels, or neither.
type isingFinest struct {
	Sigma  float64
	Levels int
}

// parseIsingFinest reads one of isingFinestChoices; anything else (no
// choice, or a remembered one that no longer exists) is the default,
// dequantization.
func parseIsingFinest(choice string) isingFinest {
	switch i := slices.Index(isingFinestChoices, choice); {
	case i >= 1 && i <= 3:
		return isingFinest{Levels: i}
	case i == len(isingFinestChoices)-1:
		return isingFinest{}
	}
	return isingFinest{Sigma: ising.DefaultDequantizeSigma}
}

func newGenDataForm() *genDataForm {
	d := lensing.DefaultSynthSettings()
	f := &genDataForm{
		model:   widget.NewRadioGroup([]string{genPhi4, genGauss, genIsing, genLensing}, nil),
		sigma:   floatEntry(d.Sigma, 1e-6, 10),
		shift:   floatEntry(d.Shift, 1e-6, 100),
		sizeDeg: floatEntry(d.FieldDeg, 0.01, 90),
		L:       widget.NewSelect([]string{"8", "16", "32", "64", "128"}, nil),
		beta:    floatEntry(0.68, 0.01, 5),
		mass:    floatEntry(0.25, 0.001, 10),
		n:       intEntry(256, 2, 100000),
		seed:    intEntry(1, 0, 1<<31-1),
		sampler: widget.NewSelect([]string{"cluster", "metropolis", "hmc"}, nil),
		// β_c = ½ ln(1+√2) to the digits an entry shows.
		isingBeta:    floatEntry(math.Round(ising.BetaC*1e6)/1e6, 0.01, 5),
		isingSampler: widget.NewSelect([]string{string(ising.AlgWolff), string(ising.AlgSwendsenWang), string(ising.AlgMetropolis)}, nil),
		isingFinest:  widget.NewSelect(isingFinestChoices, nil),
	}
	f.isingSampler.SetSelected(string(ising.AlgWolff))
	f.isingFinest.SetSelected(isingFinestChoices[0])
	f.model.SetSelected(genPhi4)
	f.model.Horizontal = true
	f.L.SetSelected("32")
	f.sampler.SetSelected("cluster")
	return f
}

func (f *genDataForm) items() []*widget.FormItem {
	return []*widget.FormItem{
		widget.NewFormItem("Model", f.model),
		widget.NewFormItem("Lattice side L (Ising: of the spins)", f.L),
		widget.NewFormItem("β (φ⁴; β_c ≈ 0.68)", f.beta),
		widget.NewFormItem("mass m (Gaussian; ξ = 1/m)", f.mass),
		widget.NewFormItem("σ_κ (lensing)", f.sigma),
		widget.NewFormItem("shift λ, κ ≥ −λ (lensing)", f.shift),
		widget.NewFormItem("map side, degrees (lensing)", f.sizeDeg),
		widget.NewFormItem("Fields", f.n),
		widget.NewFormItem("Sampler (φ⁴, Gaussian)", f.sampler),
		widget.NewFormItem("β (Ising; β_c ≈ 0.4407)", f.isingBeta),
		widget.NewFormItem("Sampler (Ising)", f.isingSampler),
		widget.NewFormItem("Finest scale (Ising)", f.isingFinest),
		widget.NewFormItem("Seed", f.seed),
	}
}

// lensingSettings returns the synthesis settings of the form (lensing maps).
func (f *genDataForm) lensingSettings() (lensing.SynthSettings, string, error) {
	s := lensing.DefaultSynthSettings()
	fmt.Sscan(f.L.Selected, &s.L)
	var err error
	for _, r := range []struct {
		name string
		e    *widget.Entry
		dst  *float64
	}{{"σ_κ", f.sigma, &s.Sigma}, {"shift λ", f.shift, &s.Shift}, {"map side", f.sizeDeg, &s.FieldDeg}} {
		if *r.dst, err = readFloat(r.name, r.e); err != nil {
			return s, "", err
		}
	}
	if s.N, err = readInt("fields", f.n); err != nil {
		return s, "", err
	}
	seed, err := readInt("seed", f.seed)
	if err != nil {
		return s, "", err
	}
	s.Seed = uint64(seed)
	name := fmt.Sprintf("lognormal κ, %d² on %g°, σ_κ = %g, λ = %g (seed %d)", s.L, s.FieldDeg, s.Sigma, s.Shift, seed)
	return s, name, s.Validate()
}

// settings returns the model and data-set settings of the form (φ⁴ and
// Gaussian fields).
func (f *genDataForm) settings() (phi4.Model, phi4.DatasetSettings, string, error) {
	var L int
	fmt.Sscan(f.L.Selected, &L)
	n, err := readInt("fields", f.n)
	if err != nil {
		return nil, phi4.DatasetSettings{}, "", err
	}
	seed, err := readInt("seed", f.seed)
	if err != nil {
		return nil, phi4.DatasetSettings{}, "", err
	}
	set := phi4.DatasetSettings{Algorithm: phi4.Algorithm(f.sampler.Selected), Samples: n, Seed: uint64(seed)}
	var m phi4.Model
	var name string
	if f.model.Selected == genPhi4 {
		beta, err := readFloat("β", f.beta)
		if err != nil {
			return nil, set, "", err
		}
		m, name = phi4.Phi4{L: L, Beta: beta}, fmt.Sprintf("φ⁴, L = %d, β = %g (%s, seed %d)", L, beta, set.Algorithm, seed)
	} else {
		mass, err := readFloat("mass", f.mass)
		if err != nil {
			return nil, set, "", err
		}
		m, name = phi4.Gaussian{L: L, Mass: mass}, fmt.Sprintf("Gaussian, L = %d, m = %g (%s, seed %d)", L, mass, set.Algorithm, seed)
	}
	if err := m.Validate(); err != nil {
		return nil, set, "", err
	}
	return m, set, name, set.Validate()
}

// generateDataDialog shows the form and generates the data in a job.
func (a *App) generateDataDialog() {
	f := newGenDataForm()
	a.remember("gendata", remembered{"model", f.model}, remembered{"L", f.L}, remembered{"beta", f.beta}, remembered{"mass", f.mass},
		remembered{"sigma", f.sigma}, remembered{"shift", f.shift}, remembered{"sizeDeg", f.sizeDeg}, remembered{"n", f.n},
		remembered{"sampler", f.sampler}, remembered{"seed", f.seed}, remembered{"isingBeta", f.isingBeta},
		remembered{"isingSampler", f.isingSampler}, remembered{"isingFinest", f.isingFinest})
	d := dialog.NewForm("Generate data", "Generate", "Cancel", f.items(), func(ok bool) {
		if ok {
			a.GenerateData(f)
		}
	}, a.win)
	d.Resize(fyne.NewSize(560, 560))
	d.Show()
}

// GenerateData runs the form's data set in a job with live progress and
// makes it the current data.
func (a *App) GenerateData(f *genDataForm) {
	switch f.model.Selected {
	case genLensing:
		a.generateLensing(f)
		return
	case genIsing:
		a.generateIsing(f)
		return
	}
	m, set, name, err := f.settings()
	if err != nil {
		a.showError(err)
		return
	}
	a.jobs.Start("load", "Generate data", func(ctx context.Context, report func(Progress)) (func(), error) {
		st, rep, err := phi4.MakeStack(ctx, m, set, func(p phi4.DatasetProgress) {
			frac := 0.0
			if p.Phase == phi4.DatasetSampling && p.Total > 0 {
				frac = float64(p.Done) / float64(p.Total)
			}
			text := fmt.Sprintf("%s %d/%d", p.Phase, p.Done, p.Total)
			if p.Interval > 0 {
				text += fmt.Sprintf(", τ_int %.1f sweeps, one field every %d sweeps", p.Tau, p.Interval)
			}
			report(Progress{Fraction: frac, Text: text})
		})
		if err != nil {
			return nil, err
		}
		kind, beta := "gaussian", 0.0
		if p, ok := m.(phi4.Phi4); ok {
			kind, beta = "phi4", p.Beta
		}
		d := &Dataset{Name: name, Stack: st, Kind: kind, Beta: beta,
			Notes: []string{fmt.Sprintf("τ_int(|m|) = %.2f ± %.2f, τ_int(E) = %.2f sweeps; one field every %d sweeps; %d chains", rep.TauAbsM, rep.TauAbsMErr, rep.TauEnergy, rep.Interval, rep.Chains)}}
		d.Notes = append(d.Notes, rep.Warnings...)
		return func() { a.state.SetData(d) }, nil
	})
}

// generateLensing synthesizes the form's lensing maps in a job.
func (a *App) generateLensing(f *genDataForm) {
	set, name, err := f.lensingSettings()
	if err != nil {
		a.showError(err)
		return
	}
	a.jobs.Start("load", "Synthesize lensing maps", func(ctx context.Context, report func(Progress)) (func(), error) {
		st, rep, err := lensing.Synthesize(ctx, set, func(done, total int) {
			report(Progress{Fraction: float64(done) / float64(total), Text: fmt.Sprintf("map %d/%d", done, total)})
		})
		if err != nil {
			return nil, err
		}
		d := &Dataset{Name: name, Stack: st, Kind: "lensing",
			Notes: []string{fmt.Sprintf("pixel %.4g′; Gaussian field σ_g = %.4g; ΛCDM-like spectrum (ℓ_k = %g)", rep.PixelArcmin, rep.SigmaG, set.Spectrum.LKnee)}}
		if rep.ClippedPower > 1e-3 {
			d.Notes = append(d.Notes, fmt.Sprintf("%.2g of the Gaussian field's spectral power was negative and dropped: the κ spectrum falls short of the target", rep.ClippedPower))
		}
		return func() { a.state.SetData(d) }, nil
	})
}

// isingSettings returns the Ising model, data-set settings, sampler and
// treatment of the finest scale of the form.
func (f *genDataForm) isingSettings() (ising.Model, ising.Algorithm, phi4.DatasetSettings, isingFinest, error) {
	var m ising.Model
	fmt.Sscan(f.L.Selected, &m.L)
	fin := parseIsingFinest(f.isingFinest.Selected)
	var err error
	if m.Beta, err = readFloat("Ising β", f.isingBeta); err != nil {
		return m, "", phi4.DatasetSettings{}, fin, err
	}
	n, err := readInt("fields", f.n)
	if err != nil {
		return m, "", phi4.DatasetSettings{}, fin, err
	}
	seed, err := readInt("seed", f.seed)
	if err != nil {
		return m, "", phi4.DatasetSettings{}, fin, err
	}
	if fin.Levels > 0 && fin.Levels >= wavelet.MaxLevels(m.L) {
		return m, "", phi4.DatasetSettings{}, fin, fmt.Errorf("coarse-graining: %d levels of %d×%d spins would leave fields of side %d (at most %d levels)", fin.Levels, m.L, m.L, m.L>>fin.Levels, wavelet.MaxLevels(m.L)-1)
	}
	set := phi4.DatasetSettings{Samples: n, Seed: uint64(seed)}
	if err := m.Validate(); err != nil {
		return m, "", set, fin, err
	}
	// The run settings are checked by ising.MakeStack (their Algorithm
	// field is phi4's and unused here).
	return m, ising.Algorithm(f.isingSampler.Selected), set, fin, nil
}

// generateIsing draws the form's Ising configurations in a job and
// dequantizes them, or coarse-grains them (db4, γ = 1) by the chosen
// number of levels, or keeps them.
func (a *App) generateIsing(f *genDataForm) {
	m, alg, set, fin, err := f.isingSettings()
	if err != nil {
		a.showError(err)
		return
	}
	a.jobs.Start("load", "Generate Ising data", func(ctx context.Context, report func(Progress)) (func(), error) {
		st, rep, err := ising.MakeStack(ctx, m, alg, set, func(p phi4.DatasetProgress) {
			frac := 0.0
			if p.Phase == phi4.DatasetSampling && p.Total > 0 {
				frac = float64(p.Done) / float64(p.Total)
			}
			report(Progress{Fraction: frac, Text: fmt.Sprintf("%s %d/%d", p.Phase, p.Done, p.Total)})
		})
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("Ising spins, L = %d, β = %g (%s, seed %d)", m.L, m.Beta, alg, set.Seed)
		notes := []string{fmt.Sprintf("τ_int(|m|) = %.2f ± %.2f sweeps; one field every %d sweeps; %d chains", rep.TauAbsM, rep.TauAbsMErr, rep.Interval, rep.Chains)}
		switch {
		case fin.Sigma > 0:
			// The noise stream follows the data seed, as in
			// 'wcrg dequantize --seed'.
			if st, err = ising.Dequantize(st, fin.Sigma, set.Seed); err != nil {
				return nil, err
			}
			name = fmt.Sprintf("Ising, L = %d, β = %g, dequantized with σ = %g (%s, seed %d)", m.L, m.Beta, fin.Sigma, alg, set.Seed)
			notes = append(notes, fmt.Sprintf("±1 spins plus Gaussian noise of std %g, so that WC-RG has a density to fit (Estimate tab: Ising settings; judge the first coarse scale); sign(φ) gives the spins back", fin.Sigma))
		case fin.Levels > 0:
			report(Progress{Fraction: 1, Text: "coarse-graining"})
			db4, err := wavelet.New("db4")
			if err != nil {
				return nil, err
			}
			if st, err = wavelet.CoarseGrain(db4, st, fin.Levels, 0); err != nil {
				return nil, err
			}
			name = fmt.Sprintf("Ising, L = %d, β = %g, coarse-grained by %d db4 levels to %d² (%s, seed %d)", m.L, m.Beta, fin.Levels, st.L, alg, set.Seed)
			notes = append(notes, fmt.Sprintf("the ±1 spins were coarse-grained by %d levels of the db4 low-pass (γ = 1); WC-RG fits them, but generated fields miss the data's spectrum by 9–12 %% (dequantized spins come closer)", fin.Levels))
		default:
			notes = append(notes, "±1 spins: a discrete finest scale, which WC-RG's continuous conditionals do not model; dequantize (or coarse-grain) before fitting")
		}
		notes = append(notes, rep.Warnings...)
		d := &Dataset{Name: name, Stack: st, Kind: "ising", Beta: m.Beta, Notes: notes}
		return func() { a.state.SetData(d) }, nil
	})
}
