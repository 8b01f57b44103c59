"""Correlation (FlowNet's correlation layer, src/operator/correlation*).

Both inputs (N, C, H, W) are zero-padded by ``pad_size``. For every output position (i, j) the
k x k patch of data1 whose top-left corner is (i*stride1 + max_displacement, j*stride1 +
max_displacement) in padded coordinates is compared with the patch of data2 displaced by (dy, dx),
both multiples of stride2 within max_displacement: the sum over the patch and the channels of
their products (``is_multiply``) or of their absolute differences, divided by k*k*C. Output
channel (dy/stride2 + r) * (2r + 1) + (dx/stride2 + r), r = max_displacement // stride2; output
size ceil((padded size - 2*(max_displacement + (k-1)/2)) / stride1).

The gradient reaches both inputs (the padding's share is dropped); for absolute differences a tie
counts as data1 > data2, as in MXNet. The hidden outputs tmp1 and tmp2 are MXNet's padded
channel-last copies of the inputs (declared so that symbol JSON matches MXNet's); backward
recomputes the padding.
"""
import math

from ..base import MXNetError
from ._util import acc_dtype, fmt_shape, uniform_type
from .params import Bool, Int, ParamSpec
from .registry import BackwardReads, OpDef, register

_OP = "Correlation"


def _geometry(p, shape):
    """(top_h, top_w, displacements [(dy, dx)], span_h, span_w) for data of ``shape``."""
    k, md, s1, s2, pad = (p["kernel_size"], p["max_displacement"], p["stride1"], p["stride2"],
                          p["pad_size"])
    if k < 1 or k % 2 == 0:
        raise MXNetError(f"Error in operator {_OP}: kernel size should be odd number, got "
                         f"kernel_size={k}")
    if s1 < 1 or s2 < 1 or md < 0 or pad < 0:
        raise MXNetError(f"Error in operator {_OP}: stride1={s1}, stride2={s2} must be >= 1 and "
                         f"max_displacement={md}, pad_size={pad} >= 0")
    border = md + (k - 1) // 2
    top = [math.ceil((n + 2 * pad - 2 * border) / s1) for n in shape[2:]]
    if min(top) < 1:
        raise MXNetError(f"Error in operator {_OP}: Correlation cannot be done with current "
                         f"settings. Neighborhood and kernel don't fit in blob: data shape "
                         f"{fmt_shape(shape)}, kernel_size={k}, max_displacement={md}, "
                         f"pad_size={pad}")
    r = md // s2
    shifts = [(dy * s2, dx * s2) for dy in range(-r, r + 1) for dx in range(-r, r + 1)]
    return top[0], top[1], shifts, (top[0] - 1) * s1 + k, (top[1] - 1) * s1 + k


def _shape(p, in_shapes):
    d1, d2 = in_shapes
    known = d1 if d1 is not None else d2
    if known is None:
        return list(in_shapes), [None] * 3
    for name, s in (("data1", d1), ("data2", d2)):
        if s is not None and len(s) != 4:
            raise MXNetError(f"Error in operator {_OP}: {name} should be a 4D tensor, got {name} "
                             f"shape {fmt_shape(s)}")
    if d1 is not None and d2 is not None and tuple(d1) != tuple(d2):
        raise MXNetError(f"Error in operator {_OP}: data1 {fmt_shape(d1)} and data2 "
                         f"{fmt_shape(d2)} must have the same shape")
    top_h, top_w, shifts, _, _ = _geometry(p, known)
    pad = p["pad_size"]
    padded = (known[0], known[2] + 2 * pad, known[3] + 2 * pad, known[1])
    return [tuple(known)] * 2, [(known[0], len(shifts), top_h, top_w), padded, padded]


def _padded(xp, x, pad, ct):
    x = x.astype(ct, copy=False)
    return xp.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x


def _patches(p, a, b, dy, dx, span_h, span_w):
    md = p["max_displacement"]
    return (a[:, :, md:md + span_h, md:md + span_w],
            b[:, :, md + dy:md + dy + span_h, md + dx:md + dx + span_w])


