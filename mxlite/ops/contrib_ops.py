"""Contrib operators behind ``mx.sym.contrib`` / ``mx.nd.contrib``:
``_contrib_AdaptiveAvgPooling2D`` (src/operator/contrib/adaptive_avg_pooling*),
``_contrib_BilinearResize2D`` (bilinear_resize*),
``_contrib_index_array`` (index_array*), ``_contrib_div_sqrt_dim`` (transformer*) and
``_contrib_arange_like`` (src/operator/tensor/init_op*).

Both 2-D resamplers are separable: each output row (column) is a fixed weighted sum of input rows
(columns), so the op is ``Wh @ x @ Ww^T`` with small weight matrices built on the host and its
gradient ``Wh^T @ g @ Ww``. float16 computes in float32.
"""
import numpy as np

from ..base import MXNetError
from .params import Axis, Bool, Enum, Float, Int, OptShape, ParamSpec, Str
from .registry import OpDef, register
from .shape_extra import OptInt

_INT64 = np.dtype(np.int64)
_REAL = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _zero_grads(sc, p, ograds, ins, outs):
    """MXNet's MakeZeroGradNodes: every input gets zeros, the head gradient is not read."""
    return [sc.xp.zeros_like(x) for x in ins]


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


# ----- index_array --------------------------------------------------------------------------------
def _index_axes(p, ndim):
    axes = p["axes"]
    return tuple(range(ndim)) if axes is None else tuple(a % ndim for a in axes)


def _index_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    n = len(data) if p["axes"] is None else len(p["axes"])
    return [tuple(data)], [tuple(data) + (n,)]


def _index_forward(sc, p, ins):
    xp = sc.xp
    shape = ins[0].shape
    grids = xp.indices(shape, dtype=_INT64) if shape else xp.zeros((0,), _INT64)
    axes = _index_axes(p, len(shape))
    out = xp.stack([grids[a] for a in axes], axis=-1) if axes else \
        xp.zeros(shape + (0,), _INT64)
    return [xp.ascontiguousarray(out)]


register(OpDef(
    name="_contrib_index_array", inputs=("data",),
    params=ParamSpec(Axis("axes", None, "The axes to include in the index array. Supports "
                                        "negative values.")),
    forward=_index_forward, backward=_zero_grads, needs_head_grad=False,
    infer_shape=_index_shape, infer_type=lambda p, t: ([t[0]], [_INT64]),
    doc="The int64 index of every element: out[i1, ..., in, :] = [i_axes[0], i_axes[1], ...]."))


# ----- div_sqrt_dim -------------------------------------------------------------------------------
def _div_sqrt_dim(xp, x):
    if x.ndim < 1:
        raise MXNetError("_contrib_div_sqrt_dim: data must have >= 1 dimension")
    # DivSqrtDimForward_: the divisor is DType(sqrt(last dim)), truncated for integer types,
    # and the division is C's (truncating) one there
    root = np.sqrt(float(x.shape[-1]))
    if x.dtype.kind in "iu":
        div = int(root)
        return (xp.sign(x) * (xp.abs(x) // div)).astype(x.dtype)
    return x / x.dtype.type(root)


register(OpDef(
    name="_contrib_div_sqrt_dim", inputs=("data",),
    forward=lambda sc, p, ins: [_div_sqrt_dim(sc.xp, ins[0])],
    backward=lambda sc, p, ograds, ins, outs: [_div_sqrt_dim(sc.xp, ograds[0])],
    infer_shape=lambda p, s: ([s[0]], [s[0]]),
    doc="data / sqrt(data.shape[-1])."))


# ----- arange_like --------------------------------------------------------------------------------
def _arange_like_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    if p["axis"] is None:
        return [tuple(data)], [tuple(data)]
    axis = p["axis"] + len(data) if p["axis"] < 0 else p["axis"]
    if not 0 <= axis < len(data):
        raise MXNetError(f"_contrib_arange_like: cannot handle param.axis {p['axis']} for data "
                         f"{tuple(data)}")
    return [tuple(data)], [(data[axis],)]


def _arange_like_forward(sc, p, ins):
    xp = sc.xp
    out_shape = _arange_like_shape(p, [ins[0].shape])[1][0]
    if p["repeat"] < 1:
        raise MXNetError(f"_contrib_arange_like: repeat must be > 0, got {p['repeat']}")
    dt = ins[0].dtype.type
    n = int(np.prod(out_shape))
    # range_fwd: start + (i / repeat) * step, each step in the output dtype
    pos = (xp.arange(n) // p["repeat"]).astype(dt)
    return [(dt(p["start"]) + pos * dt(p["step"])).astype(dt).reshape(out_shape)]


register(OpDef(
    name="_contrib_arange_like", inputs=("data",),
    params=ParamSpec(
        Float("start", 0.0, "Start of interval. The interval includes this value."),
        Float("step", 1.0, "Spacing between values."),
        Int("repeat", 1, "The repeating time of all elements."),
        Str("ctx", "", "Context of output (only used for imperative calls)."),
        OptInt("axis", None, "Arange elements according to the size of a certain axis of input "
                             "array (all of its shape when None).")),
    forward=_arange_like_forward, backward=_zero_grads, needs_head_grad=False,
    infer_shape=_arange_like_shape,
    doc="Evenly spaced values shaped like data (or like one of its axes)."))
