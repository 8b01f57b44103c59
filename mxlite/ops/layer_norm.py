"""Per-instance normalisation: LayerNorm, InstanceNorm, GroupNorm and L2Normalization.

All accumulate in float32 for float16 data. Their gradients are the exact derivatives, which is
what MXNet's kernels compute (``src/operator/nn/layer_norm*``, ``instance_norm-inl.h``,
``l2_normalization-inl.h``).

- LayerNorm normalises over ``axis`` (default -1) with the biased variance; gamma and beta have the
  length of that axis and share the data's dtype. Hidden outputs ``mean`` and ``std`` (``sqrt(var +
  eps)``, not the inverse), the reduced axis kept as size 1; ``output_mean_var`` shows them.
- InstanceNorm normalises each (sample, channel) over the remaining axes (data of rank >= 3);
  gamma and beta are per channel (axis 1). Hidden outputs ``mean`` and ``var`` of shape (N, C).
  MXNet 1.9.1 runs it in float32 only (a legacy ``real_t`` kernel); mxlite accepts every float
  dtype.
- GroupNorm splits the channels into ``num_groups`` groups and normalises each (sample, group)
  over its channels and remaining axes; in MXNet 1.9.x gamma and beta have one value per group.
  Hidden outputs ``mean`` and ``std`` of shape (N, num_groups).
- L2Normalization divides by ``sqrt(sum(x^2) + eps)`` over all but axis 0 (instance), over axis 1
  (channel) or over axes 2.. (spatial); the hidden output ``norm`` has shape (N,), the data shape
  with axis 1 set to 1, or (N, C).
"""

from ..base import MXNetError
from ._util import f32, fmt_shape, uniform_type
from .params import Bool, Enum, Float, Int, ParamSpec
from .registry import BackwardReads, OpDef, register


def upcast(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def check_param(op, name, given, expected):
    if given is not None and tuple(given) != tuple(expected):
        raise MXNetError(f"Error in operator {op}: Shape inconsistent, Provided = "
                         f"{fmt_shape(given)}, "
                         f"inferred shape={fmt_shape(expected)} for {name}")


def _affine_backward(xp, g, xhat, invstd, gamma_b, red, param_red):
    """Gradients of ``y = xhat * gamma + beta`` with ``xhat`` normalised over ``red``."""
    gg = g * gamma_b
    dx = (gg - gg.mean(axis=red, keepdims=True)
          - xhat * (gg * xhat).mean(axis=red, keepdims=True)) * invstd
    return dx, (g * xhat).sum(axis=param_red), g.sum(axis=param_red)


# LayerNorm and BatchNorm_v1: three outputs, the last two hidden unless output_mean_var
MEAN_VAR_OUTPUTS = {"num_outputs": lambda p: 3 if p["output_mean_var"] else 1,
                     "num_hidden_outputs": lambda p: 0 if p["output_mean_var"] else 2}


# ----- LayerNorm ----------------------------------------------------------------------------------
_LN_PARAMS = ParamSpec(
    Int("axis", -1, "The axis to perform layer normalization. Usually, this should be be axis of "
                    "the channel dimension. Negative values means indexing from right to left."),
    Float("eps", f32(1e-5), "An `epsilon` parameter to prevent division by 0.",
          low=0.0),
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
    check_param("LayerNorm", "gamma", gamma, c)
    check_param("LayerNorm", "beta", beta, c)
    moments = tuple(1 if i == axis else d for i, d in enumerate(data))
    return [data, c, c], [data, moments, moments]


def _ln_layout(p, x):
    axis = _ln_axis(p, x.ndim)
    bshape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    return axis, bshape, tuple(i for i in range(x.ndim) if i != axis)


def _ln_stats(xp, p, x):
    xa = upcast(xp, x)
    axis = _ln_axis(p, x.ndim)
    mean = xa.mean(axis=axis, keepdims=True)
    std = xp.sqrt(((xa - mean) ** 2).mean(axis=axis, keepdims=True) + f32(p["eps"]))
    return xa, mean, std


def _ln_forward(sc, p, ins):
    xp = sc.xp
    x, gamma, beta = ins
    _, bshape, _ = _ln_layout(p, x)
    xa, mean, std = _ln_stats(xp, p, x)
    y = (xa - mean) / std * upcast(xp, gamma).reshape(bshape) + upcast(xp, beta).reshape(bshape)
    return [t.astype(x.dtype, copy=False) for t in (y, mean, std)]


def _ln_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, gamma, beta = ins
    axis, bshape, others = _ln_layout(p, x)
    # statistics recomputed in the accumulation type (the float16 outputs lose precision);
    # the mean/std outputs take no gradient (MXNet's _backward_LayerNorm reads only ograd 0)
    xa, mean, std = _ln_stats(xp, p, x)
    dx, dgamma, dbeta = _affine_backward(xp, upcast(xp, ograds[0]), (xa - mean) / std, 1 / std,
                                         upcast(xp, gamma).reshape(bshape), axis, others)
    return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False),
            dbeta.astype(beta.dtype, copy=False)]


