"""Compiled CPU kernels of 2-D convolution: col2im (Convolution's data gradient, Deconvolution's
forward) and depthwise convolution, multi-threaded (``mxlite.ops._jit``).

``col2im_2d`` takes the column matrix ``_im2col.im2col`` builds (rows ordered channel, kernel row,
kernel column; columns ordered sample, output position) and gathers, for each (sample, channel)
plane, the entries that came from it straight into the unpadded image: no padded buffer, no
strided scatter-adds over the whole batch, no final crop. Planes are disjoint, so threads never
write the same element. Measured on 3x3 ResNet layers it is 1.2-1.8x faster than the NumPy
scatter-add; the other copies around the GEMMs (im2col, the (n, R, P) <-> (R, n*P) transposes)
stay in NumPy, whose strided copies were faster than compiled loops.

Depthwise convolutions (one input channel per group) skip the column matrix altogether: their
per-group GEMMs are too small for BLAS, so ``depthwise_*_2d`` loop over each plane directly.
"""
from ._jit import cpu_kernel, prange

__all__ = ["col2im_2d", "depthwise_forward_2d", "depthwise_data_grad_2d",
           "depthwise_weight_grad_2d"]


def _valid(lo_pad, offset, stride, size, out):
    """First and last+1 output index whose input coordinate ``o*stride - lo_pad + offset`` lies in
    ``[0, size)``."""
    first = 0
    start = offset - lo_pad
    if start < 0:
        first = min(out, (-start + stride - 1) // stride)
    last = out
    if out > 0 and (out - 1) * stride + start >= size:
        last = (size - 1 - start) // stride + 1 if size - 1 - start >= 0 else 0
    if last < first:
        last = first
    return first, last


_valid_k = cpu_kernel()(_valid)


@cpu_kernel(parallel=True)
def col2im_2d(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Adjoint of ``im2col_2d``: ``dx`` (n, c, h, w) = the sum of the column entries that came from
    each of its elements (entries that came from the padding are dropped)."""
    n, c, h, w = dx.shape
    per = oh * ow
    for t in prange(n * c):
        b = t // c
        ci = t % c
        for y in range(h):
            for xx in range(w):
                dx[b, ci, y, xx] = 0
        for ki in range(kh):
            i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
            for kj in range(kw):
                j0, j1 = _valid_k(pw, kj * dw, sw, w, ow)
                row = (ci * kh + ki) * kw + kj
                for i in range(i0, i1):
                    y = i * sh - ph + ki * dh
                    src = b * per + i * ow
                    xs = j0 * sw - pw + kj * dw
                    for j in range(j0, j1):
                        dx[b, ci, y, xs] += cols[row, src + j]
                        xs += sw


# --------------------------------------------------------------------------------------------------
# Depthwise convolution (one input channel per group: num_group == channels, num_filter a multiple
# of it). As a grouped GEMM each group is a (multiplier x kernel) by (kernel x positions) product,
# far too small for BLAS; these loops run each output plane straight from its input plane instead.
# ``geometry`` is (kh, kw, sh, sw, ph, pw, dh, dw) throughout.
@cpu_kernel(parallel=True)
def depthwise_forward_2d(x, w, out, kh, kw, sh, sw, ph, pw, dh, dw):
    """``out`` (n, F, oh, ow) of the depthwise convolution of ``x`` (n, C, h, w) with ``w``
    (F, 1, kh, kw); output channel f reads input channel f // (F // C)."""
    n, c, h, wd = x.shape
    f_all, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    mult = f_all // c
    for t in prange(n * f_all):
        b = t // f_all
        f = t % f_all
        ci = f // mult
        for i in range(oh):
            for j in range(ow):
                out[b, f, i, j] = 0
        for ki in range(kh):
            i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
            for kj in range(kw):
                j0, j1 = _valid_k(pw, kj * dw, sw, wd, ow)
                wk = w[f, 0, ki, kj]
                for i in range(i0, i1):
                    y = i * sh - ph + ki * dh
                    xs = j0 * sw - pw + kj * dw
                    for j in range(j0, j1):
                        out[b, f, i, j] += wk * x[b, ci, y, xs]
                        xs += sw


@cpu_kernel(parallel=True)
def depthwise_data_grad_2d(gy, w, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """``dx`` (n, C, h, w) of the depthwise convolution from its output gradient ``gy``."""
    n, c, h, wd = dx.shape
    f_all, oh, ow = gy.shape[1], gy.shape[2], gy.shape[3]
    mult = f_all // c
    for t in prange(n * c):
        b = t // c
        ci = t % c
        for y in range(h):
            for xx in range(wd):
                dx[b, ci, y, xx] = 0
        for f in range(ci * mult, (ci + 1) * mult):
            for ki in range(kh):
                i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
                for kj in range(kw):
                    j0, j1 = _valid_k(pw, kj * dw, sw, wd, ow)
                    wk = w[f, 0, ki, kj]
                    for i in range(i0, i1):
                        y = i * sh - ph + ki * dh
                        xs = j0 * sw - pw + kj * dw
                        for j in range(j0, j1):
                            dx[b, ci, y, xs] += wk * gy[b, f, i, j]
                            xs += sw


@cpu_kernel(parallel=True)
def depthwise_weight_grad_2d(x, gy, dwt, kh, kw, sh, sw, ph, pw, dh, dw):
    """``dwt`` (F, 1, kh, kw) of the depthwise convolution, each entry summed over the batch and
    the output positions in float64."""
    n, c, h, wd = x.shape
    f_all, oh, ow = gy.shape[1], gy.shape[2], gy.shape[3]
    mult = f_all // c
    for t in prange(f_all * kh * kw):
        f = t // (kh * kw)
        ki = (t // kw) % kh
        kj = t % kw
        ci = f // mult
        i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
        j0, j1 = _valid_k(pw, kj * dw, sw, wd, ow)
        acc = 0.0
        for b in range(n):
            for i in range(i0, i1):
                y = i * sh - ph + ki * dh
                xs = j0 * sw - pw + kj * dw
                for j in range(j0, j1):
                    acc += gy[b, f, i, j] * x[b, ci, y, xs]
                    xs += sw
        dwt[f, 0, ki, kj] = acc
