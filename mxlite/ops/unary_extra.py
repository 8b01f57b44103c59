"""More unary element-wise ops: ``rcbrt``, ``gamma``, ``gammaln`` and the parametrised
``smooth_l1`` and ``hard_sigmoid``.

Gradients follow MXNet's backward kernels (``src/operator/mshadow_op.h``,
``src/operator/tensor/elemwise_unary_op.h``), which all read the *input*:

- ``rcbrt``: ``-1 / (3 * cbrt(x) * x)``;
- ``gamma``: ``gamma(x) * digamma(x)``, ``gammaln``: ``digamma(x)``; for float16/float32 MXNet
  evaluates these in float32, for float64 in float64, which is what computing in the array's own
  (float16 promoted to float32) precision gives;
- ``smooth_l1`` (parameter ``scalar`` = sigma, as MXNet names it): ``sign(x)`` outside
  ``|x| <= 1/sigma^2`` and ``sigma^2 * x`` inside; the boundary itself counts as inside;
- ``hard_sigmoid``: ``alpha`` where ``0 < alpha*x + beta < 1`` (strictly), else 0.
"""
import numpy as np

from .elemwise import _quiet
from .params import Bool, Float, ParamSpec
from .registry import OpDef, register, same_shape
from .special import digamma, gamma, gammaln


def _acc(xp, x):
    """float16 data computes in float32 (MXNet's kernels cast half to float for these)."""
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _unary(name, fn, grad, params=None, doc=""):
    """Register an element-wise op: ``fn(xp, x, p)`` forward, ``grad(xp, g, x, p)`` backward, both
    on accumulation-type arrays."""
    def forward(sc, p, ins):
        x = ins[0]
        with _quiet(sc.xp):
            return [fn(sc.xp, _acc(sc.xp, x), p).astype(x.dtype, copy=False)]

    def backward(sc, p, ograds, ins, outs):
        xp = sc.xp
        x = ins[0]
        with _quiet(xp):
            dx = grad(xp, _acc(xp, ograds[0]), _acc(xp, x), p)
        return [dx.astype(x.dtype, copy=False)]

    register(OpDef(name=name, params=params or ParamSpec(), forward=forward, backward=backward,
                   infer_shape=same_shape, doc=doc))


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
