"""Symbol: a handle on one or more outputs of a graph of Nodes (``mx.sym.Symbol``).

Symbols are immutable values: composing, grouping and indexing build new Symbols over shared Nodes.
"""
import json
import warnings

from .. import attribute
from ..util import is_np_shape
from ..base import MXNetError, NotImplementedForSymbol, dtype_flag, dtype_np, numeric_types
from ..ops import registry
from .infer import infer_graph, is_known_shape
from .node import Node, topo_order

__all__ = ["Symbol", "Variable", "var", "Group", "load", "load_json"]



def _legacy_dims(shape):
    """A given shape with unknown dimensions as 0 (the planner's notation): NumPy-shape mode
    marks them -1."""
    dims = tuple(int(d) for d in shape)
    return tuple(0 if d == -1 else d for d in dims) if is_np_shape() else dims

class Symbol:
    """A list of graph outputs ("heads"), each a (Node, output index) pair."""

    __slots__ = ("_heads",)

    def __init__(self, heads):
        self._heads = list(heads)

    # ----- structure
    # ----------------------------------------------------------------------------------
    def _order(self):
        return topo_order(self._heads)

    @property
    def name(self):
        """Name of the head node, or None for a group of several nodes."""
        first = self._heads[0][0]
        if any(node is not first for node, _ in self._heads):
            return None
        return first.name

    def __repr__(self):
        if self.name is not None:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(n.name for n, _ in self._heads)}]>"

    def __len__(self):
        return len(self._heads)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise ValueError(f'Cannot find output that matches name "{index}"')
            if len(matches) > 1:
                raise ValueError(f'There are multiple outputs with name "{index}"')
            index = matches[0]
        if isinstance(index, slice):
            return Group([self[i] for i in range(len(self))[index]])
        if not isinstance(index, int):
            raise TypeError("Symbol only support integer index to fetch i-th output")
        if index < 0:
            raise MXNetError(f"Invalid output index {index}")
        if index >= len(self._heads):
            raise IndexError(index)
        return Symbol([self._heads[index]])

    def _aux_nodes(self, order):
        aux = set()
        for node in order:
            for pos in node.aux_positions():
                aux.add(id(node.inputs[pos][0]))
        return aux

    def list_arguments(self):
        """Names of the variables that are not auxiliary states, in graph order."""
        order = self._order()
        aux = self._aux_nodes(order)
        return [n.name for n in order if n.op is None and id(n) not in aux]

    def list_auxiliary_states(self):
        """Names of the variables feeding auxiliary (mutable) inputs such as BatchNorm's moving
        statistics."""
        order = self._order()
        aux = self._aux_nodes(order)
        return [n.name for n in order if n.op is None and id(n) in aux]

    def list_inputs(self):
        return [n.name for n in self._order() if n.op is None]

    def list_outputs(self):
        return [node.output_name(idx) for node, idx in self._heads]

    def get_internals(self):
        """A Group of every visible output of every node, in graph order."""
        heads = []
        for node in self._order():
            heads.extend((node, i) for i in range(node.num_visible()))
        return Symbol(heads)

    def get_children(self):
        """A Group of the head nodes' inputs, or None when there are none."""
        seen, heads = set(), []
        for node, _ in self._heads:  # a node with several heads contributes its inputs once
            if id(node) not in seen:
                seen.add(id(node))
                heads.extend(node.inputs)
        return Symbol(heads) if heads else None

    # ----- attributes
    # ---------------------------------------------------------------------------------
    def attr(self, key):
        if len(self._heads) != 1:
            return None
        return attribute.report_hidden(self._heads[0][0].attrs).get(key)

    def list_attr(self, recursive=False):
        if recursive:
            raise DeprecationWarning("Symbol.list_attr with recursive=True has been deprecated. "
                                     "Please use attr_dict instead.")
        # a group reports its first head's attributes, as nnvm's shallow ListAttrs does
        return attribute.report_hidden(self._heads[0][0].attrs)

    def attr_dict(self):
        return {n.name: attribute.report_hidden(n.attrs) for n in self._order() if n.attrs}

    def _set_attr(self, **kwargs):
        for value in kwargs.values():
            if not isinstance(value, str):
                raise ValueError("Set Attr only accepts string values")
        for node, _ in self._heads:
            attrs = attribute.store_hidden({**node.attrs, **kwargs})
            if node.op is not None:
                node.params = node.op.parse(attrs)
            node.attrs = attrs

    # ----- composition
    # --------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        s = self.__copy__()
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, **kwargs):
        name = kwargs.pop("name", None)
        if args and kwargs:
            raise TypeError("compose only accept input Symbols either as positional or keyword "
                            "arguments, not both")
        for arg in list(args) + list(kwargs.values()):
            if not isinstance(arg, Symbol):
                raise TypeError("Compose expect `Symbol` as arguments")
        variables = [n for n in self._order() if n.op is None]
        if args:
            free = [n for n in variables]
            if len(args) > len(free):
                raise MXNetError(f"compose: {len(args)} positional inputs given but the symbol has "
                                 f"{len(free)} free variables")
            mapping = {id(v): a for v, a in zip(free, args)}
        else:
            by_name = {v.name: v for v in variables}
            unknown = [k for k in kwargs if k not in by_name]
            if unknown:
                raise MXNetError(f"compose: {', '.join(unknown)} is not an input variable of the "
                                 f"symbol (inputs: {', '.join(by_name)})")
            mapping = {id(by_name[k]): v for k, v in kwargs.items()}
        for arg in mapping.values():
            if len(arg._heads) != 1:
                raise MXNetError("compose: each input must be a single-output symbol")
        self._heads = _replace_variables(self._heads, mapping)
        if name is not None and len(self._heads) == 1 and self._heads[0][0].op is not None:
            self._heads[0][0].name = name

    def __copy__(self):
        return Symbol(_clone(self._heads))

    def __deepcopy__(self, memo):
        return load_json(self.tojson())

    def __getstate__(self):
        return {"handle": self.tojson()}

    def __setstate__(self, state):
        self._heads = load_json(state["handle"])._heads

    # ----- inference
    # ----------------------------------------------------------------------------------
    def _known(self, args, kwargs, kind):
        if args and kwargs:
            raise ValueError("Can only specify known argument shapes either by positional or "
                             "kwargs way.")
        known = {}
        if args:
            for name, value in zip(self.list_arguments(), args):
                if value is not None:
                    known[name] = value
        else:
            known = dict(kwargs)
        inputs = set(self.list_inputs())
        out = {}
        for name, value in known.items():
            if name not in inputs:
                raise MXNetError(f"infer_{kind}: {name} is not an input of the symbol "
                                 f"(inputs: {', '.join(self.list_inputs())})")
            if kind == "shape":
                if not isinstance(value, tuple):
                    raise TypeError(f"Arguments need to be shapes (tuple), but '{name}' is "
                                    f"{type(value)}")
                if value:  # () means unknown; a 0 dimension is an unknown dimension
                    out[name] = _legacy_dims(value)
            elif value is not None:
                out[name] = dtype_np(value)
        for node in self._order():
            if node.op is None and node.name not in out:
                if kind == "shape" and "__shape__" in node.attrs:
                    shape = tuple(json.loads(node.attrs["__shape__"].replace("(", "[")
                                             .replace(")", "]").replace(",]", "]")))
                    if shape:  # a 0 dimension is an unknown one, as given
                        out[node.name] = _legacy_dims(shape)
                if kind == "type" and "__dtype__" in node.attrs:
                    from ..base import dtype_from_flag
                    out[node.name] = dtype_from_flag(int(node.attrs["__dtype__"]))
        return out

    def _infer(self, kind, args, kwargs):
        order = self._order()
        values = infer_graph(order, self._known(args, kwargs, kind), kind)
        aux = self._aux_nodes(order)
        arg_v = [values.get((id(n), 0)) for n in order if n.op is None and id(n) not in aux]
        aux_v = [values.get((id(n), 0)) for n in order if n.op is None and id(n) in aux]
        out_v = [values.get((id(n), i)) for n, i in self._heads]
        return arg_v, out_v, aux_v

    def infer_shape(self, *args, **kwargs):
        """(arg_shapes, out_shapes, aux_shapes) from the given input shapes; ``(None, None, None)``
        with a warning when some shapes cannot be decided."""
        try:
            arg_s, out_s, aux_s = self._infer("shape", args, kwargs)
        except MXNetError:
            print("infer_shape error. Arguments:")
            for i, a in enumerate(args):
                print(f"  #{i}: {a}")
            for k, v in kwargs.items():
                print(f"  {k}: {v}")
            raise
        if not all(is_known_shape(s) for s in arg_s + out_s + aux_s):
            unknown = [f"{n}: {s or ()}" for n, s in zip(self.list_arguments(), arg_s)
                       if not is_known_shape(s)]
            if len(unknown) > 10:
                unknown = unknown[:10] + ["..."]
            warnings.warn("Cannot decide shape for the following arguments (0s in shape means "
                          "unknown dimensions). Consider providing them as input:\n\t"
                          + "\n\t".join(unknown), stacklevel=2)
            return None, None, None
        return arg_s, out_s, aux_s

    def infer_shape_partial(self, *args, **kwargs):
        """Like ``infer_shape``, but unknown dimensions stay unknown: 0 (MXNet's legacy shapes) or,
        in NumPy-shape mode, -1; an entirely unknown shape is ``()`` (``None`` with np_shape)."""
        arg_s, out_s, aux_s = self._infer("shape", args, kwargs)
        np_mode = is_np_shape()

        def fill(shapes):
            if np_mode:
                return [None if s is None else tuple(d if d else -1 for d in s) for s in shapes]
            return [s if s is not None else () for s in shapes]
        return fill(arg_s), fill(out_s), fill(aux_s)

    def infer_type(self, *args, **kwargs):
        """(arg_types, out_types, aux_types) as NumPy types; ``(None, None, None)`` with a warning
        when undecidable."""
        try:
            arg_t, out_t, aux_t = self._infer("type", args, kwargs)
        except MXNetError:
            print("infer_type error. Arguments:")
            for k, v in kwargs.items():
                print(f"  {k}: {v}")
            raise
        if any(t is None for t in arg_t + out_t + aux_t):
            unknown = [f"{n}: None" for n, t in zip(self.list_arguments(), arg_t) if t is None]
            warnings.warn("Cannot decide type for the following arguments. Consider providing "
                          "them as input:\n\t" + "\n\t".join(unknown), stacklevel=2)
            return None, None, None
        as_type = lambda lst: [t.type for t in lst]  # noqa: E731
        return as_type(arg_t), as_type(out_t), as_type(aux_t)

    def infer_type_partial(self, *args, **kwargs):
        arg_t, out_t, aux_t = self._infer("type", args, kwargs)
        as_type = lambda lst: [t.type if t is not None else None for t in lst]  # noqa: E731
        return as_type(arg_t), as_type(out_t), as_type(aux_t)

    # ----- serialisation
    # ------------------------------------------------------------------------------
    def tojson(self, remove_amp_cast=True):
        from .json_io import to_json
        return to_json(self)

    def save(self, fname, remove_amp_cast=True):
        from ..utils import atomic_write_text
        atomic_write_text(fname, self.tojson())

    def debug_str(self):
        from ..graph import describe_symbol
        return describe_symbol(self)

    # ----- binding
    # ------------------------------------------------------------------------------------
    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None, group2ctx=None,
             shared_exec=None):
        from ..binding import bind
        return bind(self, ctx, args, args_grad, grad_req, aux_states, group2ctx, shared_exec)

    def simple_bind(self, ctx=None, grad_req="write", type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None, shared_buffer=None,
                    **kwargs):
        from ..binding import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, group2ctx, shared_arg_names,
                           shared_exec, shared_buffer, kwargs)

    def eval(self, ctx=None, **kwargs):
        from ..context import current_context
        return self.bind(ctx or current_context(), kwargs).forward()

    # ----- Python operators
    # ---------------------------------------------------------------------------
    def __bool__(self):
        raise NotImplementedForSymbol(self.__bool__, "bool")

    __nonzero__ = __bool__

    def __iadd__(self, other):
        raise NotImplementedForSymbol(self.__iadd__, "+=", other, 1)

    def __isub__(self, other):
        raise NotImplementedForSymbol(self.__isub__, "-=", other, 1)

    def __imul__(self, other):
        raise NotImplementedForSymbol(self.__imul__, "*=", other, 1)

    def __idiv__(self, other):
        raise NotImplementedForSymbol(self.__idiv__, "/=", other, 1)

    __itruediv__ = __idiv__

    def __abs__(self):
        return _apply("abs", "abs", [self], {})

    def __neg__(self):
        return _apply("_mul_scalar", "_mulscalar", [self], {"scalar": -1.0})

    def __hash__(self):
        return id(self)


