"""Op-database cases for the scalar family: every ``_*_scalar`` op of
``reference.scalar.SCALAR`` (reverse ops included) with one scalar on a (3, 4) input.

Comparison and logical ops draw small integers and skip the gradient checks (zero gradient);
maximum/minimum draw away from the scalar, mod/rmod inside one period.
"""
from opdb.core import OpCase, add, away_from, integers, uniform
from reference.scalar import SCALAR

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
