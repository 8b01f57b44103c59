"""NumPy float64 references for Convolution, Deconvolution and Pooling.

Written from the definitions (MXNET_SEMANTICS.md §7.4, MXNet 1.9.x pool.h window rules), not from
mxlite's code: convolution loops over output positions, deconvolution scatters every input element,
pooling walks each window with explicit bounds. Slow; keep shapes small.
"""
import itertools
import math

import numpy as np


def _tup(v, nd, default):
    return tuple(v) if v else (default,) * nd


def convolution(x, w, b=None, kernel=None, stride=(), dilate=(), pad=(), num_group=1):
    """Cross-correlation of x (N, C, *S) with w (F, C/g, *K); channel block i meets filter block
    i."""
    nd = x.ndim - 2
    kernel = tuple(w.shape[2:]) if kernel is None else tuple(kernel)
    stride, dilate, pad = _tup(stride, nd, 1), _tup(dilate, nd, 1), _tup(pad, nd, 0)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out_sp = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(x.shape[2:], pad, dilate, kernel, stride)]
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // num_group, f // num_group
    out = np.zeros((n, f) + tuple(out_sp))
    for pos in itertools.product(*(range(o) for o in out_sp)):
        window = (slice(None), slice(None)) + tuple(
            slice(o * st, o * st + d * (k - 1) + 1, d)
            for o, st, d, k in zip(pos, stride, dilate, kernel))
        patch = xp[window]                                      # (N, C, *K)
        for grp in range(num_group):
            pg = patch[:, grp * cg:(grp + 1) * cg].reshape(n, -1)
            wg = w[grp * fg:(grp + 1) * fg].reshape(fg, -1)
            out[(slice(None), slice(grp * fg, (grp + 1) * fg)) + pos] = pg @ wg.T
    if b is not None:
        out += b.reshape((1, f) + (1,) * nd)
    return out


def deconvolution_pad_adj(in_sp, kernel, stride, dilate, pad, adj, target_shape):
    """pad/adj actually used: the given ones, or those reaching target_shape (excess split as
    pad = ceil(e / 2), adj = e mod 2)."""
    if target_shape and any(target_shape):
        full = [st * (s - 1) + d * (k - 1) + 1
                for s, st, d, k in zip(in_sp, stride, dilate, kernel)]
        excess = [fl - t for fl, t in zip(full, target_shape)]
        return [(e + 1) // 2 for e in excess], [e % 2 for e in excess]
    return list(pad), list(adj)


def deconvolution(x, w, b=None, kernel=None, stride=(), dilate=(), pad=(), adj=(),
                  target_shape=(), num_group=1):
    """Transposed convolution: every x[n, c, i] adds x * w[c, :, k] at output i*stride + k*dilate,
    on an output grid extended by adj, then `pad` is cropped from both sides."""
    nd = x.ndim - 2
    kernel = tuple(w.shape[2:]) if kernel is None else tuple(kernel)
    stride, dilate = _tup(stride, nd, 1), _tup(dilate, nd, 1)
    pad, adj = _tup(pad, nd, 0), _tup(adj, nd, 0)
    pad, adj = deconvolution_pad_adj(x.shape[2:], kernel, stride, dilate, pad, adj, target_shape)
    n, c = x.shape[:2]
    fg = w.shape[1]
    f = fg * num_group
    cg = c // num_group
    full = [st * (s - 1) + d * (k - 1) + 1 + a
            for s, st, d, k, a in zip(x.shape[2:], stride, dilate, kernel, adj)]
    acc = np.zeros((n, f) + tuple(full))
    for ipos in itertools.product(*(range(s) for s in x.shape[2:])):
        for kpos in itertools.product(*(range(k) for k in kernel)):
            opos = tuple(i * st + k * d for i, st, k, d in zip(ipos, stride, kpos, dilate))
            for grp in range(num_group):
                xv = x[(slice(None), slice(grp * cg, (grp + 1) * cg)) + ipos]      # (N, Cg)
                wv = w[(slice(grp * cg, (grp + 1) * cg), slice(None)) + kpos]      # (Cg, Fg)
                acc[(slice(None), slice(grp * fg, (grp + 1) * fg)) + opos] += xv @ wv
    crop = tuple(slice(p, fl - p) for p, fl in zip(pad, full))
    out = acc[(slice(None), slice(None)) + crop]
    if b is not None:
        out = out + b.reshape((1, f) + (1,) * nd)
    return out


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
    stride, pad = _tup(stride, nd, 1), _tup(pad, nd, 0)
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
    stride, pad = _tup(stride, nd, 1), _tup(pad, nd, 0)
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