def _binary_overload(tensor_op, tensor_hint, scalar_op, scalar_hint, rscalar_op=None,
                     rscalar_hint=None):
    def method(self, other):
        if isinstance(other, Symbol):
            return _apply(tensor_op, tensor_hint, [self, other], {})
        if isinstance(other, numeric_types) and not isinstance(other, bool):
            return _apply(scalar_op, scalar_hint, [self], {"scalar": other})
        raise TypeError(f"type {type(other)} not supported")

    def rmethod(self, other):
        if isinstance(other, numeric_types) and not isinstance(other, bool):
            return _apply(rscalar_op or scalar_op, rscalar_hint or scalar_hint, [self],
                          {"scalar": other})
        raise TypeError(f"type {type(other)} not supported")
    return method, rmethod


for _py, _args in {
        "add": ("elemwise_add", "_plus", "_plus_scalar", "_plusscalar"),
        "sub": ("elemwise_sub", "_minus", "_minus_scalar", "_minusscalar", "_rminus_scalar",
                "_rminusscalar"),
        "mul": ("elemwise_mul", "_mul", "_mul_scalar", "_mulscalar"),
        "truediv": ("elemwise_div", "_div", "_div_scalar", "_divscalar", "_rdiv_scalar",
                    "_rdivscalar"),
        "mod": ("_mod", "_mod", "_mod_scalar", "_modscalar", "_rmod_scalar", "_rmodscalar"),
        "pow": ("_power", "_power", "_power_scalar", "_powerscalar", "_rpower_scalar",
                "_rpower_scalar"),
}.items():
    _m, _r = _binary_overload(*_args)
    setattr(Symbol, f"__{_py}__", _m)
    setattr(Symbol, f"__r{_py}__", _r)
