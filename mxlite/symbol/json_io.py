"""Symbol JSON in MXNet's format: the exact text MXNet 1.9 writes, and a validating reader.

The writer reproduces dmlc's JSONWriter layout (2-space indent, ``", "`` separators with the
trailing space before a newline, single-key objects and integer lists inline) so a file round-trips
byte for byte. The reader accepts files of older MXNet versions (``attr``/``param`` keys,
two-element input entries), and treats the text as untrusted: every index is checked, an unknown
op names the op and the node, and every size is bounded before anything is built from it:

- ``MAX_JSON_CHARS``: length of the text (64 Mi characters; ResNet-152's file is about 200 K);
- ``MAX_NODES``: nodes in the graph (1 M);
- ``MAX_NODE_IO``: inputs or outputs of one node (``num_args``, ``num_outputs``: 65536);
- ``MAX_ATTR_CHARS``: length of one attribute value (``mxlite.ops.params.MAX_ATTR_CHARS``, 64 Ki,
  with ``MAX_ATTR_NESTING`` brackets);
- nesting of the JSON itself: MXNet's layout is 4 levels deep; anything deeper than
  ``MAX_JSON_NESTING`` is refused before it is parsed.

The limits are module attributes: raise one (``mxlite.symbol.json_io.MAX_NODES = ...``) to load a
larger file you trust. Every failure is an MXNetError naming the file (when there is one), the node
and the field.
"""
import json
import re

from ..base import MXNetError
from ..ops import params as params_mod
from ..ops import registry
from .node import Node, topo_order

MXNET_VERSION = 10901

MAX_JSON_CHARS = 64 << 20
MAX_NODES = 1 << 20
MAX_NODE_IO = 1 << 16
MAX_JSON_NESTING = 64

__all__ = ["to_json", "from_json", "read_json_file", "MAX_JSON_CHARS", "MAX_NODES",
           "MAX_NODE_IO", "MAX_JSON_NESTING"]


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


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_nesting(text, source):
    """Refuse JSON nested deeper than ``MAX_JSON_NESTING`` before ``json`` recurses into it."""
    depth = 0
    if text.count("[") + text.count("{") <= MAX_JSON_NESTING:
        return
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > MAX_JSON_NESTING:
                raise _bad(source, f"nested deeper than {MAX_JSON_NESTING} levels at character "
                                   f"{m.start()} (mxlite.symbol.json_io.MAX_JSON_NESTING)")
        elif tok in "]}":
            depth -= 1


