"""The optimizers' fast path to the registered update ops: the op's kernel run in place on the
weight, with plain Python parameters (no attribute strings to parse on every step)."""
from ..base import MXNetError
from ..context import array_module, device_scope
from ..ops.optimizer import MULTI_OPS, SCALAR_INPUTS, UPDATE_OPS, multi_fields, multi_run
from ..ops.params import REQUIRED, Params

__all__ = ["update_inplace"]

# op name -> (defaults, known names, required names, kernel, checked input positions, group)
_SPECS = {}


def _spec(name):
    spec = _SPECS.get(name)
    if spec is None:
        if name in MULTI_OPS:
            group, kernel = MULTI_OPS[name]
            fields, checked = list(multi_fields(name)), ()
        elif name in UPDATE_OPS:
            inputs, fields, kernel, _ = UPDATE_OPS[name]
            group = None
            checked = tuple((i, n) for i, n in enumerate(inputs)
                            if i and n not in SCALAR_INPUTS)
        else:
            raise MXNetError(f"Cannot find update operator {name}; known: "
                             f"{', '.join(sorted(UPDATE_OPS) + sorted(MULTI_OPS))}")
        defaults = {f.name: f.default for f in fields}
        required = tuple(f.name for f in fields
                         if f.default is REQUIRED and f.name != "num_args")
        spec = _SPECS[name] = (defaults, frozenset(defaults), required, kernel, checked, group)
    return spec


def update_inplace(name, arrays, **params):
    """Run update op ``name`` on NDArrays ``arrays`` (weight first), writing the new weight into
    the weight itself: what ``mx.nd.<name>(*arrays, out=arrays[0], **params)`` does, without the
    output copy and without parsing attribute strings (the optimizers call this every step).

    Raises
    ------
    MXNetError
        An unknown parameter, a missing required one, or arrays of another shape than the weight.
    """
    defaults, known, required, kernel, checked, group = _spec(name)
    if not known.issuperset(params):
        raise MXNetError(f"Error in operator {name}: unknown parameter(s) "
                         f"{sorted(set(params) - known)}; expected some of {sorted(known)}")
    for k in required:
        if k not in params:
            raise MXNetError(f"Error in operator {name}: required parameter {k} missing")
    p = dict(defaults)
    p.update(params)
    weight = arrays[0]
    shape = weight.shape
    for i, n in checked:
        if arrays[i].shape != shape:
            raise MXNetError(f"Error in operator {name}: input {n} has shape "
                             f"{arrays[i].shape}, expected the weight's shape {shape}")
    ctx = weight.context
    datas = [a._data for a in arrays]
    xp = array_module(ctx)
    with device_scope(ctx):
        if group is not None:
            p["num_args"] = len(datas)
            multi_run(name, group, kernel, xp, Params(p), datas,
                      [datas[group * i] for i in range(p["num_weights"])])
        else:
            kernel(xp, p, datas, datas[0])
    return weight