def _forward(sc, p, ins):
    xp = sc.xp
    d1, d2 = ins
    ct = acc_dtype(d1.dtype)
    top_h, top_w, shifts, span_h, span_w = _geometry(p, d1.shape)
    k, s1 = p["kernel_size"], p["stride1"]
    a, b = _padded(xp, d1, p["pad_size"], ct), _padded(xp, d2, p["pad_size"], ct)
    out = xp.zeros((d1.shape[0], len(shifts), top_h, top_w), ct)
    for c, (dy, dx) in enumerate(shifts):
        pa, pb = _patches(p, a, b, dy, dx, span_h, span_w)
        prod = (pa * pb).sum(axis=1) if p["is_multiply"] else xp.abs(pa - pb).sum(axis=1)
        for h in range(k):
            for w in range(k):
                out[:, c] += prod[:, h:h + (top_h - 1) * s1 + 1:s1, w:w + (top_w - 1) * s1 + 1:s1]
    out /= ct.type(k * k * d1.shape[1])
    # the hidden outputs "tmp1"/"tmp2": MXNet's padded channel-last copies of the inputs
    return [out.astype(d1.dtype, copy=False),
            xp.ascontiguousarray(a.transpose(0, 2, 3, 1)).astype(d1.dtype, copy=False),
            xp.ascontiguousarray(b.transpose(0, 2, 3, 1)).astype(d2.dtype, copy=False)]


def _backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    d1, d2 = ins
    n, ch, h_in, w_in = d1.shape
    ct = acc_dtype(d1.dtype)
    top_h, top_w, shifts, span_h, span_w = _geometry(p, d1.shape)
    k, s1, md, pad = p["kernel_size"], p["stride1"], p["max_displacement"], p["pad_size"]
    a, b = _padded(xp, d1, pad, ct), _padded(xp, d2, pad, ct)
    ga, gb = xp.zeros(a.shape, ct), xp.zeros(b.shape, ct)
    g = ograds[0].astype(ct) / ct.type(k * k * ch)
    for c, (dy, dx) in enumerate(shifts):
        spread = xp.zeros((n, span_h, span_w), ct)          # d loss / d prod
        for h in range(k):
            for w in range(k):
                spread[:, h:h + (top_h - 1) * s1 + 1:s1, w:w + (top_w - 1) * s1 + 1:s1] += g[:, c]
        pa, pb = _patches(p, a, b, dy, dx, span_h, span_w)
        spread = spread[:, None]
        if p["is_multiply"]:
            da, db = spread * pb, spread * pa
        else:
            sign = xp.where(pa >= pb, ct.type(1), ct.type(-1))
            da, db = spread * sign, -spread * sign
        ga[:, :, md:md + span_h, md:md + span_w] += da
        gb[:, :, md + dy:md + dy + span_h, md + dx:md + dx + span_w] += db
    crop = (slice(None), slice(None), slice(pad, pad + h_in), slice(pad, pad + w_in))
    return [xp.ascontiguousarray(ga[crop]).astype(d1.dtype, copy=False),
            xp.ascontiguousarray(gb[crop]).astype(d2.dtype, copy=False)]


register(OpDef(
    name=_OP, inputs=("data1", "data2"),
    params=ParamSpec(
        Int("kernel_size", 1, "kernel size for Correlation must be an odd number"),
        Int("max_displacement", 1, "Max displacement of Correlation "),
        Int("stride1", 1, "stride1 quantize data1 globally"),
        Int("stride2", 1, "stride2 quantize data2 within the neighborhood centered around "
                          "data1"),
        Int("pad_size", 0, "pad for Correlation"),
        Bool("is_multiply", True, "operation type is either multiplication or subduction")),
    forward=_forward, backward=_backward, infer_shape=_shape,
    infer_type=uniform_type(_OP, ("data1", "data2"), 3),
    num_hidden_outputs=2, output_names=lambda p: ["output"],
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="FlowNet correlation of two feature maps: patch products (or absolute differences) of "
        "data1 with data2 at every displacement within max_displacement."))
