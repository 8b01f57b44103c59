"""Region-of-interest pooling: ROIPooling and ``_contrib_ROIAlign``.

Both take a feature map ``data`` (N, C, H, W) and ``rois`` (R, 5), rows ``[batch_index, x1, y1, x2,
y2]`` in image coordinates that ``spatial_scale`` maps onto the feature map, and give (R, C,
pooled_h, pooled_w). ``rois`` takes no gradient (zeros, as MXNet writes).

- ROIPooling (src/operator/roi_pooling.cc) rounds the scaled corners to whole pixels, splits the
  (end - start + 1)-pixel box into bins [floor(i*size/p), ceil((i+1)*size/p)) clipped to the map,
  and takes each bin's maximum (the first one in row-major order on ties); an empty bin or a batch
  index outside [0, N) gives 0. The gradient goes to each maximum's position.
- ROIAlign (src/operator/contrib/roi_align.cc) keeps the corners fractional, averages
  ``sample_ratio``^2 (adaptive: ceil(bin size)) bilinear samples per bin; samples beyond one pixel
  outside the map count as zero, those within it are clamped to the border. ``aligned`` shifts the
  box by half a pixel (Detectron2); ``position_sensitive`` reads channel c*ph*pw + bin for output
  channel c (R-FCN), so the output has C/(ph*pw) channels. A negative batch index gives zeros
  (MXNet zeroes one element of that ROI's output and leaves the rest unwritten); one >= N is an
  error (MXNet reads outside the feature map).

The ROI geometry (bins, sampling points, weights) is worked out on the host from the small rois
array; the feature map is read and written with gathers and scatter-adds on its own device.
"""
import math

import numpy as np

from ..base import MXNetError
from ._util import acc_dtype, fmt_shape, uniform_type, upcast
from .index import scatter_add
from .params import REQUIRED, Bool, Float, Int, ParamSpec, Shape
from .registry import BackwardReads, OpDef, register


def to_host(xp, x):
    """``x`` as a NumPy array (copied from the device when ``xp`` is CuPy)."""
    return x.get() if xp is not np else np.asarray(x)


def _pooled(op, p):
    size = tuple(p["pooled_size"])
    if len(size) != 2 or min(size) < 1:
        raise MXNetError(f"Error in operator {op}: pooled_size={p['pooled_size']} must be (h, w) "
                         f"with both >= 1")
    return size


def _roi_shapes(op, p, in_shapes, channels_out):
    data, rois = in_shapes
    ph, pw = _pooled(op, p)
    if data is not None and len(data) != 4:
        raise MXNetError(f"Error in operator {op}: data should be a 4D tensor (N, C, H, W), got "
                         f"data shape {fmt_shape(data)}")
    if rois is not None and (len(rois) != 2 or rois[1] != 5):
        raise MXNetError(f"Error in operator {op}: rois should be a 2D tensor of shape "
                         f"(num_rois, 5), got rois shape {fmt_shape(rois)}")
    if data is None or rois is None:
        return list(in_shapes), [None]
    return [tuple(data), tuple(rois)], [(rois[0], channels_out(data[1]), ph, pw)]


def _zero_rois(xp, rois):
    return xp.zeros_like(rois)


# ----- ROIPooling ---------------------------------------------------------------------------------
_RP = "ROIPooling"


def _roi_pool_bins(p, roi, height, width, dtype):
    """Bin row ranges and column ranges of one ROI (roi_pooling.cc: bin sizes in the data's
    dtype, corners rounded half away from zero)."""
    ph, pw = _pooled(_RP, p)
    scale = np.float32(p["spatial_scale"])

    def corner(v):
        v = np.float32(v) * scale if dtype != np.float64 else float(v) * float(scale)
        return int(math.copysign(math.floor(abs(v) + 0.5), v))

    x1, y1, x2, y2 = (corner(v) for v in roi[1:5])
    size_h, size_w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)

    def ranges(start, size, pooled, limit):
        step = dtype.type(size) / dtype.type(pooled)
        out = []
        for i in range(pooled):
            lo = int(np.floor(dtype.type(i) * step)) + start
            hi = int(np.ceil(dtype.type(i + 1) * step)) + start
            out.append((min(max(lo, 0), limit), min(max(hi, 0), limit)))
        return out

    return ranges(y1, size_h, ph, height), ranges(x1, size_w, pw, width)


