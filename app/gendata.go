package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/phi4"
)

// genDataForm is the "Generate data" form: φ⁴ or Gaussian fields drawn by
// independent Monte Carlo chains spaced by 2 τ_int (engine/phi4), or
// synthetic shifted-lognormal weak-lensing κ maps (engine/lensing).
type genDataForm struct {
	model                 *widget.RadioGroup
	L                     *widget.Select
	beta, mass            *widget.Entry
	sigma, shift, sizeDeg *widget.Entry // lensing
	n, seed               *widget.Entry
	sampler               *widget.Select
}

// The data kinds of the form.
const (
	genPhi4    = "φ⁴"
	genGauss   = "Gaussian free field"
	genLensing = "Lensing κ (lognormal)"
)

func newGenDataForm() *genDataForm {
	d := lensing.DefaultSynthSettings()
	f := &genDataForm{
		model:   widget.NewRadioGroup([]string{genPhi4, genGauss, genLensing}, nil),
		sigma:   floatEntry(d.Sigma, 1e-6, 10),
		shift:   floatEntry(d.Shift, 1e-6, 100),
		sizeDeg: floatEntry(d.FieldDeg, 0.01, 90),
		L:       widget.NewSelect([]string{"8", "16", "32", "64", "128"}, nil),
		beta:    floatEntry(0.68, 0.01, 5),
		mass:    floatEntry(0.25, 0.001, 10),
		n:       intEntry(256, 2, 100000),
		seed:    intEntry(1, 0, 1<<31-1),
		sampler: widget.NewSelect([]string{"cluster", "metropolis", "hmc"}, nil),
	}
	f.model.SetSelected(genPhi4)
	f.model.Horizontal = true
	f.L.SetSelected("32")
	f.sampler.SetSelected("cluster")
	return f
}

func (f *genDataForm) items() []*widget.FormItem {
	return []*widget.FormItem{
		widget.NewFormItem("Model", f.model),
		widget.NewFormItem("Lattice side L", f.L),
		widget.NewFormItem("β (φ⁴; β_c ≈ 0.68)", f.beta),
		widget.NewFormItem("mass m (Gaussian; ξ = 1/m)", f.mass),
		widget.NewFormItem("σ_κ (lensing)", f.sigma),
		widget.NewFormItem("shift λ, κ ≥ −λ (lensing)", f.shift),
		widget.NewFormItem("map side, degrees (lensing)", f.sizeDeg),
		widget.NewFormItem("Fields", f.n),
		widget.NewFormItem("Sampler (φ⁴, Gaussian)", f.sampler),
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
		remembered{"sampler", f.sampler}, remembered{"seed", f.seed})
	d := dialog.NewForm("Generate data", "Generate", "Cancel", f.items(), func(ok bool) {
		if ok {
			a.GenerateData(f)
		}
	}, a.win)
	d.Resize(fyne.NewSize(520, 420))
	d.Show()
}

// GenerateData runs the form's data set in a job with live progress and
// makes it the current data.
func (a *App) GenerateData(f *genDataForm) {
	if f.model.Selected == genLensing {
		a.generateLensing(f)
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
