"""NumPy float64 reference for the deformable_conv family: _contrib_DeformableConvolution, from
the deformable convolution (v1) definition as MXNet 1.9.x documents it: each kernel tap reads the
data at its regular position plus its learned offset, by bilinear interpolation inside the image
(0 <= y < H, 0 <= x < W; neighbours past the last row/column clamped to it) and 0 outside. Loops
over taps and positions."""
import math

import numpy as np


def _sample(plane, y, x):
    h, w = plane.shape
    if not (0 <= y < h and 0 <= x < w):
        return 0.0
    y0, x0 = math.floor(y), math.floor(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * plane[y0, x0] + (1 - ly) * lx * plane[y0, x1]
            + ly * (1 - lx) * plane[y1, x0] + ly * lx * plane[y1, x1])


def deformable_convolution(data, offset, weight, bias=None, kernel=(3, 3), stride=(),
                           dilate=(), pad=(), num_filter=1, num_group=1, num_deformable_group=1,
                           no_bias=False):
    n, c, h, w = data.shape
    kh, kw = kernel
    sy, sx = stride or (1, 1)
    dy_, dx_ = dilate or (1, 1)
    py, px = pad or (0, 0)
    oh, ow = offset.shape[2:]
    per_dg = c // num_deformable_group
    cols = np.zeros((n, c, kh * kw, oh, ow))
    for b in range(n):
        for ch in range(c):
            grp = ch // per_dg
            for i in range(kh):
                for j in range(kw):
                    t = i * kw + j
                    for y in range(oh):
                        for x in range(ow):
                            oy = offset[b, grp * 2 * kh * kw + 2 * t, y, x]
                            ox = offset[b, grp * 2 * kh * kw + 2 * t + 1, y, x]
                            cols[b, ch, t, y, x] = _sample(data[b, ch], y * sy - py + i * dy_ + oy,
                                                           x * sx - px + j * dx_ + ox)
    out = np.zeros((n, num_filter, oh, ow))
    cg, fg = c // num_group, num_filter // num_group
    for g in range(num_group):
        wmat = weight[g * fg:(g + 1) * fg].reshape(fg, -1)
        cmat = cols[:, g * cg:(g + 1) * cg].reshape(n, cg * kh * kw, oh * ow)
        out[:, g * fg:(g + 1) * fg] = (wmat @ cmat).reshape(n, fg, oh, ow)
    if bias is not None and not no_bias:
        out += bias.reshape(1, -1, 1, 1)
    return out
