"""NumPy float64 references for Convolution and Deconvolution.

Written from the definitions (MXNET_SEMANTICS.md §7.4), not from mxlite's code: convolution loops
over output positions, deconvolution scatters every input element. Slow; keep shapes small.
"""
import itertools

import numpy as np

from reference._util import tup


def convolution(x, w, b=None, kernel=None, stride=(), dilate=(), pad=(), num_group=1):
    """Cross-correlation of x (N, C, *S) with w (F, C/g, *K); channel block i meets filter block
    i."""
    nd = x.ndim - 2
    kernel = tuple(w.shape[2:]) if kernel is None else tuple(kernel)
    stride, dilate, pad = tup(stride, nd, 1), tup(dilate, nd, 1), tup(pad, nd, 0)
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
    stride, dilate = tup(stride, nd, 1), tup(dilate, nd, 1)
    pad, adj = tup(pad, nd, 0), tup(adj, nd, 0)
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
