"""Layout ops that keep every element: Reshape (MXNet's special codes), Flatten,
reshape_like, transpose, SwapAxis, expand_dims, squeeze, depth_to_space / space_to_depth, and the
shape queries shape_array / size_array.

Shape rules follow MXNet's legacy mode (src/operator/tensor/matrix_op-inl.h,
elemwise_unary_op_basic.cc): no op produces a 0-d array, and a zero-size result is refused with an
MXNetError (legacy shapes read a 0 dim as "unknown", so MXNet could not infer it either). Every
backward is the exact adjoint of its forward.
"""
import numpy as np

from ..base import MXNetError
from ._util import (
    OptInt,
    fmt_shape,
    norm_axis,
    prod,
    register_unary,
    reshape_back,
    unary_shape_rule,
    zero_grads,
)
from .params import (
    REQUIRED,
    Axis,
    Bool,
    Int,
    OptShape,
    ParamSpec,
    Shape,
)
from .registry import READS_SHAPES, OpDef, register


def reshape_shape(dshape, spec, reverse=False):
    """Apply MXNet's Reshape codes (0, -1, -2, -3, -4) in ``spec`` to ``dshape``.

    Unlike MXNet 1.9.1, a target with a different element count raises (MXNet accepted it and
    corrupted memory).
    """
    dshape, spec = list(dshape), list(spec)
    if reverse:
        dshape.reverse()
        spec.reverse()
    out, src, infer_at, i = [], 0, -1, 0
    try:
        while i < len(spec):
            code = spec[i]
            if code == 0:
                out.append(dshape[src])
                src += 1
            elif code == -1:
                if infer_at >= 0:
                    raise MXNetError("One and only one dim can be inferred")
                infer_at = len(out)
                out.append(1)
                src += 1
            elif code == -2:
                out.extend(dshape[src:])
                src = len(dshape)
            elif code == -3:
                out.append(dshape[src] * dshape[src + 1])
                src += 2
            elif code == -4:
                whole, d1, d2 = dshape[src], spec[i + 1], spec[i + 2]
                if d1 == -1:
                    d1 = whole // d2
                if d2 == -1:
                    d2 = whole // d1
                if d1 * d2 != whole:
                    raise MXNetError(f"Split dims {d1}, {d2} do not divide original dim {whole}")
                out.extend([d1, d2])
                src += 1
                i += 2
            elif code > 0:
                out.append(code)
                src += 1
            else:
                raise MXNetError(f"Invalid special code {code} in Reshape shape")
            i += 1
    except IndexError:
        raise MXNetError(f"Reshape: shape {tuple(spec)} consumes more dimensions than the "
                         f"input {tuple(dshape)} has") from None
    if infer_at >= 0:
        rest = prod(out)
        if rest == 0 or prod(dshape) % rest:
            raise MXNetError(f"Reshape: cannot infer the -1 dim of {tuple(spec)} from input "
                             f"shape {tuple(dshape)}")
        out[infer_at] = prod(dshape) // rest
    if reverse:
        out.reverse()
        dshape.reverse()
    if prod(out) != prod(dshape):
        raise MXNetError(f"Reshape: target shape {tuple(out)} has {prod(out)} elements but the "
                         f"input shape {tuple(dshape)} has {prod(dshape)}")
    return tuple(out)


_RESHAPE_PARAMS = ParamSpec(
    Shape("shape", (), "The target shape, with special codes 0, -1, -2, -3, -4."),
    Bool("reverse", False, "If true, the special codes are applied right to left."),
    OptShape("target_shape", (), "(Deprecated) target shape; 0 means infer."),
    Bool("keep_highest", False, "(Deprecated) keep the first dim, infer the rest."))


def _target(p, dshape):
    if p["shape"]:
        return reshape_shape(dshape, p["shape"], p["reverse"])
    target = tuple(p["target_shape"] or ())
    if p["keep_highest"]:
        target = (dshape[0],) + target
    return reshape_shape(dshape, tuple(-1 if d == 0 else d for d in target))


def _reshape_shape(p, in_shapes):
    data = in_shapes[0]
    return [data], [None if data is None else _target(p, data)]


def _reshape_forward(sc, p, ins):
    return [ins[0].reshape(_target(p, ins[0].shape))]


def _reshape_backward(sc, p, ograds, ins, outs):
    return [ograds[0].reshape(ins[0].shape)]


