"""Ops shaped by a second input: broadcast_like and slice_like (src/operator/tensor/
broadcast_reduce_op.h, matrix_op-inl.h). The second input only lends its shape, so its dtype is free
(the type rules constrain lhs/data only) and its gradient is 0."""
from ..base import MXNetError
from .elemwise import unbroadcast
from .params import Axis, ParamSpec
from .registry import OpDef, register

_BL_PARAMS = ParamSpec(
    Axis("lhs_axes", None, "Axes of lhs to broadcast (all when None)."),
    Axis("rhs_axes", None, "Axes of rhs whose sizes lhs takes (all when None)."))


def _axis_in(op, what, axis, ndim):
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: Invalid dimension specified in {what}: {axis} (for a "
                         f"{ndim}-D input)")
    return axis % ndim


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
            src = _axis_in("broadcast_like", "lhs_axes", a, len(lhs))
            if lhs[src] != 1:
                raise MXNetError(f"broadcast_like: Input axis {a} of lhs {lhs} has size "
                                 f"{lhs[src]}, not 1: it cannot be broadcasted")
            target[src] = rhs[_axis_in("broadcast_like", "rhs_axes", b, len(rhs))]
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


def _lhs_type(p, in_types):
    """The output takes the first input's dtype; the second input's is left as it is."""
    return [in_types[0], in_types[1]], [in_types[0]]


register(OpDef(name="broadcast_like", params=_BL_PARAMS, inputs=("lhs", "rhs"),
               forward=_bl_forward, backward=_bl_backward, infer_shape=_bl_infer,
               infer_type=_lhs_type,
               doc="Broadcasts lhs to the shape of rhs (or of the chosen rhs_axes)."))


_SL_PARAMS = ParamSpec(Axis("axes", (), "Axes to slice like shape_like (all when empty)."))


def _slice_like_shape(p, data, like):
    if not p["axes"] and len(data) != len(like):
        raise MXNetError(f"slice_like: By default slice_like performs slice on all axes, but "
                         f"ndim mismatch for inputs: data {data} vs shape_like {like}")
    axes = tuple(range(len(data))) if not p["axes"] else \
        tuple(_axis_in("slice_like", "axes", a, len(data)) for a in p["axes"])
    out = list(data)
    for a in axes:
        if a >= len(like):
            raise MXNetError(f"slice_like: axis {a} is out of range for shape_like {like}")
        if like[a] > data[a]:
            raise MXNetError(f"slice_like: shape_like {like} is larger than data {data} on "
                             f"axis {a}")
        out[a] = like[a]
    return tuple(out)


def _sl_infer(p, in_shapes):
    data, like = in_shapes
    if data is None or like is None:
        return list(in_shapes), [None]
    return [data, like], [_slice_like_shape(p, data, like)]


def _sl_index(p, data, like):
    return tuple(slice(0, n) for n in _slice_like_shape(p, data.shape, like.shape))


def _sl_forward(sc, p, ins):
    data, like = ins
    return [sc.xp.ascontiguousarray(data[_sl_index(p, data, like)])]


def _sl_backward(sc, p, ograds, ins, outs):
    data, like = ins
    grad = sc.xp.zeros_like(data)
    grad[_sl_index(p, data, like)] = ograds[0]
    return [grad, sc.xp.zeros_like(like)]


register(OpDef(name="slice_like", params=_SL_PARAMS, inputs=("data", "shape_like"),
               forward=_sl_forward, backward=_sl_backward, infer_shape=_sl_infer,
               infer_type=_lhs_type,
               doc="Slices data from the start to the shape of shape_like on the given axes."))
