"""Compiled CPU kernel of 2-D Convolution's data gradient and Deconvolution's forward: col2im,
multi-threaded (``mxlite.ops._jit``).

``col2im_2d`` takes the column matrix ``_im2col.im2col`` builds (rows ordered channel, kernel row,
kernel column; columns ordered sample, output position) and gathers, for each (sample, channel)
plane, the entries that came from it straight into the unpadded image: no padded buffer, no
strided scatter-adds over the whole batch, no final crop. Planes are disjoint, so threads never
write the same element. Measured on 3x3 ResNet layers it is 1.2-1.8x faster than the NumPy
scatter-add; the other copies around the GEMMs (im2col, the (n, R, P) <-> (R, n*P) transposes)
stay in NumPy, whose strided copies were faster than compiled loops.
"""
from ._jit import cpu_kernel, prange

__all__ = ["col2im_2d"]


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
