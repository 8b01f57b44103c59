"""NumPy float64 reference for Pad: ``np.pad`` with MXNet's flat ``pad_width`` read as
(before, after) pairs per axis."""
import numpy as np


def pad(x, mode, pad_width, constant_value=0.0):
    pairs = list(zip(pad_width[::2], pad_width[1::2], strict=True))
    if mode == "constant":
        return np.pad(x, pairs, mode="constant", constant_values=constant_value)
    return np.pad(x, pairs, mode=mode)
