"""Layout ops: reshape_like, transpose, SwapAxis, expand_dims, squeeze, Concat, SliceChannel, stack,
slice, slice_axis, reverse and Pad (tile and repeat, whose gradients are sums, are in reduce_extra),
plus the small axis/dtype helpers the *_extra modules share.

Shape rules follow MXNet's legacy mode (src/operator/tensor/matrix_op-inl.h, nn/concat.cc,
slice_channel-inl.h, pad-inl.h): no op produces a 0-d array, and a zero-size result is refused with
an MXNetError (legacy shapes read a 0 dim as "unknown", so MXNet could not infer it either). Every
backward is the exact adjoint of its forward: gradients are routed, scattered or summed.
"""
import numpy as np

from ..base import MXNetError
from .params import REQUIRED, Axis, Bool, Enum, Field, Float, Int, OptShape, ParamSpec, Shape
from .registry import OpDef, register

__all__ = ["OptInt", "norm_axis", "fmt_shape", "sum_as", "one_dtype"]


class OptInt(Field):
    """An int that may be None (``'None'`` in attribute strings): slice_axis end, repeat axis."""

    type_name = "int or None"

    def parse(self, value):
        if value is None or str(value).strip() == "None":
            return None
        return Int(self.name).parse(value)


def fmt_shape(shape):
    """``(2,3)``, ``(4,)``: compact, and unambiguous for one dimension."""
    return "(" + ",".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def norm_axis(op, axis, ndim, what="axis"):
    """``axis`` in ``[-ndim, ndim)`` made non-negative; MXNetError naming op, axis and shape."""
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: {what}={axis} is out of bounds for an input with {ndim} "
                         f"dimension(s) (expected {-ndim} <= {what} < {ndim})")
    return axis % ndim


def one_dtype(op, arrays, names=None):
    """Refuse inputs of mixed dtypes (imperative calls skip type inference); returns ``arrays``."""
    first = arrays[0].dtype
    for i, a in enumerate(arrays):
        if a.dtype != first:
            name = names[i] if names else f"arg{i}"
            raise MXNetError(f"{op}: all inputs must have one dtype, but {name} is {a.dtype} "
                             f"while {names[0] if names else 'arg0'} is {first}")
    return arrays


def _unary(name, params, infer_shape, forward, backward, doc, aliases=()):
    """Register a one-input op (input ``data``)."""
    register(OpDef(name=name, aliases=aliases, params=params, infer_shape=infer_shape,
                   forward=forward, backward=backward, doc=doc))


def _shape_rule(fn):
    """A shape rule for one-input ops whose output shape is ``fn(p, data_shape)``."""
    def infer(p, in_shapes):
        data = in_shapes[0]
        return [data], [None if data is None else fn(p, tuple(data))]
    return infer


def _reshape_back(sc, p, ograds, ins, outs):
    return [ograds[0].reshape(ins[0].shape)]


def sum_as(g, axis):
    """``g.sum(axis)`` in g's dtype, accumulated in float32 for float16."""
    acc = np.float32 if g.dtype == np.float16 else g.dtype
    return g.sum(axis=axis, dtype=acc).astype(g.dtype, copy=False)


# ----- reshape_like -------------------------------------------------------------------------------
def _like_range(side, p, ndim):
    begin = p[f"{side}_begin"] or 0
    end = p[f"{side}_end"]
    begin = begin + ndim if begin < 0 else begin
    end = ndim if end is None else end + ndim if end < 0 else end
    if not 0 <= begin < end <= ndim:
        raise MXNetError(f"reshape_like: invalid {side}_begin={p[f'{side}_begin']}, "
                         f"{side}_end={p[f'{side}_end']} for a {ndim}-D {side}")
    return begin, end


def _reshape_like_target(p, lhs, rhs):
    lb, le = _like_range("lhs", p, len(lhs))
    rb, re = _like_range("rhs", p, len(rhs))
    out = tuple(lhs[:lb]) + tuple(rhs[rb:re]) + tuple(lhs[le:])
    if int(np.prod(out)) != int(np.prod(lhs)):
        raise MXNetError(f"reshape_like: cannot reshape lhs with shape {fmt_shape(lhs)} to "
                         f"{fmt_shape(out)}: the sizes differ")
    return out


def _reshape_like_shape(p, in_shapes):
    lhs, rhs = in_shapes
    out = None if lhs is None or rhs is None else _reshape_like_target(p, lhs, rhs)
    return [lhs, rhs], [out]


