package fieldio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wcrglab/wcrg/engine/lattice"
)

// Format names a file format.
type Format string

// The formats fieldio reads.
const (
	FormatNpy  Format = "npy"  // NumPy .npy
	FormatFITS Format = "fits" // FITS image HDU (.fits, .fit, .fts)
	FormatPNG  Format = "png"  // PNG image
	FormatText Format = "text" // CSV or whitespace-separated matrix (.csv, .txt, .dat)
)

// Options says how to read a file. The zero value reads power-of-two square
// fields as they are and refuses anything else.
type Options struct {
	// Crop keeps the centred, largest power-of-two square of every field
	// whose shape is not already a power-of-two square: an R×C field becomes
	// S×S with S the largest power of two ≤ min(R, C), taken from rows
	// (R−S)/2 … and columns (C−S)/2 … .
	Crop bool
	// PatchSize, if positive, cuts every field into ⌊R/P⌋·⌊C/P⌋
	// non-overlapping P×P patches (P = PatchSize, a power of two ≥ 2 and
	// ≤ min(R, C)) on a grid centred in the field; the margins are dropped.
	// Patches of field i come before those of field i+1, row by row. It is
	// applied to every file, also to power-of-two squares larger than P.
	PatchSize int
	// HDU selects the FITS HDU: 0 picks the first HDU (primary or IMAGE
	// extension) with 2- or 3-axis image data; k > 0 picks HDU k, numbered
	// as astropy's hdul[k] (0 is the primary HDU). Ignored for other formats.
	HDU int
}

// Validate checks the options on their own.
func (o Options) Validate() error {
	switch {
	case o.PatchSize < 0:
		return fmt.Errorf("fieldio: Options.PatchSize %d is negative", o.PatchSize)
	case o.PatchSize > 0 && (o.PatchSize < 2 || !isPow2(o.PatchSize)):
		return fmt.Errorf("fieldio: Options.PatchSize %d is not a power of two ≥ 2", o.PatchSize)
	case o.PatchSize > 0 && o.Crop:
		return errors.New("fieldio: Options.Crop and Options.PatchSize are both set; choose one")
	case o.HDU < 0:
		return fmt.Errorf("fieldio: Options.HDU %d is negative", o.HDU)
	}
	return nil
}

// Info describes a file that was read.
type Info struct {
	Path   string
	Format Format
	// Shape is the array's shape as stored, slowest axis first: (rows, cols)
	// or (n, rows, cols) for .npy, the reversed NAXISn for FITS (as astropy's
	// data.shape), (height, width) for PNG, (lines, values) for text.
	Shape []int
	// Dtype is the stored value type: the .npy descr ('<f8', '>f4', …),
	// "BITPIX -32" etc. for FITS (with BSCALE/BZERO if present), "gray8",
	// "gray16", "palette8", "rgb8", "rgba8", "rgb16", "rgba16" for PNG, "text".
	Dtype        string
	FortranOrder bool   // .npy: the file was in Fortran order
	SHA256       string // hex SHA-256 of the whole file
	// TrailingBytes counts bytes after the data of a .npy file (left, for
	// example, by an NpyWriter interrupted while appending); they are ignored.
	TrailingBytes int64
	// HDU is the index of the FITS HDU read (0 = primary).
	HDU int
	// Cards are the FITS header cards of the HDU read, in order (long
	// strings continued with CONTINUE are joined); nil for other formats.
	Cards []Card
	// Header maps each FITS keyword to its value (see Card.Value); the first
	// card wins when a keyword repeats. COMMENT, HISTORY and blank keywords
	// are not in it.
	Header map[string]string
	// Fix says what Options.Crop or Options.PatchSize did; "" if nothing.
	Fix string
	// N and L are the number and side of the fields delivered.
	N, L int
}

