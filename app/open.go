package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/lensing"
)

// dataExtensions are the field file types the Open dialog offers.
var dataExtensions = []string{".npy", ".fits", ".fit", ".fts", ".png", ".csv", ".txt", ".dat"}

// recentKey is the preference holding recently opened data files.
const recentKey = "recentData"

// openDataDialog asks for a field file and loads it.
func (a *App) openDataDialog() {
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
		a.LoadFile(path, fieldio.Options{})
	}, a.win)
	d.SetFilter(storage.NewExtensionFileFilter(dataExtensions))
	d.Show()
}

// LoadFile reads a field file in a job and makes it the current data. When
// the fields are not power-of-two squares, it asks whether to crop them
// (the choice is the user's, never silent).
func (a *App) LoadFile(path string, opt fieldio.Options) {
	a.jobs.Start("load", "Load "+filepath.Base(path), func(ctx context.Context, report func(Progress)) (func(), error) {
		st, info, err := fieldio.Read(path, opt)
		if err != nil {
			if !opt.Crop && opt.PatchSize == 0 && strings.Contains(err.Error(), "Options.Crop") {
				msg := strings.NewReplacer("; choose", ".\n\nChoose", "Options.Crop", "Crop", "Options.PatchSize = P", "patches").Replace(err.Error())
				return func() {
					dialog.ShowConfirm("Fields are not power-of-two squares", msg+"\n\nCrop every field to its centred power-of-two square?",
						func(ok bool) {
							if ok {
								a.LoadFile(path, fieldio.Options{Crop: true})
							}
						}, a.win)
				}, nil
			}
			return nil, err
		}
		d := newFileDataset(path, st, info)
		return func() {
			a.state.SetData(d)
			a.addRecent(path)
		}, nil
	})
}

// newFileDataset describes fields read from path. A FITS header that gives
// the pixel scale (CDELT or the lensing simulations' ANGLE) marks weak-lensing
// maps: the pixel and field sizes go into the notes.
func newFileDataset(path string, st *lattice.Stack, info fieldio.Info) *Dataset {
	d := &Dataset{Name: filepath.Base(path), Source: path, Stack: *st, SHA256: info.SHA256,
		Notes: []string{fmt.Sprintf("%s, stored shape %v, %s", info.Format, info.Shape, info.Dtype)}}
	if info.Fix != "" {
		d.Notes = append(d.Notes, info.Fix)
	}
	if pix, key, ok := lensing.PixelArcmin(info); ok && info.Format == fieldio.FormatFITS {
		d.Kind, d.PixelArcmin = "lensing", pix
		side := pix * float64(info.Shape[len(info.Shape)-1]) / 60
		d.Notes = append(d.Notes, fmt.Sprintf("pixel %.4g′, map %.4g° × %.4g° (FITS %s)", pix, side, side, key))
	}
	readSidecar(d, path)
	return d
}

