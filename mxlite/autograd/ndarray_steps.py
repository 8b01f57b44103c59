"""What the NDArray front end reaches of autograd (``ndarray.ndarray.autograd_hooks``): the
recording switches and tape functions, and the backward of the steps NDArray's own methods
record (indexing, copies between arrays and devices, ``y[:] = x``), over raw arrays.
"""
import numpy as np

from ..context import Context, array_module, device_scope
from ..ndarray.ndarray import _move
from .state import STATE  # noqa: F401  (read by NDArray and invoke)
from .tape import (bind_outputs, live_entry, note_write, record_custom,  # noqa: F401
                   record_op)

__all__ = ["STATE", "live_entry", "note_write", "record_op", "record_custom", "bind_outputs",
           "reduce_to", "assign_backward", "copy_backward", "slice_backward", "slice_symbol"]


def reduce_to(xp, g, shape):
    """``g`` summed over the axes it was broadcast along to reach it from ``shape``."""
    if g.shape == tuple(shape):
        return g
    if g.ndim < len(shape):  # the value had leading size-1 axes (x[None] = y)
        g = g.reshape((1,) * (len(shape) - g.ndim) + g.shape)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def assign_backward(value, ctx):
    """Backward of ``y[:] = value`` / ``value.copyto(y)``: the gradient of value, reduced over
    the broadcast and moved back to value's device."""
    shape, src_ctx, dtype = value.shape, value.context, value._data.dtype

    def backward(ograds, in_data, out_data):
        xp = array_module(ctx)
        with device_scope(ctx):
            g = reduce_to(xp, ograds[0], shape)
        return [_move(g, ctx, src_ctx).astype(dtype, copy=False)]
    return backward


def copy_backward(src_ctx):
    """Backward of a copy to another device: the gradient moved back to ``src_ctx``."""
    def backward(ograds, in_data, out_data):
        g = ograds[0]
        dst = Context("gpu", int(g.device.id)) if not isinstance(g, np.ndarray) else Context("cpu")
        return [_move(g, dst, src_ctx)]
    return backward


def slice_backward(key):
    """Backward of ``x[key]``: the output gradient scattered into zeros shaped like x (summed
    where an index repeats)."""
    def backward(ograds, in_data, out_data):
        x = in_data[0]
        xp = np if isinstance(x, np.ndarray) else _cupy()
        g = xp.zeros_like(x)
        target = g[key].shape
        og = ograds[0].reshape(target)
        if _advanced(key):
            if xp is np:
                np.add.at(g, key, og)
            else:
                import cupyx
                cupyx.scatter_add(g, key, og)
        else:
            g[key] = og
        return [g]
    return backward


def _advanced(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(hasattr(k, "shape") and getattr(k, "ndim", 0) > 0 for k in keys)


def _cupy():
    import cupy
    return cupy


def slice_symbol(key, in_shape, out_shape):
    """How ``get_symbol`` writes ``x[key]``: the ``slice`` op's attributes (and the shape of the
    ``Reshape`` that drops integer-indexed axes), as MXNet records basic indexing; None for keys
    it cannot write that way (arrays, Ellipsis, newaxis, negative steps)."""
    keys = key if isinstance(key, tuple) else (key,)
    if len(keys) > len(in_shape):
        return None
    begin, end, step = [], [], []
    for k, dim in zip(keys, in_shape):
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            i = int(k) + dim if k < 0 else int(k)
            begin.append(i)
            end.append(i + 1)
            step.append(None)
        elif isinstance(k, slice) and (k.step is None or k.step > 0):
            start, stop, stride = k.indices(dim)
            begin.append(start)
            end.append(stop)
            step.append(None if stride == 1 else stride)
        else:
            return None
    attrs = {"begin": tuple(begin), "end": tuple(end), "step": tuple(step)}
    sliced = tuple(max(0, -(-(e - b) // (st or 1))) for b, e, st in zip(begin, end, step))
    sliced += tuple(in_shape[len(keys):])
    return attrs, (tuple(out_shape) if sliced != tuple(out_shape) else None)

