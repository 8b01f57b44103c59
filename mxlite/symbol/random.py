"""``mx.sym.random``: sampling nodes (``uniform``, ``normal``, ``randn``, ``randint``).

As in MXNet's ``python/mxnet/symbol/random.py``, scalar distribution parameters make a ``_random_*``
node with no inputs; only the arguments actually given are stored as attributes. The executor
samples on its own context.
"""
from ..base import MXNetError, numeric_types
from ..ops import registry
from .register import create
from .symbol import Symbol

__all__ = ["uniform", "normal", "randn", "randint"]


def _sample(op_name, params, shape, dtype, kwargs):
    for value in params.values():
        if isinstance(value, Symbol):
            raise MXNetError(f"{op_name}: Symbol distribution parameters (MXNet's _sample_* ops) "
                             f"are not supported by mxlite; pass numbers")
        if not isinstance(value, numeric_types):
            raise ValueError(f"Distribution parameters must be either Symbol or numbers, but got "
                             f"{type(value)}.")
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    # unset shape/dtype are left out (MXNet's _Null), not sent as 'None'
    attrs = dict(params, **{k: v for k, v in (("shape", shape), ("dtype", dtype)) if v is not None},
                 **kwargs)
    # MXNet names these nodes after the op function: _random_uniform0, ...
    return create(registry.get(op_name), op_name.lower(), [], {}, attrs, name=name, attr=attr)


def uniform(low=0, high=1, shape=None, dtype=None, **kwargs):
    """A node sampling the uniform distribution on ``[low, high)``.

    Parameters
    ----------
    low, high : float
    shape : int or tuple of int, optional
    dtype : {'float16', 'float32', 'float64'}, optional
    name, attr : optional
        Node name and attributes.

    Returns
    -------
    Symbol
    """
    return _sample("_random_uniform", {"low": low, "high": high}, shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, **kwargs):
    """A node sampling the normal distribution (mean ``loc``, standard deviation ``scale``).

    Returns
    -------
    Symbol
    """
    return _sample("_random_normal", {"loc": loc, "scale": scale}, shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """A node of standard-normal samples of the given shape.

    Returns
    -------
    Symbol
    """
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    return normal(loc, scale, shape or None, **kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """A node sampling integers uniformly from ``[low, high)``.

    Returns
    -------
    Symbol
    """
    return _sample("_random_randint", {"low": low, "high": high}, shape, dtype, kwargs)
