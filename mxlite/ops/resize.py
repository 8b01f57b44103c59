"""Spatial resampling: UpSampling (nearest), ``_contrib_BilinearResize2D`` and
``_contrib_AdaptiveAvgPooling2D``.

UpSampling (``src/operator/nn/upsampling*``) takes ``num_args`` NCHW inputs (``arg0``, ...). Input i
is repeated by ``out_h / h_i`` with ``out_h = h_0 * scale``, so every input must divide the output
size; ``multi_input_mode='concat'`` stacks the results on the channel axis, ``'sum'`` adds them
(equal channel counts). The gradient of each input sums the output gradient over its blocks.
Bilinear upsampling takes ``data`` and a learned ``weight`` (C, 1, k, k), k = 2*scale - scale%2,
and is the per-channel Deconvolution of upsampling-inl.h (stride scale, pad ceil((scale-1)/2)),
so its forward and gradients are Deconvolution's.

The two contrib resamplers (src/operator/contrib/adaptive_avg_pooling*, bilinear_resize*) are
separable: each output row (column) is a fixed weighted sum of input rows (columns), so the op is
``Wh @ x @ Ww^T`` with small weight matrices built on the host and its gradient ``Wh^T @ g @ Ww``.
float16 computes in float32.
"""
import numpy as np

from ..base import MXNetError
from ._util import fmt_shape
from .params import REQUIRED, Bool, Enum, Float, Int, OptShape, ParamSpec
from . import registry
from .registry import OpDef, register

# ----- UpSampling ---------------------------------------------------------------------------------
_UP_PARAMS = ParamSpec(
    Int("scale", REQUIRED, "Up sampling scale"),
    Int("num_filter", 0, "Input filter. Only used by bilinear sample_type.Since bilinear "
                         "upsampling uses deconvolution, num_filters is set to the number of "
                         "channels."),
    Enum("sample_type", ("bilinear", "nearest"), REQUIRED, "upsampling method"),
    Enum("multi_input_mode", ("concat", "sum"), "concat",
         "How to handle multiple input. concat means concatenate upsampled images along the "
         "channel dimension. sum means add all images together, only available for nearest "
         "neighbor upsampling."),
    Int("num_args", 1, "Number of inputs to be upsampled (set automatically)."),
    Int("workspace", 512, "Tmp workspace for deconvolution (MB)"))


def _up_check(p):
    if p["scale"] < 1:
        raise MXNetError(f"Error in operator UpSampling: scale must be >= 1, got {p['scale']}")


def _up_inputs(p):
    if p["sample_type"] == "bilinear":
        return ("data", "weight")
    return tuple(f"arg{i}" for i in range(p["num_args"]))


def _bilinear_deconv(p, channels):
    """The Deconvolution bilinear upsampling is (upsampling-inl.h GetDeconvolutionParam): one
    filter per channel, kernel 2*scale - scale%2, stride scale, pad ceil((scale-1)/2)."""
    s = p["scale"]
    k = 2 * s - s % 2
    pad = s // 2  # == ceil((s - 1) / 2)
    return registry.get("Deconvolution").parse(
        {"kernel": (k, k), "stride": (s, s), "pad": (pad, pad), "num_filter": channels,
         "num_group": channels, "no_bias": True, "workspace": p["workspace"]})


def _up_bilinear_shape(p, in_shapes):
    data, weight = in_shapes
    if data is None:
        return list(in_shapes), [None]
    if len(data) != 4:
        raise MXNetError(f"Error in operator UpSampling: UpSamplingBilinear: Input data should "
                         f"be 4D in (batch, channel, y, x), got data shape {fmt_shape(data)}")
    if p["num_filter"] != data[1]:
        # MXNet builds its deconvolution with num_filter groups while shaping weight and output
        # by the data's channels: anything but equality computes garbage there
        raise MXNetError(f"Error in operator UpSampling: num_filter={p['num_filter']} must equal "
                         f"the number of channels of data {fmt_shape(data)} for bilinear "
                         f"sampling")
    k = 2 * p["scale"] - p["scale"] % 2
    wshape = (data[1], 1, k, k)
    if weight is not None and tuple(weight) != wshape:
        raise MXNetError(f"Error in operator UpSampling: Shape inconsistent, Provided = "
                         f"{fmt_shape(weight)}, inferred shape={fmt_shape(wshape)} for weight")
    s = p["scale"]
    return [tuple(data), wshape], [(data[0], data[1], data[2] * s, data[3] * s)]


