"""Symbol JSON in MXNet's format: the exact text MXNet 1.9 writes, and a validating reader.

The writer reproduces dmlc's JSONWriter layout (2-space indent, ``", "`` separators with the
trailing space before a newline, single-key objects and integer lists inline) so a file round-trips
byte for byte. The reader accepts files of older MXNet versions (``attr``/``param`` keys,
two-element input entries), and treats the text as untrusted: every index is checked, and an unknown
op names the op and the node.
"""
import json

from ..base import MXNetError
from ..ops import registry
from .node import Node, topo_order

MXNET_VERSION = 10901

__all__ = ["to_json", "from_json"]


def _s(text):
    return json.dumps(text, ensure_ascii=False)


def _attrs_text(attrs, indent):
    items = sorted(attrs.items())
    if len(items) == 1:
        k, v = items[0]
        return "{" + f"{_s(k)}: {_s(v)}" + "}"
    pad = " " * (indent + 2)
    body = ", \n".join(f"{pad}{_s(k)}: {_s(v)}" for k, v in items)
    return "{\n" + body + "\n" + " " * indent + "}"


def _list(items, indent):
    """dmlc writes an array inline up to 10 elements, else one element per line."""
    items = list(items)
    if len(items) <= 10:
        return "[" + ", ".join(items) + "]"
    pad = " " * (indent + 2)
    return "[\n" + ", \n".join(pad + it for it in items) + "\n" + " " * indent + "]"


def _entries(entries, indent):
    return _list(("[" + ", ".join(str(x) for x in e) + "]" for e in entries), indent)


def to_json(symbol):
    """MXNet's JSON text for ``symbol``."""
    order = topo_order(symbol._heads)
    index = {id(n): i for i, n in enumerate(order)}
    node_texts = []
    for node in order:
        fields = [f'"op": {_s("null" if node.op is None else node.op.name)}',
                  f'"name": {_s(node.name)}']
        if node.attrs:
            fields.append(f'"attrs": {_attrs_text(node.attrs, 6)}')
        fields.append('"inputs": ' + _entries(
            ([index[id(n)], i, v] for (n, i), v in zip(node.inputs, node.input_versions())), 6))
        node_texts.append("    {\n" + ", \n".join("      " + f for f in fields) + "\n    }")
    row_ptr = [0]
    for node in order:
        row_ptr.append(row_ptr[-1] + node.num_total())
    arg_nodes = [i for i, n in enumerate(order) if n.op is None]
    parts = [
        '"nodes": [\n' + ", \n".join(node_texts) + "\n  ]",
        '"arg_nodes": ' + _list(map(str, arg_nodes), 2),
        '"node_row_ptr": ' + _list(map(str, row_ptr), 2),
        '"heads": ' + _entries(([index[id(n)], i, 0] for n, i in symbol._heads), 2),
        '"attrs": {"mxnet_version": ["int", ' + str(MXNET_VERSION) + "]}",
    ]
    return "{\n" + ", \n".join("  " + p for p in parts) + "\n}"


def _bad(source, msg):
    where = f" in {source}" if source else ""
    return MXNetError(f"Invalid symbol JSON{where}: {msg}")


def _as_int(value, source, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(source, f"{what} must be an integer, got {value!r}")
    return value


def from_json(text, source=None):
    """Parse MXNet symbol JSON into a Symbol, validating every reference."""
    from .symbol import Symbol
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise _bad(source, f"not JSON ({err})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise _bad(source, "expected an object with a 'nodes' list")
    nodes = []
    for i, jn in enumerate(doc["nodes"]):
        if not isinstance(jn, dict):
            raise _bad(source, f"node {i} is not an object")
        op_name, name = jn.get("op"), jn.get("name")
        if not isinstance(op_name, str) or not isinstance(name, str):
            raise _bad(source, f"node {i} needs string 'op' and 'name'")
        attrs = {}
        for key in ("param", "attr", "attrs"):
            value = jn.get(key) or {}
            if not isinstance(value, dict):
                raise _bad(source, f"node {i} ({name}): '{key}' must be an object")
            attrs.update({str(k): str(v) for k, v in value.items()})
        inputs, versions = [], []
        for entry in jn.get("inputs", []):
            if not isinstance(entry, list) or len(entry) not in (2, 3):
                raise _bad(source, f"node {i} ({name}): bad input entry {entry!r}")
            src = _as_int(entry[0], source, f"node {i} ({name}) input node id")
            idx = _as_int(entry[1], source, f"node {i} ({name}) input output index")
            if not 0 <= src < i:
                raise _bad(source, f"node {i} ({name}) refers to node {src}, which does not "
                                   f"precede it")
            if not 0 <= idx < nodes[src].num_total():
                raise _bad(source, f"node {i} ({name}) uses output {idx} of node "
                                   f"{nodes[src].name}, which has {nodes[src].num_total()}")
            inputs.append((nodes[src], idx))
            versions.append(_as_int(entry[2], source, "input version") if len(entry) == 3 else 0)
        if op_name == "null":
            if inputs:
                raise _bad(source, f"variable node {i} ({name}) has inputs")
            nodes.append(Node(None, name, attrs))
            continue
        if not registry.exists(op_name):
            raise MXNetError(f"Cannot find operator {op_name} (node {i} '{name}') while loading "
                             f"symbol JSON{' ' + source if source else ''}")
        op = registry.get(op_name)
        try:
            params = op.parse(attrs)
        except MXNetError as err:
            raise MXNetError(f"node {i} ('{name}', op {op_name}): {err}") from None
        if op.variadic:
            params["num_args"] = int(attrs.get("num_args", len(inputs)))
        node = Node(op, name, attrs, inputs, params, versions)
        expected = len(node.input_names())
        if len(inputs) != expected:
            raise _bad(source, f"node {i} ({name}, op {op_name}) has {len(inputs)} inputs, "
                               f"expected {expected} ({', '.join(node.input_names())})")
        nodes.append(node)
    heads = []
    for entry in doc.get("heads", []):
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise _bad(source, f"bad head entry {entry!r}")
        src = _as_int(entry[0], source, "head node id")
        idx = _as_int(entry[1], source, "head output index")
        if not 0 <= src < len(nodes) or not 0 <= idx < nodes[src].num_total():
            raise _bad(source, f"head {entry!r} refers to a missing node or output")
        heads.append((nodes[src], idx))
    if not heads:
        raise _bad(source, "no heads")
    return Symbol(heads)
