package fieldio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/wcrglab/wcrg/engine/atomicfile"
	"github.com/wcrglab/wcrg/engine/lattice"
)

// FITS (Flexible Image Transport System, standard version 4.0): a file is a
// sequence of HDUs, each a header of 80-character ASCII cards ending with an
// END card, padded to 2880-byte blocks, followed by big-endian data padded
// to 2880-byte blocks.
const (
	fitsBlock = 2880
	fitsCard  = 80
)

// Card is one FITS header card.
type Card struct {
	// Key is the keyword (upper case, at most 8 characters; for the ESO
	// HIERARCH convention the words after HIERARCH joined by single spaces).
	Key string
	// Value is the value as written: a string without its quotes (quotes
	// doubled inside it undone, trailing spaces removed), "T" or "F" for
	// logicals, a number as its text. It is "" for commentary cards.
	Value string
	// Quoted says that Value is a string.
	Quoted bool
	// Comment is the text after '/', or the text of a COMMENT, HISTORY or
	// blank-keyword card.
	Comment string
}

// FloatCard returns a card holding the number v (written with a decimal
// point or exponent so that readers see a float).
func FloatCard(key string, v float64, comment string) Card {
	s := strconv.FormatFloat(v, 'G', -1, 64)
	if !strings.ContainsAny(s, ".EN") {
		s += ".0"
	}
	return Card{Key: key, Value: s, Comment: comment}
}

// StringCard returns a card holding the string v.
func StringCard(key, v, comment string) Card {
	return Card{Key: key, Value: v, Quoted: true, Comment: comment}
}

// fitsHDU is a parsed HDU header.
type fitsHDU struct {
	index     int
	cards     []Card
	header    map[string]string
	ext       string // XTENSION value; "" for the primary HDU
	bitpix    int
	naxis     []int64 // NAXIS1 … NAXISm
	pcount    int64
	gcount    int64
	groups    bool
	dataBytes int64 // without padding; −1 if larger than the file
}

// readFITSHeader reads the header of HDU index from s.
func readFITSHeader(s *source, index int) (*fitsHDU, error) {
	h := &fitsHDU{index: index, header: map[string]string{}}
	var cards []Card
	var valued []bool
	block := make([]byte, fitsBlock)
	for blocks := 0; ; blocks++ {
		if s.remaining() < fitsBlock {
			if index == 0 && blocks == 0 {
				return nil, s.errorf("truncated FITS header: a FITS file starts with a 2880-byte header block, the file has %d bytes", s.size)
			}
			return nil, s.errorf("truncated FITS header of HDU %d: the file ends after %d cards without an END card", index, len(cards))
		}
		if err := s.readFull(block, "FITS header"); err != nil {
			return nil, err
		}
		end := false
		for c := 0; c < fitsBlock/fitsCard; c++ {
			card := block[c*fitsCard : (c+1)*fitsCard]
			for j, b := range card {
				if b < 0x20 || b > 0x7e {
					return nil, s.errorf("HDU %d, header card %d: byte 0x%02x in column %d is not printable ASCII (is the END card missing?)", index, len(cards)+1, b, j+1)
				}
			}
			if strings.TrimRight(string(card[:8]), " ") == "END" {
				end = true
				break
			}
			cd, hasValue := parseCard(card)
			cards = append(cards, cd)
			valued = append(valued, hasValue)
		}
		if end {
			break
		}
	}
	// Join long strings continued on CONTINUE cards.
	for i := 0; i < len(cards); i++ {
		c := &cards[i]
		for c.Quoted && strings.HasSuffix(c.Value, "&") && i+1 < len(cards) && cards[i+1].Key == "CONTINUE" && cards[i+1].Quoted {
			next := cards[i+1]
			c.Value = strings.TrimSuffix(c.Value, "&") + next.Value
			if next.Comment != "" {
				c.Comment = strings.TrimSpace(c.Comment + " " + next.Comment)
			}
			cards = append(cards[:i+1], cards[i+2:]...)
			valued = append(valued[:i+1], valued[i+2:]...)
		}
	}
	h.cards = cards
	for i, c := range cards {
		if !valued[i] || c.Key == "" || c.Key == "COMMENT" || c.Key == "HISTORY" || c.Key == "CONTINUE" {
			continue
		}
		if _, dup := h.header[c.Key]; !dup {
			h.header[c.Key] = c.Value
		}
	}
	if err := h.mandatory(s); err != nil {
		return nil, err
	}
	return h, nil
}