def _up_shape(p, in_shapes):
    _up_check(p)
    if p["sample_type"] == "bilinear":
        return _up_bilinear_shape(p, in_shapes)
    if any(s is None for s in in_shapes):
        return list(in_shapes), [None]
    first = in_shapes[0]
    channels = 0
    for i, s in enumerate(in_shapes):
        if len(s) != 4:
            raise MXNetError(f"Error in operator UpSampling: UpSamplingNearest: Input data should "
                             f"be 4D in (batch, channel, y, x), got arg{i} shape {fmt_shape(s)}")
        oh, ow = first[2] * p["scale"], first[3] * p["scale"]
        if oh % s[2] or ow % s[3] or s[0] != first[0]:
            raise MXNetError(f"Error in operator UpSampling: arg{i} shape {fmt_shape(s)} does not "
                             f"divide the output size ({first[0]}, {oh}, {ow})")
        if p["multi_input_mode"] == "sum":
            if channels not in (0, s[1]):
                raise MXNetError(f"Error in operator UpSampling: Number of channels must be the "
                                 f"same when multi_input_mode==sum (arg{i} shape {fmt_shape(s)})")
            channels = s[1]
        else:
            channels += s[1]
    return list(in_shapes), [(first[0], channels, oh, ow)]


def _up_forward(sc, p, ins):
    if p["sample_type"] == "bilinear":
        return registry.get("Deconvolution").forward(sc, _bilinear_deconv(p, ins[0].shape[1]),
                                                     ins)
    xp = sc.xp
    oh = ins[0].shape[2] * p["scale"]
    parts = []
    for x in ins:
        k = oh // x.shape[2]
        parts.append(xp.repeat(xp.repeat(x, k, axis=2), k, axis=3))
    if len(parts) == 1:
        return parts
    if p["multi_input_mode"] == "sum":
        out = parts[0].copy()
        for part in parts[1:]:
            out += part
        return [out]
    return [xp.concatenate(parts, axis=1)]


def _up_backward(sc, p, ograds, ins, outs):
    if p["sample_type"] == "bilinear":
        return registry.get("Deconvolution").backward(
            sc, _bilinear_deconv(p, ins[0].shape[1]), ograds, ins, outs)
    g = ograds[0]
    n, _, oh, ow = g.shape
    grads, begin = [], 0
    for x in ins:
        c, h, w = x.shape[1:]
        k = oh // h
        block = g if p["multi_input_mode"] == "sum" or len(ins) == 1 else g[:, begin:begin + c]
        grads.append(block.reshape(n, c, h, k, w, k).sum(axis=(3, 5)).astype(x.dtype))
        begin += c
    return grads


register(OpDef(
    name="UpSampling", params=_UP_PARAMS, variadic=True, inputs=_up_inputs,
    forward=_up_forward, backward=_up_backward, infer_shape=_up_shape,
    input_var_attrs={"weight": {"__init__": '["bilinear", {}]'}},
    doc="Upsampling of NCHW inputs by `scale`: nearest neighbour (several inputs are brought to "
        "one size and concatenated on channels, or summed), or bilinear (a per-channel "
        "deconvolution with the learned `weight`, bilinear-initialised)."))


_INT64 = np.dtype(np.int64)
_REAL = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _real_types(op, n_in):
    def rule(p, in_types):
        known = in_types[0]
        if known is not None and np.dtype(known) not in _REAL:
            raise MXNetError(f"{op}: data must be float16, float32 or float64, "
                             f"got {np.dtype(known).name}")
        return [known] + [in_types[i] for i in range(1, n_in)], [known]
    return rule


