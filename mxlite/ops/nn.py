"""Dense layers and activations: FullyConnected and Activation."""
import numpy as np

from ..base import MXNetError
from .params import Bool, Enum, Int, ParamSpec
from .registry import OpDef, register, same_shape


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


# --------------------------------------------------------------------------------------------------
# FullyConnected: y = x W^T + b
_FC_PARAMS = ParamSpec(
    Int("num_hidden", doc="Number of hidden nodes of the output."),
    Bool("no_bias", False, "Whether to disable bias parameter."),
    Bool("flatten", True, "Whether to collapse all but the first axis of the input data tensor."))


def _fc_inputs(p):
    return ["data", "weight"] if p["no_bias"] else ["data", "weight", "bias"]


def _fc_shape(p, in_shapes):
    data, weight = in_shapes[0], in_shapes[1]
    h = p["num_hidden"]
    out = list(in_shapes)
    oshape = None
    if data is not None:
        if not p["no_bias"]:
            out[2] = (h,)
        if len(data) < 1:
            raise MXNetError("Error in operator FullyConnected: data must have at least 1 "
                             "dimension")
        # data may be partial (0 = unknown): the weight's K is known once the features are
        k = _prod(data[1:]) if p["flatten"] else data[-1]
        out[1] = (h, k)
        oshape = (data[0], h) if p["flatten"] else tuple(data[:-1]) + (h,)
    elif weight is not None and weight[0] != h:
        raise MXNetError(f"Error in operator FullyConnected: Shape inconsistent, weight "
                         f"Provided = {list(weight)}, num_hidden = {h}")
    if weight is not None and out[1] is not None and out[1][1] == 0:
        out[1] = (h, weight[1])  # K from the given weight
    if weight is not None and out[1] is not None and any(
            a and b and a != b for a, b in zip(weight, out[1])):
        raise MXNetError(f"Error in operator FullyConnected: Shape inconsistent, Provided = "
                         f"[{','.join(map(str, weight))}], inferred shape="
                         f"({','.join(map(str, out[1]))})")
    return out, [oshape]


def _fc_2d(p, x):
    return x.reshape(x.shape[0], -1) if p["flatten"] else x.reshape(-1, x.shape[-1])


def _fc_forward(sc, p, ins):
    x, w = ins[0], ins[1]
    out = sc.xp.matmul(_fc_2d(p, x), w.T)
    if not p["no_bias"]:
        out += ins[2]
    if not p["flatten"]:
        out = out.reshape(x.shape[:-1] + (w.shape[0],))
    return [out]


def fc_input_grads(xp, p, g, x, w):
    """(dx, dW) of FullyConnected from the gradient ``g`` of its 2-D output."""
    x2 = _fc_2d(p, x)
    dx = xp.matmul(g, w)
    return (dx if dx.shape == x.shape else dx.reshape(x.shape)), xp.matmul(g.T, x2)


def bias_grad(xp, g):
    """Column sums of ``g`` (float16 accumulates in float32)."""
    if g.dtype == xp.float16:
        return g.sum(axis=0, dtype=xp.float32).astype(g.dtype)
    return g.sum(axis=0)


def _fc_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, w = ins[0], ins[1]
    g = ograds[0]
    if g.ndim != 2:
        g = g.reshape(-1, w.shape[0])
    dx, dw = fc_input_grads(xp, p, g, x, w)
    if p["no_bias"]:
        return [dx, dw]
    return [dx, dw, bias_grad(xp, g)]


def _fc_gpu_backward(sc, p, ograds, ins, outs):
    """GEMMs through cuBLAS (cupy.matmul); the bias gradient either comes from the fused
    activation backward that ran just before (see ``_act_gpu_backward``) or from the kernel's
    deterministic column sum."""
    x, w = ins[0], ins[1]
    g = ograds[0]
    if g.ndim != 2:
        g = g.reshape(-1, w.shape[0])
    dx, dw = fc_input_grads(sc.xp, p, g, x, w)
    if p["no_bias"]:
        return [dx, dw]
    db = sc.state.pop("dbias", None)
    if db is None:
        from . import cuda
        _, db = cuda.fc_backward_fused(g, None, "identity")
    return [dx, dw, db]


register(OpDef(
    name="FullyConnected", params=_FC_PARAMS, inputs=_fc_inputs, forward=_fc_forward,
    backward=_fc_backward, infer_shape=_fc_shape, gpu_backward=_fc_gpu_backward,
    partial_shapes=True,
    doc="Applies a linear transformation: Y = X W^T + b. With flatten, X is reshaped to "
        "(batch, prod(other dims)) first."))


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


def _act_forward(sc, p, ins):
    x = ins[0]
    if p["act_type"] == "relu":
        return [sc.xp.maximum(x, 0)]
    with np.errstate(over="ignore"):
        return [activation_forward(sc.xp, p["act_type"], x).astype(x.dtype, copy=False)]


def _act_backward(sc, p, ograds, ins, outs):
    if p["act_type"] == "relu":
        return [ograds[0] * (outs[0] > 0)]  # the common case, without dispatch or cast
    g = activation_backward(sc.xp, p["act_type"], ograds[0], ins[0], outs[0])
    return [g.astype(ins[0].dtype, copy=False)]


def _act_gpu_backward(sc, p, ograds, ins, outs):
    """When the plan paired this activation with the FullyConnected feeding it, one kernel computes
    the activation's input gradient and the bias gradient, handed to the FC step's state."""
    fc_sc = sc.state.get("fuse_fc")
    if fc_sc is None:
        return _act_backward(sc, p, ograds, ins, outs)
    from . import cuda
    y = outs[0]
    d_fc, dbias = cuda.fc_backward_fused(ograds[0].reshape(-1, y.shape[-1]),
                                         y.reshape(-1, y.shape[-1]), p["act_type"])
    fc_sc.state["dbias"] = dbias
    return [d_fc.reshape(y.shape)]


register(OpDef(name="Activation", params=_ACT_PARAMS, forward=_act_forward, backward=_act_backward,
               infer_shape=same_shape, gpu_backward=_act_gpu_backward,
               doc="Applies an activation function element-wise: relu, sigmoid, tanh, softrelu "
                   "(log(1+exp(x))) or softsign (x/(1+|x|))."))
