"""Linear algebra on batches of matrices, the products: ``_linalg_gemm``, ``gemm2``,
``trmm``, ``trsm``, ``syrk`` and ``sumlogdiag``, behind ``mx.sym.linalg`` / ``mx.nd.linalg``
(src/operator/tensor/la_op.h, la_op-inl.h, la_op.cc), and the helpers the other ``_linalg_*``
families (linalg_factor, diag) share.

Every op works on the trailing two axes (``gemm``/``gemm2`` may put the row axis elsewhere with
``axis``) and supports float32 and float64 only, as MXNet's ``MSHADOW_SGL_DBL_TYPE_SWITCH``. A
triangular input is read from its ``lower`` (or upper) triangle only, the other triangle being
ignored as LAPACK does, and its gradient is zero there.
"""
import numpy as np

from ..base import MXNetError
from .params import Bool, Float, Int, ParamSpec
from .registry import OpDef, register

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _float_types(names, num_outputs):
    """Type rule: every input and output share one dtype, float32 or float64."""
    def rule(p, in_types):
        given = next(((n, t) for n, t in zip(names, in_types) if t is not None), None)
        known = given[1] if given else None
        if known is not None and np.dtype(known) not in _FLOATS:
            raise MXNetError(f"This operation only supports 32-bit and 64-bit floating point, "
                             f"got input {given[0]} of dtype {np.dtype(known).name}")
        return [known] * len(in_types), [known] * num_outputs
    return rule


def _t(xp, x):
    return xp.swapaxes(x, -1, -2)


def _tri(xp, a, lower):
    return xp.tril(a) if lower else xp.triu(a)


def _mats(op, name, shape, square=True):
    """Check ``shape`` is a (batch of) square matrices; MXNetError naming the op otherwise."""
    if len(shape) < 2:
        raise MXNetError(f"{op}: input {name} must have >= 2 dimensions, got {shape}")
    if square and shape[-1] != shape[-2]:
        raise MXNetError(f"{op}: input {name} must be a tensor of square matrices, got {shape}")


def _linalg_error(op, err):
    return MXNetError(f"{op}: {err} (is the input positive definite / non-singular?)")


def _reg(name, inputs, forward, backward, infer_shape, params=(), num_outputs=1, alias=True,
         doc=""):
    register(OpDef(name=name, inputs=inputs, forward=forward, backward=backward,
                   infer_shape=infer_shape, params=ParamSpec(*params), num_outputs=num_outputs,
                   infer_type=_float_types(inputs, num_outputs),
                   aliases=(name[1:],) if alias else (), doc=doc))


_LOWER = Bool("lower", True, "True if the triangular matrix is lower triangular, false if it "
                             "is upper triangular.")


