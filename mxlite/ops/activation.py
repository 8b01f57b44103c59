"""Activation (relu, sigmoid, tanh, softrelu, softsign) and LeakyReLU with its variants
(leaky, elu, selu, gelu, prelu, rrelu).

LeakyReLU's gradients follow MXNet's kernels (``src/operator/leaky_relu-inl.h``, ``mshadow_op.h``),
which mostly read the *output*: leaky and prelu give the slope at x = 0, elu gives ``slope *
exp(x)`` for x <= 0. selu's gradient is the true derivative, ``lambda * alpha * exp(x) = y +
lambda * alpha`` for x <= 0 (MXNet's ``selu_grad`` gives ``lambda * (alpha + y)``, about 32% off at
x = -2: a silently wrong value mxlite does not keep). gelu is computed in float32 for float16 and
float32, and in float64 for float64 (MXNet's kernel casts every dtype to float).

prelu's ``gamma`` may be any shape MXNet's ``expand_shape`` places on data axes 0 and 1 (see
``_gamma_placement``): (C,) per channel, (1,) shared, (N, C) or, for 2-D data, the data's own shape;
its gradient is summed over the axes it was broadcast along.

rrelu runs in inference mode only, with the fixed slope ``(lower_bound + upper_bound) / 2``; its
second output ``mask`` holds that slope. Training mode raises MXNetError: MXNet 1.9.1 crashes there
(and leaves the inference mask uninitialised), so there is no behaviour to be compatible with.
"""
import math

import numpy as np

from ..base import MXNetError
from ._special import erf
from ._util import f32, unbroadcast
from .params import Enum, Float, ParamSpec
from .pointwise import Pointwise
from .registry import FLOAT_DATA, BackwardReads, OpDef, register, same_shape

# --------------------------------------------------------------------------------------------------
# Activation
_ACT_PARAMS = ParamSpec(Enum("act_type", ("relu", "sigmoid", "softrelu", "softsign", "tanh"),
                             doc="Activation function to be applied."))


def activation_forward(xp, act, x):
    """y = act(x) for MXNet's Activation act_types."""
    if act == "relu":
        return xp.maximum(x, 0)
    if act == "sigmoid":
        return 1 / (1 + xp.exp(-x))
    if act == "tanh":
        return xp.tanh(x)
    if act == "softrelu":
        return xp.logaddexp(xp.zeros((), x.dtype), x)
    return x / (1 + xp.abs(x))  # softsign


def activation_backward(xp, act, g, x, y):
    """dx from the head gradient, reading the output where MXNet does (relu, sigmoid, tanh)."""
    if act == "relu":
        return g * (y > 0)
    if act == "sigmoid":
        return g * y * (1 - y)
    if act == "tanh":
        return g * (1 - y * y)
    if act == "softrelu":
        return g * -xp.expm1(-y)
    return g / ((1 + xp.abs(x)) ** 2)


def _act_reads(p):
    """Activation's backward reads the output, as MXNet's kernels do; softsign reads the input."""
    if p["act_type"] == "softsign":
        return BackwardReads(inputs=(0,))
    return BackwardReads(input_shapes=(0,), outputs=(0,))


def _act_forward(sc, p, ins):
    x = ins[0]
    if p["act_type"] == "relu":
        # in place when the plan says the input dies here (BatchNorm -> relu): one activation less
        return [sc.xp.maximum(x, 0, out=x if sc.overwritable else None)]
    with np.errstate(over="ignore"):
        return [activation_forward(sc.xp, p["act_type"], x).astype(x.dtype, copy=False)]


def _act_backward(sc, p, ograds, ins, outs):
    if p["act_type"] == "relu":
        return [ograds[0] * (outs[0] > 0)]  # the common case, without dispatch or cast
    g = activation_backward(sc.xp, p["act_type"], ograds[0], ins[0], outs[0])
    return [g.astype(ins[0].dtype, copy=False)]


