"""NumPy float64 references for clip, where, add_n, Cast, the layout ops (transpose ... Pad), norm,
argmax/argmin, pick, topk, broadcast_to/axis, tile and repeat.

Written from the ops' documented meaning with plain NumPy (Python slicing, ``np.pad``, ``np.tile``
...), never from mxlite's code, so a shared mistake cannot hide. Integer inputs arrive in their own
dtype; float inputs arrive as float64.
"""
import numpy as np


def _none(value):
    # params may carry the string "None" (the generated wrappers drop a Python None)
    return None if value is None or value == "None" else value


# ----- element-wise -------------------------------------------------------------------------------
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


# ----- layout -------------------------------------------------------------------------------------
def reshape_like(lhs, rhs, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    lb = slice(lhs_begin, lhs_end).indices(lhs.ndim)
    rb = slice(rhs_begin, rhs_end).indices(rhs.ndim)
    shape = lhs.shape[:lb[0]] + rhs.shape[rb[0]:rb[1]] + lhs.shape[lb[1]:]
    return lhs.reshape(shape)


def squeeze(x, axis=None):
    out = np.squeeze(x, axis=axis)
    return out.reshape(1) if out.ndim == 0 else out


def split(x, num_outputs, axis=1, squeeze_axis=False):
    parts = np.split(x, num_outputs, axis=axis)
    return [np.squeeze(q, axis=axis) if squeeze_axis else q for q in parts]


def slice_nd(x, begin, end, step=()):
    """Python slicing on the leading axes."""
    step = step or (None,) * len(begin)
    return x[tuple(slice(b, e, s) for b, e, s in zip(begin, end, step, strict=True))]


def slice_axis(x, axis, begin, end=None):
    key = [slice(None)] * x.ndim
    key[axis] = slice(begin, _none(end))
    return x[tuple(key)]


def reverse(x, axis):
    for a in axis:
        x = np.flip(x, a)
    return x


def repeat(x, repeats, axis=None):
    return np.repeat(x, repeats, axis=_none(axis))


def broadcast_to(x, shape):
    return np.broadcast_to(x, tuple(d if t == 0 else t for d, t in zip(x.shape, shape,
                                                                     strict=True))).copy()


def broadcast_axis(x, axis, size):
    shape = list(x.shape)
    for a, n in zip(axis, size, strict=True):
        shape[a] = n
    return np.broadcast_to(x, shape).copy()


def pad(x, mode, pad_width, constant_value=0.0):
    pairs = list(zip(pad_width[::2], pad_width[1::2], strict=True))
    if mode == "constant":
        return np.pad(x, pairs, mode="constant", constant_values=constant_value)
    return np.pad(x, pairs, mode=mode)


# ----- reductions and searches --------------------------------------------------------------------
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
    axis = _none(axis)
    if axis is None or x.ndim == 1:
        idx = np.asarray(fn(x.reshape(-1)))
        shape = (1,) * x.ndim if keepdims else (1,)
        return idx.astype(x.dtype).reshape(shape)
    return fn(x, axis=axis, keepdims=keepdims).astype(x.dtype)


def pick(x, index, axis=-1, keepdims=False, mode="clip"):
    axis = axis % x.ndim
    n = x.shape[axis]
    idx = np.trunc(index).astype(np.int64)
    idx = np.clip(idx, 0, n - 1) if mode == "clip" else np.mod(idx, n)
    idx = idx.reshape(x.shape[:axis] + (1,) + x.shape[axis + 1:])
    out = np.take_along_axis(x, idx, axis=axis)
    return out if keepdims or x.ndim == 1 else np.squeeze(out, axis=axis)


def topk(x, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    """Top-k by a stable sort (ties keep their input order)."""
    axis = _none(axis)
    rows = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, -1)
    n = rows.shape[-1]
    k = k if k > 0 else n
    order = np.argsort(rows if is_ascend else -rows, axis=-1, kind="stable")[..., :k]
    values = np.take_along_axis(rows, order, axis=-1)

    def back(a):
        return a.reshape(-1) if axis is None else np.moveaxis(a, -1, axis)

    if ret_typ == "mask":
        mask = np.zeros_like(rows)
        np.put_along_axis(mask, order, 1, axis=-1)
        return [mask.reshape(x.shape) if axis is None else back(mask)]
    indices = back(order).astype(dtype)
    if ret_typ == "indices":
        return [indices]
    if ret_typ == "value":
        return [back(values)]
    return [back(values), indices]
