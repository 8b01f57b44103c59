"""Backward over the tape: ``autograd.backward`` and ``autograd.grad``.

One walk serves both: collect the nodes reachable from the heads, keep those through which a
wanted variable is reached, and call each one's backward in reverse recording order, summing the
gradients that meet at an entry. ``backward`` then applies each variable's grad_req (write / add,
as the executor does); ``grad`` returns new arrays. With ``create_graph`` the walk runs on
NDArrays with recording on, so the gradients themselves are on the tape (see ``higher_order``).
Without ``retain_graph`` every node walked is freed afterwards, as MXNet clears the graph
(src/imperative/imperative.cc ``Backward``).
"""
import sys

import numpy as np

from ..base import MXNetError
from ..context import device_scope
from ..ndarray.ndarray import NDArray
from . import higher_order
from .state import STATE
from .tape import CustomNode, describe, live_entry, record_custom

__all__ = ["run_backward"]

NOT_IN_GRAPH = ("Cannot differentiate node because it is not in a computational graph. You need "
                "to set is_recording to true or use autograd.record() to save computational graphs "
                "for backward. If you want to differentiate the same graph twice, you need to pass "
                "retain_graph=True to backward.")


def _walk(head_entries):
    """Every node reachable from the heads: op nodes in recording order, and the leaves."""
    seen, ops, leaves = set(), [], []
    stack = [e[0] for e in head_entries]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.is_var:
            leaves.append(node)
            continue
        ops.append(node)
        stack.extend(e[0] for e in node.ins if id(e[0]) not in seen)
    ops.sort(key=lambda n: n.seq)
    return seen, ops, leaves


def _targets(variables, seen, leaves):
    if variables is None:
        targets = [v for v in leaves if v.grad is not None and v.grad_req != "null"]
        if not targets:
            raise MXNetError("There are no inputs in computation graph that require gradients.")
        return targets
    targets = []
    for i, v in enumerate(variables):
        e = live_entry(v) if isinstance(v, NDArray) else None
        if e is None or not e[0].is_var or e[0].grad is None or e[0].grad_req == "null":
            what = describe(v) if isinstance(v, NDArray) else type(v).__name__
            raise MXNetError(f"Cannot differentiate with respect to the {i + 1}-th variable "
                             f"because it does not require gradient: {what}. Call attach_grad() "
                             f"on it before recording.")
        if id(e[0]) not in seen:
            raise MXNetError(f"Cannot differentiate with respect to the {i + 1}-th variable "
                             f"because it is unreachable from the outputs: {describe(v)}.")
        targets.append(e[0])
    return targets


# Ops whose backward reads only the shapes and dtypes of its inputs and outputs (not their
# values), so an in-place write into them after recording leaves the gradient right, as in MXNet.
VALUE_FREE_BACKWARD = frozenset((
    "_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
    "elemwise_add", "elemwise_sub", "broadcast_add", "broadcast_sub", "add_n", "negative",
    "_copy", "_copyto", "Cast", "Reshape", "Flatten", "expand_dims", "transpose", "SwapAxis",
    "squeeze", "broadcast_to", "broadcast_axis", "sum", "mean", "Concat", "SliceChannel",
    "slice", "slice_axis", "tile", "repeat", "reverse", "Dropout", "BlockGrad", "stack",
    "zeros_like", "ones_like"))


def _check_versions(node):
    """Refuse a node whose saved arrays were written since it was recorded, unless its backward
    does not read their values."""
    if node.name in VALUE_FREE_BACKWARD:
        return
    for k, e in enumerate(node.ins):
        if e[0].version != node.in_versions[k]:
            names = _input_names(node)
            name = names[k] if k < len(names) else f"input{k}"
            shape = "x".join(str(d) for d in node.in_data[k].shape) or "scalar"
            raise MXNetError(f"autograd: input {k} ('{name}', {shape}) of operator {node.name} "
                             f"(node_{node.seq}) was written in place after the operator was "
                             f"recorded; its backward needs the recorded value. Write into a "
                             f"copy instead, or call backward before writing.")
    if node.version:
        raise MXNetError(f"autograd: an output of operator {node.name} (node_{node.seq}) was "
                         f"written in place after the operator was recorded; its backward needs "
                         f"the recorded value. Write into a copy instead, or call backward "
                         f"before writing.")


