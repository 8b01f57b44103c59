"""Multi-head attention helpers on interleaved projections (src/operator/contrib/transformer.cc):
``_contrib_interleaved_matmul_selfatt_qk``, ``_contrib_interleaved_matmul_selfatt_valatt``,
``_contrib_interleaved_matmul_encdec_qk`` and ``_contrib_interleaved_matmul_encdec_valatt``.

Sequences are time-major. A self-attention projection (seq, batch, 3 * heads * head_dim) holds,
for each (batch, head), the query, key and value of that head side by side: it is viewed as
(seq, batch * heads, 3, head_dim), attention batch b * heads + h. An encoder-decoder key/value
projection is (seq, batch * heads, 2, head_dim) the same way; queries are (seq, batch * heads,
head_dim).

- ``*_qk``: scores (batch * heads, q_seq, k_seq) = (q / sqrt(head_dim)) @ k^T per attention batch.
- ``*_valatt``: attention (batch * heads, q_seq, k_seq) @ v, back in (q_seq, batch, heads *
  head_dim).

Gradients are the matmul adjoints, landing in the interleaved slots of their projection (zeros in
the slots an op does not read). MXNet runs these in float32 only; mxlite takes every float dtype
(float16 multiplies in float32).
"""
import numpy as np

from ..base import MXNetError
from ._util import acc_dtype, fmt_shape, uniform_type
from .params import REQUIRED, Int, ParamSpec
from .registry import BackwardReads, OpDef, register

_PARAMS = ParamSpec(Int("heads", REQUIRED, "Set number of heads"))


def _heads_view(x, heads, parts):
    """(seq, batch, heads * parts * d) as (batch * heads, parts, seq, d) (a copy when needed)."""
    seq, batch, width = x.shape
    d = width // (heads * parts)
    return x.reshape(seq, batch * heads, parts, d).transpose(1, 2, 0, 3)


def _pack(xp, slots, seq, batch, heads, parts):
    """Inverse of ``_heads_view``: (batch * heads, parts, seq, d) to (seq, batch, width)."""
    d = slots.shape[-1]
    return xp.ascontiguousarray(slots.transpose(2, 0, 1, 3)).reshape(seq, batch, heads * parts * d)


def _check3(op, name, shape):
    if len(shape) != 3:
        raise MXNetError(f"Error in operator {op}: {name} should be 3-D (seq_length, batch, "
                         f"projection), got {name} shape {fmt_shape(shape)}")


def _check_split(op, name, shape, heads, parts):
    if heads < 1 or shape[2] % (heads * parts):
        raise MXNetError(f"Error in operator {op}: the last axis of {name} {fmt_shape(shape)} "
                         f"must split into heads={heads} x {parts} equal parts")


def _mm(xp, a, b, ct):
    return xp.matmul(a.astype(ct, copy=False), b.astype(ct, copy=False))


def _scale(d, ct):
    # transformer.cc: 1 / sqrt(float(head_dim)) in float
    return ct.type(np.float32(1.0) / np.sqrt(np.float32(d)))


# ----- self-attention -----------------------------------------------------------------------------
_SQK = "_contrib_interleaved_matmul_selfatt_qk"
_SVA = "_contrib_interleaved_matmul_selfatt_valatt"


def _sqk_shape(p, in_shapes):
    qkv = in_shapes[0]
    if qkv is None:
        return [None], [None]
    _check3(_SQK, "queries_keys_values", qkv)
    _check_split(_SQK, "queries_keys_values", qkv, p["heads"], 3)
    return [tuple(qkv)], [(qkv[1] * p["heads"], qkv[0], qkv[0])]


def _sqk_forward(sc, p, ins):
    xp = sc.xp
    qkv = ins[0]
    ct = acc_dtype(qkv.dtype)
    v = _heads_view(qkv, p["heads"], 3)
    out = _mm(xp, v[:, 0] * _scale(v.shape[-1], ct), v[:, 1].transpose(0, 2, 1), ct)
    return [out.astype(qkv.dtype, copy=False)]


