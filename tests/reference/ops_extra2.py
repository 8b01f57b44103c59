"""NumPy float64 references for the index_extra and init_ops families (shape_array ... _split_v2,
_zeros ... _eye) and for 'same' pooling.

Written from the ops' documented meaning with explicit loops or plain NumPy, never from mxlite's
code. Integer inputs arrive in their own dtype; float inputs arrive as float64.
"""
import itertools

import numpy as np


def _none(value):
    # params may carry the string "None" (the generated wrappers drop a Python None)
    return None if value is None or value == "None" else value


# ----- shape_array / size_array / sort / argsort --------------------------------------------------
def shape_array(x):
    return np.array(x.shape, dtype=np.int64)


def size_array(x):
    return np.array([x.size], dtype=np.int64)


def sort(x, axis=-1, is_ascend=True):
    axis = _none(axis)
    if axis is None:
        x, axis = x.reshape(-1), 0
    out = np.sort(x, axis=axis)
    return out if is_ascend else np.flip(out, axis=axis)


def argsort(x, axis=-1, is_ascend=True, dtype="float32"):
    axis = _none(axis)
    if axis is None:
        x, axis = x.reshape(-1), 0
    # distinct inputs: ascending order reversed is the descending order
    order = np.argsort(x, axis=axis, kind="stable")
    if not is_ascend:
        order = np.flip(order, axis=axis)
    return order.astype(dtype)


# ----- batch_take / gather_nd / scatter_nd --------------------------------------------------------
def batch_take(a, indices):
    rows = a.reshape(a.shape[0], -1)
    out = np.empty(indices.size, a.dtype)
    for i, j in enumerate(indices.reshape(-1)):
        out[i] = rows[i, min(max(int(j), 0), rows.shape[1] - 1)]
    return out.reshape(indices.shape)


def gather_nd(data, indices):
    m = indices.shape[0]
    positions = indices.reshape(m, -1)
    pieces = []
    for p in range(positions.shape[1]):
        key = tuple(int(positions[j, p] + data.shape[j]) % data.shape[j] for j in range(m))
        pieces.append(data[key])
    out = np.array(pieces).reshape(indices.shape[1:] + data.shape[m:])
    return out.reshape(out.shape or (1,))


def scatter_nd(data, indices, shape):
    m = indices.shape[0]
    out = np.zeros(shape, data.dtype)
    positions = indices.reshape(m, -1)
    values = data.reshape((positions.shape[1],) + tuple(shape[m:]))
    for p in range(positions.shape[1]):
        out[tuple(int(positions[j, p]) for j in range(m))] = values[p]
    return out


# ----- diag / depth_to_space / space_to_depth -----------------------------------------------------
def diag(x, k=0, axis1=0, axis2=1):
    if x.ndim == 1:
        n = x.size + abs(k)
        out = np.zeros((n, n), x.dtype)
        for i, v in enumerate(x):
            out[i + max(-k, 0), i + max(k, 0)] = v
        return out
    return np.diagonal(x, k, axis1, axis2).copy()


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


def split_v2(x, indices=(), axis=1, squeeze_axis=False, sections=0):
    n = x.shape[axis]
    if sections:
        base, extra = divmod(n, sections)
        sizes = [base + (i < extra) for i in range(sections)]
        starts = list(np.cumsum([0] + sizes[:-1]))
    else:
        starts = list(indices)
    ends = starts[1:] + [n]
    parts = [np.take(x, np.arange(b, e), axis=axis) for b, e in zip(starts, ends)]
    if squeeze_axis:
        parts = [np.squeeze(p, axis=axis).reshape(np.squeeze(p, axis=axis).shape or (1,))
                 for p in parts]
    return parts


# ----- init ops -----------------------------------------------------------------------------------
def arange(start, stop=None, step=1.0, repeat=1, dtype="float32"):
    stop = _none(stop)
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


# ----- 'same' pooling (1-D) -----------------------------------------------------------------------
def pool1d_same(x, kernel, stride, pool_type="max"):
    """Windows [o*stride, o*stride + kernel) clipped to the input; ceil(W / stride) of them."""
    k, s = kernel[0], stride[0]
    width = x.shape[2]
    n_out = -(-width // s)
    out = np.empty(x.shape[:2] + (n_out,), x.dtype)
    for o in range(n_out):
        start, end = o * s, min(o * s + k, width)
        window = x[:, :, start:end]
        if pool_type == "max":
            out[:, :, o] = window.max(axis=2)
        else:
            # avg divides by the window clipped to [-pad, width + pad), here to the input
            out[:, :, o] = window.sum(axis=2) / (end - start)
    return out
