package main

import (
	"encoding/json"
	"flag"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestEncodeJSONNonFinite: a document with NaN and infinite figures, in
// struct fields, slices, pointers, maps and interfaces (the CLI's --json
// objects are maps), is still written (NaN as 0, ±Inf as ±MaxFloat64) and
// flagged, without changing the caller's values; jsonFloat's null is kept.
// A finite document is written as it is and not flagged.
func TestEncodeJSONNonFinite(t *testing.T) {
	type inner struct{ K float64 }
	type doc struct {
		A    float64
		B    []float64
		In   *inner
		Null jsonFloat
		Name string
	}
	b := []float64{1, math.Inf(1), math.Inf(-1)}
	d := doc{A: math.NaN(), B: b, In: &inner{K: math.NaN()}, Null: jsonFloat(math.NaN()), Name: "x"}
	obj := map[string]any{"doc": d, "rows": []inner{{K: math.Inf(1)}}, "x": math.NaN(), "f32": float32(math.Inf(1))}
	out, sanitized, err := encodeJSON(obj)
	if err != nil || !sanitized {
		t.Fatalf("sanitized %v, error %v", sanitized, err)
	}
	var back struct {
		Doc  doc
		Rows []inner
		X    float64
		F32  float32
	}
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	got := back.Doc
	if got.A != 0 || got.B[0] != 1 || got.B[1] != math.MaxFloat64 || got.B[2] != -math.MaxFloat64 || got.In.K != 0 ||
		got.Name != "x" || back.Rows[0].K != math.MaxFloat64 || back.X != 0 || back.F32 != math.MaxFloat32 {
		t.Errorf("written %s", out)
	}
	if !strings.Contains(string(out), `"Null": null`) {
		t.Errorf("jsonFloat's null lost: %s", out)
	}
	if !math.IsNaN(d.A) || !math.IsInf(b[1], 1) || !math.IsNaN(d.In.K) {
		t.Errorf("the caller's values were changed: %+v, %v, %+v", d, b, *d.In)
	}
	if _, sanitized, err := encodeJSON(doc{A: 1, In: &inner{}}); err != nil || sanitized {
		t.Errorf("finite document: sanitized %v, error %v", sanitized, err)
	}
}

// TestUndefinedTauShown: a τ that was not measured (0) or could not be
// fitted (NaN, a τ_exp of ρ(t) that does not decay) prints as "–" in the
// tables and as null in tau.json.
func TestUndefinedTauShown(t *testing.T) {
	for _, v := range []float64{0, math.NaN()} {
		if got := fmtErr(v, math.NaN()); got != "–" {
			t.Errorf("fmtErr(%g) = %q, want –", v, got)
		}
	}
	b, err := json.Marshal(tauPoint{TauExp: jsonFloat(math.NaN()), TauExpEr: jsonFloat(math.NaN())})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"TauExp":null,"TauExpEr":null`) {
		t.Errorf("tau point with a failed τ_exp fit: %s", b)
	}
}

// TestCommandFlags: the command recorded in a sidecar holds the flags set
// (and the named ones at their defaults), shell-quoted, without --json.
func TestCommandFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Float64("sigma", 0.35, "")
	fs.Uint64("seed", 1, "")
	fs.Bool("crop", false, "")
	fs.Bool("json", false, "")
	fs.String("out", "", "")
	fs.Int("patch", 0, "")
	if err := fs.Parse([]string{"--crop", "--json", "--out", "my file's.npy"}); err != nil {
		t.Fatal(err)
	}
	want := `--crop --out 'my file'\''s.npy' --sigma 0.35`
	if got := commandFlags(fs, "sigma"); got != want {
		t.Errorf("commandFlags = %s, want %s", got, want)
	}
}

// TestDistinctValues: up to max distinct values are listed, sorted; more
// give nil.
func TestDistinctValues(t *testing.T) {
	data := []float64{3, 1, 2, 1, 4, 5, 6, 7, 8, 8}
	if got := distinctValues(data, 8); !slices.Equal(got, []float64{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("8 values: %v", got)
	}
	if got := distinctValues(append(data, 9), 8); got != nil {
		t.Errorf("9 values: %v", got)
	}
}
