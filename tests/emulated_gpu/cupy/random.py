"""``cupy.random.RandomState`` stand-in over NumPy's."""
import numpy as _np

from . import _conv


class RandomState:
    def __init__(self, seed=None):
        self._rs = _np.random.RandomState(seed)

    def __getattr__(self, name):
        fn = getattr(self._rs, name)
        return lambda *args, **kwargs: _conv(_np.asarray(fn(*args, **kwargs)))
