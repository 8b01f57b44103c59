"""Lowering: a Symbol becomes a flat ``Plan`` of steps over numbered value slots.

Built once at bind. Every node output (hidden outputs included) gets a slot; variables are slots
filled from the bound arrays; each op node becomes one ``Step`` naming its input and output slots.
The executor walks ``steps`` forward and a list of ``BackwardUnit`` in reverse with no graph
traversal. The plan also records the last forward step reading each slot; ``mxlite.memory`` turns
that and the ops' ``backward_reads`` into lifetimes, and ``mxlite.passes`` may merge backward units
(fusions the ops declare).
"""
import numpy as np

from .symbol.node import topo_order

__all__ = ["Step", "Plan", "BackwardUnit", "describe_symbol"]


class Step:
    """One op application: ``outs = op.forward(sc, params, [vals[i] for i in ins])``."""

    __slots__ = ("node", "op", "params", "name", "ins", "outs", "n_visible", "aux_ins")

    def __init__(self, node, ins, outs):
        self.node = node
        self.op = node.op
        self.params = node.params
        self.name = node.name
        self.ins = ins
        self.outs = outs
        self.n_visible = node.num_visible()
        self.aux_ins = node.aux_positions()


class BackwardUnit:
    """One call of a backward function: a step's own backward, or several steps' fused backward.

    ``backward(sc, params, ograds, ins, outs)`` gets the head gradients of the ``visible`` slots and
    the values of ``ins`` / ``outs`` (filtered through ``reads``, a ``BackwardReads`` over their
    positions) and returns one gradient per slot of ``ins`` (None where there is none).
    ``step`` is the index of the step whose StepContext the unit uses; ``grad_passthrough`` lists
    the inputs whose gradient is the head gradient itself or a view of it (no new memory).
    """

    __slots__ = ("name", "steps", "step", "op_name", "backward", "params", "ins", "outs",
                 "visible", "needs_head_grad", "reads", "aux_ins", "grad_passthrough")

    def __init__(self, name, steps, step, op_name, backward, params, ins, outs, visible,
                 needs_head_grad, reads, aux_ins=(), grad_passthrough=()):
        self.name = name
        self.steps = tuple(steps)
        self.step = step
        self.op_name = op_name
        self.backward = backward
        self.params = params
        self.ins = tuple(ins)
        self.outs = tuple(outs)
        self.visible = tuple(visible)
        self.needs_head_grad = needs_head_grad
        self.reads = reads
        self.aux_ins = tuple(aux_ins)
        self.grad_passthrough = tuple(grad_passthrough)

    @classmethod
    def of_step(cls, k, step, backward):
        """The unit running ``step``'s own backward (``backward`` chosen for the context)."""
        reads = step.op.reads(step.params, len(step.ins), len(step.outs))
        return cls(f"_backward_{step.op.name}({step.name})", (k,), k, step.op.name, backward,
                   step.params, step.ins, step.outs, step.outs[:step.n_visible],
                   step.op.needs_head_grad, reads, step.aux_ins, step.op.grad_passthrough)

    def value_slots(self):
        """Slots whose values this unit reads."""
        return ({self.ins[i] for i in self.reads.inputs}
                | {self.outs[i] for i in self.reads.outputs})

    def grad_targets(self):
        """Slots of the inputs that receive a gradient (aux states never do)."""
        return [s for i, s in enumerate(self.ins) if i not in self.aux_ins]


