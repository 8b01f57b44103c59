"""Loss-like ops whose backward ignores the head gradient: the regression outputs, MakeLoss,
make_loss, SVMOutput; BlockGrad; and softmax_cross_entropy. (SoftmaxOutput lives with the softmax
family.)

``softmax_cross_entropy`` (``src/operator/loss_binary_op-inl.h``) is *not* a loss op in MXNet's
sense: its (1,)-shaped output takes a head gradient, which scales ``softmax(x) - onehot(label)``.
The label's gradient cannot be asked for (MXNet: "Cannot take gradient wrt label"). Labels are
truncated to int; one outside ``[0, classes)`` puts no -1 in its row (``mshadow::SoftmaxGrad``) and
contributes ``-log(1e-8)`` to the loss (MXNet reads out of bounds there; mxlite picks the clamped
probability floor instead).

``SVMOutput`` (``src/operator/svm_output{-inl.h,.cc}``) is a loss op: identity forward, and a
backward that ignores the head gradient and writes the hinge-loss gradient of the one-vs-all SVM
(L2-SVM by default, L1-SVM with ``use_linear``). The data is viewed as ``(N, rest)`` and the
label's first N entries are the classes, as in MXNet's kernel. The label gets no gradient.
"""
import numpy as np

from ..base import MXNetError
from .params import Bool, Enum, Float, ParamSpec
from .registry import READS_SHAPES, OpDef, register, same_shape

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
               backward=lambda sc, p, og, ins, outs: [sc.xp.zeros(ins[0].shape, ins[0].dtype)],
               infer_shape=same_shape, needs_head_grad=False, backward_reads=READS_SHAPES,
               doc="Identity forward; stops the gradient (zero gradient to the input)."))


def fmt_shape(shape):
    return "(" + ",".join(str(d) for d in shape) + ")"


def _uniform_type(op, names, in_types, num_outputs=1):
    """Every input shares the first input's dtype (MXNet's UNIFORM_TYPE_CHECK)."""
    dtype = in_types[0]
    if dtype is None:
        return list(in_types), [None] * num_outputs
    for name, t in zip(names, in_types):
        if t is not None and np.dtype(t) != np.dtype(dtype):
            raise MXNetError(f"Error in operator {op}: {name} has dtype {np.dtype(t).name}, "
                             f"expected {np.dtype(dtype).name} (all inputs share one dtype)")
    return [dtype] * len(in_types), [dtype] * num_outputs


def upcast(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _onehot(xp, label, n_rows, n_cls, dtype):
    """``(n_rows, n_cls)`` one-hot of the truncated labels; out-of-range labels give a zero row."""
    k = xp.trunc(label.reshape(-1)[:n_rows].astype(xp.float64)).astype(xp.int64)
    return (xp.arange(n_cls)[None, :] == k[:, None]).astype(dtype)


# ----- softmax_cross_entropy ----------------------------------------------------------------------
def _sce_shape(p, in_shapes):
    data, label = in_shapes
    if data is not None and len(data) != 2:
        raise MXNetError(f"Error in operator softmax_cross_entropy: SoftmaxCrossEntropy only "
                         f"accept 2D data, got data shape {fmt_shape(data)}")
    if label is not None and len(label) != 1:
        raise MXNetError(f"Error in operator softmax_cross_entropy: SoftmaxCrossEntropy only "
                         f"accept 1D label, got label shape {fmt_shape(label)}")
    if data is not None and label is not None and data[0] != label[0]:
        raise MXNetError(f"Error in operator softmax_cross_entropy: data label shape mismatch: "
                         f"data {fmt_shape(data)}, label {fmt_shape(label)}")
    if label is None and data is not None:
        label = (data[0],)
    return [data, label], [(1,)]


def _softmax_rows(xp, x):
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sce_forward(sc, p, ins):
    xp = sc.xp
    x, label = ins
    prob = _softmax_rows(xp, upcast(xp, x))
    picked = (prob * _onehot(xp, label, x.shape[0], x.shape[1], prob.dtype)).sum(axis=1)
    # loss_binary_op-inl.h clamps the picked probability at 1e-8 before the log
    loss = -xp.log(xp.maximum(picked, 1e-8)).sum()
    return [loss.reshape(1).astype(x.dtype)]


def _sce_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, label = ins
    prob = _softmax_rows(xp, upcast(xp, x))
    grad = (prob - _onehot(xp, label, x.shape[0], x.shape[1], prob.dtype)) \
        * upcast(xp, ograds[0]).reshape(1, 1)
    return [grad.astype(x.dtype, copy=False), None]


register(OpDef(
    name="softmax_cross_entropy", inputs=("data", "label"), forward=_sce_forward,
    backward=_sce_backward, infer_shape=_sce_shape,
    infer_type=lambda p, t: _uniform_type("softmax_cross_entropy", ("data", "label"), t),
    no_grad_inputs=("label",),
    doc="Cross entropy of softmax(data) (2-D, softmax over axis 1) and integer class labels "
        "(1-D), summed over the batch into a (1,) output."))


# ----- SVMOutput ----------------------------------------------------------------------------------
_SVM_PARAMS = ParamSpec(
    Float("margin", 1.0, "The loss function penalizes outputs that lie outside this margin. "
                         "Default margin is 1."),
    Float("regularization_coefficient", 1.0, "Regularization parameter for the SVM. This "
                                             "balances the tradeoff between coefficient size "
                                             "and error."),
    Bool("use_linear", False, "Whether to use L1-SVM objective. L2-SVM objective is used by "
                              "default."))


def _svm_shape(p, in_shapes):
    data, label = in_shapes
    if data is None:
        return [data, label], [None]
    expected = tuple(data[:-1])
    if label is not None and tuple(label) != expected:
        raise MXNetError(f"Error in operator SVMOutput: Shape inconsistent, Provided = "
                         f"{fmt_shape(label)}, inferred shape={fmt_shape(expected)} for label")
    return [data, expected], [data]


def _svm_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    out = outs[0]
    y = upcast(xp, out.reshape(out.shape[0], -1))
    onehot = _onehot(xp, ins[1], y.shape[0], y.shape[1], y.dtype)
    # SVMOutputParam holds margin and the coefficient as float
    margin = float(np.float32(p["margin"]))
    coef = float(np.float32(p["regularization_coefficient"]))
    at_label = margin > y
    elsewhere = margin > -y
    if p["use_linear"]:
        grad = xp.where(onehot > 0, -(at_label * coef), elsewhere * coef)
    else:
        grad = xp.where(onehot > 0, -2 * coef * (margin - y) * at_label,
                        2 * coef * (margin + y) * elsewhere)
    return [grad.reshape(out.shape).astype(out.dtype, copy=False), None]


register(OpDef(
    name="SVMOutput", params=_SVM_PARAMS, inputs=("data", "label"),
    forward=lambda sc, p, ins: [ins[0].copy()], backward=_svm_backward, infer_shape=_svm_shape,
    infer_type=lambda p, t: _uniform_type("SVMOutput", ("data", "label"), t),
    needs_head_grad=False,
    doc="Support vector machine output layer: identity forward; backward writes the one-vs-all "
        "hinge-loss gradient (squared hinge unless use_linear) for the integer labels, "
        "ignoring the head gradient."))
