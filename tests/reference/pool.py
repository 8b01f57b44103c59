"""NumPy float64 references for Pooling: every pool_type, both conventions, global pooling,
count_include_pad, channel-last layouts, 'same' (1-D) and the first-maximum gradient.

Written from MXNet 1.9.x pool.h window rules, not from mxlite's code: each window is walked with
explicit bounds. Slow; keep shapes small.
"""
import itertools
import math

import numpy as np

from reference._util import tup


def pooling_out_size(s, k, st, p, convention):
    if convention == "valid":
        return (s + 2 * p - k) // st + 1
    return int(math.ceil((s + 2 * p - k) / st)) + 1


def pooling(x, kernel=(), pool_type="max", stride=(), pad=(), pooling_convention="valid",
            global_pool=False, count_include_pad=None, p_value=None, layout=None):
    """Pooling of x (N, C, *S) with MXNet's window bounds.

    A window starts at o*stride - pad. max/lp/sum see only real elements (max ignores padding);
    avg divides by the window clipped to [-pad, size+pad) when count_include_pad (default True),
    else by the number of real elements. lp is (sum x^p)^(1/p) without abs, as pool_utils.h.
    """
    if layout in ("NWC", "NHWC", "NDHWC"):
        x = np.moveaxis(x, -1, 1)
    nd = x.ndim - 2
    if global_pool:
        kernel, stride, pad = tuple(x.shape[2:]), (1,) * nd, (0,) * nd
    stride, pad = tup(stride, nd, 1), tup(pad, nd, 0)
    include = True if count_include_pad is None else count_include_pad
    out_sp = [pooling_out_size(s, k, st, p, pooling_convention)
              for s, k, st, p in zip(x.shape[2:], kernel, stride, pad)]
    out = np.zeros(x.shape[:2] + tuple(out_sp))
    for pos in itertools.product(*(range(o) for o in out_sp)):
        starts = [o * st - p for o, st, p in zip(pos, stride, pad)]
        ends = [min(a + k, s + p) for a, k, s, p in zip(starts, kernel, x.shape[2:], pad)]
        size_pad = np.prod([e - a for a, e in zip(starts, ends)])
        lo = [max(a, 0) for a in starts]
        hi = [min(e, s) for e, s in zip(ends, x.shape[2:])]
        win = x[(slice(None), slice(None)) + tuple(slice(a, e) for a, e in zip(lo, hi))]
        win = win.reshape(x.shape[0], x.shape[1], -1)
        if pool_type == "max":
            val = win.max(axis=-1) if win.shape[-1] else np.full(x.shape[:2],
                                                                  np.finfo(np.float32).min)
        elif pool_type == "sum":
            val = win.sum(axis=-1)
        elif pool_type == "avg":
            size = size_pad if include else np.prod([e - a for a, e in zip(lo, hi)])
            val = win.sum(axis=-1) / max(size, 1)
        else:
            s = (win ** p_value).sum(axis=-1)
            val = np.cbrt(s) if p_value == 3 else s ** (1.0 / p_value)
        out[(slice(None), slice(None)) + pos] = val
    if layout in ("NWC", "NHWC", "NDHWC"):
        out = np.moveaxis(out, 1, -1)
    return out


def max_pool_first_max_grad(x, g, kernel, stride=(), pad=()):
    """Gradient of max pooling sending each window's head gradient to its FIRST maximum (row-major
    over the window's real elements), as MXNet's pool.h unpool_max."""
    nd = x.ndim - 2
    stride, pad = tup(stride, nd, 1), tup(pad, nd, 0)
    dx = np.zeros_like(x, dtype=np.float64)
    for pos in itertools.product(*(range(o) for o in g.shape[2:])):
        lo = [max(o * st - p, 0) for o, st, p in zip(pos, stride, pad)]
        hi = [min(o * st - p + k, s) for o, st, p, k, s in zip(pos, stride, pad, kernel,
                                                                  x.shape[2:])]
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                win = x[(n, c) + tuple(slice(a, e) for a, e in zip(lo, hi))]
                if win.size == 0:
                    continue
                first = np.unravel_index(int(np.argmax(win)), win.shape)
                dx[(n, c) + tuple(a + f for a, f in zip(lo, first))] += g[(n, c) + pos]
    return dx


def pool1d_same(x, kernel, stride, pool_type="max"):
    """Windows [o*stride, o*stride + kernel) clipped to the input; ceil(W / stride) of them."""
    k, s = kernel[0], stride[0]
    width = x.shape[2]
    n_out = -(-width // s)
    out = np.empty(x.shape[:2] + (n_out,), x.dtype)
    for o in range(n_out):
        start, end = o * s, min(o * s + k, width)
        window = x[:, :, start:end]
        if pool_type == "max":
            out[:, :, o] = window.max(axis=2)
        else:
            # avg divides by the window clipped to [-pad, width + pad), here to the input
            out[:, :, o] = window.sum(axis=2) / (end - start)
    return out
