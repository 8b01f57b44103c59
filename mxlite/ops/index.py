"""Index ops: Embedding, take, one_hot, pick, batch_take, gather_nd, scatter_nd,
``_contrib_index_array``, ``_contrib_index_copy`` and ``_contrib_boolean_mask``.

Indices may come in any dtype; they are truncated toward zero (C's cast) and then clamped, wrapped
or checked as each op's ``mode`` says (``src/operator/tensor/indexing_op.h``,
``broadcast_reduce_op.h``, ``src/operator/contrib/index_array*``). Gradients with respect to the
table are scatter-adds, so a repeated index accumulates. Index inputs get a zero gradient; Embedding
refuses one outright.
"""
import numpy as np

from ..base import MXNetError
from ._util import OptInt, fmt_shape, kept_shape, norm_axis, zero_grads
from .params import (
    REQUIRED,
    Axis,
    Bool,
    Dtype,
    Enum,
    Float,
    Int,
    ParamSpec,
    Shape,
)
from .reduce import reduced_shape
from .registry import BackwardReads, OpDef, register


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


# ----- pick ---------------------------------------------------------------------------------------
def _pick_axis(p, ndim):
    if p["axis"] is None:
        raise MXNetError("pick: axis=None is not supported by pick yet. Must specify an axis.")
    return norm_axis("pick", p["axis"], ndim)


def _pick_shape(p, in_shapes):
    data, index = in_shapes
    if data is None:
        return [None, index], [None]
    data = tuple(data)
    axis = _pick_axis(p, len(data))
    if index is not None:
        # the index may keep the picked axis as size 1 or drop it
        expected = reduced_shape(data, (axis,), len(index) == len(data))
        if tuple(index) != expected:
            raise MXNetError(f"pick: index shape {fmt_shape(index)} does not match data "
                             f"{fmt_shape(data)} with axis={axis}: expected "
                             f"{fmt_shape(expected)}")
    return [data, index], [reduced_shape(data, (axis,), p["keepdims"])]


def _pick_index(xp, p, x, index):
    axis = _pick_axis(p, x.ndim)
    m = x.shape[axis]
    # float indices truncate toward zero (static_cast), then clip or wrap into [0, m)
    idx = index.reshape(kept_shape(x.shape, (axis,))).astype(np.int64)
    idx = xp.clip(idx, 0, m - 1) if p["mode"] == "clip" else idx % m
    return axis, idx


def _pick_forward(sc, p, ins):
    x, index = ins
    axis, idx = _pick_index(sc.xp, p, x, index)
    out = sc.xp.take_along_axis(x, idx, axis=axis)
    return [out.reshape(reduced_shape(x.shape, (axis,), p["keepdims"]))]


def _pick_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, index = ins
    axis, idx = _pick_index(xp, p, x, index)
    pos = xp.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1))
    g = ograds[0].reshape(idx.shape)
    return [xp.where(pos == idx, g, xp.zeros((), g.dtype)), xp.zeros_like(index)]


register(OpDef(
    name="pick", aliases=("choose_element_0index",), inputs=("data", "index"),
    params=ParamSpec(OptInt("axis", -1, "Axis to pick along."),
                     Bool("keepdims", False, "Keep the picked axis as size 1."),
                     Enum("mode", ("wrap", "clip"), "clip",
                          "Out-of-range indices: clip to the ends or wrap around.")),
    infer_shape=_pick_shape,
    # the index keeps its own dtype (left unknown if not given); the output takes the data's
    infer_type=lambda p, t: ([t[0], t[1]], [t[0]]),
    forward=_pick_forward, backward=_pick_backward,
    doc="out[i] = data[i, index[i]] along axis; the index gets a zero gradient."))



