"""Compiled CPU kernels of BatchNorm (numba through ``_jit``): training and inference forward,
and backward, one channel per task.

The NumPy code in ``batch_norm.py`` stays the reference; it calls these for host float32/float64
data viewed as ``(outer, C, inner)`` C-contiguous with ``inner`` long enough for vector loops
(channel-first images; data with the channel last, or the 2-D output of FullyConnected, keeps the
NumPy path). Why compiled: NumPy's training step makes about six passes over the activation in
forward and nine in backward, with activation-sized temporaries. Here a task takes one channel
(a few hundred KiB: it stays in the core's cache) and makes every pass over it there, so the
activation is read from memory once per kernel and the result written once.

Sums are accumulated in float64 for both float32 and float64 data (the NumPy path accumulates
float32 in float32): the statistics are at least as exact, and agree within float32 rounding.
"""
import math

from ._jit import cpu_kernel, prange

__all__ = ["MIN_INNER", "MIN_SIZE", "forward_train", "forward_infer", "backward"]

FASTMATH = {"reassoc", "nsz", "contract"}   # vectorised sums; NaN and inf kept
MIN_INNER = 16   # shorter contiguous runs per channel (channel-last data) keep the NumPy path
MIN_SIZE = 1 << 17   # smaller activations: starting the threads costs what the kernel saves


@cpu_kernel(fastmath=FASTMATH)
def _channel_sum(x, c):
    """Sum over ``x[:, c, :]`` in float64."""
    s = 0.0
    for o in range(x.shape[0]):
        row = x[o, c]
        for i in range(row.size):
            s += row[i]
    return s


@cpu_kernel(fastmath=FASTMATH)
def _channel_sqdev(x, c, mean):
    """Sum of ``(x[:, c, :] - mean)**2`` (the difference in the data's dtype, as NumPy's),
    in float64."""
    s = 0.0
    for o in range(x.shape[0]):
        row = x[o, c]
        for i in range(row.size):
            d = row[i] - mean
            s += d * d
    return s


@cpu_kernel(fastmath=FASTMATH)
def _channel_affine(x, out, c, mean, scale, shift):
    """``out[:, c, :] = (x[:, c, :] - mean) * scale + shift``."""
    for o in range(x.shape[0]):
        row, dst = x[o, c], out[o, c]
        for i in range(row.size):
            dst[i] = (row[i] - mean) * scale + shift


@cpu_kernel(fastmath=FASTMATH)
def _invstd(var, eps):
    """1 / sqrt(var + eps), 0 where var + eps is 0 (batch_norm.cc)."""
    v = var + eps
    return 0 * var if v == 0 else 1 / math.sqrt(v)


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def forward_train(x, gamma, beta, eps, fix_gamma, out, mean, var, invstd):
    """Batch statistics per channel of ``x`` (outer, C, inner) into ``mean``, ``var`` (biased)
    and ``invstd``; ``out = (x - mean) * invstd * gamma + beta`` (gamma 1 when ``fix_gamma``)."""
    channels = x.shape[1]
    n = x.shape[0] * x.shape[2]
    eps = var.dtype.type(eps)
    for c in prange(channels):
        m = var.dtype.type(_channel_sum(x, c) / n)
        v = var.dtype.type(_channel_sqdev(x, c, m) / n)
        inv = var.dtype.type(_invstd(v, eps))
        mean[c] = m
        var[c] = v
        invstd[c] = inv
        scale = inv if fix_gamma else inv * gamma[c]
        _channel_affine(x, out, c, m, scale, beta[c])


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def forward_infer(x, mean, scale, beta, out):
    """``out = (x - mean) * scale + beta`` per channel of ``x`` (outer, C, inner)."""
    for c in prange(x.shape[1]):
        _channel_affine(x, out, c, mean[c], scale[c], beta[c])


@cpu_kernel(fastmath=FASTMATH)
def _channel_grad_sums(x, g, c, mean):
    """(sum of g, sum of g * (x - mean)) over channel ``c``, in float64."""
    sg = 0.0
    sgx = 0.0
    for o in range(x.shape[0]):
        row, grow = x[o, c], g[o, c]
        for i in range(row.size):
            sg += grow[i]
            sgx += grow[i] * (row[i] - mean)
    return sg, sgx


@cpu_kernel(fastmath=FASTMATH)
def _channel_dx_batch(x, g, dx, c, mean, k, gmean, scale):
    """``dx = (g - ((x - mean) * k + gmean)) * scale`` over channel ``c`` (batch statistics)."""
    for o in range(x.shape[0]):
        row, grow, dst = x[o, c], g[o, c], dx[o, c]
        for i in range(row.size):
            dst[i] = (grow[i] - ((row[i] - mean) * k + gmean)) * scale


@cpu_kernel(fastmath=FASTMATH)
def _channel_scale(g, dx, c, scale):
    for o in range(g.shape[0]):
        grow, dst = g[o, c], dx[o, c]
        for i in range(grow.size):
            dst[i] = grow[i] * scale


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def backward(x, g, mean, invstd, w, batch, dx, sum_g, dot):
    """BatchNorm's input gradient into ``dx`` and the per-channel sums ``sum_g`` (beta's
    gradient) and ``dot`` = sum of g * (x - mean); ``w`` is gamma (ones when fixed). ``batch``:
    the statistics are the batch's (their gradient flows), else constants."""
    n = x.shape[0] * x.shape[2]
    for c in prange(x.shape[1]):
        m = mean[c]
        sg, sgx = _channel_grad_sums(x, g, c, m)
        sg = sum_g.dtype.type(sg)
        sgx = dot.dtype.type(sgx)
        sum_g[c] = sg
        dot[c] = sgx
        inv = invstd[c]
        if batch:
            _channel_dx_batch(x, g, dx, c, m, dot.dtype.type(sgx * inv * inv / n),
                              dot.dtype.type(sg / n), inv * w[c])
        else:
            _channel_scale(g, dx, c, inv * w[c])
