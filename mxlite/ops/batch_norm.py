"""BatchNorm (with its moving-statistics aux states) and the older BatchNorm_v1.

Both accumulate in float32 for float16 data, as MXNet does (its ``AccReal`` type).

BatchNorm follows MXNet's plain CPU kernel (``src/operator/nn/batch_norm.cc``) on every context, so
cpu and gpu agree:

- training (``is_train`` and not ``use_global_stats``) normalises with the per-channel batch mean
  and the *biased* batch variance; otherwise with the moving statistics;
- the moving statistics are updated in **backward**, not forward, from the statistics forward saved:
  ``moving = momentum * moving + (1 - momentum) * batch`` (biased variance). A second ``backward``
  without a new forward applies the update again, as in MXNet. (MXNet's cuDNN path updates them in
  forward with the unbiased variance; mxlite does not reproduce that split.)
- ``fix_gamma`` overwrites the gamma *argument array* with 1 during forward and writes a zero gamma
  gradient. (The MKLDNN float32 kernel of the reference build defers the overwrite to backward; the
  result after a training step is the same.)
- the hidden outputs are the mean and the inverse standard deviation ``1/sqrt(var + eps)``;
  ``output_mean_var`` makes them visible as ``<name>_mean`` and ``<name>_var``.

BatchNorm_v1 (``batch_norm_v1-inl.h``) is BatchNorm with MXNet's older interface: no ``axis``
(channels on axis 1), no ``cudnn_off``/calibration parameters, float32 ``eps``, data of rank 2 or 4
only (its kernel views data as 4-D), and a hidden ``var`` output holding the biased batch variance
instead of BatchNorm's inverse standard deviation. Like BatchNorm it overwrites gamma with 1 when
``fix_gamma`` and updates the moving statistics in backward. (MXNet's kernel is float32-only;
mxlite accepts float16/64 with BatchNorm's type rule.)
"""
import numpy as np

from ..base import MXNetError
from . import _jit, batch_norm_cpu
from ._util import acc_dtype, f32, fmt_shape, grad_buffer
from .layer_norm import MEAN_VAR_OUTPUTS, check_param
from .params import Bool, Float, Int, Params, ParamSpec
from .registry import FLOAT_DATA, BackwardReads, OpDef, register

# MXNet declares eps as double with the float literal 1e-3f as default: float32's 1e-3.
_BN_EPS_DEFAULT = float(np.float32(1e-3))

_BN_PARAMS = ParamSpec(
    Float("eps", _BN_EPS_DEFAULT, "Epsilon to prevent div 0. Must be no less than "
                                  "CUDNN_BN_MIN_EPSILON defined in cudnn.h when using cudnn "
                                  "(usually 1e-5)", low=0.0),
    Float("momentum", 0.9, "Momentum for moving average"),
    Bool("fix_gamma", True, "Fix gamma while training"),
    Bool("use_global_stats", False, "Whether use global moving statistics instead of local "
                                    "batch-norm. This will force change batch-norm into a scale "
                                    "shift operator."),
    Bool("output_mean_var", False, "Output the mean and inverse std "),
    Int("axis", 1, "Specify which shape axis the channel is specified"),
    Bool("cudnn_off", False, "Do not select CUDNN operator, if available"),
    Float("min_calib_range", None, "The minimum scalar value in the form of float32 obtained "
                                   "through calibration (quantization only; ignored)",
          optional=True),
    Float("max_calib_range", None, "The maximum scalar value in the form of float32 obtained "
                                   "through calibration (quantization only; ignored)",
          optional=True))


def _channel_axis(p, ndim):
    axis = p["axis"]
    if not -ndim <= axis < ndim:
        raise MXNetError(f"Error in operator BatchNorm: Channel axis out of range: {axis} "
                         f"(data has {ndim} dimensions)")
    return axis % ndim


def _bn_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None] * 5, [None] * 3
    c = (data[_channel_axis(p, len(data))],)
    return [data, c, c, c, c], [data, c, c]