// mandatory checks the mandatory keywords, in the order the standard
// prescribes, and computes the data size.
func (h *fitsHDU) mandatory(s *source) error {
	at := func(i int, key string) (Card, error) {
		if i >= len(h.cards) {
			return Card{}, s.errorf("HDU %d: header card %d must be %s, the header has only %d cards", h.index, i+1, key, len(h.cards))
		}
		c := h.cards[i]
		if c.Key != key {
			return Card{}, s.errorf("HDU %d: header card %d must be %s, found %q", h.index, i+1, key, c.Key)
		}
		return c, nil
	}
	intAt := func(i int, key string, lo, hi int64) (int64, error) {
		c, err := at(i, key)
		if err != nil {
			return 0, err
		}
		v, perr := strconv.ParseInt(c.Value, 10, 64)
		if c.Quoted || perr != nil {
			return 0, s.errorf("HDU %d: %s = %q is not an integer", h.index, key, clip(c.Value, 30))
		}
		if v < lo || v > hi {
			return 0, s.errorf("HDU %d: %s = %d is out of range [%d, %d]", h.index, key, v, lo, hi)
		}
		return v, nil
	}
	if h.index == 0 {
		c, err := at(0, "SIMPLE")
		if err != nil {
			return s.errorf("not a FITS file: the first card is %q, want SIMPLE", clip(firstKey(h.cards), 8))
		}
		if c.Value != "T" || c.Quoted {
			return s.errorf("SIMPLE = %s: the file does not conform to the FITS standard", clip(c.Value, 20))
		}
	} else {
		c, err := at(0, "XTENSION")
		if err != nil {
			return err
		}
		if !c.Quoted {
			return s.errorf("HDU %d: XTENSION = %s is not a string", h.index, clip(c.Value, 20))
		}
		h.ext = c.Value
	}
	bp, err := intAt(1, "BITPIX", -64, 64)
	if err != nil {
		return err
	}
	switch bp {
	case 8, 16, 32, 64, -32, -64:
	default:
		return s.errorf("HDU %d: BITPIX = %d is not one of 8, 16, 32, 64, -32, -64", h.index, bp)
	}
	h.bitpix = int(bp)
	m, err := intAt(2, "NAXIS", 0, 999)
	if err != nil {
		return err
	}
	for k := int64(1); k <= m; k++ {
		v, err := intAt(2+int(k), "NAXIS"+strconv.FormatInt(k, 10), 0, math.MaxInt64)
		if err != nil {
			return err
		}
		h.naxis = append(h.naxis, v)
	}
	h.gcount = 1
	if h.index > 0 {
		if h.pcount, err = intAt(3+int(m), "PCOUNT", 0, math.MaxInt64); err != nil {
			return err
		}
		if h.gcount, err = intAt(4+int(m), "GCOUNT", 0, math.MaxInt64); err != nil {
			return err
		}
	} else if h.header["GROUPS"] == "T" && m > 0 && h.naxis[0] == 0 {
		h.groups = true
		for _, k := range []string{"PCOUNT", "GCOUNT"} {
			if v, ok := h.header[k]; ok {
				n, perr := strconv.ParseInt(v, 10, 64)
				if perr != nil || n < 0 {
					return s.errorf("HDU 0: %s = %q is not a non-negative integer", k, clip(v, 30))
				}
				if k == "PCOUNT" {
					h.pcount = n
				} else {
					h.gcount = n
				}
			}
		}
	}
	// Data size: |BITPIX|/8 · GCOUNT · (PCOUNT + NAXIS1 ⋯ NAXISm), with
	// NAXIS1 left out for random groups; −1 if it cannot fit in the file.
	limit := s.size
	h.dataBytes = 0
	if m > 0 {
		prod, ok := int64(1), true
		for k, v := range h.naxis {
			if k == 0 && h.groups {
				continue
			}
			if prod, ok = mulCheck(prod, v, limit); !ok {
				break
			}
		}
		var total int64
		if ok && h.pcount <= limit {
			total, ok = mulCheck(h.gcount, prod+h.pcount, limit)
		} else {
			ok = false
		}
		if ok {
			total, ok = mulCheck(total, int64(abs(h.bitpix)/8), limit)
		}
		h.dataBytes = total
		if !ok {
			h.dataBytes = -1
		}
	}
	return nil
}

