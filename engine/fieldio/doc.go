// Package fieldio reads and writes two-dimensional lattice fields: NumPy .npy
// arrays, FITS images, PNG images and text (CSV or whitespace) matrices.
//
// # Layout
//
// A field is a lattice.Field: L×L values, row-major, site (row y, column x) at
// index x + L·y. The first array axis is the row (y, slow), the second the
// column (x, fast). Every format is mapped onto that layout so that an array
// a[y][x] as NumPy or astropy shows it becomes Data[x + L·y]:
//
//   - .npy: shape (L, L) is one field, shape (n, L, L) a stack of n fields;
//     a[i, y, x] is Stack.Data[i·L² + y·L + x]. Fortran-order files are
//     transposed on reading, so the indices mean the same in both orders.
//   - FITS: NAXIS1 is the column (x, fastest on disk), NAXIS2 the row (y),
//     NAXIS3 the field index of a cube; this is astropy's data[i, y, x].
//     Row 0 is the first row on disk (FITS pixel y = 1, drawn at the bottom by
//     most viewers); no flip is applied.
//   - PNG: row 0 is the top row of the image.
//   - text: one row per line, row 0 on the first data line.
//
// # Values
//
//   - .npy: float32 ('<f4', '>f4') and float64 ('<f8', '>f8'), either byte
//     order, C or Fortran order, format versions 1.0, 2.0 and 3.0.
//   - FITS: BITPIX 8 (unsigned), 16, 32, 64 (signed) and −32, −64 (IEEE),
//     big-endian, with the physical value BZERO + BSCALE·stored; integer
//     pixels equal to BLANK are undefined and refused like NaN.
//   - PNG: 8-bit gray → v/255, 16-bit gray → v/65535, so values lie in [0, 1].
//     Colour images become their luma with the Rec. 709 coefficients
//     Y = 0.2126 R + 0.7152 G + 0.0722 B applied to the stored (gamma-encoded)
//     channels scaled the same way (no linearisation); pixels with R = G = B
//     keep that value exactly. Alpha is ignored.
//   - text: decimal numbers as accepted by strconv.ParseFloat, separated by
//     commas (if a line has one) or by white space; '#' starts a comment that
//     runs to the end of the line; blank lines are skipped. One field per file.
//
// # Checks
//
// Readers are strict and never trust a declared size: a header's shape or
// axis lengths are checked against the bytes actually in the file before
// anything is allocated, and no input makes them panic. Every error starts
// with "fieldio: " and the file name and says what was wrong, e.g.
//
//	fieldio: data.npy: shape (3, 64, 32): fields are 64×32, not square; ...
//
// Fields must be power-of-two squares (at least 2×2) without NaN or infinite
// values. Other shapes are refused with an error that offers the two fixes of
// Options — Crop (keep the centred largest power-of-two square) and PatchSize
// (cut into P×P patches) — which are applied only when the caller sets them;
// Info.Fix then reports what was done. Values outside the kept region are not
// checked, so a map with masked (NaN) margins can be cropped. Positions in
// errors are 0-based (field, row, column); text files also give the 1-based
// line.
//
// # Writing
//
// Write picks the format by extension; WriteNpy, WriteFITS and WriteText
// write a whole file atomically (temporary file and rename, see
// engine/atomicfile). NpyWriter appends fields one by one to a .npy file whose
// header is rewritten in place after every append, so the file is a valid
// .npy at any time between appends. Writers refuse NaN and infinite values.
package fieldio
