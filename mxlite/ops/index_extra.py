"""Indexing and rearranging ops: shape_array, size_array, sort, argsort, batch_take, gather_nd,
scatter_nd, diag, depth_to_space, space_to_depth and ``_split_v2`` (behind ``split_v2``).

Sources pinned (MXNet 1.9.1): src/operator/tensor/elemwise_unary_op_basic.cc (shape_array,
size_array), ordering_op-inl.h (sort, argsort: topk with k=0, so they delegate to topk's
declaration), indexing_op.h (batch_take, gather_nd, scatter_nd), diag_op-inl.h and
matrix_op-inl.h (depth_to_space, space_to_depth, _split_v2). As elsewhere in mxlite's legacy shape
mode, a zero-size result is refused with an MXNetError.
"""
import numpy as np

from ..base import MXNetError
from . import reduce_extra  # noqa: F401  (registers topk, which sort and argsort delegate to)
from .embedding import scatter_add
from .params import REQUIRED, Bool, Enum, Int, ParamSpec, Params, Shape
from .registry import OpDef, get, register
from .shape_extra import OptInt, fmt_shape, norm_axis

_INT64 = np.dtype(np.int64)


def _zero_grads(sc, p, ograds, ins, outs):
    """MXNet's MakeZeroGradNodes: every input gets zeros, the head gradient is not read."""
    return [sc.xp.zeros_like(x) for x in ins]


def _one_input(infer):
    """A shape rule ``infer(p, data_shape) -> out_shape`` for one-input ops."""
    def rule(p, in_shapes):
        data = in_shapes[0]
        return [data], [None if data is None else infer(p, tuple(data))]
    return rule


# ----- shape_array / size_array -------------------------------------------------------------------
register(OpDef(
    name="shape_array", infer_shape=_one_input(lambda p, s: (len(s),)),
    infer_type=lambda p, t: ([t[0]], [_INT64]),
    forward=lambda sc, p, ins: [sc.xp.asarray(ins[0].shape, dtype=_INT64)],
    backward=_zero_grads, needs_head_grad=False,
    doc="A 1-D int64 array holding the shape of data."))

register(OpDef(
    name="size_array", infer_shape=_one_input(lambda p, s: (1,)),
    infer_type=lambda p, t: ([t[0]], [_INT64]),
    forward=lambda sc, p, ins: [sc.xp.asarray([ins[0].size], dtype=_INT64)],
    backward=_zero_grads, needs_head_grad=False,
    doc="A 1-D int64 array of one element holding the size of data."))


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
    backward=_zero_grads, needs_head_grad=False,
    doc="The indices that sort data along axis; ties keep their input order."))


