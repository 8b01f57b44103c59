"""Shape and dtype inference over a symbol graph.

Each op's rule sees the currently known input shapes (None = unknown) and returns its view of the
input and output shapes; the graph keeps every entry's shape and sweeps until nothing changes, so
rules may fill in inputs (that is how ``simple_bind`` learns ``fc_weight``) and information flows
backwards too. A disagreement raises MXNetError naming the node, the input, the provided and the
inferred value.
"""
import re

import numpy as np

from ..base import MXNetError

__all__ = ["infer_graph", "is_known_shape"]


def is_known_shape(shape):
    return shape is not None and all(d > 0 for d in shape)


def _fmt_shape(s):
    return "[" + ",".join(str(d) for d in s) + "]"


def _describe(kind, value):
    if kind == "shape":
        return _fmt_shape(value), "(" + ",".join(str(d) for d in value) + ")"
    return np.dtype(value).name, np.dtype(value).name


def _merge(old, new, kind):
    """Combine two views of one entry; None when they disagree.

    Shapes may be partial (a 0 dimension is unknown): dims are unified one by one. Types must be
    equal.
    """
    if old is None:
        return new
    if kind != "shape":
        return old if old == new else None
    if len(old) != len(new):
        return None
    merged = []
    for a, b in zip(old, new):
        if a and b and a != b:
            return None
        merged.append(a or b)
    return tuple(merged)


def _rule_view(op, shapes):
    """Input shapes as the op's rule sees them: ops not declared partial-aware get None for a
    partially known shape."""
    if getattr(op, "partial_shapes", False):
        return shapes
    return [s if s is None or is_known_shape(s) else None for s in shapes]


def _normalise(value, kind):
    return tuple(int(d) for d in value) if kind == "shape" else np.dtype(value)


def infer_graph(order, known, kind):
    """Infer ``kind`` ('shape' or 'type') for every entry of the graph ``order`` (topological).

    ``known`` maps variable names to given values (shapes may be partial: 0 = unknown dim).
    Returns a dict ``(id(node), index) -> value or None``; shapes may stay partial.
    """
    values = {}
    for node in order:
        if node.op is None:
            values[(id(node), 0)] = known.get(node.name)

    def update(key, new, where):
        old = values.get(key)
        merged = _merge(old, new, kind)
        if merged is None:
            given, inferred = _describe(kind, old)[0], _describe(kind, new)[1]
            what = "Shape" if kind == "shape" else "Type"
            raise MXNetError(f"Error in operator {where}: {what} inconsistent, Provided = "
                             f"{given}, inferred {kind}={inferred}")
        if old is None or merged != old:  # (np.dtype == None compares None as float64)
            values[key] = merged
            return True
        return False

    for _ in range(2 * len(order) + 2):
        changed = False
        for node in order:
            if node.op is None:
                continue
            ins = [values.get((id(n), i)) for n, i in node.inputs]
            try:
                if kind == "shape":
                    new_ins, outs = node.op.infer_shape(node.params, _rule_view(node.op, ins))
                else:
                    new_ins, outs = node.op.types(node.params, ins)
            except MXNetError as err:
                # op rules only know the op's name; the message names the node, as MXNet's does
                msg = re.sub(r"^Error in operator [^:]*: ", "", str(err))
                raise MXNetError(f"Error in operator {node.name}: {msg}") from None
            names = node.input_names()
            for pos, ((src, idx), new) in enumerate(zip(node.inputs, new_ins)):
                if new is not None:
                    where = f"{node.name} at input {pos} ({names[pos]})"
                    changed |= update((id(src), idx), _normalise(new, kind), where)
            for idx, new in enumerate(outs):
                if new is not None:
                    changed |= update((id(node), idx), _normalise(new, kind),
                                      f"{node.name} output {idx}")
        if not changed:
            break
    return values
