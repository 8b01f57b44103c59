"""Compiled CPU kernels of the optimizer update ops (numba through ``_jit``): ``sgd_update``,
``sgd_mom_update`` and ``adam_update`` (and their ``mp_``/``multi_`` forms, which call the same
kernels) in one pass over the weight, gradient and states.

The NumPy kernels in ``optimizer.py`` stay the reference; they are called with flat C-contiguous
float32/float64 arrays of one dtype only. Why compiled: the NumPy update of SGD with momentum
makes five passes over memory and Adam nine; each element is read and written once here.
Scalars are rounded to the arrays' dtype first, as NumPy does with a Python float and a float32
array, and the operations are NumPy's in NumPy's order without FMA contraction, so results are
the NumPy path's bit for bit.

Each kernel is a serial body over whole (sliced) arrays, its loop from 0 so that LLVM vectorises
it (numba's negative-index wrap-around blocks that for ``range(lo, hi)``): small arrays (biases)
run it directly, large ones in parallel chunks (thread start-up costs more than a small
update).
"""
import math

import numpy as np

from ._jit import cpu_kernel, prange

__all__ = ["sgd", "sgd_mom", "adam"]

# strict IEEE arithmetic (no FMA contraction either): the same operations in the same order as
# the NumPy code give the same bits, so a training run does not depend on which path an array
# took (a trajectory would otherwise drift apart by rounding)
FASTMATH = False
PARALLEL_MIN = 1 << 20   # elements below which an update runs on one thread
MIN_SIZE = 1 << 12       # below this the call overhead outweighs the fused loop: NumPy path
_BLOCK = 1 << 14


@cpu_kernel(fastmath=FASTMATH)
def _sgd_body(w, g, step, decay, rescale, clip, lr):
    """w = w * decay - step * g (no clip: step = rescale*lr), or - lr * clip(rescale*g)."""
    if clip >= 0:
        for i in range(w.size):
            w[i] = w[i] * decay - min(max(g[i] * rescale, -clip), clip) * lr
    else:
        for i in range(w.size):
            w[i] = w[i] * decay - g[i] * step


@cpu_kernel(fastmath=FASTMATH)
def _sgd_mom_body(w, g, mom, step, rescale, clip, lr, momentum, lrwd):
    """mom = momentum*mom - lr*clip(rescale*g) - lr*wd*w; w = w + mom."""
    for i in range(w.size):
        if clip >= 0:
            v = min(max(g[i] * rescale, -clip), clip) * lr
        else:
            v = g[i] * step
        m = mom[i] * momentum - v
        if lrwd != 0:  # as the NumPy code, which skips the term (0 * inf would be NaN)
            m -= lrwd * w[i]
        mom[i] = m
        w[i] += m


@cpu_kernel(fastmath=FASTMATH)
def _adam_body(w, g, mean, var, rescale, wd, clip, b1, c1, b2, c2, eps, lr):
    """g' = clip(rescale*g + wd*w); mean = b1*mean + (1-b1)*g'; var = b2*var + (1-b2)*g'^2;
    w = w - lr * mean / (sqrt(var) + eps). ``c1``, ``c2`` are 1-b1, 1-b2."""
    for i in range(w.size):
        d = g[i] * rescale
        if wd != 0:
            d += wd * w[i]
        if clip >= 0:
            d = min(max(d, -clip), clip)
        m = mean[i] * b1 + d * c1
        v = var[i] * b2 + d * d * c2
        mean[i] = m
        var[i] = v
        w[i] -= m / (math.sqrt(v) + eps) * lr


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def _sgd_par(w, g, step, decay, rescale, clip, lr):
    n = w.size
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = b * _BLOCK, min(n, (b + 1) * _BLOCK)
        _sgd_body(w[lo:hi], g[lo:hi], step, decay, rescale, clip, lr)


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def _sgd_mom_par(w, g, mom, step, rescale, clip, lr, momentum, lrwd):
    n = w.size
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = b * _BLOCK, min(n, (b + 1) * _BLOCK)
        _sgd_mom_body(w[lo:hi], g[lo:hi], mom[lo:hi], step, rescale, clip, lr, momentum, lrwd)


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def _adam_par(w, g, mean, var, rescale, wd, clip, b1, c1, b2, c2, eps, lr):
    n = w.size
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = b * _BLOCK, min(n, (b + 1) * _BLOCK)
        _adam_body(w[lo:hi], g[lo:hi], mean[lo:hi], var[lo:hi], rescale, wd, clip, b1, c1, b2,
                   c2, eps, lr)


def _scalars(dtype, *values):
    """Python floats rounded to ``dtype`` (NumPy's weak-scalar rule for ``array * float``)."""
    return [dtype.type(v) for v in values]


def _run(serial, parallel, out, weight, arrays, args):
    """The kernel on ``out`` (first set to ``weight`` when it is another array): updated in
    place, the kernels' loops never see two arrays that may overlap (LLVM would then keep them
    scalar)."""
    if out is not weight:
        np.copyto(out, weight)
    if out.size < PARALLEL_MIN:
        serial(out, *arrays, *args)
    else:
        parallel(out, *arrays, *args)


def sgd(p, weight, grad, out):
    """sgd_update on flat arrays (``out`` may be ``weight``)."""
    lr, rescale, clip = p["lr"], p["rescale_grad"], p["clip_gradient"]
    _run(_sgd_body, _sgd_par, out, weight, (grad,),
         _scalars(weight.dtype, rescale * lr, 1.0 - lr * p["wd"], rescale, clip, lr))


def sgd_mom(p, weight, grad, mom, out):
    """sgd_mom_update on flat arrays (``out`` may be ``weight``; ``mom`` updated in place)."""
    lr, rescale, clip = p["lr"], p["rescale_grad"], p["clip_gradient"]
    _run(_sgd_mom_body, _sgd_mom_par, out, weight, (grad, mom),
         _scalars(weight.dtype, rescale * lr, rescale, clip, lr, p["momentum"], lr * p["wd"]))


def adam(p, weight, grad, mean, var, out):
    """adam_update on flat arrays (``out`` may be ``weight``; ``mean``, ``var`` in place)."""
    b1, b2 = p["beta1"], p["beta2"]
    _run(_adam_body, _adam_par, out, weight, (grad, mean, var),
         _scalars(weight.dtype, p["rescale_grad"], p["wd"], p["clip_gradient"], b1, 1.0 - b1,
                  b2, 1.0 - b2, p["epsilon"], p["lr"]))
