package wcrg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/wcrglab/wcrg/engine/atomicfile"
	"github.com/wcrglab/wcrg/engine/energy"
	"github.com/wcrglab/wcrg/engine/estimate"
	"github.com/wcrglab/wcrg/engine/lensing"
	"github.com/wcrglab/wcrg/engine/wavelet"
)

// SchemaName and SchemaVersion identify model files.
const (
	SchemaName    = "wcrg-lab/model"
	SchemaVersion = 1
)

// Provenance records where a model's training data came from.
type Provenance struct {
	File    string    `json:"file,omitempty"`
	SHA256  string    `json:"sha256,omitempty"`
	Count   int       `json:"count"` // training fields
	Created time.Time `json:"created"`
	Kind    string    `json:"kind,omitempty"` // "phi4", "gaussian", "lensing", … when known
	Beta    float64   `json:"beta,omitempty"` // φ⁴/Ising coupling when the data came from the built-in generator
	// Lensing is the preprocessing that turned κ maps into the training
	// fields (wcrg lensing prep); generated fields map back to κ through
	// its Inverse. PixelArcmin is the fields' pixel side (0: unknown).
	Lensing     *lensing.Prep `json:"lensing_prep,omitempty"`
	PixelArcmin float64       `json:"pixel_arcmin,omitempty"`
	Notes       []string      `json:"notes,omitempty"`
}

// ScaleDiagnostics are the per-scale figures of a fit (spec §3.4).
type ScaleDiagnostics struct {
	Level        int        `json:"level"`
	Side         int        `json:"side"`
	Params       int        `json:"params"`
	Estimator    string     `json:"estimator"`
	ScoreLoss    float64    `json:"score_loss,omitempty"`
	Cond         float64    `json:"cond,omitempty"`     // κ of the normalized score-matching Hessian
	CondRaw      float64    `json:"cond_raw,omitempty"` // κ before normalization
	MLIterations int        `json:"ml_iterations,omitempty"`
	MLConverged  bool       `json:"ml_converged,omitempty"`
	MLChiSquare  float64    `json:"ml_chi_square,omitempty"`
	Step         float64    `json:"step,omitempty"` // MALA step δ_j adapted during fitting
	NLL          float64    `json:"nll,omitempty"`  // coarsest 1-D density: NLL per sample
	Seconds      float64    `json:"seconds"`
	DetailStd    [3]float64 `json:"detail_std"` // per-channel std of φ̄_j in the data (initialization of sampling)
}

// Model is a fitted WC-RG model: the standardization, γ_j, the coarsest
// density and one conditional energy per level.
type Model struct {
	Settings    Settings
	L, Levels   int
	Mean, Scale float64   // φ = (φ_raw − Mean)/Scale
	Gamma       []float64 // γ_1 … γ_J

	// Coarsest is the density of φ_J when it is 1×1; otherwise CoarsestEnergy
	// is its plain energy model.
	Coarsest       *estimate.Density1D
	CoarsestEnergy *energy.Model
	// Conditionals[j−1] is Ē_j.
	Conditionals []*energy.Model
	Diagnostics  []ScaleDiagnostics // index 0: coarsest; j: level j
	Provenance   Provenance
}

// Basis returns the model's wavelet.
func (m *Model) Basis() wavelet.Basis {
	b, err := wavelet.New(m.Settings.Wavelet)
	if err != nil {
		panic(err) // validated on construction and load
	}
	return b
}

// Transform returns a new renormalized transform with the model's γ_j.
func (m *Model) Transform() *wavelet.Transform {
	t, err := wavelet.NewTransform(m.Basis(), m.L, m.Levels, m.Gamma)
	if err != nil {
		panic(err)
	}
	return t
}

// PairLevels returns the levels j whose conditional Ē_j has a pair
// potential (Settings.PairNodes), and 0 for a coarsest energy with one.
func (m *Model) PairLevels() []int {
	var lv []int
	if m.CoarsestEnergy != nil && m.CoarsestEnergy.Pair.Len() > 0 {
		lv = append(lv, 0)
	}
	for j, c := range m.Conditionals {
		if c.Pair.Len() > 0 {
			lv = append(lv, j+1)
		}
	}
	return lv
}

// CoarsestSide returns L_J.
func (m *Model) CoarsestSide() int { return m.L >> m.Levels }

