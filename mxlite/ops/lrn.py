"""LRN: local response normalisation across channels,
``y = x / (knorm + alpha/nsize * sum of x^2 over a window of nsize channels) ^ beta``; float16
accumulates in float32.
"""
import numpy as np

from ..base import MXNetError
from ._util import acc_dtype
from .params import Float, Int, ParamSpec
from .registry import OpDef, register, same_type

# --------------------------------------------------------------------------------------------------
# LRN: y = x / (knorm + alpha/nsize * sum of x^2 over a window of nsize channels) ^ beta
_LRN_PARAMS = ParamSpec(
    Float("alpha", 1e-4, "The variance scaling parameter alpha in the LRN expression."),
    Float("beta", 0.75, "The power parameter beta in the LRN expression."),
    Float("knorm", 2.0, "The parameter k in the LRN expression."),
    Int("nsize", doc="normalization window width in elements."))


def _lrn_shape(p, in_shapes):
    data = in_shapes[0]
    if p["nsize"] % 2 != 1 or p["nsize"] < 1:
        raise MXNetError(f"Error in operator LRN: LRN only supports odd values for local_size, "
                         f"got nsize={p['nsize']}")
    if data is not None and len(data) != 4:
        # lrn-inl.h views the data as a 4-D (N, C, H, W) tensor
        raise MXNetError(f"Error in operator LRN: data must be 4-D (N, C, H, W), got shape "
                         f"{tuple(data)}")
    return [data], [data, data]


def _channel_window_sum(xp, v, nsize):
    """Sum of ``v`` over a centred, zero-padded window of ``nsize`` channels (axis 1)."""
    half = nsize // 2
    c = v.shape[1]
    padded = xp.zeros((v.shape[0], c + 2 * half) + v.shape[2:], v.dtype)
    padded[:, half:half + c] = v
    out = padded[:, 0:c].copy()
    for d in range(1, nsize):
        out += padded[:, d:d + c]
    return out


def _lrn_norm(xp, p, xa):
    # MXNet keeps alpha, beta and knorm as float32
    salpha = float(np.float32(p["alpha"])) / p["nsize"]
    return _channel_window_sum(xp, xa * xa, p["nsize"]) * salpha + float(np.float32(p["knorm"]))


def _lrn_forward(sc, p, ins):
    x = ins[0]
    xa = x.astype(acc_dtype(x.dtype), copy=False)
    norm = _lrn_norm(sc.xp, p, xa)
    y = xa * norm ** -float(np.float32(p["beta"]))
    return [y.astype(x.dtype, copy=False), norm.astype(x.dtype, copy=False)]


def _lrn_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x = ins[0]
    acc = acc_dtype(x.dtype)
    xa = x.astype(acc, copy=False)
    g = ograds[0].astype(acc, copy=False)
    # recomputed in the accumulation type rather than read from the (float16) hidden output
    norm = _lrn_norm(xp, p, xa)
    beta = float(np.float32(p["beta"]))
    salpha = float(np.float32(p["alpha"])) / p["nsize"]
    dx = g * norm ** -beta
    dx -= 2.0 * beta * salpha * xa * _channel_window_sum(xp, g * xa * norm ** (-beta - 1.0),
                                                         p["nsize"])
    return [dx.astype(x.dtype, copy=False)]


register(OpDef(
    name="LRN", params=_LRN_PARAMS, forward=_lrn_forward, backward=_lrn_backward,
    infer_shape=_lrn_shape, infer_type=lambda p, t: same_type(p, t, 2), num_hidden_outputs=1,
    doc="Local response normalization across channels: out = x / (knorm + alpha/nsize * "
        "sum_{window of nsize channels} x^2) ^ beta."))
