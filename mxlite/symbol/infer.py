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


def infer_graph(order, known, kind):
    """Infer ``kind`` ('shape' or 'type') for every entry of the graph ``order`` (topological).

    ``known`` maps variable names to given values. Returns a dict ``(id(node), index) -> value or
    None``.
    """
    values = {}
    for node in order:
        if node.op is None:
            values[(id(node), 0)] = known.get(node.name)
    for _ in range(2 * len(order) + 2):
        changed = False
        for node in order:
            if node.op is None:
                continue
            ins = [values.get((id(n), i)) for n, i in node.inputs]
            try:
                if kind == "shape":
                    new_ins, outs = node.op.infer_shape(node.params, ins)
                else:
                    new_ins, outs = node.op.types(node.params, ins)
            except MXNetError as err:
                # op rules only know the op's name; the message names the node, as MXNet's does
                msg = re.sub(r"^Error in operator [^:]*: ", "", str(err))
                raise MXNetError(f"Error in operator {node.name}: {msg}") from None
            for pos, ((src, idx), new) in enumerate(zip(node.inputs, new_ins)):
                if new is None:
                    continue
                new = tuple(new) if kind == "shape" else np.dtype(new)
                old = values.get((id(src), idx))
                if old is None:
                    values[(id(src), idx)] = new
                    changed = True
                elif old != new:
                    given, inferred = _describe(kind, old)[0], _describe(kind, new)[1]
                    what = "Shape" if kind == "shape" else "Type"
                    raise MXNetError(
                        f"Error in operator {node.name}: {what} inconsistent at input "
                        f"{pos} ({node.input_names()[pos]}), Provided = {given}, "
                        f"inferred {kind}={inferred}")
            for idx, new in enumerate(outs):
                if new is None:
                    continue
                new = tuple(new) if kind == "shape" else np.dtype(new)
                old = values.get((id(node), idx))
                if old is None:
                    values[(id(node), idx)] = new
                    changed = True
                elif old != new:
                    given, inferred = _describe(kind, old)[0], _describe(kind, new)[1]
                    raise MXNetError(f"Error in operator {node.name}: output {idx} inconsistent, "
                                     f"Provided = {given}, inferred {kind}={inferred}")
        if not changed:
            break
    return values
