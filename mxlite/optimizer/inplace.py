"""The optimizers' fast path to the registered update ops: the op's kernel run in place on the
weight, with plain Python parameters (no attribute strings to parse on every step)."""
from ..base import MXNetError
from ..context import array_module, device_scope
from ..ops.optimizer import MULTI_OPS, SCALAR_INPUTS, UPDATE_OPS, multi_fields, multi_run
from ..ops.params import REQUIRED, Params

__all__ = ["update_inplace"]
_DEFAULTS = {}


def _defaults(name, fields):
    if name not in _DEFAULTS:
        _DEFAULTS[name] = ({f.name: f.default for f in fields}, {f.name for f in fields})
    return _DEFAULTS[name]


def update_inplace(name, arrays, **params):
    """Run update op ``name`` on NDArrays ``arrays`` (weight first), writing the new weight into
    the weight itself: what ``mx.nd.<name>(*arrays, out=arrays[0], **params)`` does, without the
    output copy and without parsing attribute strings (the optimizers call this every step).

    Raises
    ------
    MXNetError
        An unknown parameter, a missing required one, or arrays of another shape than the weight.
    """
    if name in MULTI_OPS:
        group, kernel = MULTI_OPS[name]
        fields = list(multi_fields(name))
    else:
        inputs, fields, kernel, _ = UPDATE_OPS[name]
    defaults, known = _defaults(name, fields)
    unknown = set(params) - known
    if unknown:
        raise MXNetError(f"Error in operator {name}: unknown parameter(s) {sorted(unknown)}; "
                         f"expected some of {sorted(known)}")
    p = dict(defaults)
    p.update(params)
    missing = [k for k, v in p.items() if v is REQUIRED and k != "num_args"]
    if missing:
        raise MXNetError(f"Error in operator {name}: required parameter(s) {missing} missing")
    weight = arrays[0]
    ctx = weight.context
    datas = [a._data for a in arrays]
    if name not in MULTI_OPS:
        for n, a in zip(inputs, arrays):
            if n not in SCALAR_INPUTS and a.shape != weight.shape:
                raise MXNetError(f"Error in operator {name}: input {n} has shape {a.shape}, "
                                 f"expected the weight's shape {weight.shape}")
    xp = array_module(ctx)
    with device_scope(ctx):
        if name in MULTI_OPS:
            p["num_args"] = len(datas)
            multi_run(name, group, kernel, xp, Params(p), datas,
                       [datas[group * i] for i in range(p["num_weights"])])
        else:
            kernel(xp, p, datas, datas[0])
    return weight
