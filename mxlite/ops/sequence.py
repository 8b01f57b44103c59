"""Sequence ops (SequenceMask, SequenceLast, SequenceReverse) and nearest-neighbour UpSampling.

The sequence ops read time-major data ``(T, N, ...)`` (``axis=0``) or, for SequenceMask and
SequenceLast, batch-major ``(N, T, ...)`` (``axis=1``). With ``use_sequence_length`` a second input
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

UpSampling (``src/operator/nn/upsampling*``) takes ``num_args`` NCHW inputs (``arg0``, ...). Input i
is repeated by ``out_h / h_i`` with ``out_h = h_0 * scale``, so every input must divide the output
size; ``multi_input_mode='concat'`` stacks the results on the channel axis, ``'sum'`` adds them
(equal channel counts). The gradient of each input sums the output gradient over its blocks.
Bilinear upsampling (a deconvolution with a learned ``weight``) is not implemented.
"""
import numpy as np

from ..base import MXNetError
from .params import Bool, Enum, Float, Int, ParamSpec, REQUIRED
from .registry import OpDef, register


def _fmt(shape):
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
                         f"got shape {_fmt(data)}")
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
                                 f"{_fmt(length)}, inferred shape={_fmt((batch,))} for "
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


# ----- UpSampling ---------------------------------------------------------------------------------
_UP_PARAMS = ParamSpec(
    Int("scale", REQUIRED, "Up sampling scale"),
    Int("num_filter", 0, "Input filter. Only used by bilinear sample_type.Since bilinear "
                         "upsampling uses deconvolution, num_filters is set to the number of "
                         "channels."),
    Enum("sample_type", ("bilinear", "nearest"), REQUIRED, "upsampling method"),
    Enum("multi_input_mode", ("concat", "sum"), "concat",
         "How to handle multiple input. concat means concatenate upsampled images along the "
         "channel dimension. sum means add all images together, only available for nearest "
         "neighbor upsampling."),
    Int("num_args", 1, "Number of inputs to be upsampled (set automatically)."),
    Int("workspace", 512, "Tmp workspace for deconvolution (MB)"))


def _up_check(p):
    if p["sample_type"] != "nearest":
        raise MXNetError("Error in operator UpSampling: sample_type='bilinear' is not supported "
                         "by mxlite (only 'nearest')")
    if p["scale"] < 1:
        raise MXNetError(f"Error in operator UpSampling: scale must be >= 1, got {p['scale']}")


def _up_shape(p, in_shapes):
    _up_check(p)
    if any(s is None for s in in_shapes):
        return list(in_shapes), [None]
    first = in_shapes[0]
    channels = 0
    for i, s in enumerate(in_shapes):
        if len(s) != 4:
            raise MXNetError(f"Error in operator UpSampling: UpSamplingNearest: Input data should "
                             f"be 4D in (batch, channel, y, x), got arg{i} shape {_fmt(s)}")
        oh, ow = first[2] * p["scale"], first[3] * p["scale"]
        if oh % s[2] or ow % s[3] or s[0] != first[0]:
            raise MXNetError(f"Error in operator UpSampling: arg{i} shape {_fmt(s)} does not "
                             f"divide the output size ({first[0]}, {oh}, {ow})")
        if p["multi_input_mode"] == "sum":
            if channels not in (0, s[1]):
                raise MXNetError(f"Error in operator UpSampling: Number of channels must be the "
                                 f"same when multi_input_mode==sum (arg{i} shape {_fmt(s)})")
            channels = s[1]
        else:
            channels += s[1]
    return list(in_shapes), [(first[0], channels, oh, ow)]


def _up_forward(sc, p, ins):
    xp = sc.xp
    oh = ins[0].shape[2] * p["scale"]
    parts = []
    for x in ins:
        k = oh // x.shape[2]
        parts.append(xp.repeat(xp.repeat(x, k, axis=2), k, axis=3))
    if len(parts) == 1:
        return parts
    if p["multi_input_mode"] == "sum":
        out = parts[0].copy()
        for part in parts[1:]:
            out += part
        return [out]
    return [xp.concatenate(parts, axis=1)]


def _up_backward(sc, p, ograds, ins, outs):
    g = ograds[0]
    n, _, oh, ow = g.shape
    grads, begin = [], 0
    for x in ins:
        c, h, w = x.shape[1:]
        k = oh // h
        block = g if p["multi_input_mode"] == "sum" or len(ins) == 1 else g[:, begin:begin + c]
        grads.append(block.reshape(n, c, h, k, w, k).sum(axis=(3, 5)).astype(x.dtype))
        begin += c
    return grads


register(OpDef(
    name="UpSampling", params=_UP_PARAMS, variadic=True, forward=_up_forward,
    backward=_up_backward, infer_shape=_up_shape,
    doc="Nearest-neighbour upsampling of NCHW inputs by `scale` (several inputs are brought to "
        "one size and concatenated on channels, or summed)."))