# ----- batch_take ---------------------------------------------------------------------------------
def _batch_take_shape(p, in_shapes):
    a, idx = in_shapes
    if a is not None:
        if len(a) < 2:
            raise MXNetError(f"batch_take: Data array a must have at least 2 dimensions, got "
                             f"shape {fmt_shape(a)}")
        rows = int(np.prod(a)) // a[-1]
        # MXNet reads row i at offset i * (size / shape[0]): anything else reads past the end
        if rows != a[0]:
            raise MXNetError(f"batch_take: a {fmt_shape(a)} must be (N, ..., M) with size-1 "
                             f"middle axes")
        if idx is not None and int(np.prod(idx)) != rows:
            raise MXNetError(f"batch_take: Index array's size must be the same as data array's "
                             f"size excluding the first dimension: a {fmt_shape(a)}, indices "
                             f"{fmt_shape(idx)}")
    return [a, idx], [idx]


def _batch_take_forward(sc, p, ins):
    xp, (a, idx) = sc.xp, ins
    m = a.size // a.shape[0]
    # out-of-range indices are clipped to the row (indexing_op.h batch_take)
    j = xp.clip(idx.reshape(-1).astype(np.int64), 0, m - 1)
    return [a.reshape(-1)[xp.arange(j.size) * m + j].reshape(idx.shape)]


register(OpDef(
    name="batch_take", inputs=("a", "indices"), infer_shape=_batch_take_shape,
    infer_type=lambda p, t: ([t[0], np.dtype(np.int32)], [t[0]]),
    forward=_batch_take_forward,
    doc="out[i] = a[i, indices[i]] (indices int32, clipped); deprecated in MXNet, no gradient."))


# ----- gather_nd / scatter_nd ---------------------------------------------------------------------
def _nd_geometry(op, target, idx):
    """The shape ``data`` must have when ``idx`` indexes the leading axes of ``target``."""
    if len(idx) < 2:
        raise MXNetError(f"{op} requires the index tensor indices to have at least 2 "
                         f"dimensions, got {fmt_shape(idx)}")
    if idx[0] > len(target):
        raise MXNetError(f"{op}: Number of indices ({idx[0]}) exceeds the dimension of "
                         f"{fmt_shape(target)}")
    if not 1 <= idx[0] <= 10:
        raise MXNetError(f"{op} supports indexing along 1 to 10 dimensions, got "
                         f"{idx[0]}")
    out = tuple(idx[1:]) + tuple(target[idx[0]:])
    return out or (1,)


def _gather_nd_shape(p, in_shapes):
    data, idx = in_shapes
    if data is None or idx is None:
        return [data, idx], [None]
    return [data, idx], [_nd_geometry("gather_nd", data, idx)]


def _gather_index(xp, data_shape, idx):
    """The index tuple for ``data[...]``; negative entries wrap once, others must be in range."""
    m = idx.shape[0]
    keys = []
    for j in range(m):
        n = data_shape[j]
        col = idx[j]
        if bool(xp.any((col < -n) | (col > n - 1))):
            raise MXNetError(f"gather_nd: index {col.min().item()}..{col.max().item()} is out "
                             f"of bounds for axis {j} with size {n}")
        # static_cast after adding the size, then modulo (indexing_op.h gather_nd)
        keys.append((col + n).astype(np.int64) % n)
    return tuple(keys)


def _gather_nd_forward(sc, p, ins):
    data, idx = ins
    out = data[_gather_index(sc.xp, data.shape, idx)]
    return [out.reshape(_nd_geometry("gather_nd", data.shape, idx.shape))]


def _gather_nd_backward(sc, p, ograds, ins, outs):
    xp, (data, idx) = sc.xp, ins
    keys = _gather_index(xp, data.shape, idx)
    m = idx.shape[0]
    # a flat index over the gathered axes lets repeated positions accumulate
    flat = keys[0]
    for j in range(1, m):
        flat = flat * data.shape[j] + keys[j]
    g = ograds[0].reshape(flat.shape + data.shape[m:])
    grad = xp.zeros((int(np.prod(data.shape[:m])),) + data.shape[m:], data.dtype)
    scatter_add(xp, grad, flat.reshape(-1), g.reshape((-1,) + data.shape[m:]))
    return [grad.reshape(data.shape), xp.zeros_like(idx)]


