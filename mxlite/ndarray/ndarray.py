"""NDArray: an n-dimensional array on a Context, with MXNet 1.x (legacy mode) semantics.

The data is a NumPy array on cpu contexts and a CuPy array on gpu contexts. Arithmetic dispatches
to the registered ``broadcast_*`` and ``_*_scalar`` ops so NDArray and Symbol share one definition
of each op.
"""
import numpy as np

from ..base import MXNetError, dtype_np, numeric_types
from ..context import Context, array_module, current_context, device_scope
from ..util import is_np_shape

# MXNet's ndarray.py aliases the builtin slice (tests import it from here).
py_slice = slice

__all__ = ["NDArray", "from_data", "invoke_op"]

# Set by ndarray.register once the op functions exist (breaks an import cycle).
invoke_op = None
# Set by mxlite.autograd when it loads: mxlite/autograd/ndarray_steps.py (recording switches,
# record_custom, note_write, the backward of indexing and copies). NDArray sits below autograd,
# so it reaches the tape only through this.
autograd_hooks = None


def _recording_with(arr):
    """The tape module when recording is on and ``arr`` has a live history, else None."""
    ag = autograd_hooks
    if ag is not None and ag.STATE.recording and ag.live_entry(arr) is not None:
        return ag
    return None


def _shape_str(shape):
    return "x".join(str(d) for d in shape)


