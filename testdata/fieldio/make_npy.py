#!/usr/bin/python3
"""Writes the small .npy files of testdata/fieldio and npy_goldens.txt, the
values NumPy holds for them, which engine/fieldio's golden test compares
against exactly.
Run with Debian's interpreter:
    cd testdata/fieldio && /usr/bin/python3 make_npy.py

Files:
    be_f4_2d.npy         '>f4', (8, 8), C order
    le_f8_fortran_2d.npy '<f8', (8, 8), Fortran order
    le_f4_3d.npy         '<f4', (3, 8, 8), C order
    be_f8_fortran_3d.npy '>f8', (3, 8, 8), Fortran order
    v2_f8_3d.npy         '<f8', (2, 8, 8), format version 2.0
    v3_be_f4_2d.npy      '>f4', (8, 8), Fortran order, format version 3.0

Format, after '#' comments:
    data FILE DESCR FORTRAN N0 N1 [N2] : V V V ...   (arr.ravel(order='C') as float64 repr)
"""
import numpy as np

out = []


def smooth(shape, a=1.0, b=0.0):
    idx = np.indices(shape)
    s = sum((0.29 + 0.17 * k) * idx[k] for k in range(len(shape)))
    return a * np.cos(s + 0.2) + b


def save(name, arr, version=None):
    if version is None:
        np.save(name, arr)
    else:
        with open(name, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
    back = np.load(name)
    assert back.dtype == arr.dtype and back.shape == arr.shape and np.array_equal(back, arr)
    out.append("data %s %s %s %s : %s" % (
        name, back.dtype.str, back.flags.f_contiguous and not back.flags.c_contiguous,
        " ".join(str(n) for n in back.shape),
        " ".join(repr(float(v)) for v in back.ravel(order="C"))))


save("be_f4_2d.npy", smooth((8, 8), 3.0).astype(">f4"))
save("le_f8_fortran_2d.npy", np.asfortranarray(smooth((8, 8), 1.0, 0.5).astype("<f8")))
save("le_f4_3d.npy", smooth((3, 8, 8), -2.0).astype("<f4"))
save("be_f8_fortran_3d.npy", np.asfortranarray(smooth((3, 8, 8), 1e5).astype(">f8")))
save("v2_f8_3d.npy", smooth((2, 8, 8), 0.25).astype("<f8"), version=(2, 0))
save("v3_be_f4_2d.npy", np.asfortranarray(smooth((8, 8), 7.0).astype(">f4")), version=(3, 0))

with open("npy_goldens.txt", "w") as f:
    f.write("# written by testdata/fieldio/make_npy.py (numpy %s); do not edit\n" % np.__version__)
    f.write("\n".join(out) + "\n")
