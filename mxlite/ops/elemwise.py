"""Element-wise ops that are not plain math functions: clip, where, add_n /
ElementWiseSum, Cast, identity (``_copy``), zeros_like / ones_like and ``_contrib_div_sqrt_dim``.

Sources pinned: clip in src/operator/tensor/matrix_op-inl.h, where in control_flow_op.h, add_n in
elemwise_sum.cc, Cast / _copy in elemwise_unary_op_basic.cc, zeros_like / ones_like in init_op.cc,
div_sqrt_dim in src/operator/contrib/transformer.cc.
"""
import numpy as np

from ..base import MXNetError
from ._util import one_dtype
from .params import REQUIRED, Enum, Float, Int, ParamSpec
from .registry import READS_NOTHING, OpDef, register, same_shape, unify_shapes

_F32 = np.float32


# ----- clip ---------------------------------------------------------------------------------------
def _clip_masks(p, x):
    """(above, below, a_max, a_min) as MXNet's clip kernel sees them.

    a_min/a_max are float32 parameters (``real_t``) compared against the element promoted to at
    least float32, so float64 data is clipped to the float32-rounded bounds.
    """
    lo, hi = _F32(p["a_min"]), _F32(p["a_max"])
    if x.dtype.kind == "f":
        cmp = x if x.dtype.itemsize >= 4 else x.astype(_F32)
    else:
        cmp = x.astype(np.float64)
    return cmp > hi, cmp < lo, hi, lo


def _bound(value, dtype):
    """The bound as a NumPy scalar of ``dtype`` (CuPy takes scalars, not host arrays); it is
    written back through a C++ cast, so toward zero for integer outputs."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        value = np.trunc(value)
    return dtype.type(value)


def _clip_forward(sc, p, ins):
    x = ins[0]
    above, below, hi, lo = _clip_masks(p, x)
    xp = sc.xp
    return [xp.where(above, _bound(hi, x.dtype), xp.where(below, _bound(lo, x.dtype), x))]


def _clip_backward(sc, p, ograds, ins, outs):
    above, below, _, _ = _clip_masks(p, ins[0])
    # the gradient passes where a_min <= x <= a_max, bounds included
    return [sc.xp.where(above | below, 0, ograds[0]).astype(ins[0].dtype, copy=False)]


register(OpDef(
    name="clip", params=ParamSpec(
        Float("a_min", REQUIRED, "Minimum value."), Float("a_max", REQUIRED, "Maximum value."),
        # MXNet 1.9.1 accepts a_min > a_max and clips everything to a_max; mxlite refuses it
        check=lambda p: f"a_min={p['a_min']} is greater than a_max={p['a_max']} (expected "
                        f"a_min <= a_max)" if p["a_min"] > p["a_max"] else None),
    infer_shape=same_shape, forward=_clip_forward, backward=_clip_backward,
    doc="Clips values to [a_min, a_max]; the gradient passes at the exact bounds."))


# ----- where --------------------------------------------------------------------------------------
def _where_shape(p, in_shapes):
    # partial shapes welcome: x and y are unified dim by dim, as MXNet's WhereOpShape assigns
    # one from the other (ZoneoutCell's first step selects against zeros((0, 0)))
    cond, x, y = in_shapes
    try:
        t = unify_shapes(x, y, "where")
    except MXNetError:
        raise MXNetError(f"where: x and y must have the same shape, got x {tuple(x)} and "
                         f"y {tuple(y)}") from None
    if cond is None:
        # MXNet's WhereOpShape infers nothing until the condition's shape is known
        return list(in_shapes), [None]
    if t is None:
        return list(in_shapes), [None]
    t, cond = tuple(t), tuple(cond)
    if len(cond) == len(t):
        if any(a and b and a != b for a, b in zip(cond, t)):
            raise MXNetError(f"where: condition shape {cond} must equal the shape of x {t} "
                             f"(or be 1-D of length x.shape[0])")
        t = unify_shapes(cond, t, "where")
        cond = t
    elif len(cond) != 1 or (cond[0] and t[0] and cond[0] != t[0]):
        raise MXNetError(f"where: condition shape {cond} must equal the shape of x {t} or be "
                         f"1-D of length x.shape[0] = {t[0]}")
    return [cond, t, t], [t]


def _where_type(p, in_types):
    # the condition keeps its own dtype; x, y and the output share one
    cond, x, y = in_types
    t = x if x is not None else y
    return [cond, t, t], [t]


def _selector(xp, cond, x):
    mask = cond != 0
    if mask.ndim != x.ndim:
        mask = mask.reshape(mask.shape + (1,) * (x.ndim - 1))
    return mask


def _where_forward(sc, p, ins):
    cond, x, y = ins
    one_dtype("where", [x, y], ["x", "y"])
    return [sc.xp.where(_selector(sc.xp, cond, x), x, y)]


def _where_backward(sc, p, ograds, ins, outs):
    xp, g = sc.xp, ograds[0]
    cond, x, y = ins
    mask = _selector(xp, cond, x)
    zero = xp.zeros((), g.dtype)
    return [xp.zeros_like(cond), xp.where(mask, g, zero), xp.where(mask, zero, g)]


register(OpDef(
    name="where", inputs=("condition", "x", "y"), infer_shape=_where_shape, partial_shapes=True,
    infer_type=_where_type, forward=_where_forward, backward=_where_backward,
    doc="Takes x where condition is non-zero, else y; a 1-D condition selects whole rows."))


# ----- add_n --------------------------------------------------------------------------------------
def _add_n_shape(p, in_shapes):
    known = next((tuple(s) for s in in_shapes if s is not None), None)
    for i, s in enumerate(in_shapes):
        if s is not None and tuple(s) != known:
            raise MXNetError(f"add_n: Incompatible attr at input arg{i}: expected shape "
                             f"{known}, got {tuple(s)}")
    return [known] * len(in_shapes), [known]


def _add_n_forward(sc, p, ins):
    out = one_dtype("add_n", ins)[0].copy()
    for x in ins[1:]:
        out += x
    return [out]


register(OpDef(
    name="add_n", aliases=("ElementWiseSum",), variadic=True,
    params=ParamSpec(Int("num_args", 1, "Number of inputs (set automatically).")),
    infer_shape=_add_n_shape, forward=_add_n_forward,
    backward=lambda sc, p, ograds, ins, outs: [ograds[0]] * len(ins),
    doc="Sums all inputs element-wise (they share one shape and dtype)."))


# ----- Cast ---------------------------------------------------------------------------------------
_CAST_TYPES = ("float32", "float64", "float16", "bfloat16", "uint8", "int8", "int32", "int64",
               "bool")


def _cast_target(p):
    if p["dtype"] == "bfloat16":
        raise MXNetError("Cast: dtype='bfloat16' is not supported by mxlite (NumPy and CuPy "
                         "have no bfloat16 arithmetic)")
    return np.dtype(p["dtype"])


def _cast(xp, x, dtype):
    """``x`` converted as C++'s static_cast does: floats truncate toward zero and wrap."""
    # out-of-range values overflow silently, as in C++ (1e20 -> inf as float16)
    with np.errstate(invalid="ignore", over="ignore"):
        if x.dtype.kind == "f" and dtype.kind in "iu":
            # through int64 first: out-of-range values wrap (300.5 -> 44 as uint8, -1 -> 255)
            return xp.trunc(x).astype(np.int64).astype(dtype)
        return x.astype(dtype)


