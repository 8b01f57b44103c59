"""NumPy float64 references for the activation family: Activation's act_types, LeakyReLU's
(leaky, prelu, elu, selu, gelu, rrelu at inference), and prelu with the
general gamma shapes.

Written from the formulas in MXNET_SEMANTICS.md (§7.1) and MXNet 1.9.x's leaky_relu-inl.h; they
never import mxlite.
"""
import math

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


def activation(x, act_type):
    return {"relu": lambda: np.maximum(x, 0), "sigmoid": lambda: 1 / (1 + np.exp(-x)),
            "tanh": lambda: np.tanh(x), "softrelu": lambda: np.log1p(np.exp(x)),
            "softsign": lambda: x / (1 + np.abs(x))}[act_type]()


def _erf(x):
    return np.vectorize(math.erf)(x)


def leaky_relu(x, act_type="leaky", slope=0.25, gamma=None, lower_bound=0.125,
               upper_bound=0.334):
    if act_type in ("leaky", "rrelu"):
        s = slope if act_type == "leaky" else (lower_bound + upper_bound) / 2
        return np.where(x > 0, x, s * x)
    if act_type == "prelu":
        g = gamma.reshape((1, -1) + (1,) * (x.ndim - 2))
        return np.where(x > 0, x, g * x)
    if act_type == "elu":
        return np.where(x > 0, x, slope * np.expm1(np.minimum(x, 0)))
    if act_type == "selu":
        return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    if act_type == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    raise ValueError(act_type)


def prelu(x, gamma):
    """gamma's dims placed right to left on data axes 1 and 0 where equal (or 1), as MXNet's
    LeakyReLUOp::expand_shape; every other axis broadcasts."""
    shape = [1] * x.ndim
    s = gamma.ndim - 1
    for i in reversed(range(x.ndim)):
        if s >= 0 and i <= 1 and gamma.shape[s] in (x.shape[i], 1):
            shape[i] = gamma.shape[s]
            s -= 1
    assert s == -1, "gamma cannot be placed"
    return np.where(x > 0, x, gamma.reshape(shape) * x)
