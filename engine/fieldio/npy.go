package fieldio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/wcrglab/wcrg/engine/atomicfile"
	"github.com/wcrglab/wcrg/engine/lattice"
)

const (
	npyMagic = "\x93NUMPY"
	// npyMaxHeader bounds the header length read (NumPy's own default
	// limit is 10000 bytes).
	npyMaxHeader = 1 << 16
	// npyAlign is the alignment of the data offset NumPy uses.
	npyAlign = 64
)

// npyHeader is the parsed header dictionary.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// openNpy reads a .npy header and sets up r's decoder.
func openNpy(s *source, r *StackReader) error {
	pre := make([]byte, 8)
	if err := s.readFull(pre, ".npy header"); err != nil {
		got := string(pre[:min(int(s.pos), len(npyMagic))])
		if !strings.HasPrefix(npyMagic, got) {
			return s.errorf("not a NumPy .npy file: the magic bytes are %q, want %q", got, npyMagic)
		}
		return s.errorf("truncated .npy header: the file is only %d bytes", s.size)
	}
	if string(pre[:6]) != npyMagic {
		return s.errorf("not a NumPy .npy file: the magic bytes are %q, want %q", pre[:6], npyMagic)
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	switch {
	case minor != 0 || major < 1 || major > 3:
		return s.errorf(".npy format version %d.%d is not supported (want 1.0, 2.0 or 3.0)", major, minor)
	case major == 1:
		b := make([]byte, 2)
		if err := s.readFull(b, ".npy header length"); err != nil {
			return err
		}
		hlen = int64(binary.LittleEndian.Uint16(b))
	default:
		b := make([]byte, 4)
		if err := s.readFull(b, ".npy header length"); err != nil {
			return err
		}
		hlen = int64(binary.LittleEndian.Uint32(b))
	}
	if hlen > s.remaining() {
		return s.errorf("truncated .npy header: it declares %d bytes, the file has %d after the prefix", hlen, s.remaining())
	}
	if hlen > npyMaxHeader {
		return s.errorf(".npy header of %d bytes is too long (at most %d)", hlen, npyMaxHeader)
	}
	hb := make([]byte, hlen)
	if err := s.readFull(hb, ".npy header"); err != nil {
		return err
	}
	h, err := parseNpyHeader(string(hb))
	if err != nil {
		return s.errorf("bad .npy header: %v", err)
	}
	r.info.Shape = h.shape
	r.info.Dtype = h.descr
	r.info.FortranOrder = h.fortran
	var kind elemKind
	switch h.descr {
	case "<f4":
		kind = f32LE
	case ">f4":
		kind = f32BE
	case "<f8":
		kind = f64LE
	case ">f8":
		kind = f64BE
	default:
		return s.errorf("dtype '%s' is not supported (want float32 or float64: '<f4', '>f4', '<f8' or '>f8')", h.descr)
	}
	shape := formatShape(h.shape)
	var n, rows, cols int
	switch len(h.shape) {
	case 2:
		n, rows, cols = 1, h.shape[0], h.shape[1]
	case 3:
		n, rows, cols = h.shape[0], h.shape[1], h.shape[2]
		r.cube = true
	default:
		return s.errorf("header declares %d-D shape %s: want (L, L) for one field or (n, L, L) for a stack", len(h.shape), shape)
	}
	for _, d := range h.shape {
		if d == 0 {
			return s.errorf("header declares shape %s: zero-size axis, the file holds no values", shape)
		}
	}
	avail := s.remaining()
	elems, ok := mulCheck(int64(n), int64(rows), avail)
	if ok {
		elems, ok = mulCheck(elems, int64(cols), avail)
	}
	var nbytes int64
	if ok {
		nbytes, ok = mulCheck(elems, int64(kind.size()), avail)
	}
	if !ok {
		declared := float64(kind.size())
		for _, d := range h.shape {
			declared *= float64(d)
		}
		return s.errorf("truncated data: header declares shape %s of %s (%.4g bytes), more than the %d bytes after the header", shape, h.descr, declared, avail)
	}
	r.info.TrailingBytes = avail - nbytes
	r.n, r.rows, r.cols = n, rows, cols
	r.dec = &binDecoder{s: s, kind: kind, n: n, rows: rows, cols: cols, fortran: h.fortran}
	return nil
}

// parseNpyHeader parses the header dictionary strictly: a Python dict
// literal with exactly the keys 'descr', 'fortran_order' and 'shape',
// padded with spaces and ending in a newline.
func parseNpyHeader(h string) (npyHeader, error) {
	var out npyHeader
	if !strings.HasSuffix(h, "\n") {
		return out, fmt.Errorf("it does not end with a newline")
	}
	p := &pyParser{s: h}
	p.ws()
	if !p.eat('{') {
		return out, fmt.Errorf("it does not start with '{'")
	}
	seen := map[string]bool{}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return out, fmt.Errorf("key: %v", err)
		}
		p.ws()
		if !p.eat(':') {
			return out, fmt.Errorf("missing ':' after key %q", key)
		}
		p.ws()
		if seen[key] {
			return out, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if p.peek() == '[' {
				return out, fmt.Errorf("structured dtypes are not supported (want float32 or float64)")
			}
			if out.descr, err = p.str(); err != nil {
				return out, fmt.Errorf("descr: %v", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				out.fortran = true
			case p.word("False"):
			default:
				return out, fmt.Errorf("fortran_order is not True or False")
			}
		case "shape":
			if out.shape, err = p.tuple(); err != nil {
				return out, fmt.Errorf("shape: %v", err)
			}
		default:
			return out, fmt.Errorf("unexpected key %q", key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if !p.eat('}') {
			return out, fmt.Errorf("expected ',' or '}' at byte %d", p.i)
		}
		break
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return out, fmt.Errorf("key %q is missing", k)
		}
	}
	if rest := strings.TrimRight(h[p.i:len(h)-1], " "); rest != "" {
		return out, fmt.Errorf("unexpected text %q after the dictionary", clip(rest, 20))
	}
	return out, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// pyParser reads the few Python literals of a .npy header.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a quoted string at byte %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at byte %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", fmt.Errorf("unsupported characters in string %q", clip(v, 20))
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative integers: (), (a,), (a, b), (a, b,).
func (p *pyParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("not a tuple")
	}
	out := []int{}
	for {
		p.ws()
		if p.eat(')') {
			if len(out) == 1 {
				return nil, fmt.Errorf("not a tuple")
			}
			return out, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, fmt.Errorf("expected a non-negative integer at byte %d", start)
		}
		if p.i-start > 1 && p.s[start] == '0' {
			return nil, fmt.Errorf("axis length %s has a leading zero", clip(p.s[start:p.i], 24))
		}
		if len(out) == 32 {
			return nil, fmt.Errorf("more than 32 dimensions")
		}
		v, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || v > math.MaxInt32*int64(math.MaxInt32) {
			return nil, fmt.Errorf("axis length %s is too large", clip(p.s[start:p.i], 24))
		}
		out = append(out, int(v))
		p.ws()
		if p.eat(',') {
			if len(out) == 1 {
				p.ws()
				if p.eat(')') {
					return out, nil
				}
			}
			continue
		}
		p.ws()
		if !p.eat(')') {
			return nil, fmt.Errorf("expected ',' or ')' at byte %d", p.i)
		}
		if len(out) == 1 {
			return nil, fmt.Errorf("(%d) is not a tuple", out[0])
		}
		return out, nil
	}
}

// npyDict is the header dictionary NumPy writes.
func npyDict(descr string, shape string) string {
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
}

// npyHeaderBytes returns a version 1.0 header whose total length (prefix
// included) is total, or the smallest multiple of 64 if total is 0.
func npyHeaderBytes(dict string, total int) []byte {
	if total == 0 {
		total = (10 + len(dict) + 1 + npyAlign - 1) / npyAlign * npyAlign
	}
	b := make([]byte, total)
	copy(b, npyMagic)
	b[6], b[7] = 1, 0
	binary.LittleEndian.PutUint16(b[8:], uint16(total-10))
	n := copy(b[10:], dict)
	for i := 10 + n; i < total-1; i++ {
		b[i] = ' '
	}
	b[total-1] = '\n'
	return b
}

func (p Precision) descr() (string, int) {
	if p == Float32 {
		return "<f4", 4
	}
	return "<f8", 8
}

func putValues(b []byte, data []float64, p Precision) {
	if p == Float32 {
		for i, v := range data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
		}
		return
	}
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
}

