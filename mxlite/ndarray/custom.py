"""``mx.nd.Custom``: run an op type registered with ``mx.operator.register`` once."""
from ..base import MXNetError
from ..ops import registry
from ..ops.params import format_attr
from .ndarray import NDArray
from .register import invoke

__all__ = ["Custom"]


def Custom(*args, op_type=None, out=None, name=None, **kwargs):
    """Apply the custom op ``op_type`` to NDArrays ``args`` (or inputs named as the prop's
    ``list_arguments``); other keywords go to the prop as strings."""
    op = registry.get("Custom")
    named = {k: v for k, v in kwargs.items() if isinstance(v, NDArray)}
    params = {k: v for k, v in kwargs.items() if not isinstance(v, NDArray)}
    if op_type is not None:
        params["op_type"] = op_type
    p = op.parse({k: format_attr(v) for k, v in params.items()})
    names = op.input_names(p)
    inputs = list(args)
    for in_name in names[len(inputs):]:
        if in_name not in named:
            raise MXNetError(f"Custom operator {p['op_type']}: missing input '{in_name}' "
                             f"(inputs: {', '.join(names)})")
        inputs.append(named.pop(in_name))
    if named or len(inputs) != len(names):
        raise MXNetError(f"Custom operator {p['op_type']}: expected inputs {', '.join(names)}, "
                         f"got {len(args)} positional and {', '.join(named) or 'no'} named")
    return invoke(op, inputs, params, out=out)
