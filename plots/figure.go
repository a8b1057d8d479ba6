package plots

import (
	"encoding/csv"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/wcrglab/wcrg/engine/atomicfile"
)

// Figure is a finished figure: a drawing at a nominal size and the table of
// numbers it shows.
type Figure struct {
	Name          string // short name, used for default file names
	Width, Height vg.Length
	Table         Table
	draw          func(dc draw.Canvas)
}

// Table is the data behind a figure, written as CSV.
type Table struct {
	Header []string
	Rows   [][]string
}

// AddRow appends a row of values formatted with full float64 precision
// (strings are written as they are).
func (t *Table) AddRow(values ...any) {
	row := make([]string, len(values))
	for i, v := range values {
		switch x := v.(type) {
		case float64:
			row[i] = strconv.FormatFloat(x, 'g', -1, 64)
		case int:
			row[i] = strconv.Itoa(x)
		case string:
			row[i] = x
		default:
			row[i] = fmt.Sprint(x)
		}
	}
	t.Rows = append(t.Rows, row)
}

// WriteCSV writes the table as CSV with a header line.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// Formats lists the file formats Save accepts, by extension.
func Formats() []string { return []string{"png", "svg", "pdf"} }

// PNGDPI is the resolution of PNG output: publication quality at the
// figure's nominal size.
const PNGDPI = 200

// Render writes the figure in format ("png", "svg" or "pdf") to w.
func (f *Figure) Render(w io.Writer, format string) error {
	var c vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(PNGDPI))}
	case "svg":
		c = vgsvg.New(f.Width, f.Height)
	case "pdf":
		c = vgpdf.New(f.Width, f.Height)
	default:
		return fmt.Errorf("plots: unknown figure format %q (want png, svg or pdf)", format)
	}
	f.draw(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

// Save writes the figure to path, in the format given by its extension
// (.png, .svg, .pdf), and its table to the same path with extension .csv.
// Both files are written atomically.
func (f *Figure) Save(path string) error {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	switch ext {
	case "png", "svg", "pdf":
	default:
		return fmt.Errorf("plots: %s: unknown figure format %q (want .png, .svg or .pdf)", path, filepath.Ext(path))
	}
	_, err := f.SaveFormat(path, ext)
	return err
}

// SaveFormat is Save with the format ("png", "svg" or "pdf") given rather
// than taken from path's extension: for a file the user named in a save
// dialog, which must receive the figure whatever its name. It returns the
// path of the numbers' CSV: path with the extension .csv, or path + ".csv"
// when path itself ends in .csv.
func (f *Figure) SaveFormat(path, format string) (csvPath string, err error) {
	csvPath = strings.TrimSuffix(path, filepath.Ext(path)) + ".csv"
	if csvPath == path {
		csvPath = path + ".csv"
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return f.Render(w, format) }); err != nil {
		return "", fmt.Errorf("plots: %s: %w", path, err)
	}
	return csvPath, f.SaveCSV(csvPath)
}

// SaveCSV writes the figure's table to path atomically.
func (f *Figure) SaveCSV(path string) error {
	if err := atomicfile.Write(path, f.Table.WriteCSV); err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	return nil
}

// Image renders the figure to a raster image at dpi dots per inch, for
// on-screen display.
func (f *Figure) Image(dpi int) image.Image {
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi))
	f.draw(draw.New(c))
	return c.Image()
}

// wrapTitle breaks each line of p's title that is too wide for width,
// when drawn in the title's font, into lines at spaces. A single word wider
// than width stays on a line of its own. Titles written for a wide screen
// otherwise run off both edges of a 6-inch figure.
func wrapTitle(p *plot.Plot, width vg.Length) {
	style := p.Title.TextStyle
	var out []string
	for _, text := range strings.Split(p.Title.Text, "\n") {
		words := strings.Fields(text)
		if len(words) == 0 || style.Width(text) <= width {
			out = append(out, text)
			continue
		}
		line := words[0]
		for _, w := range words[1:] {
			if style.Width(line+" "+w) <= width {
				line += " " + w
				continue
			}
			out = append(out, line)
			line = w
		}
		out = append(out, line)
	}
	p.Title.Text = strings.Join(out, "\n")
}
