"""Compiled CPU kernels of the softmax family (numba through ``_jit``): softmax / log_softmax /
softmin forward and backward over rows, and SoftmaxOutput's cross-entropy gradient.

The NumPy code in ``softmax.py`` stays the reference; ``softmax.py`` calls these only for float32
and float64 data on the host with ``_jit.enabled()``. A softmax over a non-last axis runs on a
transposed contiguous copy, so every kernel here sees rows.

Why compiled: NumPy's softmax makes five passes over memory (max, subtract, exp, sum, divide) with
an activation-sized temporary. Here each row (a few KiB) is read from memory once, its max, its
exponentials and their sum are computed in the caches, and the result is written once.

numba has no vectorised ``exp`` without Intel's SVML, so float32 rows use Cephes' ``expf``
(polynomial of degree 7 after the Cody-Waite reduction by ln 2, <= 2 ulp; ``2**n`` assembled from
its exponent bits), which LLVM vectorises. float64 uses ``math.exp``. Arguments are at most 0
(the row max is subtracted), and those below -87 are taken as -87 (exp ~ 1.6e-38 instead of a
float32 denormal or 0: a difference far below any tolerance). NaN and inf propagate as in NumPy:
a row holding NaN or +inf comes out NaN.
"""
import math

import numpy as np

from ._jit import cpu_kernel, prange

__all__ = ["softmax_rows", "softmax_rows_backward", "softmax_output_grad_rows",
           "softmax_output_grad_spatial"]

# reassociation vectorises the row sums; no nnan/ninf, so NaN and inf rows stay NumPy's
FASTMATH = {"reassoc", "nsz", "contract"}
_CHUNK = 16  # rows per parallel task (its scratch rows are allocated once per task)


@cpu_kernel(fastmath=FASTMATH)
def _row_max(row, n):
    """max of ``row[:n]`` (eight lanes, so that LLVM vectorises it; NaN skipped: the
    exponentials propagate it)."""
    first = row[0]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = first
    stop = n - n % 8
    for j in range(0, stop, 8):
        v = row[j]
        a0 = v if v > a0 else a0
        v = row[j + 1]
        a1 = v if v > a1 else a1
        v = row[j + 2]
        a2 = v if v > a2 else a2
        v = row[j + 3]
        a3 = v if v > a3 else a3
        v = row[j + 4]
        a4 = v if v > a4 else a4
        v = row[j + 5]
        a5 = v if v > a5 else a5
        v = row[j + 6]
        a6 = v if v > a6 else a6
        v = row[j + 7]
        a7 = v if v > a7 else a7
    m = max(max(max(a0, a1), max(a2, a3)), max(max(a4, a5), max(a6, a7)))
    for j in range(stop, n):
        v = row[j]
        m = v if v > m else m
    return m