// WriteNpy writes the stack to path atomically as a little-endian C-order
// .npy file of shape (n, L, L), or (L, L) if the stack has one field.
func WriteNpy(path string, s lattice.Stack, p Precision) error {
	if p != Float64 && p != Float32 {
		return fmt.Errorf("fieldio: %s: unknown precision %d", path, p)
	}
	if err := checkStack(path, s); err != nil {
		return err
	}
	if p == Float32 {
		if err := checkFinite(path, s.Data, s.L, s.N > 1, true); err != nil {
			return err
		}
	}
	descr, size := p.descr()
	shape := formatShape([]int{s.N, s.L, s.L})
	if s.N == 1 {
		shape = formatShape([]int{s.L, s.L})
	}
	hdr := npyHeaderBytes(npyDict(descr, shape), 0)
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if _, err := bw.Write(hdr); err != nil {
			return fmt.Errorf("fieldio: %s: %w", path, err)
		}
		m := s.L * s.L
		buf := make([]byte, m*size)
		for i := 0; i < s.N; i++ {
			putValues(buf, s.Data[i*m:(i+1)*m], p)
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("fieldio: %s: %w", path, err)
			}
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("fieldio: %s: %w", path, err)
		}
		return nil
	})
}

// NpyWriter appends fields of side L to a .npy file of shape (n, L, L),
// little-endian, C order. The header has room for any n and is rewritten in
// place after each field's data, so between appends the file is always a
// valid .npy of the fields appended so far; if a process dies inside Append,
// the file still reads as the fields before it (readers, NumPy included,
// ignore the partial field after the data).
type NpyWriter struct {
	path  string
	f     *os.File
	side  int
	prec  Precision
	n     int
	hlen  int
	descr string
	buf   []byte
	err   error
}