def _roi_pool(xp, p, data, rois):
    """Output (R, C, ph, pw) and the flat data index of each maximum (-1 where none)."""
    n, c, h, w = data.shape
    ph, pw = _pooled(_RP, p)
    ct = acc_dtype(data.dtype)
    host_rois = to_host(xp, rois).astype(ct)
    out = xp.zeros((rois.shape[0], c, ph, pw), data.dtype)
    where = xp.full((rois.shape[0], c, ph, pw), -1, np.int64)
    chans = xp.arange(c)[:, None]
    for r, roi in enumerate(host_rois):
        b = int(roi[0])
        if not 0 <= b < n:
            continue
        rows, cols = _roi_pool_bins(p, roi, h, w, ct)
        for j, (x0, x1) in enumerate(cols):
            if x1 <= x0:
                continue
            strip = data[b, :, :, x0:x1]                      # (C, H, bin width)
            col_arg = strip.argmax(axis=2)                    # first maximum of each row
            col_max = xp.take_along_axis(strip, col_arg[:, :, None], axis=2)[:, :, 0]
            for i, (y0, y1) in enumerate(rows):
                if y1 <= y0:
                    continue
                row = y0 + col_max[:, y0:y1].argmax(axis=1)   # first row holding the maximum
                col = x0 + col_arg[chans[:, 0], row]
                out[r, :, i, j] = data[b, chans[:, 0], row, col]
                where[r, :, i, j] = ((b * c + chans[:, 0]) * h + row) * w + col
    return out, where


def _rp_forward(sc, p, ins):
    return [_roi_pool(sc.xp, p, ins[0], ins[1])[0]]


def _rp_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, rois = ins
    _, where = _roi_pool(xp, p, data, rois)
    found = where.reshape(-1) >= 0
    grad = xp.zeros(data.size, acc_dtype(data.dtype))
    scatter_add(xp, grad, where.reshape(-1)[found], upcast(xp, ograds[0]).reshape(-1)[found])
    return [grad.reshape(data.shape).astype(data.dtype, copy=False), _zero_rois(xp, rois)]


register(OpDef(
    name=_RP, inputs=("data", "rois"),
    params=ParamSpec(
        Shape("pooled_size", REQUIRED, "ROI pooling output shape (h,w) "),
        Float("spatial_scale", REQUIRED, "Ratio of input feature map height (or w) to raw image "
                                         "height (or w). Equals the reciprocal of total stride "
                                         "in convolutional layers")),
    forward=_rp_forward, backward=_rp_backward,
    infer_shape=lambda p, s: _roi_shapes(_RP, p, s, lambda c: c),
    infer_type=uniform_type(_RP, ("data", "rois"), 1),
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="Region of interest max pooling (Fast R-CNN): each ROI [batch, x1, y1, x2, y2] of the "
        "feature map pooled to pooled_size."))


# ----- ROIAlign -----------------------------------------------------------------------------------
_RA = "_contrib_ROIAlign"


def _ra_channels(p, c):
    ph, pw = _pooled(_RA, p)
    if p["position_sensitive"]:
        if c % (ph * pw):
            raise MXNetError(f"Error in operator {_RA}: with position_sensitive the data's "
                             f"channels ({c}) must be a multiple of pooled_size "
                             f"{tuple(p['pooled_size'])} area {ph * pw}")
        return c // (ph * pw)
    return c


def _ra_samples(p, rois, batch, height, width, dtype):
    """Every bilinear sample of every ROI, as flat arrays: output row (roi * bins + bin), data
    plane (batch * planes + plane), the four neighbours' positions (4, S) in the plane and their
    weights (4, S), already divided by the bin's sample count."""
    ph, pw = _pooled(_RA, p)
    t = dtype.type
    scale = t(p["spatial_scale"])
    offset = t(0.5) if p["aligned"] else t(0)
    planes = ph * pw if p["position_sensitive"] else 1
    out_rows, data_planes, pos, wts = [], [], [], []
    for r, roi in enumerate(rois.astype(dtype)):
        b = int(roi[0])
        if b < 0:
            continue
        if b >= batch:
            # MXNet reads past the feature map here
            raise MXNetError(f"Error in operator {_RA}: rois row {r} has batch index {b}, but "
                             f"data holds {batch} image(s)")
        x1, y1, x2, y2 = (v * scale - offset for v in roi[1:5])
        rw, rh = x2 - x1, y2 - y1
        if p["aligned"]:
            if rw <= 0 or rh <= 0:
                raise MXNetError(f"Error in operator {_RA}: ROI {r} has no area with "
                                 f"aligned=True (rois row {list(map(float, roi))})")
        else:
            rw, rh = max(rw, t(1)), max(rh, t(1))
        bh, bw = rh / t(ph), rw / t(pw)
        gh = p["sample_ratio"] if p["sample_ratio"] > 0 else int(np.ceil(rh / t(ph)))
        gw = p["sample_ratio"] if p["sample_ratio"] > 0 else int(np.ceil(rw / t(pw)))
        count = t(gh * gw)
        iy = np.arange(gh, dtype=dtype)
        ix = np.arange(gw, dtype=dtype)
        for i in range(ph):
            ys = y1 + t(i) * bh + (iy + t(0.5)) * bh / t(gh)
            for j in range(pw):
                xs = x1 + t(j) * bw + (ix + t(0.5)) * bw / t(gw)
                yy, xx = np.repeat(ys, gw), np.tile(xs, gh)
                p4, w4 = _bilinear_points(yy, xx, height, width, dtype)
                bin_ = i * pw + j
                out_rows.append(np.full(yy.size, r * ph * pw + bin_))
                plane = bin_ if p["position_sensitive"] else 0
                data_planes.append(np.full(yy.size, b * planes + plane))
                pos.append(p4)
                wts.append(w4 / count)
    if not out_rows:
        return None
    return (np.concatenate(out_rows), np.concatenate(data_planes),
            np.concatenate(pos, axis=1), np.concatenate(wts, axis=1))


