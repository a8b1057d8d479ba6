package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
		b, sanitized, err := encodeJSON(obj)
		if err != nil {
			return err
		}
		if sanitized {
			e.logf("warning: undefined figures (NaN or ±Inf) printed as 0 or ±%g", math.MaxFloat64)
		}
		_, err = e.stdout.Write(b)
		return err
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
	b, sanitized, err := encodeJSON(v)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if sanitized {
		fmt.Fprintf(os.Stderr, "warning: %s: undefined figures (NaN or ±Inf) written as 0 or ±%g\n", path, math.MaxFloat64)
	}
	return atomicfile.WriteBytes(path, b)
}

// encodeJSON encodes v as indented JSON. JSON has no NaN or infinities: when
// v holds some (the kurtosis of constant fields, a condition number of a
// singular matrix), a copy of v is encoded in which they are 0 (NaN) and
// ±math.MaxFloat64 (±Inf; ±math.MaxFloat32 for float32), and sanitized is
// true, so that a finished run never loses its output document to an
// undefined figure. v itself is not changed, and values that encode
// themselves (json.Marshaler, such as jsonFloat's null) are kept.
func encodeJSON(v any) (b []byte, sanitized bool, err error) {
	encode := func(v any) ([]byte, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err := enc.Encode(v)
		return buf.Bytes(), err
	}
	b, err = encode(v)
	var unsupported *json.UnsupportedValueError
	if v == nil || !errors.As(err, &unsupported) {
		return b, false, err
	}
	b, err = encode(finiteCopy(reflect.ValueOf(v)).Interface())
	return b, true, err
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// finiteCopy returns a deep copy of v (through pointers, interfaces,
// structs, slices, arrays and maps) with its NaN and infinite floats
// replaced as encodeJSON says. Unexported struct fields are copied as they
// are; values that implement json.Marshaler are returned unchanged.
func finiteCopy(v reflect.Value) reflect.Value {
	t := v.Type()
	if t.Implements(jsonMarshaler) {
		return v
	}
	switch v.Kind() {
	case reflect.Float64, reflect.Float32:
		x, big := v.Float(), math.MaxFloat64
		if v.Kind() == reflect.Float32 {
			big = math.MaxFloat32
		}
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return v
		}
		out := reflect.New(t).Elem()
		switch {
		case math.IsInf(x, 1):
			out.SetFloat(big)
		case math.IsInf(x, -1):
			out.SetFloat(-big)
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(finiteCopy(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t).Elem()
		out.Set(finiteCopy(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v)
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				out.Field(i).Set(finiteCopy(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(finiteCopy(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(finiteCopy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), finiteCopy(it.Value()))
		}
		return out
	}
	return v
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

// commandFlags returns the flags of fs that were set on the command line,
// and those named in always even when left at their defaults, as
// "--name value" (booleans "--name" or "--name=false"), in fs's order and
// quoted for a POSIX shell: the part of a command line that reproduces a
// run, for the sidecars. --json, which changes only the output, is left out.
func commandFlags(fs *flag.FlagSet, always ...string) string {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var parts []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "json" || !set[f.Name] && !slices.Contains(always, f.Name) {
			return
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if f.Value.String() == "true" {
				parts = append(parts, "--"+f.Name)
			} else {
				parts = append(parts, "--"+f.Name+"=false")
			}
			return
		}
		parts = append(parts, "--"+f.Name+" "+shellQuote(f.Value.String()))
	})
	return strings.Join(parts, " ")
}

// shellQuote returns s, single-quoted for a POSIX shell when it holds
// anything but letters, digits and the characters of ordinary paths.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkNpyOut checks the --out flag of a command that turns the file input
// into a new .npy stack: given, a .npy name, and not the input itself.
func checkNpyOut(out, input string) error {
	switch {
	case out == "":
		return usagef("--out is required")
	case !strings.EqualFold(filepath.Ext(out), ".npy"):
		return usagef("--out %s: the output must be a .npy file", out)
	case sameFile(out, input):
		return usagef("--out %s is the input file: choose another name (the input would be overwritten)", out)
	}
	return nil
}

// sameFile reports whether the paths a and b name one existing file (or
// are the same path).
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