register(OpDef(
    name="gather_nd", inputs=("data", "indices"), infer_shape=_gather_nd_shape,
    infer_type=lambda p, t: ([t[0], t[1]], [t[0]]),
    forward=_gather_nd_forward, backward=_gather_nd_backward,
    doc="out[y...] = data[indices[0, y...], ..., indices[M-1, y...]]; repeated indices "
        "accumulate in the gradient."))


def _scatter_nd_shape(p, in_shapes):
    data, idx = in_shapes
    out = tuple(p["shape"])
    if data is not None and idx is not None:
        expected = _nd_geometry("scatter_nd", out, idx)
        if tuple(data) != expected:
            raise MXNetError(f"scatter_nd: Invalid data, indices, and output shape combination: "
                             f"data {fmt_shape(data)}, indices {fmt_shape(idx)}, shape "
                             f"{fmt_shape(out)} (data must be {fmt_shape(expected)})")
    return [data, idx], [out]


def _scatter_key(xp, idx):
    # scatter_nd does not wrap negative indices (indexing_op.h scatter_nd)
    return tuple(idx[j].astype(np.int64) for j in range(idx.shape[0]))


def _scatter_nd_forward(sc, p, ins):
    xp, (data, idx) = sc.xp, ins
    out = xp.zeros(tuple(p["shape"]), data.dtype)
    key = _scatter_key(xp, idx)
    out[key] = data.reshape(key[0].shape + out.shape[idx.shape[0]:])
    return [out]


def _scatter_nd_backward(sc, p, ograds, ins, outs):
    xp, (data, idx) = sc.xp, ins
    return [ograds[0][_scatter_key(xp, idx)].reshape(data.shape), xp.zeros_like(idx)]


register(OpDef(
    name="scatter_nd", inputs=("data", "indices"),
    params=ParamSpec(Shape("shape", REQUIRED, "Shape of output.")),
    infer_shape=_scatter_nd_shape, infer_type=lambda p, t: ([t[0], t[1]], [t[0]]),
    forward=_scatter_nd_forward, backward=_scatter_nd_backward,
    doc="Zeros of shape with data written at indices (the inverse of gather_nd); with repeated "
        "indices the result is undefined, as in MXNet."))


_INT64 = np.dtype(np.int64)


# ----- index_array --------------------------------------------------------------------------------
def _index_axes(p, ndim):
    axes = p["axes"]
    return tuple(range(ndim)) if axes is None else tuple(a % ndim for a in axes)


def _index_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    n = len(data) if p["axes"] is None else len(p["axes"])
    return [tuple(data)], [tuple(data) + (n,)]


def _index_forward(sc, p, ins):
    xp = sc.xp
    shape = ins[0].shape
    grids = xp.indices(shape, dtype=_INT64) if shape else xp.zeros((0,), _INT64)
    axes = _index_axes(p, len(shape))
    out = xp.stack([grids[a] for a in axes], axis=-1) if axes else \
        xp.zeros(shape + (0,), _INT64)
    return [xp.ascontiguousarray(out)]


register(OpDef(
    name="_contrib_index_array", inputs=("data",),
    params=ParamSpec(Axis("axes", None, "The axes to include in the index array. Supports "
                                        "negative values.")),
    forward=_index_forward, backward=zero_grads, needs_head_grad=False,
    infer_shape=_index_shape, infer_type=lambda p, t: ([t[0]], [_INT64]),
    doc="The int64 index of every element: out[i1, ..., in, :] = [i_axes[0], i_axes[1], ...]."))


# ----- _contrib_index_copy ------------------------------------------------------------------------
# src/operator/contrib/index_copy*: row index_vector[i] of the output is new_tensor[i], the other
# rows are old_tensor's. Gradients: old_tensor gets the head gradient with the overwritten rows
# zeroed, new_tensor the head gradient's rows at index_vector, index_vector zeros.
_IC = "_contrib_index_copy"


