"""Op-database cases for the unary family: every plain element-wise op of ``reference.unary.UNARY``
on one (3, 4) input, and rcbrt, gamma, gammaln, smooth_l1 and hard_sigmoid with their params.

Inputs are drawn inside each op's domain and away from kinks (abs, relu, round ...) where the
numeric gradient breaks; ops with a zero or undefined gradient (sign, rounding, logical_not) skip
the gradient checks.
"""
from opdb.core import OpCase, add, away_from, error, integers, uniform
from reference import unary as R

_UNARY_DRAW = {
    "log": uniform(0.5, 2.0), "log2": uniform(0.5, 2.0), "log10": uniform(0.5, 2.0),
    "log1p": uniform(-0.5, 2.0), "sqrt": uniform(0.5, 2.0), "rsqrt": uniform(0.5, 2.0),
    "cbrt": uniform(0.5, 2.0), "reciprocal": uniform(0.5, 2.0), "arcsin": uniform(-0.9, 0.9),
    "arccos": uniform(-0.9, 0.9), "arctanh": uniform(-0.9, 0.9), "arccosh": uniform(1.2, 3.0),
    "tan": uniform(-1.2, 1.2), "abs": away_from([0.0]), "relu": away_from([0.0]),
    "softsign": away_from([0.0]), "sign": away_from([0.0]),
    "round": away_from([-1.5, -0.5, 0.5, 1.5]), "rint": away_from([-1.5, -0.5, 0.5, 1.5]),
    "logical_not": integers(0, 2), "erfinv": uniform(-0.9, 0.9),
}
_UNARY_NO_GRAD = {"sign", "logical_not", "round", "rint", "floor", "ceil", "trunc", "fix"}
for key, fn in R.UNARY.items():
    tol = {"float16": (2e-2, 2e-2)} if key in ("cosh", "sinh", "exp", "expm1", "tan") else {}
    add(OpCase(key, {"data": (3, 4)}, lambda x, p, fn=fn: [fn(x["data"])],
               draw={"data": _UNARY_DRAW.get(key, uniform(-2.0, 2.0))}, tol=tol,
               grad=key not in _UNARY_NO_GRAD))


def _one(fn, *keys):
    """A reference on input ``data`` passing the listed params positionally."""
    return lambda x, p: [fn(x["data"], *(p[k] for k in keys if k in p))]


# ----- rcbrt / gamma / gammaln --------------------------------------------------------------------
add(OpCase("rcbrt", {"data": (3, 4)}, _one(R.rcbrt), draw={"data": away_from([0.0], -3, 3, 0.3)}),
    OpCase("gamma", {"data": (3, 4)}, _one(R.gamma), draw={"data": uniform(0.3, 4.0)},
           tol={"float16": (2e-2, 2e-2)}),
    OpCase("gamma", {"data": (5,)}, _one(R.gamma), name="negative",
           draw={"data": uniform(-2.9, -2.1)}, dtypes=("float32", "float64")),
    OpCase("gammaln", {"data": (3, 4)}, _one(R.gammaln), draw={"data": uniform(0.3, 5.0)}))

# ----- smooth_l1 / hard_sigmoid -------------------------------------------------------------------
for sigma in (1.0, 2.0, 0.5):
    add(OpCase("smooth_l1", {"data": (3, 4)}, _one(R.smooth_l1, "scalar"),
               params={"scalar": sigma}, name=f"sigma{sigma}",
               draw={"data": away_from([-1 / sigma ** 2, 1 / sigma ** 2], -5, 5)},
               errors=[error("bad-scalar", "scalar='wide'", params={"scalar": "wide"})]
               if sigma == 1.0 else []))
for params, name in (({}, "default"), ({"alpha": 0.5, "beta": 0.2}, "alpha-beta")):
    a, b = params.get("alpha", 0.2), params.get("beta", 0.5)
    add(OpCase("hard_sigmoid", {"data": (3, 4)},
               lambda x, p: [R.hard_sigmoid(x["data"], p.get("alpha", 0.2), p.get("beta", 0.5))],
               params=params, name=name,
               draw={"data": away_from([-b / a, (1 - b) / a], -5, 5, 0.1)},
               errors=[error("bad-alpha", "alpha='steep'", params={"alpha": "steep"})]
               if name == "default" else []))