class NDArray:
    """An array on a device (``mx.nd.NDArray``).

    ``dtype`` is a NumPy scalar *type* (``np.float32``) as in MXNet; ``context`` says where the
    data lives.
    """

    # _ag: the autograd entry, None or (tape node, output index); see mxlite/autograd/tape.py
    __slots__ = ("_data", "_ctx", "_ag", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, data, ctx=None):
        if isinstance(data, NDArray):
            data, ctx = data._data, data._ctx
        self._data = data
        self._ctx = ctx if ctx is not None else current_context()
        self._ag = None

    # ----- properties
    # ---------------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self._data.shape)

    @property
    def size(self):
        return int(self._data.size)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype.type

    @property
    def context(self):
        return self._ctx

    ctx = context

    @property
    def stype(self):
        return "default"

    @property
    def handle(self):
        return self

    @property
    def T(self):
        if self.ndim < 2:
            return self
        if _recording_with(self):
            return invoke_op("transpose", [self], {})
        return NDArray(self._xp.ascontiguousarray(self._data.T), self._ctx)

    @property
    def _xp(self):
        return array_module(self._ctx)

    # ----- autograd
    # -----------------------------------------------------------------------------------
    @property
    def grad(self):
        """The gradient buffer attached by ``attach_grad`` / ``mark_variables``, else None."""
        e = self._ag
        if e is not None and e[0].is_var and not e[0].freed:
            return e[0].grad
        return None

    @property
    def _fresh_grad(self):
        e = self._ag
        return bool(e is not None and e[0].is_var and e[0].fresh)

    @_fresh_grad.setter
    def _fresh_grad(self, state):
        e = self._ag
        if e is not None and e[0].is_var:
            e[0].fresh = bool(state)

    def attach_grad(self, grad_req="write", stype=None):
        """Attach a zero-filled gradient buffer, making this array a variable of autograd.

        Parameters
        ----------
        grad_req : {'write', 'add', 'null'}
            How backward stores the gradient: overwrite, accumulate, or not at all.
        stype : str, optional
            Storage type of the gradient; only 'default' (dense) exists in mxlite.
        """
        if stype not in (None, "default"):
            raise MXNetError(f"attach_grad: storage type {stype} is not supported by mxlite "
                             f"(gradients are dense)")
        from ..autograd import mark_variables
        with device_scope(self._ctx):
            grad = NDArray(self._xp.zeros_like(self._data), self._ctx)
        mark_variables([self], [grad], grad_req)

    def detach(self):
        """The same data without its autograd history (gradients stop here)."""
        return NDArray(self._data, self._ctx)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Compute the gradients of this array with respect to the marked variables (see
        ``mx.autograd.backward``)."""
        from ..autograd import backward
        backward([self], None if out_grad is None else [out_grad], retain_graph=retain_graph,
                 train_mode=train_mode)

    # ----- conversion
    # ---------------------------------------------------------------------------------
    def asnumpy(self):
        """A NumPy copy of the data."""
        if self._ctx.is_gpu:
            return self._data.get()
        return np.array(self._data, copy=True)

    def asscalar(self):
        if self.size != 1:
            raise ValueError("The current array is not a scalar")
        return self.asnumpy().reshape(-1)[0]

    def astype(self, dtype, copy=True):
        dt = dtype_np(dtype)
        if not copy and dt == self._data.dtype:
            return self
        if _recording_with(self):
            return invoke_op("Cast", [self], {"dtype": dt.name})
        with device_scope(self._ctx):
            return NDArray(self._data.astype(dt), self._ctx)

    def copy(self):
        return self.copyto(self._ctx)

    def copyto(self, other):
        """Copy into another NDArray (shape must match; dtype converted) or onto a Context."""
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetError(f"copyto: shape mismatch, source {self.shape} vs target "
                                 f"{other.shape}")
            other._assign(self)
            return other
        if isinstance(other, Context):
            out = NDArray(_move(self._data, self._ctx, other), other)
            ag = _recording_with(self)
            if ag is not None:
                ag.record_custom("_copyto", [self], [out], ag.copy_backward(self._ctx))
            return out
        raise TypeError(f"copyto does not support type {type(other)}")

    def as_in_context(self, context):
        if self._ctx == context:
            return self
        return self.copyto(context)

    def as_nd_ndarray(self):
        return self

    def tostype(self, stype):
        if stype != "default":
            raise MXNetError(f"storage type {stype} is not supported by mxlite")
        return self

    # ----- DLPack (zero-copy exchange; implemented in ndarray/dlpack.py) -----------------------
    def __dlpack__(self, stream=None, **kwargs):
        from .dlpack import ndarray_dlpack
        return ndarray_dlpack(self, stream, **kwargs)

    def __dlpack_device__(self):
        from .dlpack import ndarray_dlpack_device
        return ndarray_dlpack_device(self)

    def to_dlpack_for_read(self):
        """A DLPack capsule viewing this array's memory (``mx.nd.to_dlpack_for_read``)."""
        from .dlpack import to_dlpack_for_read
        return to_dlpack_for_read(self)

    def to_dlpack_for_write(self):
        """A DLPack capsule viewing this array's memory (``mx.nd.to_dlpack_for_write``)."""
        from .dlpack import to_dlpack_for_write
        return to_dlpack_for_write(self)

    def wait_to_read(self):
        if self._ctx.is_gpu:
            self._xp.cuda.get_current_stream().synchronize()

    def wait_to_write(self):
        self.wait_to_read()

    def reshape(self, *shape, **kwargs):
        """A view with a new shape; accepts MXNet's Reshape codes (0, -1, -2, -3, -4) and
        reverse=."""
        from ..ops.shape import reshape_shape
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        shape = kwargs.pop("shape", shape)
        reverse = kwargs.pop("reverse", False)
        if kwargs:
            raise TypeError(f"Got unknown keywords in reshape: {', '.join(kwargs)}. "
                            f"Accepted keyword arguments are 'shape' and 'reverse'.")
        try:
            target = reshape_shape(self.shape, tuple(shape), reverse)
        except MXNetError as err:
            if "elements" in str(err):
                raise ValueError(f"Cannot reshape array of size {self.size} into shape "
                                 f"{tuple(shape)}") from None
            raise
        if _recording_with(self):
            return invoke_op("Reshape", [self], {"shape": target})
        return NDArray(self._data.reshape(target), self._ctx)

    def reshape_like(self, other):
        return self.reshape(other.shape)

    def broadcast_to(self, shape):
        return invoke_op("broadcast_to", [self], {"shape": tuple(shape)})

    def _assign(self, value, what="an assignment"):
        """Write ``value`` (NDArray, array, list or number) into all of self, casting and
        broadcasting; recorded as a copy when ``value`` has an autograd history."""
        ag = autograd_hooks
        if ag is not None:
            ag.note_write(self, what)
        self._write(value)
        if ag is not None and isinstance(value, NDArray):
            ag.record_custom("_copyto", [value], [self],
                             ag.assign_backward(value, self._ctx))

    def _write(self, value):
        """The raw write of ``_assign``, with no autograd bookkeeping."""
        xp = self._xp
        with device_scope(self._ctx):
            if isinstance(value, NDArray):
                src = _move(value._data, value._ctx, self._ctx)
            elif isinstance(value, numeric_types):
                self._data[...] = value
                return
            else:
                src = xp.asarray(value)
            xp.copyto(self._data, xp.broadcast_to(src, self._data.shape), casting="unsafe")

    # ----- Python protocol
    # ----------------------------------------------------------------------------
    def __repr__(self):
        return f"\n{self.asnumpy()}\n<NDArray {_shape_str(self.shape)} @{self._ctx}>"

    def __len__(self):
        return self.shape[0]

    def __bool__(self):
        if self.size == 0:
            return False
        if self.size == 1:
            return bool(self.asnumpy().reshape(-1)[0])
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    def __hash__(self):
        return id(self) // 16

    def __iter__(self):
        for i in range(self.shape[0]):
            yield self[i]

    def __getstate__(self):
        # MXNet's pickle state: the single-array record of its .params format
        from .utils import array_to_raw_bytes
        return {"handle": array_to_raw_bytes(self)}

    def __setstate__(self, state):
        from .utils import array_from_raw_bytes
        arr = array_from_raw_bytes(state["handle"])
        self._ctx, self._data = arr._ctx, arr._data
        self._ag = None

    # ----- indexing
    # -----------------------------------------------------------------------------------
    def __getitem__(self, key):
        key = _index_key(key, self._ctx)
        with device_scope(self._ctx):
            out = self._data[key]
        if out.ndim == 0 and not is_np_shape():
            out = out.reshape(1)
        result = NDArray(out, self._ctx)
        ag = _recording_with(self)
        if ag is not None:
            # a recorded result is a copy (MXNet records a slice op, which writes a new array)
            with device_scope(self._ctx):
                result._data = out.copy()
            node = ag.record_custom("slice", [self], [result], ag.slice_backward(key))
            node.attrs = ag.slice_symbol(key, self.shape, result.shape)  # for get_symbol
        return result

    def __setitem__(self, key, value):
        ag = autograd_hooks
        if ag is not None:
            ag.note_write(self, "an item assignment (x[key] = value)")
            if isinstance(value, NDArray) and _recording_with(value) is not None:
                if not (key is None or key is Ellipsis or
                        isinstance(key, slice) and key == slice(None)):
                    raise MXNetError("NotImplementedError: Inplace operations (+=, -=, x[:]=, "
                                     "etc) are not supported when recording with autograd: "
                                     "writing a recorded array into part of another one "
                                     "(x[key] = y) cannot be differentiated; build the result "
                                     "with concat or where")
                # a whole-array copy (MXNet's _copyto): recorded
                self._setitem_raw(key, value)
                ag.record_custom("_copyto", [value], [self], ag.assign_backward(value, self._ctx))
                return
        self._setitem_raw(key, value)

    def _setitem_raw(self, key, value):
        key = _index_key(key, self._ctx)
        xp = self._xp
        with device_scope(self._ctx):
            if isinstance(value, NDArray):
                value = _move(value._data, value._ctx, self._ctx)
            elif not isinstance(value, numeric_types):
                value = xp.asarray(value)
            if isinstance(key, slice) and key == slice(None):
                if isinstance(value, numeric_types):
                    self._data[...] = value
                else:
                    xp.copyto(self._data, xp.broadcast_to(value, self._data.shape),
                              casting="unsafe")
                return
            target_shape = self._data[key].shape
            if not isinstance(value, numeric_types) and value.ndim > len(target_shape):
                # leading size-1 axes of the value broadcast away (x[0] = ones((1, 1, 9)))
                extra = value.ndim - len(target_shape)
                if all(d == 1 for d in value.shape[:extra]):
                    value = value.reshape(value.shape[extra:])
            if not isinstance(value, numeric_types) and value.shape != target_shape:
                value = xp.broadcast_to(value.reshape(value.shape) if value.size != 1
                                        else value.reshape(()), target_shape)
            self._data[key] = value

    # ----- arithmetic
    # ---------------------------------------------------------------------------------
    def _binary(self, other, tensor_op, scalar_op):
        if isinstance(other, NDArray):
            return invoke_op(tensor_op, [self, other], {})
        if isinstance(other, numeric_types):
            return invoke_op(scalar_op, [self], {"scalar": float(other)})
        if isinstance(other, np.ndarray):
            return invoke_op(tensor_op, [self, _array(other, self._ctx, other.dtype)], {})
        raise TypeError(f"type {type(other)} not supported")

    def _rbinary(self, other, tensor_op, rscalar_op):
        if isinstance(other, numeric_types):
            return invoke_op(rscalar_op, [self], {"scalar": float(other)})
        if isinstance(other, np.ndarray):
            return invoke_op(tensor_op, [_array(other, self._ctx, other.dtype), self], {})
        raise TypeError(f"type {type(other)} not supported")

    def _inplace(self, other, tensor_op, scalar_op):
        ag = autograd_hooks
        if ag is not None:
            ag.note_write(self, f"an in-place {tensor_op}")
        result = self._binary(other, tensor_op, scalar_op)
        self._assign(result, f"an in-place {tensor_op}")
        return self

    def __add__(self, o):
        return self._binary(o, "broadcast_add", "_plus_scalar")

    def __radd__(self, o):
        return self._rbinary(o, "broadcast_add", "_plus_scalar")

    def __iadd__(self, o):
        return self._inplace(o, "broadcast_add", "_plus_scalar")

    def __sub__(self, o):
        return self._binary(o, "broadcast_sub", "_minus_scalar")

    def __rsub__(self, o):
        return self._rbinary(o, "broadcast_sub", "_rminus_scalar")

    def __isub__(self, o):
        return self._inplace(o, "broadcast_sub", "_minus_scalar")

    def __mul__(self, o):
        return self._binary(o, "broadcast_mul", "_mul_scalar")

    def __rmul__(self, o):
        return self._rbinary(o, "broadcast_mul", "_mul_scalar")

    def __imul__(self, o):
        return self._inplace(o, "broadcast_mul", "_mul_scalar")

    def __truediv__(self, o):
        return self._binary(o, "broadcast_div", "_div_scalar")

    def __rtruediv__(self, o):
        return self._rbinary(o, "broadcast_div", "_rdiv_scalar")

    def __itruediv__(self, o):
        return self._inplace(o, "broadcast_div", "_div_scalar")

    __div__, __rdiv__, __idiv__ = __truediv__, __rtruediv__, __itruediv__

    def __mod__(self, o):
        return self._binary(o, "broadcast_mod", "_mod_scalar")

    def __rmod__(self, o):
        return self._rbinary(o, "broadcast_mod", "_rmod_scalar")

    def __imod__(self, o):
        return self._inplace(o, "broadcast_mod", "_mod_scalar")

    def __pow__(self, o):
        return self._binary(o, "broadcast_power", "_power_scalar")

    def __rpow__(self, o):
        return self._rbinary(o, "broadcast_power", "_rpower_scalar")

    def __neg__(self):
        return invoke_op("_mul_scalar", [self], {"scalar": -1.0})

    def __abs__(self):
        return invoke_op("abs", [self], {})

    def __eq__(self, o):
        return self._binary(o, "broadcast_equal", "_equal_scalar")

    def __ne__(self, o):
        return self._binary(o, "broadcast_not_equal", "_not_equal_scalar")

    def __gt__(self, o):
        return self._binary(o, "broadcast_greater", "_greater_scalar")

    def __ge__(self, o):
        return self._binary(o, "broadcast_greater_equal", "_greater_equal_scalar")

    def __lt__(self, o):
        return self._binary(o, "broadcast_lesser", "_lesser_scalar")

    def __le__(self, o):
        return self._binary(o, "broadcast_lesser_equal", "_lesser_equal_scalar")


