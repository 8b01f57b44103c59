"""NumPy float64 references for the shape family: reshape_like, squeeze, shape_array,
size_array, depth_to_space and space_to_depth (Reshape, Flatten, transpose, SwapAxis and
expand_dims are single NumPy calls inline in the cases).

Written from the ops' documented meaning with explicit loops or plain NumPy, never from mxlite's
code.
"""
import itertools

import numpy as np


def reshape_like(lhs, rhs, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    lb = slice(lhs_begin, lhs_end).indices(lhs.ndim)
    rb = slice(rhs_begin, rhs_end).indices(rhs.ndim)
    shape = lhs.shape[:lb[0]] + rhs.shape[rb[0]:rb[1]] + lhs.shape[lb[1]:]
    return lhs.reshape(shape)


def squeeze(x, axis=None):
    out = np.squeeze(x, axis=axis)
    return out.reshape(1) if out.ndim == 0 else out


def shape_array(x):
    return np.array(x.shape, dtype=np.int64)


def size_array(x):
    return np.array([x.size], dtype=np.int64)


def depth_to_space(x, block_size):
    b = block_size
    n, c, h, w = x.shape
    cb = c // (b * b)
    out = np.empty((n, cb, h * b, w * b), x.dtype)
    for i, j, ch in itertools.product(range(b), range(b), range(cb)):
        out[:, ch, i::b, j::b] = x[:, (i * b + j) * cb + ch]
    return out


def space_to_depth(x, block_size):
    b = block_size
    n, c, h, w = x.shape
    out = np.empty((n, c * b * b, h // b, w // b), x.dtype)
    for i, j, ch in itertools.product(range(b), range(b), range(c)):
        out[:, (i * b + j) * c + ch] = x[:, ch, i::b, j::b]
    return out
