"""NumPy float64 references for rcbrt, gamma, gammaln, smooth_l1, hard_sigmoid,
softmax_cross_entropy, SVMOutput, LayerNorm, InstanceNorm, L2Normalization, BatchNorm_v1,
moments, SequenceMask/Last/Reverse, UpSampling and prelu with general gamma shapes.

Written from the formulas in MXNet 1.9.x's operator sources, with loops where that keeps them
obviously right; they never import mxlite.
"""
import math

import numpy as np

from reference import layers as L


# ----- unary --------------------------------------------------------------------------------------
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


# ----- losses -------------------------------------------------------------------------------------
def _softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(x, label):
    prob = _softmax_rows(x)
    total = 0.0
    for i, k in enumerate(label):
        total -= math.log(max(prob[i, int(k)], 1e-8))
    return np.array([total])


def svm_grad(out, label, margin=1.0, coef=1.0, use_linear=False):
    """One-vs-all hinge gradient of SVMOutput, row by row as svm_output.cc's L1_SVM / L2_SVM."""
    y = out.reshape(out.shape[0], -1)
    grad = np.zeros_like(y)
    for i in range(y.shape[0]):
        k = int(label.reshape(-1)[i])
        for j in range(y.shape[1]):
            if j == k:
                hit = margin > y[i, j]
                grad[i, j] = -coef * (1.0 if use_linear else 2 * (margin - y[i, j])) * hit
            else:
                hit = margin > -y[i, j]
                grad[i, j] = coef * (1.0 if use_linear else 2 * (margin + y[i, j])) * hit
    return grad.reshape(out.shape)


# ----- normalisation ------------------------------------------------------------------------------
def layer_norm(x, gamma, beta, axis=-1, eps=1e-5):
    """[y, mean, std] with mean/std keeping the normalised axis as size 1."""
    axis %= x.ndim
    mean = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x - mean) / std * gamma.reshape(shape) + beta.reshape(shape)
    return [y, mean, std]


def instance_norm(x, gamma, beta, eps=1e-3):
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            v = x[n, c]
            out[n, c] = (v - v.mean()) / np.sqrt(v.var() + eps) * gamma[c] + beta[c]
    return out


def l2_normalization(x, mode="instance", eps=1e-10):
    if mode == "instance":
        flat = x.reshape(x.shape[0], -1)
        norm = np.sqrt((flat ** 2).sum(axis=1) + eps)
        return (flat / norm[:, None]).reshape(x.shape)
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        if mode == "spatial":
            for c in range(x.shape[1]):
                out[n, c] = x[n, c] / np.sqrt((x[n, c] ** 2).sum() + eps)
        else:  # channel: the vector across channels at each spatial position
            out[n] = x[n] / np.sqrt((x[n] ** 2).sum(axis=0, keepdims=True) + eps)
    return out


def batch_norm_v1(x, gamma, beta, moving_mean, moving_var, eps=1e-3, fix_gamma=True,
                  use_global_stats=False, train=False, output_mean_var=False):
    """BatchNorm_v1 outputs: [y] or [y, mean, var] (the biased batch variance, or the moving
    statistics at inference)."""
    y = L.batch_norm(x, gamma, beta, moving_mean, moving_var, eps=eps, fix_gamma=fix_gamma,
                     use_global_stats=use_global_stats, train=train)[0]
    if not output_mean_var:
        return [y]
    red = tuple(i for i in range(x.ndim) if i != 1)
    if train and not use_global_stats:
        return [y, x.mean(axis=red), x.var(axis=red)]
    return [y, moving_mean, moving_var]


def moments(x, axes, keepdims=False):
    axes = tuple(a % x.ndim for a in axes)
    mean = x.mean(axis=axes, keepdims=keepdims)
    var = x.var(axis=axes, keepdims=keepdims)
    if mean.ndim == 0:
        mean, var = mean.reshape(1), var.reshape(1)
    return [mean, var]


# ----- sequences ----------------------------------------------------------------------------------
def _lengths(length, n, steps, low=0):
    if length is None:
        return [steps] * n
    return [min(max(int(v), low), steps) for v in length]


def sequence_mask(x, length=None, value=0.0, axis=0):
    out = x.copy()
    if length is None:
        return out
    steps, batch = (x.shape[0], x.shape[1]) if axis == 0 else (x.shape[1], x.shape[0])
    for b, n in enumerate(_lengths(length, batch, steps)):
        for t in range(n, steps):
            if axis == 0:
                out[t, b] = value
            else:
                out[b, t] = value
    return out


def sequence_last(x, length=None, axis=0):
    steps, batch = (x.shape[0], x.shape[1]) if axis == 0 else (x.shape[1], x.shape[0])
    rows = []
    for b, n in enumerate(_lengths(length, batch, steps, low=1)):
        rows.append(x[n - 1, b] if axis == 0 else x[b, n - 1])
    return np.stack(rows)


def sequence_reverse(x, length=None):
    out = x.copy()
    for b, n in enumerate(_lengths(length, x.shape[1], x.shape[0])):
        for t in range(n):
            out[t, b] = x[n - 1 - t, b]
    return out


def upsampling_nearest(inputs, scale, mode="concat"):
    oh, ow = inputs[0].shape[2] * scale, inputs[0].shape[3] * scale
    parts = []
    for x in inputs:
        up = np.empty(x.shape[:2] + (oh, ow))
        ky, kx = oh // x.shape[2], ow // x.shape[3]
        for i in range(oh):
            for j in range(ow):
                up[:, :, i, j] = x[:, :, i // ky, j // kx]
        parts.append(up)
    return sum(parts) if mode == "sum" else np.concatenate(parts, axis=1)


# ----- prelu --------------------------------------------------------------------------------------
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