def _bn_type(p, in_types):
    data = in_types[0]
    if data is None:
        return [None] * 5, [None] * 3
    if np.dtype(data).kind != "f":
        raise MXNetError(f"Error in operator BatchNorm: data type {np.dtype(data).name} is not "
                         f"supported (float16, float32 or float64 expected)")
    acc = acc_dtype(data)
    for name, given in zip(("gamma", "beta", "moving_mean", "moving_var"), in_types[1:],
                           strict=True):
        if given is not None and np.dtype(given) != acc:
            raise MXNetError(f"Error in operator BatchNorm: {name} must be {acc.name} for "
                             f"{np.dtype(data).name} data, got {np.dtype(given).name}")
    return [data, acc, acc, acc, acc], [data, acc, acc]


def _layout(x, axis):
    """Reduction axes and the broadcast shape of a per-channel vector."""
    red = tuple(i for i in range(x.ndim) if i != axis)
    bshape = [1] * x.ndim
    bshape[axis] = x.shape[axis]
    return red, tuple(bshape)


def _channel_dot(xp, a, b, axis):
    """Per-channel sum of ``a * b`` over every axis but ``axis``, without an ``a * b`` temporary
    (an activation-sized array in a training step's peak)."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
    return xp.einsum(f"{letters},{letters}->{letters[axis]}", a, b)


def _invstd(xp, var, eps):
    # batch_norm.cc: a zero variance with eps == 0 gives invstd 0 instead of inf
    with np.errstate(divide="ignore"):
        inv = 1.0 / xp.sqrt(var + eps)
    return xp.where(var + eps == 0, 0, inv).astype(var.dtype, copy=False) if eps == 0 else inv


def _compiled_view(xp, x, axis, *vectors):
    """``x`` as (outer, C, inner) when the compiled kernels (batch_norm_cpu) serve it: host
    float32/float64 data, C-contiguous, not small (MIN_SIZE), a contiguous run per channel of at
    least MIN_INNER elements, per-channel vectors of the same dtype; else None."""
    inner = int(np.prod(x.shape[axis + 1:]))
    if (x.size < batch_norm_cpu.MIN_SIZE or inner < batch_norm_cpu.MIN_INNER
            or any(v.dtype != x.dtype for v in vectors) or not _jit.serves(xp, x)
            or not x.flags.c_contiguous):
        return None
    return x.reshape(int(np.prod(x.shape[:axis])), x.shape[axis], inner)


def _bn_forward_compiled(sc, p, x3, x, gamma, beta, moving_mean, moving_var):
    """_bn_forward by the compiled kernels on the (outer, C, inner) view ``x3``."""
    out = sc.out
    if out is None or out.shape != x.shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        out = np.empty(x.shape, x.dtype)
    out3 = out.reshape(x3.shape)
    channels = x3.shape[1]
    if sc.is_train and not p["use_global_stats"]:
        mean, var, invstd = (np.empty(channels, x.dtype) for _ in range(3))
        batch_norm_cpu.forward_train(x3, gamma, beta, p["eps"], p["fix_gamma"], out3, mean, var,
                                     invstd)
    else:
        mean = moving_mean.copy()
        var = moving_var.copy()
        invstd = _invstd(np, var, p["eps"]).astype(x.dtype, copy=False)
        scale = invstd if p["fix_gamma"] else invstd * gamma
        batch_norm_cpu.forward_infer(x3, mean, scale, beta, out3)
    sc.state["var"] = var
    return [out, mean, invstd]


def _bn_forward(sc, p, ins):
    xp = sc.xp
    x, gamma, beta, moving_mean, moving_var = ins
    acc = acc_dtype(x.dtype)
    axis = _channel_axis(p, x.ndim)
    x3 = _compiled_view(xp, x, axis, gamma, beta, moving_mean, moving_var)
    if x3 is not None:
        if p["fix_gamma"]:
            gamma[...] = 1  # as below (batch_norm.cc)
        return _bn_forward_compiled(sc, p, x3, x, gamma, beta, moving_mean, moving_var)
    red, bshape = _layout(x, axis)
    xa = x.astype(acc, copy=False)
    if p["fix_gamma"]:
        # batch_norm.cc (plain CPU kernel) writes 1 into the gamma argument itself during forward.
        gamma[...] = 1
    if sc.is_train and not p["use_global_stats"]:
        mean = xa.mean(axis=red)
        y = xa - mean.reshape(bshape)
        var = _channel_dot(xp, y, y, axis) / (x.size // x.shape[axis])
    else:
        mean = moving_mean.astype(acc, copy=True)
        var = moving_var.astype(acc, copy=True)
        if sc.overwritable:  # the input dies here (inference): normalise it in place
            y = xa
            y -= mean.reshape(bshape)
        else:
            y = xa - mean.reshape(bshape)
    invstd = _invstd(xp, var, p["eps"]).astype(acc, copy=False)
    # the statistics backward uses (and folds into the moving averages), kept exactly
    sc.state["var"] = var
    scale = invstd if p["fix_gamma"] else invstd * gamma.astype(acc, copy=False)
    # in place on the centred copy: one activation-sized temporary, not four
    y *= scale.reshape(bshape)
    y += beta.astype(acc).reshape(bshape)
    return [y.astype(x.dtype, copy=False), mean, invstd]


def _bn_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, gamma, beta, moving_mean, moving_var = ins
    acc = acc_dtype(x.dtype)
    axis = _channel_axis(p, x.ndim)
    red, bshape = _layout(x, axis)
    g = ograds[0].astype(acc, copy=False)
    batch = sc.is_train and not p["use_global_stats"]
    if batch:
        # the statistics forward saved (the moving ones after an inference forward, as in MXNet)
        mean, invstd = outs[1], outs[2]
        var = sc.state.get("var")
        if var is None:
            var = 1.0 / (invstd * invstd) - p["eps"]
        # MXNet stores momentum as float32
        m = float(np.float32(p["momentum"]))
        moving_mean[...] = moving_mean * m + mean * (1 - m)
        moving_var[...] = moving_var * m + var * (1 - m)
    else:
        mean = moving_mean.astype(acc, copy=False)
        invstd = _invstd(xp, moving_var.astype(acc, copy=False), p["eps"])
    w = xp.ones_like(invstd) if p["fix_gamma"] else gamma.astype(acc, copy=False)
    x3 = _compiled_view(xp, x, axis, mean, invstd, w)
    if x3 is not None and ograds[0].dtype == x.dtype:
        return _bn_backward_compiled(sc, p, x3, x, ograds[0], mean, invstd, w, batch)
    xc = x.astype(acc, copy=False) - mean.reshape(bshape)
    sum_g = g.sum(axis=red)
    dotp = _channel_dot(xp, g, xc, axis)
    if batch:
        # dx = (g - sum_g/n - xc * k) * invstd * w, computed in place on the centred copy
        n = x.size // x.shape[axis]
        k = dotp * invstd * invstd / n
        dx = xc
        dx *= k.reshape(bshape)
        dx += (sum_g / n).reshape(bshape)
        xp.subtract(g, dx, out=dx)
        dx *= (invstd * w).reshape(bshape)
    else:
        dx = g * (invstd * w).reshape(bshape)
    dgamma = xp.zeros_like(dotp) if p["fix_gamma"] else dotp * invstd
    return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False),
            sum_g.astype(beta.dtype, copy=False), None, None]


def _bn_backward_compiled(sc, p, x3, x, g, mean, invstd, w, batch):
    """_bn_backward's gradients by the compiled kernel (the moving statistics are updated by the
    caller); dx goes straight into the data's gradient array when the executor offers it."""
    dx = grad_buffer(sc, 0, x.shape, x.dtype)
    if dx is None:
        dx = np.empty(x.shape, x.dtype)
    sum_g = np.empty(x3.shape[1], x.dtype)
    dot = np.empty(x3.shape[1], x.dtype)
    batch_norm_cpu.backward(x3, np.ascontiguousarray(g).reshape(x3.shape), mean, invstd, w,
                            batch, dx.reshape(x3.shape), sum_g, dot)
    dgamma = np.zeros_like(dot) if p["fix_gamma"] else dot * invstd
    return [dx, dgamma, sum_g, None, None]


