package fieldio

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// SidecarPath returns the path of the JSON document that WCRG Lab writes
// beside a field file: the same name with the extension .json
// (fields.npy → fields.json).
func SidecarPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".json"
}

// ReadSidecar decodes the sidecar of the field file at path into v when it
// exists, is a JSON object with the given "schema" (for example
// "wcrg-lab/dataset/v1") and describes that file (its "file" is path's
// base name). It reports whether it did; a JSON file of the same name that
// is anything else is not an error, since it may belong to someone else.
// When it returns false after a type mismatch, v may be partly filled: use
// a fresh v for each call.
func ReadSidecar(path, schema string, v any) bool {
	b, err := os.ReadFile(SidecarPath(path))
	if err != nil {
		return false
	}
	var head struct {
		Schema string `json:"schema"`
		File   string `json:"file"`
	}
	if json.Unmarshal(b, &head) != nil || head.Schema != schema || head.File != filepath.Base(path) {
		return false
	}
	return json.Unmarshal(b, v) == nil
}
