"""Reductions that search or measure, and the replications a reduction undoes: norm, argmax,
argmin, argmax_channel, pick, topk; broadcast_to, broadcast_axis, tile, repeat (their gradients are
sums).

Sources pinned: src/operator/tensor/broadcast_reduce_op.h (shapes, pick, norm gradients),
broadcast_reduce_op_index.cc, broadcast_reduce_op_value.cc, ordering_op-inl.h (topk) and
matrix_op-inl.h (tile, repeat). Index outputs are returned in the data's dtype (float) as in
MXNet, and carry a zero gradient.
"""
import numpy as np

from ..base import MXNetError
from .params import REQUIRED, Axis, Bool, Enum, Int, ParamSpec, Shape
from .reduce import reduce_axes, reduced_shape
from .registry import OpDef, register
from .shape_extra import OptInt, fmt_shape, norm_axis, sum_as


def _acc(x):
    """Accumulation dtype: float32 for float16 (and for integers, which norm turns into floats)."""
    return np.float32 if x.dtype == np.float16 or x.dtype.kind in "iub" else x.dtype


def _keep(shape, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


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
    xa = x.astype(_acc(x), copy=False)
    if p["ord"] == 1:
        out = xp.abs(xa).sum(axis=axes)
    else:
        out = xp.sqrt((xa * xa).sum(axis=axes))
    dtype = np.dtype(p["out_dtype"]) if p["out_dtype"] else x.dtype
    return [out.astype(dtype).reshape(reduced_shape(x.shape, axes, p["keepdims"]))]


def _norm_backward(sc, p, ograds, ins, outs):
    xp, x = sc.xp, ins[0]
    axes = _norm_axes(p, x.ndim)
    g = ograds[0].reshape(_keep(x.shape, axes)).astype(_acc(x))
    xa = x.astype(_acc(x), copy=False)
    if p["ord"] == 1:
        grad = g * xp.sign(xa)
    else:
        # g * x / norm, as MXNet computes it: an all-zero slice gets NaN (0/0)
        y = outs[0].reshape(_keep(x.shape, axes)).astype(_acc(x))
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
    idx = index.reshape(_keep(x.shape, (axis,))).astype(np.int64)
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


# ----- broadcast_to / broadcast_axis --------------------------------------------------------------
def _broadcast_to_shape(p, s):
    target = tuple(p["shape"])
    if len(target) != len(s):
        raise MXNetError(f"broadcast_to: Operand of shape {fmt_shape(s)} cannot be broadcasted "
                         f"to {fmt_shape(target)} (the number of dimensions differs)")
    out = tuple(d if t == 0 else t for d, t in zip(s, target, strict=True))
    for d, t in zip(s, out, strict=True):
        if d != t and d != 1:
            raise MXNetError(f"broadcast_to: Array cannot be broadcasted from {fmt_shape(s)} to "
                             f"{fmt_shape(target)}")
    return out


def _broadcast_axis_shape(p, s):
    axes, sizes = tuple(p["axis"]), tuple(p["size"])
    if len(axes) != len(sizes):
        raise MXNetError(f"broadcast_axis: axis={fmt_shape(axes)} and size={fmt_shape(sizes)} "
                         f"must have the same length")
    out = list(s)
    for a, n in zip(axes, sizes, strict=True):
        a = norm_axis("broadcast_axis", a, len(s))
        if s[a] != 1:
            raise MXNetError(f"broadcast_axis: Broadcasting axis must have size 1, but axis {a} "
                             f"of shape {fmt_shape(s)} has size {s[a]}")
        if n < 1:
            raise MXNetError(f"broadcast_axis: size={fmt_shape(sizes)} must be positive")
        out[a] = n
    return tuple(out)


def _declare(name, params, target, forward, backward, doc, aliases=()):
    """Register a one-input op whose output shape is ``target(p, data_shape)``."""
    def infer(p, in_shapes):
        data = in_shapes[0]
        return [data], [None if data is None else target(p, tuple(data))]

    register(OpDef(name=name, aliases=aliases, params=params, infer_shape=infer,
                   forward=forward, backward=backward, doc=doc))


def _broadcaster(target):
    def forward(sc, p, ins):
        x = ins[0]
        return [sc.xp.ascontiguousarray(sc.xp.broadcast_to(x, target(p, x.shape)))]
    return forward


def _unbroadcast(sc, p, ograds, ins, outs):
    x, g = ins[0], ograds[0]
    axes = tuple(i for i, (a, b) in enumerate(zip(x.shape, g.shape, strict=True)) if a != b)
    return [sum_as(g, axes).reshape(x.shape) if axes else g]


_declare("broadcast_to", ParamSpec(Shape("shape", (), "Target shape; a 0 keeps the input's dim.")),
         _broadcast_to_shape, _broadcaster(_broadcast_to_shape), _unbroadcast,
         "Broadcasts size-1 axes to the target shape.")
_declare("broadcast_axis", ParamSpec(Shape("axis", (), "The size-1 axes to broadcast."),
                                     Shape("size", (), "Target size of each axis.")),
         _broadcast_axis_shape, _broadcaster(_broadcast_axis_shape), _unbroadcast,
         "Broadcasts the given size-1 axes to the given sizes.", aliases=("broadcast_axes",))


# ----- tile / repeat ------------------------------------------------------------------------------
def _tile_geometry(p, s):
    reps = tuple(p["reps"])
    if any(r < 1 for r in reps):
        raise MXNetError(f"tile: every entry of reps={fmt_shape(reps)} must be a positive "
                         f"integer")
    n = max(len(s), len(reps))
    s = (1,) * (n - len(s)) + tuple(s)
    reps = (1,) * (n - len(reps)) + reps
    return s, reps


def _tile_backward(sc, p, ograds, ins, outs):
    s, reps = _tile_geometry(p, ins[0].shape)
    split = tuple(d for pair in zip(reps, s, strict=True) for d in pair)
    g = sum_as(ograds[0].reshape(split), tuple(range(0, 2 * len(s), 2)))
    return [g.reshape(ins[0].shape)]


_declare("tile", ParamSpec(Shape("reps", REQUIRED, "Repetitions per axis (the shorter of reps "
                                                   "and the shape is padded with leading 1s).")),
         lambda p, s: tuple(a * b for a, b in zip(*_tile_geometry(p, s), strict=True)),
         lambda sc, p, ins: [sc.xp.tile(ins[0], _tile_geometry(p, ins[0].shape)[1])],
         _tile_backward, "Repeats the whole array reps times along each axis (numpy.tile).")


def _repeat_axis(p, s):
    if p["repeats"] < 1:
        raise MXNetError(f"repeat: repeats={p['repeats']} must be a positive integer")
    return None if p["axis"] is None else norm_axis("repeat", p["axis"], len(s))


def _repeat_shape(p, s):
    axis = _repeat_axis(p, s)
    if axis is None:
        return (int(np.prod(s)) * p["repeats"],)
    return s[:axis] + (s[axis] * p["repeats"],) + s[axis + 1:]


def _repeat_backward(sc, p, ograds, ins, outs):
    x, g, r = ins[0], ograds[0], p["repeats"]
    axis = _repeat_axis(p, x.shape)
    if axis is None:
        return [sum_as(g.reshape(x.size, r), 1).reshape(x.shape)]
    split = x.shape[:axis] + (x.shape[axis], r) + x.shape[axis + 1:]
    return [sum_as(g.reshape(split), axis + 1)]


_declare("repeat", ParamSpec(Int("repeats", REQUIRED, "Repetitions of each element."),
                             OptInt("axis", None, "Axis to repeat along (None: flatten first).")),
         _repeat_shape,
         lambda sc, p, ins: [sc.xp.repeat(ins[0], p["repeats"], axis=_repeat_axis(
             p, ins[0].shape)).reshape(_repeat_shape(p, ins[0].shape))],
         _repeat_backward, "Repeats each element (numpy.repeat); axis None flattens.")
