"""Unary element-wise math: ``exp``, ``log``, ``sqrt``, ``relu``, ``sign``, rounding ... one row
per op.

Gradient rows receive ``(xp, g, x, out)``. Rounding ops have a zero gradient and need no head
gradient; ``sign`` has a zero gradient but, as in MXNet, still asks for one.
"""
import math

from .elemwise import _quiet
from .registry import OpDef, register, same_shape
from .special import erf

_SQRT_2_OVER_PI = 2.0 / math.sqrt(math.pi)


def _zero(xp, g, x, out):
    return xp.zeros_like(x)


# name, aliases, forward(xp, x), grad(xp, g, x, out) or None (zero grad, no head gradient)
UNARY = [
    ("negative", (), lambda xp, x: -x, lambda xp, g, x, out: -g),
    ("abs", (), lambda xp, x: xp.abs(x), lambda xp, g, x, out: g * xp.sign(x)),
    ("sign", (), lambda xp, x: xp.sign(x), _zero),
    ("exp", (), lambda xp, x: xp.exp(x), lambda xp, g, x, out: g * out),
    ("log", (), lambda xp, x: xp.log(x), lambda xp, g, x, out: g / x),
    ("log2", (), lambda xp, x: xp.log2(x), lambda xp, g, x, out: g / (x * math.log(2.0))),
    ("log10", (), lambda xp, x: xp.log10(x), lambda xp, g, x, out: g / (x * math.log(10.0))),
    ("log1p", (), lambda xp, x: xp.log1p(x), lambda xp, g, x, out: g / (1 + x)),
    ("expm1", (), lambda xp, x: xp.expm1(x), lambda xp, g, x, out: g * (out + 1)),
    ("sqrt", (), lambda xp, x: xp.sqrt(x), lambda xp, g, x, out: g * 0.5 / out),
    ("rsqrt", (), lambda xp, x: 1 / xp.sqrt(x), lambda xp, g, x, out: -0.5 * g * out * out * out),
    ("cbrt", (), lambda xp, x: xp.cbrt(x), lambda xp, g, x, out: g / (3 * out * out)),
    ("square", (), lambda xp, x: x * x, lambda xp, g, x, out: 2 * g * x),
    ("reciprocal", (), lambda xp, x: 1 / x, lambda xp, g, x, out: -g / (x * x)),
    ("sin", (), lambda xp, x: xp.sin(x), lambda xp, g, x, out: g * xp.cos(x)),
    ("cos", (), lambda xp, x: xp.cos(x), lambda xp, g, x, out: -g * xp.sin(x)),
    ("tan", (), lambda xp, x: xp.tan(x), lambda xp, g, x, out: g * (1 + out * out)),
    ("arcsin", (), lambda xp, x: xp.arcsin(x), lambda xp, g, x, out: g / xp.sqrt(1 - x * x)),
    ("arccos", (), lambda xp, x: xp.arccos(x), lambda xp, g, x, out: -g / xp.sqrt(1 - x * x)),
    ("arctan", (), lambda xp, x: xp.arctan(x), lambda xp, g, x, out: g / (1 + x * x)),
    ("sinh", (), lambda xp, x: xp.sinh(x), lambda xp, g, x, out: g * xp.cosh(x)),
    ("cosh", (), lambda xp, x: xp.cosh(x), lambda xp, g, x, out: g * xp.sinh(x)),
    ("tanh", (), lambda xp, x: xp.tanh(x), lambda xp, g, x, out: g * (1 - out * out)),
    ("arcsinh", (), lambda xp, x: xp.arcsinh(x), lambda xp, g, x, out: g / xp.sqrt(x * x + 1)),
    ("arccosh", (), lambda xp, x: xp.arccosh(x), lambda xp, g, x, out: g / xp.sqrt(x * x - 1)),
    ("arctanh", (), lambda xp, x: xp.arctanh(x), lambda xp, g, x, out: g / (1 - x * x)),
    ("sigmoid", (), lambda xp, x: 1 / (1 + xp.exp(-x)), lambda xp, g, x, out: g * out * (1 - out)),
    ("relu", (), lambda xp, x: xp.maximum(x, 0), lambda xp, g, x, out: g * (x > 0)),
    ("softsign", (), lambda xp, x: x / (1 + xp.abs(x)),
     lambda xp, g, x, out: g / ((1 + xp.abs(x)) ** 2)),
    ("erf", (), lambda xp, x: erf(xp, x),
     lambda xp, g, x, out: g * _SQRT_2_OVER_PI * xp.exp(-x * x)),
    ("degrees", (), lambda xp, x: xp.degrees(x), lambda xp, g, x, out: g * (180 / math.pi)),
    ("radians", (), lambda xp, x: xp.radians(x), lambda xp, g, x, out: g * (math.pi / 180)),
    ("logical_not", (), lambda xp, x: (x == 0).astype(x.dtype), None),
    ("round", (), lambda xp, x: xp.where(x >= 0, xp.floor(x + 0.5), xp.ceil(x - 0.5)), None),
    # MXNet's rint sends halves down (mshadow_op.h), unlike NumPy's half-to-even
    ("rint", (), lambda xp, x: xp.ceil(x - 0.5), None),
    ("floor", (), lambda xp, x: xp.floor(x), None),
    ("ceil", (), lambda xp, x: xp.ceil(x), None),
    ("trunc", (), lambda xp, x: xp.trunc(x), None),
    ("fix", (), lambda xp, x: xp.fix(x), None),
]


def _make(fn, grad):
    def forward(sc, p, ins):
        x = ins[0]
        with _quiet(sc.xp):
            return [sc.xp.asarray(fn(sc.xp, x), dtype=x.dtype)]

    def backward(sc, p, ograds, ins, outs):
        x = ins[0]
        if grad is None:
            return [sc.xp.zeros_like(x)]
        with _quiet(sc.xp):
            return [sc.xp.asarray(grad(sc.xp, ograds[0], x, outs[0]), dtype=x.dtype)]
    return forward, backward


for _name, _aliases, _fn, _grad in UNARY:
    _fwd, _bwd = _make(_fn, _grad)
    register(OpDef(name=_name, aliases=_aliases, forward=_fwd, backward=_bwd,
                   infer_shape=same_shape, needs_head_grad=_grad is not None,
                   doc=f"Element-wise {_name} of the input."))
