"""Lowering: a Symbol becomes a flat ``Plan`` of steps over numbered value slots.

Built once at bind. Every node output (hidden outputs included) gets a slot; variables are slots
filled from the bound arrays; each op node becomes one ``Step`` naming its input and output slots.
The executor walks ``steps`` forward and the backward subset in reverse with no graph traversal. The
plan also records liveness: the step after which each slot is no longer read, used to drop values
early when no backward pass will need them.
"""
import numpy as np

from .symbol.node import topo_order

__all__ = ["Step", "Plan", "describe_symbol"]

# Activations whose backward the GPU kernel fuses with FullyConnected's bias gradient.
FUSABLE_ACTS = ("relu", "sigmoid", "tanh", "softrelu")


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
        self.fc_act_pairs = self._find_fc_activation_pairs()
        self.last_use = {}
        for k, step in enumerate(self.steps):
            for s in step.ins:
                self.last_use[s] = k
        for s in self.head_slots:
            self.last_use[s] = len(self.steps)

    def _find_fc_activation_pairs(self):
        """{activation step: FullyConnected step} where the activation is the only reader of a
        FullyConnected-with-bias output that is not a head: on a GPU their backward fuses the
        activation's derivative with the bias-gradient reduction (one pass over memory)."""
        readers = {}
        for k, step in enumerate(self.steps):
            for s in step.ins:
                readers.setdefault(s, []).append(k)
        heads = set(self.head_slots)
        pairs = {}
        for k, step in enumerate(self.steps):
            if step.op.name != "Activation" or step.params["act_type"] not in FUSABLE_ACTS:
                continue
            src = self.steps_by_out.get(step.ins[0])
            if src is None:
                continue
            fc = self.steps[src]
            if (fc.op.name == "FullyConnected" and not fc.params["no_bias"]
                    and readers.get(step.ins[0]) == [k] and step.ins[0] not in heads):
                pairs[k] = src
        return pairs

    def release_schedule(self):
        """For each step, the slots whose values can be dropped after it (forward-only runs)."""
        keep = set(self.arg_slots) | set(self.aux_slots) | set(self.head_slots)
        schedule = [[] for _ in self.steps]
        for k, step in enumerate(self.steps):
            for s in step.outs:
                last = self.last_use.get(s, k)
                if s not in keep and last < len(self.steps):
                    schedule[last].append(s)
        return schedule

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

    def describe(self, shapes=None, dtypes=None, backward=None, persistent_bytes=0):
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
            lines.append("Backward steps (reverse order): "
                         + ", ".join(f"_backward_{self.steps[k].op.name}({self.steps[k].name})"
                                     for k in reversed(backward)))
        if shapes is not None:
            variables = set(self.arg_slots) | set(self.aux_slots)
            total = sum(_nbytes(shapes.get(s), dtypes.get(s)) for s in range(self.n_slots)
                        if s not in variables)
            lines.append(f"Total {total >> 20} MB allocated")  # MXNet's wording, whole MB
            lines.append(f"Intermediate values: {total} bytes per forward; allocated at bind: "
                         f"{persistent_bytes} bytes (outputs and gradient buffers)")
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
