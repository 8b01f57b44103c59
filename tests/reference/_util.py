"""Small helpers shared by the NumPy references: parameter spelling and batched matrix loops.

Nothing here knows an op; each helper exists because two or more families need it.
"""
import numpy as np


def none(value):
    """The param value, or None when it is None or the string "None" (the generated wrappers drop
    a Python None, so cases spell it as a string)."""
    return None if value is None or value == "None" else value


def tup(v, nd, default):
    """``v`` as a tuple, or ``(default,) * nd`` when it is empty (MXNet's unset stride/pad)."""
    return tuple(v) if v else (default,) * nd


def mat_t(x):
    """Swap the last two axes (matrix transpose over a batch)."""
    return np.swapaxes(x, -1, -2)


def tri(a, lower):
    """The lower (or upper) triangle of every matrix in ``a``."""
    return np.tril(a) if lower else np.triu(a)


def batched(fn, *mats):
    """Apply a per-matrix function over the leading batch axes (tuple results stay tuples)."""
    batch = mats[0].shape[:-2]
    res = [fn(*(m[idx] for m in mats)) for idx in np.ndindex(batch)]
    if isinstance(res[0], tuple):
        return [np.stack([r[k] for r in res]).reshape(batch + res[0][k].shape)
                for k in range(len(res[0]))]
    return np.stack(res).reshape(batch + res[0].shape)


def single(shape):
    """A single matrix's scalar result has shape (1,) in MXNet's legacy shape mode."""
    return shape if shape else (1,)