Symbol.__div__, Symbol.__rdiv__ = Symbol.__truediv__, Symbol.__rtruediv__

for _py, _op in {"eq": "equal", "ne": "not_equal", "gt": "greater", "ge": "greater_equal",
                 "lt": "lesser", "le": "lesser_equal"}.items():
    _m, _ = _binary_overload(f"_{_op}", f"_{_op}", f"_{_op}_scalar", f"_{_op}_scalar")
    setattr(Symbol, f"__{_py}__", _m)


def _apply(op_name, hint, inputs, attrs, name=None):
    from .register import create
    return create(registry.get(op_name), hint, inputs, {}, attrs, name=name)


def _clone(heads):
    """Deep-copy the graph under ``heads`` (new Node objects, same structure)."""
    return _replace_variables(heads, {})


def _replace_variables(heads, mapping):
    """Copy the graph, substituting variables whose id is in ``mapping`` by that Symbol's head."""
    new = {}
    for node in topo_order(heads):
        if node.op is None and id(node) in mapping:
            sym = mapping[id(node)]
            new[id(node)] = sym._heads[0]
            continue
        inputs = []
        for src, idx in node.inputs:
            rep = new[id(src)]
            inputs.append(rep if src.op is None and id(src) in mapping else (rep[0], idx))
        clone = Node(node.op, node.name, node.attrs, inputs, node.params, node.versions)
        new[id(node)] = (clone, 0)
    out = []
    for node, idx in heads:
        rep = new[id(node)]
        out.append(rep if node.op is None and id(node) in mapping else (rep[0], idx))
    return out


