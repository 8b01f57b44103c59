"""Shape and dtype inference over a symbol graph.

Each op's rule sees the currently known input shapes (None = unknown) and returns its view of the
input and output shapes; the graph keeps every entry's shape and sweeps until nothing changes, so
rules may fill in inputs (that is how ``simple_bind`` learns ``fc_weight``) and information flows
backwards too. A disagreement raises MXNetError naming the node, the input, the provided and the
inferred value.

Partially known shapes (a 0 dimension is unknown, as in MXNet's legacy mode) reach every op:

- an op whose rule understands them (``OpDef.partial_shapes``) gets them as they are;
- any other op's rule is run with each unknown dimension replaced by stand-in sizes (two large
  highly divisible ones and a small one): an output or input dimension that comes out the same in
  every run that succeeds does not depend on the unknown ones and is known; the others stay 0;
- an op with a ``fill_inputs`` rule also learns unknown input dimensions from known outputs
  (Reshape, transpose, Concat ...), and creation ops take their unknown dimensions from consumers.
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


#: sizes an unknown dimension stands for when an op's rule is evaluated on partial shapes: two
#: large ones divisible by every small factor (splits, strides, -4 reshapes stay valid) ...
_LARGE_STAND_INS = (7207200, 12252240)
#: ... and small ones, of which at least one must fit too: they expose clipping (slice ends,
#: min(...), diagonals) and the special role of 1 (squeeze, broadcasting)
_SMALL_STAND_INS = (1, 2, 3, 5, 8, 13, 64, 97)


def _apply_rule(op, params, shapes):
    """``op.infer_shape`` on input shapes that may be partial (see the module docstring)."""
    if op.partial_shapes or all(s is None or is_known_shape(s) for s in shapes):
        return op.infer_shape(params, shapes)
    runs = {}
    for size in _LARGE_STAND_INS + _SMALL_STAND_INS:
        filled = [s if s is None else tuple(d if d else size for d in s) for s in shapes]
        try:
            runs[size] = op.infer_shape(params, filled)
        except Exception:  # a stand-in the rule refuses: this run says nothing
            continue
    if any(size not in runs for size in _LARGE_STAND_INS) or len(runs) == 2:
        return _solve_one_dim(op, params, shapes)
    runs = list(runs.values())
    ins = [_agree([r[0][i] for r in runs], given) for i, given in enumerate(shapes)]
    outs = [_agree([r[1][i] for r in runs]) for i in range(len(runs[0][1]))]
    return ins, outs


def _solve_one_dim(op, params, shapes):
    """When the stand-in runs fail, the single unknown dimension is tied to a known one (a
    Convolution's channels to its weight, stacked inputs to each other): the rule is run with each
    size the other dimensions take, and what the runs that succeed agree on is known."""
    unknown = [(i, j) for i, s in enumerate(shapes) if s is not None
               for j, d in enumerate(s) if not d]
    known = {d for s in shapes if s is not None for d in s if d}
    candidates = sorted(set(range(1, 17)) | known | {d * k for d in known for k in (2, 3, 4)})
    solutions = []
    if len(unknown) == 1:
        (i, j), = unknown
        for size in candidates:
            filled = list(shapes)
            filled[i] = tuple(size if k == j else d for k, d in enumerate(shapes[i]))
            try:
                solutions.append(op.infer_shape(params, filled))
            except Exception:
                continue
    if not solutions:
        return list(shapes), [None] * op.n_total(params)
    # several sizes fit (a broadcast against 1 or n): keep what they agree on
    return ([_agree([r[0][i] for r in solutions], given) for i, given in enumerate(shapes)],
            [_agree([r[1][i] for r in solutions]) for i in range(len(solutions[0][1]))])


def _agree(views, given=None):
    """One shape from the runs' views: dims equal in every run are known, the others 0."""
    if any(v is None for v in views) or len({len(v) for v in views}) != 1:
        return given
    return tuple(int(d[0]) if len(set(d)) == 1 else 0 for d in zip(*views))


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
                    new_ins, outs = _apply_rule(node.op, node.params, ins)
                    if node.op.fill_inputs is not None:
                        known_outs = [values.get((id(node), i)) for i in range(len(outs))]
                        if any(o is not None for o in known_outs):
                            new_ins = node.op.fill_inputs(node.params, list(new_ins), known_outs)
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
