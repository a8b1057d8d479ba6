package widgets

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wcrglab/wcrg/plots"
)

// PlotDPI is the resolution at which figures are rendered for the screen.
const PlotDPI = 110

// PlotView shows a rendered figure with an Export… button. Figures are
// rendered off the UI goroutine (RenderFigure) and handed to SetFigure on it.
type PlotView struct {
	widget.BaseWidget

	img     *canvas.Image
	fig     *plots.Figure
	export  *widget.Button
	content fyne.CanvasObject
}

// NewPlotView returns an empty plot view; onExport is called with the
// figure when the user presses Export….
func NewPlotView(onExport func(*plots.Figure)) *PlotView {
	p := &PlotView{img: canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 1, 1)))}
	p.img.FillMode = canvas.ImageFillContain
	p.img.ScaleMode = canvas.ImageScaleSmooth
	p.img.SetMinSize(fyne.NewSize(260, 180))
	p.export = widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), func() {
		if p.fig != nil && onExport != nil {
			onExport(p.fig)
		}
	})
	p.export.Importance = widget.LowImportance
	p.export.Disable()
	p.content = container.NewBorder(nil, container.NewHBox(Spacer(), p.export), nil, nil, p.img)
	p.ExtendBaseWidget(p)
	return p
}

// RenderFigure renders fig for display; call it off the UI goroutine.
func RenderFigure(fig *plots.Figure) image.Image { return fig.Image(PlotDPI) }

// SetFigure shows fig, rendered as img. Call it on the UI goroutine.
func (p *PlotView) SetFigure(fig *plots.Figure, img image.Image) {
	p.fig = fig
	p.img.Image = img
	p.img.Refresh()
	if fig != nil {
		p.export.Enable()
	} else {
		p.export.Disable()
	}
}

// Figure returns the figure shown, or nil.
func (p *PlotView) Figure() *plots.Figure { return p.fig }

// CreateRenderer implements fyne.Widget.
func (p *PlotView) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }
