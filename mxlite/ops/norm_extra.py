"""More normalisation ops: LayerNorm, InstanceNorm, L2Normalization, BatchNorm_v1 and moments.

All accumulate in float32 for float16 data. Their gradients are the exact derivatives, which is
what MXNet's kernels compute (``src/operator/nn/layer_norm*``, ``instance_norm-inl.h``,
``l2_normalization-inl.h``, ``batch_norm_v1-inl.h``, ``nn/moments-inl.h``).

- LayerNorm normalises over ``axis`` (default -1) with the biased variance; gamma and beta have the
  length of that axis and share the data's dtype. Hidden outputs ``mean`` and ``std`` (``sqrt(var +
  eps)``, not the inverse), the reduced axis kept as size 1; ``output_mean_var`` shows them.
- InstanceNorm normalises each (sample, channel) over the remaining axes (data of rank >= 3);
  gamma and beta are per channel (axis 1). Hidden outputs ``mean`` and ``var`` of shape (N, C).
  MXNet 1.9.1 runs it in float32 only (a legacy ``real_t`` kernel); mxlite accepts every float
  dtype.
- L2Normalization divides by ``sqrt(sum(x^2) + eps)`` over all but axis 0 (instance), over axis 1
  (channel) or over axes 2.. (spatial); the hidden output ``norm`` has shape (N,), the data shape
  with axis 1 set to 1, or (N, C).
- BatchNorm_v1 is BatchNorm (``norm.py``, whose functions it calls) with MXNet's older interface:
  no ``axis`` (channels on axis 1), no ``cudnn_off``/calibration parameters, float32 ``eps``,
  data of rank 2 or 4 only (its kernel views data as 4-D), and a hidden ``var`` output holding the
  biased batch variance instead of BatchNorm's inverse standard deviation. Like BatchNorm it
  overwrites gamma with 1 when ``fix_gamma`` and updates the moving statistics in backward.
  (MXNet's kernel is float32-only; mxlite accepts float16/64 with BatchNorm's type rule.)
- moments returns the mean and the biased variance over ``axes`` (required: MXNet refuses an
  empty one); its outputs are ``output0`` and ``output1``, and both take a gradient.
"""
import numpy as np

from ..base import MXNetError
from . import norm as _bn
from .params import Axis, Bool, Enum, Float, Int, ParamSpec, Params
from .reduce import reduced_shape
from .registry import OpDef, register


def _f32(value):
    # these ops hold eps as float32 (their parameter structs declare it float)
    return float(np.float32(value))


def _fmt(shape):
    return "(" + ",".join(str(d) for d in shape) + ")"


def _acc(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _uniform_type(op, names, n_out):
    """Type rule: every input and output shares the data's dtype (float16/32/64)."""
    def rule(p, in_types):
        dtype = next((t for t in in_types if t is not None), None)
        if dtype is None:
            return list(in_types), [None] * n_out
        if np.dtype(dtype).kind != "f":
            raise MXNetError(f"Error in operator {op}: data type {np.dtype(dtype).name} is not "
                             f"supported (float16, float32 or float64 expected)")
        for name, t in zip(names, in_types):
            if t is not None and np.dtype(t) != np.dtype(dtype):
                raise MXNetError(f"Error in operator {op}: {name} has dtype "
                                 f"{np.dtype(t).name}, expected {np.dtype(dtype).name}")
        return [dtype] * len(in_types), [dtype] * n_out
    return rule


def _check_param(op, name, given, expected):
    if given is not None and tuple(given) != tuple(expected):
        raise MXNetError(f"Error in operator {op}: Shape inconsistent, Provided = {_fmt(given)}, "
                         f"inferred shape={_fmt(expected)} for {name}")


def _affine_backward(xp, g, xhat, invstd, gamma_b, red, param_red):
    """Gradients of ``y = xhat * gamma + beta`` with ``xhat`` normalised over ``red``."""
    gg = g * gamma_b
    dx = (gg - gg.mean(axis=red, keepdims=True)
          - xhat * (gg * xhat).mean(axis=red, keepdims=True)) * invstd
    return dx, (g * xhat).sum(axis=param_red), g.sum(axis=param_red)


# LayerNorm and BatchNorm_v1: three outputs, the last two hidden unless output_mean_var
_MEAN_VAR_OUTPUTS = {"num_outputs": lambda p: 3 if p["output_mean_var"] else 1,
                     "num_hidden_outputs": lambda p: 0 if p["output_mean_var"] else 2}


# ----- LayerNorm ----------------------------------------------------------------------------------
_LN_PARAMS = ParamSpec(
    Int("axis", -1, "The axis to perform layer normalization. Usually, this should be be axis of "
                    "the channel dimension. Negative values means indexing from right to left."),
    Float("eps", _f32(1e-5), "An `epsilon` parameter to prevent division by 0."),
    Bool("output_mean_var", False, "Output the mean and std calculated along the given axis."))


def _ln_axis(p, ndim):
    axis = p["axis"] + ndim if p["axis"] < 0 else p["axis"]
    if not 0 <= axis < ndim:
        raise MXNetError(f"Error in operator LayerNorm: Channel axis out of range: "
                         f"axis={p['axis']} for data with {ndim} dimensions")
    return axis


def _ln_shape(p, in_shapes):
    data, gamma, beta = in_shapes
    if data is None:
        return [data, gamma, beta], [None] * 3
    axis = _ln_axis(p, len(data))
    c = (data[axis],)
    _check_param("LayerNorm", "gamma", gamma, c)
    _check_param("LayerNorm", "beta", beta, c)
    moments = tuple(1 if i == axis else d for i, d in enumerate(data))
    return [data, c, c], [data, moments, moments]


def _ln_layout(p, x):
    axis = _ln_axis(p, x.ndim)
    bshape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    return axis, bshape, tuple(i for i in range(x.ndim) if i != axis)


def _ln_stats(xp, p, x):
    xa = _acc(xp, x)
    axis = _ln_axis(p, x.ndim)
    mean = xa.mean(axis=axis, keepdims=True)
    std = xp.sqrt(((xa - mean) ** 2).mean(axis=axis, keepdims=True) + _f32(p["eps"]))
    return xa, mean, std


def _ln_forward(sc, p, ins):
    xp = sc.xp
    x, gamma, beta = ins
    _, bshape, _ = _ln_layout(p, x)
    xa, mean, std = _ln_stats(xp, p, x)
    y = (xa - mean) / std * _acc(xp, gamma).reshape(bshape) + _acc(xp, beta).reshape(bshape)
    return [t.astype(x.dtype, copy=False) for t in (y, mean, std)]


def _ln_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, gamma, beta = ins
    axis, bshape, others = _ln_layout(p, x)
    # statistics recomputed in the accumulation type (the float16 outputs lose precision);
    # the mean/std outputs take no gradient (MXNet's _backward_LayerNorm reads only ograd 0)
    xa, mean, std = _ln_stats(xp, p, x)
    dx, dgamma, dbeta = _affine_backward(xp, _acc(xp, ograds[0]), (xa - mean) / std, 1 / std,
                                         _acc(xp, gamma).reshape(bshape), axis, others)
    return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False),
            dbeta.astype(beta.dtype, copy=False)]


register(OpDef(
    name="LayerNorm", params=_LN_PARAMS, inputs=("data", "gamma", "beta"),
    forward=_ln_forward, backward=_ln_backward, infer_shape=_ln_shape,
    infer_type=_uniform_type("LayerNorm", ("data", "gamma", "beta"), 3),
    output_names=lambda p: ["output", "mean", "std"] if p["output_mean_var"] else ["output"],
    **_MEAN_VAR_OUTPUTS,
    doc="Layer normalization over `axis`: (x - mean) / sqrt(var + eps) * gamma + beta."))


# ----- InstanceNorm -------------------------------------------------------------------------------
def _in_shape(p, in_shapes):
    data, gamma, beta = in_shapes
    if data is None:
        return [data, gamma, beta], [None] * 3
    if len(data) < 3:
        raise MXNetError(f"Error in operator InstanceNorm: InstanceNorm only supports input "
                         f"tensors of rank >= 3, got data shape {_fmt(data)}")
    c = (data[1],)
    _check_param("InstanceNorm", "gamma", gamma, c)
    _check_param("InstanceNorm", "beta", beta, c)
    return [data, c, c], [data, tuple(data[:2]), tuple(data[:2])]


def _in_stats(xp, x):
    xa = _acc(xp, x)
    red = tuple(range(2, x.ndim))
    mean = xa.mean(axis=red, keepdims=True)
    return xa, red, mean, ((xa - mean) ** 2).mean(axis=red, keepdims=True)


def _channel_view(xp, v, ndim):
    return _acc(xp, v).reshape((1, -1) + (1,) * (ndim - 2))


def _in_forward(sc, p, ins):
    xp = sc.xp
    x, gamma, beta = ins
    xa, _, mean, var = _in_stats(xp, x)
    y = (xa - mean) / xp.sqrt(var + _f32(p["eps"])) * _channel_view(xp, gamma, x.ndim) \
        + _channel_view(xp, beta, x.ndim)
    n, c = x.shape[:2]
    return [y.astype(x.dtype, copy=False), mean.reshape(n, c).astype(x.dtype, copy=False),
            var.reshape(n, c).astype(x.dtype, copy=False)]


def _in_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, gamma, beta = ins
    xa, red, mean, var = _in_stats(xp, x)
    invstd = 1 / xp.sqrt(var + _f32(p["eps"]))
    param_red = (0,) + red
    dx, dgamma, dbeta = _affine_backward(xp, _acc(xp, ograds[0]), (xa - mean) * invstd, invstd,
                                         _channel_view(xp, gamma, x.ndim), red, param_red)
    return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False),
            dbeta.astype(beta.dtype, copy=False)]


register(OpDef(
    name="InstanceNorm",
    params=ParamSpec(Float("eps", _f32(1e-3), "An `epsilon` parameter to prevent division by "
                                              "0.")),
    inputs=("data", "gamma", "beta"), forward=_in_forward, backward=_in_backward,
    infer_shape=_in_shape, infer_type=_uniform_type("InstanceNorm", ("data", "gamma", "beta"), 3),
    num_hidden_outputs=2, output_names=lambda p: ["output"],
    doc="Instance normalization: each (sample, channel) slice normalised over its spatial axes, "
        "then scaled by gamma and shifted by beta per channel."))


# ----- L2Normalization ----------------------------------------------------------------------------
def _l2_axes(p, ndim):
    mode = p["mode"]
    if mode != "instance" and ndim < 3:
        raise MXNetError(f"Error in operator L2Normalization: At lease 3 dimensions required in "
                         f"{mode} mode, got {ndim}")
    if mode == "instance":
        return tuple(range(1, ndim))
    return (1,) if mode == "channel" else tuple(range(2, ndim))


def _l2_norm_shape(p, data):
    if p["mode"] == "instance":
        return (data[0],)
    if p["mode"] == "channel":
        return (data[0], 1) + tuple(data[2:])
    return tuple(data[:2])


def _l2_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None, None]
    _l2_axes(p, len(data))
    return [data], [data, _l2_norm_shape(p, data)]


def _l2_norm(xp, p, x):
    xa = _acc(xp, x)
    red = _l2_axes(p, x.ndim)
    return xa, red, xp.sqrt((xa * xa).sum(axis=red, keepdims=True) + _f32(p["eps"]))


def _l2_forward(sc, p, ins):
    x = ins[0]
    xa, _, norm = _l2_norm(sc.xp, p, x)
    return [(xa / norm).astype(x.dtype, copy=False),
            norm.reshape(_l2_norm_shape(p, x.shape)).astype(x.dtype, copy=False)]


def _l2_backward(sc, p, ograds, ins, outs):
    x = ins[0]
    xa, red, norm = _l2_norm(sc.xp, p, x)
    y = xa / norm
    g = _acc(sc.xp, ograds[0])
    dx = (g - y * (g * y).sum(axis=red, keepdims=True)) / norm
    return [dx.astype(x.dtype, copy=False)]


register(OpDef(
    name="L2Normalization",
    params=ParamSpec(Float("eps", _f32(1e-10), "A small constant for numerical stability."),
                     Enum("mode", ("channel", "instance", "spatial"), "instance",
                          "Specify the dimension along which to compute L2 norm.")),
    forward=_l2_forward, backward=_l2_backward, infer_shape=_l2_shape,
    infer_type=_uniform_type("L2Normalization", ("data",), 2), num_hidden_outputs=1,
    output_names=lambda p: ["output"],
    doc="Divides the input by its L2 norm sqrt(sum(x^2) + eps), taken per instance (all axes but "
        "0), per channel vector (axis 1) or per spatial map (axes 2..)."))


# ----- BatchNorm_v1 -------------------------------------------------------------------------------
_BN1_PARAMS = ParamSpec(
    Float("eps", _f32(1e-3), "Epsilon to prevent div 0"),
    Float("momentum", 0.9, "Momentum for moving average"),
    Bool("fix_gamma", True, "Fix gamma while training"),
    Bool("use_global_stats", False, "Whether use global moving statistics instead of local "
                                    "batch-norm. This will force change batch-norm into a scale "
                                    "shift operator."),
    Bool("output_mean_var", False, "Output All,normal mean and var"))


def _bn1_params(p):
    """BatchNorm's parameters for the same computation: channel axis 1, float32 eps."""
    return Params(p, axis=1, eps=_f32(p["eps"]))


def _bn1_shape(p, in_shapes):
    data = in_shapes[0]
    if data is not None and len(data) not in (2, 4):
        raise MXNetError(f"Error in operator BatchNorm_v1: data must be 2-D or 4-D (the kernel "
                         f"views it as (N, C, H, W)), got shape {_fmt(data)}")
    ins, outs = _bn._bn_shape(_bn1_params(p), in_shapes)
    for name, given, inferred in zip(("gamma", "beta", "moving_mean", "moving_var"),
                                     in_shapes[1:], ins[1:]):
        if inferred is not None:
            _check_param("BatchNorm_v1", name, given, inferred)
    return ins, outs


def _bn1_type(p, in_types):
    try:
        return _bn._bn_type(_bn1_params(p), in_types)
    except MXNetError as err:
        raise MXNetError(str(err).replace("operator BatchNorm:", "operator BatchNorm_v1:")) \
            from None


def _bn1_forward(sc, p, ins):
    y, mean, invstd = _bn._bn_forward(sc, _bn1_params(p), ins)
    sc.state["invstd"] = invstd
    # the hidden third output is the variance here (batch_norm_v1-inl.h), not BatchNorm's invstd
    return [y, mean, sc.state["var"]]


def _bn1_backward(sc, p, ograds, ins, outs):
    invstd = sc.state.get("invstd")
    if invstd is None:
        invstd = _bn._invstd(sc.xp, outs[2], _f32(p["eps"]))
    return _bn._bn_backward(sc, _bn1_params(p), ograds[:1], ins, [outs[0], outs[1], invstd])


_BN1 = OpDef(
    name="BatchNorm_v1", params=_BN1_PARAMS,
    inputs=("data", "gamma", "beta", "moving_mean", "moving_var"),
    aux=("moving_mean", "moving_var"), forward=_bn1_forward, backward=_bn1_backward,
    infer_shape=_bn1_shape, infer_type=_bn1_type,
    output_names=lambda p: ["output", "mean", "var"] if p["output_mean_var"] else ["output"],
    **_MEAN_VAR_OUTPUTS,
    doc="Batch normalization (MXNet's older BatchNorm): channels on axis 1; batch statistics in "
        "training, moving statistics otherwise; moving statistics updated in backward.")
_BN1.input_var_attrs = {"moving_mean": {"__init__": '["zero", {}]'},
                        "moving_var": {"__init__": '["one", {}]'}}
register(_BN1)


# ----- moments ------------------------------------------------------------------------------------
def _moments_axes(p, ndim):
    axes = p["axes"]
    if not axes:
        raise MXNetError("Error in operator moments: Empty axes is not supported, if you would "
                         "like to do global moments, please pass all axes to axes argument")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise MXNetError(f"Error in operator moments: axis {a} is out of bounds for array "
                             f"of dimension {ndim}")
        if a % ndim in out:
            raise MXNetError(f"Error in operator moments: axes {tuple(axes)} has duplicate "
                             f"axis {a % ndim}")
        out.append(a % ndim)
    return tuple(sorted(out))


def _moments_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None, None]
    out = reduced_shape(data, _moments_axes(p, len(data)), p["keepdims"])
    return [data], [out, out]


def _moments_forward(sc, p, ins):
    x = ins[0]
    axes = _moments_axes(p, x.ndim)
    xa = _acc(sc.xp, x)
    mean = xa.mean(axis=axes, keepdims=True)
    var = ((xa - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = reduced_shape(x.shape, axes, p["keepdims"])
    return [mean.reshape(shape).astype(x.dtype, copy=False),
            var.reshape(shape).astype(x.dtype, copy=False)]


def _moments_backward(sc, p, ograds, ins, outs):
    x = ins[0]
    axes = _moments_axes(p, x.ndim)
    keep = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    xa = _acc(sc.xp, x)
    n = x.size // int(np.prod(keep))
    gmean, gvar = (_acc(sc.xp, g).reshape(keep) for g in ograds)
    dx = gmean / n + gvar * 2 * (xa - xa.mean(axis=axes, keepdims=True)) / n
    return [dx.astype(x.dtype, copy=False)]


register(OpDef(
    name="moments",
    params=ParamSpec(Axis("axes", None, "Array of ints. Axes along which to compute mean and "
                                        "variance."),
                     Bool("keepdims", False, "produce moments with the same dimensionality as "
                                             "the input.")),
    forward=_moments_forward, backward=_moments_backward, infer_shape=_moments_shape,
    infer_type=_uniform_type("moments", ("data",), 2), num_outputs=2,
    doc="Mean and (biased) variance of the input over `axes`."))
