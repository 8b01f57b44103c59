"""Replication ops: broadcast_to, broadcast_axis, broadcast_like, tile and repeat.

Each gradient is the sum of the head gradient over the copies an input element was replicated
into.
"""
import numpy as np

from ..base import MXNetError
from ..util import is_np_shape
from ._util import OptInt, axis_in, fmt_shape, lhs_type, norm_axis, sum_as, unbroadcast
from .params import REQUIRED, Axis, Int, ParamSpec, Shape
from .registry import OpDef, register


# ----- broadcast_to / broadcast_axis --------------------------------------------------------------
def _broadcast_to_shape(p, s):
    target = tuple(p["shape"])
    if len(target) != len(s):
        raise MXNetError(f"broadcast_to: Operand of shape {fmt_shape(s)} cannot be broadcasted "
                         f"to shape={fmt_shape(target)} (the number of dimensions differs)")
    out = tuple(d if t == 0 else t for d, t in zip(s, target, strict=True))
    for d, t in zip(s, out, strict=True):
        if d != t and d != 1:
            raise MXNetError(f"broadcast_to: Array cannot be broadcasted from {fmt_shape(s)} to "
                             f"shape={fmt_shape(target)}")
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
    # NumPy-shape mode allows empty results, so a 0 repetition is valid there
    lowest = 0 if is_np_shape() else 1
    if any(r < lowest for r in reps):
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


_BL_PARAMS = ParamSpec(
    Axis("lhs_axes", None, "Axes of lhs to broadcast (all when None)."),
    Axis("rhs_axes", None, "Axes of rhs whose sizes lhs takes (all when None)."))


def _broadcast_like_shape(p, lhs, rhs):
    # as BroadcastLikeShape: unless both axis lists are given, lhs broadcasts to all of rhs
    if p["lhs_axes"] is None or p["rhs_axes"] is None:
        if len(lhs) != len(rhs):
            raise MXNetError(f"broadcast_like: lhs {lhs} and rhs {rhs} must have the same number "
                             f"of dimensions")
        target = tuple(rhs)
    else:
        la, ra = tuple(p["lhs_axes"]), tuple(p["rhs_axes"])
        if len(la) != len(ra):
            raise MXNetError(f"broadcast_like: lhs_axes {la} and rhs_axes {ra} must have the "
                             f"same length")
        if not la:
            raise MXNetError("broadcast_like: Empty axes tuple is not allowed "
                             "(lhs_axes=(), rhs_axes=())")
        target = list(lhs)
        for a, b in zip(la, ra):
            src = axis_in("broadcast_like", "lhs_axes", a, len(lhs))
            if lhs[src] != 1:
                raise MXNetError(f"broadcast_like: Input axis {a} of lhs {lhs} has size "
                                 f"{lhs[src]}, not 1: it cannot be broadcasted")
            target[src] = rhs[axis_in("broadcast_like", "rhs_axes", b, len(rhs))]
        target = tuple(target)
    for d, t in zip(lhs, target):
        if d != t and d != 1:
            raise MXNetError(f"broadcast_like: cannot broadcast lhs {lhs} to {target}")
    return target


def _bl_infer(p, in_shapes):
    lhs, rhs = in_shapes
    if lhs is None or rhs is None:
        return list(in_shapes), [None]
    return [lhs, rhs], [_broadcast_like_shape(p, lhs, rhs)]


def _bl_forward(sc, p, ins):
    lhs, rhs = ins
    target = _broadcast_like_shape(p, lhs.shape, rhs.shape)
    return [sc.xp.ascontiguousarray(sc.xp.broadcast_to(lhs, target))]


def _bl_backward(sc, p, ograds, ins, outs):
    lhs, rhs = ins
    return [unbroadcast(sc.xp, ograds[0], lhs.shape), sc.xp.zeros_like(rhs)]


register(OpDef(name="broadcast_like", params=_BL_PARAMS, inputs=("lhs", "rhs"),
               forward=_bl_forward, backward=_bl_backward, infer_shape=_bl_infer,
               infer_type=lhs_type,
               doc="Broadcasts lhs to the shape of rhs (or of the chosen rhs_axes)."))
