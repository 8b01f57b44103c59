"""Linear algebra on batches of matrices, the factorisations and what they
give: ``_linalg_potrf`` / ``potri`` (Cholesky), ``gelqf`` (LQ), ``syevd`` (symmetric
eigendecomposition), ``inverse``, ``det`` and ``slogdet`` (src/operator/tensor/la_op.h,
la_op-inl.h). Conventions as in ``linalg``.
"""
import numpy as np

from ..base import MXNetError
from .linalg import (
    _LOWER,
    _batch_shape,
    _copy_ltu,
    _linalg_error,
    _mats,
    _reg,
    _square_shape,
    _t,
    _tri,
)

# ----- potrf / potri ------------------------------------------------------------------------------


def _sym_from(xp, a, lower):
    """The symmetric matrix LAPACK sees when it reads only one triangle of ``a``."""
    tri = xp.tril(a, -1) if lower else xp.triu(a, 1)
    return tri + _t(xp, tri) + xp.tril(xp.triu(a))


def _potrf_forward(sc, p, ins):
    xp = sc.xp
    try:
        low = xp.linalg.cholesky(_sym_from(xp, ins[0], p["lower"]))
    except np.linalg.LinAlgError as err:
        raise _linalg_error("_linalg_potrf", err) from None
    return [low if p["lower"] else xp.ascontiguousarray(_t(xp, low))]


def _potrf_backward(sc, p, ograds, ins, outs):
    # dA = 0.5 * L^-T copyLTU(L^T dL) L^-1; the upper case is the lower one transposed
    xp = sc.xp
    low, dlow = outs[0], ograds[0]
    if not p["lower"]:
        low, dlow = _t(xp, low), _t(xp, dlow)
    inv = xp.linalg.inv(low)
    return [0.5 * xp.matmul(xp.matmul(_t(xp, inv), _copy_ltu(xp, xp.matmul(_t(xp, low), dlow))),
                            inv)]


_reg("_linalg_potrf", ("A",), _potrf_forward, _potrf_backward, _square_shape("_linalg_potrf"),
     (_LOWER,), doc="Cholesky factor of symmetric positive-definite matrices.")


def _potri_forward(sc, p, ins):
    xp = sc.xp
    try:
        inv = xp.linalg.inv(_tri(xp, ins[0], p["lower"]))
    except np.linalg.LinAlgError as err:
        raise _linalg_error("_linalg_potri", err) from None
    # lower: (L L^T)^-1 = L^-T L^-1; upper: (U^T U)^-1 = U^-1 U^-T
    return [xp.matmul(_t(xp, inv), inv) if p["lower"] else xp.matmul(inv, _t(xp, inv))]


def _potri_backward(sc, p, ograds, ins, outs):
    # dB = -tril(A (dA + dA^T) B^-T) (lower); the upper case transposed
    xp = sc.xp
    g, a = ograds[0], outs[0]
    sym = g + _t(xp, g)
    binv = xp.linalg.inv(_tri(xp, ins[0], p["lower"]))
    if p["lower"]:
        return [-xp.tril(xp.matmul(xp.matmul(a, sym), _t(xp, binv)))]
    return [-xp.triu(xp.matmul(_t(xp, binv), xp.matmul(sym, a)))]


_reg("_linalg_potri", ("A",), _potri_forward, _potri_backward, _square_shape("_linalg_potri"),
     (_LOWER,), doc="Inverse of B*B^T (lower) or B^T*B (upper) from its triangular factor B.")


# ----- gelqf --------------------------------------------------------------------------------------


def _gelqf_shape(p, in_shapes):
    a = in_shapes[0]
    if a is None:
        return [None], [None, None]
    a = tuple(a)
    _mats("_linalg_gelqf", "A", a, square=False)
    if a[-2] > a[-1]:
        raise MXNetError(f"_linalg_gelqf: Input A shape wrong: Last dimension must be >= than "
                         f"second to last, got {a}")
    return [a], [a, a[:-1] + (a[-2],)]


def _gelqf_forward(sc, p, ins):
    # A = L Q is the transpose of A^T = Q^T L^T: LAPACK's geqrf on A^T makes the same Householder
    # reflectors as gelqf on A, hence the same signs on L's diagonal
    xp = sc.xp
    q, r = xp.linalg.qr(_t(xp, ins[0]))
    return [xp.ascontiguousarray(_t(xp, q)), xp.ascontiguousarray(_t(xp, r))]


def _gelqf_backward(sc, p, ograds, ins, outs):
    # dA = L^-T (dQ + copyLTU(M) Q), M = L^T dL - dQ Q^T
    xp = sc.xp
    dq, dl = ograds
    q, low = outs
    m = xp.matmul(_t(xp, low), dl) - xp.matmul(dq, _t(xp, q))
    rhs = dq + xp.matmul(_copy_ltu(xp, m), q)
    return [xp.linalg.solve(_t(xp, low), rhs)]


