"""NumPy float64 references for the layer_norm family: LayerNorm, InstanceNorm, GroupNorm
and L2Normalization (instance, channel and spatial modes).

Written from the formulas in MXNet 1.9.x's layer_norm-inl.h, instance_norm-inl.h and
l2_normalization-inl.h, with loops where that keeps them obviously right.
"""
import numpy as np


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


def group_norm(x, gamma, beta, num_groups=1, eps=1e-5):
    """[y, mean, std]: each (sample, group) of channels normalised; gamma/beta per group (MXNet
    1.9.x); mean and std of shape (N, num_groups)."""
    n, c = x.shape[:2]
    per = c // num_groups
    y = np.empty_like(x)
    mean = np.empty((n, num_groups))
    std = np.empty((n, num_groups))
    for i in range(n):
        for g in range(num_groups):
            v = x[i, g * per:(g + 1) * per]
            mean[i, g] = v.mean()
            std[i, g] = np.sqrt(v.var() + eps)
            y[i, g * per:(g + 1) * per] = (v - mean[i, g]) / std[i, g] * gamma[g] + beta[g]
    return [y, mean, std]
