"""Dropout: random zeroing with 1/(1-p) rescaling in training (or always, with ``mode='always'``).

The mask is drawn from ``mxlite.random.generator(ctx)``, so ``mx.random.seed`` makes runs
reproducible. Forward keeps the mask it used in the step's state and returns it as the hidden second
output; backward multiplies the head gradient by that same mask. When forward ran as the identity
(inference, or p = 0), backward passes the gradient through unchanged, as MXNet's
``dropout_passthrough_`` flag does (``src/operator/nn/dropout-inl.h``). ``p = 1`` in training gives
NaN everywhere, as in MXNet (0 * inf).
"""
import numpy as np

from ..base import MXNetError
from ..random import generator
from .params import Bool, Enum, Float, ParamSpec, Shape
from .registry import BackwardReads, OpDef, register, same_type

_PARAMS = ParamSpec(
    Float("p", 0.5, "Fraction of the input that gets dropped out during training time."),
    Enum("mode", ("always", "training"), "training",
         "Whether to only turn on dropout during training or to also turn on for inference."),
    Shape("axes", (), "Axes for variational dropout kernel."),
    Bool("cudnn_off", False, "Whether to turn off cudnn in dropout operator. This option is "
                             "ignored if axes is specified."))


def _mask_shape(p, data):
    shape = list(data)
    for axis in p["axes"]:
        if not -len(shape) <= axis < len(shape):
            raise MXNetError(f"Error in operator Dropout: axis {axis} in axes out of range for "
                             f"data of shape {tuple(data)}")
        shape[axis] = 1
    return tuple(shape)


def _shape(p, in_shapes):
    data = in_shapes[0]
    if not 0.0 <= p["p"] <= 1.0:
        raise MXNetError(f"Error in operator Dropout: p must be in [0, 1], got {p['p']}")
    if data is None:
        return [None], [None, None]
    return [data], [data, _mask_shape(p, data)]


def _forward(sc, p, ins):
    xp = sc.xp
    x = ins[0]
    mask_shape = _mask_shape(p, x.shape)
    keep = 1.0 - p["p"]
    if keep < 1.0 and (sc.is_train or p["mode"] == "always"):
        draws = generator(sc.ctx).uniform(0.0, 1.0, mask_shape)
        if keep > 0:
            mask = ((draws < keep) * (1.0 / keep)).astype(x.dtype)
        else:
            # p = 1: MXNet's kernel multiplies a zero keep-flag by 1/pkeep = inf, so the mask, the
            # output and the gradient are all NaN, and its test_dropout asserts exactly that
            # (src/operator/nn/dropout-inl.h, tests/python/unittest/test_operator.py).
            mask = xp.full(mask_shape, np.nan, dtype=x.dtype)
        sc.state["mask"] = mask
        return [x * mask, mask]
    sc.state["mask"] = None
    return [x.copy(), xp.ones(mask_shape, x.dtype)]


def _backward(sc, p, ograds, ins, outs):
    g = ograds[0]
    mask = sc.state.get("mask")
    if mask is None:
        return [g.astype(ins[0].dtype, copy=True)]
    return [(g * mask).astype(ins[0].dtype, copy=False)]


register(OpDef(
    name="Dropout", params=_PARAMS, forward=_forward, backward=_backward, infer_shape=_shape,
    infer_type=lambda p, t: same_type(p, t, 2), num_hidden_outputs=1,
    backward_reads=BackwardReads(input_shapes=(0,)),  # the mask is in the step's state
    doc="Applies dropout: during training (or always with mode='always') each element is zeroed "
        "with probability p and the rest are scaled by 1/(1-p); `axes` shares the mask along "
        "those axes. Identity at inference."))
