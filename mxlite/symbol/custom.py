"""``mx.sym.Custom``: apply an op type registered with ``mx.operator.register``."""
from ..ops import registry
from .register import create
from .symbol import Symbol

__all__ = ["Custom"]


def Custom(*args, op_type=None, name=None, attr=None, **kwargs):
    """A Symbol applying the custom op ``op_type`` to ``args`` (inputs may also be given by the
    names the prop's ``list_arguments`` gives); other keywords go to the prop as strings."""
    named = {k: v for k, v in kwargs.items() if isinstance(v, Symbol)}
    params = {k: v for k, v in kwargs.items() if not isinstance(v, Symbol)}
    if op_type is not None:
        params["op_type"] = op_type
    return create(registry.get("Custom"), "custom", list(args), named, params, name=name,
                  attr=attr)
