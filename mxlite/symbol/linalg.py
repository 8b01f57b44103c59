"""``mx.sym.linalg``: the ``_linalg_*`` operators under their short names, as MXNet's generated
namespace: ``gemm``, ``gemm2``, ``potrf``, ``potri``, ``trmm``, ``trsm``, ``sumlogdiag``,
``syrk``, ``gelqf``, ``syevd``, ``inverse``, ``det``, ``slogdet``, ``extractdiag``, ``makediag``,
``extracttrian``, ``maketrian`` (declared in mxlite/ops/linalg.py,
linalg_factor.py and diag.py).

Each is the generated Symbol function of the op, so its auto-name hint is the short name
(``gemm0``), as in MXNet where the hint is the function name, not the op name.
"""
from ..ops.signature import install_prefixed
from .register import make_function as _make_function

__all__ = install_prefixed(globals(), "_linalg_", _make_function, __name__)