def _attr_value(value, source, where, key):
    """An attribute value as the string MXNet stores (numbers and bools printed as JSON does)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)) or value is None:
        text = json.dumps(value)
    else:
        raise _bad(source, f"{where}: attribute '{_short(key)}' must be a string, got "
                           f"{type(value).__name__}")
    if len(text) > params_mod.MAX_ATTR_CHARS:
        raise _bad(source, f"{where}: attribute '{_short(key)}' is {len(text)} characters long, "
                           f"more than the {params_mod.MAX_ATTR_CHARS} allowed "
                           f"(mxlite.ops.params.MAX_ATTR_CHARS)")
    return text


def _short(text, limit=60):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _list_field(value, source, what):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(source, f"{what} must be a list, got {type(value).__name__}")
    return value


def _io_count(attrs, key, source, where):
    """``num_args`` / ``num_outputs`` of a node, bounded by ``MAX_NODE_IO`` before any list of
    that length is built."""
    if key not in attrs:
        return
    try:
        value = int(attrs[key].strip()) if len(attrs[key]) < 32 else None
    except ValueError:
        return  # the op's own parser names the bad value
    if value is None or value > MAX_NODE_IO:
        raise _bad(source, f"{where}: {key}={_short(attrs[key])} is more than the "
                           f"{MAX_NODE_IO} allowed (mxlite.symbol.json_io.MAX_NODE_IO)")


def read_json_file(fname):
    """The text of a symbol file, bounded by ``MAX_JSON_CHARS`` and decoded as UTF-8 (MXNetError
    naming the file otherwise)."""
    try:
        with open(fname, "rb") as f:
            raw = f.read(MAX_JSON_CHARS * 4 + 1)
    except OSError as err:
        raise MXNetError(f"Cannot open symbol file {fname}: {err.strerror}") from None
    if len(raw) > MAX_JSON_CHARS * 4:
        raise _bad(fname, f"the file is larger than {MAX_JSON_CHARS * 4} bytes "
                          f"(mxlite.symbol.json_io.MAX_JSON_CHARS)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _bad(fname, f"not UTF-8 text (byte {err.start}: {err.reason})") from None


def from_json(text, source=None):
    """Parse MXNet symbol JSON into a Symbol, validating every reference and size."""
    from .symbol import Symbol
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise _bad(source, f"not UTF-8 text (byte {err.start}: {err.reason})") from None
    if not isinstance(text, str):
        raise TypeError(f"symbol JSON must be str, got {type(text).__name__}")
    if len(text) > MAX_JSON_CHARS:
        raise _bad(source, f"{len(text)} characters, more than the {MAX_JSON_CHARS} allowed "
                           f"(mxlite.symbol.json_io.MAX_JSON_CHARS)")
    _check_nesting(text, source)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise _bad(source, f"not JSON ({_short(err, 200)})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise _bad(source, "expected an object with a 'nodes' list")
    if len(doc["nodes"]) > MAX_NODES:
        raise _bad(source, f"{len(doc['nodes'])} nodes, more than the {MAX_NODES} allowed "
                           f"(mxlite.symbol.json_io.MAX_NODES)")
    nodes = []
    for i, jn in enumerate(doc["nodes"]):
        if not isinstance(jn, dict):
            raise _bad(source, f"node {i} is not an object")
        op_name, name = jn.get("op"), jn.get("name")
        if not isinstance(op_name, str) or not isinstance(name, str):
            raise _bad(source, f"node {i} needs string 'op' and 'name'")
        where = f"node {i} ('{_short(name)}', op {_short(op_name)})"
        attrs = {}
        for key in ("param", "attr", "attrs"):
            value = jn.get(key) or {}
            if not isinstance(value, dict):
                raise _bad(source, f"{where}: '{key}' must be an object, got "
                                   f"{type(value).__name__}")
            attrs.update({str(k): _attr_value(v, source, where, k) for k, v in value.items()})
        inputs, versions = [], []
        for entry in _list_field(jn.get("inputs"), source, f"{where}: 'inputs'"):
            if not isinstance(entry, list) or len(entry) not in (2, 3):
                raise _bad(source, f"{where}: bad input entry {_short(entry)} (expected "
                                   f"[node id, output index, version])")
            src = _as_int(entry[0], source, f"{where} input node id")
            idx = _as_int(entry[1], source, f"{where} input output index")
            if not 0 <= src < i:
                raise _bad(source, f"{where} refers to node {src}, which does not precede it")
            if not 0 <= idx < nodes[src].num_total():
                raise _bad(source, f"{where} uses output {idx} of node "
                                   f"{nodes[src].name}, which has {nodes[src].num_total()}")
            inputs.append((nodes[src], idx))
            versions.append(_as_int(entry[2], source, f"{where} input version")
                            if len(entry) == 3 else 0)
        if op_name == "null":
            if inputs:
                raise _bad(source, f"variable node {i} ({name}) has inputs")
            nodes.append(Node(None, name, attrs))
            continue
        if not registry.exists(op_name):
            raise MXNetError(f"Cannot find operator {_short(op_name)} (node {i} "
                             f"'{_short(name)}') while loading symbol JSON"
                             f"{' ' + source if source else ''}"
                             f"{params_mod.did_you_mean(op_name, registry.all_names())}")
        op = registry.get(op_name)
        for key in ("num_args", "num_outputs"):
            _io_count(attrs, key, source, where)
        try:
            params = op.parse(attrs)
        except MXNetError as err:
            raise MXNetError(f"{where}: {err}") from None
        if op.variadic:
            try:
                params["num_args"] = int(attrs.get("num_args", len(inputs)))
            except ValueError:
                raise _bad(source, f"{where}: num_args={_short(attrs['num_args'])} is not an "
                                   f"int") from None
            if params["num_args"] != len(inputs):
                raise _bad(source, f"{where} has {len(inputs)} inputs, expected "
                                   f"num_args={params['num_args']}")
        try:
            n_out = op.n_total(params)
        except (TypeError, ValueError, KeyError):
            n_out = None
        if n_out is not None and not 0 <= n_out <= MAX_NODE_IO:
            raise _bad(source, f"{where} has {n_out} outputs, more than the {MAX_NODE_IO} "
                               f"allowed (mxlite.symbol.json_io.MAX_NODE_IO)")
        node = Node(op, name, attrs, inputs, params, versions)
        expected = len(node.input_names())
        if len(inputs) != expected:
            raise _bad(source, f"{where} has {len(inputs)} inputs, expected {expected} "
                               f"({', '.join(node.input_names())})")
        nodes.append(node)
    heads = []
    for entry in _list_field(doc.get("heads"), source, "'heads'"):
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise _bad(source, f"bad head entry {_short(entry)}")
        src = _as_int(entry[0], source, "head node id")
        idx = _as_int(entry[1], source, "head output index")
        if not 0 <= src < len(nodes) or not 0 <= idx < nodes[src].num_total():
            raise _bad(source, f"head {_short(entry)} refers to a missing node or output")
        heads.append((nodes[src], idx))
    if not heads:
        raise _bad(source, "no heads")
    return Symbol(heads)