func firstKey(cards []Card) string {
	if len(cards) == 0 {
		return ""
	}
	return cards[0].Key
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// imageAxes returns the axes (NAXIS1, NAXIS2[, NAXIS3]) of an image HDU,
// dropping trailing axes of length 1 beyond the second, or why the HDU
// holds no usable image.
func (h *fitsHDU) imageAxes() ([]int64, string) {
	switch {
	case h.ext != "" && h.ext != "IMAGE":
		if h.header["ZIMAGE"] == "T" {
			return nil, "is a tile-compressed image (decompress it with funpack first)"
		}
		return nil, fmt.Sprintf("is a %s extension, not an image", h.ext)
	case h.groups:
		return nil, "holds random groups, not an image"
	case len(h.naxis) == 0:
		return nil, "has no data (NAXIS = 0)"
	}
	ax := h.naxis
	for len(ax) > 2 && ax[len(ax)-1] == 1 {
		ax = ax[:len(ax)-1]
	}
	if len(ax) < 2 || len(ax) > 3 {
		return nil, fmt.Sprintf("has %d-D data (NAXIS = %d), not a 2-D image or 3-D cube", len(ax), len(h.naxis))
	}
	for k, v := range h.naxis {
		if v == 0 {
			return nil, fmt.Sprintf("has a zero-size axis (NAXIS%d = 0)", k+1)
		}
	}
	if h.ext != "" && (h.pcount != 0 || h.gcount != 1) {
		return nil, fmt.Sprintf("is an IMAGE extension with PCOUNT = %d, GCOUNT = %d (want 0, 1)", h.pcount, h.gcount)
	}
	return ax, ""
}

// openFITS finds the image HDU (want 0: the first with 2- or 3-axis data)
// and sets up r's decoder.
func openFITS(s *source, r *StackReader, want int) error {
	var notes []string
	for idx := 0; ; idx++ {
		if idx > 0 {
			// Bytes after the last HDU that do not start an extension are ignored.
			if head, _ := s.r.Peek(8); s.remaining() < fitsBlock || string(head) != "XTENSION" {
				if want > 0 {
					return s.errorf("Options.HDU = %d, but the file's HDUs are numbered 0 to %d", want, idx-1)
				}
				break
			}
		}
		h, err := readFITSHeader(s, idx)
		if err != nil {
			return err
		}
		if h.dataBytes < 0 || h.dataBytes > s.remaining() {
			return s.errorf("truncated FITS data in HDU %d: the header declares %s, more than the %d bytes left in the file", idx, h.describeSize(), s.remaining())
		}
		ax, why := h.imageAxes()
		if (want == 0 && why == "") || (want > 0 && want == idx) {
			if why != "" {
				return s.errorf("HDU %d %s", idx, why)
			}
			return h.setup(s, r, ax)
		}
		if why == "" {
			why = "skipped"
		}
		if len(notes) < 8 {
			notes = append(notes, fmt.Sprintf("HDU %d %s", idx, why))
		}
		padded := (h.dataBytes + fitsBlock - 1) / fitsBlock * fitsBlock
		if err := s.skip(min(padded, s.remaining()), fmt.Sprintf("data of HDU %d", idx)); err != nil {
			return err
		}
	}
	return s.errorf("no HDU holds 2- or 3-axis image data: %s", strings.Join(notes, "; "))
}

func (h *fitsHDU) describeSize() string {
	parts := make([]string, len(h.naxis))
	for i, v := range h.naxis {
		parts[i] = strconv.FormatInt(v, 10)
	}
	if h.dataBytes >= 0 {
		return fmt.Sprintf("NAXISn = %s at BITPIX %d (%d bytes)", strings.Join(parts, "×"), h.bitpix, h.dataBytes)
	}
	return fmt.Sprintf("NAXISn = %s at BITPIX %d", strings.Join(parts, "×"), h.bitpix)
}

// setup prepares the decoder for the image data that follows.
func (h *fitsHDU) setup(s *source, r *StackReader, ax []int64) error {
	shape := make([]int, len(h.naxis))
	for i, v := range h.naxis {
		shape[len(h.naxis)-1-i] = int(v)
	}
	r.info.Shape = shape
	r.info.HDU = h.index
	r.info.Cards = h.cards
	r.info.Header = h.header
	d := &binDecoder{s: s, n: 1, cols: int(ax[0]), rows: int(ax[1])}
	if len(ax) == 3 {
		d.n = int(ax[2])
		r.cube = true
	}
	d.kind = map[int]elemKind{8: u8, 16: i16BE, 32: i32BE, 64: i64BE, -32: f32BE, -64: f64BE}[h.bitpix]
	r.info.Dtype = fmt.Sprintf("BITPIX %d", h.bitpix)
	d.scale, d.zero = 1, 0
	for _, k := range []string{"BSCALE", "BZERO"} {
		v, ok := h.header[k]
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.NewReplacer("D", "E", "d", "e").Replace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return s.errorf("HDU %d: %s = %q is not a finite number", h.index, k, clip(v, 30))
		}
		if k == "BSCALE" {
			d.scale = f
		} else {
			d.zero = f
		}
		r.info.Dtype += fmt.Sprintf(", %s %s", k, v)
	}
	d.scaled = d.scale != 1 || d.zero != 0
	if v, ok := h.header["BLANK"]; ok && h.bitpix > 0 {
		b, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s.errorf("HDU %d: BLANK = %q is not an integer", h.index, clip(v, 30))
		}
		d.blank, d.hasBlank = b, true
		r.blank = true
	}
	r.n, r.rows, r.cols = d.n, d.rows, d.cols
	r.dec = d
	return nil
}

