package main

import (
	"encoding/json"
	"math"
	"testing"
)

// TestEncodeJSONNonFinite: a document with NaN and infinite figures is
// still written (NaN as 0, ±Inf as ±MaxFloat64) and flagged; a finite one
// is written as it is and not flagged.
func TestEncodeJSONNonFinite(t *testing.T) {
	type inner struct{ K float64 }
	type doc struct {
		A    float64
		B    []float64
		In   *inner
		Name string
	}
	d := doc{A: math.NaN(), B: []float64{1, math.Inf(1), math.Inf(-1)}, In: &inner{K: math.NaN()}, Name: "x"}
	b, sanitized, err := encodeJSON(d)
	if err != nil || !sanitized {
		t.Fatalf("sanitized %v, error %v", sanitized, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.A != 0 || back.B[0] != 1 || back.B[1] != math.MaxFloat64 || back.B[2] != -math.MaxFloat64 || back.In.K != 0 || back.Name != "x" {
		t.Errorf("written %s", b)
	}
	if !math.IsNaN(d.A) {
		t.Error("the caller's value was changed")
	}
	if _, sanitized, err := encodeJSON(doc{A: 1, In: &inner{}}); err != nil || sanitized {
		t.Errorf("finite document: sanitized %v, error %v", sanitized, err)
	}
}
