"""The tape: what an op call leaves behind while recording, and the checks on writes into it.

Every NDArray has an autograd *entry* ``arr._ag``: ``None`` (no history) or a pair ``(node,
index)``. A node is one of

- ``OpNode``: a registered op called under ``record()``; it keeps the parsed params, the
  ``StepContext`` of the call (so backward sees the forward's scratch, e.g. dropout masks), the
  input and output arrays, and the entries of its inputs;
- ``CustomNode``: a Python-level step (``autograd.Function``, indexing, a copy) with its own
  backward over raw arrays;
- ``VarNode``: an array marked with ``attach_grad``/``mark_variables`` (gradient buffer and
  grad_req), or, with ``grad_req='null'`` and no buffer, a constant input of a recorded op.

As in MXNet (src/imperative/imperative.cc ``RecordOp``) an op is recorded only when one of its
inputs has a live entry, its other inputs then become constants with entries of their own, and
writing into an array that has a live entry inside a record section is an error. A backward
without ``retain_graph`` frees the nodes it walked, which makes their entries dead (``IsNone`` in
MXNet). mxlite also counts writes made *outside* record sections: each node carries a version,
bumped by every write into an array whose entry points at it, and backward refuses a node whose
inputs or outputs changed since it was recorded, naming the array and the op.
"""
from ..base import MXNetError
from .state import STATE

__all__ = ["OpNode", "CustomNode", "VarNode", "live_entry", "record_op", "record_custom",
           "bind_outputs", "mark_variable", "note_write", "describe"]

_counter = [0, 0]  # op nodes, variables: the numbers MXNet puts in node_N / varN names


class _Node:
    __slots__ = ("freed", "version", "seq", "__weakref__")

    is_var = False


class VarNode(_Node):
    """A leaf: a marked variable (``grad`` buffer, ``grad_req``) or a recorded constant."""

    __slots__ = ("grad", "grad_req", "fresh", "name")

    is_var = True

    def __init__(self, grad=None, grad_req="null", name=None):
        self.freed = False
        self.version = 0
        self.seq = -1
        self.grad = grad
        self.grad_req = grad_req
        self.fresh = False
        if name is None:
            name = f"var{_counter[1]}" if grad is not None else f"null{_counter[1]}"
            _counter[1] += 1
        self.name = name

    @property
    def requires_grad(self):
        return self.grad_req != "null"


class OpNode(_Node):
    """One recorded call of a registered op."""

    __slots__ = ("op", "params", "attrs", "sc", "ins", "in_data", "out_data", "in_versions",
                 "n_vis")

    def __init__(self, op, params, attrs, sc, ins, in_data, out_data, n_vis):
        self.freed = False
        self.version = 0
        self.seq = _counter[0]
        _counter[0] += 1
        self.op = op
        self.params = params
        self.attrs = attrs
        self.sc = sc
        self.ins = ins
        self.in_data = in_data
        self.out_data = out_data
        self.in_versions = tuple(e[0].version for e in ins)
        self.n_vis = n_vis

    @property
    def name(self):
        return self.op.name

    def free(self):
        self.freed = True
        self.in_data = self.out_data = None
        self.sc = None


class CustomNode(OpNode):
    """A recorded Python-level step: ``backward(ograds, in_data, out_data)`` returns one raw
    gradient (or None) per input; ``ograds`` has no None (zeros fill the missing ones)."""

    __slots__ = ("custom_name", "backward", "differentiable", "contexts")

    def __init__(self, name, backward, ins, in_data, out_data, differentiable=None,
                 contexts=None):
        super().__init__(None, None, None, None, ins, in_data, out_data, len(out_data))
        self.custom_name = name
        self.backward = backward
        # the devices of the inputs then the outputs (a copy step spans two)
        self.contexts = contexts
        # for create_graph: a function (ograds, ins, outs as NDArrays) -> input grads built from
        # recorded ops, or None when this step has no differentiable backward
        if differentiable is None and name == "_copyto" and \
                in_data[0].shape == out_data[0].shape:
            differentiable = _copy_rule
        self.differentiable = differentiable

    @property
    def name(self):
        return self.custom_name


def _copy_rule(p, ograds, ins, outs):
    """A copy's gradient, recorded (MXNet's ``_copyto`` passes it through): moved back to the
    source's device."""
    return [ograds[0].as_in_context(ins[0].context)]


