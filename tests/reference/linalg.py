"""NumPy float64 references for the BLAS-like ``_linalg_*`` ops: gemm, gemm2, trmm, trsm, syrk
and sumlogdiag (float32/float64 only, as MXNet).

Written from the ops' documented meaning (MXNet's la_op.cc), never from mxlite's code: triangular
solves through SciPy.
"""
import numpy as np
import scipy.linalg

from reference._util import batched, mat_t, single, tri


def gemm(a, b, c=None, transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0, axis=-2):
    move = lambda x: np.moveaxis(x, axis, -2)
    am, bm = move(a), move(b)
    am = mat_t(am) if transpose_a else am
    bm = mat_t(bm) if transpose_b else bm
    out = alpha * am @ bm
    if c is not None:
        out = out + beta * move(c)
    return np.moveaxis(out, -2, axis)


def trmm(a, b, transpose=False, rightside=False, lower=True, alpha=1.0):
    t = tri(a, lower)
    t = mat_t(t) if transpose else t
    return alpha * (b @ t if rightside else t @ b)


def trsm(a, b, transpose=False, rightside=False, lower=True, alpha=1.0):
    def one(am, bm):
        if rightside:  # X op(A) = B  <=>  op(A)^T X^T = B^T
            return scipy.linalg.solve_triangular(am, bm.T, lower=lower,
                                                 trans=0 if transpose else 1).T
        return scipy.linalg.solve_triangular(am, bm, lower=lower, trans=1 if transpose else 0)
    return alpha * batched(one, tri(a, lower), b)


def syrk(a, transpose=False, alpha=1.0):
    return alpha * (mat_t(a) @ a if transpose else a @ mat_t(a))


def sumlogdiag(a):
    return np.log(np.diagonal(a, axis1=-2, axis2=-1)).sum(-1).reshape(single(a.shape[:-2]))
