package plots

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// TestWrapTitle checks that a title too wide for its figure is broken at
// spaces into lines that each fit, keeping every word in order, and that a
// title that fits is left alone.
func TestWrapTitle(t *testing.T) {
	const long = "V_j (standardized; j ≥ 1: minus their quadratic), db4 J = 5, ± bootstrap s.e. (8 resamples of the training fields)"
	width := 6 * vg.Inch
	p := plot.New()
	p.Title.Text = long
	if p.Title.TextStyle.Width(long) <= width {
		t.Fatalf("test title fits in %v; make it longer", width)
	}
	wrapTitle(p, width)
	lines := strings.Split(p.Title.Text, "\n")
	if len(lines) < 2 {
		t.Fatalf("title not wrapped: %q", p.Title.Text)
	}
	for _, l := range lines {
		if w := p.Title.TextStyle.Width(l); w > width {
			t.Errorf("line %q is %v wide, more than %v", l, w, width)
		}
	}
	if got := strings.Join(strings.Fields(p.Title.Text), " "); got != long {
		t.Errorf("words changed: %q", got)
	}
	p.Title.Text = "Short first line\n" + long
	wrapTitle(p, width)
	if lines := strings.Split(p.Title.Text, "\n"); len(lines) < 3 || lines[0] != "Short first line" {
		t.Errorf("a title's own line break was lost: %q", p.Title.Text)
	}
	p.Title.Text = "Peak counts per map"
	wrapTitle(p, width)
	if p.Title.Text != "Peak counts per map" {
		t.Errorf("short title changed to %q", p.Title.Text)
	}
}

// TestSaveFormat: a figure saved under a name without a figure extension
// (as typed in a save dialog) is written into that very file in the given
// format, with its numbers beside it.
func TestSaveFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "histogram")
	f := LineFigure(Axes{Title: "t"}, Series{Name: "s", X: []float64{0, 1}, Y: []float64{1, 2}})
	if csv, err := f.SaveFormat(path, "png"); err != nil || csv != path+".csv" {
		t.Fatalf("numbers in %s, error %v", csv, err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("%s: %d bytes, error %v; want a PNG", path, len(b), err)
	}
	if _, err := os.Stat(path + ".csv"); err != nil {
		t.Errorf("numbers beside it: %v", err)
	}
	if _, err := os.Stat(path + ".png"); err == nil {
		t.Error("a second file was written beside the chosen one")
	}
	// A name ending in .csv keeps the figure: the numbers go beside it.
	path = filepath.Join(dir, "x.csv")
	if csv, err := f.SaveFormat(path, "png"); err != nil || csv != path+".csv" {
		t.Fatalf("numbers in %s, error %v", csv, err)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("%s no longer holds the figure (error %v)", path, err)
	}
}