register(OpDef(
    name="reshape_like", inputs=("lhs", "rhs"),
    params=ParamSpec(OptInt("lhs_begin", None, "First lhs dim to reshape (negative OK)."),
                     OptInt("lhs_end", None, "End of the lhs dims to reshape (None: to the end)."),
                     OptInt("rhs_begin", None, "First rhs dim to copy."),
                     OptInt("rhs_end", None, "End of the rhs dims to copy (None: to the end).")),
    infer_shape=_reshape_like_shape,
    # the output takes lhs's dtype; rhs only lends its shape, so its dtype is free
    infer_type=lambda p, t: ([t[0], t[1]], [t[0]]),
    forward=lambda sc, p, ins: [ins[0].reshape(_reshape_like_target(p, ins[0].shape,
                                                                     ins[1].shape))],
    backward=lambda sc, p, g, ins, outs: [g[0].reshape(ins[0].shape), sc.xp.zeros_like(ins[1])],
    doc="Reshapes lhs (or its dims lhs_begin:lhs_end) to the shape of rhs (or rhs_begin:rhs_end)."))


# ----- transpose / SwapAxis / expand_dims / squeeze -----------------------------------------------
def _perm(p, ndim):
    axes = p["axes"]
    if not axes:
        return tuple(reversed(range(ndim)))
    if len(axes) != ndim:
        raise MXNetError(f"transpose: axes={fmt_shape(axes)} must have one entry per input "
                         f"dimension ({ndim})")
    perm = tuple(norm_axis("transpose", a, ndim, "axes entry") for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise MXNetError(f"transpose: axes={fmt_shape(axes)} is not a permutation of "
                         f"0..{ndim - 1}")
    return perm


_unary("transpose", ParamSpec(Shape("axes", (), "Target axis order; () reverses the axes.")),
       _shape_rule(lambda p, s: tuple(s[a] for a in _perm(p, len(s)))),
       lambda sc, p, ins: [ins[0].transpose(_perm(p, ins[0].ndim))],
       lambda sc, p, g, ins, outs: [g[0].transpose(
           tuple(int(a) for a in np.argsort(_perm(p, ins[0].ndim))))],
       "Permutes the dimensions of the input (reverses them by default).")


def _swap(p, ndim):
    return (norm_axis("SwapAxis", p["dim1"], ndim, "dim1"),
            norm_axis("SwapAxis", p["dim2"], ndim, "dim2"))


def _swap_shape(p, s):
    a, b = _swap(p, len(s))
    out = list(s)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


_unary("SwapAxis", ParamSpec(Int("dim1", 0, "The first axis to swap."),
                             Int("dim2", 0, "The second axis to swap.")),
       _shape_rule(_swap_shape),
       lambda sc, p, ins: [sc.xp.swapaxes(ins[0], *_swap(p, ins[0].ndim))],
       lambda sc, p, g, ins, outs: [sc.xp.swapaxes(g[0], *_swap(p, ins[0].ndim))],
       "Interchanges two axes of the input.", aliases=("swapaxes",))


def _expand_shape(p, s):
    axis = p["axis"]
    if not -len(s) - 1 <= axis <= len(s):
        raise MXNetError(f"expand_dims: axis={axis} is out of range for a {len(s)}-D input "
                         f"(expected {-len(s) - 1} <= axis <= {len(s)})")
    axis %= len(s) + 1
    return s[:axis] + (1,) + s[axis:]


_unary("expand_dims", ParamSpec(Int("axis", REQUIRED, "Position of the new size-1 axis.")),
       _shape_rule(_expand_shape),
       lambda sc, p, ins: [ins[0].reshape(_expand_shape(p, ins[0].shape))], _reshape_back,
       "Inserts a new axis of size 1 into the shape.")


def _squeeze_shape(p, s):
    if p["axis"] is None:
        out = tuple(d for d in s if d != 1)
    else:
        axes = [norm_axis("squeeze", a, len(s)) for a in p["axis"]]
        if len(set(axes)) != len(axes):
            raise MXNetError(f"squeeze: duplicate value in axis={fmt_shape(p['axis'])}")
        for a in axes:
            if s[a] != 1:
                raise MXNetError(f"squeeze: cannot select an axis to squeeze out which has "
                                 f"size={s[a]} not equal to one (axis {a} of shape "
                                 f"{fmt_shape(s)})")
        out = tuple(d for i, d in enumerate(s) if i not in axes)
    # legacy mode keeps at least one dimension: squeeze((1, 1)) is (1,)
    return out or (1,)


_unary("squeeze", ParamSpec(Axis("axis", None, "Size-1 axes to remove (None: all of them).")),
       _shape_rule(_squeeze_shape),
       lambda sc, p, ins: [ins[0].reshape(_squeeze_shape(p, ins[0].shape))], _reshape_back,
       "Removes size-1 axes; the result keeps at least one dimension.")


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
    name="Concat", aliases=("concat",), variadic=True,
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


# ----- slice / slice_axis -------------------------------------------------------------------------
def _slice_ranges(p, s):
    """Per-axis (begin, end, step, length) following MXNet's GetIndexRange (matrix_op-inl.h)."""
    begin, end, step = p["begin"] or (), p["end"] or (), p["step"] or ()
    if len(begin) != len(end):
        raise MXNetError(f"slice: begin {begin} and end {end} must have the same length")
    if len(begin) > len(s):
        raise MXNetError(f"slice: begin/end have {len(begin)} entries but the input "
                         f"{fmt_shape(s)} has only {len(s)} dimensions")
    if step and len(step) != len(begin):
        raise MXNetError(f"slice: step {step} and begin {begin} must have the same length")
    out = []
    for i, n in enumerate(s):
        if i >= len(begin):
            out.append((0, n, 1, n))
            continue
        st = step[i] if step and step[i] is not None else 1
        if st == 0:
            raise MXNetError(f"slice: step[{i}] cannot be 0")
        b = begin[i] if begin[i] is not None else (n - 1 if st < 0 else 0)
        e = end[i] if end[i] is not None else (-1 if st < 0 else n)
        b = b + n if b < 0 else b
        e = e + n if e < 0 and end[i] is not None else e
        b = 0 if b < 0 and st > 0 else n - 1 if b > n - 1 and st < 0 else b
        b = -1 if b < 0 or b > n - 1 else b
        e = min(max(e, -1), n)
        if b < 0 or e == b:
            length = 0
        elif st > 0:
            length = (e - b - 1) // st + 1 if e > b else 0
        else:
            length = (b - e - 1) // -st + 1 if e < b else 0
        if length == 0:
            raise MXNetError(f"slice: begin={begin}, end={end}, step={step} select nothing "
                             f"on axis {i} of an input of shape {fmt_shape(s)}")
        out.append((b, e, st, length))
    return out


def _slice_key(p, s):
    # an end of -1 with a negative step means "through index 0": Python spells that None
    return tuple(slice(b, None if e < 0 else e, st) for b, e, st, _ in _slice_ranges(p, s))


def _slice_backward(sc, p, ograds, ins, outs):
    grad = sc.xp.zeros_like(ins[0])
    grad[_slice_key(p, ins[0].shape)] = ograds[0]
    return [grad]


_unary("slice", ParamSpec(OptShape("begin", REQUIRED, "Start index per leading axis (None OK)."),
                          OptShape("end", REQUIRED, "End index per leading axis (None OK)."),
                          OptShape("step", (), "Step per leading axis (None: 1; negative OK).")),
       _shape_rule(lambda p, s: tuple(r[3] for r in _slice_ranges(p, s))),
       lambda sc, p, ins: [ins[0][_slice_key(p, ins[0].shape)]], _slice_backward,
       "Slices a region with Python semantics on the leading axes.", aliases=("crop",))


def _slice_axis_key(p, s):
    axis = norm_axis("slice_axis", p["axis"], len(s))
    n = s[axis]
    b = p["begin"] + n if p["begin"] < 0 else p["begin"]
    e = n if p["end"] is None else p["end"] + n if p["end"] < 0 else p["end"]
    if not 0 <= b < e <= n:
        raise MXNetError(f"slice_axis: invalid begin={p['begin']}, end={p['end']} for axis "
                         f"{axis} of size {n} (need 0 <= begin < end <= {n} after wrapping)")
    return axis, (slice(None),) * axis + (slice(b, e),)


def _slice_axis_shape(p, s):
    axis, key = _slice_axis_key(p, s)
    return s[:axis] + (key[axis].stop - key[axis].start,) + s[axis + 1:]


def _slice_axis_backward(sc, p, ograds, ins, outs):
    grad = sc.xp.zeros_like(ins[0])
    grad[_slice_axis_key(p, ins[0].shape)[1]] = ograds[0]
    return [grad]


_unary("slice_axis", ParamSpec(Int("axis", REQUIRED, "Axis to slice (negative OK)."),
                               Int("begin", REQUIRED, "Start index (negative OK)."),
                               # MXNet requires end but accepts None; the generated
                               # wrappers drop None-valued keywords, so None is the default
                               OptInt("end", None, "End index (None: to the end).")),
       _shape_rule(_slice_axis_shape),
       lambda sc, p, ins: [ins[0][_slice_axis_key(p, ins[0].shape)[1]]], _slice_axis_backward,
       "Slices [begin, end) along one axis.")


# ----- reverse ------------------------------------------------------------------------------------
def _flip(p, x):
    key = [slice(None)] * x.ndim
    for a in p["axis"]:
        a = norm_axis("reverse", a, x.ndim)
        # MXNet reverses once per listed entry, so a repeated axis cancels out
        key[a] = slice(None) if key[a].step == -1 else slice(None, None, -1)
    return x[tuple(key)]


def _reverse_shape(p, in_shapes):
    data = in_shapes[0]
    for a in (p["axis"] if data is not None else ()):
        norm_axis("reverse", a, len(data))
    return [data], [data]


_unary("reverse", ParamSpec(Shape("axis", REQUIRED, "The axes to reverse.")), _reverse_shape,
       lambda sc, p, ins: [_flip(p, ins[0])],
       lambda sc, p, g, ins, outs: [_flip(p, g[0])],
       "Reverses the order of elements along the given axes.", aliases=("flip",))


# ----- Pad ----------------------------------------------------------------------------------------
def _pad_pairs(p, s):
    width = tuple(p["pad_width"])
    if len(s) not in (4, 5):
        raise MXNetError(f"Pad: Current implementation only supports 4-D or 5-D input, got "
                         f"shape {fmt_shape(s)}")
    if len(width) != 2 * len(s):
        raise MXNetError(f"Pad: pad_width={fmt_shape(width)} must have 2*ndim = {2 * len(s)} "
                         f"entries for input shape {fmt_shape(s)}")
    if any(width[:4]):
        raise MXNetError(f"Pad: Current implementation expects padding on the first two axes "
                         f"to be zero, got pad_width={fmt_shape(width)}")
    if any(w < 0 for w in width):
        raise MXNetError(f"Pad: pad_width={fmt_shape(width)} must not be negative")
    pairs = [(width[2 * i], width[2 * i + 1]) for i in range(len(s))]
    if p["mode"] == "reflect" and any(max(pr) >= d for pr, d in zip(pairs[2:], s[2:], strict=True)):
        raise MXNetError(f"Pad: reflection padding needs every pad_width entry smaller than "
                         f"its axis size: pad_width={fmt_shape(width)}, shape {fmt_shape(s)}")
    return pairs


def _pad_forward(sc, p, ins):
    x = ins[0]
    pairs = _pad_pairs(p, x.shape)
    if p["mode"] == "constant":
        return [sc.xp.pad(x, pairs, mode="constant",
                          constant_values=x.dtype.type(p["constant_value"]))]
    return [sc.xp.pad(x, pairs, mode=p["mode"])]


def _pad_backward(sc, p, ograds, ins, outs):
    xp, x, g = sc.xp, ins[0], ograds[0]
    for axis, (before, after) in enumerate(_pad_pairs(p, x.shape)):
        n = x.shape[axis]
        if p["mode"] == "constant":
            g = g[(slice(None),) * axis + (slice(before, before + n),)]
            continue
        # which input index each output position copies; the gradient sums over its copies
        src = np.pad(np.arange(n), (before, after), mode=p["mode"])
        onehot = xp.asarray((src[:, None] == np.arange(n)[None, :]).astype(g.dtype))
        g = xp.moveaxis(xp.moveaxis(g, axis, -1) @ onehot, -1, axis)
    return [xp.ascontiguousarray(g)]


_unary("Pad", ParamSpec(Enum("mode", ("constant", "edge", "reflect"), REQUIRED,
                             "constant_value, edge values, or reflection about the edges."),
                        Shape("pad_width", REQUIRED, "(before_1, after_1, ..., before_N, "
                                                     "after_N); the first four must be 0."),
                        Float("constant_value", 0.0, "Fill value for mode 'constant'.")),
       _shape_rule(lambda p, s: tuple(d + sum(pair)
                                      for d, pair in zip(s, _pad_pairs(p, s), strict=True))),
       _pad_forward, _pad_backward, "Pads the spatial axes of a 4-D or 5-D input.",
       aliases=("pad",))
