"""Gradient compression: MXNet 1.9's 2-bit quantization with error feedback.

Each sender keeps a residual per key. Sending gradient ``g``: ``r += g``; where ``r >= t`` it sends
``+t`` and ``r -= t``, where ``r <= -t`` it sends ``-t`` and ``r += t``, elsewhere 0 (the residual
keeps what was not sent). Codes are 2 bits a value, 16 values a float32 word, the first value in
the top bits of the first byte (src/kvstore/gradient_compression-inl.h: quantize_2bit,
dequantize_2bit). Only '2bit' exists in MXNet 1.9.1 ('1bit' came later).
"""
import numpy as np

from ..base import MXNetError

__all__ = ["GradientCompression"]

_SHIFTS = np.array([6, 4, 2, 0], np.uint8)   # value i sits at bits (6 - 2*(i % 4)) of byte i // 4


class GradientCompression:
    """2-bit compression state (parameters and one residual per (key, sender)).

    Parameters
    ----------
    params : dict
        ``{'type': '2bit', 'threshold': float}`` (threshold default 0.5, as MXNet).
    """

    def __init__(self, params):
        params = dict(params)
        kind = params.pop("type", None)
        if kind != "2bit":
            raise MXNetError(f"Unknown type for gradient compression {kind}")
        self.type = kind
        self.threshold = float(params.pop("threshold", 0.5))
        if self.threshold <= 0:
            raise MXNetError(f"gradient compression threshold must be > 0, got {self.threshold}")
        if params:
            raise MXNetError(f"gradient compression: unknown parameters {sorted(params)}")
        self._residual = {}

    @staticmethod
    def compressed_size(n):
        """float32 words holding ``n`` 2-bit codes."""
        return (n + 15) // 16

    def quantize(self, key, grad):
        """Packed codes (uint8, 4 values a byte, padded to whole float32 words) of ``grad``
        (a NumPy array), updating the residual kept under ``key``."""
        g = np.asarray(grad, np.float32).ravel()
        r = self._residual.get(key)
        if r is None or r.size != g.size:
            r = self._residual[key] = np.zeros(g.size, np.float32)
        r += g
        t = np.float32(self.threshold)
        pos = r >= t
        neg = r <= -t
        r[pos] -= t
        r[neg] += t
        codes = np.zeros(self.compressed_size(g.size) * 16, np.uint8)
        codes[:g.size][pos] = 3      # 0b11
        codes[:g.size][neg] = 2      # 0b10
        return np.bitwise_or.reduce((codes.reshape(-1, 4) << _SHIFTS), axis=1).astype(np.uint8)

    def dequantize(self, packed, n):
        """The ``n`` float32 values (+t, -t or 0) that ``packed`` codes."""
        codes = (np.asarray(packed, np.uint8)[:, None] >> _SHIFTS) & 3
        codes = codes.ravel()[:n]
        t = np.float32(self.threshold)
        out = np.zeros(n, np.float32)
        out[codes == 3] = t
        out[codes == 2] = -t
        return out

    def compress_roundtrip(self, key, grad):
        """What the receiver sees of ``grad`` (quantize then dequantize), same shape."""
        g = np.asarray(grad)
        return self.dequantize(self.quantize(key, g), g.size).reshape(g.shape)

    def roundtrip_ndarray(self, key, value):
        """``compress_roundtrip`` of an NDArray, as an NDArray on the same context."""
        from ..context import cpu
        from ..ndarray import NDArray
        data = value._data if isinstance(value._data, np.ndarray) else value._data.get()
        out = NDArray(self.compress_roundtrip(key, data).astype(value.dtype), cpu())
        return out if value.context == cpu() else out.as_in_context(value.context)
