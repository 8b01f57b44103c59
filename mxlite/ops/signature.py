"""Python signatures and docstrings for the generated ``mx.nd.<Op>`` / ``mx.sym.<Op>`` functions,
built from an OpDef (no generated source, no exec)."""
import inspect

from .params import REQUIRED

_P = inspect.Parameter


def input_names_for_signature(op):
    """Input names shown in the signature (params-dependent inputs shown with their maximal set)."""
    if op.variadic:
        return None
    if callable(op.inputs):
        defaults = {f.name: f.default for f in op.params if f.default is not REQUIRED}
        # show every optional input: flip boolean switches that remove inputs
        names = []
        switches = {"no_bias": False, "use_length": True, "use_sequence_length": True}
        for trial in (defaults, {**defaults, **switches}):
            try:
                for n in op.inputs(trial):
                    if n not in names:
                        names.append(n)
            except (KeyError, TypeError):
                pass
        return names
    return list(op.inputs)


def make_signature(op, extra):
    """Signature: inputs (positional or keyword), params (keyword-only), then ``extra`` names."""
    params = []
    names = input_names_for_signature(op)
    if names is None:
        params.append(_P("args", _P.VAR_POSITIONAL))
    else:
        params.extend(_P(n, _P.POSITIONAL_OR_KEYWORD, default=None) for n in names)
    for field in op.params:
        if field.name == "num_args":
            continue
        default = _P.empty if field.default is REQUIRED else field.default
        params.append(_P(field.name, _P.KEYWORD_ONLY, default=default))
    params.extend(_P(n, _P.KEYWORD_ONLY, default=None) for n in extra)
    return inspect.Signature(params)


def make_doc(op, public_name, returns):
    lines = [op.doc or f"The {op.name} operator.", ""]
    if public_name != op.name:
        lines += [f"Alias of ``{op.name}``.", ""]
    lines += ["Parameters", "----------"]
    names = input_names_for_signature(op)
    if names is None:
        lines += ["*args : inputs", "    Any number of inputs."]
    else:
        lines += [f"{n} : input" for n in names]
    for field in op.params:
        lines.append(f"{field.name} : {field.describe()}")
        if field.doc:
            lines.append(f"    {field.doc}")
    lines += ["", "Returns", "-------", returns]
    return "\n".join(lines)


def drop_none_inputs(op, params):
    """Keyword values for the op's parameters: an input given as None means "not given", while a
    parameter given as None is sent as ``'None'``, as MXNet's front end does."""
    inputs = set(input_names_for_signature(op) or ())
    return {k: v for k, v in params.items() if not (v is None and k in inputs)}


def split_positional(op, public_name, args, is_input):
    """Split positional arguments into leading inputs and trailing parameter values.

    MXNet's generated functions take parameters positionally after the inputs
    (``mx.nd.sum(x, 1)``, ``sym.reshape((2, 3))``); values map to the parameters in schema order.
    """
    n_inputs = 0
    max_inputs = len(args) if op.variadic else len(input_names_for_signature(op))
    # a None among the leading inputs means "not given" (conv(x, w, None, no_bias=True))
    while n_inputs < min(len(args), max_inputs) and (is_input(args[n_inputs])
                                                     or args[n_inputs] is None):
        n_inputs += 1
    inputs = list(args[:n_inputs])
    while inputs and inputs[-1] is None:
        inputs.pop()
    if any(a is None for a in inputs):
        raise TypeError(f"{public_name}: an input given as None can only be followed by None")
    rest = args[n_inputs:]
    if not rest:
        return inputs, {}
    names = [f.name for f in op.params if f.name != "num_args"]
    if op.variadic or len(rest) > len(names):
        raise TypeError(f"{public_name}: too many positional arguments "
                        f"({len(rest)} after {n_inputs} inputs)")
    return inputs, dict(zip(names, rest))


def install_prefixed(namespace, prefix, make_function, module_name):
    """Put every op registered as ``<prefix><short>`` into ``namespace`` as ``short``.

    This builds MXNet's sub-namespaces (``mx.sym.linalg.gemm`` for ``_linalg_gemm``,
    ``mx.nd.contrib.BilinearResize2D``); ``make_function`` is the front end's generator, so the
    auto-name hint is the short name, as in MXNet. Names already in ``namespace`` are kept.
    Returns the names added.
    """
    from . import registry
    names = []
    for op_name in registry.all_names():
        short = op_name[len(prefix):]
        if op_name.startswith(prefix) and short not in namespace:
            fn = make_function(registry.get(op_name), short)
            fn.__module__ = module_name
            namespace[short] = fn
            names.append(short)
    return names
