"""Unary element-wise math: ``exp``, ``log``, ``sqrt``, ``relu``, ``sign``, rounding, the
trigonometric and hyperbolic functions, ``erf``/``erfinv``, ``gamma``/``gammaln``, ``rcbrt``, and
the parametrised ``smooth_l1`` and ``hard_sigmoid``.

Each row of ``UNARY`` declares one op: forward and gradient, the gradient row receiving ``(xp, g, x,
out)``. Rounding ops have a zero gradient and need no head gradient; ``sign`` has a zero gradient
but, as in MXNet, still asks for one. Gradients follow MXNet's backward kernels
(``src/operator/mshadow_op.h``, ``src/operator/tensor/elemwise_unary_op.h``):

- ``rcbrt``: ``-1 / (3 * cbrt(x) * x)``; ``erfinv``: ``sqrt(pi) / 2 * exp(erfinv(x)^2)``;
- ``gamma``: ``gamma(x) * digamma(x)``, ``gammaln``: ``digamma(x)``; for float16/float32 MXNet
  evaluates these in float32, for float64 in float64, which is what computing in the array's own
  (float16 promoted to float32) precision gives;
- ``smooth_l1`` (parameter ``scalar`` = sigma, as MXNet names it): ``sign(x)`` outside
  ``|x| <= 1/sigma^2`` and ``sigma^2 * x`` inside; the boundary itself counts as inside;
- ``hard_sigmoid``: ``alpha`` where ``0 < alpha*x + beta < 1`` (strictly), else 0.
"""
import math

import numpy as np

from ._special import digamma, erf, erfinv, gamma, gammaln
from ._util import quiet, upcast
from .params import Bool, Float, ParamSpec
from .pointwise import Pointwise
from .registry import FLOAT_DATA, READS_SHAPES, BackwardReads, OpDef, register, same_shape

_SQRT_2_OVER_PI = 2.0 / math.sqrt(math.pi)


def _zero(xp, g, x, out):
    return xp.zeros(x.shape, x.dtype)


# What each row's gradient reads, for the memory planner: the output only (exp, tanh ...),
# nothing but shapes (negative, sign, rounding ...), else the input.
_READS_OUTPUT = BackwardReads(input_shapes=(0,), outputs=(0,))
_READS_INPUT = BackwardReads(inputs=(0,))
_OUTPUT_GRADS = ("exp", "expm1", "sqrt", "rsqrt", "cbrt", "tan", "tanh", "sigmoid", "erfinv")
_SHAPE_GRADS = ("negative", "sign", "degrees", "radians")


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
    # mshadow_op.h erfinv_grad: sqrt(pi) / 2 * exp(erfinv(x)^2), the output squared
    ("erfinv", (), lambda xp, x: erfinv(xp, x),
     lambda xp, g, x, out: g * (0.5 * math.sqrt(math.pi)) * xp.exp(out * out)),
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
        with quiet(sc.xp):
            return [sc.xp.asarray(fn(sc.xp, x), dtype=x.dtype)]

    def backward(sc, p, ograds, ins, outs):
        x = ins[0]
        if grad is None:
            return [sc.xp.zeros(x.shape, x.dtype)]
        with quiet(sc.xp):
            return [sc.xp.asarray(grad(sc.xp, ograds[0], x, outs[0]), dtype=x.dtype)]
    return forward, backward


# computed in floating point: integer or bool data would be truncated (MXNet 1.9.1 gives
# sigmoid(int32 2) = 0), so the type rule refuses it (OpDef.float_inputs)
_FLOAT_MATH = {"exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "cbrt",
               "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
               "tanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "softsign", "erf", "erfinv",
               "degrees", "radians"}