// parseCard splits an 80-character card; hasValue reports a value
// indicator ("= " in columns 9–10, or HIERARCH … =).
func parseCard(c []byte) (Card, bool) {
	text := string(c)
	key := strings.TrimRight(text[:8], " ")
	switch {
	case key == "HIERARCH":
		rest := text[8:]
		if i := strings.IndexByte(rest, '='); i >= 0 {
			v, q, com := parseValue(rest[i+1:])
			return Card{Key: strings.Join(strings.Fields(rest[:i]), " "), Value: v, Quoted: q, Comment: com}, true
		}
	case key == "CONTINUE":
		v, q, com := parseValue(text[8:])
		return Card{Key: key, Value: v, Quoted: q, Comment: com}, false
	case text[8:10] == "= ":
		v, q, com := parseValue(text[10:])
		return Card{Key: key, Value: v, Quoted: q, Comment: com}, true
	}
	return Card{Key: key, Comment: strings.TrimRight(text[8:], " ")}, false
}

// parseValue splits the value field of a card into value and comment.
func parseValue(t string) (value string, quoted bool, comment string) {
	t = strings.TrimLeft(t, " ")
	if strings.HasPrefix(t, "'") {
		var b strings.Builder
		i := 1
		closed := false
		for i < len(t) {
			if t[i] == '\'' {
				if i+1 < len(t) && t[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				closed = true
				i++
				break
			}
			b.WriteByte(t[i])
			i++
		}
		if closed {
			rest := strings.TrimLeft(t[i:], " ")
			if rest == "" || rest[0] == '/' {
				if rest != "" {
					comment = strings.TrimSpace(rest[1:])
				}
				return strings.TrimRight(b.String(), " "), true, comment
			}
		}
		// Malformed string: keep the raw text.
		return strings.TrimRight(t, " "), false, ""
	}
	if j := strings.IndexByte(t, '/'); j >= 0 {
		return strings.TrimSpace(t[:j]), false, strings.TrimSpace(t[j+1:])
	}
	return strings.TrimSpace(t), false, ""
}

// FITSOptions says how WriteFITS writes.
type FITSOptions struct {
	// Precision: Float64 (BITPIX −64, the default) or Float32 (BITPIX −32).
	Precision Precision
	// Cards are written after the mandatory keywords, for instance
	// FloatCard("CDELT1", 0.5, "arcmin per pixel"). Keywords that describe
	// the data layout (SIMPLE, BITPIX, NAXISn, EXTEND, BSCALE, …) are
	// refused; COMMENT and HISTORY cards take their text from Comment.
	Cards []Card
}

// WriteFITS writes the stack atomically as the primary HDU of a FITS file:
// a 2-D image (NAXIS1 = NAXIS2 = L) for one field, a cube (NAXIS3 = n)
// otherwise, in big-endian IEEE floats.
func WriteFITS(path string, s lattice.Stack, opt FITSOptions) error {
	if opt.Precision != Float64 && opt.Precision != Float32 {
		return fmt.Errorf("fieldio: %s: unknown precision %d", path, opt.Precision)
	}
	if err := checkStack(path, s); err != nil {
		return err
	}
	f32 := opt.Precision == Float32
	if f32 {
		if err := checkFinite(path, s.Data, s.L, s.N > 1, true); err != nil {
			return err
		}
	}
	bitpix := -64
	if f32 {
		bitpix = -32
	}
	var hdr strings.Builder
	add := func(c Card) {
		line, _ := formatCard(c)
		hdr.WriteString(line)
	}
	add(Card{Key: "SIMPLE", Value: "T", Comment: "conforms to FITS standard"})
	add(Card{Key: "BITPIX", Value: strconv.Itoa(bitpix), Comment: "IEEE floating point"})
	naxis := 2
	if s.N > 1 {
		naxis = 3
	}
	add(Card{Key: "NAXIS", Value: strconv.Itoa(naxis)})
	add(Card{Key: "NAXIS1", Value: strconv.Itoa(s.L), Comment: "columns (x)"})
	add(Card{Key: "NAXIS2", Value: strconv.Itoa(s.L), Comment: "rows (y)"})
	if s.N > 1 {
		add(Card{Key: "NAXIS3", Value: strconv.Itoa(s.N), Comment: "fields"})
	}
	for _, c := range opt.Cards {
		if reservedKey(c.Key) {
			return fmt.Errorf("fieldio: %s: card %s: the keyword is written by fieldio itself", path, c.Key)
		}
		line, err := formatCard(c)
		if err != nil {
			return fmt.Errorf("fieldio: %s: %v", path, err)
		}
		hdr.WriteString(line)
	}
	hdr.WriteString(fmt.Sprintf("%-80s", "END"))
	for hdr.Len()%fitsBlock != 0 {
		hdr.WriteByte(' ')
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		bw.WriteString(hdr.String())
		var b [8]byte
		for _, v := range s.Data {
			if f32 {
				binary.BigEndian.PutUint32(b[:], math.Float32bits(float32(v)))
				bw.Write(b[:4])
			} else {
				binary.BigEndian.PutUint64(b[:], math.Float64bits(v))
				bw.Write(b[:])
			}
		}
		size := len(s.Data) * (abs(bitpix) / 8)
		if r := size % fitsBlock; r != 0 {
			bw.Write(make([]byte, fitsBlock-r))
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("fieldio: %s: %w", path, err)
		}
		return nil
	})
}

