"""Special functions NumPy lacks (erf), taken from SciPy/CuPy when present, else computed
exactly."""
import math

import numpy as np

_np_erf = None


def erf(xp, x):
    """Element-wise error function in ``x``'s dtype."""
    if xp is not np:
        from cupyx.scipy.special import erf as cp_erf
        return cp_erf(x)
    global _np_erf
    if _np_erf is None:
        try:
            from scipy.special import erf as sp_erf
            _np_erf = sp_erf
        except ImportError:
            vec = np.vectorize(math.erf, otypes=[np.float64])
            _np_erf = lambda a: vec(a)  # noqa: E731
    return np.asarray(_np_erf(x), dtype=x.dtype)


def erfinv(xp, x):
    if xp is not np:
        from cupyx.scipy.special import erfinv as cp_erfinv
        return cp_erfinv(x)
    from scipy.special import erfinv as sp_erfinv
    return np.asarray(sp_erfinv(x), dtype=x.dtype)
