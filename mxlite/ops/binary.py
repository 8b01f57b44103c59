"""Binary element-wise ops: ``elemwise_*`` (identical shapes), ``broadcast_*`` (NumPy
broadcasting) and the two-symbol operator overloads (``_power``, ``_maximum``, comparisons ...).

Each row of ``BINARY`` declares one math function with its gradient; it is registered once per
flavour (element-wise and broadcast) under MXNet's names. Gradients of broadcast inputs are summed
over the broadcast axes.
"""

from ..base import MXNetError
from ._util import fmt_list, quiet, safe_mod, unbroadcast
from .pointwise import Pointwise
from .registry import READS_SHAPES, OpDef, register, unify_shapes

__all__ = ["BINARY", "broadcast_shape"]


def _int_div(xp, a, b):
    if a.dtype.kind in "iub":
        with quiet(xp):
            return xp.trunc(a / xp.where(b == 0, 1, b)).astype(a.dtype)
    return a / b


def _cmp(fn):
    return lambda xp, a, b: fn(xp, a, b).astype(a.dtype)


def _zero_grads(xp, g, a, b, out):
    return xp.zeros_like(a), xp.zeros_like(b)


def _power_grads(xp, g, a, b, out):
    with quiet(xp):
        return g * b * a ** (b - 1), g * out * xp.log(a)


def _mod_grads(xp, g, a, b, out):
    if a.dtype.kind != "f":
        return xp.zeros_like(a), xp.zeros_like(b)  # mod has no gradient for integers
    with quiet(xp):
        return g, -g * xp.floor(a / b)


def _hypot_grads(xp, g, a, b, out):
    with quiet(xp):
        return g * a / out, g * b / out


# name, (elemwise name, elemwise aliases), (broadcast name, aliases), forward(xp,a,b),
# grads(xp,g,a,b,out) or None for ops with zero gradient that need no head gradient.
BINARY = [
    ("add", ("elemwise_add", ("_plus", "_Plus", "_add")), ("broadcast_add", ("broadcast_plus",)),
     lambda xp, a, b: a + b, lambda xp, g, a, b, out: (g, g)),
    ("sub", ("elemwise_sub", ("_minus", "_Minus", "_sub")), ("broadcast_sub", ("broadcast_minus",)),
     lambda xp, a, b: a - b, lambda xp, g, a, b, out: (g, -g)),
    ("mul", ("elemwise_mul", ("_mul", "_Mul")), ("broadcast_mul", ()),
     lambda xp, a, b: a * b, lambda xp, g, a, b, out: (g * b, g * a)),
    ("div", ("elemwise_div", ("_div", "_Div")), ("broadcast_div", ()),
     _int_div, lambda xp, g, a, b, out: (g / b, -g * a / (b * b))),
    ("mod", ("_mod", ("_Mod",)), ("broadcast_mod", ()), safe_mod, _mod_grads),
    ("power", ("_power", ("_Power",)), ("broadcast_power", ()),
     lambda xp, a, b: a ** b, _power_grads),
    ("maximum", ("_maximum", ("_Maximum",)), ("broadcast_maximum", ()),
     lambda xp, a, b: xp.maximum(a, b),
     lambda xp, g, a, b, out: (g * (a >= b), g * (a < b))),
    ("minimum", ("_minimum", ("_Minimum",)), ("broadcast_minimum", ()),
     lambda xp, a, b: xp.minimum(a, b),
     lambda xp, g, a, b, out: (g * (a <= b), g * (a > b))),
    ("hypot", ("_hypot", ("_Hypot",)), ("broadcast_hypot", ()),
     lambda xp, a, b: xp.hypot(a, b), _hypot_grads),
    ("equal", ("_equal", ("_Equal",)), ("broadcast_equal", ()),
     _cmp(lambda xp, a, b: a == b), None),
    ("not_equal", ("_not_equal", ("_Not_Equal",)), ("broadcast_not_equal", ()),
     _cmp(lambda xp, a, b: a != b), None),
    ("greater", ("_greater", ("_Greater",)), ("broadcast_greater", ()),
     _cmp(lambda xp, a, b: a > b), None),
    ("greater_equal", ("_greater_equal", ("_Greater_Equal",)), ("broadcast_greater_equal", ()),
     _cmp(lambda xp, a, b: a >= b), None),
    ("lesser", ("_lesser", ("_Lesser",)), ("broadcast_lesser", ()),
     _cmp(lambda xp, a, b: a < b), None),
    ("lesser_equal", ("_lesser_equal", ("_Lesser_Equal",)), ("broadcast_lesser_equal", ()),
     _cmp(lambda xp, a, b: a <= b), None),
    ("logical_and", ("_logical_and", ("_Logical_And",)), ("broadcast_logical_and", ()),
     _cmp(lambda xp, a, b: xp.logical_and(a, b)), None),
    ("logical_or", ("_logical_or", ("_Logical_Or",)), ("broadcast_logical_or", ()),
     _cmp(lambda xp, a, b: xp.logical_or(a, b)), None),
    ("logical_xor", ("_logical_xor", ("_Logical_Xor",)), ("broadcast_logical_xor", ()),
     _cmp(lambda xp, a, b: xp.logical_xor(a, b)), None),
]


