"""Network pictures and tables (``mx.viz``): ``print_summary`` and ``plot_network``.

``print_summary`` prints MXNet's layer table (name(op), output shape, parameter count, previous
layer, totals) with MXNet's counting rules; ``plot_network`` returns a ``graphviz.Digraph`` and
needs the optional ``graphviz`` package (``pip install "mxlite[graphviz]"``).
"""
import json
import re
import warnings

from .symbol import Symbol

__all__ = ["print_summary", "plot_network"]


def _ints(text):
    return re.findall(r"\d+", text)


def _shape_dict(symbol, shape):
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**shape)
    if out_shapes is None:
        raise ValueError("Input shape is incomplete")
    return dict(zip(internals.list_outputs(), out_shapes))


def _param_count(node, pre_filter, shapes):
    op, attrs = node["op"], node.get("attrs", {})
    if op == "Convolution":
        count = pre_filter * int(attrs["num_filter"]) // int(attrs.get("num_group", "1"))
        for k in _ints(attrs["kernel"]):
            count *= int(k)
        if attrs.get("no_bias") != "True":
            count += int(attrs["num_filter"])
        return count
    if op == "FullyConnected":
        extra = 0 if attrs.get("no_bias") == "True" else 1
        return (pre_filter + extra) * int(attrs["num_hidden"])
    if op == "BatchNorm":
        return int(shapes[node["name"] + "_output"][1]) * 2 if shapes is not None else 0
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print the layer table of ``symbol`` (shapes when ``shape`` gives the input shapes).

    Parameters
    ----------
    symbol : Symbol
    shape : dict of str to tuple or None
    line_length : int
    positions : sequence of float or int
        Column ends, as fractions of ``line_length`` (or absolute when the last is > 1).
    """
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be Symbol")
    shapes = _shape_dict(symbol, shape) if shape is not None else None
    conf = json.loads(symbol.tojson())
    nodes = conf["nodes"]
    # MXNet's visualization.py takes the entries of the first head as "heads"
    heads = set(conf["heads"][0])
    positions = list(positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ""
        for end, field in zip(positions, fields):
            line = (line + str(field))[:end]
            line += " " * (end - len(line))
        print(line)

    def output_shape(node, idx):
        if shapes is None:
            return []
        key = node["name"] + "_output" if node["op"] != "null" else node["name"]
        return shapes[key][1:] if key in shapes else []

    print("_" * line_length)
    row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"])
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and i > 0:
            continue
        if node["op"] == "null" and i not in heads:
            out_shape = []
        else:
            out_shape = output_shape(node, i)
        previous, pre_filter = [], 0
        if node["op"] != "null":
            for item in node["inputs"]:
                src = nodes[item[0]]
                if src["op"] != "null" or item[0] in heads:
                    previous.append(src["name"])
                    if shapes is not None:
                        key = src["name"] + "_output" if src["op"] != "null" else src["name"]
                        if key in shapes:
                            pre_filter += int(shapes[key][1:][0])
        count = _param_count(node, pre_filter, shapes)
        row([f"{node['name']}({node['op']})", "x".join(str(x) for x in out_shape), count,
             previous[0] if previous else ""])
        for name in previous[1:]:
            row(["", "", "", name])
        total += count
        print("=" * line_length if i == len(nodes) - 1 else "_" * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)


_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5")
_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")


def _node_look(node):
    """(label, fill colour) of one op node, as MXNet draws it."""
    op, attrs, name = node["op"], node.get("attrs", {}), node["name"]
    if op == "Convolution":
        stride = "x".join(_ints(attrs["stride"])) if "stride" in attrs else "1"
        return (f"Convolution\n{'x'.join(_ints(attrs['kernel']))}/{stride}, "
                f"{attrs['num_filter']}", _COLORS[1])
    if op == "FullyConnected":
        return f"FullyConnected\n{attrs['num_hidden']}", _COLORS[1]
    if op == "BatchNorm":
        return name, _COLORS[3]
    if op == "Activation":
        return f"Activation\n{attrs['act_type']}", _COLORS[2]
    if op == "LeakyReLU":
        return f"LeakyReLU\n{attrs.get('act_type', 'Leaky')}", _COLORS[2]
    if op == "Pooling":
        kernel = "x".join(_ints(attrs["kernel"])) if "kernel" in attrs else "[]"
        stride = "x".join(_ints(attrs["stride"])) if "stride" in attrs else "1"
        return f"Pooling\n{attrs['pool_type']}, {kernel}/{stride}", _COLORS[4]
    if op in ("Concat", "Flatten", "Reshape"):
        return name, _COLORS[5]
    if op == "Softmax":
        return name, _COLORS[6]
    return (attrs["op_type"] if op == "Custom" else name), _COLORS[7]


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None,
                 node_attrs=None, hide_weights=True):
    """A ``graphviz.Digraph`` of ``symbol`` (edges labelled with shapes / dtypes when given).

    Raises
    ------
    ImportError
        The graphviz Python package is missing (with the install command).
    """
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError('Draw network requires graphviz library: pip install "mxlite[graphviz]" '
                          "(and the Graphviz binaries to render)") from None
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be a Symbol")
    shapes = _shape_dict(symbol, shape) if shape is not None else None
    types = None
    if dtype is not None:
        internals = symbol.get_internals()
        _, out_types, _ = internals.infer_type(**dtype)
        if out_types is None:
            raise ValueError("Input type is incomplete")
        types = dict(zip(internals.list_outputs(), out_types))
    nodes = json.loads(symbol.tojson())["nodes"]
    names = [n["name"] for n in nodes]
    if len(names) != len(set(names)):
        repeated = sorted({n for n in names if names.count(n) > 1})
        warnings.warn("There are multiple variables with the same name in your graph, this may "
                      "result in cyclic graph. Repeated names: " + ",".join(repeated),
                      RuntimeWarning, stacklevel=2)
    base_attr = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
                 "style": "filled"}
    base_attr.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        attr = dict(base_attr)
        if node["op"] == "null":
            if node["name"].endswith(_WEIGHT_SUFFIXES):
                if hide_weights:
                    hidden.add(node["name"])
                continue
            attr["shape"] = "oval"
            label, attr["fillcolor"] = node["name"], _COLORS[0]
        else:
            label, attr["fillcolor"] = _node_look(node)
        dot.node(name=node["name"], label=label, **attr)
    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = node["inputs"][:1] if node["op"] == "_contrib_BilinearResize2D" \
            else node["inputs"]
        for item in inputs:
            src = nodes[item[0]]
            if src["name"] in hidden:
                continue
            attr = {"dir": "back", "arrowtail": "open", "label": ""}
            key = src["name"]
            if src["op"] != "null":
                key += "_output"
                if "num_outputs" in src.get("attrs", {}):
                    key += str(int(src["attrs"]["num_outputs"]) - 1)
            if shapes is not None:
                attr["label"] = "x".join(str(x) for x in shapes[key][1:])
            if types is not None:
                attr["label"] += f"({types[key].__name__})"
            dot.edge(tail_name=node["name"], head_name=src["name"], **attr)
    return dot
