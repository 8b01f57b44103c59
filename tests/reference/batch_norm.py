"""NumPy float64 references for the batch_norm family: BatchNorm (any axis, output_mean_var),
its moving statistics after one training step, and BatchNorm_v1.

Written from the formulas in MXNET_SEMANTICS.md (§7.3); they never import mxlite.
"""
import numpy as np


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


def batch_norm_v1(x, gamma, beta, moving_mean, moving_var, eps=1e-3, fix_gamma=True,
                  use_global_stats=False, train=False, output_mean_var=False):
    """BatchNorm_v1 outputs: [y] or [y, mean, var] (the biased batch variance, or the moving
    statistics at inference)."""
    y = batch_norm(x, gamma, beta, moving_mean, moving_var, eps=eps, fix_gamma=fix_gamma,
                     use_global_stats=use_global_stats, train=train)[0]
    if not output_mean_var:
        return [y]
    red = tuple(i for i in range(x.ndim) if i != 1)
    if train and not use_global_stats:
        return [y, x.mean(axis=red), x.var(axis=red)]
    return [y, moving_mean, moving_var]
