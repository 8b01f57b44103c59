"""Joining and splitting along an axis: Concat, stack, SliceChannel (split) and
``_split_v2`` behind ``split_v2`` (src/operator/nn/concat.cc, slice_channel-inl.h,
matrix_op-inl.h). Gradients are routed back slice by slice.
"""
import numpy as np

from ..base import MXNetError
from ._util import fmt_shape, norm_axis, one_dtype
from .params import (
    REQUIRED,
    Bool,
    Int,
    ParamSpec,
    Shape,
)
from .registry import READS_SHAPES, OpDef, register


# ----- Concat / stack / SliceChannel --------------------------------------------------------------
def _same_shapes(op, in_shapes):
    """The shape shared by the inputs of a variadic op (None if none is known); MXNetError
    naming the first input that differs."""
    known = next((s for s in in_shapes if s is not None), None)
    for i, s in enumerate(in_shapes):
        if s is not None and tuple(s) != tuple(known):
            raise MXNetError(f"{op}: incompatible input shape at arg{i}: expected "
                             f"{fmt_shape(known)}, got {fmt_shape(s)}")
    return known


def _concat_shape(p, in_shapes):
    if any(s is None for s in in_shapes):
        # as in MXNet, an unknown input's size along dim cannot be recovered from the others
        return list(in_shapes), [None]
    first = in_shapes[0]
    axis = norm_axis("Concat", p["dim"], len(first), "dim")
    for i, s in enumerate(in_shapes):
        if len(s) != len(first) or any(a != b for k, (a, b) in enumerate(zip(s, first, strict=True))
                                       if k != axis):
            expected = tuple(-1 if k == axis else d for k, d in enumerate(first))
            raise MXNetError(f"Concat: Incompatible input shape at arg{i}: expected "
                             f"{fmt_shape(expected)}, got {fmt_shape(s)} (inputs must match "
                             f"except on dim {axis})")
    out = list(first)
    out[axis] = sum(s[axis] for s in in_shapes)
    return list(in_shapes), [tuple(out)]


def _concat_backward(sc, p, ograds, ins, outs):
    axis = p["dim"] % ins[0].ndim
    cuts = np.cumsum([x.shape[axis] for x in ins])[:-1].tolist()
    return sc.xp.split(ograds[0], cuts, axis=axis)


_VARIADIC = Int("num_args", 1, "Number of inputs (set automatically).")

register(OpDef(
    name="Concat", aliases=("concat",), variadic=True, backward_reads=READS_SHAPES,
    params=ParamSpec(_VARIADIC, Int("dim", 1, "The axis along which to concatenate.")),
    infer_shape=_concat_shape,
    forward=lambda sc, p, ins: [sc.xp.concatenate(one_dtype("Concat", ins),
                                                  axis=p["dim"] % ins[0].ndim)],
    backward=_concat_backward,
    doc="Joins the inputs along dim (default 1); all other dims must match."))


def _stack_shape(p, in_shapes):
    known = _same_shapes("stack", in_shapes)
    if known is None:
        return list(in_shapes), [None]
    axis = norm_axis("stack", p["axis"], len(known) + 1)
    out = tuple(known[:axis]) + (p["num_args"],) + tuple(known[axis:])
    # MXNet's StackOpShape infers the output only; unknown inputs stay unknown
    return list(in_shapes), [out]


register(OpDef(
    name="stack", variadic=True,
    params=ParamSpec(Int("axis", 0, "Position of the new axis in the result."), _VARIADIC),
    infer_shape=_stack_shape,
    forward=lambda sc, p, ins: [sc.xp.stack(one_dtype("stack", ins),
                                            axis=p["axis"] % (ins[0].ndim + 1))],
    backward=lambda sc, p, g, ins, outs: [
        g[0].take(i, axis=p["axis"] % (ins[0].ndim + 1)) for i in range(len(ins))],
    doc="Joins the inputs (all of one shape) along a new axis."))


def _split_geometry(p, s):
    """(axis, per-output shape before squeezing, visible output shape) for SliceChannel."""
    n = p["num_outputs"]
    if n < 1:
        raise MXNetError(f"SliceChannel: num_outputs={n} must be at least 1")
    axis = norm_axis("SliceChannel", p["axis"], len(s))
    if s[axis] % n:
        raise MXNetError(f"SliceChannel: You are trying to split the {axis}-th axis of input "
                         f"tensor with shape {fmt_shape(s)} into num_outputs={n} evenly sized "
                         f"chunks, but this is not possible because {n} does not evenly divide "
                         f"{s[axis]}")
    piece = s[:axis] + (s[axis] // n,) + s[axis + 1:]
    if not p["squeeze_axis"]:
        return axis, piece, piece
    if s[axis] != n:
        raise MXNetError(f"SliceChannel: If squeeze axis is True, the size of the sliced axis "
                         f"must be the same as num_outputs. Input shape={fmt_shape(s)}, "
                         f"axis={axis}, num_outputs={n}.")
    return axis, piece, (s[:axis] + s[axis + 1:]) or (1,)


def _split_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None] * p["num_outputs"]
    out = _split_geometry(p, tuple(data))[2]
    return [data], [out] * p["num_outputs"]


def _split_forward(sc, p, ins):
    axis, _, out_shape = _split_geometry(p, ins[0].shape)
    return [part.reshape(out_shape) for part in sc.xp.split(ins[0], p["num_outputs"], axis=axis)]


def _split_backward(sc, p, ograds, ins, outs):
    # the executor hands zeros for outputs nobody used, so their slices get a zero gradient
    axis, piece, _ = _split_geometry(p, ins[0].shape)
    return [sc.xp.concatenate([g.reshape(piece) for g in ograds], axis=axis)]


register(OpDef(
    name="SliceChannel", aliases=("split",),
    params=ParamSpec(Int("num_outputs", REQUIRED, "Number of equal parts."),
                     Int("axis", 1, "Axis along which to split."),
                     Bool("squeeze_axis", False, "Drop the split axis (its size must equal "
                                                 "num_outputs).")),
    num_outputs=lambda p: p["num_outputs"], infer_shape=_split_shape,
    forward=_split_forward, backward=_split_backward,
    doc="Splits the input into num_outputs equal parts along axis (default 1)."))


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
            raise MXNetError(f"_split_v2: indices={tuple(p['indices'])}: subarray {i} "
                             f"[{start}, {end}) is empty or out of range for axis {axis} of "
                             f"shape {fmt_shape(s)}")
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
