"""Plan rewrites the ops declare: element-wise fusion (``OpDef.pointwise``) and backward fusions
(``ops.registry.BackwardFusion``).

**Element-wise fusion** (:func:`pointwise_groups`, MXNet's ``MXNET_USE_FUSION`` analogue): maximal
groups of steps whose ops declare a scalar form, sharing one shape and a dtype the generated
kernels handle, become one forward step (one generated kernel, one pass over memory) and one
backward unit (one kernel computing every wanted input gradient from the head gradient,
recomputing the intermediates instead of keeping them). A step joins the group of its readers when
every reader is in that one group and its output is not a graph output; otherwise it ends a group
(its output is that group's output). So a group has exactly one output, and no value computed
inside it is needed outside: internals (``get_internals``) and multiply-read values end groups.
``MXLITE_FUSION=0`` turns it off; a monitored forward runs the steps unfused (the executor keeps
both programs).

**Backward fusions** merge the backward units of a producer step and its only consumer into one
unit, so a GPU kernel can do both in one pass over memory (FullyConnected's bias gradient with the
activation's derivative, declared in ``ops/fully_connected.py``). Forward is not touched.
"""
import os

from .graph import BackwardUnit
from .ops import pointwise, registry
from .ops.registry import BackwardReads

__all__ = ["backward_units", "pointwise_groups", "PointwiseGroup", "fusion_enabled"]

#: most steps in one fused group (the generated kernel grows with it, and so its compile time)
MAX_GROUP = 64


def fusion_enabled():
    """Whether element-wise fusion is on (``MXLITE_FUSION``, read at each bind; default on)."""
    return os.environ.get("MXLITE_FUSION", "1").strip() != "0"


class PointwiseGroup:
    """Steps fused into one: ``members`` (step indices, ascending; the last, ``root``, produces
    ``out``), ``ins`` (the slots read from outside, in the kernel's input order), ``interior``
    (slots computed and consumed inside, never materialised) and ``kernel``
    (a ``pointwise.FusedGroup``)."""

    def __init__(self, members, ins, out, kernel, steps):
        self.members = tuple(members)
        self.root = self.members[-1]
        self.ins = tuple(ins)
        self.out = out
        self.kernel = kernel
        self.interior = frozenset(steps[k].outs[0] for k in self.members[:-1])
        self.name = "_fused(" + ",".join(steps[k].name for k in self.members) + ")"

    def backward_unit(self):
        """The group's backward as one unit (at the root's place in the backward order)."""
        reads = BackwardReads(inputs=self.kernel.backward_inputs)
        return BackwardUnit(f"_backward{self.name}", self.members, self.root, "_fused",
                            self.kernel.backward, None, self.ins, (self.out,), (self.out,),
                            True, reads)


def _fusable(step, shapes, dtypes):
    """The step's Pointwise when it may join a group (one output, one shape and dtype)."""
    op = step.op
    if op.pointwise is None or len(step.outs) != 1 or step.aux_ins:
        return None
    out = step.outs[0]
    shape, dtype = shapes.get(out), dtypes.get(out)
    if shape is None or dtype is None or any(shapes.get(s) != shape or dtypes.get(s) != dtype
                                             for s in step.ins):
        return None
    try:
        pw = pointwise.declared(op, step.params)
    except (KeyError, TypeError, ValueError):
        return None
    return pw


def pointwise_groups(plan, shapes, dtypes, device, grad_slots=()):
    """The fused element-wise groups of ``plan`` for ``device`` (groups of two steps or more),
    with their kernels generated; empty when fusion is off or the process cannot run them.
    ``grad_slots`` are the slots whose gradients are wanted (the backward kernel computes only
    those inputs' gradients)."""
    if not fusion_enabled():
        return []
    steps = plan.steps
    decl = {}
    for k, step in enumerate(steps):
        pw = _fusable(step, shapes, dtypes)
        if pw is not None and dtypes[step.outs[0]] in pointwise.FUSABLE_DTYPES:
            decl[k] = pw
    if len(decl) < 2:
        return []
    readers = plan.readers()
    heads = set(plan.head_slots)
    group_of, members = {}, []
    for k in sorted(decl, reverse=True):
        out = steps[k].outs[0]
        owners = {group_of.get(r) for r in readers.get(out, ())}
        gid = owners.pop() if len(owners) == 1 else None
        if out in heads or gid is None or len(members[gid]) >= MAX_GROUP \
                or dtypes[out] != dtypes[steps[members[gid][0]].outs[0]]:
            gid = len(members)
            members.append([])
        group_of[k] = gid
        members[gid].append(k)
    groups = []
    for ks in members:
        # (asked only now: a plan without a group never loads numba)
        if len(ks) < 2 or not pointwise.group_supported(device, dtypes[steps[ks[0]].outs[0]]):
            continue
        ks = sorted(ks)
        rows = [(decl[k], steps[k].params, tuple(steps[k].ins), steps[k].outs[0]) for k in ks]
        try:
            traced, ins = pointwise.trace_group(rows)
        except (TypeError, AttributeError, ValueError):
            continue  # a declaration the tracer cannot model: the steps run unfused
        out = steps[ks[-1]].outs[0]
        wanted = [i for i, s in enumerate(ins) if s in grad_slots]
        name = ",".join(steps[k].name for k in ks)
        kernel = pointwise.FusedGroup(name, traced, shapes[out], dtypes[out], device, wanted)
        groups.append(PointwiseGroup(ks, ins, out, kernel, steps))
    groups.sort(key=lambda g: g.root)
    return groups


def backward_units(plan, bwd_steps, kernel_of, device, groups=()):
    """The backward units for ``bwd_steps`` (forward step indices), in the order backward runs
    them, with the element-wise ``groups`` (:func:`pointwise_groups`) and the fusions declared for
    ``device`` applied. ``kernel_of(op)`` picks an op's backward function for the context."""
    group_at = {}
    chosen = set(bwd_steps)
    for g in groups:
        if chosen & set(g.members):
            group_at[g.root] = g
            chosen -= set(g.members)
    bwd_steps = sorted(chosen | set(group_at))
    fusions = [f for f in registry.fusions() if f.device == device]
    fused = {}   # consumer step -> (fusion, producer step)
    if fusions:
        readers = plan.readers()
        heads = set(plan.head_slots)
        for k in bwd_steps:
            step = plan.steps[k]
            if k in group_at:
                continue
            for f in fusions:
                if step.op.name != f.consumer or not step.ins:
                    continue
                src = plan.steps_by_out.get(step.ins[0])
                if src is None or src not in chosen or src in group_at:
                    continue
                prod = plan.steps[src]
                if (prod.op.name == f.producer and prod.outs[0] == step.ins[0]
                        and readers.get(step.ins[0]) == [k] and step.ins[0] not in heads
                        and f.when(prod.params, step.params)):
                    fused[k] = (f, src)
                    break
    absorbed = {src for _, src in fused.values()}
    units = []
    for k in reversed(bwd_steps):
        if k in absorbed:
            continue
        step = plan.steps[k]
        if k in group_at:
            units.append(group_at[k].backward_unit())
        elif k in fused:
            f, src = fused[k]
            prod = plan.steps[src]
            units.append(BackwardUnit(
                f"_backward_{f.name}({prod.name},{step.name})", (src, k), src, f.name,
                f.backward, (prod.params, step.params), prod.ins, step.outs,
                step.outs[:step.n_visible], True, f.reads, prod.aux_ins))
        else:
            units.append(BackwardUnit.of_step(k, step, kernel_of(step.op)))
    return units
