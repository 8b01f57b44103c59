"""Reductions over axes: sum, mean, prod, max, min, nansum, nanprod, norm, the index
searches argmax / argmin / argmax_channel, and moments (mean and biased variance).

Legacy shape rules: a full reduction gives shape (1,), never a 0-d array; ``axis=()`` means all
axes; ``exclude=True`` reduces every axis *not* listed. float16 sums accumulate in float32.
Sources pinned: src/operator/tensor/broadcast_reduce_op.h (shapes, norm gradients),
broadcast_reduce_op_index.cc, broadcast_reduce_op_value.cc, nn/moments-inl.h. Index outputs are
returned in the data's dtype (float) as in MXNet, and carry a zero gradient. moments needs ``axes``
(MXNet refuses an empty one); its outputs ``output0`` and ``output1`` both take a gradient.
"""
import numpy as np

from ..base import MXNetError
from ._util import OptInt, acc_dtype, kept_shape, norm_axis, uniform_type, upcast
from .params import Axis, Bool, Enum, Int, ParamSpec
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
        if len(set(axes)) != len(axes):
            raise MXNetError(f"Error in operator {op_name}: Reduction axes have duplicates "
                             f"{tuple(axis)} (axes normalised to {tuple(axes)} for a "
                             f"{ndim}-D input)")
        axes = tuple(sorted(axes))
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


register(_make("sum", lambda xp, x, ax: x.sum(axis=ax, dtype=acc_dtype(x.dtype)),
               lambda xp, x, g, y, ax: g))
register(_make("mean", lambda xp, x, ax: x.mean(axis=ax, dtype=acc_dtype(x.dtype)),
               lambda xp, x, g, y, ax: g / _count(x, ax)))
register(_make("prod", lambda xp, x, ax: x.prod(axis=ax, dtype=acc_dtype(x.dtype)),
               lambda xp, x, g, y, ax: g * y / x))
register(_make("nansum", lambda xp, x, ax: xp.nansum(x, axis=ax, dtype=acc_dtype(x.dtype)),
               lambda xp, x, g, y, ax: g * ~xp.isnan(x)))
register(_make("nanprod", lambda xp, x, ax: xp.nanprod(x, axis=ax, dtype=acc_dtype(x.dtype)),
               lambda xp, x, g, y, ax: xp.where(xp.isnan(x), 0, g * y / x)))
# max/min send the gradient to every element equal to the result (broadcast_reduce_op.h).
def _extremum(name):
    """max / min over ``ax``; an empty reduction (a zero-length reduced axis) has no value, and
    MXNet refuses it (NumPy would raise ValueError)."""
    def fn(xp, x, ax):
        axes = range(x.ndim) if ax is None else (ax if isinstance(ax, tuple) else (ax,))
        if any(x.shape[a] == 0 for a in axes):
            raise MXNetError(f"Error in operator {name}: cannot take the {name} over a zero-size "
                             f"axis of data with shape {tuple(x.shape)}")
        return getattr(x, name)(axis=ax) if x.size else x.sum(axis=ax)
    return fn


register(_make("max", _extremum("max"), lambda xp, x, g, y, ax: g * (x == y)))
register(_make("min", _extremum("min"), lambda xp, x, g, y, ax: g * (x == y)))


def _norm_dtype(x):
    """Accumulation dtype: float32 for float16 (and for integers, which norm turns into floats)."""
    return np.float32 if x.dtype == np.float16 or x.dtype.kind in "iub" else x.dtype


# ----- norm ---------------------------------------------------------------------------------------
def _norm_axes(p, ndim):
    if p["ord"] not in (1, 2):
        raise MXNetError(f"norm: ord={p['ord']} is not supported (norm only supports ord=1 and "
                         f"ord=2)")
    return reduce_axes("norm", {"axis": p["axis"], "exclude": False}, ndim)


def _norm_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    return [data], [reduced_shape(data, _norm_axes(p, len(data)), p["keepdims"])]


def _norm_forward(sc, p, ins):
    xp, x = sc.xp, ins[0]
    axes = _norm_axes(p, x.ndim)
    xa = x.astype(_norm_dtype(x), copy=False)
    if p["ord"] == 1:
        out = xp.abs(xa).sum(axis=axes)
    else:
        out = xp.sqrt((xa * xa).sum(axis=axes))
    dtype = np.dtype(p["out_dtype"]) if p["out_dtype"] else x.dtype
    return [out.astype(dtype).reshape(reduced_shape(x.shape, axes, p["keepdims"]))]


def _norm_backward(sc, p, ograds, ins, outs):
    xp, x = sc.xp, ins[0]
    axes = _norm_axes(p, x.ndim)
    g = ograds[0].reshape(kept_shape(x.shape, axes)).astype(_norm_dtype(x))
    xa = x.astype(_norm_dtype(x), copy=False)
    if p["ord"] == 1:
        grad = g * xp.sign(xa)
    else:
        # g * x / norm, as MXNet computes it: an all-zero slice gets NaN (0/0)
        y = outs[0].reshape(kept_shape(x.shape, axes)).astype(_norm_dtype(x))
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = g * xa / y
    return [grad.astype(x.dtype)]


