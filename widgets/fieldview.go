// Package widgets holds the reusable Fyne widgets of WCRG Lab: a pixel-crisp
// field viewer with colour bar and hover read-out, and a view of a rendered
// figure with an export button.
package widgets

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/plots"
)

// FieldView shows a raster image of a field (one image pixel per lattice
// site, scaled with nearest-neighbour sampling), an optional colour bar with
// its range, and a read-out of the value under the pointer.
//
// Images are prepared off the UI goroutine (plots.FieldImage) and handed to
// SetImage on it.
type FieldView struct {
	widget.BaseWidget

	img     *canvas.Image
	bar     *canvas.Image
	hi, lo  *widget.Label
	readout *widget.Label
	lookup  func(x, y int) string
	size    image.Point
	zoom    int // screen units per lattice site; 0 fits the image to the view
	area    *hoverArea
	content fyne.CanvasObject
}

// NewFieldView returns an empty field view.
func NewFieldView() *FieldView {
	v := &FieldView{
		img:     canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 1, 1))),
		bar:     canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 1, 1))),
		hi:      widget.NewLabel(""),
		lo:      widget.NewLabel(""),
		readout: widget.NewLabel("move the pointer over the field"),
	}
	v.img.ScaleMode = canvas.ImageScalePixels
	v.img.FillMode = canvas.ImageFillContain
	v.img.SetMinSize(fyne.NewSize(160, 160))
	v.bar.ScaleMode = canvas.ImageScaleSmooth
	v.bar.FillMode = canvas.ImageFillStretch
	v.bar.SetMinSize(fyne.NewSize(14, 100))
	v.bar.Hide()
	v.readout.TextStyle = fyne.TextStyle{Monospace: true}
	v.readout.Truncation = fyne.TextTruncateEllipsis
	v.area = &hoverArea{view: v}
	v.area.ExtendBaseWidget(v.area)
	barBox := container.NewBorder(v.hi, v.lo, nil, nil, v.bar)
	// The image sits in a scroll container: it fills the view when fitted
	// and scrolls when zoomed beyond it.
	scroll := container.NewScroll(container.NewStack(v.img, v.area))
	v.content = container.NewBorder(nil, v.readout, nil, barBox, scroll)
	v.ExtendBaseWidget(v)
	return v
}

// CreateRenderer implements fyne.Widget.
func (v *FieldView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.content)
}

// SetImage shows img. lookup, if not nil, describes image pixel (x, y) for
// the read-out. cm, if not nil, is the colour map with its range, shown as a
// colour bar. Call it on the UI goroutine.
func (v *FieldView) SetImage(img image.Image, lookup func(x, y int) string, cm *plots.ColorMap) {
	v.img.Image = img
	resized := img.Bounds().Size() != v.size
	v.size = img.Bounds().Size()
	v.lookup = lookup
	if resized && v.zoom > 0 {
		v.applyZoom()
	}
	v.img.Refresh()
	if lookup == nil {
		v.readout.Hide()
	} else {
		v.readout.Show()
	}
	if cm != nil {
		v.bar.Image = colorBarImage(cm)
		v.hi.SetText(formatValue(cm.Max()))
		v.lo.SetText(formatValue(cm.Min()))
		v.bar.Show()
		v.bar.Refresh()
	} else {
		v.bar.Hide()
		v.hi.SetText("")
		v.lo.SetText("")
	}
}

// SetZoom shows every lattice site as a square of z×z screen units (device
// independent), scrolling when the field is larger than the view; z = 0
// fits the field to the view. Call it on the UI goroutine.
func (v *FieldView) SetZoom(z int) {
	v.zoom = max(z, 0)
	v.applyZoom()
}

// Zoom returns the zoom factor (0: fitted).
func (v *FieldView) Zoom() int { return v.zoom }

func (v *FieldView) applyZoom() {
	if v.zoom == 0 || v.size.X == 0 {
		v.img.SetMinSize(fyne.NewSize(160, 160))
	} else {
		v.img.SetMinSize(fyne.NewSize(float32(v.zoom*v.size.X), float32(v.zoom*v.size.Y)))
	}
	v.img.Refresh()
	v.Refresh()
}

// Readout returns the current read-out text (for tests).
func (v *FieldView) Readout() string { return v.readout.Text }

// Image returns the image shown (for tests).
func (v *FieldView) Image() image.Image { return v.img.Image }

// pixelAt converts a position in the view's image area to image pixel
// coordinates, following the contain-fit of the canvas image.
func (v *FieldView) pixelAt(pos fyne.Position, area fyne.Size) (int, int, bool) {
	if v.size.X == 0 || v.size.Y == 0 || area.Width <= 0 || area.Height <= 0 {
		return 0, 0, false
	}
	sx := area.Width / float32(v.size.X)
	sy := area.Height / float32(v.size.Y)
	s := min(sx, sy)
	offX := (area.Width - s*float32(v.size.X)) / 2
	offY := (area.Height - s*float32(v.size.Y)) / 2
	x := int((pos.X - offX) / s)
	y := int((pos.Y - offY) / s)
	if pos.X < offX || pos.Y < offY || x >= v.size.X || y >= v.size.Y {
		return 0, 0, false
	}
	return x, y, true
}

func (v *FieldView) hover(pos fyne.Position, area fyne.Size) {
	if v.lookup == nil {
		return
	}
	if x, y, ok := v.pixelAt(pos, area); ok {
		v.readout.SetText(v.lookup(x, y))
	}
}

// hoverArea is a transparent widget over the image that tracks the pointer.
type hoverArea struct {
	widget.BaseWidget
	view *FieldView
}

func (h *hoverArea) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// MouseIn implements desktop.Hoverable.
func (h *hoverArea) MouseIn(e *desktop.MouseEvent) { h.view.hover(e.Position, h.Size()) }

// MouseMoved implements desktop.Hoverable.
func (h *hoverArea) MouseMoved(e *desktop.MouseEvent) { h.view.hover(e.Position, h.Size()) }

// MouseOut implements desktop.Hoverable.
func (h *hoverArea) MouseOut() {}

// Tapped shows the read-out on touch screens and in headless tests.
func (h *hoverArea) Tapped(e *fyne.PointEvent) { h.view.hover(e.Position, h.Size()) }

var _ desktop.Hoverable = (*hoverArea)(nil)

func colorBarImage(cm *plots.ColorMap) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 1, 256))
	for i := 0; i < 256; i++ {
		t := cm.Min() + (cm.Max()-cm.Min())*float64(255-i)/255
		img.SetRGBA(0, i, cm.RGBA(t))
	}
	return img
}

func formatValue(v float64) string {
	return plots.FormatValue(v)
}

// Spacer returns a flexible spacer (for toolbars).
func Spacer() fyne.CanvasObject { return layout.NewSpacer() }

// Heading returns a bold label.
func Heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return l
}

// Padded returns obj with the theme's padding.
func Padded(obj fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(theme.Padding(), theme.Padding(), theme.Padding(), theme.Padding()), obj)
}
