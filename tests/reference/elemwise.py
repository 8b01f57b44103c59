"""NumPy float64 references for element-wise, scalar and unary ops."""
import math

import numpy as np

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "power": np.power, "maximum": np.maximum, "minimum": np.minimum, "hypot": np.hypot,
    "mod": lambda a, b: np.where(b == 0, 0.0, np.mod(a, b)),
    "equal": lambda a, b: (a == b) * 1.0, "not_equal": lambda a, b: (a != b) * 1.0,
    "greater": lambda a, b: (a > b) * 1.0, "greater_equal": lambda a, b: (a >= b) * 1.0,
    "lesser": lambda a, b: (a < b) * 1.0, "lesser_equal": lambda a, b: (a <= b) * 1.0,
    "logical_and": lambda a, b: np.logical_and(a, b) * 1.0,
    "logical_or": lambda a, b: np.logical_or(a, b) * 1.0,
    "logical_xor": lambda a, b: np.logical_xor(a, b) * 1.0,
}

SCALAR = {
    "_plus_scalar": lambda x, s: x + s, "_minus_scalar": lambda x, s: x - s,
    "_rminus_scalar": lambda x, s: s - x, "_mul_scalar": lambda x, s: x * s,
    "_div_scalar": lambda x, s: x / s, "_rdiv_scalar": lambda x, s: s / x,
    "_power_scalar": lambda x, s: x ** s, "_rpower_scalar": lambda x, s: s ** x,
    "_mod_scalar": lambda x, s: np.mod(x, s), "_rmod_scalar": lambda x, s: np.mod(s, x),
    "_maximum_scalar": np.maximum, "_minimum_scalar": np.minimum,
    "_hypot_scalar": np.hypot,
    "_equal_scalar": lambda x, s: (x == s) * 1.0, "_not_equal_scalar": lambda x, s: (x != s) * 1.0,
    "_greater_scalar": lambda x, s: (x > s) * 1.0,
    "_greater_equal_scalar": lambda x, s: (x >= s) * 1.0,
    "_lesser_scalar": lambda x, s: (x < s) * 1.0,
    "_lesser_equal_scalar": lambda x, s: (x <= s) * 1.0,
    "_logical_and_scalar": lambda x, s: np.logical_and(x, s) * 1.0,
    "_logical_or_scalar": lambda x, s: np.logical_or(x, s) * 1.0,
    "_logical_xor_scalar": lambda x, s: np.logical_xor(x, s) * 1.0,
}

_erf = np.vectorize(math.erf)

UNARY = {
    "negative": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "cbrt": np.cbrt, "square": np.square,
    "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
    "arctanh": np.arctanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0), "softsign": lambda x: x / (1 + np.abs(x)),
    "erf": lambda x: _erf(x), "degrees": np.degrees, "radians": np.radians,
    "logical_not": lambda x: (x == 0) * 1.0,
    "round": lambda x: np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)),
    "rint": lambda x: np.ceil(x - 0.5), "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
    "fix": np.fix,
}
