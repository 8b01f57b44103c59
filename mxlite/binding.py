"""Binding: ``Symbol.bind`` and ``Symbol.simple_bind`` turn a symbol and arrays into an Executor.

``bind`` takes the caller's arrays as they are (no copies); ``simple_bind`` infers every shape and
dtype and allocates zero-filled arguments, gradients and aux states. Both check the argument forms
and raise MXNet's exception types and messages.
"""
import numpy as np

from .base import MXNetError
from .context import Context, array_module, device_scope
from .executor import Executor
from .memory import check_allocation
from .ndarray.ndarray import NDArray
from .ops.params import did_you_mean
from .symbol.infer import is_known_shape

__all__ = ["bind", "simple_bind", "normalize_grad_req", "GRAD_REQ_MAP"]

GRAD_REQ_MAP = {"null": 0, "write": 1, "add": 3}


def _check_req(req):
    if req not in GRAD_REQ_MAP and req != "inplace":
        raise ValueError(f"grad_req must be in {GRAD_REQ_MAP}")
    return "write" if req == "inplace" else req


def normalize_grad_req(grad_req, arg_names, missing="null", where="bind"):
    """grad_req (str, list or dict) as a list aligned with ``arg_names``.

    A list must have one entry per argument and a dict may only name arguments: MXNet 1.9.1's
    ``bind`` read past a short list and silently ignored a misspelled dict key (so nothing got a
    gradient); mxlite raises MXNetError naming the entry (``simple_bind`` raises MXNet's
    RuntimeError for a list of the wrong length)."""
    if isinstance(grad_req, str):
        return [_check_req(grad_req)] * len(arg_names)
    if isinstance(grad_req, (list, tuple)):
        reqs = [_check_req(r) for r in grad_req]
        if len(reqs) != len(arg_names):
            msg = (f"The length of grad_req list does not match the number of input arguments "
                   f"in {where}, expected {len(arg_names)}, provided {len(reqs)} (arguments: "
                   f"{', '.join(arg_names)})")
            if where == "simple_bind":
                raise RuntimeError(f"simple_bind error: {msg}")
            raise MXNetError(msg)
        return reqs
    if isinstance(grad_req, dict):
        unknown = [k for k in grad_req if k not in arg_names]
        if unknown:
            raise MXNetError(f"{where}: grad_req has key {unknown[0]!r}, which is not an "
                             f"argument{did_you_mean(unknown[0], arg_names)} (arguments: "
                             f"{', '.join(arg_names)})")
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
    reqs = normalize_grad_req(grad_req, arg_names, where="bind")
    return Executor(symbol, ctx, arg_arrays, grad_arrays, reqs, aux_arrays, group2ctx, grad_req,
                    grad_list_given=given)


def simple_bind(symbol, ctx, grad_req, type_dict, group2ctx, shared_arg_names, shared_exec,
                shared_buffer, kwargs):
    """``Symbol.simple_bind``: infer shapes and types, allocate zero-filled arrays, bind."""
    from .context import current_context
    ctx = ctx or current_context()
    if not isinstance(ctx, Context):
        # MXNet 1.9.1 fails here with an AttributeError too, naming no argument
        raise AttributeError(f"simple_bind: ctx must be a Context such as mx.cpu() or "
                             f"mx.gpu(0), got {type(ctx).__name__} {ctx!r}")
    shapes = {k: _check_shape_kwarg(k, v) for k, v in kwargs.items() if isinstance(v, tuple)}
    if isinstance(grad_req, (list, dict)) and not grad_req:
        raise RuntimeError("simple_bind error: grad_req is empty")
    try:
        arg_shapes, _, aux_shapes = symbol.infer_shape_partial(**shapes)
        if not all(s and is_known_shape(s) for s in arg_shapes + aux_shapes):
            raise MXNetError(_explain_unknown(symbol, shapes, arg_shapes))
        arg_types, _, aux_types = symbol.infer_type_partial(**(type_dict or {}))
    except MXNetError as err:
        lines = "\n".join(f"{k}: {v}" for k, v in shapes.items())
        raise RuntimeError(f"simple_bind error. Arguments:\n{lines}\n{err}") from None
    arg_names = symbol.list_arguments()
    reqs = normalize_grad_req(grad_req, arg_names, where="simple_bind")
    default = np.float32
    arg_types = [np.dtype(t or default) for t in arg_types]
    aux_types = [np.dtype(t or default) for t in aux_types]
    check_allocation(ctx, list(zip(arg_names, arg_shapes, arg_types))
                     + [(n + " (gradient)", s, t) for n, s, t, r
                        in zip(arg_names, arg_shapes, arg_types, reqs) if r != "null"]
                     + list(zip(symbol.list_auxiliary_states(), aux_shapes, aux_types)),
                     "simple_bind")
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


def _check_shape_kwarg(name, shape):
    """A shape given to simple_bind: a tuple of non-negative ints (0 = unknown), refused as MXNet
    refuses it (TypeError for a non-integer, OverflowError for a negative entry) but naming the
    argument."""
    for d in shape:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"simple_bind: shape of {name} must be a tuple of ints, got {shape} "
                            f"({type(d).__name__} {d!r})")
        if d < 0:
            raise OverflowError(f"simple_bind: shape of {name} has a negative dimension: "
                                f"{shape}")
    return tuple(int(d) for d in shape)


def _explain_unknown(symbol, shapes, arg_shapes):
    """Why simple_bind cannot know every shape: the first op whose inputs are known but whose
    output is not (``FullyConnected(num_hidden=0)``, ``one_hot(depth=0)``), or the arguments
    nothing determines."""
    from .symbol.node import topo_order
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape_partial(**shapes)
    known = {}
    for (node, idx), shape in zip(internals._heads, out_shapes):
        known[(id(node), idx)] = shape
    for node in topo_order(symbol._heads):
        if node.op is None:
            continue
        ins = [known.get((id(src), i)) for src, i in node.inputs]
        outs = [known.get((id(node), i)) for i in range(node.num_visible())]
        if all(x and is_known_shape(x) for x in ins) and \
                not all(x and is_known_shape(x) for x in outs):
            given = ", ".join(f"{k}={v}" for k, v in sorted(node.attrs.items()))
            in_text = ", ".join(f"{n}={tuple(x)}" for n, x in zip(node.input_names(), ins))
            return (f"Error in operator {node.name} ({node.op.name}): its inputs are known "
                    f"({in_text}) but its output shape is {tuple(outs[0] or ())}, which has a "
                    f"0 (unknown) or missing dimension; check its parameters ({given})")
    unknown = [f"{n}: {tuple(s or ())}" for n, s in zip(symbol.list_arguments(), arg_shapes)
               if not (s and is_known_shape(s))]
    return ("Cannot infer the shapes of all arguments; unknown: " + ", ".join(unknown[:10])
            + (" ..." if len(unknown) > 10 else "") + ". Give their shapes as keyword "
            "arguments (data=(batch, ...))")
