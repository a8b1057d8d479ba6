package fieldio

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadSidecar reads a sidecar only when it is ours and describes the
// field file it sits beside.
func TestReadSidecar(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "fields.npy")
	if got := SidecarPath(data); got != filepath.Join(dir, "fields.json") {
		t.Fatalf("SidecarPath = %s", got)
	}
	type doc struct {
		Beta float64 `json:"beta"`
	}
	var d doc
	if ReadSidecar(data, "wcrg-lab/dataset/v1", &d) {
		t.Error("read a sidecar that does not exist")
	}
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{`{"schema": "wcrg-lab/dataset/v1", "file": "fields.npy", "beta": 0.68}`, true},
		{`{"schema": "wcrg-lab/dataset/v1", "file": "other.npy", "beta": 0.68}`, false},
		{`{"schema": "wcrg-lab/coarse/v1", "file": "fields.npy", "beta": 0.68}`, false},
		{`{"schema": "wcrg-lab/dataset/v1", "file": "fields.npy", "beta": "hot"}`, false},
		{`not json`, false},
	} {
		if err := os.WriteFile(SidecarPath(data), []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		d = doc{}
		ok := ReadSidecar(data, "wcrg-lab/dataset/v1", &d)
		if ok != c.ok || (ok && d.Beta != 0.68) {
			t.Errorf("%s: ok %v, β %g", c.text, ok, d.Beta)
		}
	}
}
