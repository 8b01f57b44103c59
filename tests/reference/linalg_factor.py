"""NumPy float64 references for the factorising ``_linalg_*`` ops: potrf, potri, gelqf, syevd,
inverse, det and slogdet.

Written from the ops' documented meaning (MXNet's la_op.cc), never from mxlite's code: the LQ
factorization as its own Householder loop, Cholesky and eigen-decompositions through NumPy.

A symmetric input (potrf, syevd) enters as ``(A + A^T) / 2``: MXNet reads one triangle only but
returns the symmetric gradient, which is the gradient of this symmetrized function.
"""
import numpy as np
import scipy.linalg

from reference._util import batched, mat_t, single, tri


def potrf(a, lower=True):
    low = np.linalg.cholesky((a + mat_t(a)) / 2)
    return low if lower else mat_t(low)


def potri(b, lower=True):
    def one(bm):
        eye = np.eye(bm.shape[-1])
        inv = scipy.linalg.solve_triangular(bm, eye, lower=lower)
        return inv.T @ inv if lower else inv @ inv.T
    return batched(one, tri(b, lower))


def _lq_householder(a):
    """LQ of one (m, n) matrix, m <= n, by Householder reflections with LAPACK's dlarfg sign rule
    (the diagonal of L is -sign(alpha) * norm)."""
    m, n = a.shape
    r = a.copy()
    q = np.eye(n)
    for i in range(m):
        x = r[i, i:].copy()
        alpha, rest = x[0], np.linalg.norm(x[1:])
        if rest == 0.0:
            continue  # H = I (tau = 0), as dlarfg
        beta = -np.copysign(np.hypot(alpha, rest), alpha)
        v = x.copy()
        v[0] = alpha - beta
        v /= np.linalg.norm(v)
        h = np.eye(n)
        h[i:, i:] -= 2.0 * np.outer(v, v)
        r = r @ h
        q = h @ q
    return q[:m], np.tril(r[:, :m])


def gelqf(a):
    return batched(_lq_householder, a)


def syevd(a):
    lam, vec = np.linalg.eigh((a + mat_t(a)) / 2)
    u = mat_t(vec).copy()
    flat = u.reshape(-1, u.shape[-1])
    for row in flat:
        k = int(np.argmax(np.abs(row)))  # first index on ties
        if row[k] < 0:
            row *= -1
    return [flat.reshape(u.shape), lam]


def inverse(a):
    return np.linalg.inv(a)


def det(a):
    return np.linalg.det(a).reshape(single(a.shape[:-2]))


def slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    shape = single(a.shape[:-2])
    return [sign.reshape(shape), logdet.reshape(shape)]
