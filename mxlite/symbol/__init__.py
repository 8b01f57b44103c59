"""``mx.sym``: Symbol, Variable, Group, load/load_json, and one function per registered operator."""
from . import register as _register
from .symbol import Group, Symbol, Variable, load, load_json, var

__all__ = ["Symbol", "Variable", "var", "Group", "load", "load_json"]

_register.install(globals())


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
    # mx.sym.random / mx.sym.contrib live in submodules loaded on first use
    if name in ("random", "contrib"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mxlite.symbol' has no attribute {name!r}")