def _input_names(node):
    if node.op is None:
        return [f"input{i}" for i in range(len(node.ins))]
    return node.op.input_names(node.params)


def raw_backward(node, ograds, wanted, train_mode):
    """Input gradients (raw arrays or None) of one node for the raw output gradients."""
    if isinstance(node, CustomNode):
        return node.backward(ograds, node.in_data, node.out_data)
    op, sc = node.op, node.sc
    fn = op.gpu_backward if sc.ctx.is_gpu and op.gpu_backward is not None else op.backward
    if fn is None:
        raise MXNetError(f"Operator {op.name} is non-differentiable because it didn't register "
                         f"FGradient attribute (recorded as node_{node.seq}).")
    if op.no_grad_inputs:
        for name, w in zip(op.input_names(node.params), wanted):
            if w and name in op.no_grad_inputs:
                raise MXNetError(f"Error in operator node_{node.seq}: {op.name} layer doesn't "
                                 f"support calculate {name} gradient")
    sc.is_train = train_mode
    sc.grad_wanted = wanted
    sc.out = None
    with device_scope(sc.ctx):
        return fn(sc, node.params, ograds, list(node.in_data), list(node.out_data))


def _head_grads(heads, head_grads, entries, as_ndarray):
    grads = {}
    if head_grads is not None and len(head_grads) != len(heads):
        raise MXNetError(f"heads and head_grads must be lists of the same length: "
                         f"{len(heads)} heads, {len(head_grads)} head_grads")
    for i, (h, e) in enumerate(zip(heads, entries)):
        g = head_grads[i] if head_grads is not None else None
        xp = h._xp
        if g is None:
            with device_scope(h.context):
                data = xp.ones(h._data.shape, h._data.dtype)
            val = NDArray(data, h.context) if as_ndarray else data
        else:
            if not isinstance(g, NDArray):
                raise TypeError(f"head_grads[{i}] must be an NDArray or None, got "
                                f"{type(g).__name__}")
            if g.shape != h.shape:
                raise MXNetError(f"backward: head_grads[{i}] has shape {g.shape}, but head {i} "
                                 f"({describe(h)}) has shape {h.shape}")
            if g.context != h.context:
                g = g.as_in_context(h.context)
            if as_ndarray:
                val = g
            else:
                val = g._data if g._data.dtype == h._data.dtype else g._data.astype(h._data.dtype)
        grads[e] = val  # a head given twice takes its last gradient, as in MXNet
    return grads


def run_backward(heads, head_grads, variables, retain_graph, create_graph, train_mode):
    """The work of ``autograd.backward`` (``variables`` None: apply grad_req to every marked
    variable reached) and ``autograd.grad`` (return gradients of ``variables``)."""
    entries = []
    for i, h in enumerate(heads):
        if not isinstance(h, NDArray):
            raise TypeError(f"heads[{i}] must be an NDArray, got {type(h).__name__}")
        e = live_entry(h)
        if e is None:
            raise MXNetError(f"{NOT_IN_GRAPH} (head {i}: {describe(h)})")
        entries.append(e)
    seen, ops, leaves = _walk(entries)
    targets = _targets(variables, seen, leaves)
    wanted = {id(v) for v in targets}
    active = []
    for node in ops:
        for e in node.ins:
            if id(e[0]) in wanted:
                wanted.add(id(node))
                active.append(node)
                break
    grads = _head_grads(heads, head_grads, entries, create_graph)
    if create_graph:
        prev = STATE.recording, STATE.training
        STATE.recording, STATE.training = True, train_mode
        try:
            _walk_create_graph(active, grads, wanted, train_mode)
        finally:
            STATE.recording, STATE.training = prev
    else:
        _walk_raw(active, grads, wanted, train_mode)
    try:
        if variables is None:
            _store(targets, grads)
            return None
        return [_result(v, grads, h, create_graph) for v, h in zip(targets, variables)]
    finally:
        if not retain_graph:
            for node in ops:
                node.free()
            for leaf in leaves:
                # constants and 'null' variables are part of the graph MXNet clears
                if leaf.grad is None or leaf.grad_req == "null":
                    leaf.freed = True


