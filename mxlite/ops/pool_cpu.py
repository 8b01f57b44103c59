"""Compiled CPU kernel of 2-D max Pooling's backward with overlapping windows (numba through
``_jit``), one (sample, channel) plane per task.

The NumPy code in ``pool.py`` stays the reference; it calls this for host float32/float64
channel-first 4-D data, max pooling ('valid' or 'full', not global) whose windows overlap (a
stride smaller than the kernel, as ResNet's 3x3/2 stem pooling). There NumPy's backward walks the
kernel's positions with boolean masks of the output's size and read-add-write passes over the
padded gradient (about 3x slower); this kernel walks each plane's windows in the caches.
Measured and left on NumPy (the kernel was slower): the forward of max and avg, avg's backward,
and max's backward with disjoint windows (2x2/2), which NumPy does in one write per position.

The window rules are pool.py's: a window starts at ``o*stride - pad``, and its gradient goes to
the first position (row-major, padding included, padding holding the lowest finite value) equal
to the output; a NaN output matches nothing.
"""
import numpy as np

from ._jit import cpu_kernel, prange

__all__ = ["MIN_SIZE", "max_backward"]

MIN_SIZE = 1 << 15   # smaller inputs: starting the threads costs what the kernel saves


@cpu_kernel(parallel=True)
def max_backward(x, y, g, dx, kh, kw, sh, sw, ph, pw):
    """Max pooling's gradient into ``dx`` (P, H, W), zeroed first, from the input ``x``
    (P, H, W), the output ``y`` and head gradient ``g`` (P, OH, OW): each output's gradient goes
    to the first element of its window equal to the output (lost when that is padding)."""
    planes, height, width = x.shape
    oh_n, ow_n = g.shape[1], g.shape[2]
    lowest = np.finfo(x.dtype).min
    for p in prange(planes):
        plane, yp, gp, dst = x[p], y[p], g[p], dx[p]
        for h in range(height):
            for w in range(width):
                dst[h, w] = 0
        for oh in range(oh_n):
            h0 = oh * sh - ph
            for ow in range(ow_n):
                w0 = ow * sw - pw
                target = yp[oh, ow]
                found = False
                for h in range(h0, h0 + kh):
                    for w in range(w0, w0 + kw):
                        inside = 0 <= h < height and 0 <= w < width
                        v = plane[h, w] if inside else lowest
                        if v == target:
                            if inside:
                                dst[h, w] += gp[oh, ow]
                            found = True
                            break
                    if found:
                        break