def _reshape_fill(p, in_shapes, out_shapes):
    """The input's single unknown dimension from a known output (its element count)."""
    data, out = in_shapes[0], out_shapes[0]
    if data is None or out is None or 0 in out or list(data).count(0) != 1:
        return in_shapes
    rest = prod(d for d in data if d)
    total = prod(out)
    if rest and total % rest == 0:
        in_shapes[0] = tuple(total // rest if d == 0 else d for d in data)
    return in_shapes


def _transpose_fill(p, in_shapes, out_shapes):
    """The input's unknown dimensions from a known output, through the inverse permutation."""
    data, out = in_shapes[0], out_shapes[0]
    if out is None or (data is not None and len(data) != len(out)):
        return in_shapes
    perm = _perm(p, len(out))
    back = [0] * len(out)
    for i, a in enumerate(perm):
        back[a] = out[i]
    in_shapes[0] = tuple(d or b for d, b in zip(data or back, back))
    return in_shapes


register(OpDef(name="Reshape", aliases=("reshape",), params=_RESHAPE_PARAMS,
               forward=_reshape_forward, backward=_reshape_backward, infer_shape=_reshape_shape,
               fill_inputs=_reshape_fill,
               backward_reads=READS_SHAPES, forward_view=True, grad_passthrough=(0,),
               doc="Reshapes the input; 0 copies a dim, -1 infers one, -2 copies the rest, -3 "
                   "merges two dims, -4 splits one (two values follow)."))


def _flatten_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    return [data], [(data[0], prod(data[1:]))]


register(OpDef(name="Flatten", aliases=("flatten",), forward=lambda sc, p, ins: [
    ins[0].reshape(ins[0].shape[0], -1)], backward=_reshape_backward, infer_shape=_flatten_shape,
    backward_reads=READS_SHAPES, forward_view=True, grad_passthrough=(0,),
    doc="Flattens the input to (d1, d2*...*dk); a 1-D (N,) input becomes (N, 1)."))


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


register_unary("transpose",
               ParamSpec(Shape("axes", (), "Target axis order; () reverses the axes.")),
               unary_shape_rule(lambda p, s: tuple(s[a] for a in _perm(p, len(s)))),
               lambda sc, p, ins: [ins[0].transpose(_perm(p, ins[0].ndim))],
               lambda sc, p, g, ins, outs: [g[0].transpose(
                   tuple(int(a) for a in np.argsort(_perm(p, ins[0].ndim))))],
               "Permutes the dimensions of the input (reverses them by default).",
               backward_reads=READS_SHAPES, fill_inputs=_transpose_fill)


def _swap(p, ndim):
    return (norm_axis("SwapAxis", p["dim1"], ndim, "dim1"),
            norm_axis("SwapAxis", p["dim2"], ndim, "dim2"))


def _swap_shape(p, s):
    a, b = _swap(p, len(s))
    out = list(s)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


register_unary("SwapAxis", ParamSpec(Int("dim1", 0, "The first axis to swap."),
                             Int("dim2", 0, "The second axis to swap.")),
               unary_shape_rule(_swap_shape),
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


register_unary("expand_dims", ParamSpec(Int("axis", REQUIRED, "Position of the new size-1 axis.")),
               unary_shape_rule(_expand_shape),
               lambda sc, p, ins: [ins[0].reshape(_expand_shape(p, ins[0].shape))], reshape_back,
               "Inserts a new axis of size 1 into the shape.", backward_reads=READS_SHAPES,
               forward_view=True, grad_passthrough=(0,))


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


register_unary("squeeze",
               ParamSpec(Axis("axis", None, "Size-1 axes to remove (None: all of them).")),
               unary_shape_rule(_squeeze_shape),
               lambda sc, p, ins: [ins[0].reshape(_squeeze_shape(p, ins[0].shape))], reshape_back,
               "Removes size-1 axes; the result keeps at least one dimension.",
               backward_reads=READS_SHAPES, forward_view=True, grad_passthrough=(0,))


_INT64 = np.dtype(np.int64)


# ----- shape_array / size_array -------------------------------------------------------------------
register(OpDef(
    name="shape_array", infer_shape=unary_shape_rule(lambda p, s: (len(s),)),
    infer_type=lambda p, t: ([t[0]], [_INT64]),
    forward=lambda sc, p, ins: [sc.xp.asarray(ins[0].shape, dtype=_INT64)],
    backward=zero_grads, needs_head_grad=False,
    doc="A 1-D int64 array holding the shape of data."))

register(OpDef(
    name="size_array", infer_shape=unary_shape_rule(lambda p, s: (1,)),
    infer_type=lambda p, t: ([t[0]], [_INT64]),
    forward=lambda sc, p, ins: [sc.xp.asarray([ins[0].size], dtype=_INT64)],
    backward=zero_grads, needs_head_grad=False,
    doc="A 1-D int64 array of one element holding the size of data."))


# ----- depth_to_space / space_to_depth ------------------------------------------------------------
def _block(op, p, s):
    b = p["block_size"]
    if len(s) != 4:
        raise MXNetError(f"{op}: Operation requires data to be exactly a 4D tensor, got "
                         f"{fmt_shape(s)}")
    if b <= 0:
        raise MXNetError(f"{op}: block_size must be a positive integer value, got {b}")
    if 0 in s:
        raise MXNetError(f"{op}: data of shape {fmt_shape(s)} has a zero-size dimension")
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
    name="depth_to_space", params=_BLOCK, infer_shape=unary_shape_rule(_d2s_shape),
    forward=lambda sc, p, ins: [_d2s(sc.xp, p, ins[0])],
    backward=lambda sc, p, g, ins, outs: [_s2d(sc.xp, p, g[0])],
    doc="Moves (N, C, H, W) depth into spatial blocks: (N, C/b^2, H*b, W*b)."))

register(OpDef(
    name="space_to_depth", params=_BLOCK, infer_shape=unary_shape_rule(_s2d_shape),
    forward=lambda sc, p, ins: [_s2d(sc.xp, p, ins[0])],
    backward=lambda sc, p, g, ins, outs: [_d2s(sc.xp, p, g[0])],
    doc="Moves (N, C, H, W) spatial blocks into depth: (N, C*b^2, H/b, W/b)."))