# rows whose forward and gradient are plain scalar formulas: element-wise fusion traces them
# (``ops.pointwise``); the others use functions the tracer does not model (erf, cbrt, rounding)
_FUSABLE = {"negative", "abs", "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
            "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
            "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "relu", "softsign"}


def _pointwise(fn, grad):
    return Pointwise(lambda xp, p, x: fn(xp, x), lambda xp, p, g, x, y: (grad(xp, g, x, y),))


for _name, _aliases, _fn, _grad in UNARY:
    _fwd, _bwd = _make(_fn, _grad)
    register(OpDef(name=_name, aliases=_aliases, forward=_fwd, backward=_bwd,
                   pointwise=_pointwise(_fn, _grad) if _name in _FUSABLE else None,
                   float_inputs=FLOAT_DATA if _name in _FLOAT_MATH else (),
                   infer_shape=same_shape, needs_head_grad=_grad is not None,
                   backward_reads=(_READS_OUTPUT if _name in _OUTPUT_GRADS else READS_SHAPES
                                   if _name in _SHAPE_GRADS or _grad is None else _READS_INPUT),
                   doc=f"Element-wise {_name} of the input."))


def _unary(name, fn, grad, params=None, doc=""):
    """Register an element-wise op: ``fn(xp, x, p)`` forward, ``grad(xp, g, x, p)`` backward, both
    on accumulation-type arrays."""
    def forward(sc, p, ins):
        x = ins[0]
        with quiet(sc.xp):
            return [fn(sc.xp, upcast(sc.xp, x), p).astype(x.dtype, copy=False)]

    def backward(sc, p, ograds, ins, outs):
        xp = sc.xp
        x = ins[0]
        with quiet(xp):
            dx = grad(xp, upcast(xp, ograds[0]), upcast(xp, x), p)
        return [dx.astype(x.dtype, copy=False)]

    register(OpDef(name=name, params=params or ParamSpec(), forward=forward, backward=backward,
                   infer_shape=same_shape, float_inputs=FLOAT_DATA, doc=doc))


# ----- rcbrt, gamma, gammaln ----------------------------------------------------------------------
_unary("rcbrt", lambda xp, x, p: 1 / xp.cbrt(x),
       lambda xp, g, x, p: -g / (3 * xp.cbrt(x) * x),
       doc="Element-wise inverse cube root, 1 / cbrt(x).")
_unary("gamma", lambda xp, x, p: gamma(xp, x),
       lambda xp, g, x, p: g * gamma(xp, x) * digamma(xp, x),
       doc="Element-wise gamma function (the factorial extended to the reals).")
_unary("gammaln", lambda xp, x, p: gammaln(xp, x),
       lambda xp, g, x, p: g * digamma(xp, x),
       doc="Element-wise log of the absolute value of the gamma function.")


# ----- smooth_l1 ----------------------------------------------------------------------------------
# MXNet parses smooth_l1's parameters with the scalar-op schema (NumpyBinaryScalarParam): the
# sigma is called ``scalar``, default 1, and ``is_int`` is accepted and ignored.
_SMOOTH_L1_PARAMS = ParamSpec(Float("scalar", 1.0, "Scalar input value (sigma)"),
                              Bool("is_int", True, "Indicate whether scalar input is int type"))


def _sigma2(x, p):
    # mshadow_op::smooth_l1_loss squares the scalar after casting it to the data type
    return float(np.asarray(p["scalar"], dtype=x.dtype)) ** 2


def _smooth_l1(xp, x, p):
    s2 = _sigma2(x, p)
    inv = 1.0 / s2
    return xp.where(x > inv, x - 0.5 * inv,
                    xp.where(x < -inv, -x - 0.5 * inv, 0.5 * x * x * s2))


def _smooth_l1_grad(xp, g, x, p):
    s2 = _sigma2(x, p)
    inv = 1.0 / s2
    return g * xp.where(x > inv, 1.0, xp.where(x < -inv, -1.0, s2 * x))


_unary("smooth_l1", _smooth_l1, _smooth_l1_grad, _SMOOTH_L1_PARAMS,
       doc="Smooth L1 loss: 0.5 * (sigma * x)^2 where |x| < 1/sigma^2, else |x| - 0.5/sigma^2; "
           "sigma is the parameter ``scalar``.")


# ----- hard_sigmoid -------------------------------------------------------------------------------
_HARD_SIGMOID_PARAMS = ParamSpec(Float("alpha", 0.2, "Slope of hard sigmoid"),
                                 Float("beta", 0.5, "Bias of hard sigmoid."))


def _ab(p):
    # HardSigmoidParam holds alpha and beta as real_t (float32)
    return float(np.float32(p["alpha"])), float(np.float32(p["beta"]))


def _hard_sigmoid(xp, x, p):
    alpha, beta = _ab(p)
    return xp.clip(alpha * x + beta, 0, 1)


def _hard_sigmoid_grad(xp, g, x, p):
    alpha, beta = _ab(p)
    y = alpha * x + beta
    return xp.where((y > 0) & (y < 1), g * alpha, 0)


_unary("hard_sigmoid", _hard_sigmoid, _hard_sigmoid_grad, _HARD_SIGMOID_PARAMS,
       doc="Hard sigmoid, max(0, min(1, alpha * x + beta)), element-wise.")