def _sqk_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    qkv = ins[0]
    seq, batch, _ = qkv.shape
    ct = acc_dtype(qkv.dtype)
    v = _heads_view(qkv, p["heads"], 3)
    s = _scale(v.shape[-1], ct)
    g = ograds[0]
    slots = xp.zeros(v.shape, ct)
    slots[:, 0] = _mm(xp, g, v[:, 1], ct) * s
    slots[:, 1] = _mm(xp, g.transpose(0, 2, 1), v[:, 0], ct) * s
    return [_pack(xp, slots, seq, batch, p["heads"], 3).astype(qkv.dtype, copy=False)]


register(OpDef(
    name=_SQK, inputs=("queries_keys_values",), params=_PARAMS, forward=_sqk_forward,
    backward=_sqk_backward, infer_shape=_sqk_shape,
    infer_type=uniform_type(_SQK, ("queries_keys_values",), 1),
    backward_reads=BackwardReads(inputs=(0,)),
    doc="Self-attention scores (batch*heads, seq, seq) = q k^T / sqrt(head_dim) from an "
        "interleaved query/key/value projection (seq, batch, 3*heads*head_dim)."))


def _sva_shape(p, in_shapes):
    qkv, att = in_shapes
    if qkv is None:
        return list(in_shapes), [None]
    _check3(_SVA, "queries_keys_values", qkv)
    _check_split(_SVA, "queries_keys_values", qkv, p["heads"], 3)
    want = (qkv[1] * p["heads"], qkv[0], qkv[0])
    if att is not None and tuple(att) != want:
        raise MXNetError(f"Error in operator {_SVA}: attention shape {fmt_shape(att)} should be "
                         f"{fmt_shape(want)} for queries_keys_values {fmt_shape(qkv)}")
    return [tuple(qkv), want], [(qkv[0], qkv[1], qkv[2] // 3)]


def _valatt(xp, values, att, seq, batch, ct, dtype):
    out = _mm(xp, att, values, ct)                                   # (B*H, q_seq, d)
    return xp.ascontiguousarray(out.transpose(1, 0, 2)).reshape(seq, batch, -1).astype(
        dtype, copy=False)


def _sva_forward(sc, p, ins):
    qkv, att = ins
    v = _heads_view(qkv, p["heads"], 3)
    return [_valatt(sc.xp, v[:, 2], att, qkv.shape[0], qkv.shape[1], acc_dtype(qkv.dtype),
                    qkv.dtype)]


def _valatt_grads(xp, g, values, att, heads, ct):
    """(d values (B*H, k_seq, d), d attention) for the head gradient (q_seq, batch, heads*d)."""
    q_seq, batch, _ = g.shape
    gh = g.reshape(q_seq, batch * heads, -1).transpose(1, 0, 2)       # (B*H, q_seq, d)
    return _mm(xp, att.transpose(0, 2, 1), gh, ct), _mm(xp, gh, values.transpose(0, 2, 1), ct)


def _sva_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    qkv, att = ins
    seq, batch, _ = qkv.shape
    ct = acc_dtype(qkv.dtype)
    v = _heads_view(qkv, p["heads"], 3)
    gv, gatt = _valatt_grads(xp, ograds[0], v[:, 2], att, p["heads"], ct)
    slots = xp.zeros(v.shape, ct)
    slots[:, 2] = gv
    return [_pack(xp, slots, seq, batch, p["heads"], 3).astype(qkv.dtype, copy=False),
            gatt.astype(att.dtype, copy=False)]


register(OpDef(
    name=_SVA, inputs=("queries_keys_values", "attention"), params=_PARAMS,
    forward=_sva_forward, backward=_sva_backward, infer_shape=_sva_shape,
    infer_type=uniform_type(_SVA, ("queries_keys_values", "attention"), 1),
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="Self-attention output (seq, batch, heads*head_dim) = attention @ v, v taken from an "
        "interleaved query/key/value projection."))


# ----- encoder-decoder attention ------------------------------------------------------------------
_EQK = "_contrib_interleaved_matmul_encdec_qk"
_EVA = "_contrib_interleaved_matmul_encdec_valatt"


def _eqk_shape(p, in_shapes):
    q, kv = in_shapes
    if q is None or kv is None:
        return list(in_shapes), [None]
    _check3(_EQK, "queries", q)
    _check3(_EQK, "keys_values", kv)
    _check_split(_EQK, "queries", q, p["heads"], 1)
    if kv[2] != 2 * q[2] or kv[1] != q[1]:
        raise MXNetError(f"Error in operator {_EQK}: keys_values shape {fmt_shape(kv)} should be "
                         f"(seq_length, {q[1]}, {2 * q[2]}) for queries {fmt_shape(q)}")
    return [tuple(q), tuple(kv)], [(q[1] * p["heads"], q[0], kv[0])]


def _eqk_forward(sc, p, ins):
    xp = sc.xp
    q, kv = ins
    ct = acc_dtype(q.dtype)
    qh = _heads_view(q, p["heads"], 1)[:, 0]
    k = _heads_view(kv, p["heads"], 2)[:, 0]
    out = _mm(xp, qh * _scale(qh.shape[-1], ct), k.transpose(0, 2, 1), ct)
    return [out.astype(q.dtype, copy=False)]


def _eqk_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    q, kv = ins
    ct = acc_dtype(q.dtype)
    heads = p["heads"]
    qh = _heads_view(q, heads, 1)[:, 0]
    kvh = _heads_view(kv, heads, 2)
    s = _scale(qh.shape[-1], ct)
    g = ograds[0]
    gq = (_mm(xp, g, kvh[:, 0], ct) * s)[:, None]
    slots = xp.zeros(kvh.shape, ct)
    slots[:, 0] = _mm(xp, g.transpose(0, 2, 1), qh, ct) * s
    return [_pack(xp, gq, q.shape[0], q.shape[1], heads, 1).astype(q.dtype, copy=False),
            _pack(xp, slots, kv.shape[0], kv.shape[1], heads, 2).astype(kv.dtype, copy=False)]


register(OpDef(
    name=_EQK, inputs=("queries", "keys_values"), params=_PARAMS, forward=_eqk_forward,
    backward=_eqk_backward, infer_shape=_eqk_shape,
    infer_type=uniform_type(_EQK, ("queries", "keys_values"), 1),
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="Encoder-decoder attention scores (batch*heads, q_seq, k_seq) = q k^T / sqrt(head_dim), "
        "k taken from an interleaved key/value projection."))


def _eva_shape(p, in_shapes):
    kv, att = in_shapes
    if kv is None or att is None:
        return list(in_shapes), [None]
    _check3(_EVA, "keys_values", kv)
    _check_split(_EVA, "keys_values", kv, p["heads"], 2)
    if len(att) != 3 or att[0] != kv[1] * p["heads"] or att[2] != kv[0]:
        raise MXNetError(f"Error in operator {_EVA}: attention shape {fmt_shape(att)} should be "
                         f"({kv[1] * p['heads']}, q_seq, {kv[0]}) for keys_values {fmt_shape(kv)}")
    return [tuple(kv), tuple(att)], [(att[1], kv[1], kv[2] // 2)]


def _eva_forward(sc, p, ins):
    kv, att = ins
    v = _heads_view(kv, p["heads"], 2)[:, 1]
    return [_valatt(sc.xp, v, att, att.shape[1], kv.shape[1], acc_dtype(kv.dtype), kv.dtype)]


def _eva_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    kv, att = ins
    ct = acc_dtype(kv.dtype)
    kvh = _heads_view(kv, p["heads"], 2)
    gv, gatt = _valatt_grads(xp, ograds[0], kvh[:, 1], att, p["heads"], ct)
    slots = xp.zeros(kvh.shape, ct)
    slots[:, 1] = gv
    return [_pack(xp, slots, kv.shape[0], kv.shape[1], p["heads"], 2).astype(kv.dtype,
                                                                              copy=False),
            gatt.astype(att.dtype, copy=False)]


register(OpDef(
    name=_EVA, inputs=("keys_values", "attention"), params=_PARAMS, forward=_eva_forward,
    backward=_eva_backward, infer_shape=_eva_shape,
    infer_type=uniform_type(_EVA, ("keys_values", "attention"), 1),
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="Encoder-decoder attention output (q_seq, batch, heads*head_dim) = attention @ v, v "
        "taken from an interleaved key/value projection."))
