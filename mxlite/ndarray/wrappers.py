"""Python-level ``mx.nd`` functions of MXNet 1.9's ``python/mxnet/ndarray/ndarray.py`` that are not
operators: the NumPy-style binary functions (``add`` ... ``logical_xor``, and ``hypot``),
``moveaxis``, ``onehot_encode``, ``from_numpy`` and ``split_v2``.

A binary function dispatches as MXNet's ``_ufunc_helper`` does: two NDArrays use the
``broadcast_*`` op, an NDArray and a number the ``_*_scalar`` op (``_r*_scalar`` when the number
comes first and the op is not commutative), two numbers a plain Python result.
"""
import numbers

import numpy as np

from ..base import MXNetError, dtype_np, numeric_types
from ..context import cpu
from .creation import array
from .ndarray import NDArray
from .register import invoke

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "modulo", "power", "maximum",
           "minimum", "equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
           "logical_and", "logical_or", "logical_xor", "hypot", "moveaxis", "onehot_encode",
           "from_numpy", "split_v2"]


def _ufunc(lhs, rhs, array_op, scalar_fn, lscalar_op, rscalar_op=None):
    """``_ufunc_helper``: ``rscalar_op`` None means the op is commutative."""
    if isinstance(lhs, numeric_types):
        if isinstance(rhs, numeric_types):
            return scalar_fn(lhs, rhs)
        if not isinstance(rhs, NDArray):
            raise TypeError(f"type {type(rhs)} not supported")
        return invoke(rscalar_op or lscalar_op, [rhs], {"scalar": float(lhs)})
    if not isinstance(lhs, NDArray):
        raise TypeError(f"type {type(lhs)} not supported")
    if isinstance(rhs, numeric_types):
        return invoke(lscalar_op, [lhs], {"scalar": float(rhs)})
    if isinstance(rhs, NDArray):
        return invoke(array_op, [lhs, rhs], {})
    raise TypeError(f"type {type(rhs)} not supported")


def _binary(name, array_op, scalar_fn, lscalar_op, rscalar_op=None, what=""):
    def fn(lhs, rhs):
        return _ufunc(lhs, rhs, array_op, scalar_fn, lscalar_op, rscalar_op)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{what} of NDArrays and/or numbers, with broadcasting.\n\n"
                  f"Two NDArrays use ``{array_op}``; an NDArray and a number ``{lscalar_op}``"
                  + (f" (``{rscalar_op}`` when the number is the left operand)"
                     if rscalar_op else "")
                  + "; two numbers give a Python number.")
    fn.__module__ = "mxlite.ndarray"
    return fn


def _flag(test):
    return lambda x, y: 1 if test(x, y) else 0


add = _binary("add", "broadcast_add", lambda x, y: x + y, "_plus_scalar", what="Sum")
subtract = _binary("subtract", "broadcast_sub", lambda x, y: x - y, "_minus_scalar",
                   "_rminus_scalar", what="Difference")
multiply = _binary("multiply", "broadcast_mul", lambda x, y: x * y, "_mul_scalar",
                   what="Product")
divide = _binary("divide", "broadcast_div", lambda x, y: x / y, "_div_scalar", "_rdiv_scalar",
                 what="Quotient")
true_divide = _binary("true_divide", "broadcast_div", lambda x, y: x / y, "_div_scalar",
                      "_rdiv_scalar", what="Quotient (the same as divide)")
modulo = _binary("modulo", "broadcast_mod", lambda x, y: x % y, "_mod_scalar", "_rmod_scalar",
                 what="Remainder")
maximum = _binary("maximum", "broadcast_maximum", lambda x, y: x if x > y else y,
                  "_maximum_scalar", what="Element-wise maximum")
minimum = _binary("minimum", "broadcast_minimum", lambda x, y: x if x < y else y,
                  "_minimum_scalar", what="Element-wise minimum")
equal = _binary("equal", "broadcast_equal", _flag(lambda x, y: x == y), "_equal_scalar",
                what="1 where equal, else 0,")
not_equal = _binary("not_equal", "broadcast_not_equal", _flag(lambda x, y: x != y),
                    "_not_equal_scalar", what="1 where not equal, else 0,")
# an order comparison with the number on the left flips to the mirrored scalar op
greater = _binary("greater", "broadcast_greater", _flag(lambda x, y: x > y), "_greater_scalar",
                  "_lesser_scalar", what="1 where lhs > rhs, else 0,")
greater_equal = _binary("greater_equal", "broadcast_greater_equal", _flag(lambda x, y: x >= y),
                        "_greater_equal_scalar", "_lesser_equal_scalar",
                        what="1 where lhs >= rhs, else 0,")
lesser = _binary("lesser", "broadcast_lesser", _flag(lambda x, y: x < y), "_lesser_scalar",
                 "_greater_scalar", what="1 where lhs < rhs, else 0,")
lesser_equal = _binary("lesser_equal", "broadcast_lesser_equal", _flag(lambda x, y: x <= y),
                       "_lesser_equal_scalar", "_greater_equal_scalar",
                       what="1 where lhs <= rhs, else 0,")
logical_and = _binary("logical_and", "broadcast_logical_and", _flag(lambda x, y: x and y),
                      "_logical_and_scalar", what="Logical and (1/0)")
logical_or = _binary("logical_or", "broadcast_logical_or", _flag(lambda x, y: x or y),
                     "_logical_or_scalar", what="Logical or (1/0)")
logical_xor = _binary("logical_xor", "broadcast_logical_xor",
                      _flag(lambda x, y: bool(x) ^ bool(y)), "_logical_xor_scalar",
                      what="Logical xor (1/0)")
