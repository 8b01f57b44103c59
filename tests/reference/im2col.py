"""NumPy float64 references for the im2col family: im2col and col2im, from their documented
meaning (MXNet 1.9.x nn/im2col.cc): the blocks a convolution with the same kernel, stride, dilate
and zero padding sees, as columns with rows (channel, kernel offset); col2im sums columns back.
Loops over output positions and kernel offsets."""
import itertools

import numpy as np


def _geometry(spatial, kernel, stride, dilate, pad):
    nd = len(kernel)
    stride = tuple(stride) or (1,) * nd
    dilate = tuple(dilate) or (1,) * nd
    pad = tuple(pad) or (0,) * nd
    out = [(s + 2 * q - d * (k - 1) - 1) // st + 1
           for s, k, st, d, q in zip(spatial, kernel, stride, dilate, pad)]
    return stride, dilate, pad, out


def im2col(data, kernel, stride=(), dilate=(), pad=()):
    n, c = data.shape[:2]
    stride, dilate, pad, out = _geometry(data.shape[2:], kernel, stride, dilate, pad)
    img = np.pad(data, ((0, 0), (0, 0)) + tuple((q, q) for q in pad))
    offsets = list(itertools.product(*(range(k) for k in kernel)))
    cols = np.zeros((n, c * len(offsets), int(np.prod(out))))
    for col, pos in enumerate(itertools.product(*(range(o) for o in out))):
        for i, off in enumerate(offsets):
            idx = tuple(p * s + k * d for p, s, k, d in zip(pos, stride, off, dilate))
            cols[:, i::len(offsets), col] = img[(slice(None), slice(None)) + idx]
    return cols


def col2im(data, output_size, kernel, stride=(), dilate=(), pad=()):
    n = data.shape[0]
    offsets = list(itertools.product(*(range(k) for k in kernel)))
    c = data.shape[1] // len(offsets)
    stride, dilate, pad, out = _geometry(output_size, kernel, stride, dilate, pad)
    img = np.zeros((n, c) + tuple(s + 2 * q for s, q in zip(output_size, pad)))
    for col, pos in enumerate(itertools.product(*(range(o) for o in out))):
        for i, off in enumerate(offsets):
            idx = tuple(p * s + k * d for p, s, k, d in zip(pos, stride, off, dilate))
            img[(slice(None), slice(None)) + idx] += data[:, i::len(offsets), col]
    return img[(slice(None), slice(None)) + tuple(slice(q, q + s)
                                                 for q, s in zip(pad, output_size))]