@cpu_kernel(fastmath=FASTMATH)
def _exp_shifted(row, m, e, bits, n):
    """``e[:n] = exp(row - m)``; returns the sum. ``bits`` is int32 scratch."""
    s = e.dtype.type(0)
    if e.itemsize == 8:
        for j in range(n):
            v = math.exp(row[j] - m)
            e[j] = v
            s += v
        return s
    lo = np.float32(-87.0)
    for j in range(n):
        t = row[j] - m
        t = t if not t < lo else lo          # keeps NaN
        k = np.floor(t * np.float32(1.44269504088896341) + np.float32(0.5))
        r = t - k * np.float32(0.693359375) + k * np.float32(2.12194440e-4)
        p = np.float32(1.9875691500e-4)
        p = p * r + np.float32(1.3981999507e-3)
        p = p * r + np.float32(8.3334519073e-3)
        p = p * r + np.float32(4.1665795894e-2)
        p = p * r + np.float32(1.6666665459e-1)
        p = p * r + np.float32(5.0000001201e-1)
        e[j] = p * r * r + r + np.float32(1.0)
        bits[j] = (np.int32(k) + np.int32(127)) << np.int32(23)
    scale = bits[:n].view(np.float32)
    for j in range(n):
        v = e[j] * scale[j]
        e[j] = v
        s += v
    return s


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def softmax_rows(x, out, sign, temp, log, lengths):
    """softmax (``log``: log_softmax) of each row of ``x * sign / temp`` into ``out`` (both 2-D
    C-contiguous). ``lengths`` (int64, one per row, or empty) masks positions >= the length:
    they, and every position of a row of length <= 0, get 0."""
    rows, width = x.shape
    sign = x.dtype.type(sign)
    temp = x.dtype.type(temp)
    scaled = sign != 1 or temp != 1
    for c in prange((rows + _CHUNK - 1) // _CHUNK):
        e = np.empty(width, x.dtype)
        bits = np.empty(width, np.int32)
        z = np.empty(width if scaled else 0, x.dtype)
        for i in range(c * _CHUNK, min(rows, (c + 1) * _CHUNK)):
            row, o = x[i], out[i]
            if scaled:
                # x / T as NumPy computes it (a division, not a product with 1/T)
                for j in range(width):
                    z[j] = row[j] * sign / temp
                row = z
            n = width
            if lengths.size:
                n = min(max(lengths[i], 0), width)
                for j in range(n, width):
                    o[j] = 0
                if n == 0:
                    continue
            m = _row_max(row, n)
            s = _exp_shifted(row, m, e, bits, n)
            if log:
                logs = math.log(s)
                for j in range(n):
                    o[j] = (row[j] - m) - logs
            else:
                inv = 1 / s
                for j in range(n):
                    o[j] = e[j] * inv


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def softmax_rows_backward(y, g, gx, scale, log, lengths):
    """Gradient of softmax rows (``log``: log_softmax) from the output ``y`` and head gradient
    ``g`` into ``gx``: ``(g - sum(g*y)) * y`` or ``g - exp(y) * sum(g)``, times ``scale``
    (``sign / temp``); positions >= ``lengths`` get 0."""
    rows, width = y.shape
    scale = y.dtype.type(scale)
    for i in prange(rows):
        yr, gr, o = y[i], g[i], gx[i]
        n = width
        if lengths.size:
            n = min(max(lengths[i], 0), width)
            for j in range(n, width):
                o[j] = 0
        acc = y.dtype.type(0)
        if log:
            for j in range(n):
                acc += gr[j]
            for j in range(n):
                o[j] = (gr[j] - math.exp(yr[j]) * acc) * scale
        else:
            for j in range(n):
                acc += gr[j] * yr[j]
            for j in range(n):
                o[j] = (gr[j] - acc) * yr[j] * scale


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def softmax_output_grad_rows(prob, labels, out, hit, miss, scale, ignore, use_ignore, out_grad):
    """SoftmaxOutput's gradient for (rows, K) probabilities: ``(prob - target) * scale``, target
    ``hit`` at the row's label and ``miss`` elsewhere (1 and 0, or label smoothing's values); rows
    whose label is ``ignore`` get 0 when ``use_ignore``; ``out_grad`` multiplies by ``prob``.
    ``labels`` are the truncated int labels (one outside [0, K) matches no class)."""
    rows, width = prob.shape
    hit = prob.dtype.type(hit)
    miss = prob.dtype.type(miss)
    scale = prob.dtype.type(scale)
    zero = prob.dtype.type(0)
    for i in prange(rows):
        p, o = prob[i], out[i]
        lab = labels[i]
        if use_ignore and lab == ignore:
            for j in range(width):
                o[j] = zero * scale * p[j] if out_grad else zero
            continue
        for j in range(width):
            o[j] = (p[j] - miss) * scale
        if 0 <= lab < width:
            o[lab] = (p[lab] - hit) * scale
        if out_grad:
            for j in range(width):
                o[j] *= p[j]


@cpu_kernel(parallel=True, fastmath=FASTMATH)
def softmax_output_grad_spatial(prob, labels, out, scale, ignore, use_ignore, out_grad):
    """SoftmaxOutput's gradient with ``multi_output``: ``prob`` (N, K, S), ``labels`` (N, S)
    truncated ints; ``(prob - onehot) * scale``, 0 at ignored positions when ``use_ignore``,
    times ``prob`` when ``out_grad``."""
    batch, width, spatial = prob.shape
    scale = prob.dtype.type(scale)
    one = prob.dtype.type(1)
    zero = prob.dtype.type(0)
    for b in prange(batch):
        lab = labels[b]
        for k in range(width):
            p, o = prob[b, k], out[b, k]
            for s in range(spatial):
                v = (p[s] - (one if lab[s] == k else zero)) * scale
                if use_ignore and lab[s] == ignore:
                    v = zero * scale
                o[s] = v * p[s] if out_grad else v