def _resample(sc, x, wh, ww):
    """``wh @ x @ ww^T`` over the last two axes of a 4-D ``x`` (float16 computes in float32)."""
    xp = sc.xp
    ct = np.float32 if x.dtype == np.float16 else x.dtype
    wh, ww = xp.asarray(wh, dtype=ct), xp.asarray(ww, dtype=ct)
    out = xp.matmul(xp.matmul(wh, x.astype(ct, copy=False)), ww.T)
    return xp.ascontiguousarray(out.astype(x.dtype, copy=False))


def _need_4d(op, shape):
    if len(shape) != 4:
        raise MXNetError(f"{op}: data must be 4-D (NCHW), got {tuple(shape)}")


# ----- AdaptiveAvgPooling2D -----------------------------------------------------------------------
def _adaptive_out(p):
    size = p["output_size"]
    if len(size) == 1:
        return size[0], size[0]
    if len(size) == 2:
        return size
    return 1, 1  # AdaptiveAvgPoolOpInferShape: empty (or longer) output_size pools to 1x1


def _adaptive_weights(n_in, n_out):
    """Row o averages inputs [floor(o*n_in/n_out), ceil((o+1)*n_in/n_out)) (START_IND/END_IND,
    computed in float as there)."""
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        start = int(np.floor(np.float32(o * n_in) / np.float32(n_out)))
        end = int(np.ceil(np.float32((o + 1) * n_in) / np.float32(n_out)))
        w[o, start:end] = 1.0 / (end - start)
    return w


def _adaptive_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    _need_4d("_contrib_AdaptiveAvgPooling2D", data)
    return [tuple(data)], [tuple(data[:2]) + tuple(_adaptive_out(p))]


def _adaptive_mats(p, shape):
    oh, ow = _adaptive_out(p)
    return _adaptive_weights(shape[2], oh), _adaptive_weights(shape[3], ow)


def _adaptive_forward(sc, p, ins):
    wh, ww = _adaptive_mats(p, ins[0].shape)
    return [_resample(sc, ins[0], wh, ww)]


def _adaptive_backward(sc, p, ograds, ins, outs):
    wh, ww = _adaptive_mats(p, ins[0].shape)
    return [_resample(sc, ograds[0], wh.T, ww.T)]


register(OpDef(
    name="_contrib_AdaptiveAvgPooling2D", inputs=("data",),
    params=ParamSpec(OptShape("output_size", (), "int (output size) or a tuple of int for "
                                                 "output (height, width).")),
    forward=_adaptive_forward, backward=_adaptive_backward, infer_shape=_adaptive_shape,
    infer_type=_real_types("_contrib_AdaptiveAvgPooling2D", 1),
    doc="2-D adaptive average pooling of NCHW data to output_size."))


# ----- BilinearResize2D ---------------------------------------------------------------------------
_MODES = ("size", "odd_scale", "like", "to_even_down", "to_even_up", "to_odd_down", "to_odd_up")
_BR = "_contrib_BilinearResize2D"


def _scaled(scale, n, what):
    if scale is None:
        raise MXNetError(f"{_BR}: {what} must be given for this mode")
    # the scale is a float32 parameter; int() truncates as static_cast<int> does
    return int(np.float32(scale) * np.float32(n))


def _resize_out(p, data, like):
    h, w = data[2], data[3]
    mode = p["mode"]
    if mode == "size":
        # BilinearSampleOpInferShape tests scale_height for both sizes: scale_width alone is
        # ignored, scale_height alone needs scale_width too
        if p["scale_height"] is not None:
            return (_scaled(p["scale_height"], h, "scale_height"),
                    _scaled(p["scale_width"], w, "scale_width"))
        return p["height"], p["width"]
    if mode == "odd_scale":
        return tuple(_scaled(s, n, what) if n % 2 == 0 else _scaled(s, n - 1, what) + 1
                     for s, n, what in ((p["scale_height"], h, "scale_height"),
                                        (p["scale_width"], w, "scale_width")))
    if mode == "like":
        return like[2], like[3]
    even, up = mode.startswith("to_even"), mode.endswith("_up")
    return tuple(n if (n % 2 == 0) == even else n + (1 if up else -1) for n in (h, w))


