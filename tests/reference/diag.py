"""NumPy float64 references for the diag family: diag and the ``_linalg_`` diagonal/triangle
copies (extractdiag, makediag, extracttrian, maketrian).

The triangle storage order is MXNet's extracttrian examples (la_op.cc): the lower triangle row by
row, the upper triangle column by column.
"""
import numpy as np


def diag(x, k=0, axis1=0, axis2=1):
    if x.ndim == 1:
        n = x.size + abs(k)
        out = np.zeros((n, n), x.dtype)
        for i, v in enumerate(x):
            out[i + max(-k, 0), i + max(k, 0)] = v
        return out
    return np.diagonal(x, k, axis1, axis2).copy()


def _trian_positions(n, offset, lower):
    """(row, col) of the triangle's entries in storage order: the lower triangle row by row, or
    the upper triangle column by column (MXNet's extracttrian examples)."""
    d = abs(offset)
    m = n - d
    pos = [(r + d, c) for r in range(m) for c in range(r + 1)]
    if offset > 0 or (offset == 0 and not lower):
        pos = [(c, r) for r, c in pos]
    return pos


def extractdiag(a, offset=0):
    return np.diagonal(a, offset=offset, axis1=-2, axis2=-1).copy()


def makediag(a, offset=0):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n))
    for i in range(a.shape[-1]):
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a[..., i]
    return out


def extracttrian(a, offset=0, lower=True):
    pos = _trian_positions(a.shape[-1], offset, lower)
    return np.stack([a[..., r, c] for r, c in pos], axis=-1)


def maketrian(a, offset=0, lower=True):
    m = int(round((np.sqrt(8 * a.shape[-1] + 1) - 1) / 2))
    n = m + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n))
    for k, (r, c) in enumerate(_trian_positions(n, offset, lower)):
        out[..., r, c] = a[..., k]
    return out
