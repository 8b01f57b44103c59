"""NumPy float64 references for the scalar family: ``SCALAR`` maps each ``_*_scalar`` op name
(reverse ops included) to a function of the array and the Python scalar."""
import numpy as np

SCALAR = {
    "_plus_scalar": lambda x, s: x + s, "_minus_scalar": lambda x, s: x - s,
    "_rminus_scalar": lambda x, s: s - x, "_mul_scalar": lambda x, s: x * s,
    "_div_scalar": lambda x, s: x / s, "_rdiv_scalar": lambda x, s: s / x,
    "_power_scalar": lambda x, s: x ** s, "_rpower_scalar": lambda x, s: s ** x,
    "_mod_scalar": lambda x, s: np.mod(x, s), "_rmod_scalar": lambda x, s: np.mod(s, x),
    "_maximum_scalar": np.maximum, "_minimum_scalar": np.minimum,
    "_hypot_scalar": np.hypot,
    "_equal_scalar": lambda x, s: (x == s) * 1.0, "_not_equal_scalar": lambda x, s: (x != s) * 1.0,
    "_greater_scalar": lambda x, s: (x > s) * 1.0,
    "_greater_equal_scalar": lambda x, s: (x >= s) * 1.0,
    "_lesser_scalar": lambda x, s: (x < s) * 1.0,
    "_lesser_equal_scalar": lambda x, s: (x <= s) * 1.0,
    "_logical_and_scalar": lambda x, s: np.logical_and(x, s) * 1.0,
    "_logical_or_scalar": lambda x, s: np.logical_or(x, s) * 1.0,
    "_logical_xor_scalar": lambda x, s: np.logical_xor(x, s) * 1.0,
}
