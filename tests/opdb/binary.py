"""Op-database cases for the binary family: for each key of ``reference.binary.BINARY`` the
same-shape op (elemwise_add ... _logical_xor) and the broadcasting one (broadcast_add ...).

Comparison and logical ops draw small integers (ties included) and skip the gradient checks: their
gradient is zero. power/div/mod/hypot draw positive operands; maximum/minimum draw values that
never tie, where their gradient is undefined.
"""
from opdb.core import OpCase, add, distinct, error, integers, uniform
from reference.binary import BINARY

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
               errors=[error("shape-mismatch", r"\brhs\b", shapes={"rhs": (4, 3)})]),
        OpCase(f"broadcast_{key}", {"lhs": (2, 1, 3), "rhs": (4, 1)}, _binary_ref(fn),
               draw=draw, grad=key not in _ZERO_GRAD, name="bcast",
               errors=[error("not-broadcastable", r"\brhs\b",
                             shapes={"rhs": (4, 2)})]))
