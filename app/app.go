// Package app is the WCRG Lab desktop GUI: one window with a tab per step of
// the method, a job runner that keeps computation off the UI goroutine, and
// menus to open data and export figures.
package app

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/wcrglab/wcrg/engine/fieldio"
	"github.com/wcrglab/wcrg/engine/gaussfield"
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/plots"
)

// AppID is the application identifier (also in FyneApp.toml).
const AppID = "io.github.wcrglab.wcrg"

// App is the running application: its window, state, job runner and tabs.
type App struct {
	fyne  fyne.App
	win   fyne.Window
	state *State
	jobs  *Jobs
	tabs  *container.AppTabs

	data     *dataTab
	wavelets *waveletTab
	estimate *estimateTab
	generate *generateTab
	csd      *csdTab
	ham      *hamiltonianTab

	demo Demo // the built-in data; a Gaussian demo is made when it is empty
}

// Demo is a built-in data set: a .npy file held in memory.
type Demo struct {
	Name, File string
	Npy        []byte
	Kind       string
	Beta       float64
}

// Run opens the main window with the built-in demo data and blocks until
// the window is closed.
func Run(demo Demo) {
	a := New(fyneapp.NewWithID(AppID))
	a.demo = demo
	a.LoadDemo()
	if tab := os.Getenv("WCRGLAB_TAB"); tab != "" {
		a.SelectTab(tab)
	}
	if os.Getenv("WCRGLAB_TOUR") != "" {
		go a.RunTour(os.Stdout, 2*time.Second)
	}
	a.win.ShowAndRun()
}

// New builds the main window on fa without showing it. Tests pass
// fyne.io/fyne/v2/test.NewApp().
func New(fa fyne.App) *App {
	a := &App{fyne: fa, state: &State{}}
	a.win = fa.NewWindow("WCRG Lab")
	a.jobs = NewJobs(a.win)
	a.data = newDataTab(a)
	a.wavelets = newWaveletTab(a)
	a.estimate = newEstimateTab(a)
	a.generate = newGenerateTab(a)
	a.csd = newCSDTab(a)
	a.ham = newHamiltonianTab(a)
	a.tabs = container.NewAppTabs(
		container.NewTabItem("Data", a.data.content),
		container.NewTabItem("Wavelets", a.wavelets.content),
		container.NewTabItem("Estimate", a.estimate.content),
		container.NewTabItem("Generate", a.generate.content),
		container.NewTabItem("Hamiltonian", a.ham.content),
		container.NewTabItem("Slowing down", a.csd.content),
	)
	a.win.SetContent(container.NewBorder(nil, a.jobs.Bar, nil, nil, a.tabs))
	a.win.SetMainMenu(a.mainMenu())
	a.win.SetOnDropped(a.onDropped)
	a.win.Resize(fyne.NewSize(1280, 820))
	return a
}

// Window returns the main window.
func (a *App) Window() fyne.Window { return a.win }

// Jobs returns the job runner.
func (a *App) Jobs() *Jobs { return a.jobs }

// State returns the app state.
func (a *App) State() *State { return a.state }

// SelectTab shows the tab with the given title.
func (a *App) SelectTab(title string) {
	for _, it := range a.tabs.Items {
		if it.Text == title {
			a.tabs.Select(it)
		}
	}
}

func (a *App) mainMenu() *fyne.MainMenu {
	file := fyne.NewMenu("File",
		fyne.NewMenuItem("Open data…", a.openDataDialog),
		a.recentMenu(),
		fyne.NewMenuItem("Generate data…", a.generateDataDialog),
		fyne.NewMenuItem("Load demo data", a.LoadDemo),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open model…", a.openModelDialog),
		fyne.NewMenuItem("Save model…", a.saveModelDialog),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Export figure…", a.exportCurrentFigure),
	)
	help := fyne.NewMenu("Help", fyne.NewMenuItem("About WCRG Lab", a.showAbout))
	return fyne.NewMainMenu(file, help)
}

func (a *App) showAbout() {
	dialog.ShowInformation("About WCRG Lab",
		"WCRG Lab learns the Hamiltonian of 2D lattice fields with the\n"+
			"Wavelet Conditional Renormalization Group (Marchand, Ozawa, Biroli,\n"+
			"Mallat, Phys. Rev. X 13, 041038 (2023)), generates new fields from\n"+
			"coarse to fine scales and shows how this avoids critical slowing down.", a.win)
}

// LoadDemo loads the built-in demo data set in a job.
func (a *App) LoadDemo() {
	a.jobs.Start("load", "Load demo data", func(ctx context.Context, report func(Progress)) (func(), error) {
		d, err := a.demoDataset()
		if err != nil {
			return nil, err
		}
		return func() { a.state.SetData(d) }, nil
	})
}

// demoDataset returns the built-in demo data, or, if the app has none,
// 32 exactly sampled massive free fields of 64×64 with correlation length
// ξ = 1/m = 8 (spec §7.2).
func (a *App) demoDataset() (*Dataset, error) {
	if d := a.demo; len(d.Npy) > 0 {
		st, info, err := fieldio.ReadFrom(d.File, bytes.NewReader(d.Npy), int64(len(d.Npy)), fieldio.Options{})
		if err != nil {
			return nil, err
		}
		return &Dataset{Name: d.Name, Stack: *st, Kind: d.Kind, Beta: d.Beta, SHA256: info.SHA256,
			Notes: []string{"built into the app from " + d.File}}, nil
	}
	const L, n, m = 64, 32, 0.125
	g, err := gaussfield.NewSampler(L, gaussfield.FreeField(m))
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(2023, 41038))
	s := lattice.NewStack(n, L)
	for i := 0; i < n; i++ {
		g.Sample(s.Field(i).Data, rng)
	}
	return &Dataset{
		Name:  fmt.Sprintf("demo: Gaussian free field, m = %g (ξ = %g)", m, 1/m),
		Stack: s, Kind: "gaussian",
		Notes: []string{"exact samples drawn in Fourier space, seed 2023"},
	}, nil
}

// showError shows err in a dialog.
func (a *App) showError(err error) { dialog.ShowError(err, a.win) }

// exportFigure asks for a file name and saves fig there (PNG, SVG or PDF,
// with the numbers as CSV beside it) in a job.
func (a *App) exportFigure(fig *plots.Figure) {
	if fig == nil {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, a.win)
			return
		}
		if w == nil {
			return
		}
		// The dialog has already created (or emptied, after asking) the
		// chosen file: the figure goes into that very file, never beside it,
		// so that no empty file is left behind. Its format follows the
		// extension, PNG for any other.
		path := w.URI().Path()
		w.Close()
		format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
		if format != "png" && format != "svg" && format != "pdf" {
			format = "png"
		}
		a.jobs.Start("export", "Export figure", func(ctx context.Context, report func(Progress)) (func(), error) {
			csvPath, err := fig.SaveFormat(path, format)
			if err != nil {
				return nil, err
			}
			return func() {
				dialog.ShowInformation("Figure exported", fmt.Sprintf("Saved %s (%s)\nand its numbers as %s", path, strings.ToUpper(format), csvPath), a.win)
			}, nil
		})
	}, a.win)
	d.SetFileName(fig.Name + ".png")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".svg", ".pdf"}))
	d.Show()
}