register(OpDef(
    name="Cast", aliases=("cast",),
    params=ParamSpec(Enum("dtype", _CAST_TYPES, REQUIRED, "Output data type.")),
    infer_shape=same_shape,
    infer_type=lambda p, t: ([t[0]], [_cast_target(p)]),
    forward=lambda sc, p, ins: [_cast(sc.xp, ins[0], _cast_target(p))],
    # the gradient passes through, cast back to the input's dtype
    backward=lambda sc, p, g, ins, outs: [_cast(sc.xp, g[0], ins[0].dtype)],
    doc="Casts to dtype; float to integer truncates toward zero."))


# ----- identity / zeros_like / ones_like ----------------------------------------------------------
register(OpDef(
    name="_copy", aliases=("identity",), infer_shape=same_shape,
    forward=lambda sc, p, ins: [ins[0].copy()],
    backward=lambda sc, p, g, ins, outs: [g[0]], backward_reads=READS_NOTHING,
    grad_passthrough=(0,),
    doc="Returns a copy of the input."))


def _fill_forward(fn_name):
    return lambda sc, p, ins: [getattr(sc.xp, fn_name)(ins[0])]


for _name in ("zeros_like", "ones_like"):
    register(OpDef(
        name=_name, infer_shape=same_shape, forward=_fill_forward(_name),
        backward=lambda sc, p, g, ins, outs: [sc.xp.zeros_like(ins[0])],
        needs_head_grad=False,
        doc=f"An array of {_name.split('_')[0]} with the input's shape and dtype."))


# ----- div_sqrt_dim -------------------------------------------------------------------------------
def _div_sqrt_dim(xp, x):
    if x.ndim < 1:
        raise MXNetError("_contrib_div_sqrt_dim: data must have >= 1 dimension")
    # DivSqrtDimForward_: the divisor is DType(sqrt(last dim)), truncated for integer types,
    # and the division is C's (truncating) one there
    root = np.sqrt(float(x.shape[-1]))
    if x.dtype.kind in "iu":
        div = int(root)
        return (xp.sign(x) * (xp.abs(x) // div)).astype(x.dtype)
    return x / x.dtype.type(root)


register(OpDef(
    name="_contrib_div_sqrt_dim", inputs=("data",),
    forward=lambda sc, p, ins: [_div_sqrt_dim(sc.xp, ins[0])],
    backward=lambda sc, p, ograds, ins, outs: [_div_sqrt_dim(sc.xp, ograds[0])],
    infer_shape=lambda p, s: ([s[0]], [s[0]]),
    doc="data / sqrt(data.shape[-1])."))
