package fieldio

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
)

// Rec. 709 luma coefficients.
const (
	lumaR = 0.2126
	lumaG = 0.7152
	lumaB = 0.0722
)

// luma of channels already scaled to [0, 1]; gray pixels keep their value.
func luma(r, g, b float64) float64 {
	if r == g && g == b {
		return r
	}
	return lumaR*r + lumaG*g + lumaB*b
}

// openPNG decodes a PNG image into one field (see the package comment for
// the value scaling).
func openPNG(s *source, r *StackReader) error {
	data, err := s.readRest()
	if err != nil {
		return err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return s.errorf("not a valid PNG image: %v", err)
	}
	w, h := cfg.Width, cfg.Height
	r.info.Shape = []int{h, w}
	if w <= 0 || h <= 0 {
		return s.errorf("PNG image of %d×%d pixels has a zero-size axis", w, h)
	}
	// Deflate compresses at most about 1032:1; a PNG cannot honestly hold
	// more pixel bytes than that, so refuse before the decoder allocates.
	const maxRatio = 1100
	if int64(w)*int64(h) > maxRatio*int64(len(data))+1<<16 {
		return s.errorf("PNG header declares %d×%d pixels, more than a %d-byte PNG can hold", w, h, len(data))
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return s.errorf("bad PNG data: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return s.errorf("PNG decoded to %d×%d pixels, the header says %d×%d", b.Dx(), b.Dy(), w, h)
	}
	vals := make([]float64, w*h)
	const s8, s16 = 255.0, 65535.0
	switch m := img.(type) {
	case *image.Gray:
		r.info.Dtype = "gray8"
		for y := 0; y < h; y++ {
			for x, v := range m.Pix[y*m.Stride : y*m.Stride+w] {
				vals[y*w+x] = float64(v) / s8
			}
		}
	case *image.Gray16:
		r.info.Dtype = "gray16"
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := 0; x < w; x++ {
				vals[y*w+x] = float64(binary.BigEndian.Uint16(row[2*x:])) / s16
			}
		}
	case *image.RGBA, *image.NRGBA:
		var pix []byte
		var stride int
		if mm, ok := m.(*image.RGBA); ok {
			r.info.Dtype, pix, stride = "rgb8", mm.Pix, mm.Stride
		} else {
			mm := m.(*image.NRGBA)
			r.info.Dtype, pix, stride = "rgba8", mm.Pix, mm.Stride
		}
		for y := 0; y < h; y++ {
			row := pix[y*stride : y*stride+4*w]
			for x := 0; x < w; x++ {
				p := row[4*x:]
				vals[y*w+x] = luma(float64(p[0])/s8, float64(p[1])/s8, float64(p[2])/s8)
			}
		}
	case *image.RGBA64, *image.NRGBA64:
		var pix []byte
		var stride int
		if mm, ok := m.(*image.RGBA64); ok {
			r.info.Dtype, pix, stride = "rgb16", mm.Pix, mm.Stride
		} else {
			mm := m.(*image.NRGBA64)
			r.info.Dtype, pix, stride = "rgba16", mm.Pix, mm.Stride
		}
		for y := 0; y < h; y++ {
			row := pix[y*stride : y*stride+8*w]
			for x := 0; x < w; x++ {
				p := row[8*x:]
				vals[y*w+x] = luma(float64(binary.BigEndian.Uint16(p))/s16,
					float64(binary.BigEndian.Uint16(p[2:]))/s16,
					float64(binary.BigEndian.Uint16(p[4:]))/s16)
			}
		}
	case *image.Paletted:
		r.info.Dtype = "palette8"
		pal := make([]float64, len(m.Palette))
		for i, c := range m.Palette {
			pal[i] = colorLuma(c)
		}
		for y := 0; y < h; y++ {
			for x, idx := range m.Pix[y*m.Stride : y*m.Stride+w] {
				if int(idx) >= len(pal) {
					return s.errorf("PNG pixel (%d, %d) has palette index %d, the palette has %d colours", x, y, idx, len(pal))
				}
				vals[y*w+x] = pal[idx]
			}
		}
	default:
		r.info.Dtype = "colour"
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				vals[y*w+x] = colorLuma(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	r.n, r.rows, r.cols = 1, h, w
	r.dec = &memDecoder{data: vals}
	return nil
}

// colorLuma is the luma of a colour, with straight (not premultiplied)
// channels where the colour type holds them.
func colorLuma(c color.Color) float64 {
	const s8, s16 = 255.0, 65535.0
	switch c := c.(type) {
	case nil:
		return 0
	case color.NRGBA:
		return luma(float64(c.R)/s8, float64(c.G)/s8, float64(c.B)/s8)
	case color.RGBA:
		return luma(float64(c.R)/s8, float64(c.G)/s8, float64(c.B)/s8)
	case color.Gray:
		return float64(c.Y) / s8
	case color.Gray16:
		return float64(c.Y) / s16
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return luma(float64(n.R)/s16, float64(n.G)/s16, float64(n.B)/s16)
}
