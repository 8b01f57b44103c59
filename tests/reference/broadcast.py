"""NumPy float64 references for the broadcast family: broadcast_to (0 keeps a dimension),
broadcast_axis and repeat (tile and broadcast_like are ``np.tile``/``np.broadcast_to`` inline in
the cases)."""
import numpy as np

from reference._util import none


def broadcast_to(x, shape):
    return np.broadcast_to(x, tuple(d if t == 0 else t for d, t in zip(x.shape, shape,
                                                                     strict=True))).copy()


def broadcast_axis(x, axis, size):
    shape = list(x.shape)
    for a, n in zip(axis, size, strict=True):
        shape[a] = n
    return np.broadcast_to(x, shape).copy()


def repeat(x, repeats, axis=None):
    return np.repeat(x, repeats, axis=none(axis))