register(OpDef(
    name="LayerNorm", params=_LN_PARAMS, inputs=("data", "gamma", "beta"),
    forward=_ln_forward, backward=_ln_backward, infer_shape=_ln_shape,
    infer_type=uniform_type("LayerNorm", ("data", "gamma", "beta"), 3),
    output_names=lambda p: ["output", "mean", "std"] if p["output_mean_var"] else ["output"],
    **MEAN_VAR_OUTPUTS,
    doc="Layer normalization over `axis`: (x - mean) / sqrt(var + eps) * gamma + beta."))


# ----- InstanceNorm -------------------------------------------------------------------------------
def _in_shape(p, in_shapes):
    data, gamma, beta = in_shapes
    if data is None:
        return [data, gamma, beta], [None] * 3
    if len(data) < 3:
        raise MXNetError(f"Error in operator InstanceNorm: InstanceNorm only supports input "
                         f"tensors of rank >= 3, got data shape {fmt_shape(data)}")
    c = (data[1],)
    check_param("InstanceNorm", "gamma", gamma, c)
    check_param("InstanceNorm", "beta", beta, c)
    return [data, c, c], [data, tuple(data[:2]), tuple(data[:2])]


def _in_stats(xp, x):
    xa = upcast(xp, x)
    red = tuple(range(2, x.ndim))
    mean = xa.mean(axis=red, keepdims=True)
    return xa, red, mean, ((xa - mean) ** 2).mean(axis=red, keepdims=True)


def _channel_view(xp, v, ndim):
    return upcast(xp, v).reshape((1, -1) + (1,) * (ndim - 2))


def _in_forward(sc, p, ins):
    xp = sc.xp
    x, gamma, beta = ins
    xa, _, mean, var = _in_stats(xp, x)
    y = (xa - mean) / xp.sqrt(var + f32(p["eps"])) * _channel_view(xp, gamma, x.ndim) \
        + _channel_view(xp, beta, x.ndim)
    n, c = x.shape[:2]
    return [y.astype(x.dtype, copy=False), mean.reshape(n, c).astype(x.dtype, copy=False),
            var.reshape(n, c).astype(x.dtype, copy=False)]


def _in_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, gamma, beta = ins
    xa, red, mean, var = _in_stats(xp, x)
    invstd = 1 / xp.sqrt(var + f32(p["eps"]))
    param_red = (0,) + red
    dx, dgamma, dbeta = _affine_backward(xp, upcast(xp, ograds[0]), (xa - mean) * invstd, invstd,
                                         _channel_view(xp, gamma, x.ndim), red, param_red)
    return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False),
            dbeta.astype(beta.dtype, copy=False)]


register(OpDef(
    name="InstanceNorm",
    params=ParamSpec(Float("eps", f32(1e-3), "An `epsilon` parameter to prevent division by "
                                              "0.", low=0.0)),
    inputs=("data", "gamma", "beta"), forward=_in_forward, backward=_in_backward,
    infer_shape=_in_shape, infer_type=uniform_type("InstanceNorm", ("data", "gamma", "beta"), 3),
    num_hidden_outputs=2, output_names=lambda p: ["output"],
    doc="Instance normalization: each (sample, channel) slice normalised over its spatial axes, "
        "then scaled by gamma and shifted by beta per channel."))


# ----- L2Normalization ----------------------------------------------------------------------------
def _l2_axes(p, ndim):
    mode = p["mode"]
    if mode != "instance" and ndim < 3:
        raise MXNetError(f"Error in operator L2Normalization: data needs at least 3 dimensions "
                         f"in {mode} mode, got {ndim}")
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
    xa = upcast(xp, x)
    red = _l2_axes(p, x.ndim)
    return xa, red, xp.sqrt((xa * xa).sum(axis=red, keepdims=True) + f32(p["eps"]))


def _l2_forward(sc, p, ins):
    x = ins[0]
    xa, _, norm = _l2_norm(sc.xp, p, x)
    return [(xa / norm).astype(x.dtype, copy=False),
            norm.reshape(_l2_norm_shape(p, x.shape)).astype(x.dtype, copy=False)]


