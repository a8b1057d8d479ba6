package app

import (
	"context"
	"fmt"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/wcrglab/wcrg/engine/wcrg"
)

// openModelDialog asks for a model file and loads it.
func (a *App) openModelDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		a.LoadModel(path)
	}, a.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Show()
}

// LoadModel reads and validates a model file in a job.
func (a *App) LoadModel(path string) {
	a.jobs.Start("model", "Open model "+filepath.Base(path), func(ctx context.Context, report func(Progress)) (func(), error) {
		m, err := wcrg.Load(path)
		if err != nil {
			return nil, err
		}
		return func() { a.state.SetModel(m, path) }, nil
	})
}

// saveModelDialog asks for a file name and saves the current model there.
func (a *App) saveModelDialog() {
	m := a.state.Model
	if m == nil {
		a.showError(fmt.Errorf("no model to save: fit one in the Estimate tab first"))
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if w == nil {
			return
		}
		// The model goes into the very file the dialog created (or emptied,
		// after asking), whatever its name, so that no empty file is left.
		path := w.URI().Path()
		w.Close()
		a.SaveModel(path)
	}, a.win)
	d.SetFileName("model.json")
	d.Show()
}

// SaveModel writes the current model to path atomically in a job.
func (a *App) SaveModel(path string) {
	m := a.state.Model
	a.jobs.Start("model", "Save model "+filepath.Base(path), func(ctx context.Context, report func(Progress)) (func(), error) {
		if err := m.Save(path); err != nil {
			return nil, err
		}
		return func() { a.state.ModelPath = path }, nil
	})
}
