package app

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// waitFor polls cond (on the UI goroutine) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var ok bool
		ui(func() { ok = cond() })
		if ok {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestDataBrowsing: the gallery lists every field and selecting a
// thumbnail shows that field; the zoom sets the view's scale; the asinh
// stretch and a different clip recolour the field.
func TestDataBrowsing(t *testing.T) {
	a := newTestApp(t)
	a.LoadDemo()
	if err := a.jobs.Wait(); err != nil {
		t.Fatal(err)
	}
	d := a.data
	waitFor(t, "the first field", func() bool { return d.view.Image() != nil && d.view.Image().Bounds().Dx() == 32 })
	if n := d.gallery.grid.Length(); n != a.state.Data.Stack.N {
		t.Errorf("gallery lists %d fields of %d", n, a.state.Data.Stack.N)
	}
	ui(func() { d.gallery.grid.Select(5) })
	if a.state.Selected != 5 || d.index.Text != "6" {
		t.Errorf("after tapping thumbnail 6: selected %d, index %q", a.state.Selected, d.index.Text)
	}
	ui(func() { d.zoom.SetSelected("4×") })
	if d.view.Zoom() != 4 {
		t.Errorf("zoom %d, want 4", d.view.Zoom())
	}
	linear := d.view.Image()
	ui(func() { d.stretch.SetSelected("asinh") })
	waitFor(t, "the asinh rendering", func() bool { return d.view.Image() != linear })
	if same(linear, d.view.Image()) {
		t.Error("the asinh stretch did not change the colours")
	}
	asinh := d.view.Image()
	ui(func() { d.clip.SetSelected("5 %") })
	waitFor(t, "the 5 % clip rendering", func() bool { return d.view.Image() != asinh })
	if same(asinh, d.view.Image()) {
		t.Error("the whole-stack range ignores the clip")
	}
}

func same(a, b image.Image) bool {
	ra, rb := a.(*image.RGBA), b.(*image.RGBA)
	if ra.Rect != rb.Rect {
		return false
	}
	for i := range ra.Pix {
		if ra.Pix[i] != rb.Pix[i] {
			return false
		}
	}
	return true
}

// TestDataStatsOfConstantFields: constant data has no kurtosis and, at
// zero, no Binder cumulant; the Data tab says so beside the NaN figures.
func TestDataStatsOfConstantFields(t *testing.T) {
	for _, c := range []struct {
		value float64
		notes []string
	}{{0, []string{"kurtosis undefined", "Binder U undefined"}}, {2, []string{"kurtosis undefined"}},
		{0.1, []string{"kurtosis undefined"}}} { // std 1.4e-17 by rounding
		s := lattice.Stack{N: 3, L: 8, Data: make([]float64, 3*64)}
		for i := range s.Data {
			s.Data[i] = c.value
		}
		d := &Dataset{Name: "flat.npy", Stack: s}
		st, err := computeDataStats(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		text := formatDataStats(d, st)
		for _, n := range c.notes {
			if !strings.Contains(text, n) {
				t.Errorf("value %g: the statistics do not say %q:\n%s", c.value, n, text)
			}
		}
		if c.value != 0 && strings.Contains(text, "Binder U undefined") {
			t.Errorf("value %g: Binder U (2/3) called undefined", c.value)
		}
	}
}