def _l2_backward(sc, p, ograds, ins, outs):
    x = ins[0]
    xa, red, norm = _l2_norm(sc.xp, p, x)
    y = xa / norm
    g = upcast(sc.xp, ograds[0])
    dx = (g - y * (g * y).sum(axis=red, keepdims=True)) / norm
    return [dx.astype(x.dtype, copy=False)]


register(OpDef(
    name="L2Normalization",
    params=ParamSpec(Float("eps", f32(1e-10), "A small constant for numerical stability.",
                           low=0.0),
                     Enum("mode", ("channel", "instance", "spatial"), "instance",
                          "Specify the dimension along which to compute L2 norm.")),
    forward=_l2_forward, backward=_l2_backward, infer_shape=_l2_shape,
    infer_type=uniform_type("L2Normalization", ("data",), 2), num_hidden_outputs=1,
    output_names=lambda p: ["output"],
    doc="Divides the input by its L2 norm sqrt(sum(x^2) + eps), taken per instance (all axes but "
        "0), per channel vector (axis 1) or per spatial map (axes 2..)."))


# ----- GroupNorm ----------------------------------------------------------------------------------
# src/operator/nn/group_norm*: in MXNet 1.9.x gamma and beta hold one value per *group* (shape
# (num_groups,)), not per channel; mean and std (sqrt(var + eps)) have shape (N, num_groups).
_GN_PARAMS = ParamSpec(
    Int("num_groups", 1, "Total number of groups."),
    Float("eps", f32(1e-5), "An `epsilon` parameter to prevent division by 0."),
    Bool("output_mean_var", False, "Output the mean and std calculated along the given axis."))


def _gn_shape(p, in_shapes):
    data, gamma, beta = in_shapes
    g = p["num_groups"]
    if data is None:
        return [data, gamma, beta], [None] * 3
    if len(data) < 3:
        raise MXNetError(f"Error in operator GroupNorm: data must have at least 3 dimensions "
                         f"(N, C, ...), got data shape {fmt_shape(data)}")
    if g < 1 or data[1] % g:
        raise MXNetError(f"Error in operator GroupNorm: # of channels must be divisible by # of "
                         f"groups: data shape {fmt_shape(data)}, num_groups={g}")
    check_param("GroupNorm", "gamma", gamma, (g,))
    check_param("GroupNorm", "beta", beta, (g,))
    return [data, (g,), (g,)], [data, (data[0], g), (data[0], g)]


def _gn_stats(xp, p, x):
    """The data as (N, G, rest) in the accumulation type, its mean and std (kept dims)."""
    xa = upcast(xp, x).reshape(x.shape[0], p["num_groups"], -1)
    mean = xa.mean(axis=2, keepdims=True)
    std = xp.sqrt(((xa - mean) ** 2).mean(axis=2, keepdims=True) + f32(p["eps"]))
    return xa, mean, std


def _gn_forward(sc, p, ins):
    xp = sc.xp
    x, gamma, beta = ins
    xa, mean, std = _gn_stats(xp, p, x)
    y = (xa - mean) / std * upcast(xp, gamma)[:, None] + upcast(xp, beta)[:, None]
    n, g = x.shape[0], p["num_groups"]
    return [y.reshape(x.shape).astype(x.dtype, copy=False),
            mean.reshape(n, g).astype(x.dtype, copy=False),
            std.reshape(n, g).astype(x.dtype, copy=False)]


def _gn_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, gamma, beta = ins
    xa, mean, std = _gn_stats(xp, p, x)
    g = upcast(xp, ograds[0]).reshape(xa.shape)
    # the mean/std outputs take no gradient, as LayerNorm's
    dx, dgamma, dbeta = _affine_backward(xp, g, (xa - mean) / std, 1 / std,
                                         upcast(xp, gamma)[:, None], 2, (0, 2))
    return [dx.reshape(x.shape).astype(x.dtype, copy=False),
            dgamma.astype(gamma.dtype, copy=False), dbeta.astype(beta.dtype, copy=False)]


register(OpDef(
    name="GroupNorm", params=_GN_PARAMS, inputs=("data", "gamma", "beta"),
    forward=_gn_forward, backward=_gn_backward, infer_shape=_gn_shape,
    infer_type=uniform_type("GroupNorm", ("data", "gamma", "beta"), 3),
    backward_reads=BackwardReads(inputs=(0, 1), input_shapes=(2,)),
    output_names=lambda p: ["output", "mean", "std"] if p["output_mean_var"] else ["output"],
    **MEAN_VAR_OUTPUTS,
    doc="Group normalization: the channels split into num_groups groups, each (sample, group) "
        "normalised over its channels and remaining axes, then scaled by gamma and shifted by "
        "beta per group."))
