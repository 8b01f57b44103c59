"""``mx.nd``: NDArray, array creation, and one function per registered operator."""
from ..ops import registry as _registry
from . import ndarray
from .ndarray import (NDArray, arange, array, concatenate, empty, eye, full, linspace, ones,
                      waitall, zeros)
from .register import invoke, make_function

__all__ = ["NDArray", "array", "empty", "zeros", "ones", "full", "arange", "eye", "linspace",
           "concatenate", "waitall", "invoke"]


def _install_op_functions(namespace):
    for _name in _registry.all_names():
        if _name not in namespace:
            namespace[_name] = make_function(_registry.get(_name), _name)


_install_op_functions(globals())