// NumParams returns the total number of parameters.
func (m *Model) NumParams() int {
	n := 0
	if m.Coarsest != nil {
		n += len(m.Coarsest.Theta)
	}
	if m.CoarsestEnergy != nil {
		n += m.CoarsestEnergy.NumParams()
	}
	for _, c := range m.Conditionals {
		n += c.NumParams()
	}
	return n
}

// --- JSON ---

type fileBasis struct {
	Kind     string  `json:"kind"`
	Nodes    int     `json:"nodes"`
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	RejectLo float64 `json:"reject_lo"`
	RejectHi float64 `json:"reject_hi"`
}

type fileEnergy struct {
	Level  int       `json:"level"` // 0 for the coarsest plain model
	Side   int       `json:"side"`
	Window int       `json:"window"`
	Gamma  float64   `json:"gamma,omitempty"`
	Basis  fileBasis `json:"basis"`
	Terms  [][4]int  `json:"terms"` // (c, d, s₁, s₂) of each quadratic parameter, in order
	// Pair is the pair-potential basis when the scale has one; its
	// coefficients follow the scalar ones in Theta.
	Pair  *filePair `json:"pair,omitempty"`
	Theta []float64 `json:"theta"`
}

type filePair struct {
	Nodes int     `json:"nodes"` // per axis
	SLo   float64 `json:"s_lo"`
	SHi   float64 `json:"s_hi"`
	DLo   float64 `json:"d_lo"`
	DHi   float64 `json:"d_hi"`
}

type fileModel struct {
	Schema      string             `json:"schema"`
	Version     int                `json:"version"`
	Settings    Settings           `json:"settings"`
	L           int                `json:"lattice"`
	Levels      int                `json:"levels"`
	Mean        float64            `json:"mean"`
	Scale       float64            `json:"scale"`
	Gamma       []float64          `json:"gamma"`
	Coarsest1D  *fileDensity       `json:"coarsest_density,omitempty"`
	CoarsestE   *fileEnergy        `json:"coarsest_energy,omitempty"`
	Scales      []fileEnergy       `json:"scales"`
	Diagnostics []ScaleDiagnostics `json:"diagnostics"`
	Provenance  Provenance         `json:"provenance"`
}

type fileDensity struct {
	Basis fileBasis `json:"basis"`
	Theta []float64 `json:"theta"` // θ₀ (of ½t²) then the basis coefficients
}

func toFileBasis(b energy.ScalarBasis) fileBasis {
	return fileBasis{Kind: b.Kind, Nodes: b.Nodes, Lo: b.Lo, Hi: b.Hi, RejectLo: b.RejectLo, RejectHi: b.RejectHi}
}

func (f fileBasis) basis() energy.ScalarBasis {
	return energy.ScalarBasis{Kind: f.Kind, Nodes: f.Nodes, Lo: f.Lo, Hi: f.Hi, RejectLo: f.RejectLo, RejectHi: f.RejectHi}
}

func toFileEnergy(level int, e *energy.Model) fileEnergy {
	f := fileEnergy{Level: level, Side: e.N, Window: e.Window, Basis: toFileBasis(e.Scalar), Theta: e.Theta}
	if e.IsConditional() {
		f.Gamma = e.Gamma
	}
	if p := e.Pair; p.Len() > 0 {
		f.Pair = &filePair{Nodes: p.Nodes, SLo: p.SLo, SHi: p.SHi, DLo: p.DLo, DHi: p.DHi}
	}
	for _, t := range e.Terms {
		f.Terms = append(f.Terms, [4]int{t.C, t.D, t.S[0], t.S[1]})
	}
	return f
}

// encodableDiagnostics returns a copy of d that JSON can encode: an
// infinite figure (the condition number κ of a singular score-matching
// Hessian, for example) becomes ±math.MaxFloat64 and NaN becomes 0, which
// every figure's omitempty or reader takes as "not measured".
func encodableDiagnostics(d []ScaleDiagnostics) []ScaleDiagnostics {
	fix := func(x *float64) {
		switch {
		case math.IsNaN(*x):
			*x = 0
		case math.IsInf(*x, 1):
			*x = math.MaxFloat64
		case math.IsInf(*x, -1):
			*x = -math.MaxFloat64
		}
	}
	out := append([]ScaleDiagnostics(nil), d...)
	for i := range out {
		o := &out[i]
		for _, x := range []*float64{&o.ScoreLoss, &o.Cond, &o.CondRaw, &o.MLChiSquare, &o.Step, &o.NLL, &o.Seconds, &o.DetailStd[0], &o.DetailStd[1], &o.DetailStd[2]} {
			fix(x)
		}
	}
	return out
}

