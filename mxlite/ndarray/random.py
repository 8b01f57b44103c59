"""``mx.nd.random``: sampling into NDArrays (``uniform``, ``normal``, ``randn``, ``randint``).

As in MXNet's ``python/mxnet/ndarray/random.py``, scalar distribution parameters call the
``_random_*`` ops; without ``shape`` (and without ``out``) one sample of shape ``(1,)`` is drawn.
Draws come from ``mxlite.random.generator(ctx)``, so ``mx.random.seed`` makes them reproducible.
"""
from ..base import MXNetError, numeric_types
from ..context import current_context
from ..ops import registry
from .ndarray import NDArray
from .register import invoke

__all__ = ["uniform", "normal", "randn", "randint"]


def _sample(op_name, params, shape, dtype, ctx, out, kwargs):
    for value in params.values():
        if isinstance(value, NDArray):
            raise MXNetError(f"{op_name}: NDArray distribution parameters (MXNet's _sample_* ops) "
                             f"are not supported by mxlite; pass numbers")
        if not isinstance(value, numeric_types):
            raise ValueError(f"Distribution parameters must be either NDArray or numbers, but got "
                             f"{type(value)}.")
    if out is not None:
        if shape is None:
            shape = out.shape
        if dtype is None:
            dtype = out.dtype
    if shape is None:
        shape = 1
    if ctx is None:
        ctx = out.context if out is not None else current_context()
    attrs = dict(params, shape=shape, dtype=dtype, ctx=ctx, **kwargs)
    return invoke(registry.get(op_name), [], attrs, out=out)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on ``[low, high)``.

    Parameters
    ----------
    low, high : float
        Bounds of the interval.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when neither shape nor out is given.
    dtype : {'float16', 'float32', 'float64'}, optional
        Output dtype (float32 by default).
    ctx : Context, optional
        Device of the output (the current context by default).
    out : NDArray, optional
        Array to write the samples into.

    Returns
    -------
    NDArray
    """
    return _sample("_random_uniform", {"low": low, "high": high}, shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``.

    Parameters are as for :func:`uniform`.

    Returns
    -------
    NDArray
    """
    return _sample("_random_normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Standard-normal samples of the given shape (``loc``/``scale``/``dtype``/``ctx`` as keywords).

    Returns
    -------
    NDArray
    """
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    return normal(loc, scale, shape or None, **kwargs)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples integers uniformly from ``[low, high)``.

    Parameters
    ----------
    low, high : int
        Bounds of the interval.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when neither shape nor out is given.
    dtype : {'int32', 'int64'}, optional
        Output dtype (int32 by default).
    ctx : Context, optional
    out : NDArray, optional

    Returns
    -------
    NDArray
    """
    return _sample("_random_randint", {"low": low, "high": high}, shape, dtype, ctx, out, kwargs)
