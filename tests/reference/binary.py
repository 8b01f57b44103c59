"""NumPy float64 references for the binary family: ``BINARY`` maps each arithmetic, comparison
and logical key (``add`` for elemwise_add / broadcast_add, ``mod`` for _mod / broadcast_mod, ...)
to a function of two float64 arrays; comparisons and logical ops return 0.0/1.0 as MXNet does.
"""
import numpy as np

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "power": np.power, "maximum": np.maximum, "minimum": np.minimum, "hypot": np.hypot,
    "mod": lambda a, b: np.where(b == 0, 0.0, np.mod(a, b)),
    "equal": lambda a, b: (a == b) * 1.0, "not_equal": lambda a, b: (a != b) * 1.0,
    "greater": lambda a, b: (a > b) * 1.0, "greater_equal": lambda a, b: (a >= b) * 1.0,
    "lesser": lambda a, b: (a < b) * 1.0, "lesser_equal": lambda a, b: (a <= b) * 1.0,
    "logical_and": lambda a, b: np.logical_and(a, b) * 1.0,
    "logical_or": lambda a, b: np.logical_or(a, b) * 1.0,
    "logical_xor": lambda a, b: np.logical_xor(a, b) * 1.0,
}
