"""NumPy float64 reference for the correlation family: Correlation, from FlowNet's definition as
MXNet 1.9.x documents it (correlation.cc): zero padding, k x k patches of data1 at
(i*stride1 + max_displacement, j*stride1 + max_displacement) compared with data2's patches displaced
by multiples of stride2, averaged over k*k*C. Plain loops."""
import math

import numpy as np


def correlation(data1, data2, kernel_size=1, max_displacement=1, stride1=1, stride2=1,
                pad_size=0, is_multiply=True):
    n, c, h, w = data1.shape
    k, md = kernel_size, max_displacement
    a = np.pad(data1, ((0, 0), (0, 0), (pad_size, pad_size), (pad_size, pad_size)))
    b = np.pad(data2, ((0, 0), (0, 0), (pad_size, pad_size), (pad_size, pad_size)))
    border = md + (k - 1) // 2
    top_h = math.ceil((h + 2 * pad_size - 2 * border) / stride1)
    top_w = math.ceil((w + 2 * pad_size - 2 * border) / stride1)
    r = md // stride2
    grid = 2 * r + 1
    out = np.zeros((n, grid * grid, top_h, top_w))
    for i in range(top_h):
        for j in range(top_w):
            y1, x1 = i * stride1 + md, j * stride1 + md
            for ch in range(grid * grid):
                dy, dx = (ch // grid - r) * stride2, (ch % grid - r) * stride2
                pa = a[:, :, y1:y1 + k, x1:x1 + k]
                pb = b[:, :, y1 + dy:y1 + dy + k, x1 + dx:x1 + dx + k]
                val = pa * pb if is_multiply else np.abs(pa - pb)
                out[:, ch, i, j] = val.sum(axis=(1, 2, 3)) / (k * k * c)
    return out
