"""pytest plugin: the GPU modules' launchers replaced by NumPy emulations with the same signatures.

With the CuPy stand-in this checks how the ops wire the kernels (views, labels, the FullyConnected /
activation fusion hand-off), not the kernels themselves (tests/test_gpu_kernels.py, on a real GPU).
``CALLS`` records the activations passed to the fused FullyConnected backward.
"""
import cupy as cp
import numpy as np

import mxlite.ops.fully_connected_cuda as fully_connected_cuda
import mxlite.ops.softmax_cuda as softmax_cuda
from mxlite.ops.params import Params
from mxlite.ops.softmax import softmax_output_grad


def _softmax(x, axis, t, length, log, negate):
    x = np.asarray(x, dtype=np.float64)
    if negate:
        x = -x
    z = x / t
    mask = None
    if length is not None:
        n = x.shape[axis]
        pos = np.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
        mask = pos < np.expand_dims(np.asarray(length).astype(np.int64), axis)
        z = np.where(mask, z, -np.inf)
    with np.errstate(invalid="ignore"):
        m = z.max(axis=axis, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=axis, keepdims=True)
        out = (z - m - np.log(s)) if log else e / s
    if mask is not None:
        out = np.where(mask, out, 0)
    return out, mask


def softmax_forward(x, axis, temperature=1.0, length=None, log=False, negate=False, out=None):
    res, _ = _softmax(x, axis, temperature, length, log, negate)
    return cp.asarray(res.astype(x.dtype))


def softmax_backward(out, grad, axis, temperature=1.0, length=None, log=False, negate=False,
                     igrad=None):
    y = np.asarray(out, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    if log:
        gx = g - np.exp(y) * g.sum(axis=axis, keepdims=True)
    else:
        gx = (g - (g * y).sum(axis=axis, keepdims=True)) * y
    gx = gx / temperature
    if negate:
        gx = -gx
    if length is not None:
        n = y.shape[axis]
        pos = np.arange(n).reshape((n,) + (1,) * (y.ndim - axis - 1))
        gx = np.where(pos < np.expand_dims(np.asarray(length).astype(np.int64), axis), gx, 0)
    return cp.asarray(gx.astype(out.dtype))


def softmax_output_forward(data, out=None):
    axis = 1 if data.ndim >= 3 else data.ndim - 1
    res, _ = _softmax(data, axis, 1.0, None, False, False)
    return cp.asarray(res.astype(data.dtype))


def softmax_output_backward(prob, label, *, grad_scale=1.0, ignore_label=-1.0, use_ignore=False,
                            normalization="null", multi_output=False, smooth_alpha=0.0,
                            out_grad=False, out=None):
    p = Params(grad_scale=grad_scale, ignore_label=ignore_label, use_ignore=use_ignore,
               normalization=normalization, multi_output=multi_output, smooth_alpha=smooth_alpha)
    pr = np.asarray(prob).view(np.ndarray)
    g = softmax_output_grad(np, p, pr, np.asarray(label).view(np.ndarray).reshape(-1))
    if out_grad:
        g = g * pr
    return cp.asarray(np.asarray(g).astype(prob.dtype))


def fc_backward_fused(grad, y, act, d_out=None, db_out=None):
    g = np.asarray(grad).view(np.ndarray)
    if act in (None, "identity"):
        d = g
    else:
        yy = np.asarray(y).view(np.ndarray)
        d = {"relu": g * (yy > 0), "sigmoid": g * yy * (1 - yy), "tanh": g * (1 - yy * yy),
             "softrelu": g * -np.expm1(-yy)}[act].astype(g.dtype)
    db = d.reshape(-1, d.shape[-1]).sum(axis=0, dtype=np.float64).astype(g.dtype)
    CALLS.append(act)
    return cp.asarray(d), cp.asarray(db)


CALLS = []
for name in ("softmax_forward", "softmax_backward", "softmax_output_forward",
             "softmax_output_backward"):
    setattr(softmax_cuda, name, globals()[name])
fully_connected_cuda.fc_backward_fused = fc_backward_fused
