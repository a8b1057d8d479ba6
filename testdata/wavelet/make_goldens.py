#!/usr/bin/python3
"""Writes pywt_goldens.txt: PyWavelets wavedec2/waverec2 (mode='periodization')
results that engine/wavelet's golden test compares against to 1e-12.

The filters are those of testdata/wavelet/filters.txt (PyWavelets' taps made
exactly orthogonal), so that both sides use identical taps.
Inputs are not stored: they come from an integer hash that the Go test
reproduces exactly (see hashField in engine/wavelet/golden_test.go).
Run with Debian's interpreter, which sees python3-pywt:
    /usr/bin/python3 testdata/wavelet/make_goldens.py > testdata/wavelet/pywt_goldens.txt

Format, one value per line after '#' comments:
    dec  WAVELET N LEVEL CHANNEL INDEX VALUE   (LEVEL 0 = the coarsest cA; CHANNEL 0 = cA,
                                                1 = cV = (h,g), 2 = cH = (g,h), 3 = cD)
    rec  WAVELET N INDEX VALUE                 (waverec2 of hashed coefficients)
Planes of up to 16×16 are written whole; larger planes every 29th value.
"""
import os
import warnings

import numpy as np
import pywt

warnings.simplefilter("ignore")
M32 = 0xFFFFFFFF


def hash_value(k, seed):
    u = ((k + 1) * 2654435761 + seed * 40503) & M32
    u ^= u >> 13
    u = (u * 2246822519) & M32
    u ^= u >> 16
    return u / 4294967296.0 - 0.5


def hash_field(n, seed):
    return np.array([hash_value(k, seed) for k in range(n * n)]).reshape(n, n)


def emit(rows, plane, prefix):
    flat = plane.ravel()
    step = 1 if flat.size <= 256 else 29
    for i in range(0, flat.size, step):
        rows.append("%s %d %r" % (prefix, i, float(flat[i])))


def read_filters():
    """The taps WCRG Lab uses (filters.txt, written by scripts/gen_wavelet_filters.py)."""
    bank = {}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "filters.txt")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            w = line.split()
            h = [float(v) for v in w[2:]]
            K = len(h)
            g = [(-1) ** k * h[K - 1 - k] for k in range(K)]
            # PyWavelets filter bank: (dec_lo, dec_hi, rec_lo, rec_hi).
            bank[w[0]] = pywt.Wavelet(w[0], filter_bank=(h[::-1], g[::-1], h, g))
    return bank


def main():
    rows = ["# PyWavelets %s, NumPy %s" % (pywt.__version__, np.__version__)]
    bank = read_filters()
    for name in ["haar", "db2", "db4", "db8", "sym4", "coif2"]:
        wav = bank[name]
        for n in [8, 32, 256]:
            levels = int(np.log2(n))
            x = hash_field(n, 1)
            coeffs = pywt.wavedec2(x, wav, mode="periodization", level=levels)
            emit(rows, coeffs[0], "dec %s %d 0 0" % (name, n))
            for lev, (cH, cV, cD) in enumerate(coeffs[1:], start=1):
                emit(rows, cV, "dec %s %d %d 1" % (name, n, lev))
                emit(rows, cH, "dec %s %d %d 2" % (name, n, lev))
                emit(rows, cD, "dec %s %d %d 3" % (name, n, lev))
            # Reconstruction from hashed coefficients; the seed of each plane is
            # 100 + 4·level + channel, the same channel numbering as above.
            rc = [hash_field(1, 100)]
            for lev in range(1, levels + 1):
                m = 1 << (lev - 1)
                cV = hash_field(m, 100 + 4 * lev + 1)
                cH = hash_field(m, 100 + 4 * lev + 2)
                cD = hash_field(m, 100 + 4 * lev + 3)
                rc.append((cH, cV, cD))
            y = pywt.waverec2(rc, wav, mode="periodization")
            emit(rows, y, "rec %s %d" % (name, n))
    print("\n".join(rows))


main()
