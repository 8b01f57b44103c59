"""NumPy-backed stand-in for the parts of CuPy mxlite uses (see ../README.md).

Arrays are a NumPy subclass with CuPy's ``.get()`` and ``.device``; every NumPy function is wrapped
so it returns that subclass. ``errstate``, ``seterr`` and ``frompyfunc`` are left out because CuPy
lacks them, so code that needs them fails here as it would on a GPU. As on a device, ``asarray``
and ``ascontiguousarray`` copy host data (only a device array passes through), ``empty`` returns
garbage (every byte 0xFF: NaN for floats) rather than NumPy's usually-zero pages, and
``RawModule`` / ``RawKernel`` run the real CUDA source on the CPU (``_raw.py``).
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
        if name.startswith("_") or name in _MISSING_IN_CUPY or name == "random":
            continue  # (cupy.random is this package's own random.py, imported below)
        obj = getattr(_np, name)
        if isinstance(obj, _np.ufunc) or isinstance(obj, type) or not callable(obj):
            namespace[name] = obj  # ufuncs keep the subclass through __array_wrap__
        else:
            namespace[name] = _wrap(obj)


_populate(globals())


def asarray(a, dtype=None, order=None):
    """Device arrays pass through (cast when ``dtype`` differs); anything else is copied, as a
    host-to-device transfer is."""
    if isinstance(a, ndarray):
        if (dtype is None or _np.dtype(dtype) == a.dtype) and order in (None, "K", "A"):
            return a
        return _conv(_np.asarray(a, dtype=dtype, order=order))
    return _np.array(a, dtype=dtype, order=order or "K", copy=True).view(ndarray)


def ascontiguousarray(a, dtype=None):
    if isinstance(a, ndarray):
        return _conv(_np.ascontiguousarray(a, dtype=dtype))
    return _np.array(a, dtype=dtype, order="C", copy=True, ndmin=1).view(ndarray)


def _garbage(a):
    if a.dtype.kind in "fciu" and a.size:
        a.ravel(order="K").view(_np.uint8)[...] = 0xFF
    return a


def empty(shape, dtype=float, order="C"):
    return _garbage(_np.empty(shape, dtype=dtype, order=order).view(ndarray))


def empty_like(a, dtype=None, order="K", subok=None, shape=None):
    return _garbage(_np.empty_like(a, dtype=dtype, order=order, shape=shape).view(ndarray))


def asnumpy(a, stream=None):
    return _np.array(a, copy=True).view(_np.ndarray)


class _MemoryPool:
    def free_all_blocks(self):
        pass


def get_default_memory_pool():
    return _MemoryPool()


from . import cuda, random  # noqa: E402,F401
from ._raw import RawKernel, RawModule  # noqa: E402,F401

__version__ = "emulated"
