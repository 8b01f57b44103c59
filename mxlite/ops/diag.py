"""Diagonal and triangle copies: diag (src/operator/tensor/diag_op-inl.h) and the
``_linalg_extractdiag / makediag / extracttrian / maketrian`` ops (la_op.h; float32/float64, the
conventions of ``linalg``). Each gradient is the adjoint copy.
"""
import numpy as np

from ..base import MXNetError
from ._util import fmt_shape, norm_axis, unary_shape_rule
from .linalg import _mats, _reg
from .params import Bool, Int, ParamSpec
from .registry import OpDef, register


# ----- diag ---------------------------------------------------------------------------------------
def _diag_axes(p, ndim):
    a1 = norm_axis("diag", p["axis1"], ndim, "axis1")
    a2 = norm_axis("diag", p["axis2"], ndim, "axis2")
    if a1 == a2:
        raise MXNetError(f"diag: axis1 and axis2 cannot refer to the same axis {a1}")
    return a1, a2


def _diag_shape(p, s):
    k = p["k"]
    if len(s) == 1:
        n = s[0] + abs(k)
        return (n, n)
    a1, a2 = _diag_axes(p, len(s))
    h, w = s[a1], s[a2]
    n = min(h + min(k, 0), w - max(k, 0))
    if n <= 0:
        raise MXNetError(f"diag: Diagonal does not exist: k={k} for axes ({a1}, {a2}) of shape "
                         f"{fmt_shape(s)}")
    return tuple(d for i, d in enumerate(s) if i not in (a1, a2)) + (n,)


def _diag_forward(sc, p, ins):
    xp, x = sc.xp, ins[0]
    if x.ndim == 1:
        return [xp.diag(x, p["k"])]
    _diag_shape(p, x.shape)
    return [xp.ascontiguousarray(xp.diagonal(x, p["k"], *_diag_axes(p, x.ndim)))]


def _diag_backward(sc, p, ograds, ins, outs):
    xp, x, g, k = sc.xp, ins[0], ograds[0], p["k"]
    if x.ndim == 1:
        return [xp.ascontiguousarray(xp.diagonal(g, k))]
    a1, a2 = _diag_axes(p, x.ndim)
    grad = xp.zeros_like(x)
    n = g.shape[-1]
    # the two diagonal axes moved last in a view, so the scatter writes into grad itself
    view = xp.moveaxis(grad, (a1, a2), (-2, -1))
    view[..., xp.arange(n) + max(-k, 0), xp.arange(n) + max(k, 0)] = g
    return [grad]


register(OpDef(
    name="diag",
    params=ParamSpec(Int("k", 0, "Diagonal: 0 the main one, k > 0 above it, k < 0 below it."),
                     Int("axis1", 0, "First axis of the 2-D sub-arrays (ignored for 1-D data)."),
                     Int("axis2", 1, "Second axis of the 2-D sub-arrays (ignored for 1-D "
                                     "data).")),
    infer_shape=unary_shape_rule(_diag_shape), forward=_diag_forward, backward=_diag_backward,
    doc="1-D data: a square matrix with data on diagonal k. N-D data: diagonal k of the "
        "(axis1, axis2) planes, as a new last axis."))


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
                raise MXNetError(f"{op}: Input tensor A of maketrian has an invalid dimension "
                                 f"for the last axis: {a}")
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
