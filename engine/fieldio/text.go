package fieldio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wcrglab/wcrg/engine/atomicfile"
	"github.com/wcrglab/wcrg/engine/lattice"
)

// openText parses a text matrix: one row per line, values separated by
// commas (when the line has one) or white space, '#' comments, blank lines
// skipped.
func openText(s *source, r *StackReader) error {
	data, err := s.readRest()
	if err != nil {
		return err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if bytes.IndexByte(data, 0) >= 0 {
		return s.errorf("not a text file: it contains NUL bytes")
	}
	var vals []float64
	var lines []int
	cols, firstLine := -1, 0
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		text := strings.TrimSpace(string(line))
		if text == "" {
			continue
		}
		var cells []string
		if strings.Contains(text, ",") {
			cells = strings.Split(text, ",")
		} else {
			cells = strings.Fields(text)
		}
		if cols >= 0 && len(cells) != cols {
			return s.errorf("line %d has %d values, line %d has %d: every row must have the same length", lineNo, len(cells), firstLine, cols)
		}
		for j, c := range cells {
			c = strings.TrimSpace(c)
			if c == "" {
				return s.errorf("line %d, column %d: empty value", lineNo, j+1)
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				if errors.Is(err, strconv.ErrRange) {
					return s.errorf("line %d, column %d: %q is out of the float64 range", lineNo, j+1, clip(c, 30))
				}
				return s.errorf("line %d, column %d: %q is not a number (comment lines start with '#')", lineNo, j+1, clip(c, 30))
			}
			vals = append(vals, v)
		}
		if cols < 0 {
			cols, firstLine = len(cells), lineNo
		}
		lines = append(lines, lineNo)
	}
	if len(lines) == 0 {
		return s.errorf("no data: the file has only blank or comment lines")
	}
	r.info.Shape = []int{len(lines), cols}
	r.info.Dtype = "text"
	r.n, r.rows, r.cols = 1, len(lines), cols
	r.lines = lines
	r.dec = &memDecoder{data: vals}
	return nil
}

// WriteText writes one field atomically as a text matrix, one row per line:
// comma-separated for .csv, space-separated otherwise, with a '#' comment
// line first. Values are written with the fewest digits that read back
// exactly.
func WriteText(path string, f lattice.Field) error {
	if err := checkStack(path, lattice.Stack{N: 1, L: f.L, Data: f.Data}); err != nil {
		return err
	}
	sep := " "
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		sep = ","
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		fmt.Fprintf(bw, "# %d×%d field, one row (y) per line, columns (x) across\n", f.L, f.L)
		buf := make([]byte, 0, 32)
		for y := 0; y < f.L; y++ {
			for x := 0; x < f.L; x++ {
				if x > 0 {
					bw.WriteString(sep)
				}
				buf = strconv.AppendFloat(buf[:0], f.Data[y*f.L+x], 'g', -1, 64)
				bw.Write(buf)
			}
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("fieldio: %s: %w", path, err)
		}
		return nil
	})
}
