"""NumPy float64 references for the slice family: slice (Python slicing on the leading axes),
slice_axis and reverse (slice_like is a plain slice inline in the cases)."""
import numpy as np

from reference._util import none


def slice_nd(x, begin, end, step=()):
    """Python slicing on the leading axes."""
    step = step or (None,) * len(begin)
    return x[tuple(slice(b, e, s) for b, e, s in zip(begin, end, step, strict=True))]


def slice_axis(x, axis, begin, end=None):
    key = [slice(None)] * x.ndim
    key[axis] = slice(begin, none(end))
    return x[tuple(key)]


def reverse(x, axis):
    for a in axis:
        x = np.flip(x, a)
    return x
