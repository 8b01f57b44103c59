"""NumPy float64 references for the reduce family: the axis/keepdims/exclude reductions (sum ...
nanprod, max, min), norm, argmax/argmin/argmax_channel and moments.

Results are never 0-d: MXNet's legacy shape mode gives a reduction to a scalar the shape (1,).
"""
import numpy as np

from reference._util import none


def reduce(x, fn, axis=None, keepdims=False, exclude=False):
    if axis is None or axis == ():
        axes = tuple(range(x.ndim))
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % x.ndim for a in axes)
        if exclude:
            axes = tuple(i for i in range(x.ndim) if i not in axes)
    out = fn(x, axis=axes, keepdims=keepdims)
    return out.reshape(1) if out.ndim == 0 else out


def norm(x, ord=2, axis=None, keepdims=False, out_dtype=None):
    axis = tuple(np.atleast_1d(axis)) if axis is not None else None
    if ord == 1:
        out = np.abs(x).sum(axis=axis, keepdims=keepdims)
    else:
        out = np.sqrt((x * x).sum(axis=axis, keepdims=keepdims))
    out = np.asarray(out).reshape(-1) if np.ndim(out) == 0 else out
    return out.astype(out_dtype) if out_dtype else out


def search(x, fn, axis=None, keepdims=False):
    """argmax/argmin as MXNet returns them: the index in the input's dtype, never 0-d."""
    axis = none(axis)
    if axis is None or x.ndim == 1:
        idx = np.asarray(fn(x.reshape(-1)))
        shape = (1,) * x.ndim if keepdims else (1,)
        return idx.astype(x.dtype).reshape(shape)
    return fn(x, axis=axis, keepdims=keepdims).astype(x.dtype)


def moments(x, axes, keepdims=False):
    axes = tuple(a % x.ndim for a in axes)
    mean = x.mean(axis=axes, keepdims=keepdims)
    var = x.var(axis=axes, keepdims=keepdims)
    if mean.ndim == 0:
        mean, var = mean.reshape(1), var.reshape(1)
    return [mean, var]