def _move(data, src_ctx, dst_ctx):
    """``data`` (on ``src_ctx``) as an array of ``dst_ctx``'s module, copied."""
    if dst_ctx.is_gpu:
        xp = array_module(dst_ctx)
        with device_scope(dst_ctx):
            return xp.array(data, copy=True)
    if src_ctx.is_gpu:
        return data.get()
    return np.array(data, copy=True)


def _index_key(key, ctx):
    """Translate an MXNet index key into one the array module accepts."""
    if isinstance(key, NDArray):
        if key.dtype == np.bool_:
            raise ValueError("Cannot perform boolean indexing in legacy mode. Please activate "
                             "numpy semantics by calling `npx.set_np()` in the global scope "
                             "before calling this function.")
        return key._data.astype(np.int64)
    if isinstance(key, np.ndarray):
        # MXNet silently treats a NumPy boolean array as integer indices (ndarray.py _get_index).
        key = key.astype(np.int64)
        return array_module(ctx).asarray(key) if ctx.is_gpu else key
    if isinstance(key, list):
        return _index_key(np.array(key), ctx)
    if isinstance(key, tuple):
        return tuple(_index_key(k, ctx) if isinstance(k, (NDArray, np.ndarray, list)) else k
                     for k in key)
    return key


def from_data(data, ctx):
    """Wrap an array of ``ctx``'s module (no copy)."""
    return NDArray(data, ctx)


def _array(source, ctx, dtype):
    from .creation import array
    return array(source, ctx, dtype)

