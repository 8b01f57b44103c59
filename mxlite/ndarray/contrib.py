"""``mx.nd.contrib``: ``allclose``, ``isinf``/``isnan``/``isfinite``, and every ``_contrib_*``
operator under its short name (``BilinearResize2D``, ``ROIAlign``, ``box_nms``, ``MultiBox*``,
``Proposal``, ``ctc_loss``, ``boolean_mask``, ``index_copy``, ``interleaved_matmul_*``, ...)."""
import numpy as np

from ..base import MXNetError
from ..context import device_scope
from ..ops.signature import install_prefixed
from .ndarray import NDArray, from_data
from .register import make_function

__all__ = ["allclose"]


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=True, out=None, name=None):
    """Whether every element of ``a`` is close to ``b``: ``|a - b| <= atol + rtol*|b|``.

    MXNet's ``_contrib_allclose`` (src/operator/contrib/allclose_op-inl.h): equal elements (equal
    infinities included) are close; where either side is NaN the pair is close only when both are
    and ``equal_nan`` is set. ``rtol``/``atol`` are float32 parameters, as there.

    Deliberate difference: MXNet's kernel uses ``atol + rtol*|b|`` even when ``b`` is infinite, so
    it calls ``inf`` and ``-inf`` (or ``1`` and ``inf``) close, and ``assert_almost_equal`` on
    NDArrays passed such pairs; here an infinity is close only to the same infinity, as in
    ``np.isclose``.

    Parameters
    ----------
    a, b : NDArray
        Same shape, dtype and context.
    rtol, atol : float
    equal_nan : bool
    out : NDArray, optional
        Receives the result.
    name : str, optional
        Ignored (MXNet's op-function signature).

    Returns
    -------
    NDArray
        0-d uint8 array on ``a``'s context: 1 if all close, else 0.
    """
    if not isinstance(a, NDArray) or not isinstance(b, NDArray):
        raise TypeError("allclose: a and b must be NDArrays")
    if a.shape != b.shape:
        raise MXNetError(f"Operator _contrib_allclose: inputs must have the same shape, "
                         f"got a {a.shape} and b {b.shape}")
    if a.context != b.context:
        raise MXNetError(f"Operator _contrib_allclose: a is on {a.context} but b is on "
                         f"{b.context}")
    xp = a._xp
    with device_scope(a.context):
        x, y = a._data, b._data
        if y.dtype != x.dtype:
            y = y.astype(x.dtype)
        # the kernel computes in DType with float32 tolerances: half promotes to float
        ct = np.result_type(x.dtype, np.float32)
        x, y = x.astype(ct, copy=False), y.astype(ct, copy=False)
        rt, at = np.float32(rtol).astype(ct), np.float32(atol).astype(ct)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: decided by x == y
            finite = xp.isfinite(x) & xp.isfinite(y)
            close = (x == y) | (finite & (xp.abs(x - y) <= at + rt * xp.abs(y)))
        nan_x, nan_y = xp.isnan(x), xp.isnan(y)
        close = xp.where(nan_x | nan_y, bool(equal_nan) & nan_x & nan_y, close)
        result = xp.asarray(bool(close.all()), dtype=np.uint8)
    res = from_data(result, a.context)
    if out is not None:
        out[:] = res
        return out
    return res


# ----- the _contrib_* operators under their short names, and MXNet's isinf/isnan/isfinite --------
__all__ += install_prefixed(globals(), "_contrib_", make_function, __name__)
__all__ += ["isinf", "isnan", "isfinite"]


# python/mxnet/ndarray/contrib.py: plain compositions of element-wise ops, results in data's dtype
def isinf(data):
    """1 where ``data`` is +inf or -inf, else 0 (``data.abs() == inf``)."""
    return data.abs() == np.inf


def isfinite(data):
    """1 where ``data`` is neither infinite nor NaN, else 0."""
    return (data.abs() != np.inf) * (data == data)


def isnan(data):
    """1 where ``data`` is NaN, else 0 (``data != data``)."""
    return data != data
