"""NumPy float64 references for the init family: _arange, _eye and _contrib_arange_like
(_zeros, _ones and _full are ``np.zeros``/``np.ones``/``np.full`` inline in the cases)."""
import numpy as np

from reference._util import none


def arange(start, stop=None, step=1.0, repeat=1, dtype="float32"):
    stop = none(stop)
    if stop is None:
        start, stop = 0.0, start
    n = int(np.ceil((stop - start) / step))
    values = np.repeat(start + np.arange(n) * step, repeat)
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        values = np.trunc(start) + np.repeat(np.arange(n), repeat) * np.trunc(step)
    return values.astype(dt)


def eye(N, M=0, k=0, dtype="float32"):
    return np.eye(N, M or N, k, dtype=dtype)


def arange_like(x, start=0.0, step=1.0, repeat=1, axis=None):
    shape = x.shape if axis is None else (x.shape[axis],)
    n = int(np.prod(shape))
    return (start + (np.arange(n) // repeat) * step).reshape(shape)