def _walk_raw(active, grads, wanted, train_mode):
    for node in reversed(active):
        _check_versions(node)
        ograds = [grads.pop((node, i), None) for i in range(node.n_vis)]
        if all(g is None for g in ograds):
            continue
        if any(g is None for g in ograds):
            ograds = [g if g is not None else _zeros_like(d) for g, d in zip(ograds, node.out_data)]
        flags = tuple(id(e[0]) in wanted for e in node.ins)
        igrads = raw_backward(node, ograds, flags, train_mode)
        for e, g, w in zip(node.ins, igrads, flags):
            if g is None or not w:
                continue
            prev = grads.get(e)
            grads[e] = g if prev is None else prev + g


def _zeros_like(data):
    # a CuPy array's zeros_like is a method of its own module, already imported by then
    xp = np if isinstance(data, np.ndarray) else sys.modules["cupy"]
    return xp.zeros_like(data)


def _walk_create_graph(active, grads, wanted, train_mode):
    for node in reversed(active):
        _check_versions(node)
        ograds = [grads.pop((node, i), None) for i in range(node.n_vis)]
        if all(g is None for g in ograds):
            continue
        ctx = _node_ctx(node, ograds)
        ograds = [g if g is not None else NDArray(_zeros_like(d), ctx)
                  for g, d in zip(ograds, node.out_data)]
        flags = tuple(id(e[0]) in wanted for e in node.ins)
        ctxs = getattr(node, "contexts", None) or [ctx] * (len(node.ins) + len(node.out_data))
        ins = [_entry_array(d, e, c) for d, e, c in zip(node.in_data, node.ins, ctxs)]
        outs = [_entry_array(d, (node, i), c)
                for i, (d, c) in enumerate(zip(node.out_data, ctxs[len(node.ins):]))]
        custom = isinstance(node, CustomNode)
        rule = node.differentiable if custom else higher_order.RULES.get(node.op.name)
        unary = None if custom else higher_order.UNARY.get(node.op.name)
        if unary is not None:
            raw = raw_backward(node, [g._data for g in ograds], flags, train_mode)
            igrads = [unary.record(node, ograds[0], ins[0], raw[0], ctx)]
        elif rule is not None:
            igrads = rule(node.params, ograds, ins, outs)
        else:
            raw = raw_backward(node, [g._data for g in ograds], flags, train_mode)
            igrads = [NDArray(g, ctx) if g is not None else None for g in raw]
            made = [g for g in igrads if g is not None]
            name = f"_backward_{node.name}"
            record_custom(name, ograds + ins + outs, made, _non_differentiable(name, node))
        for e, g, w in zip(node.ins, igrads, flags):
            if g is None or not w:
                continue
            prev = grads.get(e)
            grads[e] = g if prev is None else higher_order.add(prev, g)


def _non_differentiable(name, node):
    def backward(ograds, in_data, out_data):
        raise MXNetError(f"Operator {name} is non-differentiable because it didn't register "
                         f"FGradient attribute: the gradient of {node.name} (node_{node.seq}) "
                         f"was recorded with create_graph=True, but differentiating it again "
                         f"is supported only through {higher_order.supported()}.")
    return backward


def _node_ctx(node, ograds):
    """The device of the node's outputs (where its output gradients live)."""
    if node.sc is not None:
        return node.sc.ctx
    if getattr(node, "contexts", None):
        return node.contexts[len(node.ins)]
    return next(g.context for g in ograds if g is not None)


def _entry_array(data, entry, ctx):
    arr = NDArray(data, ctx)
    arr._ag = entry
    return arr


def _store(targets, grads):
    """Apply grad_req to the variables' gradient buffers (write overwrites, add accumulates)."""
    for v in targets:
        g = grads.get((v, 0))
        buf = v.grad
        xp = buf._xp
        with device_scope(buf.context):
            if g is None:
                if v.grad_req == "write":
                    buf._data[...] = 0
            elif v.grad_req == "add":
                buf._data += g.astype(buf._data.dtype, copy=False)
            else:
                xp.copyto(buf._data, g, casting="unsafe")
        v.fresh = True


def _result(var, grads, arr, create_graph):
    g = grads.get((var, 0))
    if create_graph:
        if g is None:
            return NDArray(arr._xp.zeros_like(arr._data), arr.context)
        return g
    xp = arr._xp
    with device_scope(arr.context):
        if g is None:
            return NDArray(xp.zeros_like(arr._data), arr.context)
        return NDArray(xp.array(g, dtype=arr._data.dtype, copy=True), arr.context)
