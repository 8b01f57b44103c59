"""NumPy float64 reference for dot (transpose_a/b, 1-D operands; batch_dot is ``np.matmul``
inline in the cases)."""
import numpy as np


def dot(a, b, transpose_a=False, transpose_b=False):
    if a.ndim == 1 and b.ndim == 1:
        return np.array([np.dot(a, b)])
    if transpose_a:
        a = np.moveaxis(a, 0, -1)
    if transpose_b:
        b = np.moveaxis(b, -1, 0)
    return np.tensordot(a, b, axes=([a.ndim - 1], [0]))
