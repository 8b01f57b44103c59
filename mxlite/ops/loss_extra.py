"""More loss ops: ``softmax_cross_entropy`` and ``SVMOutput``.

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
from .params import Bool, Float, ParamSpec
from .registry import OpDef, register


def _fmt(shape):
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


def _acc(xp, x):
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
                         f"accept 2D data, got data shape {_fmt(data)}")
    if label is not None and len(label) != 1:
        raise MXNetError(f"Error in operator softmax_cross_entropy: SoftmaxCrossEntropy only "
                         f"accept 1D label, got label shape {_fmt(label)}")
    if data is not None and label is not None and data[0] != label[0]:
        raise MXNetError(f"Error in operator softmax_cross_entropy: data label shape mismatch: "
                         f"data {_fmt(data)}, label {_fmt(label)}")
    if label is None and data is not None:
        label = (data[0],)
    return [data, label], [(1,)]


def _softmax_rows(xp, x):
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sce_forward(sc, p, ins):
    xp = sc.xp
    x, label = ins
    prob = _softmax_rows(xp, _acc(xp, x))
    picked = (prob * _onehot(xp, label, x.shape[0], x.shape[1], prob.dtype)).sum(axis=1)
    # loss_binary_op-inl.h clamps the picked probability at 1e-8 before the log
    loss = -xp.log(xp.maximum(picked, 1e-8)).sum()
    return [loss.reshape(1).astype(x.dtype)]


def _sce_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, label = ins
    prob = _softmax_rows(xp, _acc(xp, x))
    grad = (prob - _onehot(xp, label, x.shape[0], x.shape[1], prob.dtype)) \
        * _acc(xp, ograds[0]).reshape(1, 1)
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
                         f"{_fmt(label)}, inferred shape={_fmt(expected)} for label")
    return [data, expected], [data]


def _svm_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    out = outs[0]
    y = _acc(xp, out.reshape(out.shape[0], -1))
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
