"""Plan rewrites the ops declare: today, backward fusions (``ops.registry.BackwardFusion``).

A fusion merges the backward units of a producer step and its only consumer into one unit, so a
GPU kernel can do both in one pass over memory (FullyConnected's bias gradient with the
activation's derivative, declared in ``ops/fully_connected.py``). Forward steps are never
touched: monitor callbacks and internal outputs see the same values as MXNet.
"""
from .graph import BackwardUnit
from .ops import registry

__all__ = ["backward_units"]


def backward_units(plan, bwd_steps, kernel_of, device):
    """The backward units for ``bwd_steps`` (forward step indices), in the order backward runs
    them, with the fusions declared for ``device`` applied. ``kernel_of(op)`` picks an op's
    backward function for the context."""
    fusions = [f for f in registry.fusions() if f.device == device]
    chosen = set(bwd_steps)
    fused = {}   # consumer step -> (fusion, producer step)
    if fusions:
        readers = plan.readers()
        heads = set(plan.head_slots)
        for k in bwd_steps:
            step = plan.steps[k]
            for f in fusions:
                if step.op.name != f.consumer or not step.ins:
                    continue
                src = plan.steps_by_out.get(step.ins[0])
                if src is None or src not in chosen:
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
        if k in fused:
            f, src = fused[k]
            prod = plan.steps[src]
            units.append(BackwardUnit(
                f"_backward_{f.name}({prod.name},{step.name})", (src, k), src, f.name,
                f.backward, (prod.params, step.params), prod.ins, step.outs,
                step.outs[:step.n_visible], True, f.reads, prod.aux_ins))
        else:
            units.append(BackwardUnit.of_step(k, step, kernel_of(step.op)))
    return units
