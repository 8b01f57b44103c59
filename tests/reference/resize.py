"""NumPy float64 references for the resize family: UpSampling (nearest, concat/sum of several
inputs), _contrib_BilinearResize2D and _contrib_AdaptiveAvgPooling2D.

Written from MXNet 1.9.x's upsampling-inl.h, bilinear_resize-inl.h and adaptive_avg_pooling-inl.h
as explicit per-pixel loops, never from mxlite's code.
"""
import numpy as np


def upsampling_nearest(inputs, scale, mode="concat"):
    oh, ow = inputs[0].shape[2] * scale, inputs[0].shape[3] * scale
    parts = []
    for x in inputs:
        up = np.empty(x.shape[:2] + (oh, ow))
        ky, kx = oh // x.shape[2], ow // x.shape[3]
        for i in range(oh):
            for j in range(ow):
                up[:, :, i, j] = x[:, :, i // ky, j // kx]
        parts.append(up)
    return sum(parts) if mode == "sum" else np.concatenate(parts, axis=1)


def adaptive_avg_pool(x, output_size=()):
    size = tuple(np.atleast_1d(output_size)) if output_size != () else (1, 1)
    oh, ow = (size[0], size[0]) if len(size) == 1 else size
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        h0, h1 = int(np.floor(i * h / oh)), int(np.ceil((i + 1) * h / oh))
        for j in range(ow):
            w0, w1 = int(np.floor(j * w / ow)), int(np.ceil((j + 1) * w / ow))
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _source(o, n_in, n_out, align_corners):
    """Source coordinate of output pixel ``o`` (float32 arithmetic, as MXNet's kernel)."""
    f = np.float32
    if n_out <= 1:
        return f(0)
    if align_corners:
        return f(f(n_in - 1) / f(n_out - 1)) * f(o)
    src = f(f(n_in) / f(n_out)) * f(o + 0.5) - f(0.5)
    return max(src, f(0))


def bilinear_resize(x, out_h, out_w, align_corners=True):
    n, c, h, w = x.shape
    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        sy = _source(i, h, out_h, align_corners)
        y0 = int(sy)
        y1, ly = min(y0 + 1, h - 1), float(sy - np.float32(y0))
        for j in range(out_w):
            sx = _source(j, w, out_w, align_corners)
            x0 = int(sx)
            x1, lx = min(x0 + 1, w - 1), float(sx - np.float32(x0))
            out[:, :, i, j] = ((1 - ly) * ((1 - lx) * x[:, :, y0, x0] + lx * x[:, :, y0, x1])
                               + ly * ((1 - lx) * x[:, :, y1, x0] + lx * x[:, :, y1, x1]))
    return out


def upsampling_bilinear(x, weight, scale):
    """Bilinear UpSampling as MXNet defines it: each channel scattered through its own
    (k, k) filter with stride ``scale`` (a transposed convolution), k = 2*scale - scale%2,
    the border ceil((scale-1)/2) cropped on every side."""
    n, c, h, w = x.shape
    k = 2 * scale - scale % 2
    pad = int(np.ceil((scale - 1) / 2))
    full = np.zeros((n, c, (h - 1) * scale + k, (w - 1) * scale + k))
    for i in range(h):
        for j in range(w):
            full[:, :, i * scale:i * scale + k, j * scale:j * scale + k] += \
                x[:, :, i, j][:, :, None, None] * weight[:, 0][None]
    return full[:, :, pad:pad + h * scale, pad:pad + w * scale]