// MarshalJSON writes the model file document.
func (m *Model) MarshalJSON() ([]byte, error) {
	f := fileModel{
		Schema: SchemaName, Version: SchemaVersion, Settings: m.Settings, L: m.L, Levels: m.Levels,
		Mean: m.Mean, Scale: m.Scale, Gamma: m.Gamma, Diagnostics: encodableDiagnostics(m.Diagnostics), Provenance: m.Provenance,
	}
	if m.Coarsest != nil {
		f.Coarsest1D = &fileDensity{Basis: toFileBasis(m.Coarsest.Basis), Theta: m.Coarsest.Theta}
	}
	if m.CoarsestEnergy != nil {
		e := toFileEnergy(0, m.CoarsestEnergy)
		f.CoarsestE = &e
	}
	for j, c := range m.Conditionals {
		f.Scales = append(f.Scales, toFileEnergy(j+1, c))
	}
	return json.MarshalIndent(f, "", " ")
}

// Save writes the model to path atomically.
func (m *Model) Save(path string) error {
	data, err := m.MarshalJSON()
	if err != nil {
		return fmt.Errorf("wcrg: %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}

// Load reads a model file, validating it completely; errors name the file.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wcrg: %w", err)
	}
	m, err := Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("wcrg: %s: %w", path, err)
	}
	return m, nil
}

// Decode reads and validates a model document.
func Decode(r io.Reader) (*Model, error) {
	var f fileModel
	dec := json.NewDecoder(io.LimitReader(r, 1<<30))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a WCRG Lab model file: %v", err)
	}
	if f.Schema != SchemaName {
		return nil, fmt.Errorf("schema %q is not %q", f.Schema, SchemaName)
	}
	if f.Version != SchemaVersion {
		return nil, fmt.Errorf("model file version %d is not supported (this program reads version %d)", f.Version, SchemaVersion)
	}
	if err := f.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("settings: %v", err)
	}
	if wavelet.MaxLevels(f.L) == 0 || f.Levels < 1 || f.Levels > wavelet.MaxLevels(f.L) {
		return nil, fmt.Errorf("lattice %d with %d levels is not a valid decomposition", f.L, f.Levels)
	}
	if len(f.Gamma) != f.Levels || len(f.Scales) != f.Levels {
		return nil, fmt.Errorf("%d γ values and %d scales for %d levels", len(f.Gamma), len(f.Scales), f.Levels)
	}
	if len(f.Diagnostics) != f.Levels+1 {
		return nil, fmt.Errorf("%d scale diagnostics for %d levels (want one per level and one for the coarsest scale)", len(f.Diagnostics), f.Levels)
	}
	for j, d := range f.Diagnostics {
		for c, v := range d.DetailStd {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("diagnostics of level %d: detail std %g of channel %d", j, v, c+1)
			}
		}
	}
	if !finite(f.Mean) || !(f.Scale > 0) || math.IsInf(f.Scale, 0) {
		return nil, fmt.Errorf("standardization mean %g, scale %g", f.Mean, f.Scale)
	}
	if p := f.Provenance.Lensing; p != nil {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("provenance: %v", err)
		}
	}
	if v := f.Provenance.PixelArcmin; v < 0 || !finite(v) {
		return nil, fmt.Errorf("provenance: pixel size %g arcmin", v)
	}
	m := &Model{Settings: f.Settings, L: f.L, Levels: f.Levels, Mean: f.Mean, Scale: f.Scale,
		Gamma: f.Gamma, Diagnostics: f.Diagnostics, Provenance: f.Provenance}
	b := m.Basis()
	for j := 1; j <= f.Levels; j++ {
		fe := f.Scales[j-1]
		if fe.Level != j || fe.Side != f.L>>j {
			return nil, fmt.Errorf("scale %d: level %d of side %d, want level %d of side %d", j, fe.Level, fe.Side, j, f.L>>j)
		}
		e, err := energy.NewConditional(fe.Side, fe.Window, fe.Basis.basis(), f.Gamma[j-1], b)
		if err != nil {
			return nil, fmt.Errorf("scale %d: %v", j, err)
		}
		if fe.Gamma != f.Gamma[j-1] {
			return nil, fmt.Errorf("scale %d: γ %g differs from the model's γ_%d = %g", j, fe.Gamma, j, f.Gamma[j-1])
		}
		if err := setTheta(e, fe); err != nil {
			return nil, fmt.Errorf("scale %d: %v", j, err)
		}
		m.Conditionals = append(m.Conditionals, e)
	}
	side := f.L >> f.Levels
	switch {
	case side == 1 && f.Coarsest1D != nil && f.CoarsestE == nil:
		d, err := estimate.NewDensity1D(f.Coarsest1D.Basis.basis())
		if err != nil {
			return nil, fmt.Errorf("coarsest density: %v", err)
		}
		if len(f.Coarsest1D.Theta) != len(d.Theta) || !allFinite(f.Coarsest1D.Theta) {
			return nil, fmt.Errorf("coarsest density: %d parameters, want %d finite values", len(f.Coarsest1D.Theta), len(d.Theta))
		}
		copy(d.Theta, f.Coarsest1D.Theta)
		d.Prepare()
		m.Coarsest = d
	case side > 1 && f.CoarsestE != nil && f.Coarsest1D == nil:
		fe := *f.CoarsestE
		if fe.Side != side {
			return nil, fmt.Errorf("coarsest energy of side %d, want %d", fe.Side, side)
		}
		e, err := energy.NewPlain(fe.Side, fe.Window, fe.Basis.basis())
		if err != nil {
			return nil, fmt.Errorf("coarsest energy: %v", err)
		}
		if err := setTheta(e, fe); err != nil {
			return nil, fmt.Errorf("coarsest energy: %v", err)
		}
		m.CoarsestEnergy = e
	default:
		return nil, fmt.Errorf("the coarsest %d×%d scale needs exactly one of a density (1×1) or an energy (larger)", side, side)
	}
	return m, nil
}