register(OpDef(
    name="norm",
    params=ParamSpec(Int("ord", 2, "Order of the norm: 1 or 2."),
                     Axis("axis", None, "Axes to reduce (None or (): all of them)."),
                     Enum("out_dtype", ("float16", "float32", "float64", "int64", "int32",
                                        "int8"), None, "Output dtype (None: the input's).",
                          optional=True),
                     Bool("keepdims", False, "Keep the reduced axes as size 1.")),
    infer_shape=_norm_shape,
    infer_type=lambda p, t: ([t[0]], [np.dtype(p["out_dtype"]) if p["out_dtype"] else t[0]]),
    forward=_norm_forward, backward=_norm_backward,
    doc="L1 or L2 norm over the given axes (all of them by default, giving shape (1,))."))


# ----- argmax / argmin / argmax_channel -----------------------------------------------------------
def _search_axis(op, p, s):
    """The reduced axis, or None for a global search (no axis, or a 1-D input)."""
    if p["axis"] is None:
        return None
    axis = norm_axis(op, p["axis"], len(s))
    return None if len(s) == 1 else axis


def _search_out(op, p, s):
    axis = _search_axis(op, p, s)
    if axis is None:
        return (1,) * len(s) if p["keepdims"] else (1,)
    return reduced_shape(s, (axis,), p["keepdims"])


def _make_search(op, fn, fixed=None):
    def params(p):
        return fixed if fixed is not None else p

    def infer(p, in_shapes):
        data = in_shapes[0]
        return [data], [None if data is None else _search_out(op, params(p), tuple(data))]

    def forward(sc, p, ins):
        x, q = ins[0], params(p)
        axis = _search_axis(op, q, x.shape)
        # ties resolve to the first occurrence; the index is returned in the data's dtype
        idx = getattr(sc.xp, fn)(x.reshape(-1) if axis is None else x, axis=axis)
        return [idx.astype(x.dtype).reshape(_search_out(op, q, x.shape))]

    return OpDef(name=op, params=ParamSpec() if fixed is not None else ParamSpec(
        OptInt("axis", None, "Axis to search (None: the flattened input)."),
        Bool("keepdims", False, "Keep the reduced axis as size 1.")),
        infer_shape=infer, forward=forward, needs_head_grad=False,
        backward=lambda sc, p, g, ins, outs: [sc.xp.zeros_like(ins[0])],
        doc=f"Index of the {fn[3:]}imum along an axis (first occurrence), as the input dtype.")


register(_make_search("argmax", "argmax"))
register(_make_search("argmin", "argmin"))
# argmax_channel: argmax over axis 1 (broadcast_reduce_op_index.cc fixes the parameters)
register(_make_search("argmax_channel", "argmax", fixed={"axis": 1, "keepdims": False}))


# ----- moments ------------------------------------------------------------------------------------
def _moments_axes(p, ndim):
    axes = p["axes"]
    if not axes:
        raise MXNetError("Error in operator moments: Empty axes is not supported, if you would "
                         "like to do global moments, please pass all axes to axes argument")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise MXNetError(f"Error in operator moments: axes={tuple(axes)}: axis {a} is out of "
                             f"bounds for data of dimension {ndim}")
        if a % ndim in out:
            raise MXNetError(f"Error in operator moments: axes {tuple(axes)} has duplicate "
                             f"axis {a % ndim}")
        out.append(a % ndim)
    return tuple(sorted(out))


def _moments_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None, None]
    out = reduced_shape(data, _moments_axes(p, len(data)), p["keepdims"])
    return [data], [out, out]


def _moments_forward(sc, p, ins):
    x = ins[0]
    axes = _moments_axes(p, x.ndim)
    xa = upcast(sc.xp, x)
    mean = xa.mean(axis=axes, keepdims=True)
    var = ((xa - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = reduced_shape(x.shape, axes, p["keepdims"])
    return [mean.reshape(shape).astype(x.dtype, copy=False),
            var.reshape(shape).astype(x.dtype, copy=False)]


def _moments_backward(sc, p, ograds, ins, outs):
    x = ins[0]
    axes = _moments_axes(p, x.ndim)
    keep = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    xa = upcast(sc.xp, x)
    n = x.size // int(np.prod(keep))
    gmean, gvar = (upcast(sc.xp, g).reshape(keep) for g in ograds)
    dx = gmean / n + gvar * 2 * (xa - xa.mean(axis=axes, keepdims=True)) / n
    return [dx.astype(x.dtype, copy=False)]


register(OpDef(
    name="moments",
    params=ParamSpec(Axis("axes", None, "Array of ints. Axes along which to compute mean and "
                                        "variance."),
                     Bool("keepdims", False, "produce moments with the same dimensionality as "
                                             "the input.")),
    forward=_moments_forward, backward=_moments_backward, infer_shape=_moments_shape,
    infer_type=uniform_type("moments", ("data",), 2), num_outputs=2,
    doc="Mean and (biased) variance of the input over `axes`."))