# MXNet's ndarray.py has no hypot; this mirrors symbol.py's (two numbers: numpy.hypot)
hypot = _binary("hypot", "broadcast_hypot", np.hypot, "_hypot_scalar",
                what="sqrt(lhs**2 + rhs**2)")


def power(base, exp):
    """``base ** exp`` of NDArrays and/or numbers, with broadcasting (``broadcast_power``,
    ``_power_scalar``, ``_rpower_scalar``)."""
    return _ufunc(base, exp, "broadcast_power", lambda x, y: x ** y, "_power_scalar",
                  "_rpower_scalar")


def _axes(what, axes, ndim):
    axes = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{what} should verify 0 <= {what.lower()} < tensor.ndim ({ndim}). "
                             f"Got {a}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in `{what.lower()}` argument")
    return out


def moveaxis(tensor, source, destination):
    """Move the axes ``source`` of ``tensor`` to the positions ``destination`` (a transpose).

    Parameters
    ----------
    tensor : NDArray
    source, destination : int or sequence of int
        Original and new positions of the moved axes (negative values count from the end).

    Returns
    -------
    NDArray
    """
    src = _axes("Source", source, tensor.ndim)
    dst = _axes("Destination", destination, tensor.ndim)
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number of "
                         "elements")
    order = [n for n in range(tensor.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return invoke("transpose", [tensor], {"axes": tuple(order)})


def onehot_encode(indices, out):
    """Write the one-hot encoding of ``indices`` (N,) into ``out`` (N, K) and return ``out``.

    Indices are truncated to integers; one outside [0, K) raises MXNetError (MXNet's legacy
    kernel would write out of bounds).
    """
    if indices.ndim != 1 or out.ndim != 2 or out.shape[0] != indices.shape[0]:
        raise MXNetError(f"onehot_encode: indices must be (N,) and out (N, K), got "
                         f"{indices.shape} and {out.shape}")
    xp = out._xp
    idx = indices.as_in_context(out.context)._data
    idx = (xp.trunc(idx) if idx.dtype.kind == "f" else idx).astype(np.int64)
    if idx.size and bool(xp.any((idx < 0) | (idx >= out.shape[1]))):
        raise MXNetError(f"onehot_encode: indices must lie in [0, {out.shape[1]})")
    out._data[...] = 0
    out._data[xp.arange(idx.size), idx] = 1
    return out


def from_numpy(ndarray, zero_copy=True, array_cls=NDArray):
    """An NDArray on ``cpu(0)`` backed by the NumPy array ``ndarray``.

    With ``zero_copy`` the memory is shared: ``ndarray`` must be C-contiguous, and it is made
    read-only, as MXNet does, while the NDArray stays writable. Without it the data is copied.
    """
    try:
        dtype_np(ndarray.dtype)
    except TypeError:
        raise ValueError(f"{ndarray.dtype} is not supported.") from None
    if not zero_copy:
        return array(ndarray, ctx=cpu(0), dtype=ndarray.dtype)
    if not ndarray.flags["C_CONTIGUOUS"]:
        raise ValueError("Only c-contiguous arrays are supported for zero-copy")
    # a view taken before the caller's array turns read-only keeps the NDArray writable (also
    # when an earlier from_numpy already made it read-only and it owns its memory)
    if not ndarray.flags["WRITEABLE"] and ndarray.base is None:
        ndarray.flags["WRITEABLE"] = True
    shared = ndarray.view()
    ndarray.flags["WRITEABLE"] = False
    return array_cls(shared, cpu(0))


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split ``ary`` along ``axis`` into several NDArrays (``_split_v2``).

    Parameters
    ----------
    ary : NDArray
    indices_or_sections : int or tuple of int
        An int N gives N equal parts (ValueError when the axis does not divide); a tuple gives the
        split points, e.g. ``(2, 3)`` gives ``ary[:2]``, ``ary[2:3]``, ``ary[3:]``.
    axis : int
    squeeze_axis : bool
        Drop the split axis (every part must have size 1 along it).

    Returns
    -------
    NDArray or list of NDArray
    """
    axis_size = ary.shape[axis]
    if isinstance(indices_or_sections, int):
        if axis_size % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        size = axis_size // indices_or_sections
        indices = [i * size for i in range(indices_or_sections)]
    elif isinstance(indices_or_sections, tuple):
        indices = [0] + list(indices_or_sections)
    else:
        raise ValueError("indices_or_sections must either int or tuple of ints")
    return invoke("_split_v2", [ary], {"indices": indices, "axis": axis,
                                       "squeeze_axis": squeeze_axis})


def histogram(a, bins=10, range=None):  # noqa: A002 (MXNet's parameter name)
    """Histogram of the flattened ``a``: (int64 counts, bin edges).

    ``bins`` is an NDArray of edges (the last bin includes its right edge) or a number of equal
    bins over ``range``; without ``range`` NumPy's histogram decides the edges, as MXNet's
    ``ndarray.histogram`` does (it warns and calls NumPy; both results are then float32).
    """
    if isinstance(bins, NDArray):
        return invoke("_histogram", [a, bins], {})
    if isinstance(bins, numbers.Integral):
        if range is None:
            counts, edges = np.histogram(a.asnumpy(), bins=bins)
            # MXNet wraps NumPy's result with array(), which gives float32 for both
            return (array(counts, ctx=a.context, dtype=np.float32),
                    array(edges, ctx=a.context, dtype=np.float32))
        return invoke("_histogram", [a], {"bin_cnt": bins, "range": range})
    raise ValueError("bins argument should be either an integer or an NDArray")
