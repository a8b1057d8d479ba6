package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportDirection enforces the import direction of DESIGN.md: no
// package under engine/ depends on Fyne or gonum/plot, plots and cmd/wcrg do
// not depend on Fyne, and cmd/wcrg builds without cgo.
func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	deps := func(pkgs ...string) []string {
		args := append([]string{"list", "-deps"}, pkgs...)
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %v: %v\n%s", pkgs, err, out)
		}
		return strings.Fields(string(out))
	}
	forbid := func(what string, list []string, prefixes ...string) {
		for _, d := range list {
			for _, p := range prefixes {
				if strings.HasPrefix(d, p) {
					t.Errorf("%s depends on %s", what, d)
				}
			}
		}
	}
	forbid("engine/...", deps("./engine/..."), "fyne.io/", "gonum.org/v1/plot")
	forbid("plots", deps("./plots"), "fyne.io/")
	forbid("cmd/wcrg", deps("./cmd/wcrg"), "fyne.io/")

	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "wcrg"), "./cmd/wcrg")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build ./cmd/wcrg: %v\n%s", err, out)
	}
}
