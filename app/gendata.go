package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/phi4"
)

// genDataForm is the "Generate data" form: φ⁴ or Gaussian fields drawn by
// independent Monte Carlo chains spaced by 2 τ_int (engine/phi4).
type genDataForm struct {
	model      *widget.RadioGroup
	L          *widget.Select
	beta, mass *widget.Entry
	n, seed    *widget.Entry
	sampler    *widget.Select
}

func newGenDataForm() *genDataForm {
	f := &genDataForm{
		model:   widget.NewRadioGroup([]string{"φ⁴", "Gaussian free field"}, nil),
		L:       widget.NewSelect([]string{"8", "16", "32", "64", "128"}, nil),
		beta:    floatEntry(0.68, 0.01, 5),
		mass:    floatEntry(0.25, 0.001, 10),
		n:       intEntry(256, 2, 100000),
		seed:    intEntry(1, 0, 1<<31-1),
		sampler: widget.NewSelect([]string{"cluster", "metropolis", "hmc"}, nil),
	}
	f.model.SetSelected("φ⁴")
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
		widget.NewFormItem("Fields", f.n),
		widget.NewFormItem("Sampler", f.sampler),
		widget.NewFormItem("Seed", f.seed),
	}
}

// settings returns the model and data-set settings of the form.
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
	if f.model.Selected == "φ⁴" {
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
