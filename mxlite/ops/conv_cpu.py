"""Compiled CPU kernels of 2-D depthwise convolution (one input channel per group: num_group ==
channels, num_filter any multiple of it), multi-threaded (``mxlite.ops._jit``).

As a grouped GEMM each group of a depthwise convolution is a (multiplier x kernel) by (kernel x
positions) product, far too small for BLAS; these loops compute each output plane straight from
its input plane instead (3-6x faster backward than the grouped GEMMs on MobileNet's layers).

The dense convolutions keep im2col + BLAS GEMM in NumPy: compiled im2col/col2im loops were
measured no faster than NumPy's strided copies single-threaded, and slower inside a layer, where
their threads compete with BLAS's for the cores.
"""
from ._jit import cpu_kernel, prange

__all__ = ["depthwise_forward_2d", "depthwise_data_grad_2d", "depthwise_weight_grad_2d"]


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


# The geometry arguments are (kh, kw, sh, sw, ph, pw, dh, dw) throughout. The innermost loops index
# row slices from 0 (a negative-looking index makes numba emit a wrap-around check that blocks
# vectorisation: 4x slower), with a contiguous slice of its own for unit stride.
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
        src = x[b, f // mult]
        dst = out[b, f]
        dst[:, :] = 0
        for ki in range(kh):
            i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
            for kj in range(kw):
                j0, j1 = _valid_k(pw, kj * dw, sw, wd, ow)
                wk = w[f, 0, ki, kj]
                x0 = j0 * sw + kj * dw - pw
                m = j1 - j0
                for i in range(i0, i1):
                    ov = dst[i, j0:j1]
                    y = i * sh - ph + ki * dh
                    if sw == 1:
                        xv = src[y, x0:x0 + m]
                        for j in range(m):
                            ov[j] += wk * xv[j]
                    else:
                        xs = src[y, x0:x0 + (m - 1) * sw + 1:sw]
                        for j in range(m):
                            ov[j] += wk * xs[j]


@cpu_kernel(parallel=True)
def depthwise_data_grad_2d(gy, w, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """``dx`` (n, C, h, w) of the depthwise convolution from its output gradient ``gy``."""
    n, c, h, wd = dx.shape
    f_all, oh, ow = gy.shape[1], gy.shape[2], gy.shape[3]
    mult = f_all // c
    for t in prange(n * c):
        b = t // c
        ci = t % c
        dst = dx[b, ci]
        dst[:, :] = 0
        for f in range(ci * mult, (ci + 1) * mult):
            src = gy[b, f]
            for ki in range(kh):
                i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
                for kj in range(kw):
                    j0, j1 = _valid_k(pw, kj * dw, sw, wd, ow)
                    wk = w[f, 0, ki, kj]
                    x0 = j0 * sw + kj * dw - pw
                    m = j1 - j0
                    for i in range(i0, i1):
                        gv = src[i, j0:j1]
                        y = i * sh - ph + ki * dh
                        if sw == 1:
                            dv = dst[y, x0:x0 + m]
                            for j in range(m):
                                dv[j] += wk * gv[j]
                        else:
                            ds = dst[y, x0:x0 + (m - 1) * sw + 1:sw]
                            for j in range(m):
                                ds[j] += wk * gv[j]


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
        i0, i1 = _valid_k(ph, ki * dh, sh, h, oh)
        j0, j1 = _valid_k(pw, kj * dw, sw, wd, ow)
        x0 = j0 * sw + kj * dw - pw
        m = j1 - j0
        acc = 0.0
        for b in range(n):
            src = x[b, f // mult]
            grad = gy[b, f]
            for i in range(i0, i1):
                gv = grad[i, j0:j1]
                y = i * sh - ph + ki * dh
                if sw == 1:
                    xv = src[y, x0:x0 + m]
                    for j in range(m):
                        acc += gv[j] * xv[j]
                else:
                    xs = src[y, x0:x0 + (m - 1) * sw + 1:sw]
                    for j in range(m):
                        acc += gv[j] * xs[j]
        dwt[f, 0, ki, kj] = acc