# Auto-created moving statistics carry MXNet's initialiser attributes (batch_norm.cc,
# FSetInputVarAttrOnCompose).
_MOVING_STATS_INIT = {"moving_mean": {"__init__": '["zero", {}]'},
                      "moving_var": {"__init__": '["one", {}]'}}

_BN = OpDef(
    name="BatchNorm", params=_BN_PARAMS, float_inputs=FLOAT_DATA,
    inputs=("data", "gamma", "beta", "moving_mean", "moving_var"),
    aux=("moving_mean", "moving_var"),
    forward=_bn_forward, backward=_bn_backward, infer_shape=_bn_shape, infer_type=_bn_type,
    # the output is not read: x, gamma, the statistics forward saved and the moving ones are
    backward_reads=BackwardReads(inputs=(0, 1, 3, 4), input_shapes=(2,), outputs=(1, 2)),
    fresh_outputs=True, inplace=(0,),
    num_outputs=lambda p: 3 if p["output_mean_var"] else 1,
    num_hidden_outputs=lambda p: 0 if p["output_mean_var"] else 2,
    output_names=lambda p: ["output", "mean", "var"] if p["output_mean_var"] else ["output"],
    doc="Batch normalization: normalises each channel (``axis``) with the batch statistics in "
        "training, the moving statistics otherwise, then scales by gamma and shifts by beta. The "
        "moving statistics (aux states) are updated in backward.",
    input_var_attrs=_MOVING_STATS_INIT)