def _act_pointwise(p):
    """Activation's scalar form for element-wise fusion: the formulas above, traced."""
    act = p["act_type"]
    return Pointwise(lambda xp, _, x: activation_forward(xp, act, x),
                     lambda xp, _, g, x, y: (activation_backward(xp, act, g, x, y),))


register(OpDef(name="Activation", params=_ACT_PARAMS, forward=_act_forward, backward=_act_backward,
               pointwise=_act_pointwise, positional_input_names=True, float_inputs=FLOAT_DATA,
               backward_reads=_act_reads,
               inplace=(0,),
               infer_shape=same_shape,
               doc="Applies an activation function element-wise: relu, sigmoid, tanh, softrelu "
                   "(log(1+exp(x))) or softsign (x/(1+|x|))."))


# mshadow_op.h declares these as float, so every dtype computes with the float32-rounded values
_SELU_ALPHA = float(np.float32(1.6732632423543772848170429916717))
_SELU_LAMBDA = float(np.float32(1.0507009873554804934193349852946))

_PARAMS = ParamSpec(
    Enum("act_type", ("elu", "gelu", "leaky", "prelu", "rrelu", "selu"), "leaky",
         "Activation function to be applied."),
    Float("slope", 0.25, "Init slope for the activation. (For leaky and elu only)"),
    Float("lower_bound", 0.125, "Lower bound of random slope. (For rrelu only)"),
    Float("upper_bound", 0.334, "Upper bound of random slope. (For rrelu only)"))


def _inputs(p):
    return ["data", "gamma"] if p["act_type"] == "prelu" else ["data"]


def _is_rrelu(p):
    return p["act_type"] == "rrelu"


def _shape(p, in_shapes):
    data = in_shapes[0]
    outs = [data, data] if _is_rrelu(p) else [data]
    if p["act_type"] != "prelu":
        return [data], outs
    gamma = in_shapes[1]
    if data is None:
        return [data, gamma], outs
    if len(data) < 2:
        # MXNet's LeakyReLUShape reads data axis 1 to default gamma, past the end of 1-D data
        raise MXNetError(f"Error in operator LeakyReLU: prelu needs data with a channel axis 1, "
                         f"got shape {tuple(data)}")
    if gamma is None:
        gamma = (data[1],)
    _gamma_placement(gamma, data)
    return [data, gamma], outs


def _type(p, in_types):
    known = next((t for t in in_types if t is not None), None)
    return [known] * len(in_types), [known] * (2 if _is_rrelu(p) else 1)