def _square_shape(op, out_rule=lambda s: s):
    def rule(p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return [None], [None]
        _mats(op, "A", tuple(a))
        return [tuple(a)], [out_rule(tuple(a))]
    return rule


def _copy_ltu(xp, m):
    """MXNet's copyLTU: the symmetric matrix holding the lower triangle of ``m``."""
    return xp.tril(m) + _t(xp, xp.tril(m, -1))


# ----- gemm / gemm2 ------------------------------------------------------------------------------
def _mult_params(mac):
    fields = [Bool("transpose_a", False, "Multiply with transposed of first input (A)."),
              Bool("transpose_b", False, "Multiply with transposed of second input (B)."),
              Float("alpha", 1.0, "Scalar factor multiplied with A*B.")]
    if mac:
        fields.append(Float("beta", 1.0, "Scalar factor multiplied with C."))
    fields.append(Int("axis", -2, "Axis corresponding to the matrix rows."))
    return fields


def _gemm_shape(p, in_shapes):
    # LaMatrixMultMacOpShape: forward inference only; C (gemm) takes the output shape
    op = "_linalg_gemm" if len(in_shapes) == 3 else "_linalg_gemm2"
    a, b = in_shapes[0], in_shapes[1]
    if a is None or b is None:
        # no backward inference, but a known C is the output shape
        return list(in_shapes), [in_shapes[2] if len(in_shapes) == 3 else None]
    nd = len(a)
    if nd < 2 or nd != len(b):
        raise MXNetError(f"{op}: A {a} and B {b} must have the same number (>= 2) of dimensions")
    axis = p["axis"] + nd if p["axis"] < 0 else p["axis"]
    if not 0 <= axis < nd - 1:
        raise MXNetError(f"{op}: Invalid row axis ({p['axis']}) for {nd}-D inputs")
    for i in range(nd - 1):
        if i != axis and a[i] != b[i]:
            raise MXNetError(f"{op}: Shapes of inputs 0, 1 must be the same, except on row/col "
                             f"axis: A {a}, B {b}")
    ka = a[axis] if p["transpose_a"] else a[-1]
    kb = b[-1] if p["transpose_b"] else b[axis]
    if ka != kb:
        raise MXNetError(f"{op}: Incompatible matrix dimensions for multiplication: A {a} "
                         f"(transpose_a={p['transpose_a']}), B {b} "
                         f"(transpose_b={p['transpose_b']})")
    out = list(a)
    out[axis] = a[-1] if p["transpose_a"] else a[axis]
    out[-1] = b[axis] if p["transpose_b"] else b[-1]
    out = tuple(out)
    if len(in_shapes) == 3:
        if in_shapes[2] is not None and tuple(in_shapes[2]) != out:
            raise MXNetError(f"{op}: C has shape {tuple(in_shapes[2])}, expected {out}")
        return [a, b, out], [out]
    return [a, b], [out]


def _to_rows(xp, x, p):
    """``x`` with its row axis moved next to the column axis (the matrix frame)."""
    axis = p["axis"] % x.ndim
    return x if axis == x.ndim - 2 else xp.moveaxis(x, axis, -2)


def _from_rows(xp, x, p):
    axis = p["axis"] % x.ndim
    return x if axis == x.ndim - 2 else xp.moveaxis(x, -2, axis)


def _gemm_forward(sc, p, ins):
    xp = sc.xp
    a, b = (_to_rows(xp, x, p) for x in ins[:2])
    a = _t(xp, a) if p["transpose_a"] else a
    b = _t(xp, b) if p["transpose_b"] else b
    out = p["alpha"] * xp.matmul(a, b)
    if len(ins) == 3:
        out = out + p["beta"] * _to_rows(xp, ins[2], p)
    return [xp.ascontiguousarray(_from_rows(xp, out.astype(ins[0].dtype, copy=False), p))]


def _gemm_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    g = _to_rows(xp, ograds[0], p)
    a, b = (_to_rows(xp, x, p) for x in ins[:2])
    am = _t(xp, a) if p["transpose_a"] else a
    bm = _t(xp, b) if p["transpose_b"] else b
    da = p["alpha"] * xp.matmul(g, _t(xp, bm))
    db = p["alpha"] * xp.matmul(_t(xp, am), g)
    da = _t(xp, da) if p["transpose_a"] else da
    db = _t(xp, db) if p["transpose_b"] else db
    grads = [da, db] + ([p["beta"] * g] if len(ins) == 3 else [])
    return [xp.ascontiguousarray(_from_rows(xp, d, p)).astype(x.dtype, copy=False)
            for d, x in zip(grads, ins)]


_reg("_linalg_gemm", ("A", "B", "C"), _gemm_forward, _gemm_backward, _gemm_shape,
     _mult_params(True), doc="alpha*op(A)*op(B) + beta*C on the trailing matrix axes.")
_reg("_linalg_gemm2", ("A", "B"), _gemm_forward, _gemm_backward, _gemm_shape,
     _mult_params(False), doc="alpha*op(A)*op(B) on the trailing matrix axes.")


# ----- trmm / trsm --------------------------------------------------------------------------------
_TRIANG_PARAMS = (Bool("transpose", False, "Use transposed of the triangular matrix"),
                  Bool("rightside", False, "Multiply triangular matrix from the right to "
                                           "non-triangular one."),
                  _LOWER, Float("alpha", 1.0, "Scalar factor to be applied to the result."))


def _triang_shape(op):
    def rule(p, in_shapes):
        a, b = in_shapes
        if a is None or b is None:
            return list(in_shapes), [None]
        a, b = tuple(a), tuple(b)
        _mats(op, "A", a)
        if len(a) != len(b) or a[:-2] != b[:-2]:
            raise MXNetError(f"{op}: Shapes of inputs 0, 1 must be the same, except on last "
                             f"two dimensions: A {a}, B {b}")
        inner = b[-1] if p["rightside"] else b[-2]
        if inner != a[-1]:
            raise MXNetError(f"{op}: Incompatible matrix dimensions for multiplication: A {a}, "
                             f"B {b} (rightside={p['rightside']})")
        return [a, b], [b]
    return rule


def _op_a(xp, p, a):
    a = _tri(xp, a, p["lower"])
    return _t(xp, a) if p["transpose"] else a


def _tri_grad(xp, p, ga):
    """Gradient of op(tri(A)) mapped back onto A: untransposed, other triangle zero."""
    return _tri(xp, _t(xp, ga) if p["transpose"] else ga, p["lower"])


def _trmm_forward(sc, p, ins):
    xp = sc.xp
    a, b = _op_a(xp, p, ins[0]), ins[1]
    return [p["alpha"] * (xp.matmul(b, a) if p["rightside"] else xp.matmul(a, b))]


def _trmm_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    a, b, g = _op_a(xp, p, ins[0]), ins[1], ograds[0] * p["alpha"]
    if p["rightside"]:
        return [_tri_grad(xp, p, xp.matmul(_t(xp, b), g)), xp.matmul(g, _t(xp, a))]
    return [_tri_grad(xp, p, xp.matmul(g, _t(xp, b))), xp.matmul(_t(xp, a), g)]


_reg("_linalg_trmm", ("A", "B"), _trmm_forward, _trmm_backward, _triang_shape("_linalg_trmm"),
     _TRIANG_PARAMS, doc="alpha*op(A)*B (or alpha*B*op(A)) with A triangular.")


def _solve(xp, a, b, right):
    """``a^-1 b``, or ``b a^-1`` when ``right``."""
    try:
        if right:
            return _t(xp, xp.linalg.solve(_t(xp, a), _t(xp, b)))
        return xp.linalg.solve(a, b)
    except np.linalg.LinAlgError as err:
        raise _linalg_error("_linalg_trsm", err) from None


def _trsm_forward(sc, p, ins):
    xp = sc.xp
    return [p["alpha"] * _solve(xp, _op_a(xp, p, ins[0]), ins[1], p["rightside"])]


def _trsm_backward(sc, p, ograds, ins, outs):
    # dB = alpha * op(A)^-T dC (left); dop(A) = -dB C^T / alpha (left), -C^T dB / alpha (right)
    xp = sc.xp
    a, c = _op_a(xp, p, ins[0]), outs[0]
    db = p["alpha"] * _solve(xp, _t(xp, a), ograds[0], p["rightside"])
    ga = xp.matmul(_t(xp, c), db) if p["rightside"] else xp.matmul(db, _t(xp, c))
    return [_tri_grad(xp, p, ga * (-1.0 / p["alpha"])), db]


_reg("_linalg_trsm", ("A", "B"), _trsm_forward, _trsm_backward, _triang_shape("_linalg_trsm"),
     _TRIANG_PARAMS, doc="Solves op(A)*X = alpha*B (or X*op(A) = alpha*B) with A triangular.")


# ----- sumlogdiag / syrk --------------------------------------------------------------------------
def _batch_shape(s):
    # LaReduceShape: a single matrix reduces to shape (1,), not ()
    return s[:-2] if len(s) > 2 else (1,)


def _diag(xp, a):
    return xp.diagonal(a, axis1=-2, axis2=-1)


def _sumlogdiag_forward(sc, p, ins):
    xp = sc.xp
    return [xp.log(_diag(xp, ins[0])).sum(axis=-1).reshape(_batch_shape(ins[0].shape))]


def _sumlogdiag_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    a = ins[0]
    g = ograds[0].reshape(a.shape[:-2] + (1,))
    return [xp.eye(a.shape[-1], dtype=a.dtype) * (g / _diag(xp, a))[..., None, :]]


_reg("_linalg_sumlogdiag", ("A",), _sumlogdiag_forward, _sumlogdiag_backward,
     _square_shape("_linalg_sumlogdiag", _batch_shape),
     doc="Sum of the logarithms of the diagonal of square matrices.")


def _syrk_shape(p, in_shapes):
    a = in_shapes[0]
    if a is None:
        return [None], [None]
    a = tuple(a)
    _mats("_linalg_syrk", "A", a, square=False)
    n = a[-1] if p["transpose"] else a[-2]
    return [a], [a[:-2] + (n, n)]


def _syrk_forward(sc, p, ins):
    xp = sc.xp
    a = ins[0]
    prod = xp.matmul(_t(xp, a), a) if p["transpose"] else xp.matmul(a, _t(xp, a))
    return [p["alpha"] * prod]


def _syrk_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    sym = p["alpha"] * (ograds[0] + _t(xp, ograds[0]))
    return [xp.matmul(ins[0], sym) if p["transpose"] else xp.matmul(sym, ins[0])]


_reg("_linalg_syrk", ("A",), _syrk_forward, _syrk_backward, _syrk_shape,
     (Bool("transpose", False, "Use transpose of input matrix."),
      Float("alpha", 1.0, "Scalar factor to be applied to the result.")),
     doc="alpha*A*A^T (or alpha*A^T*A).")