# ----- batch_take ---------------------------------------------------------------------------------
def _batch_take_shape(p, in_shapes):
    a, idx = in_shapes
    if a is not None:
        if len(a) < 2:
            raise MXNetError(f"batch_take: Data array must have at least 2 dimensional, got "
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
        raise MXNetError(f"{op} requires index tensor to have at least 2 dimensions, got "
                         f"{fmt_shape(idx)}")
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


# ----- diag ---------------------------------------------------------------------------------------
def _diag_axes(p, ndim):
    a1 = norm_axis("diag", p["axis1"], ndim, "axis1")
    a2 = norm_axis("diag", p["axis2"], ndim, "axis2")
    if a1 == a2:
        raise MXNetError(f"diag: axis1 and axis2 cannot refer to the same axis {a1}")
    return a1, a2


def _diag_shape(p, s):
    k = p["k"]
    if len(s) == 1:
        n = s[0] + abs(k)
        return (n, n)
    a1, a2 = _diag_axes(p, len(s))
    h, w = s[a1], s[a2]
    n = min(h + min(k, 0), w - max(k, 0))
    if n <= 0:
        raise MXNetError(f"diag: Diagonal does not exist: k={k} for axes ({a1}, {a2}) of shape "
                         f"{fmt_shape(s)}")
    return tuple(d for i, d in enumerate(s) if i not in (a1, a2)) + (n,)


def _diag_forward(sc, p, ins):
    xp, x = sc.xp, ins[0]
    if x.ndim == 1:
        return [xp.diag(x, p["k"])]
    _diag_shape(p, x.shape)
    return [xp.ascontiguousarray(xp.diagonal(x, p["k"], *_diag_axes(p, x.ndim)))]


def _diag_backward(sc, p, ograds, ins, outs):
    xp, x, g, k = sc.xp, ins[0], ograds[0], p["k"]
    if x.ndim == 1:
        return [xp.ascontiguousarray(xp.diagonal(g, k))]
    a1, a2 = _diag_axes(p, x.ndim)
    grad = xp.zeros_like(x)
    n = g.shape[-1]
    # the two diagonal axes moved last in a view, so the scatter writes into grad itself
    view = xp.moveaxis(grad, (a1, a2), (-2, -1))
    view[..., xp.arange(n) + max(-k, 0), xp.arange(n) + max(k, 0)] = g
    return [grad]


register(OpDef(
    name="diag",
    params=ParamSpec(Int("k", 0, "Diagonal: 0 the main one, k > 0 above it, k < 0 below it."),
                     Int("axis1", 0, "First axis of the 2-D sub-arrays (ignored for 1-D data)."),
                     Int("axis2", 1, "Second axis of the 2-D sub-arrays (ignored for 1-D "
                                     "data).")),
    infer_shape=_one_input(_diag_shape), forward=_diag_forward, backward=_diag_backward,
    doc="1-D data: a square matrix with data on diagonal k. N-D data: diagonal k of the "
        "(axis1, axis2) planes, as a new last axis."))


# ----- depth_to_space / space_to_depth ------------------------------------------------------------
def _block(op, p, s):
    b = p["block_size"]
    if len(s) != 4:
        raise MXNetError(f"{op}: Operation requires exactly 4D tensor, got {fmt_shape(s)}")
    if b <= 0:
        raise MXNetError(f"{op}: block_size must be a positive integer value, got {b}")
    return b


def _d2s_shape(p, s):
    b = _block("depth_to_space", p, s)
    n, c, h, w = s
    if c % (b * b):
        raise MXNetError(f"depth_to_space: Cannot perform Depth To Space operation on the "
                         f"specified tensor. Dimension:1(depth dimension) should be a multiple "
                         f"of 'block_size^2' ({b * b}), got shape {fmt_shape(s)}")
    return (n, c // (b * b), h * b, w * b)


def _s2d_shape(p, s):
    b = _block("space_to_depth", p, s)
    n, c, h, w = s
    if h % b or w % b:
        raise MXNetError(f"space_to_depth: Cannot perform Space To Depth operation on the "
                         f"specified tensor. Dimensions 2 and 3 should be multiples of "
                         f"'block_size' ({b}), got shape {fmt_shape(s)}")
    return (n, c * b * b, h // b, w // b)


def _d2s(xp, p, x):
    n, c, h, w = x.shape
    b = p["block_size"]
    y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    return xp.ascontiguousarray(y).reshape(_d2s_shape(p, x.shape))


def _s2d(xp, p, x):
    n, c, h, w = x.shape
    b = p["block_size"]
    y = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return xp.ascontiguousarray(y).reshape(_s2d_shape(p, x.shape))


_BLOCK = ParamSpec(Int("block_size", REQUIRED, "Blocks of [block_size, block_size] are moved."))

# each op's gradient is the other op applied to the head gradient
register(OpDef(
    name="depth_to_space", params=_BLOCK, infer_shape=_one_input(_d2s_shape),
    forward=lambda sc, p, ins: [_d2s(sc.xp, p, ins[0])],
    backward=lambda sc, p, g, ins, outs: [_s2d(sc.xp, p, g[0])],
    doc="Moves (N, C, H, W) depth into spatial blocks: (N, C/b^2, H*b, W*b)."))

register(OpDef(
    name="space_to_depth", params=_BLOCK, infer_shape=_one_input(_s2d_shape),
    forward=lambda sc, p, ins: [_s2d(sc.xp, p, ins[0])],
    backward=lambda sc, p, g, ins, outs: [_d2s(sc.xp, p, g[0])],
    doc="Moves (N, C, H, W) spatial blocks into depth: (N, C*b^2, H/b, W/b)."))


# ----- _split_v2 ----------------------------------------------------------------------------------
def _split_count(p):
    return p["sections"] if p["sections"] > 0 else len(p["indices"])


def _split_bounds(p, s):
    """(axis, [(start, end)] per output) as SplitOpShapeImpl computes them."""
    axis = norm_axis("_split_v2", p["axis"], len(s))
    n = s[axis]
    if p["sections"] > 0:
        # uneven sections: the first n % sections outputs get one element more
        size, extra = divmod(n, p["sections"])
        starts = [i * size + min(i, extra) for i in range(p["sections"])]
    else:
        starts = list(p["indices"])
        if not starts:
            raise MXNetError("_split_v2: indices must not be empty when sections is 0")
    bounds = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else n
        if not 0 <= start < end <= n:
            raise MXNetError(f"_split_v2: subarray {i} [{start}, {end}) is empty or out of "
                             f"range for axis {axis} of shape {fmt_shape(s)}")
        if p["squeeze_axis"] and end - start != 1:
            raise MXNetError(f"_split_v2: squeeze_axis expected axis size of 1 but got "
                             f"{end - start} for subarray {i}")
        bounds.append((start, end))
    return axis, bounds


def _split_v2_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None] * _split_count(p)
    s = tuple(data)
    axis, bounds = _split_bounds(p, s)
    if p["squeeze_axis"]:
        return [data], [(s[:axis] + s[axis + 1:]) or (1,)] * len(bounds)
    return [data], [s[:axis] + (e - b,) + s[axis + 1:] for b, e in bounds]


def _split_v2_forward(sc, p, ins):
    x = ins[0]
    axis, bounds = _split_bounds(p, x.shape)
    _, out_shapes = _split_v2_shape(p, [x.shape])
    key = (slice(None),) * axis
    return [sc.xp.ascontiguousarray(x[key + (slice(b, e),)]).reshape(shape)
            for (b, e), shape in zip(bounds, out_shapes)]


def _split_v2_backward(sc, p, ograds, ins, outs):
    x = ins[0]
    axis, bounds = _split_bounds(p, x.shape)
    pieces = [g.reshape(x.shape[:axis] + (e - b,) + x.shape[axis + 1:])
              for g, (b, e) in zip(ograds, bounds)]
    return [sc.xp.concatenate(pieces, axis=axis)]


register(OpDef(
    name="_split_v2",
    params=ParamSpec(Shape("indices", REQUIRED, "Start index of each output along axis (the "
                                                "first is 0); ignored when sections > 0."),
                     Int("axis", 1, "Axis along which to split."),
                     Bool("squeeze_axis", False, "Drop the split axis (each part must have "
                                                 "size 1 along it)."),
                     Int("sections", 0, "Number of sections (uneven allowed); 0 means split "
                                        "by indices.")),
    num_outputs=_split_count, infer_shape=_split_v2_shape,
    forward=_split_v2_forward, backward=_split_v2_backward,
    doc="Splits data along axis at the given indices or into sections parts."))
