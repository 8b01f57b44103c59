"""Reductions over axes: sum, mean, prod, max, min, nansum, nanprod.

Legacy shape rules: a full reduction gives shape (1,), never a 0-d array; ``axis=()`` means all
axes; ``exclude=True`` reduces every axis *not* listed. float16 sums accumulate in float32.
"""
import numpy as np

from ..base import MXNetError
from .params import Axis, Bool, ParamSpec
from .registry import OpDef, register

REDUCE_PARAMS = ParamSpec(
    Axis("axis", None, "The axis or axes along which to perform the reduction."),
    Bool("keepdims", False, "If true, the reduced axes are left as size-1 dimensions."),
    Bool("exclude", False, "Whether to perform reduction on axis that are NOT in axis instead."))


def reduce_axes(op_name, p, ndim):
    """The sorted tuple of axes reduced for ``p`` on an ``ndim``-D input."""
    axis = p["axis"]
    if axis is None or axis == ():
        axes = tuple(range(ndim))
    else:
        axes = []
        for a in axis:
            if not -ndim <= a < ndim:
                raise MXNetError(f"Error in operator {op_name}: axis {a} is out of bounds for "
                                 f"array of dimension {ndim}")
            axes.append(a % ndim)
        axes = tuple(sorted(set(axes)))
        if p["exclude"]:
            axes = tuple(i for i in range(ndim) if i not in axes)
    return axes


def reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return out if out else (1,)


def _make_shape(name):
    def infer(p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return [None], [None]
        axes = reduce_axes(name, p, len(data))
        return [data], [reduced_shape(data, axes, p["keepdims"])]
    return infer


def _keep(x, g, axes):
    """``g`` reshaped so it broadcasts against ``x`` (reduced axes as size 1)."""
    return g.reshape(tuple(1 if i in axes else d for i, d in enumerate(x.shape)))


def _make(name, fn, grad):
    def forward(sc, p, ins):
        x = ins[0]
        axes = reduce_axes(name, p, x.ndim)
        out = fn(sc.xp, x, axes)
        return [sc.xp.asarray(out, dtype=x.dtype).reshape(reduced_shape(x.shape, axes,
                                                                          p["keepdims"]))]

    def backward(sc, p, ograds, ins, outs):
        x = ins[0]
        axes = reduce_axes(name, p, x.ndim)
        g, y = _keep(x, ograds[0], axes), _keep(x, outs[0], axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            gx = grad(sc.xp, x, g, y, axes)
        return [sc.xp.broadcast_to(gx, x.shape).astype(x.dtype)]

    return OpDef(name=name, params=REDUCE_PARAMS, forward=forward, backward=backward,
                 infer_shape=_make_shape(name),
                 doc=f"Computes the {name} of array elements over given axes.")


def _count(x, axes):
    n = 1
    for a in axes:
        n *= x.shape[a]
    return n


def _acc_dtype(xp, x):
    return xp.float32 if x.dtype == xp.float16 else x.dtype


register(_make("sum", lambda xp, x, ax: x.sum(axis=ax, dtype=_acc_dtype(xp, x)),
               lambda xp, x, g, y, ax: g))
register(_make("mean", lambda xp, x, ax: x.mean(axis=ax, dtype=_acc_dtype(xp, x)),
               lambda xp, x, g, y, ax: g / _count(x, ax)))
register(_make("prod", lambda xp, x, ax: x.prod(axis=ax, dtype=_acc_dtype(xp, x)),
               lambda xp, x, g, y, ax: g * y / x))
register(_make("nansum", lambda xp, x, ax: xp.nansum(x, axis=ax, dtype=_acc_dtype(xp, x)),
               lambda xp, x, g, y, ax: g * ~xp.isnan(x)))
register(_make("nanprod", lambda xp, x, ax: xp.nanprod(x, axis=ax, dtype=_acc_dtype(xp, x)),
               lambda xp, x, g, y, ax: xp.where(xp.isnan(x), 0, g * y / x)))
# max/min send the gradient to every element equal to the result (broadcast_reduce_op.h).
register(_make("max", lambda xp, x, ax: x.max(axis=ax) if x.size else x.sum(axis=ax),
               lambda xp, x, g, y, ax: g * (x == y)))
register(_make("min", lambda xp, x, ax: x.min(axis=ax) if x.size else x.sum(axis=ax),
               lambda xp, x, g, y, ax: g * (x == y)))
