package wcrg

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// TestBadModelFiles: corrupt or mismatched model files are refused by Load
// with an error that names the file and the problem.
func TestBadModelFiles(t *testing.T) {
	data := freeField(t, 64, 8, 0.5, 1)
	m, err := Fit(context.Background(), data, DefaultSettings(), Provenance{File: "g"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// Compact the document so that the replacements below match.
	var buf bytes.Buffer
	if err := json.Compact(&buf, js); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	dir := t.TempDir()
	for _, c := range []struct {
		name, text, want string
	}{
		{"empty", "", "not a WCRG Lab model file"},
		{"truncated", good[:len(good)/2], "not a WCRG Lab model file"},
		{"not json", "hello", "not a WCRG Lab model file"},
		{"unknown field", strings.Replace(good, `"schema"`, `"colour":1,"schema"`, 1), "unknown field"},
		{"wrong schema", strings.Replace(good, SchemaName, "other/model", 1), "schema"},
		{"future version", strings.Replace(good, `"version":1`, `"version":99`, 1), "version 99"},
		{"bad levels", strings.Replace(good, `"levels":3`, `"levels":9`, 1), "levels"},
		{"bad scale", strings.Replace(good, `"scale":`, `"scale":-1,"x":`, 1), ""},
		{"bad wavelet", strings.Replace(good, `"wavelet":"db4"`, `"wavelet":"db99"`, 1), "db99"},
		{"nan theta", strings.Replace(good, `"theta":[`, `"theta":["NaN",`, 1), "not a WCRG Lab model file"},
		{"short theta", strings.Replace(good, `"theta":[`, `"theta":[0,`, 1), "parameters"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not name the file and %q", c.name, err, c.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}

	// Sampling reads every scale's diagnostics: a file with some missing
	// is refused, not a panic later.
	var doc map[string]any
	if err := json.Unmarshal([]byte(good), &doc); err != nil {
		t.Fatal(err)
	}
	doc["diagnostics"] = doc["diagnostics"].([]any)[:2]
	short, _ := json.Marshal(doc)
	path := filepath.Join(dir, "short_diagnostics.json")
	if err := os.WriteFile(path, short, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "2 scale diagnostics for 3 levels") {
		t.Errorf("short diagnostics: %v", err)
	}

	// A singular score-matching Hessian (κ = +Inf) or an undefined figure
	// still saves, and loads.
	m.Diagnostics[1].Cond, m.Diagnostics[2].MLChiSquare = math.Inf(1), math.NaN()
	path = filepath.Join(dir, "inf.json")
	if err := m.Save(path); err != nil {
		t.Fatalf("saving κ = +Inf: %v", err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Diagnostics[1].Cond != math.MaxFloat64 || back.Diagnostics[2].MLChiSquare != 0 || !math.IsInf(m.Diagnostics[1].Cond, 1) {
		t.Errorf("κ %g, χ² %g after the round trip; in memory κ %g", back.Diagnostics[1].Cond, back.Diagnostics[2].MLChiSquare, m.Diagnostics[1].Cond)
	}
}

// TestFitRefusesUnusableData: constant fields (zero or not, under either
// standardization) and non-finite pixels are refused with an error that
// says so, before any scale is fitted.
func TestFitRefusesUnusableData(t *testing.T) {
	for _, c := range []struct {
		value       float64
		standardize string
		want        string
	}{
		{0, StandardizeScale, "constant"},
		{3, StandardizeScale, "constant (every pixel is 3)"},
		{3, StandardizeCenterScale, "constant"},
		{math.NaN(), StandardizeScale, "contain NaN"},
	} {
		s := lattice.NewStack(4, 8)
		for i := range s.Data {
			s.Data[i] = c.value
		}
		if math.IsNaN(c.value) {
			s.Data[0] = 1
		}
		set := DefaultSettings()
		set.Standardize = c.standardize
		_, err := Fit(context.Background(), s, set, Provenance{}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("value %g, %s: error %v, want one containing %q", c.value, c.standardize, err, c.want)
		}
	}
}

// TestConstantDataRefused: comparing against, reconstructing H₀ from, or
// diagnosing generation on constant fields is refused with a message,
// instead of printing NaN or 10¹⁶ figures.
func TestConstantDataRefused(t *testing.T) {
	data := freeField(t, 16, 8, 0.5, 2)
	m, err := Fit(context.Background(), data, DefaultSettings(), Provenance{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	flat := lattice.NewStack(16, 8)
	for i := range flat.Data {
		flat.Data[i] = 3
	}
	if _, err := Compare(flat, data, "db4", 0); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("Compare: %v", err)
	}
	if _, err := FitFreeEnergies(context.Background(), m, flat, FreeSettings{}, nil); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("FitFreeEnergies: %v", err)
	}
	if _, err := Diagnose(context.Background(), m, flat, SampleSettings{}, nil); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("Diagnose: %v", err)
	}
}

// TestAcceptRefusesTinyFields: 4×4 fields have no radial bin with 16
// modes; the acceptance says it cannot judge the spectrum instead of
// failing on a NaN limit.
func TestAcceptRefusesTinyFields(t *testing.T) {
	s := freeField(t, 8, 4, 0.5, 3)
	ref, train, gen := s.Slice(0, 2), s.Slice(2, 6), s.Slice(6, 8)
	if _, err := Accept(ref, train, gen, "db4", 0, false); err == nil || !strings.Contains(err.Error(), "cannot be judged") {
		t.Errorf("Accept on 4×4 fields: %v", err)
	}
}

// TestFitExtremeValuesAndWarnings: fields of size 1e±200 are standardized
// without overflow or underflow; an ML-from level beyond the coarsest is
// refused; FitWarnings names a singular scale and an unconverged ML.
func TestFitExtremeValuesAndWarnings(t *testing.T) {
	base := freeField(t, 8, 8, 0.5, 4)
	for _, f := range []float64{1e200, 1e-200} {
		s := lattice.NewStack(base.N, base.L)
		for i, v := range base.Data {
			s.Data[i] = v * f
		}
		m, err := Fit(context.Background(), s, DefaultSettings(), Provenance{}, nil)
		if err != nil {
			t.Errorf("values ×%g: %v", f, err)
			continue
		}
		if r := m.Scale / f; !(r > 0.1 && r < 10) {
			t.Errorf("values ×%g: scale %g", f, m.Scale)
		}
	}
	// A model whose scale was edited to 1e308 loads (the scale is finite)
	// but its fields overflow in raw units: Sample refuses to return ±Inf.
	m, err := Fit(context.Background(), base, DefaultSettings(), Provenance{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Scale = 1e308
	if _, err := Sample(context.Background(), m, SampleSettings{N: 4, Seed: 1}, nil); err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("fields at scale 1e308: %v", err)
	}
	set := DefaultSettings()
	set.MLFromLevel = 5 // 8×8 fields: 3 levels, the coarsest is level 4
	if _, err := Fit(context.Background(), base, set, Provenance{}, nil); err == nil || !strings.Contains(err.Error(), "from level 5") {
		t.Errorf("ML from level 5 of 3: %v", err)
	}
	m = &Model{Diagnostics: []ScaleDiagnostics{{Side: 1}, {Side: 4, Cond: math.Inf(1)}, {Side: 8, MLIterations: 300, MLChiSquare: 149}}}
	w := m.FitWarnings()
	if len(w) != 2 || !strings.Contains(w[0], "scale 1 (4×4): the score-matching problem is singular") || !strings.Contains(w[1], "did not converge in 300") {
		t.Errorf("warnings %q", w)
	}
	if w := (&Model{Diagnostics: []ScaleDiagnostics{{Side: 1}, {Side: 4, Cond: 1e3, MLIterations: 20, MLConverged: true}}}).FitWarnings(); len(w) != 0 {
		t.Errorf("sound fit warned: %q", w)
	}
}
