"""Helpers the op families share: optional-int params, shape formatting for messages, axis
normalisation, accumulation dtypes, broadcasting adjoints and the one-input op declaration.

Private to ``mxlite.ops``: each helper is defined here once and imported by the families.
"""
import numpy as np

from ..base import MXNetError
from .params import Field, Int
from .registry import OpDef, register

__all__ = ["OptInt", "fmt_shape", "fmt_list", "norm_axis", "one_dtype", "sum_as", "upcast",
           "acc_dtype", "quiet", "unbroadcast", "safe_mod", "register_unary", "unary_shape_rule",
           "reshape_back", "prod", "f32", "kept_shape", "zero_grads", "axis_in",
           "lhs_type", "uniform_type", "grad_buffer"]


class OptInt(Field):
    """An int that may be None (``'None'`` in attribute strings): slice_axis end, repeat axis."""

    type_name = "int or None"

    def parse(self, value):
        if value is None or str(value).strip() == "None":
            return None
        return Int(self.name).parse(value)


def fmt_shape(shape):
    """``(2,3)``, ``(4,)``: a shape in MXNet's TShape notation for error messages."""
    return "(" + ",".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_list(shape):
    """``[2,3]``: a shape as MXNet's broadcast errors print it."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def norm_axis(op, axis, ndim, what="axis"):
    """``axis`` in ``[-ndim, ndim)`` made non-negative; MXNetError naming op, axis and shape."""
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: {what}={axis} is out of bounds for an input with {ndim} "
                         f"dimension(s) (expected {-ndim} <= {what} < {ndim})")
    return axis % ndim


def one_dtype(op, arrays, names=None):
    """Refuse inputs of mixed dtypes (imperative calls skip type inference); returns ``arrays``."""
    first = arrays[0].dtype
    for i, a in enumerate(arrays):
        if a.dtype != first:
            name = names[i] if names else f"arg{i}"
            raise MXNetError(f"{op}: all inputs must have one dtype, but {name} is {a.dtype} "
                             f"while {names[0] if names else 'arg0'} is {first}")
    return arrays


def acc_dtype(dtype):
    """MXNet's accumulation type (``AccReal``): float32 for float16, the dtype itself otherwise."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def upcast(xp, x):
    """``x`` in its accumulation type: float16 arrays become float32, others are returned as is."""
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def sum_as(g, axis):
    """``g.sum(axis)`` in g's dtype, accumulated in float32 for float16."""
    return g.sum(axis=axis, dtype=acc_dtype(g.dtype)).astype(g.dtype, copy=False)


def quiet(xp):
    """Silence NumPy's floating-point warnings: MXNet computes inf/NaN without complaint."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def unbroadcast(xp, grad, shape):
    """Sum ``grad`` down to ``shape`` (the inverse of NumPy broadcasting)."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape)
                                        if n == 1 and grad.shape[i + extra] != 1)
    out = grad.sum(axis=axes, keepdims=True, dtype=grad.dtype) if axes else grad
    return out.reshape(shape)


def safe_mod(xp, a, b):
    """MXNet's mod (mshadow_op::mod): Python-style sign, and 0 where the divisor is 0."""
    with quiet(xp):
        return xp.where(b == 0, xp.zeros((), a.dtype), xp.mod(a, b)).astype(a.dtype, copy=False)


def prod(dims):
    """Product of a sequence of ints (1 for an empty one)."""
    n = 1
    for d in dims:
        n *= d
    return n


def register_unary(name, params, infer_shape, forward, backward, doc, aliases=(), **fields):
    """Register a one-input op (input ``data``); ``fields`` are further OpDef fields."""
    register(OpDef(name=name, aliases=aliases, params=params, infer_shape=infer_shape,
                   forward=forward, backward=backward, doc=doc, **fields))


def unary_shape_rule(fn):
    """A shape rule for one-input ops whose output shape is ``fn(p, data_shape)``."""
    def infer(p, in_shapes):
        data = in_shapes[0]
        return [data], [None if data is None else fn(p, tuple(data))]
    return infer


def reshape_back(sc, p, ograds, ins, outs):
    """Backward of ops that only relabel the data's shape: the head gradient reshaped back."""
    return [ograds[0].reshape(ins[0].shape)]


def f32(value):
    """A float parameter rounded through float32, as MXNet's param structs that declare it float
    (slope, eps) hold it."""
    return float(np.float32(value))


def kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def zero_grads(sc, p, ograds, ins, outs):
    """MXNet's MakeZeroGradNodes: every input gets zeros, the head gradient is not read."""
    return [sc.xp.zeros_like(x) for x in ins]


def axis_in(op, what, axis, ndim):
    """``axis`` of a ``*_axes`` parameter made non-negative (MXNet's 'Invalid dimension' error)."""
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: Invalid dimension specified in {what}: {axis} (for a "
                         f"{ndim}-D input)")
    return axis % ndim


def lhs_type(p, in_types):
    """Type rule of ops shaped by a second input: the output takes the first input's dtype; the
    second input's is left as it is."""
    return [in_types[0], in_types[1]], [in_types[0]]


def uniform_type(op, names, n_out):
    """Type rule: every input and output shares the data's dtype (float16/32/64)."""
    def rule(p, in_types):
        dtype = next((t for t in in_types if t is not None), None)
        if dtype is None:
            return list(in_types), [None] * n_out
        if np.dtype(dtype).kind != "f":
            raise MXNetError(f"Error in operator {op}: data type {np.dtype(dtype).name} is not "
                             f"supported (float16, float32 or float64 expected)")
        for name, t in zip(names, in_types):
            if t is not None and np.dtype(t) != np.dtype(dtype):
                raise MXNetError(f"Error in operator {op}: {name} has dtype "
                                 f"{np.dtype(t).name}, expected {np.dtype(dtype).name}")
        return [dtype] * len(in_types), [dtype] * n_out
    return rule


def grad_buffer(sc, pos, shape, dtype):
    """The gradient array input ``pos``'s gradient goes to (``StepContext.grad_out``) when it fits
    (``shape``, ``dtype``, C-contiguous), else None: computing into it saves the executor's copy."""
    bufs = sc.grad_out
    buf = bufs[pos] if bufs is not None and pos < len(bufs) else None
    if (buf is None or not isinstance(buf, np.ndarray) or buf.shape != tuple(shape)
            or buf.dtype != dtype or not buf.flags.c_contiguous):
        return None
    return buf
