"""``mx.util``: the NumPy-shape switch (``np_shape``, ``use_np_shape``, ``is_np_shape``,
``set_np_shape``), as in MXNet 1.9.x's python/mxnet/util.py.

In MXNet's legacy shape semantics a 0 in a shape means "unknown" and ``()`` means "no shape",
so ``mx.nd.zeros((0, 3))`` and ``mx.nd.ones(())`` are errors. Under NumPy-shape semantics
``()`` is the shape of a scalar, 0 is a real (empty) dimension, and -1 marks an unknown one. The
flag is per thread, as MXNet keeps it; the NDArray front end reads it when it checks a shape.
"""
import functools
import inspect
import logging
import threading

__all__ = ["np_shape", "use_np_shape", "is_np_shape", "set_np_shape"]


class _Flag(threading.local):
    active = False


_FLAG = _Flag()
_logged = [False]


def set_np_shape(active):
    """Turn NumPy-shape semantics on or off; return the previous state.

    Parameters
    ----------
    active : bool
    """
    if active and not _logged[0]:
        logging.info("NumPy-shape semantics has been activated in your code. This is required "
                     "for creating and manipulating scalar and zero-size tensors, which were not "
                     "supported in MXNet before, as in the official NumPy library.")
        _logged[0] = True
    prev = _FLAG.active
    _FLAG.active = bool(active)
    return prev


def is_np_shape():
    """Whether NumPy-shape semantics is on: ``()`` a scalar's shape, 0 a real dimension."""
    return _FLAG.active


class _NumpyShapeScope:
    """Sets NumPy-shape semantics on entry and restores the previous state on exit."""

    def __init__(self, is_np_shape):  # pylint: disable=redefined-outer-name
        self._enter_is_np_shape = is_np_shape
        self._prev_is_np_shape = None

    def __enter__(self):
        if self._enter_is_np_shape is not None:
            self._prev_is_np_shape = set_np_shape(self._enter_is_np_shape)

    def __exit__(self, ptype, value, trace):
        if self._enter_is_np_shape is not None and \
                self._prev_is_np_shape != self._enter_is_np_shape:
            set_np_shape(self._prev_is_np_shape)


def np_shape(active=True):
    """A ``with`` scope with NumPy-shape semantics on (or off, with ``active=False``).

    Example::

        with mx.np_shape(True):
            scalar = mx.nd.ones(shape=())      # shape ()
            empty = mx.nd.zeros((0, 3))        # zero-size
    """
    return _NumpyShapeScope(active)


def use_np_shape(func):
    """Decorate a function (or every method and property of a class) so that it runs with
    NumPy-shape semantics on."""
    if inspect.isclass(func):
        for name, method in inspect.getmembers(
                func, predicate=lambda f: inspect.isfunction(f) or inspect.ismethod(f) or
                isinstance(f, property)):
            if isinstance(method, property):
                setattr(func, name, property(use_np_shape(method.__get__), method.__set__,
                                             method.__delattr__, method.__doc__))
            else:
                setattr(func, name, use_np_shape(method))
        return func
    if callable(func):
        @functools.wraps(func)
        def _with_np_shape(*args, **kwargs):
            with np_shape(active=True):
                return func(*args, **kwargs)
        return _with_np_shape
    raise TypeError(f"use_np_shape can only decorate classes and callable objects, while "
                    f"received a {type(func)}")
