"""``cupyx`` stand-in: the scatter helpers mxlite's index ops use."""
import numpy as _np

from . import scipy  # noqa: F401


def scatter_add(a, slices, value):
    _np.add.at(a, slices, value)


def scatter_max(a, slices, value):
    _np.maximum.at(a, slices, value)
