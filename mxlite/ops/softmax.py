"""Softmax family: softmax, log_softmax, softmin, SoftmaxActivation and the SoftmaxOutput loss.

float16 inputs are computed in float32 (MXNet's accumulation type) and cast back.
"""

import numpy as _np

from ..base import MXNetError
from . import _jit, softmax_cpu, softmax_cuda
from ._util import grad_buffer
from .params import Bool, Dtype, Enum, Float, Int, ParamSpec
from .registry import FLOAT_DATA, BackwardReads, OpDef, register, same_shape

_SOFTMAX_PARAMS = ParamSpec(
    Int("axis", -1, "The axis along which to compute softmax."),
    Float("temperature", None, "Temperature parameter in softmax", optional=True),
    Dtype("dtype", None, "DType of the output in case this can't be inferred."),
    Bool("use_length", False, "Whether to use the length input as a mask over the data input."))


def _acc(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _length_mask(xp, length, shape, axis):
    """Boolean mask, True at positions < length along ``axis``."""
    n = shape[axis]
    pos = xp.arange(n).reshape((n,) + (1,) * (len(shape) - axis - 1))
    return pos < xp.expand_dims(length.astype(xp.int64), axis)


def softmax_ref(xp, x, axis, temperature=None, log=False, mask=None):
    """(log-)softmax of ``x`` along ``axis``; masked positions give 0."""
    if mask is None and not log and temperature in (None, 1.0):
        return softmax_plain(xp, x, axis)
    x = _acc(xp, x)
    if x.size == 0:  # a zero-length axis has no max; the result is as empty as the input
        return x.copy()
    if temperature is not None and temperature != 1.0:
        x = x / temperature
    if mask is not None:
        x = xp.where(mask, x, -xp.inf)
    with _np.errstate(invalid="ignore", divide="ignore"):  # fully masked rows become 0 below
        shifted = x - x.max(axis=axis, keepdims=True)
        e = xp.exp(shifted)
        s = e.sum(axis=axis, keepdims=True)
        out = shifted - xp.log(s) if log else e / s
    if mask is not None:
        out = xp.where(mask, out, 0)
    return out


_NO_LENGTHS = _np.empty(0, _np.int64)


def _compiled(xp, *arrays):
    """Whether the compiled CPU kernels (softmax_cpu) serve these arrays: host float32/float64
    data with numba on (``_jit``); float16 and the GPU keep their own paths."""
    return _jit.serves(xp, *arrays)


def _as_rows(a, axis):
    """``a`` with ``axis`` moved last, C-contiguous (a copy only when it is not already)."""
    return _np.ascontiguousarray(a if axis == a.ndim - 1 else _np.moveaxis(a, axis, -1))


def _from_rows(r, axis):
    """The inverse of :func:`_as_rows` (a contiguous array in the original axis order)."""
    return r if axis == r.ndim - 1 else _np.ascontiguousarray(_np.moveaxis(r, -1, axis))


def _lengths(length):
    """The lengths as the int64 vector the kernels take (one per row of :func:`_as_rows`)."""
    return _NO_LENGTHS if length is None else _np.ascontiguousarray(length, _np.int64).reshape(-1)


def softmax_compiled(x, axis, temperature=None, log=False, negate=False, length=None, out=None):
    """(log-)softmax/softmin of host float32/float64 ``x`` along ``axis`` by the compiled kernel;
    ``out`` (same shape and dtype, C-contiguous) receives it when given and ``axis`` is last."""
    rows = _as_rows(x, axis)
    if out is None or axis != x.ndim - 1 or not out.flags.c_contiguous:
        out = _np.empty(rows.shape, x.dtype)
    softmax_cpu.softmax_rows(rows.reshape(-1, rows.shape[-1]), out.reshape(-1, rows.shape[-1]),
                             -1.0 if negate else 1.0, 1.0 if temperature is None else temperature,
                             log, _lengths(length))
    return _from_rows(out, axis)


# Rows per block when a large softmax is computed block-wise: a block then fits in the CPU caches,
# so each element is read from main memory once instead of once per pass.
_BLOCK_BYTES = 1 << 20


def softmax_plain(xp, x, axis, out=None):
    """softmax(x) along ``axis`` with few passes and temporaries (the common case); computed into
    ``out`` when given (same shape and dtype as ``x``)."""
    if x.dtype == xp.float16:
        return softmax_plain(xp, x.astype(xp.float32), axis)
    if x.size == 0:  # a zero-length axis has no max; the result is as empty as the input
        return xp.empty(x.shape, dtype=x.dtype) if out is None else out
    if _compiled(xp, x):
        return softmax_compiled(x, axis, out=out)
    if x.nbytes <= _BLOCK_BYTES or xp is not _np or axis != x.ndim - 1:
        out = xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
        xp.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        return out
    rows = x.reshape(-1, x.shape[-1])
    out = _np.empty_like(rows)
    step = max(1, _BLOCK_BYTES // max(1, rows.shape[1] * rows.itemsize))
    for start in range(0, rows.shape[0], step):
        blk_in, blk = rows[start:start + step], out[start:start + step]
        _np.subtract(blk_in, blk_in.max(axis=1, keepdims=True), out=blk)
        _np.exp(blk, out=blk)
        blk /= blk.sum(axis=1, keepdims=True)
    return out.reshape(x.shape)


def _softmax_shape(p, in_shapes):
    data = in_shapes[0]
    if data is not None:
        axis = p["axis"]
        if not -len(data) <= axis < len(data):
            raise MXNetError(f"Error in operator softmax: axis {axis} out of range for data of "
                             f"shape {data}")
    if p["use_length"]:
        length = None if data is None else tuple(d for i, d in enumerate(data)
                                                 if i != p["axis"] % len(data))
        return [data, length or (1,)], [data]
    return [data], [data]


def _softmax_type(p, in_types):
    data = in_types[0]
    out = p["dtype"] if p["dtype"] is not None else data
    if p["use_length"]:
        length = in_types[1]
        if length is not None and length.kind not in "iu":
            raise MXNetError(f"This operation only support integer types for length, not "
                             f"{length.name}")
        return [data, length], [out]
    return [data], [out]


def _temp(p):
    return 1.0 if p["temperature"] is None else p["temperature"]


def _softmax_reads(p):
    """softmax's backward reads its output (and the lengths when given), not its input."""
    return BackwardReads(inputs=(1,) if p["use_length"] else (), input_shapes=(0,), outputs=(0,))


def _softmax_backward_compiled(p, axis, log, negate, y, g, length):
    """softmax's backward by the compiled row kernel (float32/float64 on the host)."""
    yr, gr = _as_rows(y, axis), _as_rows(g, axis)
    gx = _np.empty(yr.shape, y.dtype)
    width = yr.shape[-1]
    softmax_cpu.softmax_rows_backward(yr.reshape(-1, width), gr.reshape(-1, width),
                                      gx.reshape(-1, width), (-1.0 if negate else 1.0) / _temp(p),
                                      log, _lengths(length))
    return _from_rows(gx, axis)


def _make_softmax(name, log, negate):
    def forward(sc, p, ins):
        xp = sc.xp
        axis = p["axis"] % ins[0].ndim
        # (not ``in (None, dtype)``: a NumPy dtype compares equal to None when it is float64)
        if (_compiled(xp, ins[0]) and ins[0].size
                and (p["dtype"] is None or p["dtype"] == ins[0].dtype)):
            out = sc.out
            if out is not None and (out.shape != ins[0].shape or out.dtype != ins[0].dtype):
                out = None
            return [softmax_compiled(ins[0], axis, p["temperature"], log, negate,
                                     ins[1] if p["use_length"] else None, out)]
        x = -ins[0] if negate else ins[0]
        mask = _length_mask(xp, ins[1], x.shape, axis) if p["use_length"] else None
        out = softmax_ref(xp, x, axis, p["temperature"], log, mask)
        return [out.astype(p["dtype"] or ins[0].dtype, copy=False)]

    def backward(sc, p, ograds, ins, outs):
        xp = sc.xp
        axis = p["axis"] % ins[0].ndim
        if (_compiled(xp, outs[0], ograds[0]) and outs[0].dtype == ograds[0].dtype == ins[0].dtype
                and outs[0].size):
            gx = _softmax_backward_compiled(p, axis, log, negate, outs[0], ograds[0],
                                            ins[1] if p["use_length"] else None)
            return [gx, xp.zeros_like(ins[1])] if p["use_length"] else [gx]
        g, y = _acc(xp, ograds[0]), _acc(xp, outs[0])
        if log and p["use_length"]:
            # the sum runs over the valid positions only (softmax-inl.h SoftmaxWithLengthGrad)
            g = xp.where(_length_mask(xp, ins[1], y.shape, axis), g, 0)
        if log:
            gx = g - xp.exp(y) * g.sum(axis=axis, keepdims=True)
        else:
            gx = (g - (g * y).sum(axis=axis, keepdims=True)) * y
        t = p["temperature"]
        if t is not None and t != 1.0:
            gx = gx / t
        if negate:
            gx = -gx
        if p["use_length"]:
            gx = xp.where(_length_mask(xp, ins[1], y.shape, axis), gx, 0)
            return [gx.astype(ins[0].dtype, copy=False), xp.zeros_like(ins[1])]
        return [gx.astype(ins[0].dtype, copy=False)]

    def inputs(p):
        return ["data", "length"] if p["use_length"] else ["data"]

    def gpu_forward(sc, p, ins):
        if p["dtype"] is not None and p["dtype"] != ins[0].dtype:
            return forward(sc, p, ins)  # output dtype differs: the kernels keep the input's
        x = ins[0]
        length = ins[1] if p["use_length"] else None
        return [softmax_cuda.softmax_forward(x, p["axis"] % x.ndim, _temp(p), length, log, negate)]

    def gpu_backward(sc, p, ograds, ins, outs):
        if outs[0].dtype != ins[0].dtype or ograds[0].dtype != outs[0].dtype:
            return backward(sc, p, ograds, ins, outs)
        x = ins[0]
        length = ins[1] if p["use_length"] else None
        gx = softmax_cuda.softmax_backward(outs[0], ograds[0], p["axis"] % x.ndim, _temp(p),
                                           length, log, negate)
        return [gx, sc.xp.zeros_like(length)] if p["use_length"] else [gx]

    return OpDef(name=name, params=_SOFTMAX_PARAMS, inputs=inputs, forward=forward,
                 float_inputs=FLOAT_DATA,
                 backward=backward, infer_shape=_softmax_shape, infer_type=_softmax_type,
                 backward_reads=_softmax_reads,
                 gpu_forward=gpu_forward, gpu_backward=gpu_backward,
                 doc=f"{'Log-' if log else ''}{'softmin' if negate else 'softmax'} along `axis`: "
                     "exp(x/T) normalised over the axis; `length` masks positions.")


register(_make_softmax("softmax", log=False, negate=False))
register(_make_softmax("log_softmax", log=True, negate=False))
register(_make_softmax("softmin", log=False, negate=True))


# --------------------------------------------------------------------------------------------------
_SA_PARAMS = ParamSpec(Enum("mode", ("channel", "instance"), "instance",
                            "instance: softmax over the trailing axes per instance; "
                            "channel: softmax over axis 1."))


def _sa_axis_view(p, x):
    if p["mode"] == "channel":
        return x.reshape(x.shape[0], x.shape[1], -1), 1
    return x.reshape(-1, x.shape[-1]), 1


def _sa_forward(sc, p, ins):
    x2, axis = _sa_axis_view(p, ins[0])
    return [softmax_ref(sc.xp, x2, axis).astype(ins[0].dtype).reshape(ins[0].shape)]


def _sa_backward(sc, p, ograds, ins, outs):
    y, axis = _sa_axis_view(p, _acc(sc.xp, outs[0]))
    g = _acc(sc.xp, ograds[0]).reshape(y.shape)
    gx = (g - (g * y).sum(axis=axis, keepdims=True)) * y
    return [gx.astype(ins[0].dtype).reshape(ins[0].shape)]


register(OpDef(name="SoftmaxActivation", params=_SA_PARAMS, forward=_sa_forward,
               positional_input_names=True, float_inputs=FLOAT_DATA,
               backward=_sa_backward, infer_shape=same_shape,
               doc="Softmax activation (deprecated in MXNet; use softmax)."))


# --------------------------------------------------------------------------------------------------
# SoftmaxOutput: softmax forward; backward is the cross-entropy gradient, ignoring the head
# gradient.
_SO_PARAMS = ParamSpec(
    Float("grad_scale", 1.0, "Scales the gradient by a float factor."),
    Float("ignore_label", -1.0, "Label value ignored in backward when use_ignore is true."),
    Bool("multi_output", False, "Softmax over axis 1 with one label per spatial position."),
    Bool("use_ignore", False, "Whether to ignore the label ignore_label in backward."),
    Bool("preserve_shape", False, "Softmax over the last axis, keeping the data shape."),
    Enum("normalization", ("batch", "null", "valid"), "null", "Normalizes the gradient."),
    Bool("out_grad", False, "Multiplies the gradient with the output (MXNet's behaviour)."),
    Float("smooth_alpha", 0.0, "Label smoothing: target 1-alpha at the label, alpha/(K-1) "
                               "elsewhere."))


def _so_shape(p, in_shapes):
    data, label = in_shapes
    if data is None:
        return list(in_shapes), [None]
    if p["multi_output"]:
        n, spatial = data[0], 1
        for d in data[2:]:
            spatial *= d
        accepted = [(n, spatial), (n,) + tuple(data[2:]), (n, 1) + tuple(data[2:])]
        if label is None:
            label = accepted[0]
        elif tuple(label) not in accepted:
            raise MXNetError(f"Error in operator SoftmaxOutput: label shape {label} does not fit "
                             f"data shape {data} with multi_output (expected one of {accepted})")
    elif label is None or tuple(label) != tuple(data):
        expected = tuple(data[:-1])
        if label is not None and tuple(label) != expected:
            raise MXNetError(f"Error in operator SoftmaxOutput: Shape inconsistent, Provided = "
                             f"{list(label)}, inferred shape={expected} for label")
        label = expected
    return [data, label], [data]


def _so_type(p, in_types):
    dt = in_types[0] if in_types[0] is not None else in_types[1]
    return [dt, dt], [dt]


def _so_view(p, x):
    """``x`` reshaped so the class axis is axis 1 of a 2-D (rows, K) or 3-D (N, K, S) array."""
    if x.ndim == 2 and not p["multi_output"]:
        return x
    if p["multi_output"]:
        return x.reshape(x.shape[0], x.shape[1], -1)
    if p["preserve_shape"]:
        return x.reshape(-1, x.shape[-1])
    return x.reshape(x.shape[0], -1)


def _so_forward(sc, p, ins):
    x = ins[0]
    buf = sc.out
    if buf is not None and (x.ndim != 2 or p["multi_output"] or buf.dtype != x.dtype):
        buf = None
    out = softmax_plain(sc.xp, _so_view(p, x), 1, out=buf)
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    return [out if out.shape == x.shape else out.reshape(x.shape)]


def _plain_grad(xp, p, prob, label):
    """(p - onehot(label)) * grad_scale for the default parameters, in two array operations.

    Labels are truncated toward zero like MXNet's cast to int; one outside [0, K) matches no class,
    so it subtracts 1 nowhere (softmax_output-inl.h).
    """
    n, k = prob.shape
    lab = label if label.ndim == 1 and label.shape[0] == n else label.reshape(-1)[:n]
    grad = prob - (xp.arange(k) == lab.astype(xp.intp)[:, None])
    if p["grad_scale"] != 1.0:
        grad *= p["grad_scale"]
    return grad


def _label_int(xp, label):
    """static_cast<int> of stored labels as MXNet on x86 and the kernels do it: truncation toward
    zero, saturating to int32, NaN to INT_MIN (so it matches no class)."""
    lab = xp.asarray(label, dtype=xp.float64)
    lab = xp.where(lab != lab, -2.0**31, xp.clip(lab, -2.0**31, 2.0**31 - 1))
    return xp.trunc(lab).astype(xp.int64)


def softmax_output_grad(xp, p, prob, label):
    """Gradient of SoftmaxOutput for probabilities ``prob`` (viewed per _so_view) and ``label``."""
    if (not p["multi_output"] and not p["smooth_alpha"] and not p["use_ignore"]
            and p["normalization"] == "null"):
        return _plain_grad(xp, p, prob, label)
    k = prob.shape[1]
    if p["multi_output"]:
        lab = label.reshape(prob.shape[0], -1)
        cls = xp.arange(k).reshape(1, k, 1)
        lab_b = lab[:, None, :]
    else:
        # one label per row: the first rows of the flattened label buffer, even when the label has
        # more elements (>= 3-D data without multi_output; softmax_output-inl.h)
        lab = label.reshape(-1)[:prob.shape[0]]
        cls = xp.arange(k).reshape(1, k)
        lab_b = lab[:, None]
    lab_int = _label_int(xp, lab_b)
    hit = cls == lab_int
    # label smoothing applies to the 2-D case only; multi_output ignores smooth_alpha
    # (softmax_output-inl.h)
    alpha = 0.0 if p["multi_output"] else p["smooth_alpha"]
    if alpha:
        on_label, smooth = _smoothing(alpha, k)
        target = xp.where(hit, on_label, smooth)
        # a label outside [0, K) gets no 1-alpha anywhere but still the smoothing mass
        grad = prob - target.astype(prob.dtype)
    else:
        grad = prob - hit.astype(prob.dtype)
    # ignore_label and the 'valid' count compare static_cast<int> of both sides
    # (softmax_output-inl.h, mshadow SoftmaxGrad): label 1.6 is ignored with ignore_label 1
    ignore = int(_label_int(_np, _np.float32(p["ignore_label"])))
    ignored = lab_int == ignore
    if p["use_ignore"]:
        grad = xp.where(ignored, 0, grad)
    return grad * _so_scale(p, _label_int(xp, lab), ignore,
                            prob.shape[2] if p["multi_output"] else 1)


def _smoothing(alpha, k):
    """(target on the label, target elsewhere) of label smoothing over ``k`` classes, in float32
    as MXNet computes them: alpha / (K - 1) as mshadow's SmoothSoftmaxGrad (tensor_cpu-inl.h),
    inf with one class, so every position but the label's gets -inf, as in MXNet; 1 - alpha in
    float too (MXNet's param is a float), on NumPy 1.x as on 2.x."""
    with _np.errstate(divide="ignore"):
        return _np.float32(1.0 - alpha), _np.float32(alpha) / _np.float32(k - 1)


def _so_scale(p, lab_int, ignore, spatial):
    """grad_scale over the normalisation count (softmax_output-inl.h): the labels that are not
    ``ignore`` ('valid'), the batch ('batch') or 1, and over ``spatial`` positions for
    multi_output unless 'valid'."""
    norm = p["normalization"]
    if norm == "valid":
        count = max(1, int((lab_int != ignore).sum()))
    elif norm == "batch":
        count = lab_int.shape[0]
    else:
        count = 1
    scale = p["grad_scale"] / count
    if p["multi_output"] and norm != "valid":
        scale /= spatial
    return scale


def _so_grad_compiled(p, prob, label, out=None):
    """softmax_output_grad by the compiled kernels (host float32/float64 ``prob``, viewed per
    _so_view) into ``out`` (a new array when None); the same rules, in one pass over ``prob``."""
    prob = _np.ascontiguousarray(prob)
    out = _np.empty(prob.shape, prob.dtype) if out is None else out.reshape(prob.shape)
    ignore = int(_label_int(_np, _np.float32(p["ignore_label"])))
    if p["multi_output"]:
        lab = _label_int(_np, label.reshape(prob.shape[0], -1))
        softmax_cpu.softmax_output_grad_spatial(
            prob, lab, out, _so_scale(p, lab, ignore, prob.shape[2]), ignore, p["use_ignore"],
            p["out_grad"])
        return out
    lab = _label_int(_np, label.reshape(-1)[:prob.shape[0]])
    hit, miss = 1.0, 0.0
    if p["smooth_alpha"]:
        hit, miss = (float(v) for v in _smoothing(p["smooth_alpha"], prob.shape[1]))
    softmax_cpu.softmax_output_grad_rows(prob, lab, out, hit, miss, _so_scale(p, lab, ignore, 1),
                                         ignore, p["use_ignore"], p["out_grad"])
    return out


def _so_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, label = ins
    y = _acc(xp, outs[0])
    if label.shape != x.shape and _compiled(xp, y) and y.size:
        buf = grad_buffer(sc, 0, x.shape, y.dtype)
        grad = _so_grad_compiled(p, _so_view(p, y), label, buf)
        return [buf if buf is not None else grad.reshape(x.shape), None]
    if label.shape == x.shape:
        grad = (y - label) * p["grad_scale"]
    else:
        grad = softmax_output_grad(xp, p, _so_view(p, y), label)
        if grad.shape != x.shape:
            grad = grad.reshape(x.shape)
    if p["out_grad"]:
        # MXNet multiplies by the output here, not by the head gradient (softmax_output-inl.h).
        grad = grad * y
    return [grad.astype(x.dtype, copy=False), None]


def _so_gpu_forward(sc, p, ins):
    x = ins[0]
    return [softmax_cuda.softmax_output_forward(_so_view(p, x)).reshape(x.shape)]


def _so_gpu_backward(sc, p, ograds, ins, outs):
    """The fused kernel: (p - onehot(label)) * scale with every parameter in one pass."""
    x, label = ins
    if label.shape == x.shape:
        return _so_backward(sc, p, ograds, ins, outs)
    prob = _so_view(p, outs[0])
    n_labels = prob.shape[0] if not p["multi_output"] else prob.size // prob.shape[1]
    lab = label.reshape(-1)[:n_labels]
    grad = softmax_cuda.softmax_output_backward(
        prob, lab, grad_scale=p["grad_scale"], ignore_label=p["ignore_label"],
        use_ignore=p["use_ignore"], normalization=p["normalization"],
        multi_output=p["multi_output"], smooth_alpha=p["smooth_alpha"], out_grad=p["out_grad"])
    return [grad.reshape(x.shape), None]


register(OpDef(
    name="SoftmaxOutput", aliases=("Softmax",), params=_SO_PARAMS, inputs=("data", "label"),
    float_inputs=FLOAT_DATA,
    forward=_so_forward, backward=_so_backward, infer_shape=_so_shape, infer_type=_so_type,
    needs_head_grad=False, gpu_forward=_so_gpu_forward, gpu_backward=_so_gpu_backward,
    backward_reads=BackwardReads(inputs=(1,), input_shapes=(0,), outputs=(0,)),
    doc="Softmax forward with the cross-entropy gradient (softmax - onehot(label)) * grad_scale "
        "in backward; the head gradient is ignored."))
