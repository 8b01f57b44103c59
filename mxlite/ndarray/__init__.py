"""``mx.nd``: NDArray, array creation, and one function per registered operator."""
from ..ops import registry as _registry
from .ndarray import NDArray
from .creation import (arange, array, concatenate, empty, eye, full, linspace, ones, waitall,
                       zeros)
from .register import invoke, make_function

__all__ = ["NDArray", "array", "empty", "zeros", "ones", "full", "arange", "eye", "linspace",
           "concatenate", "waitall", "invoke"]


def _install_op_functions(namespace):
    for _name in _registry.all_names():
        if _name not in namespace:
            namespace[_name] = make_function(_registry.get(_name), _name)


_install_op_functions(globals())
from .custom import Custom  # noqa: E402,F401  (inputs and params from the registered prop)



# Functions that live in submodules, resolved on first use: name -> (module, attribute).
_LAZY = {"save": ("utils", "save"), "load": ("utils", "load"),
         "load_frombuffer": ("utils", "load_frombuffer"),
         "save_tobuffer": ("utils", "save_tobuffer"),
         "from_dlpack": ("dlpack", "from_dlpack"),
         "to_dlpack_for_read": ("dlpack", "to_dlpack_for_read"),
         "to_dlpack_for_write": ("dlpack", "to_dlpack_for_write"), "random": ("random", None),
         "contrib": ("contrib", None), "linalg": ("linalg", None)}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        mod = importlib.import_module(f".{module}", __name__)
        return mod if attr is None else getattr(mod, attr)
    raise _registry.missing_attribute("mxlite.ndarray", name, globals())

# NumPy-style binary functions, moveaxis, onehot_encode, from_numpy, split_v2 (ndarray.py's
# Python-level functions); imported last so that they are the names mx.nd exposes
from .wrappers import (add, divide, equal, from_numpy, greater, greater_equal,  # noqa: E402,F401
                       histogram, hypot, lesser, lesser_equal, logical_and, logical_or, logical_xor,
                       maximum, minimum, modulo, moveaxis, multiply, not_equal, onehot_encode,
                       power, split_v2, subtract, true_divide)
