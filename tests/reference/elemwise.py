"""NumPy float64 references for the elemwise family: clip, where, add_n, Cast and
_contrib_div_sqrt_dim (_copy, zeros_like and ones_like are inline in the cases).

Written from the ops' documented meaning with plain NumPy, never from mxlite's code. Integer
inputs arrive in their own dtype; float inputs arrive as float64.
"""
import numpy as np


def clip(x, a_min, a_max):
    """MXNet's clip: test x > a_max first, then x < a_min (so a_min > a_max gives a_max)."""
    lo, hi = float(np.float32(a_min)), float(np.float32(a_max))
    if x.dtype.kind in "iu":
        lo, hi = np.trunc(lo), np.trunc(hi)
    out = np.where(x > hi, hi, np.where(x < lo, lo, x))
    return out.astype(x.dtype)


def where(cond, x, y):
    mask = cond != 0
    if mask.ndim == 1 and x.ndim > 1:
        mask = mask.reshape((-1,) + (1,) * (x.ndim - 1))
    return np.where(mask, x, y)


def add_n(*xs):
    return sum(xs[1:], xs[0].copy())


def cast(x, dtype):
    """C-style conversion: floats truncate toward zero; out-of-range integers wrap mod 2**bits."""
    dt = np.dtype(dtype)
    if x.dtype.kind == "f" and dt.kind in "iu":
        bits = 8 * dt.itemsize
        if bits == 64:
            return np.trunc(x).astype(dt)
        v = np.trunc(x).astype(np.int64) % (1 << bits)
        if dt.kind == "i":
            v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
        return v.astype(dt)
    if dt == np.bool_:
        return x != 0
    return x.astype(dt)


def div_sqrt_dim(x):
    return x / np.sqrt(x.shape[-1])