func setTheta(e *energy.Model, fe fileEnergy) error {
	if len(fe.Terms) != len(e.Terms) {
		return fmt.Errorf("%d quadratic terms, the settings give %d", len(fe.Terms), len(e.Terms))
	}
	for i, t := range e.Terms {
		if fe.Terms[i] != [4]int{t.C, t.D, t.S[0], t.S[1]} {
			return fmt.Errorf("quadratic term %d is %v, the settings give %v", i, fe.Terms[i], t)
		}
	}
	if p := fe.Pair; p != nil {
		if err := e.AddPair(energy.PairBasis{Nodes: p.Nodes, SLo: p.SLo, SHi: p.SHi, DLo: p.DLo, DHi: p.DHi}); err != nil {
			return err
		}
	}
	if len(fe.Theta) != e.NumParams() || !allFinite(fe.Theta) {
		return fmt.Errorf("%d parameters, want %d finite values", len(fe.Theta), e.NumParams())
	}
	copy(e.Theta, fe.Theta)
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func allFinite(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}

// FitWarnings lists what the fit diagnostics say is wrong with the model,
// a sentence per problem and scale: a singular or non-finite score-matching problem
// (the data do not determine that scale's energy: too few fields, or
// discrete values such as ±1 spins) and maximum likelihood that did not
// converge. Empty for a sound fit.
func (m *Model) FitWarnings() []string {
	out := []string{}
	for j, d := range m.Diagnostics {
		name := fmt.Sprintf("scale %d (%d×%d)", j, d.Side, d.Side)
		if j == 0 {
			name = fmt.Sprintf("the coarsest model (%d×%d)", d.Side, d.Side)
		}
		switch {
		case math.IsNaN(d.ScoreLoss) || math.IsInf(d.ScoreLoss, 0) || math.IsInf(d.Cond, 0) || math.IsNaN(d.Cond):
			out = append(out, fmt.Sprintf("%s: the score-matching problem is singular (κ = %g, loss %g): the data do not determine this energy (too few fields, or discrete values such as ±1 spins: dequantize them first, wcrg dequantize)", name, d.Cond, d.ScoreLoss))
		case d.Cond > 1e14:
			out = append(out, fmt.Sprintf("%s: the score-matching Hessian is nearly singular (κ = %.3g): its parameters are poorly determined", name, d.Cond))
		}
		if d.MLIterations > 0 && !d.MLConverged {
			out = append(out, fmt.Sprintf("%s: maximum likelihood did not converge in %d iterations (χ²/m %.3g); the averaged parameters are kept. A larger iteration budget may let it converge: with pair potentials the finest scale can need about 1000", name, d.MLIterations, d.MLChiSquare))
		}
	}
	return out
}
