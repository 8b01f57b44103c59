"""NumPy float64 reference for LRN: each channel divided by a power of the windowed sum of squares
across neighbouring channels (MXNET_SEMANTICS.md §7.3)."""
import numpy as np


def lrn(x, nsize, alpha=1e-4, beta=0.75, knorm=2.0):
    """out[n, c] = x[n, c] / (knorm + alpha/nsize * sum_{|c'-c| <= nsize//2} x[n, c']^2) ^ beta."""
    half = nsize // 2
    channels = x.shape[1]
    out = np.empty_like(x)
    for c in range(channels):
        lo, hi = max(0, c - half), min(channels, c + half + 1)
        s = (x[:, lo:hi] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (knorm + alpha / nsize * s) ** beta
    return out
