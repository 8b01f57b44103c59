"""NumPy float64 references for the unary family: ``UNARY`` maps each plain element-wise op to its
NumPy function; rcbrt, gamma, gammaln, smooth_l1 and hard_sigmoid, which take params or need
``math``, are functions of their own.

Written from the ops' documented meaning (MXNet 1.9.x mshadow_op.h), never from mxlite's code.
"""
import math

import numpy as np

_erf = np.vectorize(math.erf)


def _erfinv_scalar(v):
    """erfinv by bisection on math.erf (no shared code with mxlite's approximation)."""
    if abs(v) >= 1:
        return math.copysign(math.inf, v) if abs(v) == 1 else math.nan
    lo, hi = -7.0, 7.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
    return 0.5 * (lo + hi)


_erfinv = np.vectorize(_erfinv_scalar, otypes=[np.float64])

UNARY = {
    "negative": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "cbrt": np.cbrt, "square": np.square,
    "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
    "arctanh": np.arctanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0), "softsign": lambda x: x / (1 + np.abs(x)),
    "erf": lambda x: _erf(x), "erfinv": lambda x: _erfinv(x), "degrees": np.degrees,
    "radians": np.radians,
    "logical_not": lambda x: (x == 0) * 1.0,
    "round": lambda x: np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)),
    "rint": lambda x: np.ceil(x - 0.5), "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
    "fix": np.fix,
}


def rcbrt(x):
    return 1.0 / np.cbrt(x)


def gamma(x):
    return np.vectorize(math.gamma)(x)


def gammaln(x):
    return np.vectorize(math.lgamma)(x)


def smooth_l1(x, sigma=1.0):
    """0.5 * (sigma x)^2 for |x| < 1/sigma^2, else |x| - 0.5/sigma^2."""
    s2 = sigma * sigma
    return np.where(np.abs(x) < 1 / s2, 0.5 * s2 * x * x, np.abs(x) - 0.5 / s2)


def hard_sigmoid(x, alpha=0.2, beta=0.5):
    return np.minimum(1.0, np.maximum(0.0, alpha * x + beta))
