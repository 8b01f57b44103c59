"""Index ops: Embedding, take and one_hot.

Indices may come in any dtype; they are truncated toward zero (C's cast) and then clamped, wrapped
or checked as each op's ``mode`` says (``src/operator/tensor/indexing_op.h``,
``broadcast_reduce_op.h``). Gradients with respect to the table are scatter-adds, so a repeated
index accumulates. Index inputs get a zero gradient; Embedding refuses one outright.
"""
import numpy as np

from ..base import MXNetError
from .params import Bool, Dtype, Enum, Float, Int, ParamSpec
from .registry import OpDef, register


def _truncate(xp, idx):
    """Indices as int64, truncated toward zero like ``static_cast<index_t>``."""
    if idx.dtype.kind == "f":
        idx = xp.trunc(idx)
    return idx.astype(xp.int64)


def _clip(xp, idx, n):
    return xp.clip(_truncate(xp, idx), 0, n - 1)


def _wrap(xp, idx, n):
    return xp.mod(_truncate(xp, idx), n)


def scatter_add(xp, dst, index, src):
    """``dst[index] += src`` with repeated indices accumulating (numpy and cupy)."""
    if xp is np:
        np.add.at(dst, index, src)
    else:
        import cupyx
        cupyx.scatter_add(dst, index, src)
    return dst


def _index_type_known(op_name, t):
    if t is None:
        return None
    if np.dtype(t).kind not in "iuf":
        raise MXNetError(f"Error in operator {op_name}: index type {np.dtype(t).name} is not "
                         f"supported")
    return t


# --------------------------------------------------------------------------------------------------
# Embedding: out[..., :] = weight[clamp(int(data[...]))]
_EMB_PARAMS = ParamSpec(
    Int("input_dim", doc="Vocabulary size of the input indices."),
    Int("output_dim", doc="Dimension of the embedding vectors."),
    Dtype("dtype", np.dtype(np.float32), "Data type of weight.", optional=False),
    Bool("sparse_grad", False, "Compute row sparse gradient in the backward calculation (mxlite "
                               "always returns a dense gradient)."))


def _emb_shape(p, in_shapes):
    if p["input_dim"] < 1 or p["output_dim"] < 1:
        raise MXNetError("Error in operator Embedding: input_dim and output_dim must be >= 1, got "
                         f"input_dim={p['input_dim']}, output_dim={p['output_dim']}")
    data = in_shapes[0]
    weight = (p["input_dim"], p["output_dim"])
    out = None if data is None else tuple(data) + (p["output_dim"],)
    return [data, weight], [out]


def _emb_type(p, in_types):
    data, weight = in_types
    _index_type_known("Embedding", data)
    dt = weight if weight is not None else p["dtype"]
    return [data, dt], [dt]


def _emb_forward(sc, p, ins):
    data, weight = ins
    return [weight[_clip(sc.xp, data, weight.shape[0])]]


def _emb_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, weight = ins
    idx = _clip(xp, data, weight.shape[0]).reshape(-1)
    g = ograds[0].reshape(-1, weight.shape[1])
    dw = xp.zeros(weight.shape, weight.dtype)
    return [None, scatter_add(xp, dw, idx, g.astype(weight.dtype, copy=False))]


register(OpDef(
    name="Embedding", params=_EMB_PARAMS, inputs=("data", "weight"), forward=_emb_forward,
    backward=_emb_backward, infer_shape=_emb_shape, infer_type=_emb_type,
    no_grad_inputs=("data",),
    doc="Maps integer indices to rows of `weight` (input_dim, output_dim); out-of-range indices "
        "are clamped. The weight gradient accumulates the head gradient of every lookup."))


# --------------------------------------------------------------------------------------------------
# take: out = a.take(indices, axis) with clip / wrap / raise for out-of-range indices
_TAKE_PARAMS = ParamSpec(
    Int("axis", 0, "The axis of input array to be taken. For input tensor of rank r, it could be "
                   "in the range of [-r, r-1]"),
    Enum("mode", ("clip", "raise", "wrap"), "clip",
         "Specify how out-of-bound indices bahave. Default is \"clip\"."))


