"""``mx.nd.linalg``: the ``_linalg_*`` operators under their short names, as MXNet's generated
namespace: ``gemm``, ``gemm2``, ``potrf``, ``potri``, ``trmm``, ``trsm``, ``sumlogdiag``,
``syrk``, ``gelqf``, ``syevd``, ``inverse``, ``det``, ``slogdet``, ``extractdiag``, ``makediag``,
``extracttrian``, ``maketrian`` (declared in mxlite/ops/la.py and la_extra.py).

Each is the generated NDArray function of the op under the short name (signature and
docstring from the op's declaration).
"""
from ..ops import registry as _registry
from .register import make_function as _make_function

_PREFIX = "_linalg_"


def _install(namespace):
    names = []
    for op_name in _registry.all_names():
        if op_name.startswith(_PREFIX):
            short = op_name[len(_PREFIX):]
            fn = _make_function(_registry.get(op_name), short)
            fn.__module__ = __name__
            namespace[short] = fn
            names.append(short)
    return names


__all__ = _install(globals())