_reg("_linalg_gelqf", ("A",), _gelqf_forward, _gelqf_backward, _gelqf_shape, num_outputs=2,
     doc="LQ factorization A = L*Q: Q (like A) with orthonormal rows, L lower triangular.")


# ----- syevd --------------------------------------------------------------------------------------
def _syevd_shape(p, in_shapes):
    a = in_shapes[0]
    if a is None:
        return [None], [None, None]
    a = tuple(a)
    _mats("_linalg_syevd", "A", a)
    return [a], [a, a[:-1]]


def _syevd_forward(sc, p, ins):
    xp = sc.xp
    lam, vec = xp.linalg.eigh(ins[0], UPLO="L")
    u = _t(xp, vec)
    # SyevdEigenVecSigns: each row's entry of largest magnitude (first on ties) made positive
    k = xp.argmax(xp.abs(u), axis=-1)[..., None]
    sign = xp.where(xp.take_along_axis(u, k, axis=-1) < 0, -1.0, 1.0).astype(u.dtype)
    return [xp.ascontiguousarray(u * sign), lam]


def _syevd_backward(sc, p, ograds, ins, outs):
    # dA = U^T Y U with Y_ij = Y_ji = (X_ij - X_ji) / (2 max(L_i - L_j, eps)) for i > j,
    # Y_ii = dL_i and X = dU U^T (SyevdBackHelper)
    xp = sc.xp
    du, dlam = ograds
    u, lam = outs
    x = xp.matmul(du, _t(xp, u))
    eps = 1e-30 if u.dtype == np.float32 else 1e-100
    gap = xp.maximum(lam[..., :, None] - lam[..., None, :], eps)
    low = xp.tril((x - _t(xp, x)) / (2 * gap), -1)
    y = low + _t(xp, low) + xp.eye(u.shape[-1], dtype=u.dtype) * dlam[..., None, :]
    return [xp.matmul(xp.matmul(_t(xp, u), y), u)]


_reg("_linalg_syevd", ("A",), _syevd_forward, _syevd_backward, _syevd_shape, num_outputs=2,
     alias=False,  # the only _linalg_ op MXNet registers without a linalg_ alias
     doc="Eigendecomposition of symmetric matrices: U*A = diag(L)*U, L ascending.")


# ----- inverse / det / slogdet --------------------------------------------------------------------
def _inverse_forward(sc, p, ins):
    try:
        return [sc.xp.linalg.inv(ins[0])]
    except np.linalg.LinAlgError as err:
        raise _linalg_error("_linalg_inverse", err) from None


def _inverse_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    inv_t = _t(xp, outs[0])
    return [-xp.matmul(xp.matmul(inv_t, ograds[0]), inv_t)]


_reg("_linalg_inverse", ("A",), _inverse_forward, _inverse_backward,
     _square_shape("_linalg_inverse"), doc="Inverse of square matrices.")


def _det_shape(op, n_out):
    rule = _square_shape(op, _batch_shape)

    def shape(p, in_shapes):
        ins, outs = rule(p, in_shapes)
        return ins, outs * n_out
    return shape


def _inv_t_where(xp, a, ok):
    """``inv(a)^T`` for the matrices where ``ok`` holds, zero for the others (singular ones:
    MXNet's StopZeroDetGrad)."""
    ok = ok.reshape(a.shape[:-2] + (1, 1))
    safe = xp.where(ok, a, xp.eye(a.shape[-1], dtype=a.dtype))
    return xp.where(ok, _t(xp, xp.linalg.inv(safe)), 0).astype(a.dtype)


def _det_forward(sc, p, ins):
    return [sc.xp.linalg.det(ins[0]).reshape(_batch_shape(ins[0].shape))]


def _det_backward(sc, p, ograds, ins, outs):
    # Jacobi's formula: d det(A) / dA = det(A) A^-T
    xp = sc.xp
    a, det = ins[0], outs[0]
    scale = (ograds[0] * det).reshape(a.shape[:-2] + (1, 1))
    return [scale * _inv_t_where(xp, a, det != 0)]


_reg("_linalg_det", ("A",), _det_forward, _det_backward, _det_shape("_linalg_det", 1),
     doc="Determinant of square matrices.")


def _slogdet_forward(sc, p, ins):
    sign, logdet = sc.xp.linalg.slogdet(ins[0])
    shape = _batch_shape(ins[0].shape)
    return [sign.reshape(shape), logdet.reshape(shape)]


def _slogdet_backward(sc, p, ograds, ins, outs):
    # the sign gets no gradient; log|det(A)| has A^-T
    xp = sc.xp
    a, logdet = ins[0], outs[1]
    scale = ograds[1].reshape(a.shape[:-2] + (1, 1))
    return [scale * _inv_t_where(xp, a, logdet != -np.inf)]


_reg("_linalg_slogdet", ("A",), _slogdet_forward, _slogdet_backward,
     _det_shape("_linalg_slogdet", 2), num_outputs=2,
     doc="Sign and log of the absolute value of the determinant.")
