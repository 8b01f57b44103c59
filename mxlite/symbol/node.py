"""Graph nodes: a Node is a variable (``op is None``) or one op application with its inputs."""
__all__ = ["Node", "topo_order"]


class Node:
    """One vertex of a symbol graph.

    Attributes
    ----------
    op : OpDef or None
        None for a variable.
    name : str
    attrs : dict of str -> str
        Attribute strings exactly as given (op parameters, ``__shape__``, scope attributes); the
        JSON writer prints these back.
    inputs : list of (Node, int)
        Input entries: producing node and its output index.
    params : Params or None
        ``attrs`` parsed by the op's schema (None for variables).
    """

    __slots__ = ("op", "name", "attrs", "inputs", "params", "versions")

    def __init__(self, op, name, attrs=None, inputs=None, params=None, versions=None):
        if op is not None and op.specialize is not None and params is not None:
            op = op.specialize(params)  # Custom: the node's own arity and gradient needs
        self.op = op
        self.name = name
        self.attrs = dict(attrs or {})
        self.inputs = list(inputs or [])
        self.params = params
        # nnvm's per-input entry versions when read from JSON (written back unchanged); None for
        # nodes built in Python, where a variable feeding a mutable (aux) input is at version 1
        self.versions = versions

    def input_versions(self):
        if self.versions is not None:
            return self.versions
        aux = self.aux_positions()
        return [int(pos in aux and src.op is None) for pos, (src, _) in enumerate(self.inputs)]

    @property
    def is_variable(self):
        return self.op is None

    def num_visible(self):
        return 1 if self.op is None else self.op.n_visible(self.params)

    def num_total(self):
        return 1 if self.op is None else self.op.n_total(self.params)

    def output_name(self, index):
        """``<name>_output`` style name of visible output ``index`` (a variable's own name)."""
        if self.op is None:
            return self.name
        return f"{self.name}_{self.op.out_names(self.params)[index]}"

    def input_names(self):
        return [] if self.op is None else self.op.input_names(self.params)

    def aux_positions(self):
        """Indices of inputs that are auxiliary states."""
        if self.op is None or not self.op.aux:
            return ()
        names = self.input_names()
        return tuple(i for i, n in enumerate(names) if n in self.op.aux)

    def __repr__(self):
        return f"<Node {self.name} {'var' if self.op is None else self.op.name}>"


def topo_order(heads):
    """Nodes reachable from ``heads`` (list of (Node, idx)) in DFS post-order, inputs in order."""
    order, seen = [], set()
    for head, _ in heads:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, i = stack.pop()
            if i < len(node.inputs):
                stack.append((node, i + 1))
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
    return order