def _resize_inputs(p):
    return ("data", "like") if p["mode"] == "like" else ("data",)


def _resize_shape(p, in_shapes):
    data = in_shapes[0]
    like = in_shapes[1] if len(in_shapes) > 1 else None
    if data is None or (p["mode"] == "like" and like is None):
        return list(in_shapes), [None]
    _need_4d(_BR, data)
    oh, ow = _resize_out(p, data, like)
    if oh < 1 or ow < 1:
        raise MXNetError(f"{_BR}: output size ({oh}, {ow}) must be positive (data {data})")
    return list(in_shapes), [tuple(data[:2]) + (oh, ow)]


def _bilinear_weights(n_in, n_out, align_corners):
    """Interpolation weights (n_out, n_in) as SpatialUpSamplingBilinearUpdateOutput: positions
    in float32, a negative source index clamped to 0 when not aligning corners, the upper
    neighbour clamped to the last row."""
    w = np.zeros((n_out, n_in))
    if n_out > 1:
        scale = np.float32(n_in - 1) / np.float32(n_out - 1) if align_corners \
            else np.float32(n_in) / np.float32(n_out)
    else:
        scale = np.float32(0)
    for o in range(n_out):
        if align_corners:
            src = np.float32(scale * np.float32(o))
        else:
            src = np.float32(scale * np.float32(o + 0.5) - np.float32(0.5))
            src = max(src, np.float32(0))
        i0 = int(src)
        lam = float(src - np.float32(i0))
        i1 = i0 + 1 if i0 < n_in - 1 else i0
        w[o, i0] += 1.0 - lam
        w[o, i1] += lam
    return w


def _resize_mats(p, data_shape, out_shape):
    ac = p["align_corners"]
    return (_bilinear_weights(data_shape[2], out_shape[2], ac),
            _bilinear_weights(data_shape[3], out_shape[3], ac))


def _resize_forward(sc, p, ins):
    data = ins[0]
    out_shape = _resize_shape(p, [x.shape for x in ins])[1][0]
    wh, ww = _resize_mats(p, data.shape, out_shape)
    return [_resample(sc, data, wh, ww)]


def _resize_backward(sc, p, ograds, ins, outs):
    g = ograds[0]
    wh, ww = _resize_mats(p, ins[0].shape, g.shape)
    grads = [_resample(sc, g, wh.T, ww.T)]
    return grads + [sc.xp.zeros_like(x) for x in ins[1:]]  # like only lends its shape


register(OpDef(
    name=_BR, inputs=_resize_inputs,
    params=ParamSpec(
        Int("height", 1, "output height (ignored if scale_height is defined or mode is not "
                         "\"size\")"),
        Int("width", 1, "output width (ignored if scale_width is defined or mode is not "
                        "\"size\")"),
        Float("scale_height", None, "sampling scale of the height (modes \"size\" and "
                                    "\"odd_scale\")", optional=True),
        Float("scale_width", None, "sampling scale of the width (modes \"size\" and "
                                   "\"odd_scale\")", optional=True),
        Enum("mode", _MODES, "size", "resizing mode: \"size\", \"odd_scale\", \"like\" (to the "
                                     "height and width of like), \"to_even_down\", "
                                     "\"to_even_up\", \"to_odd_down\", \"to_odd_up\""),
        Bool("align_corners", True, "With align_corners = True, the interpolating doesn't "
                                    "proportionally align the output and input pixels.")),
    forward=_resize_forward, backward=_resize_backward, infer_shape=_resize_shape,
    infer_type=lambda p, t: _real_types(_BR, len(t))(p, t),
    doc="Bilinear resizing of NCHW data (upsampling or downsampling)."))
