"""Ordering ops: topk, sort and argsort (src/operator/tensor/ordering_op-inl.h).

sort and argsort are topk with ``k=0`` and a fixed ``ret_typ``, so they delegate to topk's
functions; ties keep their input order. Index outputs carry a zero gradient.
"""
import numpy as np

from ..base import MXNetError
from ._util import OptInt, fmt_shape, norm_axis, zero_grads
from .params import Bool, Enum, Int, Params, ParamSpec
from .registry import OpDef, get, register

# ----- topk ---------------------------------------------------------------------------------------
_TOPK_INDEX_TYPES = ("uint8", "int32", "int64", "float16", "float32", "float64")


def _topk_geometry(p, s):
    """(axis or None for flattened, k, shape of the value/indices output)."""
    if p["axis"] is None:
        axis, n = None, int(np.prod(s))
    else:
        axis = norm_axis("topk", p["axis"], len(s))
        n = s[axis]
    k = p["k"] if p["k"] > 0 else n
    if k > n:
        raise MXNetError(f"topk: k={k} is larger than the {n} elements along the axis of an "
                         f"input of shape {fmt_shape(s)}")
    if p["ret_typ"] == "mask":
        return axis, k, tuple(s)
    return axis, k, (k,) if axis is None else s[:axis] + (k,) + s[axis + 1:]


def _topk_shape(p, in_shapes):
    data = in_shapes[0]
    n_out = 2 if p["ret_typ"] in ("value", "both") else 1
    if data is None:
        return [None], [None] * n_out
    return [data], [_topk_geometry(p, tuple(data))[2]] * n_out


def _topk_type(p, in_types):
    data, index_t = in_types[0], np.dtype(p["dtype"])
    kind = p["ret_typ"]
    if kind == "indices":
        return [data], [index_t]
    if kind == "mask":
        return [data], [data]
    # 'value' keeps the indices as a hidden int32 output (MXNet without int64 tensor sizes)
    return [data], [data, np.dtype(np.int32) if kind == "value" else index_t]


def _rows(x, axis):
    """``x`` as a 2-D (rows, n) array with the searched axis last."""
    moved = x.reshape(1, -1) if axis is None else x.swapaxes(axis, -1)
    return moved.reshape(-1, moved.shape[-1])


def _unrows(r, axis, shape):
    """The inverse of ``_rows`` for a (rows, m) array whose final shape is ``shape``."""
    if axis is None:
        return r.reshape(shape)
    moved = list(shape)
    moved[axis], moved[-1] = moved[-1], moved[axis]
    return r.reshape(moved).swapaxes(axis, -1)


def _topk_indices(xp, p, x):
    axis, k, _ = _topk_geometry(p, x.shape)
    rows = _rows(x, axis)
    keys = rows if p["is_ascend"] else -(rows.astype(np.int64) if rows.dtype.kind in "ub"
                                         else rows)
    # a stable sort (NumPy and CuPy alike): ties keep their input order, where MXNet's CPU
    # std::sort leaves them unspecified
    order = xp.argsort(keys, axis=-1, kind="stable")
    return axis, rows, order[:, :k]


def _scatter_rows(xp, rows_shape, idx, values, dtype):
    """A (rows, n) array of zeros with ``values`` written at ``idx`` (unique within a row)."""
    out = xp.zeros(rows_shape, dtype)
    out[xp.arange(rows_shape[0])[:, None], idx] = values
    return out


def _topk_forward(sc, p, ins):
    xp, x = sc.xp, ins[0]
    axis, rows, idx = _topk_indices(xp, p, x)
    _, _, shape = _topk_geometry(p, x.shape)
    if p["ret_typ"] == "mask":
        return [_unrows(_scatter_rows(xp, rows.shape, idx, 1, x.dtype), axis, shape)]
    index_t = np.dtype(np.int32) if p["ret_typ"] == "value" else np.dtype(p["dtype"])
    indices = _unrows(idx.astype(index_t), axis, shape)
    if p["ret_typ"] == "indices":
        return [indices]
    return [_unrows(xp.take_along_axis(rows, idx, axis=-1), axis, shape), indices]


def _topk_backward(sc, p, ograds, ins, outs):
    xp, x = sc.xp, ins[0]
    if p["ret_typ"] in ("indices", "mask"):
        return [xp.zeros_like(x)]
    axis, rows, idx = _topk_indices(xp, p, x)
    # each value's gradient goes back to the element it came from
    grad = _scatter_rows(xp, rows.shape, idx, _rows(ograds[0], axis), x.dtype)
    return [_unrows(grad, axis, x.shape)]


register(OpDef(
    name="topk",
    params=ParamSpec(OptInt("axis", -1, "Axis to search (None: the flattened input)."),
                     Int("k", 1, "How many elements (k < 1: all of them)."),
                     Enum("ret_typ", ("value", "indices", "mask", "both"), "indices",
                          "What to return."),
                     Bool("is_ascend", False, "Choose the k smallest instead of the largest."),
                     Enum("dtype", _TOPK_INDEX_TYPES, "float32", "Dtype of returned indices.")),
    num_outputs=lambda p: 2 if p["ret_typ"] == "both" else 1,
    num_hidden_outputs=lambda p: 1 if p["ret_typ"] == "value" else 0,
    infer_shape=_topk_shape, infer_type=_topk_type,
    forward=_topk_forward, backward=_topk_backward,
    doc="The k largest (or smallest) elements along an axis: values, indices, mask or both."))


# ----- sort / argsort -----------------------------------------------------------------------------
_TOPK = get("topk")


def _as_topk(p, ret_typ, dtype="float32"):
    """ordering_op-inl.h runs sort and argsort as topk over the whole axis (k=0)."""
    return Params(axis=p["axis"], k=0, ret_typ=ret_typ, is_ascend=p["is_ascend"], dtype=dtype)


def _sort_p(p):
    return _as_topk(p, "value")


def _argsort_p(p):
    return _as_topk(p, "indices", p["dtype"])


_ORDER_PARAMS = (OptInt("axis", -1, "Axis to sort along (None: the flattened input)."),
                 Bool("is_ascend", True, "Sort in ascending order."))

register(OpDef(
    name="sort", params=ParamSpec(*_ORDER_PARAMS),
    # a hidden int32 output keeps the sorting indices, as MXNet's (non-int64) build does
    num_hidden_outputs=1,
    infer_shape=lambda p, s: _TOPK.infer_shape(_sort_p(p), s),
    infer_type=lambda p, t: _TOPK.infer_type(_sort_p(p), t),
    forward=lambda sc, p, ins: _TOPK.forward(sc, _sort_p(p), ins),
    backward=lambda sc, p, g, ins, outs: _TOPK.backward(sc, _sort_p(p), g, ins, outs),
    doc="A sorted copy of data along axis (the flattened data when axis is None)."))

register(OpDef(
    name="argsort",
    params=ParamSpec(*_ORDER_PARAMS,
                     Enum("dtype", ("uint8", "int32", "int64", "float16", "float32", "float64"),
                          "float32", "DType of the output indices.")),
    infer_shape=lambda p, s: _TOPK.infer_shape(_argsort_p(p), s),
    infer_type=lambda p, t: _TOPK.infer_type(_argsort_p(p), t),
    forward=lambda sc, p, ins: _TOPK.forward(sc, _argsort_p(p), ins),
    backward=zero_grads, needs_head_grad=False,
    doc="The indices that sort data along axis; ties keep their input order."))