// HeaderFloat returns the FITS keyword's value as a number (a Fortran 'D'
// exponent is accepted), and whether it exists and is numeric.
func (in Info) HeaderFloat(key string) (float64, bool) {
	v, ok := in.Header[key]
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.Map(func(r rune) rune {
		if r == 'D' || r == 'd' {
			return 'E'
		}
		return r
	}, v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// Read reads all fields of path, choosing the format by its content's magic
// bytes (.npy, FITS, PNG) or else by its extension (.npy, .fits, .fit, .fts,
// .png, .csv, .txt, .dat).
func Read(path string, opt Options) (*lattice.Stack, Info, error) {
	r, err := OpenStack(path, opt)
	if err != nil {
		return nil, Info{Path: path}, err
	}
	defer r.Close()
	st, err := r.readAll()
	if err != nil {
		return nil, r.Info(), err
	}
	return st, r.Info(), nil
}

// ReadFrom reads all fields of a file held in r (size bytes), for data that
// is not on disk, such as an embedded demo; name is used in errors and in
// Info.Path, and its extension helps detect the format as in Read.
func ReadFrom(name string, r io.Reader, size int64, opt Options) (*lattice.Stack, Info, error) {
	sr, err := newStackReader(name, r, size, "", opt)
	if err != nil {
		return nil, Info{Path: name}, err
	}
	st, err := sr.readAll()
	if err != nil {
		return nil, sr.Info(), err
	}
	return st, sr.Info(), nil
}

// StackReader delivers the fields of a file one at a time, reading a large
// C-order .npy stack or FITS cube field by field (a Fortran-order .npy stack,
// whose fields are interleaved on disk, and PNG and text files are read
// whole on the first call to Next).
type StackReader struct {
	info    Info
	src     *source
	closer  io.Closer
	dec     interface{ read(dst []float64) error }
	n       int // source images
	rows    int
	cols    int
	cube    bool  // positions name the field
	lines   []int // text: line of each row
	blank   bool  // FITS with BLANK: NaN may be a BLANK pixel
	side    int
	origins [][2]int
	img     []float64
	image   int // images read
	sub     int // next origin within the current image
	out     int // fields delivered
	err     error
}

// OpenStack opens path (see Read for the formats), reads its header and
// checks the shape. The caller must Close the reader.
func OpenStack(path string, opt Options) (*StackReader, error) {
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("fieldio: %s: %s", path, strings.TrimPrefix(err.Error(), "fieldio: "))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fieldio: %s: %w", path, unwrapPath(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fieldio: %s: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("fieldio: %s: not a regular file", path)
	}
	r, err := newStackReader(path, f, fi.Size(), "", opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// newStackReader reads the header from rd (size bytes, named name); format
// "" detects the format.
func newStackReader(name string, rd io.Reader, size int64, format Format, opt Options) (*StackReader, error) {
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("fieldio: %s: %s", name, strings.TrimPrefix(err.Error(), "fieldio: "))
	}
	s := newSource(name, rd, size)
	if size == 0 {
		return nil, s.errorf("empty file")
	}
	if format == "" {
		var err error
		if format, err = detect(s); err != nil {
			return nil, err
		}
	}
	r := &StackReader{src: s, info: Info{Path: name, Format: format}}
	var err error
	switch format {
	case FormatNpy:
		err = openNpy(s, r)
	case FormatFITS:
		err = openFITS(s, r, opt.HDU)
	case FormatPNG:
		err = openPNG(s, r)
	case FormatText:
		err = openText(s, r)
	default:
		err = s.errorf("internal: unknown format %q", format)
	}
	if err != nil {
		return nil, err
	}
	if err := r.plan(opt); err != nil {
		return nil, err
	}
	r.img = make([]float64, r.rows*r.cols)
	r.info.N = r.n * len(r.origins)
	r.info.L = r.side
	return r, nil
}

// detect picks the format from magic bytes, else from the extension.
func detect(s *source) (Format, error) {
	head, _ := s.r.Peek(16)
	switch {
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		return FormatNpy, nil
	case bytes.HasPrefix(head, []byte("SIMPLE  =")):
		return FormatFITS, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "", s.errorf("a zip archive (.npz?) is not supported: extract the .npy arrays first")
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return "", s.errorf("gzip-compressed files are not supported: decompress it first")
	}
	switch ext := strings.ToLower(filepath.Ext(s.name)); ext {
	case ".npy":
		return FormatNpy, nil
	case ".fits", ".fit", ".fts":
		return FormatFITS, nil
	case ".png":
		return FormatPNG, nil
	case ".csv", ".txt", ".dat":
		return FormatText, nil
	default:
		return "", s.errorf("unknown format: extension %q is not .npy, .fits, .fit, .fts, .png, .csv, .txt or .dat, and the content starts with no known magic bytes", ext)
	}
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// pow2Below is the largest power of two ≤ n (n ≥ 1).
func pow2Below(n int) int {
	p := 1
	for p <= n/2 {
		p *= 2
	}
	return p
}

// plan decides how images become fields.
func (r *StackReader) plan(opt Options) error {
	rows, cols := r.rows, r.cols
	shape := formatShape(r.info.Shape)
	m := min(rows, cols)
	if m < 2 {
		return r.src.errorf("shape %s: fields of %d×%d are too small (need at least 2×2)", shape, rows, cols)
	}
	switch {
	case opt.PatchSize > 0:
		p := opt.PatchSize
		if p > m {
			return r.src.errorf("shape %s: Options.PatchSize %d is larger than the %d×%d fields", shape, p, rows, cols)
		}
		nr, nc := rows/p, cols/p
		r0, c0 := (rows-nr*p)/2, (cols-nc*p)/2
		for a := 0; a < nr; a++ {
			for b := 0; b < nc; b++ {
				r.origins = append(r.origins, [2]int{r0 + a*p, c0 + b*p})
			}
		}
		r.side = p
		if nr*nc > 1 || rows != p || cols != p {
			r.info.Fix = fmt.Sprintf("cut each %d×%d field into %d patches of %d×%d (rows %d–%d, columns %d–%d)",
				rows, cols, nr*nc, p, p, r0, r0+nr*p-1, c0, c0+nc*p-1)
		}
	case rows == cols && isPow2(rows):
		r.origins = [][2]int{{0, 0}}
		r.side = rows
	case opt.Crop:
		sq := pow2Below(m)
		r0, c0 := (rows-sq)/2, (cols-sq)/2
		r.origins = [][2]int{{r0, c0}}
		r.side = sq
		r.info.Fix = fmt.Sprintf("cropped each %d×%d field to its centred %d×%d square (rows %d–%d, columns %d–%d)",
			rows, cols, sq, sq, r0, r0+sq-1, c0, c0+sq-1)
	default:
		what := fmt.Sprintf("fields are %d×%d, not square", rows, cols)
		if rows == cols {
			what = fmt.Sprintf("side %d is not a power of two", rows)
		}
		sq := pow2Below(m)
		return r.src.errorf("shape %s: %s; choose Options.Crop to keep the centred %d×%d square of each field, or Options.PatchSize = P to cut each field into P×P patches (P a power of two ≤ %d, e.g. %d)",
			shape, what, sq, sq, m, sq)
	}
	return nil
}

// Info describes the file; SHA256 is set once all fields have been read
// (Next returned io.EOF, or after Read).
func (r *StackReader) Info() Info { return r.info }

// Len is the number of fields the reader delivers.
func (r *StackReader) Len() int { return r.info.N }

// L is the side of the fields delivered.
func (r *StackReader) L() int { return r.info.L }

// Next reads the next field into dst, which must have side L(). After the
// last field it returns io.EOF. Errors are sticky.
func (r *StackReader) Next(dst lattice.Field) error {
	if dst.L != r.side || len(dst.Data) != r.side*r.side {
		panic(fmt.Sprintf("fieldio: Next: destination side %d, want %d", dst.L, r.side))
	}
	if r.err != nil {
		return r.err
	}
	if r.out == r.info.N {
		if err := r.src.finish(); err != nil {
			r.err = err
			return err
		}
		r.info.SHA256 = r.src.sum
		return io.EOF
	}
	if r.out == 0 || r.sub == len(r.origins) {
		if err := r.dec.read(r.img); err != nil {
			r.err = err
			return err
		}
		r.image++
		r.sub = 0
	}
	o := r.origins[r.sub]
	L := r.side
	for y := 0; y < L; y++ {
		row := r.img[(o[0]+y)*r.cols+o[1] : (o[0]+y)*r.cols+o[1]+L]
		for x, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				r.err = r.src.errorf("%s value at %s; NaN and infinite values are not allowed", r.valueName(v), r.position(r.image-1, o[0]+y, o[1]+x))
				return r.err
			}
		}
		copy(dst.Data[y*L:(y+1)*L], row)
	}
	r.sub++
	r.out++
	return nil
}

func (r *StackReader) valueName(v float64) string {
	switch {
	case math.IsNaN(v) && r.blank:
		return "undefined (NaN or BLANK)"
	case math.IsNaN(v):
		return "NaN"
	case v > 0:
		return "+Inf"
	}
	return "-Inf"
}

func (r *StackReader) position(image, row, col int) string {
	p := fmt.Sprintf("row %d, column %d", row, col)
	if r.cube {
		p = fmt.Sprintf("field %d, %s", image, p)
	}
	if r.lines != nil && row < len(r.lines) {
		p += fmt.Sprintf(" (line %d)", r.lines[row])
	}
	return p
}

// Close releases the file.
func (r *StackReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

func (r *StackReader) readAll() (*lattice.Stack, error) {
	st := lattice.NewStack(r.info.N, r.info.L)
	for i := 0; i < st.N; i++ {
		if err := r.Next(st.Field(i)); err != nil {
			return nil, err
		}
	}
	if err := r.src.finish(); err != nil {
		return nil, err
	}
	r.info.SHA256 = r.src.sum
	return &st, nil
}

// readBytes reads a file held in memory (tests and fuzzing).
func readBytes(name string, data []byte, format Format, opt Options) (*lattice.Stack, Info, error) {
	r, err := newStackReader(name, bytes.NewReader(data), int64(len(data)), format, opt)
	if err != nil {
		return nil, Info{Path: name}, err
	}
	st, err := r.readAll()
	return st, r.Info(), err
}

// Precision is the floating-point type written to .npy and FITS files.
type Precision int

const (
	Float64 Precision = iota // float64: '<f8' in .npy, BITPIX −64 in FITS
	Float32                  // float32: '<f4' in .npy, BITPIX −32 in FITS
)

// Write writes the stack to path atomically in the format of its extension:
// .npy (float64), .fits/.fit/.fts (BITPIX −64) or .csv/.txt/.dat (a single
// field only). A stack of one field is written as a 2-D array.
func Write(path string, s lattice.Stack) error {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		return WriteNpy(path, s, Float64)
	case ".fits", ".fit", ".fts":
		return WriteFITS(path, s, FITSOptions{})
	case ".csv", ".txt", ".dat":
		if err := checkStack(path, s); err != nil {
			return err
		}
		if s.N != 1 {
			return fmt.Errorf("fieldio: %s: a text file holds one field, the stack has %d; write .npy or .fits, or one file per field", path, s.N)
		}
		return WriteText(path, s.Field(0))
	default:
		return fmt.Errorf("fieldio: %s: cannot write extension %q (want .npy, .fits, .fit, .fts, .csv, .txt or .dat)", path, ext)
	}
}

// checkStack validates a stack about to be written.
func checkStack(path string, s lattice.Stack) error {
	switch {
	case s.N < 1:
		return fmt.Errorf("fieldio: %s: the stack is empty", path)
	case s.L < 1 || len(s.Data) != s.N*s.L*s.L:
		return fmt.Errorf("fieldio: %s: stack data has length %d, not N·L² = %d·%d²", path, len(s.Data), s.N, s.L)
	}
	return checkFinite(path, s.Data, s.L, s.N > 1, false)
}

// checkFinite refuses NaN and infinite values (and, for float32, values
// that overflow it).
func checkFinite(path string, data []float64, L int, cube, f32 bool) error {
	for k, v := range data {
		bad := math.IsNaN(v) || math.IsInf(v, 0)
		if !bad && f32 && math.IsInf(float64(float32(v)), 0) {
			return fmt.Errorf("fieldio: %s: value %g at %s overflows float32", path, v, writePos(k, L, cube))
		}
		if bad {
			return fmt.Errorf("fieldio: %s: cannot write %v at %s", path, v, writePos(k, L, cube))
		}
	}
	return nil
}

func writePos(k, L int, cube bool) string {
	i, rest := k/(L*L), k%(L*L)
	p := fmt.Sprintf("row %d, column %d", rest/L, rest%L)
	if cube {
		p = fmt.Sprintf("field %d, %s", i, p)
	}
	return p
}
