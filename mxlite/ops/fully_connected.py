"""FullyConnected: ``y = x W^T + b`` (src/operator/nn/fully_connected-inl.h).

With ``flatten`` (the default) the data is viewed as ``(N, prod(rest))``; without it the product
runs over the last axis only. ``no_bias`` drops the ``bias`` input. The weight's shape
``(num_hidden, K)`` and the bias' ``(num_hidden,)`` are inferred from the data, which is how
simple_bind learns ``fc1_weight``.
"""
from ..base import MXNetError
from . import fully_connected_cuda
from ._util import prod
from .params import Bool, Int, ParamSpec
from .registry import BackwardFusion, BackwardReads, OpDef, register, register_fusion


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
        k = prod(data[1:]) if p["flatten"] else data[-1]
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
                         f"({','.join(map(str, out[1]))}) for weight")
    return out, [oshape]


def _fc_2d(p, x):
    # explicit sizes, not -1: a zero-size batch (NumPy-shape mode) has no -1 to infer
    if p["flatten"]:
        return x.reshape(x.shape[0], prod(x.shape[1:]))
    return x.reshape(prod(x.shape[:-1]), x.shape[-1])


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
    """GEMMs through cuBLAS (cupy.matmul); the bias gradient from the kernel's deterministic column
    sum."""
    x, w = ins[0], ins[1]
    g = ograds[0]
    if g.ndim != 2:
        g = g.reshape(-1, w.shape[0])
    dx, dw = fc_input_grads(sc.xp, p, g, x, w)
    if p["no_bias"]:
        return [dx, dw]
    _, db = fully_connected_cuda.fc_backward_fused(g, None, "identity")
    return [dx, dw, db]


def _fc_activation_backward(sc, params, ograds, ins, outs):
    """The backward of FullyConnected (with bias) followed by its only reader, an Activation: one
    kernel pass gives the activation's input gradient and the bias gradient, then the GEMMs."""
    p, act = params
    x, w = ins[0], ins[1]
    y = outs[0]
    h = y.shape[-1]
    d_fc, db = fully_connected_cuda.fc_backward_fused(ograds[0].reshape(-1, h), y.reshape(-1, h),
                                                     act["act_type"])
    dx, dw = fc_input_grads(sc.xp, p, d_fc, x, w)
    return [dx, dw, db]


register(OpDef(
    name="FullyConnected", params=_FC_PARAMS, inputs=_fc_inputs, forward=_fc_forward,
    backward=_fc_backward, infer_shape=_fc_shape, gpu_backward=_fc_gpu_backward,
    backward_reads=BackwardReads(inputs=(0, 1)),
    partial_shapes=True,
    doc="Applies a linear transformation: Y = X W^T + b. With flatten, X is reshaped to "
        "(batch, prod(other dims)) first."))

# On a GPU, FullyConnected's backward and that of the Activation reading it run as one unit.
register_fusion(BackwardFusion(
    name="FullyConnected+Activation", producer="FullyConnected", consumer="Activation",
    backward=_fc_activation_backward,
    reads=BackwardReads(inputs=(0, 1), input_shapes=(2,), outputs=(0,)),
    when=lambda fc, act: not fc["no_bias"] and act["act_type"] in fully_connected_cuda.FUSABLE_ACTS,
    device="gpu"))
