"""Creating NDArrays: ``array``, ``zeros``, ``ones``, ``empty``, ``full``, ``arange``, ``eye``,
``linspace``, ``concatenate``, and ``waitall``.

Legacy shape rules hold: a shape has no 0 dimension (0 means "unknown" in MXNet) and no 0-d arrays,
unless NumPy-shape semantics is on (``mx.np_shape``), where ``()`` and 0 dimensions are real shapes.
"""
import numpy as np

from ..base import MXNetError, dtype_np, integer_types
from ..context import Context, array_module, current_context, device_scope
from ..util import is_np_shape
from .ndarray import NDArray, _move

__all__ = ["array", "empty", "zeros", "ones", "full", "arange", "eye", "linspace", "concatenate",
           "waitall"]


def _check_shape(shape):
    if isinstance(shape, integer_types):
        shape = (int(shape),)
    shape = tuple(int(d) for d in shape)
    if is_np_shape():
        # NumPy-shape semantics (mx.np_shape): () is a scalar, 0 an empty dimension, -1 unknown
        if any(d < 0 for d in shape):
            raise MXNetError(f"Invalid shape {shape}: an array cannot be created with an unknown "
                             f"(-1) dimension")
        return shape
    if not shape:
        raise MXNetError("Invalid shape (): 0-d arrays are not supported in MXNet's legacy shape "
                         "mode; use (1,)")
    for d in shape:
        if d <= 0:
            raise MXNetError(f"Invalid shape {shape}: every dimension must be positive "
                             f"(a 0 means 'unknown' in MXNet's legacy shape mode)")
    return shape


def array(source_array, ctx=None, dtype=None):
    """An NDArray from any array-like: float32 unless ``source_array`` is an NDArray or ``dtype`` is
    given."""
    ctx = ctx or current_context()
    if isinstance(source_array, NDArray):
        dt = dtype_np(dtype) if dtype is not None else source_array._data.dtype
        out = NDArray(_move(source_array._data, source_array._ctx, ctx), ctx)
        return out if out._data.dtype == dt else out.astype(dt)
    dt = dtype_np(dtype) if dtype is not None else np.dtype(np.float32)
    if hasattr(source_array, "__cuda_array_interface__") or \
            type(source_array).__module__.startswith("cupy"):
        src = source_array.get()
    else:
        src = source_array
    try:
        host = np.array(src, dtype=dt)
    except (TypeError, ValueError) as err:
        raise TypeError(f"source_array must be array like object: {err}") from None
    if ctx.is_gpu:
        return NDArray(_move(host, Context("cpu"), ctx), ctx)
    return NDArray(host, ctx)


def _creator(fill):
    def create(shape, ctx=None, dtype=None, stype=None, out=None, **kwargs):
        if kwargs:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(kwargs)}")
        if stype not in (None, "default"):
            raise MXNetError(f"storage type {stype} is not supported by mxlite")
        ctx = ctx or current_context()
        shape = _check_shape(shape)
        dt = dtype_np(dtype) if dtype is not None else np.dtype(np.float32)
        xp = array_module(ctx)
        with device_scope(ctx):
            arr = NDArray(fill(xp, shape, dt), ctx)
        if out is not None:
            out[:] = arr
            return out
        return arr
    return create


empty = _creator(lambda xp, s, dt: xp.zeros(s, dt))
empty.__doc__ = "An uninitialised array (zero-filled in mxlite, which makes runs reproducible)."
zeros = _creator(lambda xp, s, dt: xp.zeros(s, dt))
zeros.__doc__ = "An array of zeros (float32 by default)."
ones = _creator(lambda xp, s, dt: xp.ones(s, dt))
ones.__doc__ = "An array of ones (float32 by default)."


def full(shape, val, ctx=None, dtype=np.float32, out=None):
    """An array filled with ``val``."""
    arr = zeros(shape, ctx, dtype)
    arr[:] = val
    if out is not None:
        out[:] = arr
        return out
    return arr


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=np.float32):
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    if stop is None:
        start, stop = 0, start
    # computed in the output dtype, as MXNet (and NumPy) do: an integer dtype steps in integers
    values = np.arange(start, stop, step, dtype=dtype_np(dtype or np.float32))
    if repeat > 1:
        values = np.repeat(values, int(repeat))
    return array(values, ctx=ctx, dtype=dtype)


def eye(N, M=0, k=0, ctx=None, dtype=np.float32):
    return array(np.eye(N, M or None, k), ctx=ctx, dtype=dtype)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=np.float32):
    return array(np.linspace(start, stop, num, endpoint=endpoint), ctx=ctx, dtype=dtype)


def concatenate(arrays, axis=0, always_copy=True):
    """Concatenate NDArrays along ``axis`` (they share a context and dtype)."""
    if not arrays:
        raise ValueError("arrays must not be empty")
    ctx = arrays[0].context
    xp = array_module(ctx)
    with device_scope(ctx):
        return NDArray(xp.concatenate([a._data for a in arrays], axis=axis), ctx)


def waitall():
    """Wait until all pending device work is done (synchronises every GPU stream in use)."""
    from .. import context
    if context._cupy is not None:
        context._cupy.cuda.Device().synchronize()
