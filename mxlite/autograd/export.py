"""``autograd.get_symbol``: the recorded history of an array as a Symbol."""
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from .tape import CustomNode, live_entry

__all__ = ["get_symbol"]


def get_symbol(x):
    """The recorded computation that produced ``x``, as a Symbol.

    Variables are named as MXNet names them (``varN`` for marked variables, ``nullN`` for
    constants) and op nodes ``node_N``; copies become ``_copy`` and basic indexing ``slice`` (plus
    a ``Reshape`` for integer indices). A step recorded from Python (``autograd.Function``,
    advanced indexing) has no symbolic form and raises MXNetError.
    """
    assert isinstance(x, NDArray), \
        f"get_symbol: Invalid argument type, expecting {NDArray}, got {type(x)}"
    from .. import symbol as sym
    e = live_entry(x)
    if e is None:
        raise MXNetError("get_symbol: the array has no recorded history (record it under "
                         "autograd.record() and do not free it with backward)")
    made = {}

    def build(node):
        if id(node) in made:
            return made[id(node)]
        if node.is_var:
            s = sym.var(node.name)
        elif isinstance(node, CustomNode) and node.name == "_copyto":
            src, idx = node.ins[0]
            s_in = build(src)
            s = sym._copy(s_in[idx] if len(s_in.list_outputs()) > 1 else s_in,
                          name=f"node_{node.seq}")
        elif isinstance(node, CustomNode) and node.name == "slice" and node.attrs:
            src, idx = node.ins[0]
            s_in = build(src)
            attrs, reshape = node.attrs
            s = sym.slice(s_in[idx] if len(s_in.list_outputs()) > 1 else s_in,
                          name=f"node_{node.seq}", **attrs)
            if reshape is not None:
                s = sym.Reshape(s, shape=reshape, name=f"node_{node.seq}_reshape")
        elif isinstance(node, CustomNode):
            raise MXNetError(f"get_symbol: the history contains {node.name}, a step recorded "
                             f"from Python, which has no symbolic form")
        else:
            args = []
            for src, idx in node.ins:
                s_in = build(src)
                args.append(s_in[idx] if len(s_in.list_outputs()) > 1 else s_in)
            attrs = {k: v for k, v in (node.attrs or {}).items() if k != "ctx"}
            s = getattr(sym, node.op.name)(*args, name=f"node_{node.seq}", **attrs)
        made[id(node)] = s
        return s

    # deep histories: build leaves first so the recursion stays shallow
    stack, order, seen = [e[0]], [], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        if not n.is_var:
            stack.extend(src for src, _ in n.ins)
    for n in sorted(order, key=lambda n: n.seq):
        build(n)
    out = build(e[0])
    return out[e[1]] if len(out.list_outputs()) > 1 else out
