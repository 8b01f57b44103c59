"""Loss-like ops whose backward ignores the head gradient: regression outputs, MakeLoss, make_loss,
BlockGrad. (SoftmaxOutput lives with the softmax family.)"""
from ..base import MXNetError
from .params import Enum, Float, ParamSpec
from .registry import OpDef, register, same_shape

_REG_PARAMS = ParamSpec(Float("grad_scale", 1.0, "Scale the gradient by a float factor"))


def _reg_shape(p, in_shapes):
    data, label = in_shapes
    if data is None:
        return [data, label], [None]
    if label is not None and tuple(label) != tuple(data):
        # (N, 1) data also accepts an (N,) label (regression_output-inl.h).
        if not (len(data) == 2 and data[1] == 1 and tuple(label) == (data[0],)):
            raise MXNetError(f"Error in operator regression output: Shape inconsistent, Provided "
                             f"= {list(label)}, inferred shape={tuple(data)}")
        return [data, label], [data]
    return [data, data], [data]


def _make_regression(name, link, grad_fn, doc):
    def forward(sc, p, ins):
        return [link(sc.xp, ins[0]).astype(ins[0].dtype, copy=False)]

    def backward(sc, p, ograds, ins, outs):
        out, label = outs[0], ins[1].reshape(outs[0].shape)
        # divide by the features per sample, not by the batch (regression_output-inl.h)
        per_sample = ins[1].size / ins[1].shape[0]
        grad = grad_fn(sc.xp, out, label) * (p["grad_scale"] / per_sample)
        return [grad.astype(ins[0].dtype, copy=False), None]

    register(OpDef(name=name, params=_REG_PARAMS, inputs=("data", "label"), forward=forward,
                   backward=backward, infer_shape=_reg_shape, needs_head_grad=False, doc=doc))


_make_regression("LinearRegressionOutput", lambda xp, x: x, lambda xp, o, t: o - t,
                 "Identity forward; backward (out - label) * grad_scale / features-per-sample.")
_make_regression("LogisticRegressionOutput", lambda xp, x: 1 / (1 + xp.exp(-x)),
                 lambda xp, o, t: o - t,
                 "Sigmoid forward; backward (out - label) * grad_scale / features-per-sample.")
_make_regression("MAERegressionOutput", lambda xp, x: x,
                 lambda xp, o, t: xp.where(o > t, 1.0, -1.0).astype(o.dtype),
                 "Identity forward; backward sign(out - label) (sign(0) = -1) * grad_scale "
                 "/ features-per-sample.")


_MAKELOSS_PARAMS = ParamSpec(
    Float("grad_scale", 1.0, "Gradient scale as a supplement to unary and binary operators"),
    Float("valid_thresh", 0.0, "clip each element in the array to 0 when it is less than "
                               "valid_thresh (for normalization 'valid')"),
    Enum("normalization", ("batch", "null", "valid"), "null",
         "If 'batch', the gradient is divided by the batch size; if 'valid', by the number of "
         "elements above valid_thresh."))


def _identity_forward(sc, p, ins):
    return [ins[0].copy()]


def _makeloss_backward(sc, p, ograds, ins, outs):
    x = ins[0]
    scale = p["grad_scale"]
    if p["normalization"] == "batch":
        scale /= x.shape[0]
    elif p["normalization"] == "valid":
        scale /= max(1, int((x > p["valid_thresh"]).sum()))
    return [sc.xp.full(x.shape, scale, dtype=x.dtype)]


register(OpDef(name="MakeLoss", params=_MAKELOSS_PARAMS, forward=_identity_forward,
               backward=_makeloss_backward, infer_shape=same_shape, needs_head_grad=False,
               doc="Marks the input as a loss: identity forward, gradient grad_scale (normalised) "
                   "regardless of the head gradient."))

register(OpDef(name="make_loss", forward=_identity_forward,
               backward=lambda sc, p, og, ins, outs: [sc.xp.ones_like(ins[0])],
               infer_shape=same_shape, needs_head_grad=False, output_names=lambda p: ["loss"],
               doc="Identity forward; the gradient is 1 regardless of the head gradient. Its "
                   "output is named <name>_loss."))

register(OpDef(name="BlockGrad", aliases=("stop_gradient",), forward=_identity_forward,
               backward=lambda sc, p, og, ins, outs: [sc.xp.zeros_like(ins[0])],
               infer_shape=same_shape, needs_head_grad=False,
               doc="Identity forward; stops the gradient (zero gradient to the input)."))