def _elemwise_shape(name):
    def infer(p, in_shapes):
        a, b = in_shapes
        try:
            known = unify_shapes(a, b)  # partial shapes unify dimension by dimension
        except MXNetError:
            raise MXNetError(f"Incompatible attr in node {name} at 1-th input (rhs): expected "
                             f"{fmt_list(a)} (the shape of lhs), got {fmt_list(b)}") from None
        return [known, known], [known]
    return infer


def broadcast_shape(op_name, a, b):
    """NumPy right-aligned broadcasting of two shapes; MXNetError naming both when they clash."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(pa, pb):
        if x != y and x != 1 and y != 1:
            raise MXNetError(f"Error in operator {op_name}: operands could not be broadcast "
                             f"together with shapes {fmt_list(a)} (lhs) {fmt_list(b)} (rhs)")
        out.append(max(x, y) if x and y else 0)
    return tuple(out)


def _broadcast_shape_rule(name):
    def infer(p, in_shapes):
        a, b = in_shapes
        if a is None or b is None:
            return list(in_shapes), [None]
        return [a, b], [broadcast_shape(name, a, b)]
    return infer


def _make_forward(fn):
    def forward(sc, p, ins):
        xp = sc.xp
        a, b = ins
        if a.dtype != b.dtype:
            raise MXNetError(f"Error in operator {sc.node_name}: inputs must have one dtype, "
                             f"got {a.dtype} and {b.dtype}")
        with quiet(xp):  # inf/nan results are values here, as in MXNet, not warnings
            return [fn(xp, a, b)]
    return forward


def _make_backward(grads):
    if grads is None:
        def backward(sc, p, ograds, ins, outs):
            a, b = ins
            return [sc.xp.zeros(a.shape, a.dtype), sc.xp.zeros(b.shape, b.dtype)]
        return backward

    def backward(sc, p, ograds, ins, outs):
        xp = sc.xp
        a, b = ins
        with quiet(xp):
            ga, gb = grads(xp, ograds[0], a, b, outs[0])
        return [unbroadcast(xp, xp.asarray(ga, dtype=a.dtype), a.shape),
                unbroadcast(xp, xp.asarray(gb, dtype=b.dtype), b.shape)]
    return backward


_PASSTHROUGH = {"add": (0, 1), "sub": (0,)}
# the element-wise (identical shapes) flavour of these rows is fusable (``ops.pointwise``); the
# broadcast flavour, the comparisons and mod (integer-only branches) stay unfused
_FUSABLE = ("add", "sub", "mul", "div", "power", "maximum", "minimum", "hypot")


def _pointwise(fn, grads):
    return Pointwise(lambda xp, p, a, b: fn(xp, a, b),
                     lambda xp, p, g, a, b, out: grads(xp, g, a, b, out))


def _register_all():
    for key, (ew_name, ew_aliases), (bc_name, bc_aliases), fn, grads in BINARY:
        fwd, bwd = _make_forward(fn), _make_backward(grads)
        for name, aliases, shape_rule in ((ew_name, ew_aliases, _elemwise_shape),
                                          (bc_name, bc_aliases, _broadcast_shape_rule)):
            register(OpDef(name=name, aliases=aliases, inputs=("lhs", "rhs"), forward=fwd,
                           backward=bwd, infer_shape=shape_rule(name),
                           partial_shapes=shape_rule is _elemwise_shape,
                           needs_head_grad=grads is not None,
                           # add, sub and the comparisons read no value in backward
                           backward_reads=(READS_SHAPES if grads is None or key in ("add", "sub")
                                           else None),
                           # elemwise_add's input gradients are the head gradient itself
                           grad_passthrough=_PASSTHROUGH.get(key, ()) if name == ew_name else (),
                           fresh_outputs=True,
                           pointwise=(_pointwise(fn, grads)
                                      if name == ew_name and key in _FUSABLE else None),
                           doc=f"Element-wise {name.split('_', 1)[-1]} of lhs and rhs"
                               + (" with broadcasting." if name.startswith("broadcast")
                                  else " (identical shapes).")))


_register_all()
