"""NumPy float64 references for the attention family: the four
_contrib_interleaved_matmul_* ops.

Written from MXNet 1.9.x's documentation of the ops (contrib/transformer.cc): the projection's last
axis lists, per head, the query, key and value vectors one after the other (keys and values only
for the encoder-decoder projection); attention batch b*heads + h. Loops over batch and head.
"""
import numpy as np


def _part(proj, b, h, heads, parts, which):
    """(seq, d) vectors of part ``which`` of head ``h`` in batch ``b``."""
    d = proj.shape[2] // (heads * parts)
    start = (h * parts + which) * d
    return proj[:, b, start:start + d]


def selfatt_qk(qkv, heads):
    seq, batch, width = qkv.shape
    d = width // (3 * heads)
    out = np.zeros((batch * heads, seq, seq))
    for b in range(batch):
        for h in range(heads):
            q, k = _part(qkv, b, h, heads, 3, 0), _part(qkv, b, h, heads, 3, 1)
            out[b * heads + h] = q @ k.T / np.sqrt(d)
    return out


def selfatt_valatt(qkv, attention, heads):
    seq, batch, width = qkv.shape
    d = width // (3 * heads)
    out = np.zeros((attention.shape[1], batch, heads * d))
    for b in range(batch):
        for h in range(heads):
            out[:, b, h * d:(h + 1) * d] = attention[b * heads + h] @ _part(qkv, b, h, heads, 3, 2)
    return out


def encdec_qk(queries, keys_values, heads):
    q_seq, batch, width = queries.shape
    d = width // heads
    out = np.zeros((batch * heads, q_seq, keys_values.shape[0]))
    for b in range(batch):
        for h in range(heads):
            q = queries[:, b, h * d:(h + 1) * d]
            out[b * heads + h] = q @ _part(keys_values, b, h, heads, 2, 0).T / np.sqrt(d)
    return out


def encdec_valatt(keys_values, attention, heads):
    k_seq, batch, width = keys_values.shape
    d = width // (2 * heads)
    out = np.zeros((attention.shape[1], batch, heads * d))
    for b in range(batch):
        for h in range(heads):
            out[:, b, h * d:(h + 1) * d] = attention[b * heads + h] @ _part(keys_values, b, h,
                                                                            heads, 2, 1)
    return out