class Plan:
    """The static program of a symbol.

    Attributes
    ----------
    steps : list of Step, in execution order
    n_slots : int
    arg_slots, aux_slots : list of int, in list_arguments / list_auxiliary_states order
    head_slots : list of int, one per output of the symbol
    heads : list of (Node, int)
    last_use : dict slot -> index of the last step reading it (len(steps) for heads)
    """

    def __init__(self, symbol):
        self.heads = list(symbol._heads)
        order = topo_order(self.heads)
        aux_ids = set()
        for node in order:
            for pos in node.aux_positions():
                aux_ids.add(id(node.inputs[pos][0]))
        slot_of = {}
        n = 0
        for node in order:
            for i in range(node.num_total()):
                slot_of[(id(node), i)] = n
                n += 1
        self.n_slots = n
        self.slot_of = slot_of
        self.order = order
        self.arg_nodes = [nd for nd in order if nd.op is None and id(nd) not in aux_ids]
        self.aux_nodes = [nd for nd in order if nd.op is None and id(nd) in aux_ids]
        self.arg_slots = [slot_of[(id(nd), 0)] for nd in self.arg_nodes]
        self.aux_slots = [slot_of[(id(nd), 0)] for nd in self.aux_nodes]
        self.steps = []
        for node in order:
            if node.op is None:
                continue
            ins = [slot_of[(id(src), i)] for src, i in node.inputs]
            outs = [slot_of[(id(node), i)] for i in range(node.num_total())]
            self.steps.append(Step(node, ins, outs))
        self.steps_by_out = {s: k for k, step in enumerate(self.steps) for s in step.outs}
        self.head_slots = [slot_of[(id(nd), i)] for nd, i in self.heads]
        self.last_use = {}
        for k, step in enumerate(self.steps):
            for s in step.ins:
                self.last_use[s] = k
        for s in self.head_slots:
            self.last_use[s] = len(self.steps)

    def readers(self):
        """slot -> indices of the steps reading it."""
        out = {}
        for k, step in enumerate(self.steps):
            for s in step.ins:
                out.setdefault(s, []).append(k)
        return out

    def backward_steps(self, grad_arg_slots):
        """Indices of the steps whose backward is needed to reach ``grad_arg_slots``, and the set
        of slots whose gradients matter."""
        needs = set(grad_arg_slots)
        chosen = []
        for k, step in enumerate(self.steps):
            if any(s in needs for s in step.ins):
                needs.update(step.outs)
                chosen.append(k)
        return chosen, needs

    def describe(self, shapes=None, dtypes=None, backward=None, persistent_bytes=0, memory=None):
        """A readable listing of the plan: one block per step, with slots and attributes."""
        lines = ["Symbol Outputs:"]
        for node, i in self.heads:
            lines.append(f"\toutput[{len(lines) - 1}]={node.name}({i})")
        for node in self.order:
            if node.op is None:
                lines.append(f"Variable:{node.name}")
                continue
            lines.append("-" * 40)
            lines.append(f"Op:{node.op.name}, Name={node.name}")
            lines.append("Inputs:")
            for i, (src, idx) in enumerate(node.inputs):
                slot = self.slot_of[(id(src), idx)]
                lines.append(f"\targ[{i}]={src.name}({idx}) version=0 slot={slot}"
                             + _shape_note(shapes, dtypes, slot))
            if node.attrs:
                lines.append("Attrs:")
                lines.extend(f"\t{k}={v}" for k, v in sorted(node.attrs.items()))
            outs = [self.slot_of[(id(node), i)] for i in range(node.num_total())]
            lines.append("Outputs: " + ", ".join(f"slot={s}" + _shape_note(shapes, dtypes, s)
                                                 for s in outs))
        if backward is not None:
            lines.append("-" * 40)
            lines.append("Backward steps (in order): " + ", ".join(u.name for u in backward))
        if shapes is not None:
            variables = set(self.arg_slots) | set(self.aux_slots)
            total = sum(_nbytes(shapes.get(s), dtypes.get(s)) for s in range(self.n_slots)
                        if s not in variables)
            if memory is not None:
                lines.extend(memory.describe())  # "Total N MB allocated": MXNet's wording
            lines.append(f"Intermediate values: {total} bytes per forward if all were kept; "
                         f"allocated at bind: {persistent_bytes} bytes (outputs and gradient "
                         f"buffers)")
        return "\n".join(lines)


def _nbytes(shape, dtype):
    if shape is None or dtype is None:
        return 0
    return int(np.prod(shape)) * np.dtype(dtype).itemsize


def _shape_note(shapes, dtypes, slot):
    if not shapes or shapes.get(slot) is None:
        return ""
    dt = dtypes.get(slot) if dtypes else None
    return f" shape={tuple(shapes[slot])}" + (f" {np.dtype(dt).name}" if dt is not None else "")


def describe_symbol(symbol):
    """``Symbol.debug_str``: the plan listing without shapes or backward."""
    return Plan(symbol).describe()
