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

The ROI geometry is worked out on the host from the small rois array. ROIAlign's sampling is
separable (a sample's weight is a row weight times a column weight), so each ROI's output is
Wy @ image @ Wx^T with small per-ROI matrices: one GEMM per image for the columns, a batched one
for the rows, on the data's device; the gradient is the transpose. ROIPooling takes the bins'
maxima over the ROIs' crops with masked reductions, ROIs of similar size batched together.
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


def _chunks(todo, heights, widths, per_cell, budget=1 << 19):
    """ROIs in groups of similar crop size (sorted by area), each group's padded work within
    ``budget`` elements: padding a small crop to a large one is the waste to avoid."""
    order = todo[np.lexsort((widths[todo], heights[todo]))]
    group, top_h, top_w = [], 0, 0
    for r in order:
        h, w = max(top_h, heights[r]), max(top_w, widths[r])
        if group and (len(group) + 1) * per_cell * h * w > budget:
            yield np.array(group)
            group, h, w = [], heights[r], widths[r]
        group.append(r)
        top_h, top_w = h, w
    if group:
        yield np.array(group)


def _roi_pool(xp, p, data, rois):
    """Output (R, C, ph, pw) and the flat data index of each maximum (-1 where none).

    ROIs go in chunks; each ROI's crop (padded to the chunk's largest) is reduced per bin, first
    over the bin's columns, then over its rows, with masked maxima (argmax takes the first
    maximum, so ties go to the first in row-major order, as MXNet's strict > loop)."""
    n, c, h, w = data.shape
    ph, pw = _pooled(_RP, p)
    ct = acc_dtype(data.dtype)
    host_rois = to_host(xp, rois).astype(ct)
    r_all = len(host_rois)
    out = xp.zeros((r_all, c, ph, pw), data.dtype)
    where = xp.full((r_all, c, ph, pw), -1, np.int64)
    rows = np.zeros((r_all, ph, 2), np.int64)
    cols = np.zeros((r_all, pw, 2), np.int64)
    batch = host_rois[:, 0].astype(np.int64) if r_all else np.zeros(0, np.int64)
    for r, roi in enumerate(host_rois):
        if 0 <= batch[r] < n:
            rows[r], cols[r] = _roi_pool_bins(p, roi, h, w, ct)
    live = (rows[:, :, None, 1] > rows[:, :, None, 0]) & (cols[:, None, :, 1] > cols[:, None, :, 0])
    live &= ((batch >= 0) & (batch < n))[:, None, None]
    todo = np.flatnonzero(live.any(axis=(1, 2)))
    if not len(todo):
        return out, where
    y_lo = np.where(live.any(axis=2), rows[:, :, 0], h).min(axis=1)
    y_hi = np.where(live.any(axis=2), rows[:, :, 1], 0).max(axis=1)
    x_lo = np.where(live.any(axis=1), cols[:, :, 0], w).min(axis=1)
    x_hi = np.where(live.any(axis=1), cols[:, :, 1], 0).max(axis=1)
    low = xp.asarray(-np.inf, data.dtype)
    for sel in _chunks(todo, y_hi - y_lo, x_hi - x_lo, c * max(ph, pw)):
        hr, wr = int((y_hi - y_lo)[sel].max()), int((x_hi - x_lo)[sel].max())
        ys = y_lo[sel, None] + np.arange(hr)[None]                            # (r, hr)
        xs = x_lo[sel, None] + np.arange(wr)[None]                            # (r, wr)
        crop = data[xp.asarray(batch[sel])[:, None, None], :,
                    xp.asarray(np.minimum(ys, h - 1))[:, :, None],
                    xp.asarray(np.minimum(xs, w - 1))[:, None, :]]            # (r, hr, wr, C)
        crop = crop.transpose(0, 3, 1, 2)                                     # (r, C, hr, wr)
        in_col = xp.asarray((xs[:, None] >= cols[sel, :, :1]) & (xs[:, None] < cols[sel, :, 1:]))
        in_row = xp.asarray((ys[:, None] >= rows[sel, :, :1]) & (ys[:, None] < rows[sel, :, 1:]))
        by_col = xp.where(in_col[:, None, None], crop[:, :, :, None, :], low)  # (r,C,hr,pw,wr)
        col_arg = by_col.argmax(axis=4)                                       # (r, C, hr, pw)
        col_max = xp.take_along_axis(by_col, col_arg[..., None], axis=4)[..., 0]
        by_row = xp.where(in_row[:, None, :, :, None], col_max[:, :, None], low)  # (r,C,ph,hr,pw)
        row_arg = by_row.argmax(axis=3)                                       # (r, C, ph, pw)
        best = xp.take_along_axis(by_row, row_arg[:, :, :, None], axis=3)[:, :, :, 0]
        col_at = xp.take_along_axis(col_arg, row_arg, axis=2)                 # (r, C, ph, pw)
        chan = xp.arange(c)[None, :, None, None]
        b_sel = xp.asarray(batch[sel])[:, None, None, None]
        flat = (((b_sel * c + chan) * h + xp.asarray(y_lo[sel])[:, None, None, None] + row_arg)
                * w + xp.asarray(x_lo[sel])[:, None, None, None] + col_at)
        ok = xp.asarray(live[sel])[:, None]
        sel_x = xp.asarray(sel)
        out[sel_x] = xp.where(ok, best, 0)
        where[sel_x] = xp.where(ok, flat, -1)
    return out, where


def _rp_forward(sc, p, ins):
    # the hidden "maxidx" output keeps each maximum's position for backward, as in MXNet
    return list(_roi_pool(sc.xp, p, ins[0], ins[1]))


def _rp_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, rois = ins
    where = outs[1]
    found = where.reshape(-1) >= 0
    grad = xp.zeros(data.size, acc_dtype(data.dtype))
    scatter_add(xp, grad, where.reshape(-1)[found], upcast(xp, ograds[0]).reshape(-1)[found])
    return [grad.reshape(data.shape).astype(data.dtype, copy=False),
            xp.zeros(rois.shape, rois.dtype)]


def _rp_shape(p, in_shapes):
    ins, outs = _roi_shapes(_RP, p, in_shapes, lambda c: c)
    return ins, outs * 2


def _rp_type(p, in_types):
    ins, outs = uniform_type(_RP, ("data", "rois"), 1)(p, in_types)
    return ins, outs + [np.dtype(np.int64)]


register(OpDef(
    name=_RP, inputs=("data", "rois"),
    params=ParamSpec(
        Shape("pooled_size", REQUIRED, "ROI pooling output shape (h,w) "),
        Float("spatial_scale", REQUIRED, "Ratio of input feature map height (or w) to raw image "
                                         "height (or w). Equals the reciprocal of total stride "
                                         "in convolutional layers")),
    forward=_rp_forward, backward=_rp_backward, infer_shape=_rp_shape, infer_type=_rp_type,
    num_hidden_outputs=1, output_names=lambda p: ["output"],
    backward_reads=BackwardReads(input_shapes=(0, 1), outputs=(1,)),
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


def _axis_weights(start, size, pooled, grid, limit, dtype):
    """Per ROI, the (pooled, limit) matrix averaging the ``grid`` bilinear samples of each bin
    along one axis (roi_align.cc's bilinear_interpolate, which is separable): samples beyond one
    pixel outside weigh 0, those within are clamped to the border. ``start``, ``size`` and
    ``grid`` are (R,) arrays; returns (R, pooled, limit)."""
    t = dtype.type
    r = len(start)
    g_max = int(grid.max()) if r else 1
    step = size / t(pooled)
    i = np.arange(pooled, dtype=dtype)[None, :, None]
    k = np.arange(g_max, dtype=dtype)[None, None, :]
    g = grid.astype(dtype)[:, None, None]
    pos = start[:, None, None] + i * step[:, None, None] + (k + t(0.5)) * step[:, None, None] / g
    live = (k < g) & (pos >= -1) & (pos <= limit)
    pos = np.maximum(pos, t(0))
    low = pos.astype(np.int64)
    top = low >= limit - 1
    low = np.where(top, limit - 1, low)
    high = np.where(top, low, low + 1)
    frac = np.where(top, t(0), pos - low.astype(dtype))
    weights = np.zeros((r, pooled, limit), dtype)
    rows = np.broadcast_to(np.arange(r)[:, None, None], low.shape)
    bins = np.broadcast_to(np.arange(pooled)[None, :, None], low.shape)
    scale = live / g
    np.add.at(weights, (rows, bins, low), ((t(1) - frac) * scale).astype(dtype))
    np.add.at(weights, (rows, bins, high), (frac * scale).astype(dtype))
    return weights


def _ra_weights(p, rois, batch, height, width, dtype):
    """(batch index (R,), Wy (R, ph, H), Wx (R, pw, W)): ROI r's output is Wy[r] @ image @
    Wx[r]^T. A ROI with a negative batch index gets zero weights."""
    ph, pw = _pooled(_RA, p)
    t = dtype.type
    rois = rois.astype(dtype)
    b = rois[:, 0].astype(np.int64)
    bad = np.flatnonzero(b >= batch)
    if len(bad):
        # MXNet reads past the feature map here
        raise MXNetError(f"Error in operator {_RA}: rois row {bad[0]} has batch index "
                         f"{b[bad[0]]}, but data holds {batch} image(s)")
    offset = t(0.5) if p["aligned"] else t(0)
    x1, y1, x2, y2 = (rois[:, i] * t(p["spatial_scale"]) - offset for i in range(1, 5))
    rw, rh = x2 - x1, y2 - y1
    if p["aligned"]:
        empty = np.flatnonzero(((rw <= 0) | (rh <= 0)) & (b >= 0))
        if len(empty):
            raise MXNetError(f"Error in operator {_RA}: ROI {empty[0]} has no area with "
                             f"aligned=True (rois row {rois[empty[0]].tolist()})")
    else:
        rw, rh = np.maximum(rw, t(1)), np.maximum(rh, t(1))
    if p["sample_ratio"] > 0:
        gh = gw = np.full(len(rois), p["sample_ratio"])
    else:
        gh = np.ceil(rh / t(ph)).astype(np.int64)
        gw = np.ceil(rw / t(pw)).astype(np.int64)
    wy = _axis_weights(y1, rh, ph, gh, height, dtype)
    wx = _axis_weights(x1, rw, pw, gw, width, dtype)
    wy[b < 0] = 0
    return np.maximum(b, 0), wy, wx


def _ra_forward(sc, p, ins):
    xp = sc.xp
    data, rois = ins
    n, c, h, w = data.shape
    ph, pw = _pooled(_RA, p)
    ct = acc_dtype(data.dtype)
    b, wy, wx = _ra_weights(p, to_host(xp, rois), n, h, w, ct)
    img = data.astype(ct, copy=False)
    full = xp.zeros((len(b), c, ph, pw), ct)          # every data channel, every bin
    for image in np.unique(b):
        sel = np.flatnonzero(b == image)
        wx_s, wy_s = xp.asarray(wx[sel]), xp.asarray(wy[sel])
        # contract the width with one GEMM for all of the image's ROIs, then the height per ROI
        cols = xp.matmul(img[image].reshape(c * h, w), wx_s.reshape(-1, w).T)
        cols = cols.reshape(c, h, len(sel), pw).transpose(2, 0, 1, 3)            # (r, C, H, pw)
        full[xp.asarray(sel)] = xp.matmul(wy_s[:, None], cols)
    if p["position_sensitive"]:
        planes = ph * pw
        chan = (xp.arange(c // planes)[:, None] * planes + xp.arange(planes)[None, :])
        bins = xp.arange(planes)
        flat = full.reshape(len(b), c, planes)
        out = flat[:, chan, bins[None, :]].reshape(len(b), c // planes, ph, pw)
    else:
        out = full
    return [xp.ascontiguousarray(out).astype(data.dtype, copy=False)]


def _ra_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, rois = ins
    n, c, h, w = data.shape
    ph, pw = _pooled(_RA, p)
    ct = acc_dtype(data.dtype)
    b, wy, wx = _ra_weights(p, to_host(xp, rois), n, h, w, ct)
    g = ograds[0].astype(ct)
    if p["position_sensitive"]:
        planes = ph * pw
        full = xp.zeros((len(b), c, planes), ct)
        chan = (xp.arange(c // planes)[:, None] * planes + xp.arange(planes)[None, :])
        full[:, chan, xp.arange(planes)[None, :]] = g.reshape(len(b), c // planes, planes)
        g = full.reshape(len(b), c, ph, pw)
    grad = xp.zeros((n, c, h, w), ct)
    for image in np.unique(b):
        sel = np.flatnonzero(b == image)
        wx_s, wy_s = xp.asarray(wx[sel]), xp.asarray(wy[sel])
        rows = xp.matmul(wy_s.transpose(0, 2, 1)[:, None], g[xp.asarray(sel)])  # (r, C, H, pw)
        rows = rows.transpose(1, 2, 0, 3).reshape(c * h, -1)
        grad[image] += xp.matmul(rows, wx_s.reshape(-1, w)).reshape(c, h, w)
    return [grad.astype(data.dtype, copy=False), _zero_rois(xp, rois)]


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
