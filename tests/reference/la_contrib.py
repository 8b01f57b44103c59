"""NumPy float64 references for the ``_linalg_*`` ops (mxlite/ops/la.py, la_extra.py) and the
contrib ops (mxlite/ops/contrib_ops.py).

Written from the ops' documented meaning (MXNet's la_op.cc / contrib docs), never from mxlite's
code: triangular solves through SciPy, the LQ factorization as its own Householder loop, resizing
and pooling as explicit per-pixel loops.

A symmetric input (potrf, syevd) enters as ``(A + A^T) / 2``: MXNet reads one triangle only but
returns the symmetric gradient, which is the gradient of this symmetrized function.
"""
import numpy as np
import scipy.linalg


def _t(x):
    return np.swapaxes(x, -1, -2)


def _batched(fn, *mats):
    """Apply a per-matrix function over the leading batch axes (tuple results stay tuples)."""
    batch = mats[0].shape[:-2]
    res = [fn(*(m[idx] for m in mats)) for idx in np.ndindex(batch)]
    if isinstance(res[0], tuple):
        return [np.stack([r[k] for r in res]).reshape(batch + res[0][k].shape)
                for k in range(len(res[0]))]
    return np.stack(res).reshape(batch + res[0].shape)


def _single(shape):
    # a single matrix reduces to shape (1,) in MXNet's legacy shape mode
    return shape if shape else (1,)


# ----- BLAS-like ----------------------------------------------------------------------------------
def gemm(a, b, c=None, transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0, axis=-2):
    move = lambda x: np.moveaxis(x, axis, -2)
    am, bm = move(a), move(b)
    am = _t(am) if transpose_a else am
    bm = _t(bm) if transpose_b else bm
    out = alpha * am @ bm
    if c is not None:
        out = out + beta * move(c)
    return np.moveaxis(out, -2, axis)


def _tri(a, lower):
    return np.tril(a) if lower else np.triu(a)


def trmm(a, b, transpose=False, rightside=False, lower=True, alpha=1.0):
    t = _tri(a, lower)
    t = _t(t) if transpose else t
    return alpha * (b @ t if rightside else t @ b)


def trsm(a, b, transpose=False, rightside=False, lower=True, alpha=1.0):
    def one(am, bm):
        if rightside:  # X op(A) = B  <=>  op(A)^T X^T = B^T
            return scipy.linalg.solve_triangular(am, bm.T, lower=lower,
                                                 trans=0 if transpose else 1).T
        return scipy.linalg.solve_triangular(am, bm, lower=lower, trans=1 if transpose else 0)
    return alpha * _batched(one, _tri(a, lower), b)


def syrk(a, transpose=False, alpha=1.0):
    return alpha * (_t(a) @ a if transpose else a @ _t(a))


def sumlogdiag(a):
    return np.log(np.diagonal(a, axis1=-2, axis2=-1)).sum(-1).reshape(_single(a.shape[:-2]))


# ----- Cholesky -----------------------------------------------------------------------------------
def potrf(a, lower=True):
    low = np.linalg.cholesky((a + _t(a)) / 2)
    return low if lower else _t(low)


def potri(b, lower=True):
    def one(bm):
        eye = np.eye(bm.shape[-1])
        inv = scipy.linalg.solve_triangular(bm, eye, lower=lower)
        return inv.T @ inv if lower else inv @ inv.T
    return _batched(one, _tri(b, lower))


# ----- factorizations -----------------------------------------------------------------------------
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
    return _batched(_lq_householder, a)


def syevd(a):
    lam, vec = np.linalg.eigh((a + _t(a)) / 2)
    u = _t(vec).copy()
    flat = u.reshape(-1, u.shape[-1])
    for row in flat:
        k = int(np.argmax(np.abs(row)))  # first index on ties
        if row[k] < 0:
            row *= -1
    return [flat.reshape(u.shape), lam]


def inverse(a):
    return np.linalg.inv(a)


def det(a):
    return np.linalg.det(a).reshape(_single(a.shape[:-2]))


def slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    shape = _single(a.shape[:-2])
    return [sign.reshape(shape), logdet.reshape(shape)]


# ----- diagonal / triangle copies -----------------------------------------------------------------
def _trian_positions(n, offset, lower):
    """(row, col) of the triangle's entries in storage order: the lower triangle row by row, or
    the upper triangle column by column (MXNet's extracttrian examples)."""
    d = abs(offset)
    m = n - d
    pos = [(r + d, c) for r in range(m) for c in range(r + 1)]
    if offset > 0 or (offset == 0 and not lower):
        pos = [(c, r) for r, c in pos]
    return pos


def extractdiag(a, offset=0):
    return np.diagonal(a, offset=offset, axis1=-2, axis2=-1).copy()


def makediag(a, offset=0):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n))
    for i in range(a.shape[-1]):
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a[..., i]
    return out


def extracttrian(a, offset=0, lower=True):
    pos = _trian_positions(a.shape[-1], offset, lower)
    return np.stack([a[..., r, c] for r, c in pos], axis=-1)


def maketrian(a, offset=0, lower=True):
    m = int(round((np.sqrt(8 * a.shape[-1] + 1) - 1) / 2))
    n = m + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n))
    for k, (r, c) in enumerate(_trian_positions(n, offset, lower)):
        out[..., r, c] = a[..., k]
    return out


# ----- contrib ------------------------------------------------------------------------------------
def adaptive_avg_pool(x, output_size=()):
    size = tuple(np.atleast_1d(output_size)) if output_size != () else (1, 1)
    oh, ow = (size[0], size[0]) if len(size) == 1 else size
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        h0, h1 = int(np.floor(i * h / oh)), int(np.ceil((i + 1) * h / oh))
        for j in range(ow):
            w0, w1 = int(np.floor(j * w / ow)), int(np.ceil((j + 1) * w / ow))
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _source(o, n_in, n_out, align_corners):
    """Source coordinate of output pixel ``o`` (float32 arithmetic, as MXNet's kernel)."""
    f = np.float32
    if n_out <= 1:
        return f(0)
    if align_corners:
        return f(f(n_in - 1) / f(n_out - 1)) * f(o)
    src = f(f(n_in) / f(n_out)) * f(o + 0.5) - f(0.5)
    return max(src, f(0))


def bilinear_resize(x, out_h, out_w, align_corners=True):
    n, c, h, w = x.shape
    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        sy = _source(i, h, out_h, align_corners)
        y0 = int(sy)
        y1, ly = min(y0 + 1, h - 1), float(sy - np.float32(y0))
        for j in range(out_w):
            sx = _source(j, w, out_w, align_corners)
            x0 = int(sx)
            x1, lx = min(x0 + 1, w - 1), float(sx - np.float32(x0))
            out[:, :, i, j] = ((1 - ly) * ((1 - lx) * x[:, :, y0, x0] + lx * x[:, :, y0, x1])
                               + ly * ((1 - lx) * x[:, :, y1, x0] + lx * x[:, :, y1, x1]))
    return out


def index_array(x, axes=None):
    idx = np.indices(x.shape, dtype=np.int64)
    axes = range(x.ndim) if axes is None else axes
    return np.stack([idx[a] for a in axes], axis=-1)


def div_sqrt_dim(x):
    return x / np.sqrt(x.shape[-1])


def arange_like(x, start=0.0, step=1.0, repeat=1, axis=None):
    shape = x.shape if axis is None else (x.shape[axis],)
    n = int(np.prod(shape))
    return (start + (np.arange(n) // repeat) * step).reshape(shape)