def Variable(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
             stype=None, **kwargs):
    """A named placeholder: an argument (or auxiliary state) of the graph."""
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    attrs = attribute.current().get(attr)
    if shape is not None:
        attrs["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(dtype_flag(dtype))
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1, "csr": 2}[stype])
    for key, value in kwargs.items():
        if not (key.startswith("__") and key.endswith("__")):
            raise ValueError(f"Attribute name={key} is not supported. Additional attributes must "
                             f"start and end with double underscores, e.g, __yourattr__")
        attrs[key] = str(value)
    return Symbol([(Node(None, name, attrs), 0)])


var = Variable


def Group(symbols):
    """One Symbol whose outputs are the outputs of ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([h for s in symbols for h in s._heads])


def load_json(json_str):
    """A Symbol from MXNet's JSON text (this or an older format version)."""
    if not isinstance(json_str, str):
        raise TypeError("fname required to be string")
    from .json_io import from_json
    return from_json(json_str)


def load(fname):
    """A Symbol from a ``*-symbol.json`` file."""
    if not isinstance(fname, str):
        raise TypeError("fname need to be string")
    try:
        with open(fname, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise MXNetError(f"Cannot open symbol file {fname}: {err.strerror}") from None
    from .json_io import from_json
    return from_json(text, source=fname)

