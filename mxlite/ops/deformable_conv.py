"""``_contrib_DeformableConvolution`` (deformable convolution v1, src/operator/contrib/
deformable_convolution*, nn/deformable_im2col.h).

A 2-D convolution whose kernel taps move: tap (i, j) of the window at output (y, x) reads the
data at (y*stride - pad + i*dilate + dy, x*stride - pad + j*dilate + dx), where (dy, dx) are
channels 2*(i*kw + j) and 2*(i*kw + j) + 1 of the ``offset`` input's block for the channel's
deformable group (offset (N, num_deformable_group * 2*kh*kw, out_h, out_w)). A position is read by
bilinear interpolation when 0 <= y < H and 0 <= x < W (the neighbours clamped to the last
row/column), else as 0. The sampled columns are multiplied by ``weight`` (F, C/num_group, kh, kw)
group by group, plus ``bias`` unless ``no_bias``.

Gradients: data gets the columns' gradient scattered back through the interpolation weights, the
offsets the interpolant's slope (zero outside the image, and along an axis clamped to the last
row/column), weight and bias as in a convolution. float16 computes in float32.
"""
import itertools

import numpy as np

from ..base import MXNetError
from ._util import acc_dtype, fmt_shape, uniform_type
from .index import scatter_add
from .params import REQUIRED, Bool, Enum, Int, ParamSpec, Shape
from .registry import OpDef, register

_OP = "_contrib_DeformableConvolution"


def _geometry(p):
    kernel = tuple(p["kernel"])
    if len(kernel) != 2:
        raise MXNetError(f"Error in operator {_OP}: only 2-D kernels are supported (as in "
                         f"MXNet), got kernel={kernel}")
    out = [kernel]
    for name, default in (("stride", 1), ("dilate", 1), ("pad", 0)):
        value = tuple(p[name]) or (default,) * 2
        if len(value) != 2:
            raise MXNetError(f"Error in operator {_OP}: {name}={value} must have 2 entries")
        out.append(value)
    if min(out[0] + out[1] + out[2]) < 1 or min(out[3]) < 0:
        raise MXNetError(f"Error in operator {_OP}: kernel, stride and dilate must be >= 1 and "
                         f"pad >= 0 (kernel={out[0]}, stride={out[1]}, dilate={out[2]}, "
                         f"pad={out[3]})")
    if p["num_filter"] < 1 or p["num_group"] < 1 or p["num_deformable_group"] < 1:
        raise MXNetError(f"Error in operator {_OP}: num_filter={p['num_filter']}, num_group="
                         f"{p['num_group']} and num_deformable_group="
                         f"{p['num_deformable_group']} must be >= 1")
    return out


def _inputs(p):
    return ["data", "offset", "weight"] + ([] if p["no_bias"] else ["bias"])