// readSidecar adds to d what the JSON document that WCRG Lab's commands
// write beside a field file says: the generator and its β (`wcrg generate`;
// for `wcrg coarsen` and `wcrg dequantize` of such data only Ising keeps
// its kind), or the lensing
// preprocessing, the pixel scale and how many patches each map gave (`wcrg
// lensing prep`, `wcrg lensing synth`). A sidecar that does not describe
// the file is ignored; one whose counts disagree with the file is noted,
// not trusted.
func readSidecar(d *Dataset, path string) {
	type generated struct {
		Model   string  `json:"model"`
		Beta    float64 `json:"beta"`
		Command string  `json:"command"`
	}
	var gen generated
	var coarse struct {
		Levels  int        `json:"levels"`
		Wavelet string     `json:"wavelet"`
		Source  *generated `json:"source_dataset"`
		Command string     `json:"command"`
	}
	var dequantized struct {
		Sigma   float64    `json:"sigma"`
		Source  *generated `json:"source_dataset"`
		Command string     `json:"command"`
	}
	var prep struct {
		Prep        lensing.Prep `json:"prep"`
		Fields      int          `json:"fields"`
		Maps        int          `json:"maps"`
		PixelArcmin float64      `json:"pixel_arcmin"`
		Command     string       `json:"command"`
	}
	var maps struct {
		PixelArcmin float64 `json:"pixel_arcmin"`
		Command     string  `json:"command"`
	}
	command := func(c string) {
		if c != "" {
			d.Notes = append(d.Notes, "data: "+c)
		}
	}
	pixel := func(arcmin float64) {
		// The FITS header, read first, wins; a sidecar's 0 means unknown.
		if arcmin > 0 && d.PixelArcmin == 0 {
			d.PixelArcmin = arcmin
			d.Notes = append(d.Notes, fmt.Sprintf("pixel %.4g′", arcmin))
		}
	}
	switch {
	case fieldio.ReadSidecar(path, "wcrg-lab/dataset/v1", &gen):
		d.Kind, d.Beta = gen.Model, gen.Beta
		command(gen.Command)
	case fieldio.ReadSidecar(path, "wcrg-lab/coarse/v1", &coarse):
		// Coarse-grained φ⁴ is not φ⁴ at its β (the Hamiltonian tab would
		// overlay the microscopic terms); coarse-grained Ising is one way the
		// app's own Generate-data form makes Ising data.
		if src := coarse.Source; src != nil {
			if src.Model == "ising" {
				d.Kind, d.Beta = src.Model, src.Beta
			}
			command(src.Command)
		}
		d.Notes = append(d.Notes, fmt.Sprintf("coarse-grained by %d %s levels", coarse.Levels, coarse.Wavelet))
		command(coarse.Command)
	case fieldio.ReadSidecar(path, "wcrg-lab/dequantized/v1", &dequantized):
		// Dequantized spins keep their model and β ('wcrg dequantize');
		// noise on continuous fields makes them another model.
		if src := dequantized.Source; src != nil {
			if src.Model == "ising" {
				d.Kind, d.Beta = src.Model, src.Beta
			}
			command(src.Command)
		}
		d.Notes = append(d.Notes, fmt.Sprintf("dequantized: Gaussian noise of std %g added", dequantized.Sigma))
		command(dequantized.Command)
	case fieldio.ReadSidecar(path, "wcrg-lab/lensing-fields/v1", &prep):
		if err := prep.Prep.Validate(); err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("%s: %v; preprocessing not recorded", fieldio.SidecarPath(path), err))
			return
		}
		d.Kind, d.Lensing = "lensing", &prep.Prep
		command(prep.Command)
		pixel(prep.PixelArcmin)
		switch {
		case prep.Maps > 0 && prep.Fields == d.Stack.N && prep.Fields%prep.Maps == 0:
			if k := prep.Fields / prep.Maps; k > 1 {
				d.FieldsPerMap = k
				d.Notes = append(d.Notes, fmt.Sprintf("%d patches of each of %d maps", k, prep.Maps))
			}
		case prep.Maps > 0:
			d.Notes = append(d.Notes, fmt.Sprintf("%s says %d fields of %d maps, the file has %d: patches treated as independent", fieldio.SidecarPath(path), prep.Fields, prep.Maps, d.Stack.N))
		}
	case fieldio.ReadSidecar(path, "wcrg-lab/lensing-maps/v1", &maps):
		d.Kind = "lensing"
		command(maps.Command)
		pixel(maps.PixelArcmin)
	}
}

// addRecent records path at the front of the recent-files preference.
func (a *App) addRecent(path string) {
	p := a.fyne.Preferences()
	list := []string{path}
	for _, q := range p.StringList(recentKey) {
		if q != path && len(list) < 8 {
			list = append(list, q)
		}
	}
	p.SetStringList(recentKey, list)
	a.win.SetMainMenu(a.mainMenu())
}

// recentMenu lists the recently opened data files.
func (a *App) recentMenu() *fyne.MenuItem {
	it := fyne.NewMenuItem("Open recent", nil)
	var items []*fyne.MenuItem
	for _, p := range a.fyne.Preferences().StringList(recentKey) {
		items = append(items, fyne.NewMenuItem(p, func() { a.LoadFile(p, fieldio.Options{}) }))
	}
	if len(items) == 0 {
		it.Disabled = true
	}
	it.ChildMenu = fyne.NewMenu("", items...)
	return it
}

// onDropped loads the first dropped file.
func (a *App) onDropped(_ fyne.Position, uris []fyne.URI) {
	if len(uris) > 0 {
		a.LoadFile(uris[0].Path(), fieldio.Options{})
	}
}
