"""NumPy float64 references for BatchNorm, LRN, Dropout, Embedding, take, one_hot and LeakyReLU.

Written from the formulas in MXNET_SEMANTICS.md (§7.1, §7.3, §7.4) with explicit loops where that
keeps them obviously right; they never import mxlite.
"""
import math

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


def _bshape(x, axis):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return shape


def batch_norm(x, gamma, beta, moving_mean, moving_var, eps=1e-3, fix_gamma=True,
               use_global_stats=False, train=False, axis=1, output_mean_var=False):
    """BatchNorm outputs: [y] or [y, mean, invstd] with output_mean_var."""
    axis %= x.ndim
    red = tuple(i for i in range(x.ndim) if i != axis)
    if train and not use_global_stats:
        mean = x.mean(axis=red)
        var = x.var(axis=red)  # biased (ddof=0)
    else:
        mean, var = moving_mean, moving_var
    invstd = 1.0 / np.sqrt(var + eps)
    g = np.ones_like(gamma) if fix_gamma else gamma
    b = _bshape(x, axis)
    y = (x - mean.reshape(b)) * invstd.reshape(b) * g.reshape(b) + beta.reshape(b)
    return [y, mean, invstd] if output_mean_var else [y]


def batch_norm_moving(x, moving_mean, moving_var, momentum=0.9, axis=1):
    """Moving statistics after one training backward: momentum-weighted with the biased variance."""
    axis %= x.ndim
    red = tuple(i for i in range(x.ndim) if i != axis)
    return (momentum * moving_mean + (1 - momentum) * x.mean(axis=red),
            momentum * moving_var + (1 - momentum) * x.var(axis=red))


def lrn(x, nsize, alpha=1e-4, beta=0.75, knorm=2.0):
    """out[n, c] = x[n, c] / (knorm + alpha/nsize * sum_{|c'-c| <= nsize//2} x[n, c']^2) ^ beta."""
    half = nsize // 2
    channels = x.shape[1]
    out = np.empty_like(x)
    for c in range(channels):
        lo, hi = max(0, c - half), min(channels, c + half + 1)
        s = (x[:, lo:hi] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (knorm + alpha / nsize * s) ** beta
    return out


def _index(value):
    """C's cast of an index: truncation toward zero."""
    return int(math.trunc(float(value)))


def embedding(ids, weight):
    out = np.empty(ids.shape + (weight.shape[1],))
    for pos in np.ndindex(ids.shape):
        j = min(max(_index(ids[pos]), 0), weight.shape[0] - 1)
        out[pos] = weight[j]
    return out


def embedding_weight_grad(ids, weight, head):
    grad = np.zeros_like(weight)
    for pos in np.ndindex(ids.shape):
        j = min(max(_index(ids[pos]), 0), weight.shape[0] - 1)
        grad[j] += head[pos]
    return grad


def _resolve(j, n, mode):
    if mode == "wrap":
        return j % n
    if mode == "raise":
        assert 0 <= j < n, "index out of range in a raise-mode reference"
        return j
    return min(max(j, 0), n - 1)


def take(a, indices, axis=0, mode="clip"):
    axis %= a.ndim
    n = a.shape[axis]
    flat = [_resolve(_index(v), n, mode) for v in indices.reshape(-1)]
    picked = np.stack([np.take(a, j, axis=axis) for j in flat], axis=axis)
    return picked.reshape(a.shape[:axis] + indices.shape + a.shape[axis + 1:])


def one_hot(indices, depth, on_value=1.0, off_value=0.0):
    out = np.full(indices.shape + (depth,), off_value)
    for pos in np.ndindex(indices.shape):
        j = _index(indices[pos])
        if 0 <= j < depth:
            out[pos + (j,)] = on_value
    return out


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


def selu_grad_mxnet(x, head):
    """MXNet's selu gradient: lambda * (alpha + y) for x <= 0 where y is the output (not the
    derivative lambda * alpha * exp(x)); mshadow_op.h selu_grad."""
    y = leaky_relu(x, "selu")
    return head * SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA + y)
