package fieldio

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"strings"
)

// source reads a file front to back exactly once, hashing every byte, and
// knows the file's size so that declared sizes can be checked before any
// allocation.
type source struct {
	name string
	r    *bufio.Reader
	size int64 // total size of the file in bytes
	pos  int64 // bytes consumed so far
	hash hash.Hash
	sum  string // hex SHA-256 once finish has run
}

func newSource(name string, r io.Reader, size int64) *source {
	h := sha256.New()
	bufSize := int(min(max(size, 16), 1<<16))
	return &source{name: name, r: bufio.NewReaderSize(io.TeeReader(r, h), bufSize), size: size, hash: h}
}

func (s *source) remaining() int64 { return s.size - s.pos }

func (s *source) errorf(format string, args ...any) error {
	return fmt.Errorf("fieldio: %s: "+format, append([]any{s.name}, args...)...)
}

// readFull reads exactly len(buf) bytes; what names the part of the file.
func (s *source) readFull(buf []byte, what string) error {
	n, err := io.ReadFull(s.r, buf)
	s.pos += int64(n)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return s.errorf("truncated %s: the file ends after %d bytes", what, s.pos)
	case err != nil:
		return s.errorf("reading %s: %w", what, err)
	}
	return nil
}

// skip consumes n bytes.
func (s *source) skip(n int64, what string) error {
	m, err := io.CopyN(io.Discard, s.r, n)
	s.pos += m
	switch {
	case err == io.EOF:
		return s.errorf("truncated %s: the file ends after %d bytes", what, s.pos)
	case err != nil:
		return s.errorf("reading %s: %w", what, err)
	}
	return nil
}

// readRest reads everything that is left (bounded by the file's size).
func (s *source) readRest() ([]byte, error) {
	n := s.remaining()
	if n < 0 {
		n = 0
	}
	buf := make([]byte, n)
	if err := s.readFull(buf, "file"); err != nil {
		return nil, err
	}
	return buf, nil
}

// finish reads the rest of the file into the hash and records the digest.
func (s *source) finish() error {
	if s.sum != "" {
		return nil
	}
	n, err := io.Copy(io.Discard, s.r)
	s.pos += n
	if err != nil {
		return s.errorf("reading: %w", err)
	}
	s.sum = hex.EncodeToString(s.hash.Sum(nil))
	return nil
}

// elemKind is the on-disk encoding of one value.
type elemKind int

const (
	f32LE elemKind = iota
	f32BE
	f64LE
	f64BE
	u8
	i16BE
	i32BE
	i64BE
)

func (k elemKind) size() int {
	switch k {
	case u8:
		return 1
	case i16BE:
		return 2
	case f32LE, f32BE, i32BE:
		return 4
	}
	return 8
}

// decodeValues converts len(dst) encoded values of kind k from b. Integer
// kinds equal to blank (if hasBlank) become NaN; if scaled, values become
// zero + scale·v.
func decodeValues(dst []float64, b []byte, k elemKind, scaled bool, scale, zero float64, hasBlank bool, blank int64) {
	switch k {
	case f32LE:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case f32BE:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(b[4*i:])))
		}
	case f64LE:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case f64BE:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
	default:
		nan := math.NaN()
		for i := range dst {
			var v int64
			switch k {
			case u8:
				v = int64(b[i])
			case i16BE:
				v = int64(int16(binary.BigEndian.Uint16(b[2*i:])))
			case i32BE:
				v = int64(int32(binary.BigEndian.Uint32(b[4*i:])))
			default:
				v = int64(binary.BigEndian.Uint64(b[8*i:]))
			}
			if hasBlank && v == blank {
				dst[i] = nan
				continue
			}
			dst[i] = float64(v)
		}
	}
	if scaled {
		for i, v := range dst {
			dst[i] = zero + scale*v
		}
	}
}

// binDecoder yields the images of a raw binary array (n images of rows×cols
// values) that starts at the source's current position.
type binDecoder struct {
	s                *source
	kind             elemKind
	n, rows, cols    int
	fortran          bool
	scaled, hasBlank bool
	scale, zero      float64
	blank            int64
	buf              []byte
	tmp              []float64
	all              []float64 // Fortran order with n > 1: the whole array in file order
	next             int
}

func (d *binDecoder) read(dst []float64) error {
	m := d.rows * d.cols
	if d.next >= d.n {
		return d.s.errorf("internal: image %d of %d", d.next, d.n)
	}
	i := d.next
	d.next++
	switch {
	case !d.fortran:
		return d.readChunk(dst, i)
	case d.n == 1:
		if d.tmp == nil {
			d.tmp = make([]float64, m)
		}
		if err := d.readChunk(d.tmp, i); err != nil {
			return err
		}
		// Fortran (rows, cols): element (r, c) at r + rows·c.
		for c := 0; c < d.cols; c++ {
			col := d.tmp[c*d.rows : (c+1)*d.rows]
			for r, v := range col {
				dst[r*d.cols+c] = v
			}
		}
		return nil
	default:
		if d.all == nil {
			// A Fortran-order stack interleaves the fields on disk: read it whole.
			d.all = make([]float64, d.n*m)
			const chunk = 1 << 16
			for off := 0; off < len(d.all); off += chunk {
				end := min(off+chunk, len(d.all))
				if err := d.readChunk(d.all[off:end], -1); err != nil {
					return err
				}
			}
		}
		// Fortran (n, rows, cols): element (i, r, c) at i + n·(r + rows·c).
		for r := 0; r < d.rows; r++ {
			for c := 0; c < d.cols; c++ {
				dst[r*d.cols+c] = d.all[i+d.n*(r+d.rows*c)]
			}
		}
		return nil
	}
}

// readChunk reads len(dst) consecutive values; image is the image index for
// error messages (−1: part of the array).
func (d *binDecoder) readChunk(dst []float64, image int) error {
	nb := len(dst) * d.kind.size()
	if cap(d.buf) < nb {
		d.buf = make([]byte, nb)
	}
	b := d.buf[:nb]
	what := "data"
	if image >= 0 && d.n > 1 {
		what = "data of field " + strconv.Itoa(image)
	}
	if err := d.s.readFull(b, what); err != nil {
		return err
	}
	decodeValues(dst, b, d.kind, d.scaled, d.scale, d.zero, d.hasBlank, d.blank)
	return nil
}

// memDecoder yields one image held in memory.
type memDecoder struct {
	data []float64
	done bool
}

func (d *memDecoder) read(dst []float64) error {
	if d.done {
		return errors.New("fieldio: internal: image read twice")
	}
	d.done = true
	copy(dst, d.data)
	return nil
}

// mulCheck returns a·b and whether it stays at or below limit (a, b ≥ 0).
func mulCheck(a, b, limit int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > limit/b {
		return 0, false
	}
	return a * b, true
}

func formatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, v := range shape {
		parts[i] = strconv.Itoa(v)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
