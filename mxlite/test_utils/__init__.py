"""``mx.test_utils``: MXNet 1.9.x's testing helpers, with its arguments, tolerances and messages.

The pieces live in three modules, all re-exported here:

- :mod:`mxlite.test_utils.compare` -- tolerance tables (``default_rtols`` ...), ``get_tols``,
  ``almost_equal``, ``assert_almost_equal`` (MXNet's message, incl. the per-element listing on
  stdout); the TF32 rule of ``effective_dtype`` is documented there;
- :mod:`mxlite.test_utils.check` -- ``check_symbolic_forward/backward``, ``numeric_grad``,
  ``check_numeric_gradient``, ``simple_forward``, ``check_speed``;
- :mod:`mxlite.test_utils.consistency` -- ``check_consistency`` (plus a first-divergence report).

This module holds the context defaults and the small data helpers.

Deliberate differences from MXNet: only dense ('default') storage exists, so sparse requests raise
MXNetError; ``assert_almost_equal`` compares broadcastable shapes element-wise (MXNet's formatter
raised IndexError, its NDArray path MXNetError), leaves NumPy's print options as they were, and
prints index tuples as plain ints under NumPy 2; ``mx.nd.contrib.allclose`` (used for two NDArrays
on one device) calls an infinity close only to the same infinity.
"""
import functools
import os
import sys
from contextlib import contextmanager

import numpy as np
import numpy.random as rnd

from ..base import MXNetError
from ..context import Context, current_context, num_gpus
from .check import (  # noqa: F401  (re-exported)
    _parse_aux_states, _parse_location, check_numeric_gradient, check_speed,
    check_symbolic_backward, check_symbolic_forward, numeric_grad, simple_forward)
from .compare import (  # noqa: F401  (re-exported)
    almost_equal, assert_allclose, assert_almost_equal, assert_almost_equal_ignore_nan,
    assert_almost_equal_with_err, assert_exception, checkShapes, default_atols, default_dtype,
    default_numeric_eps, default_rtols, effective_dtype, find_max_violation, get_atol, get_etol,
    get_rtol, get_tolerance, get_tols, locationError, same, tf32_enabled)
from .consistency import check_consistency  # noqa: F401  (re-exported)
from ..io.datasets import (  # noqa: F401  (MXNet's test_utils offers the MNIST helpers)
    download, get_mnist, get_mnist_iterator, get_mnist_ubyte)

# No __all__, as in MXNet: test files do ``from mxnet.test_utils import *`` and rely on getting the
# public helpers together with the modules imported here (np, os, sys).


def default_context():
    """The context tests run on: the current default context."""
    return current_context()


def set_default_context(ctx):
    """Make ``ctx`` this thread's default context (overwrites it outright, no ``with`` scope)."""
    Context._default.value = ctx


def _nd():
    from .. import ndarray
    return ndarray


# ----- random data -------------------------------------------------------------------------------
def random_arrays(*shapes):
    """Standard-normal float32 numpy arrays, one per shape (``()`` gives a 0-d array).

    Returns the array itself for a single shape, else a list.
    """
    arrays = [np.array(np.random.randn(), dtype=default_dtype()) if len(s) == 0
              else np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes, **kwargs):
    """Uniform numpy arrays in ``[low, high)``; always a list.

    Keyword arguments: ``low`` (0), ``high`` (1), ``dtype`` (float32); others raise TypeError.
    """
    low = kwargs.pop("low", 0.0)
    high = kwargs.pop("high", 1.0)
    dtype = kwargs.pop("dtype", default_dtype())
    if kwargs:
        raise TypeError("Got unexpected argument/s : " + str(kwargs.keys()))
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population, k):
    """``k`` elements of ``population`` in random order (a shuffled copy's prefix)."""
    assert 0 <= k <= len(population)
    population_copy = population[:]
    np.random.shuffle(population_copy)
    return population_copy[0:k]


