"""NumPy float64 references for the spatial transformer family: GridGenerator, BilinearSampler and
SpatialTransformer.

Written from the formulas in MXNet 1.9.x's documentation of the three ops (the Spatial Transformer
Networks paper's sampler): a grid holds normalised source positions in [-1, 1]; a source pixel is
interpolated from its four integer neighbours, neighbours outside the image reading zero. Plain
per-pixel loops.
"""
import numpy as np


def _pixel(data, n, c, y, x):
    h, w = data.shape[2:]
    return data[n, c, y, x] if 0 <= y < h and 0 <= x < w else 0.0


def bilinear_sampler(data, grid):
    n_, c_, h, w = data.shape
    oh, ow = grid.shape[2:]
    out = np.zeros((n_, c_, oh, ow))
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                x = (grid[n, 0, i, j] + 1) * (w - 1) / 2
                y = (grid[n, 1, i, j] + 1) * (h - 1) / 2
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                fx, fy = x - x0, y - y0
                for c in range(c_):
                    out[n, c, i, j] = (
                        _pixel(data, n, c, y0, x0) * (1 - fx) * (1 - fy)
                        + _pixel(data, n, c, y0, x0 + 1) * fx * (1 - fy)
                        + _pixel(data, n, c, y0 + 1, x0) * (1 - fx) * fy
                        + _pixel(data, n, c, y0 + 1, x0 + 1) * fx * fy)
    return out


def affine_grid(theta, target_shape):
    """(N, 2, H, W): each 2x3 matrix applied to the target position (x, y, 1), x and y running
    evenly over [-1, 1]."""
    h, w = target_shape
    out = np.zeros((theta.shape[0], 2, h, w))
    for n in range(theta.shape[0]):
        t = theta[n].reshape(2, 3)
        for i in range(h):
            for j in range(w):
                pos = np.array([-1 + 2 * j / (w - 1), -1 + 2 * i / (h - 1), 1.0])
                out[n, :, i, j] = t @ pos
    return out


def warp_grid(flow):
    """(N, 2, H, W): pixel position plus flow, normalised to [-1, 1]."""
    n_, _, h, w = flow.shape
    out = np.zeros(flow.shape)
    for i in range(h):
        for j in range(w):
            out[:, 0, i, j] = (flow[:, 0, i, j] + j) / ((w - 1) / 2) - 1
            out[:, 1, i, j] = (flow[:, 1, i, j] + i) / ((h - 1) / 2) - 1
    return out


def grid_generator(data, transform_type, target_shape=(0, 0)):
    if transform_type == "affine":
        return affine_grid(data, target_shape)
    return warp_grid(data)


def spatial_transformer(data, loc, target_shape):
    return bilinear_sampler(data, affine_grid(loc, target_shape))