def _bilinear_points(y, x, height, width, dtype):
    """roi_align.cc's bilinear_interpolate: neighbours and weights of sample points, zero weight
    beyond one pixel outside the map, clamped to the border within it."""
    t = dtype.type
    outside = (y < -1) | (y > height) | (x < -1) | (x > width)
    y, x = np.maximum(y, t(0)), np.maximum(x, t(0))
    y0, x0 = y.astype(np.int64), x.astype(np.int64)
    top_y, top_x = y0 >= height - 1, x0 >= width - 1
    y0 = np.where(top_y, height - 1, y0)
    x0 = np.where(top_x, width - 1, x0)
    y1 = np.where(top_y, y0, y0 + 1)
    x1 = np.where(top_x, x0, x0 + 1)
    ly = np.where(top_y, t(0), y - y0.astype(dtype))
    lx = np.where(top_x, t(0), x - x0.astype(dtype))
    hy, hx = t(1) - ly, t(1) - lx
    pos = np.stack([y0 * width + x0, y0 * width + x1, y1 * width + x0, y1 * width + x1])
    wts = np.stack([hy * hx, hy * lx, ly * hx, ly * lx]) * ~outside
    pos[:, outside] = 0
    return pos, wts


def _ra_layout(p, data):
    """The data as (N * planes, H * W, C_out): rows of output channels at each position."""
    n, c, h, w = data.shape
    ph, pw = _pooled(_RA, p)
    planes = ph * pw if p["position_sensitive"] else 1
    cout = c // planes
    return data.reshape(n, cout, planes, h * w).transpose(0, 2, 3, 1).reshape(
        n * planes, h * w, cout), cout


def _ra_forward(sc, p, ins):
    xp = sc.xp
    data, rois = ins
    ph, pw = _pooled(_RA, p)
    ct = acc_dtype(data.dtype)
    table, cout = _ra_layout(p, upcast(xp, data))
    out = xp.zeros((rois.shape[0] * ph * pw, cout), ct)
    n, _, h, w = data.shape
    samples = _ra_samples(p, to_host(xp, rois), n, h, w, ct)
    if samples is not None:
        rows, planes, pos, wts = (xp.asarray(a) for a in samples)
        acc = sum(table[planes, pos[k]] * wts[k][:, None].astype(ct) for k in range(4))
        scatter_add(xp, out, rows, acc)
    out = out.reshape(rois.shape[0], ph, pw, cout).transpose(0, 3, 1, 2)
    return [xp.ascontiguousarray(out).astype(data.dtype, copy=False)]


def _ra_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, rois = ins
    n, c, h, w = data.shape
    ph, pw = _pooled(_RA, p)
    ct = acc_dtype(data.dtype)
    planes = ph * pw if p["position_sensitive"] else 1
    cout = c // planes
    g = upcast(xp, ograds[0]).transpose(0, 2, 3, 1).reshape(-1, cout)
    table = xp.zeros((n * planes * h * w, cout), ct)
    samples = _ra_samples(p, to_host(xp, rois), n, h, w, ct)
    if samples is not None:
        rows, plane, pos, wts = (xp.asarray(a) for a in samples)
        for k in range(4):
            scatter_add(xp, table, plane * (h * w) + pos[k],
                        g[rows] * wts[k][:, None].astype(ct))
    grad = table.reshape(n, planes, h * w, cout).transpose(0, 3, 1, 2).reshape(data.shape)
    return [xp.ascontiguousarray(grad).astype(data.dtype, copy=False), _zero_rois(xp, rois)]


register(OpDef(
    name=_RA, inputs=("data", "rois"),
    params=ParamSpec(
        Shape("pooled_size", REQUIRED, "ROI Align output roi feature map height and width: "
                                       "(h, w)"),
        Float("spatial_scale", REQUIRED, "Ratio of input feature map height (or w) to raw image "
                                         "height (or w). Equals the reciprocal of total stride "
                                         "in convolutional layers"),
        Int("sample_ratio", -1, "Optional sampling ratio of ROI align, using adaptive size by "
                                "default."),
        Bool("position_sensitive", False, "Whether to perform position-sensitive RoI pooling."),
        Bool("aligned", False, "Center-aligned ROIAlign introduced in Detectron2.")),
    forward=_ra_forward, backward=_ra_backward,
    infer_shape=lambda p, s: _roi_shapes(_RA, p, s, lambda c: _ra_channels(p, c)),
    infer_type=uniform_type(_RA, ("data", "rois"), 1),
    backward_reads=BackwardReads(inputs=(1,), input_shapes=(0,)),
    doc="ROI Align (Mask R-CNN): each ROI of the feature map averaged from bilinear samples into "
        "pooled_size bins, without quantising coordinates."))