def upcast(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _gamma_placement(gamma, data):
    """The shape gamma broadcasts as against ``data`` (MXNet's ``LeakyReLUOp::expand_shape``).

    gamma's dims are matched right to left against data axes 1 and 0 only, each equal to the data
    dim or 1; every other axis gets 1. So (C,) is per channel, (N, C) per sample and channel, (N,)
    per sample when it cannot sit on axis 1, and (1,) one shared slope.
    """
    out = [1] * len(data)
    s = len(gamma) - 1
    for i in range(len(data) - 1, -1, -1):
        if s >= 0 and i <= 1 and gamma[s] in (data[i], 1):
            out[i] = gamma[s]
            s -= 1
    if s != -1:
        raise MXNetError(f"Error in operator LeakyReLU: Cannot broadcast gamma to data. gamma: "
                         f"{tuple(gamma)}, data: {tuple(data)}")
    return tuple(out)


def _gamma_view(gamma, data_shape):
    return gamma.reshape(_gamma_placement(gamma.shape, data_shape))


def _forward(sc, p, ins):
    xp = sc.xp
    x = ins[0]
    xa = upcast(xp, x)
    act = p["act_type"]
    if act in ("leaky", "rrelu"):
        if act == "rrelu" and sc.is_train:
            # deliberate: MXNet 1.9.1 segfaults in rrelu training, so there is nothing to match
            raise MXNetError("LeakyReLU act_type='rrelu' is not supported in training mode "
                             "(MXNet 1.9.1 crashes there); use it with is_train=False")
        slope = f32(p["slope"]) if act == "leaky" else \
            (f32(p["lower_bound"]) + f32(p["upper_bound"])) / 2
        y = xp.where(xa > 0, xa, xa * slope)
    elif act == "prelu":
        gamma = _gamma_view(upcast(xp, ins[1]), x.shape)
        y = xp.where(xa > 0, xa, xa * gamma)
    elif act == "elu":
        y = xp.where(xa > 0, xa, f32(p["slope"]) * xp.expm1(xp.minimum(xa, 0)))
    elif act == "selu":
        y = _SELU_LAMBDA * xp.where(xa > 0, xa, _SELU_ALPHA * xp.expm1(xp.minimum(xa, 0)))
    else:  # gelu, with the exact erf, in float64 for float64 data
        y = 0.5 * xa * (1 + erf(xp, xa / math.sqrt(2)))
    y = y.astype(x.dtype, copy=False)
    if act == "rrelu":
        return [y, xp.full(x.shape, (f32(p["lower_bound"]) + f32(p["upper_bound"])) / 2,
                           x.dtype)]
    return [y]


def _backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x = ins[0]
    g = upcast(xp, ograds[0])
    y = upcast(xp, outs[0])
    act = p["act_type"]
    if act == "leaky":
        dx = g * xp.where(y > 0, 1.0, f32(p["slope"]))
    elif act == "rrelu":
        dx = g * xp.where(y > 0, 1.0, upcast(xp, outs[1]))
    elif act == "elu":
        # mshadow_op::elu_grad(y, slope) = slope + y for y <= 0, i.e. slope * exp(x)
        dx = g * xp.where(y > 0, 1.0, f32(p["slope"]) + y)
    elif act == "selu":
        # the derivative lambda * alpha * exp(x), read from the output: y + lambda * alpha
        # (MXNet's mshadow_op::selu_grad gives lambda * (alpha + y), a wrong value not kept)
        dx = g * xp.where(y > 0, _SELU_LAMBDA, y + _SELU_LAMBDA * _SELU_ALPHA)
    elif act == "gelu":
        xf = upcast(xp, x)
        pdf = xp.exp(-0.5 * xf * xf) / math.sqrt(2 * math.pi)
        dx = g * (0.5 * (1 + erf(xp, xf / math.sqrt(2))) + xf * pdf)
    else:  # prelu
        xa = upcast(xp, x)
        gamma = ins[1]
        dx = g * xp.where(xa > 0, 1.0, _gamma_view(upcast(xp, gamma), x.shape))
        contrib = g * xp.where(xa > 0, 0.0, xa)
        # summed over the axes gamma was broadcast along, then back to gamma's own shape
        placed = _gamma_placement(gamma.shape, x.shape)
        dgamma = unbroadcast(xp, contrib, placed).reshape(gamma.shape)
        return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False)]
    return [dx.astype(x.dtype, copy=False)]


_LEAKY_RELU = OpDef(
    name="LeakyReLU", params=_PARAMS, inputs=_inputs, forward=_forward, backward=_backward,
    float_inputs=FLOAT_DATA,
    infer_shape=_shape, infer_type=_type,
    num_outputs=lambda p: 2 if _is_rrelu(p) else 1,
    output_names=lambda p: ["output", "mask"] if _is_rrelu(p) else ["output"],
    doc="Leaky rectified linear units and variants: leaky (x>0 ? x : slope*x), elu, selu, gelu, "
        "prelu (learned per-channel slope `gamma`) and rrelu (inference only).",
    # prelu's gamma variable gets a constant 0.25 initialiser (leaky_relu.cc,
    # FSetInputVarAttrOnCompose)
    input_var_attrs={"gamma": {"__init__": '["Constant", {"value": 0.25}]'}})
register(_LEAKY_RELU)