// CreateNpy creates (or truncates) path and writes the header of an empty
// (0, L, L) array; Append adds fields, Close finishes.
func CreateNpy(path string, L int, p Precision) (*NpyWriter, error) {
	if L < 1 {
		return nil, fmt.Errorf("fieldio: %s: field side %d < 1", path, L)
	}
	if p != Float64 && p != Float32 {
		return nil, fmt.Errorf("fieldio: %s: unknown precision %d", path, p)
	}
	descr, size := p.descr()
	// Reserve room for the longest shape the header can ever hold.
	widest := fmt.Sprintf("(%d, %d, %d)", uint64(math.MaxUint64), L, L)
	w := &NpyWriter{path: path, side: L, prec: p, descr: descr, buf: make([]byte, L*L*size)}
	w.hlen = len(npyHeaderBytes(npyDict(descr, widest), 0))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("fieldio: %s: %w", path, unwrapPath(err))
	}
	w.f = f
	if err := w.writeHeader(0); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func (w *NpyWriter) writeHeader(n int) error {
	hdr := npyHeaderBytes(npyDict(w.descr, formatShape([]int{n, w.side, w.side})), w.hlen)
	if _, err := w.f.WriteAt(hdr, 0); err != nil {
		return fmt.Errorf("fieldio: %s: writing the header: %w", w.path, unwrapPath(err))
	}
	return nil
}

// Append writes one more field. A field of another side or with NaN or
// infinite values is refused and nothing is written; an I/O error is
// returned again by every later call.
func (w *NpyWriter) Append(f lattice.Field) error {
	if w.err != nil {
		return w.err
	}
	if w.f == nil {
		return fmt.Errorf("fieldio: %s: Append after Close", w.path)
	}
	if f.L != w.side || len(f.Data) != w.side*w.side {
		return fmt.Errorf("fieldio: %s: field of side %d (%d values), the file holds side %d", w.path, f.L, len(f.Data), w.side)
	}
	if err := checkFinite(w.path, f.Data, w.side, false, w.prec == Float32); err != nil {
		return fmt.Errorf("%w (field %d)", err, w.n)
	}
	putValues(w.buf, f.Data, w.prec)
	off := int64(w.hlen) + int64(w.n)*int64(len(w.buf))
	if _, err := w.f.WriteAt(w.buf, off); err != nil {
		w.err = fmt.Errorf("fieldio: %s: writing field %d: %w", w.path, w.n, unwrapPath(err))
		return w.err
	}
	if err := w.writeHeader(w.n + 1); err != nil {
		w.err = err
		return err
	}
	w.n++
	return nil
}

// Len is the number of fields appended.
func (w *NpyWriter) Len() int { return w.n }

// Close syncs and closes the file. Closing twice is a no-op.
func (w *NpyWriter) Close() error {
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fieldio: %s: %w", w.path, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("fieldio: %s: %w", w.path, unwrapPath(err))
	}
	return w.err
}
