package app

import (
	"context"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/engine/lattice"
	"github.com/wcrglab/wcrg/plots"
)

// thumbSide is the largest side of a gallery thumbnail in lattice sites;
// larger fields are block-averaged down to it.
const thumbSide = 64

// maxThumbs bounds the number of thumbnails prepared in advance; fields
// beyond it are drawn when they scroll into view if they are small, and
// left blank otherwise.
const maxThumbs = 4096

// gallery is the Data tab's browsable strip of thumbnails of the stack: a
// virtualized grid whose thumbnails a job prepares off the UI goroutine
// whenever the data or the colours change; tapping one selects that field.
// All methods run on the UI goroutine.
type gallery struct {
	grid   *widget.GridWrap
	stack  lattice.Stack
	look   thumbLook
	thumbs []image.Image
}

// thumbLook is how thumbnails are coloured.
type thumbLook struct {
	cm *plots.ColorMap // with its stretch
	r  plots.Range
}

func newGallery(onSelect func(i int)) *gallery {
	g := &gallery{}
	g.grid = widget.NewGridWrap(
		func() int { return g.stack.N },
		func() fyne.CanvasObject {
			img := canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 1, 1)))
			img.ScaleMode = canvas.ImageScalePixels
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(56, 56))
			return img
		},
		func(id widget.GridWrapItemID, o fyne.CanvasObject) { g.update(id, o.(*canvas.Image)) },
	)
	g.grid.OnSelected = func(id widget.GridWrapItemID) { onSelect(id) }
	return g
}

// set shows the fields of s with the given look, starting a job in jobs
// that prepares the thumbnails (the cells stay blank until it is done).
func (g *gallery) set(jobs *Jobs, s lattice.Stack, look thumbLook) {
	g.stack, g.look, g.thumbs = s, look, nil
	g.grid.Refresh()
	jobs.Start("thumbnails", "Gallery thumbnails", func(ctx context.Context, report func(Progress)) (func(), error) {
		n := min(s.N, maxThumbs)
		thumbs := make([]image.Image, n)
		for i := range thumbs {
			if i%64 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				report(Progress{Fraction: float64(i) / float64(n), Text: "thumbnails"})
			}
			thumbs[i] = thumbnail(s.Field(i), look)
		}
		return func() {
			if g.look == look && sameStack(g.stack, s) {
				g.thumbs = thumbs
				g.grid.Refresh()
			}
		}, nil
	})
}

// update fills one grid cell: a prepared thumbnail, or a small field drawn
// at once (a few microseconds), or blank.
func (g *gallery) update(id int, img *canvas.Image) {
	switch {
	case id < len(g.thumbs):
		img.Image = g.thumbs[id]
	case id < g.stack.N && g.stack.L <= thumbSide && g.look.cm != nil && len(g.thumbs) > 0:
		img.Image = thumbnail(g.stack.Field(id), g.look)
	default:
		img.Image = image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	img.Refresh()
}

// thumbnail renders f, block-averaged to at most thumbSide sites a side.
func thumbnail(f lattice.Field, look thumbLook) image.Image {
	data, n := f.Data, f.L
	for n > thumbSide && n%2 == 0 {
		m := n / 2
		half := make([]float64, m*m)
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				half[i*m+j] = 0.25 * (data[2*i*n+2*j] + data[2*i*n+2*j+1] + data[(2*i+1)*n+2*j] + data[(2*i+1)*n+2*j+1])
			}
		}
		data, n = half, m
	}
	return plots.FieldImage(nil, data, n, look.r, look.cm)
}

// sameStack reports whether a and b share their data.
func sameStack(a, b lattice.Stack) bool {
	return a.N == b.N && a.L == b.L && len(a.Data) == len(b.Data) && (len(a.Data) == 0 || &a.Data[0] == &b.Data[0])
}
