"""NumPy float64 references for the index family: Embedding, take, one_hot, pick, batch_take,
gather_nd, scatter_nd and _contrib_index_array.

Written from MXNET_SEMANTICS.md (§7.3) and the ops' documented meaning with explicit loops,
never from mxlite's code. A float index is truncated toward zero, as C's cast; out-of-range
indices are clipped or wrapped as each op's mode says.
"""
import math

import numpy as np


def _index(value):
    """C's cast of an index: truncation toward zero."""
    return int(math.trunc(float(value)))


def embedding(ids, weight):
    out = np.empty(ids.shape + (weight.shape[1],))
    for pos in np.ndindex(ids.shape):
        j = min(max(_index(ids[pos]), 0), weight.shape[0] - 1)
        out[pos] = weight[j]
    return out


def embedding_weight_grad(ids, weight, head):
    grad = np.zeros_like(weight)
    for pos in np.ndindex(ids.shape):
        j = min(max(_index(ids[pos]), 0), weight.shape[0] - 1)
        grad[j] += head[pos]
    return grad


def _resolve(j, n, mode):
    if mode == "wrap":
        return j % n
    if mode == "raise":
        assert 0 <= j < n, "index out of range in a raise-mode reference"
        return j
    return min(max(j, 0), n - 1)


def take(a, indices, axis=0, mode="clip"):
    axis %= a.ndim
    n = a.shape[axis]
    flat = [_resolve(_index(v), n, mode) for v in indices.reshape(-1)]
    picked = np.stack([np.take(a, j, axis=axis) for j in flat], axis=axis)
    return picked.reshape(a.shape[:axis] + indices.shape + a.shape[axis + 1:])


def one_hot(indices, depth, on_value=1.0, off_value=0.0):
    out = np.full(indices.shape + (depth,), off_value)
    for pos in np.ndindex(indices.shape):
        j = _index(indices[pos])
        if 0 <= j < depth:
            out[pos + (j,)] = on_value
    return out


def pick(x, index, axis=-1, keepdims=False, mode="clip"):
    axis = axis % x.ndim
    n = x.shape[axis]
    idx = np.trunc(index).astype(np.int64)
    idx = np.clip(idx, 0, n - 1) if mode == "clip" else np.mod(idx, n)
    idx = idx.reshape(x.shape[:axis] + (1,) + x.shape[axis + 1:])
    out = np.take_along_axis(x, idx, axis=axis)
    return out if keepdims or x.ndim == 1 else np.squeeze(out, axis=axis)


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


def index_array(x, axes=None):
    idx = np.indices(x.shape, dtype=np.int64)
    axes = range(x.ndim) if axes is None else axes
    return np.stack([idx[a] for a in axes], axis=-1)


def index_copy(old_tensor, index_vector, new_tensor):
    out = old_tensor.copy()
    for i, row in enumerate(index_vector):
        out[int(row)] = new_tensor[i]
    return out


def boolean_mask(data, index):
    return np.array([data[i] for i in range(len(index)) if index[i] != 0]).reshape(
        (-1,) + data.shape[1:])