register(_BN)


# ----- BatchNorm_v1 -------------------------------------------------------------------------------
_BN1_PARAMS = ParamSpec(
    Float("eps", f32(1e-3), "Epsilon to prevent div 0", low=0.0),
    Float("momentum", 0.9, "Momentum for moving average"),
    Bool("fix_gamma", True, "Fix gamma while training"),
    Bool("use_global_stats", False, "Whether use global moving statistics instead of local "
                                    "batch-norm. This will force change batch-norm into a scale "
                                    "shift operator."),
    Bool("output_mean_var", False, "Output All,normal mean and var"))


def _bn1_params(p):
    """BatchNorm's parameters for the same computation: channel axis 1, float32 eps."""
    return Params(p, axis=1, eps=f32(p["eps"]))


def _bn1_shape(p, in_shapes):
    data = in_shapes[0]
    if data is not None and len(data) not in (2, 4):
        raise MXNetError(f"Error in operator BatchNorm_v1: data must be 2-D or 4-D (the kernel "
                         f"views it as (N, C, H, W)), got shape {fmt_shape(data)}")
    ins, outs = _bn_shape(_bn1_params(p), in_shapes)
    for name, given, inferred in zip(("gamma", "beta", "moving_mean", "moving_var"),
                                     in_shapes[1:], ins[1:]):
        if inferred is not None:
            check_param("BatchNorm_v1", name, given, inferred)
    return ins, outs


def _bn1_type(p, in_types):
    try:
        return _bn_type(_bn1_params(p), in_types)
    except MXNetError as err:
        raise MXNetError(str(err).replace("operator BatchNorm:", "operator BatchNorm_v1:")) \
            from None


def _bn1_forward(sc, p, ins):
    y, mean, invstd = _bn_forward(sc, _bn1_params(p), ins)
    sc.state["invstd"] = invstd
    # the hidden third output is the variance here (batch_norm_v1-inl.h), not BatchNorm's invstd
    return [y, mean, sc.state["var"]]


def _bn1_backward(sc, p, ograds, ins, outs):
    invstd = sc.state.get("invstd")
    if invstd is None:
        invstd = _invstd(sc.xp, outs[2], f32(p["eps"]))
    return _bn_backward(sc, _bn1_params(p), ograds[:1], ins, [outs[0], outs[1], invstd])


_BN1 = OpDef(
    name="BatchNorm_v1", params=_BN1_PARAMS, float_inputs=FLOAT_DATA,
    inputs=("data", "gamma", "beta", "moving_mean", "moving_var"),
    aux=("moving_mean", "moving_var"), forward=_bn1_forward, backward=_bn1_backward,
    infer_shape=_bn1_shape, infer_type=_bn1_type,
    output_names=lambda p: ["output", "mean", "var"] if p["output_mean_var"] else ["output"],
    **MEAN_VAR_OUTPUTS,
    doc="Batch normalization (MXNet's older BatchNorm): channels on axis 1; batch statistics in "
        "training, moving statistics otherwise; moving statistics updated in backward.",
    input_var_attrs=_MOVING_STATS_INIT)
register(_BN1)
