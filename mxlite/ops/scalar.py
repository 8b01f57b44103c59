"""Array-with-scalar ops behind the operator overloads (``a + 1``, ``2 ** a``, ``a > 0`` ...).

Each row declares MXNet's op name, its legacy alias, the forward and the gradient. The scalar is a
Python float (MXNet's ``scalar`` parameter is a double); integer arrays compute in their own integer
type.
"""
from ._util import quiet, safe_mod
from .params import Bool, Float, ParamSpec
from .pointwise import Pointwise
from .registry import OpDef, register, same_shape

_PARAMS = ParamSpec(Float("scalar", 1.0, "scalar input value"),
                    Bool("is_int", True, "Indicate whether scalar input is int type"))


def _s(xp, x, p):
    """The scalar in a form that keeps ``x``'s dtype (an int for integer arrays)."""
    return int(p["scalar"]) if x.dtype.kind in "iub" else float(p["scalar"])


def _div(xp, x, s):
    if x.dtype.kind in "iub":
        return xp.trunc(x / s).astype(x.dtype) if s else xp.zeros_like(x)
    return x / s


def _rdiv(xp, x, s):
    with quiet(xp):
        out = s / x
    return out.astype(x.dtype) if x.dtype.kind in "iub" else out


def _rpow(xp, x, s):
    if x.dtype.kind in "iu":
        # integer arrays: MXNet computes the power in floating point and truncates
        return xp.trunc(float(s) ** x.astype(xp.float64)).astype(x.dtype)
    return s ** x


def _cmp(fn):
    return lambda xp, x, s: fn(x, s).astype(x.dtype)


def _full(xp, x, s):
    return xp.full(x.shape, s, dtype=x.dtype)


# name, legacy alias, forward(xp, x, s), grad(xp, g, x, s, out) or None (zero grad, no head grad)
SCALAR = [
    ("_plus_scalar", "_PlusScalar", lambda xp, x, s: x + s, lambda xp, g, x, s, out: g),
    ("_minus_scalar", "_MinusScalar", lambda xp, x, s: x - s, lambda xp, g, x, s, out: g),
    ("_rminus_scalar", "_RMinusScalar", lambda xp, x, s: s - x, lambda xp, g, x, s, out: -g),
    ("_mul_scalar", "_MulScalar", lambda xp, x, s: x * s, lambda xp, g, x, s, out: g * s),
    ("_div_scalar", "_DivScalar", _div, lambda xp, g, x, s, out: g / s),
    ("_rdiv_scalar", "_RDivScalar", _rdiv, lambda xp, g, x, s, out: -g * s / (x * x)),
    ("_power_scalar", "_PowerScalar", lambda xp, x, s: x ** s,
     lambda xp, g, x, s, out: g * s * x ** (s - 1)),
    ("_rpower_scalar", "_RPowerScalar", lambda xp, x, s: _rpow(xp, x, s),
     lambda xp, g, x, s, out: g * out * xp.log(xp.asarray(s, dtype=x.dtype))),
    ("_mod_scalar", "_ModScalar", lambda xp, x, s: safe_mod(xp, x, _full(xp, x, s)),
     lambda xp, g, x, s, out: g if x.dtype.kind == "f" else xp.zeros_like(x)),
    ("_rmod_scalar", "_RModScalar", lambda xp, x, s: safe_mod(xp, _full(xp, x, s), x),
     lambda xp, g, x, s, out: -g * xp.floor(s / x) if x.dtype.kind == "f"
     else xp.zeros_like(x)),
    ("_maximum_scalar", "_MaximumScalar", lambda xp, x, s: xp.maximum(x, s),
     lambda xp, g, x, s, out: g * (x >= s)),
    ("_minimum_scalar", "_MinimumScalar", lambda xp, x, s: xp.minimum(x, s),
     lambda xp, g, x, s, out: g * (x <= s)),
    ("_hypot_scalar", "_HypotScalar", lambda xp, x, s: xp.hypot(x, s),
     lambda xp, g, x, s, out: g * x / out),
    ("_equal_scalar", "_EqualScalar", _cmp(lambda x, s: x == s), None),
    ("_not_equal_scalar", "_NotEqualScalar", _cmp(lambda x, s: x != s), None),
    ("_greater_scalar", "_GreaterScalar", _cmp(lambda x, s: x > s), None),
    ("_greater_equal_scalar", "_GreaterEqualScalar", _cmp(lambda x, s: x >= s), None),
    ("_lesser_scalar", "_LesserScalar", _cmp(lambda x, s: x < s), None),
    ("_lesser_equal_scalar", "_LesserEqualScalar", _cmp(lambda x, s: x <= s), None),
    ("_logical_and_scalar", "_LogicalAndScalar", _cmp(lambda x, s: (x != 0) & bool(s)), None),
    ("_logical_or_scalar", "_LogicalOrScalar", _cmp(lambda x, s: (x != 0) | bool(s)), None),
    ("_logical_xor_scalar", "_LogicalXorScalar", _cmp(lambda x, s: (x != 0) ^ bool(s)), None),
]


def _make(fn, grad):
    def forward(sc, p, ins):
        x = ins[0]
        with quiet(sc.xp):
            return [sc.xp.asarray(fn(sc.xp, x, _s(sc.xp, x, p)), dtype=x.dtype)]

    def backward(sc, p, ograds, ins, outs):
        x = ins[0]
        if grad is None:
            return [sc.xp.zeros_like(x)]
        with quiet(sc.xp):
            g = grad(sc.xp, ograds[0], x, _s(sc.xp, x, p), outs[0])
        return [sc.xp.asarray(g, dtype=x.dtype)]
    return forward, backward


# rows fusable by ``ops.pointwise`` (their formulas traced with the scalar as a constant); mod
# and the comparisons stay unfused
_FUSABLE = {"_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
            "_rdiv_scalar", "_power_scalar", "_rpower_scalar", "_maximum_scalar",
            "_minimum_scalar", "_hypot_scalar"}


def _pointwise(fn, grad):
    return Pointwise(lambda xp, p, x: fn(xp, x, _s(xp, x, p)),
                     lambda xp, p, g, x, out: (grad(xp, g, x, _s(xp, x, p), out),))


for _name, _alias, _fn, _grad in SCALAR:
    _fwd, _bwd = _make(_fn, _grad)
    register(OpDef(name=_name, aliases=(_alias,), params=_PARAMS, forward=_fwd, backward=_bwd,
                   pointwise=_pointwise(_fn, _grad) if _name in _FUSABLE else None,
                   infer_shape=same_shape, needs_head_grad=_grad is not None,
                   doc=f"{_name.strip('_').replace('_', ' ')} of an array and a scalar."))
