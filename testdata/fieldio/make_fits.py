#!/usr/bin/python3
"""Writes the small FITS files of testdata/fieldio and fits_goldens.txt, the
values astropy reads from them, which engine/fieldio's golden test compares
against exactly.
Run with Debian's interpreter, which sees astropy:
    cd testdata/fieldio && /usr/bin/python3 make_fits.py

Files (all 8×8 images or 4×8×8 cubes):
    u8.fits          primary, BITPIX 8
    i16_scaled.fits  primary, BITPIX 16 with BSCALE 0.5, BZERO 100
    u16.fits         primary, unsigned 16-bit (BITPIX 16, BZERO 32768)
    i32.fits         primary, BITPIX 32
    i64.fits         primary, BITPIX 64
    f32.fits         primary, BITPIX -32
    f64.fits         primary, BITPIX -64
    cube.fits        primary, BITPIX -64, NAXIS 3 (4 fields)
    ext.fits         empty primary, HDU 1 BINTABLE, HDU 2 IMAGE (BITPIX -32)
                     with pixel-scale keywords, a CONTINUE long string and a
                     HIERARCH keyword, HDU 3 IMAGE (BITPIX 16)

Format, after '#' comments:
    data FILE HDU N0 N1 [N2] : V V V ...   (astropy's data.shape and data.ravel(), float64 repr)
    card FILE HDU KEY = VALUE              (str(header[KEY]); KEY may contain spaces)
"""
import math
import warnings

import numpy as np
from astropy.io import fits

warnings.simplefilter("ignore")
out = []


def smooth(shape, a=1.0, b=0.0):
    idx = np.indices(shape)
    s = sum((0.37 + 0.21 * k) * idx[k] for k in range(len(shape)))
    return a * np.sin(s + 0.1) + b


def record(name, hdu_index):
    with fits.open(name) as hdul:
        data = hdul[hdu_index].data.astype(np.float64)
        out.append("data %s %d %s : %s" % (name, hdu_index, " ".join(str(n) for n in data.shape),
                                          " ".join(repr(float(v)) for v in data.ravel())))


def card(name, hdu_index, key):
    with fits.open(name) as hdul:
        out.append("card %s %d %s = %s" % (name, hdu_index, key, str(hdul[hdu_index].header[key])))


i, j = np.indices((8, 8))
fits.PrimaryHDU(((i * 8 + j) * 7 % 256).astype(np.uint8)).writeto("u8.fits", overwrite=True)
record("u8.fits", 0)

h = fits.PrimaryHDU(smooth((8, 8), 900.0, 100.0))
h.scale("int16", bscale=0.5, bzero=100.0)
h.writeto("i16_scaled.fits", overwrite=True)
record("i16_scaled.fits", 0)
card("i16_scaled.fits", 0, "BSCALE")
card("i16_scaled.fits", 0, "BZERO")

fits.PrimaryHDU(((i * 8 + j) * 1021 % 65536).astype(np.uint16)).writeto("u16.fits", overwrite=True)
record("u16.fits", 0)

fits.PrimaryHDU(((i * 8 + j - 30) * 70001).astype(np.int32)).writeto("i32.fits", overwrite=True)
record("i32.fits", 0)

fits.PrimaryHDU(((i * 8 + j - 30) * 123456789013).astype(np.int64)).writeto("i64.fits", overwrite=True)
record("i64.fits", 0)

fits.PrimaryHDU(smooth((8, 8), 3.5).astype(np.float32)).writeto("f32.fits", overwrite=True)
record("f32.fits", 0)

fits.PrimaryHDU(smooth((8, 8), 1e-3, 2.0)).writeto("f64.fits", overwrite=True)
record("f64.fits", 0)

fits.PrimaryHDU(smooth((4, 8, 8), 2.0)).writeto("cube.fits", overwrite=True)
record("cube.fits", 0)

table = fits.BinTableHDU.from_columns([fits.Column(name="x", format="D", array=np.arange(5.0))])
img = fits.ImageHDU(smooth((8, 8), -4.0, 1.0).astype(np.float32), name="KAPPA")
img.header["CDELT1"] = (-0.0125, "deg per pixel")
img.header["CDELT2"] = 0.0125
img.header["CUNIT1"] = "deg"
img.header["PIXSCALE"] = (0.75, "arcmin")
img.header["OBJECT"] = "a weak-lensing convergence map written by astropy for the fieldio golden test, long enough to need CONTINUE"
img.header["HIERARCH ESO DET DIT"] = 1.5
img2 = fits.ImageHDU(((i - j) * 300).astype(np.int16), name="SECOND")
fits.HDUList([fits.PrimaryHDU(), table, img, img2]).writeto("ext.fits", overwrite=True)
record("ext.fits", 2)
record("ext.fits", 3)
for k in ["CDELT1", "CDELT2", "CUNIT1", "PIXSCALE", "OBJECT", "ESO DET DIT", "EXTNAME"]:
    card("ext.fits", 2, k)

with open("fits_goldens.txt", "w") as f:
    f.write("# written by testdata/fieldio/make_fits.py (astropy %s, numpy %s); do not edit\n"
            % (__import__("astropy").__version__, np.__version__))
    f.write("\n".join(out) + "\n")
