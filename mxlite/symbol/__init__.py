"""``mx.sym``: Symbol, Variable, Group, load/load_json, and one function per registered operator."""
from ..ops import registry as _registry
from . import register as _register
from .symbol import Group, Symbol, Variable, load, load_json, var

__all__ = ["Symbol", "Variable", "var", "Group", "load", "load_json"]

_register.install(globals())
from .custom import Custom  # noqa: E402,F401  (inputs and params from the registered prop)


def pow(base, exp):
    """``base ** exp`` for Symbols and numbers (either side may be a number)."""
    from .symbol import _apply
    if isinstance(base, Symbol) and isinstance(exp, Symbol):
        return _apply("_power", "_power", [base, exp], {})
    if isinstance(base, Symbol):
        return _apply("_power_scalar", "_powerscalar", [base], {"scalar": exp})
    if isinstance(exp, Symbol):
        return _apply("_rpower_scalar", "_rpowerscalar", [exp], {"scalar": base})
    return base ** exp


def maximum(left, right):
    """Element-wise maximum of Symbols and/or numbers."""
    return _minmax("maximum", left, right)


def minimum(left, right):
    """Element-wise minimum of Symbols and/or numbers."""
    return _minmax("minimum", left, right)


def _minmax(kind, left, right):
    from .symbol import _apply
    if isinstance(left, Symbol) and isinstance(right, Symbol):
        return _apply(f"_{kind}", f"_{kind}", [left, right], {})
    if isinstance(left, Symbol):
        return _apply(f"_{kind}_scalar", f"_{kind}scalar", [left], {"scalar": right})
    if isinstance(right, Symbol):
        return _apply(f"_{kind}_scalar", f"_{kind}scalar", [right], {"scalar": left})
    return max(left, right) if kind == "maximum" else min(left, right)


def __getattr__(name):
    # mx.sym.random / mx.sym.contrib / mx.sym.linalg live in submodules loaded on first use
    if name in ("random", "contrib", "linalg"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise _registry.missing_attribute("mxlite.symbol", name, globals())


# ----- creation functions and wrappers of python/mxnet/symbol/symbol.py ---------------------------
def _op(name):
    """The generated ``mx.sym.<name>`` function (installed into this module by the registry)."""
    return globals()[name]


def zeros(shape, dtype=None, **kwargs):
    """A Symbol of the given shape filled with zeros (``_zeros``); dtype defaults to float32."""
    return _op("_zeros")(shape=shape, dtype="float32" if dtype is None else dtype, **kwargs)


def ones(shape, dtype=None, **kwargs):
    """A Symbol of the given shape filled with ones (``_ones``); dtype defaults to float32."""
    return _op("_ones")(shape=shape, dtype="float32" if dtype is None else dtype, **kwargs)


def full(shape, val, dtype=None, **kwargs):
    """A Symbol of the given shape filled with ``val`` (``_full``); dtype defaults to float32."""
    return _op("_full")(shape=shape, dtype="float32" if dtype is None else dtype,
                        value=float(val), **kwargs)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times (``_arange``).

    With ``stop`` None the range is [0, start), as Python's ``range(n)``.
    """
    return _op("_arange")(start=start, stop=stop, step=step, repeat=repeat,
                          infer_range=infer_range, name=name,
                          dtype="float32" if dtype is None else dtype)


def eye(N, M=0, k=0, dtype=None, **kwargs):
    """A 2-D Symbol with ones on diagonal ``k`` (``_eye``); ``M`` 0 means N columns."""
    return _op("_eye")(N=N, M=M, k=k, dtype="float32" if dtype is None else dtype, **kwargs)


def hypot(left, right):
    """Element-wise ``sqrt(left**2 + right**2)`` of Symbols and/or numbers (``_hypot``,
    ``_hypot_scalar``); two numbers give ``numpy.hypot``."""
    import numbers

    import numpy as np

    from .symbol import _apply
    if isinstance(left, Symbol) and isinstance(right, Symbol):
        return _apply("_hypot", "_hypot", [left, right], {})
    if isinstance(left, Symbol) and isinstance(right, numbers.Number):
        return _apply("_hypot_scalar", "_hypotscalar", [left], {"scalar": right})
    if isinstance(left, numbers.Number) and isinstance(right, Symbol):
        return _apply("_hypot_scalar", "_hypotscalar", [right], {"scalar": left})
    if isinstance(left, numbers.Number) and isinstance(right, numbers.Number):
        return np.hypot(left, right)
    raise TypeError(f"types ({type(left)}, {type(right)}) not supported")


def power(base, exp):
    """``base ** exp`` for Symbols and numbers: the same as :func:`pow`."""
    return pow(base, exp)


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split ``ary`` along ``axis`` (``_split_v2``).

    Parameters
    ----------
    ary : Symbol
    indices_or_sections : int or tuple of int
        An int N gives N sections (the first ``size % N`` one element longer); a tuple gives the
        split points, e.g. ``(2, 3)`` gives ``ary[:2]``, ``ary[2:3]``, ``ary[3:]``.
    axis : int
    squeeze_axis : bool
        Drop the split axis (every part must have size 1 along it).

    Returns
    -------
    Symbol
        One output per part.
    """
    if isinstance(indices_or_sections, int):
        indices, sections = [], indices_or_sections
    elif isinstance(indices_or_sections, tuple):
        indices, sections = [0] + list(indices_or_sections), 0
    else:
        raise ValueError("indices_or_sections must either int or tuple of ints")
    return _op("_split_v2")(ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis,
                            sections=sections)


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002 (MXNet's parameter name)
    """Histogram of the flattened ``a`` (``_histogram``): outputs int64 counts and bin edges.
    ``bins`` is a Symbol of edges or a number of equal bins over ``range`` (required here)."""
    if isinstance(bins, Symbol):
        return _op("_histogram")(data=a, bins=bins, **kwargs)
    if isinstance(bins, int):
        if range is None:
            raise ValueError("null range is not supported in symbol mode")
        return _op("_histogram")(data=a, bin_cnt=bins, range=range, **kwargs)
    raise ValueError("bins argument should be either an integer or an NDArray")
