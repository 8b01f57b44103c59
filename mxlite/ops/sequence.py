"""Sequence ops: SequenceMask, SequenceLast and SequenceReverse.

They read time-major data ``(T, N, ...)`` (``axis=0``) or, for SequenceMask and SequenceLast,
batch-major ``(N, T, ...)`` (``axis=1``). With ``use_sequence_length`` a second input
``sequence_length`` of shape (N,) gives each sequence's length; it may have any numeric dtype
(unknown, it takes the data's), its values are truncated to int, and it gets no gradient. MXNet's
kernels index memory with the lengths unchecked (``src/operator/sequence_*``); mxlite clamps them to
``[0, T]`` (SequenceLast: ``[1, T]``) instead of reading out of bounds.

- SequenceMask writes ``value`` (a float32 parameter) at time steps >= length; gradient zero there.
- SequenceLast picks step ``length - 1`` (the last step without lengths); the output drops the time
  axis. (Without lengths MXNet's backward reads an uninitialised index buffer; mxlite sends the
  gradient to the last step, as forward reads it.)
- SequenceReverse reverses the first ``length`` steps and keeps the padding in place; ``axis`` must
  be 0.
"""
import numpy as np

from ..base import MXNetError
from .params import Bool, Float, Int, ParamSpec
from .registry import OpDef, register


def fmt_shape(shape):
    return "(" + ",".join(str(d) for d in shape) + ")"


def _seq_inputs(p):
    # signature.py learns the optional inputs by trying its ``use_length=True`` switch; answering
    # it too puts sequence_length in the generated signature (so it can be given positionally)
    if p["use_sequence_length"] or p.get("use_length"):
        return ["data", "sequence_length"]
    return ["data"]


def _seq_params(*extra, axis_doc):
    return ParamSpec(Bool("use_sequence_length", False, "If set to true, this layer takes in an "
                                                        "extra input parameter `sequence_length` "
                                                        "to specify variable length sequence"),
                     *extra, Int("axis", 0, axis_doc))


def _seq_check(op, p, data, axes):
    """The batch size of ``data`` (MXNetError on a bad axis or rank)."""
    if p["axis"] not in axes:
        allowed = "0" if axes == (0,) else "0 or 1"
        raise MXNetError(f"Error in operator {op}: Current implementation expects axis to be "
                         f"{allowed}, got axis={p['axis']}")
    if len(data) < 2:
        raise MXNetError(f"Error in operator {op}: The data array must be of rank 2 or greater, "
                         f"got shape {fmt_shape(data)}")
    return data[1] if p["axis"] == 0 else data[0]


def _seq_shape(op, axes, out_rule):
    def infer(p, in_shapes):
        data = in_shapes[0]
        length = in_shapes[1] if p["use_sequence_length"] else None
        if data is None:
            return list(in_shapes), [None]
        batch = _seq_check(op, p, data, axes)
        if p["use_sequence_length"]:
            if length is not None and tuple(length) != (batch,):
                raise MXNetError(f"Error in operator {op}: Shape inconsistent, Provided = "
                                 f"{fmt_shape(length)}, inferred shape={fmt_shape((batch,))} for "
                                 f"sequence_length")
            return [data, (batch,)], [out_rule(p, data)]
        return [data], [out_rule(p, data)]
    return infer


def _seq_type(p, in_types):
    # the lengths keep their own dtype; unknown, they take the data's (sequence_*-inl.h)
    data = in_types[0]
    return [data] + [t if t is not None else data for t in in_types[1:]], [data]


def _lengths(xp, p, ins, batch, steps, low=0):
    """Per-sequence lengths as int64, clamped to ``[low, steps]``."""
    if not p["use_sequence_length"]:
        return xp.full((batch,), steps, dtype=xp.int64)
    raw = xp.trunc(ins[1].astype(xp.float64)).astype(xp.int64)
    return xp.clip(raw, low, steps)


def _time_major(p, x):
    """``x`` viewed as (T, N, ...) (a transposed view for axis=1)."""
    return x if p["axis"] == 0 else x.swapaxes(0, 1)


def _step_mask(xp, p, ins, x):
    """Boolean (T, N) array: True at time steps inside each sequence."""
    t, n = _time_major(p, x).shape[:2]
    lengths = _lengths(xp, p, ins, n, t)
    return xp.arange(t)[:, None] < lengths[None, :]


