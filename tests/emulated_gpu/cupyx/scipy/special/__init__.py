"""``cupyx.scipy.special`` stand-in over SciPy."""
import scipy.special as _special
from cupy import _wrap

erf = _wrap(_special.erf)
erfinv = _wrap(_special.erfinv)
gamma = _wrap(_special.gamma)
gammaln = _wrap(_special.gammaln)
digamma = _wrap(_special.digamma)
