"""Op-database cases for binary element-wise, broadcast, scalar and unary ops."""
from opdb.core import ErrorCase, OpCase, add, away_from, distinct, integers, uniform
from reference.elemwise import BINARY, SCALAR, UNARY

from mxlite.base import MXNetError

_ZERO_GRAD = {"equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
              "logical_and", "logical_or", "logical_xor"}
_POSITIVE = {"power", "div", "mod", "hypot"}


def _shifted(rng, shape, dtype):
    """Distinct values offset so they never tie with ``distinct`` draws."""
    return (distinct(rng, shape, "float64") + 0.025).astype(dtype)


_EW_NAMES = {"add": "elemwise_add", "sub": "elemwise_sub", "mul": "elemwise_mul",
             "div": "elemwise_div"}


def _binary_ref(fn):
    return lambda x, p: [fn(x["lhs"], x["rhs"])]


for key, fn in BINARY.items():
    ew = _EW_NAMES.get(key, f"_{key}")
    draw = {"lhs": uniform(0.5, 2.0), "rhs": uniform(0.5, 2.0)} if key in _POSITIVE else \
        {"lhs": distinct, "rhs": _shifted} if key in ("maximum", "minimum") else {}
    if key == "mod":
        draw = {"lhs": uniform(0.6, 3.9), "rhs": uniform(1.0, 1.3)}
    if key in _ZERO_GRAD:
        draw = {"lhs": integers(0, 3), "rhs": integers(0, 3)}
    add(OpCase(ew, {"lhs": (3, 4), "rhs": (3, 4)}, _binary_ref(fn), draw=draw,
               grad=key not in _ZERO_GRAD,
               errors=[ErrorCase("shape-mismatch", shapes={"rhs": (4, 3)}, exc=MXNetError,
                                 match="Incompatible attr|inconsistent")]),
        OpCase(f"broadcast_{key}", {"lhs": (2, 1, 3), "rhs": (4, 1)}, _binary_ref(fn),
               draw=draw, grad=key not in _ZERO_GRAD, name="bcast",
               errors=[ErrorCase("not-broadcastable", shapes={"rhs": (4, 2)}, exc=MXNetError,
                                 match="broadcast")]))

_SCALAR_ZERO_GRAD = {k for k in SCALAR if k.endswith(("equal_scalar", "greater_scalar",
                                                      "lesser_scalar")) or "logical" in k}
for key, fn in SCALAR.items():
    scalar = 1.5 if "logical" not in key else 1.0
    draw = {"data": uniform(0.5, 2.0)}
    if key in ("_maximum_scalar", "_minimum_scalar"):
        draw = {"data": away_from([scalar], 0.0, 3.0)}
    if key in ("_mod_scalar", "_rmod_scalar"):
        draw = {"data": uniform(0.6, 1.4)} if key == "_rmod_scalar" else \
            {"data": uniform(0.1, 1.4)}
    if key in _SCALAR_ZERO_GRAD:
        draw = {"data": integers(0, 3)}
    add(OpCase(key, {"data": (3, 4)}, lambda x, p, fn=fn: [fn(x["data"], p["scalar"])],
               params={"scalar": scalar}, draw=draw, grad=key not in _SCALAR_ZERO_GRAD))

_UNARY_DRAW = {
    "log": uniform(0.5, 2.0), "log2": uniform(0.5, 2.0), "log10": uniform(0.5, 2.0),
    "log1p": uniform(-0.5, 2.0), "sqrt": uniform(0.5, 2.0), "rsqrt": uniform(0.5, 2.0),
    "cbrt": uniform(0.5, 2.0), "reciprocal": uniform(0.5, 2.0), "arcsin": uniform(-0.9, 0.9),
    "arccos": uniform(-0.9, 0.9), "arctanh": uniform(-0.9, 0.9), "arccosh": uniform(1.2, 3.0),
    "tan": uniform(-1.2, 1.2), "abs": away_from([0.0]), "relu": away_from([0.0]),
    "softsign": away_from([0.0]), "sign": away_from([0.0]),
    "round": away_from([-1.5, -0.5, 0.5, 1.5]), "rint": away_from([-1.5, -0.5, 0.5, 1.5]),
    "logical_not": integers(0, 2),
}
_UNARY_NO_GRAD = {"sign", "logical_not", "round", "rint", "floor", "ceil", "trunc", "fix"}
for key, fn in UNARY.items():
    tol = {"float16": (2e-2, 2e-2)} if key in ("cosh", "sinh", "exp", "expm1", "tan") else {}
    add(OpCase(key, {"data": (3, 4)}, lambda x, p, fn=fn: [fn(x["data"])],
               draw={"data": _UNARY_DRAW.get(key, uniform(-2.0, 2.0))}, tol=tol,
               grad=key not in _UNARY_NO_GRAD))