def _shape(p, in_shapes):
    kernel, stride, dilate, pad = _geometry(p)
    data, offset = in_shapes[0], in_shapes[1]
    if data is None:
        return list(in_shapes), [None]
    if len(data) != 4:
        raise MXNetError(f"Error in operator {_OP}: data should be 4-D (N, C, H, W), got data "
                         f"shape {fmt_shape(data)}")
    c, f, g, dg = data[1], p["num_filter"], p["num_group"], p["num_deformable_group"]
    if c % g or f % g or c % dg:
        raise MXNetError(f"Error in operator {_OP}: the data's channels ({c}) must divide into "
                         f"num_group={g} and num_deformable_group={dg} groups, and num_filter="
                         f"{f} into num_group")
    out = tuple((s + 2 * q - (d * (k - 1) + 1)) // st + 1
                for s, k, st, d, q in zip(data[2:], kernel, stride, dilate, pad))
    if min(out) < 1:
        raise MXNetError(f"Error in operator {_OP}: kernel={kernel} does not fit data "
                         f"{fmt_shape(data)} with pad={pad}, dilate={dilate}")
    want_offset = (data[0], dg * 2 * kernel[0] * kernel[1]) + out
    if offset is not None and tuple(offset) != want_offset:
        raise MXNetError(f"Error in operator {_OP}: offset shape {fmt_shape(offset)} should be "
                         f"{fmt_shape(want_offset)} (batch, num_deformable_group*2*kh*kw, "
                         f"out_h, out_w)")
    shapes = [tuple(data), want_offset, (f, c // g) + kernel] + ([] if p["no_bias"] else [(f,)])
    for name, given, want in zip(_inputs(p)[2:], in_shapes[2:], shapes[2:]):
        if given is not None and tuple(given) != want:
            raise MXNetError(f"Error in operator {_OP}: Shape inconsistent, Provided = "
                             f"{fmt_shape(given)}, inferred shape={fmt_shape(want)} for {name}")
    return shapes, [(data[0], f) + out]


def _samples(xp, p, data, offset):
    """Per (channel, tap, position): the four neighbours' flat indices into data (N, C, H*W) and
    their weights, the sampling validity, and the fractional parts and clamps for the slopes."""
    kernel, stride, dilate, pad = _geometry(p)
    n, c, h, w = data.shape
    dg = p["num_deformable_group"]
    oh, ow = offset.shape[2:]
    k = kernel[0] * kernel[1]
    off = offset.reshape(n, dg, k, 2, oh, ow)
    taps = np.array(list(itertools.product(range(kernel[0]), range(kernel[1]))))
    tap_y = (taps[:, 0] * dilate[0])[:, None, None]
    tap_x = (taps[:, 1] * dilate[1])[:, None, None]
    base_y = (np.arange(oh) * stride[0] - pad[0])[None, :, None] + tap_y      # (K, oh, 1)
    base_x = (np.arange(ow) * stride[1] - pad[1])[None, None, :] + tap_x      # (K, 1, ow)
    y = xp.asarray(base_y, off.dtype) + off[:, :, :, 0]          # (N, DG, K, oh, ow)
    x = xp.asarray(base_x, off.dtype) + off[:, :, :, 1]
    valid = (y >= 0) & (x >= 0) & (y < h) & (x < w)
    ys, xs = xp.where(valid, y, 0), xp.where(valid, x, 0)
    y0, x0 = xp.floor(ys).astype(np.int64), xp.floor(xs).astype(np.int64)
    clamp_y, clamp_x = y0 >= h - 1, x0 >= w - 1
    y1 = xp.where(clamp_y, h - 1, y0 + 1)
    x1 = xp.where(clamp_x, w - 1, x0 + 1)
    y0, x0 = xp.minimum(y0, h - 1), xp.minimum(x0, w - 1)
    ly = xp.where(clamp_y, 0, ys - y0)
    lx = xp.where(clamp_x, 0, xs - x0)
    return dict(valid=valid, y0=y0, y1=y1, x0=x0, x1=x1, ly=ly, lx=lx, clamp_y=clamp_y,
                clamp_x=clamp_x, width=w)


def _corners(s):
    """[(row, col, weight)] of the four neighbours, weights zero where the sample is invalid."""
    ly, lx, v = s["ly"], s["lx"], s["valid"]
    return [(s["y0"], s["x0"], (1 - ly) * (1 - lx) * v), (s["y0"], s["x1"], (1 - ly) * lx * v),
            (s["y1"], s["x0"], ly * (1 - lx) * v), (s["y1"], s["x1"], ly * lx * v)]


def _gather(xp, plane, rows, cols, width, dg):
    """plane (N, C, H*W) read at (rows, cols) (N, DG, K, oh, ow): (N, C, K, oh, ow)."""
    n, c, _ = plane.shape
    idx = (rows * width + cols)                                   # (N, DG, K, oh, ow)
    per = c // dg
    idx = xp.repeat(idx, per, axis=1)                             # (N, C, K, oh, ow)
    flat = idx.reshape(n, c, -1)
    return xp.take_along_axis(plane, flat, axis=2).reshape(idx.shape)


def _columns(xp, p, data, offset, s):
    n, c, h, w = data.shape
    plane = data.reshape(n, c, h * w)
    dg = p["num_deformable_group"]
    cols = 0
    for rows, cols_idx, weight in _corners(s):
        cols = cols + _gather(xp, plane, rows, cols_idx, w, dg) * xp.repeat(weight, c // dg, 1)
    return cols                                                   # (N, C, K, oh, ow)


def _forward(sc, p, ins):
    xp = sc.xp
    data, offset, weight = ins[:3]
    ct = acc_dtype(data.dtype)
    n, c = data.shape[:2]
    f, g = p["num_filter"], p["num_group"]
    s = _samples(xp, p, data.astype(ct), offset.astype(ct))
    cols = _columns(xp, p, data.astype(ct), offset, s)
    k, oh, ow = cols.shape[2:]
    cols = cols.reshape(n, g, (c // g) * k, oh * ow)
    wg = weight.astype(ct).reshape(g, f // g, (c // g) * k)
    out = xp.matmul(wg[None], cols).reshape(n, f, oh, ow)
    if not p["no_bias"]:
        out = out + ins[3].astype(ct).reshape(1, f, 1, 1)
    return [out.astype(data.dtype, copy=False)]


def _backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, offset, weight = ins[:3]
    ct = acc_dtype(data.dtype)
    n, c, h, w = data.shape
    f, g, dg = p["num_filter"], p["num_group"], p["num_deformable_group"]
    dat = data.astype(ct)
    s = _samples(xp, p, dat, offset.astype(ct))
    cols = _columns(xp, p, dat, offset, s)
    k, oh, ow = cols.shape[2:]
    gy = ograds[0].astype(ct).reshape(n, g, f // g, oh * ow)
    wg = weight.astype(ct).reshape(g, f // g, (c // g) * k)
    dweight = xp.matmul(gy, cols.reshape(n, g, (c // g) * k, oh * ow).transpose(0, 1, 3, 2))
    dcols = xp.matmul(wg.transpose(0, 2, 1)[None], gy).reshape(n, c, k, oh, ow)
    # data: the column gradient scattered through the interpolation weights
    ddata = xp.zeros(n * c * h * w, ct)
    chan = (xp.arange(n)[:, None] * c + xp.arange(c)[None, :]) * (h * w)      # (N, C)
    per = c // dg
    for rows, cols_idx, wt in _corners(s):
        idx = xp.repeat(rows * w + cols_idx, per, axis=1) + chan[:, :, None, None, None]
        scatter_add(xp, ddata, idx.reshape(-1), (dcols * xp.repeat(wt, per, 1)).reshape(-1))
    # offsets: the interpolant's slope along y and x, summed over the group's channels
    plane = dat.reshape(n, c, h * w)
    v00 = _gather(xp, plane, s["y0"], s["x0"], w, dg)
    v01 = _gather(xp, plane, s["y0"], s["x1"], w, dg)
    v10 = _gather(xp, plane, s["y1"], s["x0"], w, dg)
    v11 = _gather(xp, plane, s["y1"], s["x1"], w, dg)
    ly, lx = xp.repeat(s["ly"], per, 1), xp.repeat(s["lx"], per, 1)
    live_y = xp.repeat(s["valid"] & ~s["clamp_y"], per, 1)
    live_x = xp.repeat(s["valid"] & ~s["clamp_x"], per, 1)
    slope_y = ((v10 - v00) * (1 - lx) + (v11 - v01) * lx) * live_y
    slope_x = ((v01 - v00) * (1 - ly) + (v11 - v10) * ly) * live_x
    gy_off = (dcols * slope_y).reshape(n, dg, per, k, oh, ow).sum(axis=2)
    gx_off = (dcols * slope_x).reshape(n, dg, per, k, oh, ow).sum(axis=2)
    doffset = xp.stack([gy_off, gx_off], axis=3).reshape(offset.shape)
    grads = [ddata.reshape(data.shape).astype(data.dtype, copy=False),
             doffset.astype(offset.dtype, copy=False),
             dweight.sum(axis=0).reshape(weight.shape).astype(weight.dtype, copy=False)]
    if not p["no_bias"]:
        grads.append(ograds[0].astype(ct).sum(axis=(0, 2, 3)).astype(ins[3].dtype, copy=False))
    return grads


register(OpDef(
    name=_OP, inputs=_inputs,
    params=ParamSpec(
        Shape("kernel", REQUIRED, "Convolution kernel size: (h, w) or (d, h, w)"),
        Shape("stride", (), "Convolution stride: (h, w) or (d, h, w). Defaults to 1 for each "
                            "dimension."),
        Shape("dilate", (), "Convolution dilate: (h, w) or (d, h, w). Defaults to 1 for each "
                            "dimension."),
        Shape("pad", (), "Zero pad for convolution: (h, w) or (d, h, w). Defaults to no "
                         "padding."),
        Int("num_filter", REQUIRED, "Convolution filter(channel) number"),
        Int("num_group", 1, "Number of group partitions."),
        Int("num_deformable_group", 1, "Number of deformable group partitions."),
        Int("workspace", 1024, "Maximum temperal workspace allowed for convolution (MB)."),
        Bool("no_bias", False, "Whether to disable bias parameter."),
        Enum("layout", ("NCDHW", "NCHW", "NCW"), None, "Set layout for input, output and weight. "
                                                       "Only NCHW is supported.", optional=True)),
    forward=_forward, backward=_backward, infer_shape=_shape,
    infer_type=lambda p, t: uniform_type(_OP, _inputs(p), 1)(p, t),
    doc="Deformable convolution (v1): a 2-D convolution whose kernel taps are displaced by the "
        "learned offsets, read by bilinear interpolation."))
