package app

import (
	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/wcrg"
)

// Dataset is a stack of fields loaded or generated in the app.
type Dataset struct {
	Name   string        // shown to the user: file name or generator description
	Source string        // file path, or "" for built-in and generated data
	Stack  lattice.Stack // the fields, in their file's units
	Notes  []string      // what was done on loading (crop, patches, conversions)
	Kind   string        // "phi4", "gaussian", "lensing", "ising" or "" if unknown
	Beta   float64       // φ⁴/Ising coupling when known from the generator
	SHA256 string        // of the file, when loaded from one
	// FieldsPerMap is the number of consecutive fields cut from one map
	// (patches from `wcrg lensing prep`): they are correlated, so the
	// bootstrap resamples them together. 0 or 1: independent fields.
	FieldsPerMap int
	// Lensing is the preprocessing that made lensing fields from κ maps
	// (nil if none), recorded in a model fitted on them; PixelArcmin is
	// the pixel side in arcmin (0: unknown).
	Lensing     *lensing.Prep
	PixelArcmin float64
}

// State is the app's document: what the tabs show. It is only touched on
// the UI goroutine; jobs receive copies of what they need.
type State struct {
	Data     *Dataset
	Selected int // index of the field shown in the Data and Wavelets tabs
	// Model is the fitted model, ModelPath its file (if saved or loaded).
	Model     *wcrg.Model
	ModelPath string

	dataListeners  []func()
	selListeners   []func()
	modelListeners []func()
}

// OnModelChanged registers fn to run when a model is fitted or loaded.
func (s *State) OnModelChanged(fn func()) { s.modelListeners = append(s.modelListeners, fn) }

// SetModel replaces the model.
func (s *State) SetModel(m *wcrg.Model, path string) {
	s.Model, s.ModelPath = m, path
	for _, fn := range s.modelListeners {
		fn()
	}
}

// OnDataChanged registers fn to run when a new data set is loaded.
func (s *State) OnDataChanged(fn func()) { s.dataListeners = append(s.dataListeners, fn) }

// OnSelectionChanged registers fn to run when the selected field changes.
func (s *State) OnSelectionChanged(fn func()) { s.selListeners = append(s.selListeners, fn) }

// SetData replaces the data set and selects its first field.
func (s *State) SetData(d *Dataset) {
	s.Data = d
	s.Selected = 0
	for _, fn := range s.dataListeners {
		fn()
	}
	for _, fn := range s.selListeners {
		fn()
	}
}

// Select shows field i of the data set.
func (s *State) Select(i int) {
	if s.Data == nil || i < 0 || i >= s.Data.Stack.N || i == s.Selected {
		return
	}
	s.Selected = i
	for _, fn := range s.selListeners {
		fn()
	}
}

// Field returns the selected field, or false if there is no data.
func (s *State) Field() (lattice.Field, bool) {
	if s.Data == nil || s.Data.Stack.N == 0 {
		return lattice.Field{}, false
	}
	return s.Data.Stack.Field(s.Selected), true
}
