"""NumPy float64 references for the roi family: ROIPooling and _contrib_ROIAlign.

Written from MXNet 1.9.x's descriptions (roi_pooling.cc, contrib/roi_align.cc): per ROI, per bin,
per sample loops.
"""
import math

import numpy as np


def _round(v):
    """C's round: half away from zero."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def roi_pooling(data, rois, pooled_size, spatial_scale):
    n_, c_, h, w = data.shape
    ph, pw = pooled_size
    out = np.zeros((len(rois), c_, ph, pw))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        if not 0 <= b < n_:
            continue
        x1, y1, x2, y2 = (_round(v * spatial_scale) for v in roi[1:])
        rh, rw = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
        for i in range(ph):
            h0 = min(max(math.floor(i * rh / ph) + y1, 0), h)
            h1 = min(max(math.ceil((i + 1) * rh / ph) + y1, 0), h)
            for j in range(pw):
                w0 = min(max(math.floor(j * rw / pw) + x1, 0), w)
                w1 = min(max(math.ceil((j + 1) * rw / pw) + x1, 0), w)
                if h1 > h0 and w1 > w0:
                    out[r, :, i, j] = data[b, :, h0:h1, w0:w1].max(axis=(1, 2))
    return out


def _bilinear(plane, y, x):
    """One sample of a (H, W) plane: zero beyond one pixel outside, clamped to the border."""
    h, w = plane.shape
    if y < -1 or y > h or x < -1 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
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


def roi_align(data, rois, pooled_size, spatial_scale, sample_ratio=-1, position_sensitive=False,
              aligned=False):
    n_, c_, h, w = data.shape
    ph, pw = pooled_size
    cout = c_ // (ph * pw) if position_sensitive else c_
    out = np.zeros((len(rois), cout, ph, pw))
    off = 0.5 if aligned else 0.0
    for r, roi in enumerate(rois):
        b = int(roi[0])
        if b < 0:
            continue
        x1, y1, x2, y2 = (v * spatial_scale - off for v in roi[1:])
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = sample_ratio if sample_ratio > 0 else math.ceil(rh / ph)
        gw = sample_ratio if sample_ratio > 0 else math.ceil(rw / pw)
        for c in range(cout):
            for i in range(ph):
                for j in range(pw):
                    chan = c * ph * pw + i * pw + j if position_sensitive else c
                    total = 0.0
                    for iy in range(gh):
                        y = y1 + i * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            x = x1 + j * bw + (ix + 0.5) * bw / gw
                            total += _bilinear(data[b, chan], y, x)
                    out[r, c, i, j] = total / (gh * gw)
    return out
