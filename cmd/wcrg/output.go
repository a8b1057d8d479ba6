package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/wcrglab/wcrg/engine/atomicfile"
	"github.com/wcrglab/wcrg/plots"
)

// table is a result table printed with aligned columns.
type table struct {
	title  string
	header []string
	rows   [][]string
}

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case float64:
			row[i] = fmtFloat(v)
		case string:
			row[i] = v
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	t.rows = append(t.rows, row)
}

func fmtFloat(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case v == 0:
		return "0"
	case a >= 1e5 || a < 1e-3:
		return fmt.Sprintf("%.4g", v)
	default:
		return fmt.Sprintf("%.5g", v)
	}
}

func (t *table) print(w io.Writer) {
	if t.title != "" {
		fmt.Fprintln(w, t.title)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(t.header, "\t")+"\t")
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	tw.Flush()
}

// emit prints the result: obj as one JSON object with --json, otherwise the
// tables and notes as text.
func (e *env) emit(obj any, tables []*table, notes ...string) error {
	if e.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(obj)
	}
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		t.print(e.stdout)
	}
	for _, n := range notes {
		fmt.Fprintln(e.stdout, n)
	}
	return nil
}

// progressLine writes throttled progress to stderr: rewritten in place on a
// terminal, one line every few seconds otherwise.
type progressLine struct {
	w        io.Writer
	tty      bool
	mu       sync.Mutex
	last     time.Time
	interval time.Duration
	dirty    bool
}

func (e *env) progress() *progressLine {
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	iv := 2 * time.Second
	if tty {
		iv = 100 * time.Millisecond
	}
	return &progressLine{w: e.stderr, tty: tty, interval: iv}
}

// update shows msg unless the last update was too recent (force overrides).
func (p *progressLine) update(force bool, format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !force && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	msg := fmt.Sprintf(format, a...)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", msg)
		p.dirty = true
	} else {
		fmt.Fprintln(p.w, msg)
	}
}

// done ends an in-place progress line.
func (p *progressLine) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
}

// logf writes one line to stderr, ending any in-place progress line first.
func (e *env) logf(format string, a ...any) {
	fmt.Fprintf(e.stderr, format+"\n", a...)
}

// writeJSON writes v as indented JSON to path atomically.
func writeJSON(path string, v any) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, []byte(b.String()))
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// namedFigure is a figure and its file stem.
type namedFigure struct {
	name string
	fig  *plots.Figure
}

// saveFigures writes every figure into dir in every format of plots.Formats
// with its CSV, and returns one pattern per figure (dir/name.{png,svg,pdf,csv}).
func saveFigures(dir string, figs []namedFigure) ([]string, error) {
	var files []string
	for _, f := range figs {
		base := filepath.Join(dir, f.name)
		for _, ext := range plots.Formats() {
			if err := f.fig.Save(base + "." + ext); err != nil {
				return nil, err
			}
		}
		files = append(files, base+".{png,svg,pdf,csv}")
	}
	return files, nil
}
