"""Matrix products: dot (MXNet's N-D contraction rules) and batch_dot.
"""
from ..base import MXNetError
from .params import Bool, ParamSpec, Str
from .registry import OpDef, register

_DOT_PARAMS = ParamSpec(
    Bool("transpose_a", False, "If true then transpose the first input before dot."),
    Bool("transpose_b", False, "If true then transpose the second input before dot."),
    Str("forward_stype", None, "The desired storage type of the forward output (ignored)."))


def _as2d(x, first):
    """``x`` as a matrix whose contracted axis is axis 1 (first=False) or axis 0 (first=True)."""
    if x.ndim == 1:
        return x.reshape(-1, 1) if first else x.reshape(1, -1)
    return x.reshape(x.shape[0], -1) if first else x.reshape(-1, x.shape[-1])


def _dot_out_shape(a, b, ta, tb):
    if len(a) == 1 and len(b) == 1:
        if a[0] != b[0]:
            raise MXNetError(f"Error in operator dot: shapes {a} and {b} do not match")
        return (1,)
    ka = a[0] if ta else a[-1]
    kb = b[-1] if tb else b[0]
    if ka != kb:
        raise MXNetError(f"Error in operator dot: contracted dims do not match: lhs {a} "
                         f"(transpose_a={ta}) and rhs {b} (transpose_b={tb})")
    lhs_rest = tuple(a[1:]) if ta else tuple(a[:-1])
    rhs_rest = tuple(b[:-1]) if tb else tuple(b[1:])
    out = lhs_rest + rhs_rest
    return out if out else (1,)


def _dot_shape(p, in_shapes):
    a, b = in_shapes
    if a is None or b is None:
        return list(in_shapes), [None]
    return [a, b], [_dot_out_shape(a, b, p["transpose_a"], p["transpose_b"])]


def _mats(p, a, b):
    """(A, B) 2-D views with A @ B the flattened product."""
    ta, tb = p["transpose_a"], p["transpose_b"]
    am = _as2d(a, first=True).T if ta else _as2d(a, first=False)
    bm = _as2d(b, first=False).T if tb else _as2d(b, first=True)
    return am, bm


def _dot_forward(sc, p, ins):
    a, b = ins
    am, bm = _mats(p, a, b)
    out_shape = _dot_out_shape(a.shape, b.shape, p["transpose_a"], p["transpose_b"])
    return [sc.xp.matmul(am, bm).reshape(out_shape)]


def _dot_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    a, b = ins
    am, bm = _mats(p, a, b)
    g = ograds[0].reshape(am.shape[0], bm.shape[1])
    ga = xp.matmul(g, bm.T)  # shape of am
    gb = xp.matmul(am.T, g)  # shape of bm
    ga = ga.T if p["transpose_a"] else ga
    gb = gb.T if p["transpose_b"] else gb
    return [ga.reshape(a.shape), gb.reshape(b.shape)]


register(OpDef(name="dot", params=_DOT_PARAMS, inputs=("lhs", "rhs"), forward=_dot_forward,
               backward=_dot_backward, infer_shape=_dot_shape,
               doc="Dot product: contracts the last axis of lhs with the first axis of rhs "
                   "(transpose_a/transpose_b change which axis)."))


def _bdot_shape(p, in_shapes):
    a, b = in_shapes
    if a is None or b is None:
        return list(in_shapes), [None]
    if len(a) < 3 or len(a) != len(b) or a[:-2] != b[:-2]:
        raise MXNetError(f"Error in operator batch_dot: lhs {a} and rhs {b} must be >= 3-D with "
                         f"equal batch dimensions")
    m, ka = (a[-1], a[-2]) if p["transpose_a"] else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if p["transpose_b"] else (b[-2], b[-1])
    if ka != kb:
        raise MXNetError(f"Error in operator batch_dot: contracted dims of {a} and {b} differ")
    return [a, b], [tuple(a[:-2]) + (m, n)]


def _t(xp, x, flag):
    return xp.swapaxes(x, -1, -2) if flag else x


def _bdot_forward(sc, p, ins):
    xp = sc.xp
    return [xp.matmul(_t(xp, ins[0], p["transpose_a"]), _t(xp, ins[1], p["transpose_b"]))]


def _bdot_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    a, b, g = ins[0], ins[1], ograds[0]
    am, bm = _t(xp, a, p["transpose_a"]), _t(xp, b, p["transpose_b"])
    ga = xp.matmul(g, xp.swapaxes(bm, -1, -2))
    gb = xp.matmul(xp.swapaxes(am, -1, -2), g)
    return [_t(xp, ga, p["transpose_a"]), _t(xp, gb, p["transpose_b"])]


register(OpDef(name="batch_dot", params=_DOT_PARAMS, inputs=("lhs", "rhs"),
               forward=_bdot_forward, backward=_bdot_backward, infer_shape=_bdot_shape,
               doc="Batched matrix product over the last two axes of >= 3-D inputs."))
