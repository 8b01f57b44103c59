"""NumPy-backed stand-in for the parts of CuPy mxlite uses (see ../README.md).

Arrays are a NumPy subclass with CuPy's ``.get()`` and ``.device``; every NumPy function is wrapped
so it returns that subclass. ``errstate``, ``seterr`` and ``frompyfunc`` are left out because CuPy
lacks them, so code that needs them fails here as it would on a GPU.
"""
import functools

import numpy as _np

_MISSING_IN_CUPY = ("errstate", "seterr", "frompyfunc", "vectorize", "ndarray")


class ndarray(_np.ndarray):  # noqa: N801  (CuPy's name)
    """A NumPy array posing as a CuPy array."""

    def get(self, stream=None, order="C", out=None):
        return _np.array(self, copy=True).view(_np.ndarray)

    @property
    def device(self):
        from .cuda import Device
        return Device(0)

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        if obj.shape == () and return_scalar:
            return obj[()]
        return obj.view(ndarray)


def _conv(x):
    """NumPy results (also inside tuples and lists) as the stand-in array type."""
    if type(x) is _np.ndarray:
        return x.view(ndarray)
    if isinstance(x, tuple):
        return tuple(_conv(v) for v in x)
    if isinstance(x, list):
        return [_conv(v) for v in x]
    return x


def _wrap(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        return _conv(fn(*args, **kwargs))
    return wrapped


def _populate(namespace):
    for name in dir(_np):
        if name.startswith("_") or name in _MISSING_IN_CUPY:
            continue
        obj = getattr(_np, name)
        if isinstance(obj, _np.ufunc) or isinstance(obj, type) or not callable(obj):
            namespace[name] = obj  # ufuncs keep the subclass through __array_wrap__
        else:
            namespace[name] = _wrap(obj)


_populate(globals())


def asnumpy(a, stream=None):
    return _np.array(a, copy=True).view(_np.ndarray)


class _MemoryPool:
    def free_all_blocks(self):
        pass


def get_default_memory_pool():
    return _MemoryPool()


from . import cuda, random  # noqa: E402,F401

__version__ = "emulated"
