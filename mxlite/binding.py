"""Binding: ``Symbol.bind`` and ``Symbol.simple_bind`` turn a symbol and arrays into an Executor.

``bind`` takes the caller's arrays as they are (no copies); ``simple_bind`` infers every shape and
dtype and allocates zero-filled arguments, gradients and aux states. Both check the argument forms
and raise MXNet's exception types and messages.
"""
import numpy as np

from .base import MXNetError
from .context import Context, array_module, device_scope
from .executor import Executor
from .ndarray.ndarray import NDArray

__all__ = ["bind", "simple_bind", "normalize_grad_req", "GRAD_REQ_MAP"]

GRAD_REQ_MAP = {"null": 0, "write": 1, "add": 3}


def _check_req(req):
    if req not in GRAD_REQ_MAP and req != "inplace":
        raise ValueError(f"grad_req must be in {GRAD_REQ_MAP}")
    return "write" if req == "inplace" else req


def normalize_grad_req(grad_req, arg_names, missing="null"):
    """grad_req (str, list or dict) as a list aligned with ``arg_names``."""
    if isinstance(grad_req, str):
        return [_check_req(grad_req)] * len(arg_names)
    if isinstance(grad_req, (list, tuple)):
        # MXNet's bind does not check the list length; missing entries mean 'null'.
        reqs = [_check_req(r) for r in grad_req]
        return (reqs + [missing] * len(arg_names))[:len(arg_names)]
    if isinstance(grad_req, dict):
        return [_check_req(grad_req.get(n, missing)) for n in arg_names]
    raise TypeError(f"grad_req must be str, list or dict, got {type(grad_req).__name__}")


def _array_list(values, names, what, allow_missing):
    """``values`` (list or dict of NDArray) as a list aligned with ``names``."""
    if isinstance(values, (list, tuple)):
        if len(values) != len(names):
            raise ValueError(f"Length of {what} does not match the number of arguments")
        out = list(values)
    elif isinstance(values, dict):
        out = []
        for name in names:
            if name in values:
                out.append(values[name])
            elif allow_missing:
                out.append(None)
            else:
                raise ValueError(f"key `{name}` is missing in `{what}`")
    else:
        raise TypeError("Only accept list of NDArrays or dict of str to NDArray")
    for arr in out:
        if arr is not None and not isinstance(arr, NDArray):
            raise TypeError("Only accept list of NDArrays or dict of str to NDArray")
    return out


def bind(symbol, ctx, args, args_grad=None, grad_req="write", aux_states=None, group2ctx=None,
         shared_exec=None):
    """``Symbol.bind``: the caller's arrays are used as they are (no copies)."""
    if not isinstance(ctx, Context):
        raise TypeError("Context type error")
    arg_names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    arg_arrays = _array_list(args, arg_names, "args", allow_missing=False)
    if args_grad is None:
        grad_arrays, given = [None] * len(arg_names), False
    else:
        grad_arrays, given = _array_list(args_grad, arg_names, "args_grad", True), True
    aux_arrays = _array_list(aux_states if aux_states is not None else [], aux_names,
                             "aux_states", allow_missing=False)
    reqs = normalize_grad_req(grad_req, arg_names)
    return Executor(symbol, ctx, arg_arrays, grad_arrays, reqs, aux_arrays, group2ctx, grad_req,
                    grad_list_given=given)


def simple_bind(symbol, ctx, grad_req, type_dict, group2ctx, shared_arg_names, shared_exec,
                shared_buffer, kwargs):
    """``Symbol.simple_bind``: infer shapes and types, allocate zero-filled arrays, bind."""
    from .context import current_context
    ctx = ctx or current_context()
    shapes = {k: v for k, v in kwargs.items() if isinstance(v, tuple)}
    if isinstance(grad_req, (list, dict)) and not grad_req:
        raise RuntimeError("simple_bind error: grad_req is empty")
    try:
        arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
        if arg_shapes is None:
            raise MXNetError("Cannot infer the shapes of all arguments")
        arg_types, _, aux_types = symbol.infer_type_partial(**(type_dict or {}))
    except MXNetError as err:
        lines = "\n".join(f"{k}: {v}" for k, v in shapes.items())
        raise RuntimeError(f"simple_bind error. Arguments:\n{lines}\n{err}") from None
    arg_names = symbol.list_arguments()
    reqs = normalize_grad_req(grad_req, arg_names)
    default = np.float32
    args = [_zeros(s, t or default, ctx) for s, t in zip(arg_shapes, arg_types)]
    aux = [_zeros(s, t or default, ctx) for s, t in zip(aux_shapes, aux_types)]
    shared = {}
    if shared_buffer is not None and shared_exec is not None:
        for name in shared_arg_names or []:
            if name in shared_exec.arg_dict:
                shared[name] = name
    for i, name in enumerate(arg_names):
        if name in shared and shared_exec.arg_dict[name].shape == args[i].shape:
            args[i] = shared_exec.arg_dict[name]
    grads = []
    for i, name in enumerate(arg_names):
        if reqs[i] == "null":
            grads.append(None)
        elif name in shared and shared_exec.grad_arrays is not None \
                and shared_exec.grad_dict.get(name) is not None:
            grads.append(shared_exec.grad_dict[name])
        else:
            grads.append(_zeros(args[i].shape, args[i].dtype, ctx))
    ex = Executor(symbol, ctx, args, grads, reqs, aux, group2ctx, grad_req)
    return ex


def _zeros(shape, dtype, ctx):
    xp = array_module(ctx)
    with device_scope(ctx):
        return NDArray(xp.zeros(shape, np.dtype(dtype)), ctx)