def _ic_shape(p, in_shapes):
    old, index, new = in_shapes
    if old is None or new is None:
        return list(in_shapes), [old]
    if index is not None and len(index) != 1:
        raise MXNetError(f"Error in operator {_IC}: index_vector must be a vector, got "
                         f"index_vector shape {fmt_shape(index)}")
    if len(new) != len(old) or tuple(new[1:]) != tuple(old[1:]) or new[0] > old[0]:
        raise MXNetError(f"Error in operator {_IC}: new_tensor shape {fmt_shape(new)} must match "
                         f"old_tensor {fmt_shape(old)} in all but the first axis, and have no "
                         f"more rows")
    if index is not None and index[0] != new[0]:
        raise MXNetError(f"Error in operator {_IC}: index_vector shape {fmt_shape(index)} must "
                         f"have one entry per row of new_tensor {fmt_shape(new)}")
    return [tuple(old), (new[0],), tuple(new)], [tuple(old)]


def _ic_type(p, in_types):
    old, index, new = in_types
    dtype = old if old is not None else new
    if old is not None and new is not None and np.dtype(old) != np.dtype(new):
        raise MXNetError(f"Error in operator {_IC}: new_tensor has dtype {np.dtype(new).name}, "
                         f"old_tensor {np.dtype(old).name}")
    return [dtype, _index_type_known(_IC, index), dtype], [dtype]


def _ic_rows(xp, index, n):
    rows = _truncate(xp, index)
    if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= n):
        raise MXNetError(f"Error in operator {_IC}: index_vector values must lie in [0, {n}), "
                         f"got min {int(rows.min())}, max {int(rows.max())}")
    return rows


def _ic_forward(sc, p, ins):
    old, index, new = ins
    out = old.copy()
    out[_ic_rows(sc.xp, index, old.shape[0])] = new
    return [out]


def _ic_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    g = ograds[0]
    rows = _ic_rows(xp, ins[1], g.shape[0])
    g_old = g.copy()
    g_old[rows] = 0
    return [g_old, xp.zeros(ins[1].shape, ins[1].dtype), g[rows]]


register(OpDef(
    name=_IC, inputs=("old_tensor", "index_vector", "new_tensor"), forward=_ic_forward,
    backward=_ic_backward, infer_shape=_ic_shape, infer_type=_ic_type,
    backward_reads=BackwardReads(inputs=(1,)),
    doc="A copy of old_tensor whose row index_vector[i] is replaced by new_tensor[i]."))


# ----- _contrib_boolean_mask ----------------------------------------------------------------------
# src/operator/contrib/boolean_mask*: the rows of data whose index entry is nonzero. The output's
# length depends on the index values, so the shape rule leaves it unknown: the op runs
# imperatively (mx.nd), while a bound executor refuses an output of unknown shape.
_BM = "_contrib_boolean_mask"


def _bm_shape(p, in_shapes):
    data, index = in_shapes
    if p["axis"] != 0:
        raise MXNetError(f"Error in operator {_BM}: axis={p['axis']} is not supported (only 0, "
                         f"as in MXNet)")
    if data is not None and index is not None:
        if len(index) != 1 or len(data) < 1 or index[0] != data[0]:
            raise MXNetError(f"Error in operator {_BM}: index shape {fmt_shape(index)} must be a "
                             f"vector as long as axis 0 of data {fmt_shape(data)}")
    return list(in_shapes), [None]


def _bm_forward(sc, p, ins):
    data, index = ins
    _bm_shape(p, [data.shape, index.shape])
    return [data[sc.xp.flatnonzero(index)]]


def _bm_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, index = ins
    grad = xp.zeros(data.shape, ograds[0].dtype)
    grad[xp.flatnonzero(index)] = ograds[0]
    return [grad, xp.zeros(index.shape, index.dtype)]


register(OpDef(
    name=_BM, inputs=("data", "index"),
    params=ParamSpec(Int("axis", 0, "An integer that represents the axis in NDArray to mask "
                                    "from.")),
    forward=_bm_forward, backward=_bm_backward, infer_shape=_bm_shape,
    infer_type=lambda p, t: ([t[0], t[1]], [t[0]]),
    backward_reads=BackwardReads(inputs=(1,), input_shapes=(0,)),
    doc="The rows of data (along axis 0) whose index entry is nonzero; the output length depends "
        "on the index values."))
