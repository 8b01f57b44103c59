"""Fluent methods (``x.sum(axis=1)``, ``sym.exp()``): NDArray and Symbol methods that call the op of
the same name with the array or symbol as its first input, as MXNet's ndarray.py / symbol.py
define."""
from .ndarray.ndarray import NDArray
from .ops import registry
from .symbol.symbol import Symbol

# MXNet 1.9's fluent method names (the op is looked up by the same name).
FLUENT = (
    "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "argmax",
    "argmax_channel", "argmin", "argsort", "broadcast_axes", "broadcast_like", "cbrt", "ceil",
    "clip", "cos", "cosh", "degrees", "depth_to_space", "diag", "exp", "expand_dims", "expm1",
    "fix", "flatten", "flip", "floor", "log", "log10", "log1p", "log2", "log_softmax", "max",
    "mean", "min", "nanprod", "nansum", "norm", "one_hot", "ones_like", "pad", "pick", "prod",
    "radians", "rcbrt", "reciprocal", "relu", "repeat", "reshape_like", "rint", "round",
    "rsqrt", "shape_array", "sigmoid", "sign", "sin", "sinh", "size_array", "slice",
    "slice_axis", "slice_like", "softmax", "softmin", "sort", "space_to_depth", "split", "split_v2",
    "sqrt", "square", "squeeze", "sum", "swapaxes", "take", "tan", "tanh", "tile", "topk",
    "transpose", "trunc", "zeros_like",
)


# NDArray methods whose ``inplace=True`` returns a reshaped view instead of running the op.
_INPLACE_RESHAPES = ("flatten", "expand_dims", "squeeze")


def _make(name, front):
    def method(self, *args, **kwargs):
        if name in _INPLACE_RESHAPES and isinstance(self, NDArray):
            if kwargs.pop("inplace", False):
                out = getattr(front, name)(self, *args, **kwargs)
                return self.reshape(out.shape)
        return getattr(front, name)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"Convenience fluent method for :py:func:`{name}`: the op with this as input."
    return method


def install():
    from . import ndarray as nd_front
    from . import symbol as sym_front
    for name in FLUENT:
        for cls, front in ((NDArray, nd_front), (Symbol, sym_front)):
            # an op function, or a Python wrapper such as split_v2
            if name not in cls.__dict__ and (registry.exists(name) or hasattr(front, name)):
                setattr(cls, name, _make(name, front))
    if "broadcast_to" not in Symbol.__dict__ and registry.exists("broadcast_to"):
        Symbol.broadcast_to = _make("broadcast_to", sym_front)
    if "reshape" not in Symbol.__dict__:
        Symbol.reshape = _make("reshape", sym_front)
    if "astype" not in Symbol.__dict__ and registry.exists("Cast"):
        Symbol.astype = lambda self, dtype: sym_front.Cast(self, dtype=dtype)