def live_entry(arr):
    """``arr``'s entry when it has a history that has not been freed, else None."""
    e = arr._ag
    if e is None:
        return None
    if e[0].freed:
        arr._ag = None
        return None
    return e


def describe(arr):
    """A short description of ``arr`` and where it sits in the tape, for error messages."""
    shape = "x".join(str(d) for d in arr.shape) or "scalar"
    e = arr._ag
    if e is None or e[0].freed:
        return f"NDArray {shape} @{arr.context}"
    node, idx = e
    if node.is_var:
        kind = "a variable marked with attach_grad" if node.grad is not None else \
            "a constant input of a recorded operator"
        return f"NDArray {shape} @{arr.context} ({kind})"
    return f"NDArray {shape} @{arr.context} (output {idx} of recorded operator {node.name})"


_ASSIGN_MSG = ("Assigning to NDArrays that are already in a computational graph will cause "
               "undefined behavior when evaluating gradients. Please call backward first to clear "
               "the graph or do this out side of a record section. Also note that you cannot use "
               "inplace operations like +=, *=, relu(x, out=x), y[idx]=x, etc inside a record "
               "section.")


def note_write(arr, what):
    """Called before anything writes into ``arr`` in place (``what`` names the write): an error
    inside a record section when ``arr`` is on the tape, else its node's version moves on."""
    e = live_entry(arr)
    if e is None:
        return
    if STATE.recording:
        raise MXNetError(f"{_ASSIGN_MSG} Issue occurred while recording {what} into "
                         f"{describe(arr)}.")
    e[0].version += 1


def _inputs_live(inputs):
    for a in inputs:
        e = a._ag
        if e is not None and not e[0].freed:
            return True
    return False


def _input_entries(inputs):
    """The entries of ``inputs``; an input without history becomes a recorded constant."""
    ins = []
    for a in inputs:
        e = a._ag
        if e is None or e[0].freed:
            e = a._ag = (VarNode(), 0)
        ins.append(e)
    return tuple(ins)


def record_op(op, params, attrs, sc, inputs, results, outs):
    """Put one op call on the tape when one of ``inputs`` has a live entry; ``results`` are
    every output array of the kernel (visible then hidden), ``outs`` the visible NDArrays. Returns
    the node or None."""
    if not _inputs_live(inputs):
        return None
    ins = _input_entries(inputs)
    out_data = [o._data for o in outs]
    out_data.extend(results[len(outs):])
    node = OpNode(op, params, attrs, sc, ins, [a._data for a in inputs], out_data, len(outs))
    for i, o in enumerate(outs):
        o._ag = (node, i)
    return node


def record_custom(name, inputs, outputs, backward, differentiable=None, force=False):
    """Put a Python-level step on the tape (see ``CustomNode``); ``outputs`` are NDArrays that
    get entries. Nothing is recorded unless recording is on and an input has history (or
    ``force``)."""
    if not STATE.recording or not (force or _inputs_live(inputs)):
        return None
    for o in outputs:
        if live_entry(o) is not None:
            raise MXNetError(f"{_ASSIGN_MSG} Issue occurred while recording {name} into "
                             f"{describe(o)}.")
    ins = _input_entries(inputs)
    node = CustomNode(name, backward, ins, [a._data for a in inputs], [o._data for o in outputs],
                      differentiable, [a.context for a in list(inputs) + list(outputs)])
    for i, o in enumerate(outputs):
        o._ag = (node, i)
    return node


def bind_outputs(node, targets):
    """Make ``targets`` (the ``out=`` arrays of a recorded call, already written) the node's
    visible outputs, as MXNet does when an op writes into a given array."""
    for i, t in enumerate(targets):
        if live_entry(t) is not None:
            raise MXNetError(f"NotImplementedError: Inplace operations (+=, -=, x[:]=, etc) are "
                             f"not supported when recording with autograd: operator {node.name} "
                             f"writes into its own input, {describe(t)}.")
        node.out_data[i] = t._data
        t._ag = (node, i)


def mark_variable(arr, grad, grad_req):
    """Make ``arr`` a leaf whose gradient goes to ``grad`` according to ``grad_req``."""
    arr._ag = (VarNode(grad, grad_req), 0)
