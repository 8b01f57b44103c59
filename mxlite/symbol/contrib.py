"""``mx.sym.contrib``: the ``_contrib_*`` operators under their short names
(``AdaptiveAvgPooling2D``, ``BilinearResize2D``, ``index_array``, ``index_copy``,
``boolean_mask``, ``div_sqrt_dim``, ``arange_like``, ``ROIAlign``, ``box_nms``, ``MultiBoxPrior``,
``MultiBoxTarget``, ``MultiBoxDetection``, ``Proposal``, ``MultiProposal``,
``DeformableConvolution``, ``ctc_loss``/``CTCLoss``, ``interleaved_matmul_*``, declared in
mxlite/ops/<family>.py), and ``isinf``/``isnan``/``isfinite``.

Each op function is the generated Symbol function of the op, so its auto-name hint is the short
name lowered (``bilinearresize2d0``), as in MXNet.
"""
import numpy as _np

from ..ops.signature import install_prefixed
from .register import make_function as _make_function

__all__ = install_prefixed(globals(), "_contrib_", _make_function, __name__)
__all__ += ["isinf", "isnan", "isfinite"]


# MXNet 1.9 has these three only as Python functions of mx.nd.contrib (composed of existing ops,
# no _contrib_isinf operator); the same compositions are offered here so that a symbol using them
# still serializes to operators MXNet knows.
def isinf(data):
    """1 where ``data`` is +inf or -inf, else 0 (``abs(data) == inf``), in data's dtype."""
    from . import abs as _abs
    return _abs(data) == _np.inf


def isnan(data):
    """1 where ``data`` is NaN, else 0 (``data != data``), in data's dtype."""
    return data != data


def isfinite(data):
    """1 where ``data`` is neither infinite nor NaN, else 0, in data's dtype."""
    from . import abs as _abs
    return (_abs(data) != _np.inf) * (data == data)