def _expand(mask, ndim):
    return mask.reshape(mask.shape + (1,) * (ndim - 2))


_NO_LENGTH_GRAD = [None]


# ----- SequenceMask -------------------------------------------------------------------------------
def _mask_forward(sc, p, ins):
    x = ins[0]
    if not p["use_sequence_length"]:
        return [x.copy()]
    keep = _expand(_step_mask(sc.xp, p, ins, x), x.ndim)
    # SequenceMaskParam.value is a float, cast to the data type by the kernel
    value = x.dtype.type(np.float32(p["value"]))
    # swapping axes 0 and 1 is its own inverse: the (T, N) mask back in the data's layout
    return [sc.xp.where(_time_major(p, keep), x, value).astype(x.dtype, copy=False)]


def _mask_backward(sc, p, ograds, ins, outs):
    g = ograds[0]
    if not p["use_sequence_length"]:
        return [g.copy()]
    keep = _time_major(p, _expand(_step_mask(sc.xp, p, ins, ins[0]), g.ndim))
    return [(g * keep).astype(g.dtype, copy=False)] + _NO_LENGTH_GRAD


register(OpDef(
    name="SequenceMask", params=_seq_params(
        Float("value", 0.0, "The value to be used as a mask."),
        axis_doc="The sequence axis. Only values of 0 and 1 are currently supported."),
    inputs=_seq_inputs, forward=_mask_forward, backward=_mask_backward,
    infer_shape=_seq_shape("SequenceMask", (0, 1), lambda p, d: tuple(d)), infer_type=_seq_type,
    doc="Sets the time steps at and beyond each sequence's length to `value`."))


# ----- SequenceLast -------------------------------------------------------------------------------
def _last_index(sc, p, ins, x):
    t, n = _time_major(p, x).shape[:2]
    return _lengths(sc.xp, p, ins, n, t, low=1) - 1


def _last_forward(sc, p, ins):
    x = ins[0]
    xt = _time_major(p, x)
    idx = _last_index(sc, p, ins, x)
    return [xt[idx, sc.xp.arange(xt.shape[1])]]


def _last_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x = ins[0]
    grad = xp.zeros_like(x)
    gt = _time_major(p, grad)  # a view: writing it fills grad
    gt[_last_index(sc, p, ins, x), xp.arange(gt.shape[1])] = ograds[0]
    return [grad] + (_NO_LENGTH_GRAD if p["use_sequence_length"] else [])


register(OpDef(
    name="SequenceLast", params=_seq_params(
        axis_doc="The sequence axis. Only values of 0 and 1 are currently supported."),
    inputs=_seq_inputs, forward=_last_forward, backward=_last_backward,
    infer_shape=_seq_shape("SequenceLast", (0, 1),
                           lambda p, d: (d[1] if p["axis"] == 0 else d[0],) + tuple(d[2:])),
    infer_type=_seq_type,
    doc="The last step of each sequence (step length-1, or the final step); drops the time "
        "axis."))


# ----- SequenceReverse ----------------------------------------------------------------------------
def _reverse_index(sc, p, ins, x):
    """(T, N) source step of every output step: reversed inside each sequence, fixed beyond."""
    xp = sc.xp
    t, n = x.shape[:2]
    lengths = _lengths(xp, p, ins, n, t)[None, :]
    steps = xp.arange(t)[:, None]
    return xp.where(steps < lengths, lengths - 1 - steps, steps)


def _reverse_forward(sc, p, ins):
    x = ins[0]
    src = _reverse_index(sc, p, ins, x)
    return [x[src, sc.xp.arange(x.shape[1])[None, :]]]


def _reverse_backward(sc, p, ograds, ins, outs):
    # the permutation is its own inverse, so the gradient is reversed the same way
    g = ograds[0]
    src = _reverse_index(sc, p, ins, g)
    return [g[src, sc.xp.arange(g.shape[1])[None, :]]] + \
        (_NO_LENGTH_GRAD if p["use_sequence_length"] else [])


register(OpDef(
    name="SequenceReverse", params=_seq_params(
        axis_doc="The sequence axis. Only 0 is currently supported."),
    inputs=_seq_inputs, forward=_reverse_forward, backward=_reverse_backward,
    infer_shape=_seq_shape("SequenceReverse", (0,), lambda p, d: tuple(d)),
    infer_type=_seq_type,
    doc="Reverses the first `sequence_length` steps of each sequence (time-major data)."))
