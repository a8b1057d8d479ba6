package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wcrglab/wcrg/engine/experiment"
)

// TestCLICompareBases runs compare-bases on the shipped φ⁴ data (the first
// 96 fields, a 5×5 window, short chains) and checks the table, the JSON
// result and the files written to --out; bad flags are usage errors.
func TestCLICompareBases(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bases")
	data := "../../testdata/phi4_L32_beta0.68.npy"
	args := []string{"compare-bases", "--data", data, "--max-fields", "96", "--window", "2", "--chains", "2",
		"--adapt", "50", "--steps", "200", "--seed", "3"}
	var res struct {
		Data struct {
			Count int `json:"count"`
			L     int `json:"L"`
		} `json:"data"`
		Results []experiment.BasisResult `json:"results"`
	}
	cliJSON(t, &res, append(args, "--out", out)...)
	if res.Data.Count != 96 || res.Data.L != 32 || len(res.Results) != 3 {
		t.Fatalf("JSON: %d fields of %d, %d results", res.Data.Count, res.Data.L, len(res.Results))
	}
	for i, name := range []string{"haar", "db4", "shannon"} {
		r := res.Results[i]
		if r.Basis != name || r.Window != 2 || r.Train != 72 || r.Test != 24 || !(r.Decay >= 0 && r.Decay <= 1) || !(r.Tau > 0) {
			t.Errorf("result %d: %s, window %d, split %d/%d, decay %g, τ %g", i, r.Basis, r.Window, r.Train, r.Test, r.Decay, r.Tau)
		}
	}
	cliExists(t, filepath.Join(out, "bases.json"), filepath.Join(out, "bases_tail.png"), filepath.Join(out, "bases_tail.svg"),
		filepath.Join(out, "bases_tail.pdf"), filepath.Join(out, "bases_tail.csv"), filepath.Join(out, "bases_spectrum.png"),
		filepath.Join(out, "bases_spectrum.csv"))
	f, err := os.Open(filepath.Join(out, "bases.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 4 || rows[0][0] != "basis" || rows[2][0] != "db4" {
		t.Errorf("bases.csv: %v rows %v", err, rows)
	}

	// The text table (one basis, no files).
	text := cliMust(t, "compare-bases", data, "--bases", "db4", "--max-fields", "48", "--window", "1", "--chains", "2",
		"--adapt", "50", "--steps", "100")
	if !strings.Contains(text, "db4") || !strings.Contains(text, "decay>2") || strings.Contains(text, "haar") {
		t.Errorf("table:\n%s", text)
	}

	for _, bad := range [][]string{
		{"compare-bases"},
		{"compare-bases", "--data", data, "--bases", "db4,nope"},
		{"compare-bases", "--data", data, "--train", "1.5"},
		{"compare-bases", "--data", data, "--window", "40"},
		{"compare-bases", "--data", data, "--bases", ","},
	} {
		if code, _, errs := cliRun(t.Context(), bad...); code != 2 || !strings.Contains(errs, "compare-bases") {
			t.Errorf("%v: exit %d, stderr %q (want a usage error)", bad, code, errs)
		}
	}
	if code, _, errs := cliRun(t.Context(), "compare-bases", "--data", filepath.Join(dir, "missing.npy")); code != 1 || !strings.Contains(errs, "missing.npy") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}
