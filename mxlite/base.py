"""Errors, dtype tables and small type helpers shared by every layer.

MXNet reports backend failures as ``MXNetError`` (a ``RuntimeError``); code in the wild catches
that type, so mxlite raises it wherever MXNet's C++ side would have.
"""
import numbers

import numpy as np

__all__ = ["MXNetError", "NotImplementedForSymbol", "string_types", "numeric_types",
           "integer_types", "dtype_np", "dtype_flag", "dtype_from_flag", "dtype_name",
           "DTYPE_NP_TO_MX", "DTYPE_MX_TO_NP"]


class MXNetError(RuntimeError):
    """Error raised where MXNet's backend would raise ``mxnet.base.MXNetError``."""


class NotImplementedForSymbol(MXNetError):
    """Raised for Python operations a Symbol cannot support (``bool(sym)``, ``sym += 1``)."""

    def __init__(self, function, alias=None, *args):
        super().__init__()
        self.function = function.__name__ if callable(function) else str(function)
        self.alias = alias
        self.args = tuple(str(type(a)) for a in args)

    def __str__(self):
        msg = f"Function {self.function}"
        if self.alias:
            msg += f" (namely operator \"{self.alias}\")"
        if self.args:
            msg += " with arguments (" + ", ".join(self.args) + ")"
        return msg + " is not implemented for Symbol and only available in NDArray."


string_types = (str,)
numeric_types = (float, int, np.generic)
integer_types = (int, np.integer)

# bfloat16 has no NumPy type; MXNet's Python side spells it as a structured uint16 dtype.
_BFLOAT16 = np.dtype([("bfloat16", np.uint16)])

# MXNet type flags (mshadow/base.h, python/mxnet/ndarray/ndarray.py _DTYPE_NP_TO_MX).
DTYPE_NP_TO_MX = {
    None: -1,
    np.dtype(np.float32): 0,
    np.dtype(np.float64): 1,
    np.dtype(np.float16): 2,
    np.dtype(np.uint8): 3,
    np.dtype(np.int32): 4,
    np.dtype(np.int8): 5,
    np.dtype(np.int64): 6,
    np.dtype(np.bool_): 7,
    np.dtype(np.int16): 8,
    np.dtype(np.uint16): 9,
    np.dtype(np.uint32): 10,
    np.dtype(np.uint64): 11,
    _BFLOAT16: 12,
}
DTYPE_MX_TO_NP = {flag: dt for dt, flag in DTYPE_NP_TO_MX.items()}

_NAME_ALIASES = {"bool": np.bool_, "bfloat16": _BFLOAT16}


def dtype_np(dtype):
    """Normalise a dtype given as a numpy type, np.dtype, or string to an ``np.dtype``.

    Raises TypeError naming the value when it is not a dtype MXNet knows.
    """
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in _NAME_ALIASES:
        return np.dtype(_NAME_ALIASES[dtype])
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Cannot interpret {dtype!r} as a data type") from None
    if dt not in DTYPE_NP_TO_MX:
        raise TypeError(f"data type {dt} is not supported by MXNet (supported: "
                        f"{', '.join(dtype_name(d) for d in DTYPE_NP_TO_MX if d is not None)})")
    return dt


def dtype_flag(dtype):
    """MXNet's integer type flag of ``dtype`` (-1 for None)."""
    return DTYPE_NP_TO_MX[dtype_np(dtype)]


def dtype_from_flag(flag):
    """``np.dtype`` of an MXNet type flag; MXNetError for an unknown flag."""
    try:
        return DTYPE_MX_TO_NP[int(flag)]
    except KeyError:
        raise MXNetError(f"Unknown type enum {flag}") from None


def dtype_name(dtype):
    """MXNet's name of a dtype ('float32', 'bool', 'bfloat16')."""
    dt = dtype_np(dtype)
    if dt == _BFLOAT16:
        return "bfloat16"
    if dt == np.bool_:
        return "bool"
    return dt.name


def py_str(x):
    """Bytes from the C API as str (MXNet's base.py_str; here strings are already str)."""
    return x.decode("utf-8") if isinstance(x, bytes) else x


def _as_list(obj):
    """``obj`` itself when it is a list or tuple, else ``[obj]`` (MXNet's base._as_list)."""
    return obj if isinstance(obj, (list, tuple)) else [obj]


def is_number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, bool) or isinstance(x, np.generic)