func reservedKey(k string) bool {
	switch k {
	case "SIMPLE", "BITPIX", "NAXIS", "EXTEND", "END", "XTENSION", "PCOUNT", "GCOUNT", "GROUPS",
		"BSCALE", "BZERO", "BLANK", "CONTINUE", "HIERARCH":
		return true
	}
	if rest, ok := strings.CutPrefix(k, "NAXIS"); ok {
		_, err := strconv.Atoi(rest)
		return err == nil
	}
	return false
}

// formatCard renders a card as 80 characters.
func formatCard(c Card) (string, error) {
	if len(c.Key) > 8 {
		return "", fmt.Errorf("card %q: keyword longer than 8 characters", c.Key)
	}
	for _, r := range c.Key {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", fmt.Errorf("card %q: keywords use only A–Z, 0–9, '-' and '_'", c.Key)
		}
	}
	printable := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return false
			}
		}
		return true
	}
	if !printable(c.Value) || !printable(c.Comment) {
		return "", fmt.Errorf("card %s: only printable ASCII is allowed", c.Key)
	}
	var line string
	switch {
	case c.Key == "" || c.Key == "COMMENT" || c.Key == "HISTORY":
		if c.Value != "" {
			return "", fmt.Errorf("card %q: commentary cards take their text from Comment", c.Key)
		}
		line = fmt.Sprintf("%-8s%s", c.Key, c.Comment)
	case c.Quoted:
		v := strings.ReplaceAll(c.Value, "'", "''")
		line = fmt.Sprintf("%-8s= '%-8s'", c.Key, v)
	default:
		if !validLiteral(c.Value) {
			return "", fmt.Errorf("card %s: value %q is not T, F or a finite number (set Quoted for a string)", c.Key, clip(c.Value, 30))
		}
		line = fmt.Sprintf("%-8s= %20s", c.Key, c.Value)
	}
	if c.Comment != "" && !(c.Key == "" || c.Key == "COMMENT" || c.Key == "HISTORY") {
		line += " / " + c.Comment
	}
	if len(line) > fitsCard {
		return "", fmt.Errorf("card %s does not fit in 80 characters", c.Key)
	}
	return fmt.Sprintf("%-80s", line), nil
}

func validLiteral(v string) bool {
	if v == "T" || v == "F" {
		return true
	}
	if v == "" || strings.Trim(v, "0123456789+-.EeDd") != "" {
		return false
	}
	f, err := strconv.ParseFloat(strings.NewReplacer("D", "E", "d", "e").Replace(v), 64)
	return err == nil && !math.IsInf(f, 0)
}
