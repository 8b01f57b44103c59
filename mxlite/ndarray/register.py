"""Imperative op invocation and the ``mx.nd.<Op>`` functions generated from the op registry."""
import numpy as np

from ..base import MXNetError, numeric_types
from ..context import array_module, current_context, device_scope
from ..ops import registry
from ..ops.params import Params, format_attr
from ..ops.registry import StepContext
from ..ops.signature import (input_names_for_signature, make_doc, make_signature,
                             split_positional)
from . import ndarray as _nd
from .creation import array
from .ndarray import NDArray

__all__ = ["invoke", "make_function"]

# Parsed params per (op, attribute values): an imperative loop calls the same op with the same
# attributes again and again, and parsing is most of the per-call cost of a small op.
_PARSED = {}
_PARSED_MAX = 4096


def _parse(op, attrs):
    """``op``'s Params for ``attrs`` (Python values), parsed once per distinct value set; a fresh
    copy each time, since callers may add to it (num_args)."""
    try:
        key = (op, tuple((k, type(v), v) for k, v in attrs.items()))
        cached = _PARSED.get(key)
    except TypeError:  # an unhashable value (a list): parse without the cache
        key, cached = None, None
    if cached is None:
        cached = op.parse({k: format_attr(v) for k, v in attrs.items()})
        if key is not None:
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[key] = cached
    return Params(cached)


def invoke(op, inputs, attrs, out=None, is_train=False):
    """Run ``op`` once on NDArray ``inputs`` with attribute values ``attrs``; return its visible
    outputs (one NDArray, or a list when the op has several).

    ``is_train`` is also on in autograd's training mode; under ``autograd.record()`` the call is
    put on the tape (with its params and StepContext) when an input has a history."""
    if isinstance(op, str):
        op = registry.get(op)
    p = _parse(op, attrs)
    if op.variadic:
        p["num_args"] = len(inputs)
    names = op.input_names(p)
    if len(inputs) != len(names):
        raise MXNetError(f"Operator {op.name} expects {len(names)} inputs ({', '.join(names)}), "
                         f"got {len(inputs)}")
    ctx = inputs[0].context if inputs else attrs.get("ctx") or current_context()
    for name, arr in zip(names, inputs):
        if not isinstance(arr, NDArray):
            raise TypeError(f"Operator {op.name}: input {name} must be an NDArray, "
                            f"got {type(arr).__name__}")
        if arr._ctx is not ctx and arr._ctx != ctx:
            raise MXNetError(f"Operator {op.name}: input {name} is on {arr.context} while "
                             f"{names[0]} is on {ctx}")
    datas = [a._data for a in inputs]
    _, out_shapes = op.infer_shape(p, [d.shape for d in datas])
    given = [d.dtype for d in datas]
    expected, _ = op.types(p, given)
    for name, g, e in zip(names, given, expected):
        if e is not None and e is not g and np.dtype(e) != g:
            raise MXNetError(f"Error in operator {op.name}: input {name} has dtype {g.name}, "
                             f"expected {np.dtype(e).name} (inputs must share one dtype)")
    ag = _nd.autograd_hooks
    recording = False
    targets = None
    if out is not None:
        targets = out if isinstance(out, (list, tuple)) else [out]
    if ag is not None:
        is_train = is_train or ag.STATE.training
        recording = ag.STATE.recording
        if targets is not None:
            for t in targets:
                ag.note_write(t, f"the output of operator {op.name} (out=)")
    xp = array_module(ctx)
    sc = StepContext(xp, ctx, is_train, op.name)
    forward = op.gpu_forward if ctx.is_gpu and op.gpu_forward is not None else op.forward
    with device_scope(ctx):
        results = forward(sc, p, list(datas))
    n_vis = op.n_visible(p)
    # an imperative op's result is a new array, as in MXNet: a view of an input (Flatten,
    # Reshape, squeeze compute views) is copied so writing the result leaves the input alone
    # (an array owning its memory that is not an input cannot alias one: no overlap test)
    outs = [NDArray(r.copy() if (r.base is not None or any(r is d for d in datas)) and
                    any(xp.may_share_memory(r, d) for d in datas) else r, ctx)
            for r in results[:n_vis]]
    for i, (o, s) in enumerate(zip(outs, out_shapes)):
        if s is not None and o.shape != tuple(s):
            raise MXNetError(f"internal error: {op.name} output {i} has shape {o.shape}, "
                             f"inferred {tuple(s)}")
    node = ag.record_op(op, p, attrs, sc, inputs, results, outs) if recording else None
    if targets is not None:
        for t, o in zip(targets, outs):
            t._write(o)
        if node is not None:
            ag.bind_outputs(node, targets[:n_vis])
        return out
    return outs[0] if n_vis == 1 else outs


def make_function(op, public_name):
    """The ``mx.nd.<public_name>`` function of ``op``: inputs positionally or by name, params as
    keywords, plus ``out=`` and ``name=`` (ignored, as in MXNet's imperative mode)."""
    sig_inputs = input_names_for_signature(op)
    max_inputs = None if op.variadic else len(sig_inputs)
    input_set = frozenset(sig_inputs or ())

    def fn(*args, **kwargs):
        out = kwargs.pop("out", None)
        kwargs.pop("name", None)
        if max_inputs is not None and len(args) <= max_inputs and \
                all(isinstance(a, NDArray) for a in args):
            # the common call, arrays only positionally: what split_positional gives for it
            inputs, p_attrs = list(args), {}
        else:
            inputs, p_attrs = split_positional(op, public_name, args,
                                               lambda a: isinstance(a, NDArray) or
                                               isinstance(a, numeric_types) and op.variadic)
        named = {}
        for k, v in kwargs.items():
            if isinstance(v, NDArray):
                named[k] = v
            elif k in p_attrs:
                raise TypeError(f"{public_name}() got multiple values for argument '{k}'")
            else:
                p_attrs[k] = v
        # an input given as None means "not given" (drop_none_inputs)
        p_attrs = {k: v for k, v in p_attrs.items() if not (v is None and k in input_set)}
        if op.variadic:
            p_attrs.pop("num_args", None)
            if named:
                raise TypeError(f"{public_name} takes its inputs positionally")
        else:
            p = _parse(op, p_attrs)
            names = op.input_names(p)
            if len(inputs) > len(names):
                raise TypeError(f"{public_name} takes {len(names)} inputs ({', '.join(names)}), "
                                f"got {len(inputs)}")
            for name in names[len(inputs):]:
                if name in named:
                    inputs.append(named.pop(name))
                else:
                    raise TypeError(f"{public_name}: missing input '{name}'")
            if named:
                raise TypeError(f"{public_name}: unknown input(s) {', '.join(named)}")
        inputs = [_scalar_to_array(x, inputs) for x in inputs]
        return invoke(op, inputs, p_attrs, out=out)

    fn.__name__ = public_name
    fn.__qualname__ = public_name
    fn.__signature__ = make_signature(op, ("out", "name"))
    fn.__doc__ = make_doc(op, public_name, "NDArray or list of NDArray")
    fn.__module__ = "mxlite.ndarray"
    return fn


def _scalar_to_array(x, inputs):
    if isinstance(x, numeric_types):
        ref = next((a for a in inputs if isinstance(a, NDArray)), None)
        ctx = ref.context if ref is not None else current_context()
        return array(np.array(x), ctx=ctx, dtype=ref.dtype if ref is not None else None)
    return x


def _invoke_by_name(name, inputs, attrs, out=None):
    return invoke(registry.get(name), inputs, attrs, out=out)


_nd.invoke_op = _invoke_by_name