def rand_ndarray(shape, stype="default", density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """A standard-normal NDArray of ``shape`` (float32 unless ``dtype``) on ``ctx`` or the
    default context.

    Raises
    ------
    MXNetError
        For a sparse ``stype``: mxlite has dense storage only.
    """
    if stype != "default":
        raise MXNetError(f"rand_ndarray: storage type {stype!r} is not supported by mxlite "
                         f"(dense 'default' storage only)")
    ctx = ctx if ctx else default_context()
    return _nd().array(random_arrays(shape), dtype=dtype, ctx=ctx)


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-D shape with dims in [1, dim] ([0, dim] with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return int(rnd.randint(low, dim0 + 1)), int(rnd.randint(low, dim1 + 1))


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-D shape with dims in [1, dim] ([0, dim] with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return (int(rnd.randint(low, dim0 + 1)), int(rnd.randint(low, dim1 + 1)),
            int(rnd.randint(low, dim2 + 1)))


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random ``num_dim``-D shape with dims in [1, dim] ([0, dim] with ``allow_zero_size``).

    Dims are Python ints (MXNet returns numpy ints, which NumPy 2 prints as ``np.int64(3)``).
    """
    low = 0 if allow_zero_size else 1
    return tuple(int(d) for d in rnd.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random integer coordinate pair."""
    x = np.random.randint(x_low, x_high, dtype=np.int64)
    y = np.random.randint(y_low, y_high, dtype=np.int64)
    return x, y


# ----- numpy helpers -----------------------------------------------------------------------------
def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce ``dat`` over ``axis`` (None, int or list) one axis at a time with
    ``numpy_reduce_func``."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else range(len(dat.shape))
    ret = dat
    for i in reversed(sorted(axis)):
        ret = numpy_reduce_func(ret, axis=i)
    if keepdims:
        keepdims_shape = list(dat.shape)
        for i in axis:
            keepdims_shape[i] = 1
        ret = ret.reshape(tuple(keepdims_shape))
    return ret


def assign_each(the_input, function):
    """``function`` applied to every element of ``the_input`` (float64 result; a copy if
    ``function`` is None)."""
    if function is None:
        return np.array(the_input)
    output = np.zeros(the_input.shape)
    flat_out = output.reshape(-1)
    for i, val in enumerate(np.asarray(the_input).reshape(-1)):
        flat_out[i] = function(val)
    return output


def assign_each2(input1, input2, function):
    """``function`` applied to every pair of elements (float64 result; a copy of ``input1`` if
    ``function`` is None)."""
    if function is None:
        return np.array(input1)
    assert input1.shape == input2.shape
    output = np.zeros(input1.shape)
    flat_out = output.reshape(-1)
    pairs = zip(np.asarray(input1).reshape(-1), np.asarray(input2).reshape(-1), strict=True)
    for i, (v1, v2) in enumerate(pairs):
        flat_out[i] = function(v1, v2)
    return output


def collapse_sum_like(a, shape):
    """Sum ``a`` over the axes that broadcasting ``shape`` to ``a.shape`` would add or stretch."""
    assert len(a.shape) >= len(shape)
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    ndim_diff = len(a.shape) - len(shape)
    axes = list(range(ndim_diff))
    for i, s in enumerate(shape):
        if s != a.shape[i + ndim_diff]:
            assert s == 1
            axes.append(i + ndim_diff)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


def create_2d_tensor(rows, columns, dtype=np.int64):
    """``rows x columns`` NDArray whose row ``i`` is filled with ``i``."""
    col = np.arange(rows, dtype=np.dtype(dtype)).reshape(rows, 1)
    return _nd().array(np.broadcast_to(col, (rows, columns)), dtype=dtype)


def create_vector(size, dtype=np.int64):
    """NDArray ``[0, 1, ..., size-1]``."""
    return _nd().array(np.arange(size, dtype=np.dtype(dtype)), dtype=dtype)


def get_identity_mat(size):
    """``size x size`` float32 identity NDArray."""
    return _nd().array(np.eye(size, dtype=np.float32))


def get_identity_mat_batch(size):
    """Two stacked identity matrices, shape ``(2, size, size)``."""
    eye = np.eye(size, dtype=np.float32)
    return _nd().array(np.stack([eye, eye]))


# ----- NDArray / symbol helpers ------------------------------------------------------------------
def same_array(array1, array2):
    """Whether two NDArrays share memory (found by writing through ``array1``, then undoing it)."""
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """``assert_almost_equal`` on two (possibly nested) tuples of arrays; None entries are
    skipped."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2, strict=True):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def same_symbol_structure(sym1, sym2):
    """Whether two symbols have the same ops wired the same way (names ignored)."""
    import json

    def structure(s):
        return [(n["op"], n["inputs"]) for n in json.loads(s.tojson())["nodes"]]
    return structure(sym1) == structure(sym2)


def list_gpus():
    """``range(number of GPUs)``; empty without CuPy or a device."""
    return range(num_gpus())


class DummyIter:
    """An iterator that returns the first batch of ``real_iter`` forever (for speed tests).

    Parameters
    ----------
    real_iter : DataIter-like
        Must have ``provide_data``, ``provide_label``, ``batch_size`` and support ``next()``.
    """

    def __init__(self, real_iter):
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def reset(self):
        """Nothing to reset."""

    def next(self):
        """The first batch of the real iterator; never raises StopIteration."""
        return self.the_batch

    __next__ = next


# ----- process state -----------------------------------------------------------------------------
def retry(n):
    """Decorator: rerun a stochastic test up to ``n`` times while it raises AssertionError.

    The last AssertionError is re-raised. The wrapper keeps the test's name and signature (so
    pytest fixtures still reach it).
    """
    assert n > 0

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for i in range(n):
                try:
                    f(*args, **kwargs)
                    return
                except AssertionError as e:
                    if i == n - 1:
                        raise e
                    _nd().waitall()
        return wrapper
    return decorate


@contextmanager
def environment(*args):
    """Set environment variables for the body of a ``with`` block, restoring them afterwards.

    Parameters
    ----------
    *args
        ``(name, value)`` or one dict ``{name: value}``; a value of None unsets the variable.
    """
    def set_environ(env_vars):
        for name, value in env_vars.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    if len(args) == 1 and isinstance(args[0], dict):
        env_vars = args[0]
    else:
        assert len(args) == 2, "Expecting one dict arg or two args: env var name and value"
        env_vars = {args[0]: args[1]}
    snapshot = {name: os.environ.get(name) for name in env_vars}
    set_environ(env_vars)
    try:
        yield
    finally:
        # pending device work may still read the changed settings
        _nd().waitall()
        set_environ(snapshot)


@contextmanager
def discard_stderr():
    """Send file descriptor 2 to /dev/null for the body of a ``with`` block."""
    with open(os.devnull, "w") as bit_bucket:
        try:
            stderr_fileno = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            # stderr is not a real file here (e.g. captured): nothing to redirect
            yield
            return
        old_stderr = os.dup(stderr_fileno)
        try:
            os.dup2(bit_bucket.fileno(), stderr_fileno)
            yield
        finally:
            os.dup2(old_stderr, stderr_fileno)
            os.close(old_stderr)
