"""Creating op nodes: the ``mx.sym.<Op>`` functions generated from the op registry."""
from .. import attribute
from ..base import MXNetError
from ..name import NameManager
from ..ops import registry
from ..ops.params import format_attr
from ..ops.signature import drop_none_inputs, make_doc, make_signature, split_positional
from .node import Node
from .symbol import Symbol

__all__ = ["create", "make_function"]


def create(op, hint, args, named, params, name=None, attr=None):
    """A Symbol applying ``op`` to input Symbols.

    ``args`` are positional inputs, ``named`` inputs by input name, ``params`` the op parameters
    (Python values, stored as ``str(value)``). Missing inputs become variables ``<name>_<input>``
    carrying the node's attributes, as in MXNet.
    """
    attrs = attribute.current().get(attr)
    for key, value in params.items():
        attrs[key] = format_attr(value)
    if op.variadic and (args or "num_args" not in attrs):
        # num_args follows the inputs given; with none given, the num_args parameter says how
        # many <name>_arg<i> variables to create (Concat(num_args=2, name='cc') -> cc_arg0, cc_arg1)
        attrs["num_args"] = str(len(args) + len(named))
    node_name = NameManager.current.get(name, hint)
    try:
        p = op.parse(attrs)
    except MXNetError as err:
        raise MXNetError(f"{err} (node {node_name!r})") from None
    names = op.input_names(p)
    if len(args) > len(names):
        raise MXNetError(f"Operator {op.name} ({node_name}) takes {len(names)} inputs "
                         f"({', '.join(names)}), got {len(args)}")
    unknown = [k for k in named if k not in names]
    if unknown:
        raise MXNetError(f"Operator {op.name} ({node_name}) has no input named "
                         f"{', '.join(unknown)} (inputs: {', '.join(names)})")
    inputs = []
    for pos, in_name in enumerate(names):
        sym = args[pos] if pos < len(args) else named.get(in_name)
        if sym is None:
            var_attrs = dict(attrs)
            var_attrs.update(op_input_var_attrs(op, in_name))
            inputs.append((Node(None, f"{node_name}_{in_name}", var_attrs), 0))
            continue
        if not isinstance(sym, Symbol):
            raise TypeError(f"Operator {op.name} ({node_name}): input {in_name} must be a Symbol, "
                            f"got {type(sym).__name__}")
        if len(sym._heads) != 1:
            raise MXNetError(f"Operator {op.name} ({node_name}): input {in_name} must be a "
                             f"single-output symbol, got {len(sym._heads)} outputs")
        _set_input_var_attrs(op, in_name, sym._heads[0][0])
        inputs.append(sym._heads[0])
    node = Node(op, node_name, attrs, inputs, p)
    return Symbol([(node, i) for i in range(node.num_visible())])


def op_input_var_attrs(op, in_name):
    """Extra attributes an op gives the variable it auto-creates for ``in_name``
    (BatchNorm's moving statistics get their ``__init__``)."""
    return op.input_var_attrs.get(in_name, {})


def _set_input_var_attrs(op, in_name, node):
    """MXNet's FSetInputVarAttrOnCompose: a variable given for the input also gets the op's extra
    attributes (BatchNorm's moving statistics their ``__init__``) unless it already has them."""
    if node.op is None:
        for key, value in op_input_var_attrs(op, in_name).items():
            node.attrs.setdefault(key, value)


def make_function(op, public_name):
    """The ``mx.sym.<public_name>`` function: inputs positionally or by keyword, params as
    keywords, plus ``name=`` and ``attr=``."""
    hint = public_name.lower()

    def fn(*args, **kwargs):
        name = kwargs.pop("name", None)
        attr = kwargs.pop("attr", None)
        kwargs.pop("out", None)
        named = {k: v for k, v in kwargs.items() if isinstance(v, Symbol)}
        params = drop_none_inputs(op, {k: v for k, v in kwargs.items()
                                       if not isinstance(v, Symbol)})
        if op.variadic:
            if args:
                params.pop("num_args", None)
            if named and not callable(op.inputs):
                raise TypeError(f"{public_name} takes its inputs positionally")
        inputs, positional_params = split_positional(op, public_name, args,
                                                     lambda a: isinstance(a, Symbol))
        for key, value in positional_params.items():
            if key in params:
                raise TypeError(f"{public_name}() got multiple values for argument '{key}'")
            params[key] = value
        return create(op, hint, inputs, named, params, name=name, attr=attr)

    fn.__name__ = public_name
    fn.__qualname__ = public_name
    fn.__signature__ = make_signature(op, ("name", "attr"))
    fn.__doc__ = make_doc(op, public_name, "Symbol")
    fn.__module__ = "mxlite.symbol"
    return fn


def install(namespace):
    for name in registry.all_names():
        if name not in namespace:
            namespace[name] = make_function(registry.get(name), name)
