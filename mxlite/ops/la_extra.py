"""The rest of the ``_linalg_*`` family (src/operator/tensor/la_op-inl.h, la_op.cc): the LQ and
symmetric eigen factorizations (gelqf, syevd), inverse, det, slogdet, and the diagonal/triangle
copies (extractdiag, makediag, extracttrian, maketrian). Conventions as in ``la``.
"""
import numpy as np

from ..base import MXNetError
from .la import _batch_shape, _copy_ltu, _linalg_error, _mats, _reg, _square_shape, _t
from .params import Bool, Int

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


# ----- diagonal / triangle copies -----------------------------------------------------------------
_OFFSET = Int("offset", 0, "Offset of the diagonal versus the main diagonal. 0 corresponds to "
                           "the main diagonal, a negative/positive value to diagonals "
                           "below/above the main diagonal.")
_TRIAN_LOWER = Bool("lower", True, "Refer to the lower triangular matrix if lower=true, refer to "
                                   "the upper otherwise. Only relevant when offset=0")


def _diag_index(p, n):
    k = p["offset"]
    i = np.arange(n - abs(k))
    return i + max(-k, 0), i + max(k, 0)


def _trian_index(p, n):
    """(rows, cols) of the triangle's entries in MXNet's storage order (CopyTrian): row by row of
    the lower triangle, or column by column of the upper one."""
    k = p["offset"]
    m = n - abs(k)
    r = np.repeat(np.arange(m), np.arange(1, m + 1))
    c = np.concatenate([np.arange(i + 1) for i in range(m)]) if m > 0 else np.zeros(0, int)
    if k < 0 or (k == 0 and p["lower"]):
        return r + abs(k), c
    return c, r + abs(k)


def _extract_shape(op, diag):
    def rule(p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return [None], [None]
        a = tuple(a)
        _mats(op, "A", a)
        m = a[-1] - abs(p["offset"])
        if m <= 0:
            raise MXNetError(f"{op}: Illegal offset {p['offset']} for diag/trian extraction of "
                             f"matrix with dimension {a[-1]}")
        return [a], [a[:-2] + ((m,) if diag else (m * (m + 1) // 2,))]
    return rule


def _make_shape(op, diag):
    def rule(p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return [None], [None]
        a = tuple(a)
        if not a:
            raise MXNetError(f"{op}: input A must have >= 1 dimension")
        m = a[-1]
        if not diag:
            m = int(np.floor(0.5 + (np.sqrt(8 * a[-1] + 1) - 1.0) * 0.5))
            if m * (m + 1) // 2 != a[-1]:
                raise MXNetError(f"{op}: Input tensor of maketrian has an invalid dimension for "
                                 f"the last axis: {a}")
        n = m + abs(p["offset"])
        return [a], [a[:-1] + (n, n)]
    return rule


def _gather(sc, index, a):
    rows, cols = (sc.xp.asarray(i) for i in index(a.shape[-1]))
    return sc.xp.ascontiguousarray(a[..., rows, cols])


def _scatter(sc, index, v, n):
    xp = sc.xp
    out = xp.zeros(v.shape[:-1] + (n, n), v.dtype)
    rows, cols = (xp.asarray(i) for i in index(n))
    out[..., rows, cols] = v
    return out


def _copy_ops(kind, index, params):
    def extract_fwd(sc, p, ins):
        return [_gather(sc, lambda n: index(p, n), ins[0])]

    def extract_bwd(sc, p, ograds, ins, outs):
        return [_scatter(sc, lambda n: index(p, n), ograds[0], ins[0].shape[-1])]

    def make_fwd(sc, p, ins):
        n = _make_shape("", kind == "diag")(p, [ins[0].shape])[1][0][-1]
        return [_scatter(sc, lambda n: index(p, n), ins[0], n)]

    def make_bwd(sc, p, ograds, ins, outs):
        return [_gather(sc, lambda n: index(p, n), ograds[0])]

    diag = kind == "diag"
    _reg(f"_linalg_extract{kind}", ("A",), extract_fwd, extract_bwd,
         _extract_shape(f"_linalg_extract{kind}", diag), params,
         doc=f"Extracts a {'diagonal' if diag else 'triangle'} of square matrices.")
    _reg(f"_linalg_make{kind}", ("A",), make_fwd, make_bwd,
         _make_shape(f"_linalg_make{kind}", diag), params,
         doc=f"Square matrices with the given {'diagonal' if diag else 'triangle'}, zero "
             f"elsewhere.")


_copy_ops("diag", _diag_index, (_OFFSET,))
_copy_ops("trian", _trian_index, (_OFFSET, _TRIAN_LOWER))