def _take_axis(p, ndim):
    axis = p["axis"]
    if not -ndim <= axis < ndim:
        raise MXNetError(f"Error in operator take: Axis should be in the range of [-r, r-1] where "
                         f"r is the rank of input tensor (axis={axis}, rank {ndim})")
    return axis % ndim


def _take_shape(p, in_shapes):
    a, idx = in_shapes
    if a is None or idx is None:
        return [a, idx], [None]
    axis = _take_axis(p, len(a))
    return [a, idx], [tuple(a[:axis]) + tuple(idx) + tuple(a[axis + 1:])]


def _take_type(p, in_types):
    a, idx = in_types
    _index_type_known("take", idx)
    return [a, idx], [a]


def _take_indices(xp, p, idx, n):
    if p["mode"] == "wrap":
        return _wrap(xp, idx, n)
    if p["mode"] == "raise":
        j = _truncate(xp, idx)
        if bool(((j < 0) | (j >= n)).any()):
            raise MXNetError("take operator contains indices out of bound")
        return j
    return _clip(xp, idx, n)


def _take_forward(sc, p, ins):
    a, idx = ins
    axis = _take_axis(p, a.ndim)
    return [sc.xp.take(a, _take_indices(sc.xp, p, idx, a.shape[axis]), axis=axis)]


def _take_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    a, idx = ins
    axis = _take_axis(p, a.ndim)
    j = _take_indices(xp, p, idx, a.shape[axis]).reshape(-1)
    # bring the taken axis to the front: g is (a.shape[:axis], idx..., a.shape[axis+1:])
    g = ograds[0].reshape(a.shape[:axis] + (j.size,) + a.shape[axis + 1:])
    g = xp.moveaxis(g, axis, 0)
    da = xp.zeros((a.shape[axis],) + a.shape[:axis] + a.shape[axis + 1:], a.dtype)
    scatter_add(xp, da, j, g.astype(a.dtype, copy=False))
    return [xp.moveaxis(da, 0, axis), xp.zeros_like(idx)]


register(OpDef(
    name="take", params=_TAKE_PARAMS, inputs=("a", "indices"), forward=_take_forward,
    backward=_take_backward, infer_shape=_take_shape, infer_type=_take_type,
    doc="Takes elements of `a` along `axis` at `indices`; mode clip clamps, wrap wraps around and "
        "raise refuses out-of-range indices."))


# --------------------------------------------------------------------------------------------------
# one_hot: out[..., j] = on_value if j == int(indices[...]) else off_value
_ONE_HOT_PARAMS = ParamSpec(
    Int("depth", doc="Depth of the one hot dimension."),
    Float("on_value", 1.0, "The value assigned to the locations represented by indices."),
    Float("off_value", 0.0, "The value assigned to the locations not represented by indices."),
    Dtype("dtype", np.dtype(np.float32), "DType of the output", optional=False))


def _one_hot_shape(p, in_shapes):
    if p["depth"] < 0:
        raise MXNetError(f"Error in operator one_hot: Dimension size, depth, must be a "
                         f"non-negative integer, got {p['depth']}")
    idx = in_shapes[0]
    return [idx], [None if idx is None else tuple(idx) + (p["depth"],)]


def _one_hot_type(p, in_types):
    return [_index_type_known("one_hot", in_types[0])], [p["dtype"]]


def _one_hot_forward(sc, p, ins):
    xp = sc.xp
    j = _truncate(xp, ins[0])
    hit = j[..., None] == xp.arange(p["depth"])
    # an out-of-range or negative index matches no column: the row stays all off_value
    out = xp.where(hit, p["on_value"], p["off_value"])
    return [out.astype(p["dtype"], copy=False)]


register(OpDef(
    name="one_hot", params=_ONE_HOT_PARAMS, inputs=("indices",), forward=_one_hot_forward,
    backward=lambda sc, p, ograds, ins, outs: [sc.xp.zeros_like(ins[0])],
    infer_shape=_one_hot_shape, infer_type=_one_hot_type, needs_head_grad=False,
    doc="One-hot encoding along a new last axis of size depth; indices outside [0, depth) give an "
        "all-off row."))


# --------------------------------------------------------------------------------------------------
# pick lives in reduce_extra.py (one declaration per op).
