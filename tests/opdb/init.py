"""Op-database cases for the init family: _zeros, _ones, _full, _arange, _eye and
_contrib_arange_like.

Zero-input init ops run once (the float64 axis) per output dtype given as a param, and have no
gradient. arange_like has a zero gradient (MXNet's MakeZeroGradNodes), checked against zeros.
"""
import numpy as np
from opdb.core import OpCase, add, as_list, error, uniform, zero_grad
from reference import init as R

# ----- _zeros / _ones / _full / _arange / _eye ----------------------------------------------------
_ONCE = ("float64",)
for dt in ("float16", "float32", "float64", "int32", "int64", "uint8", "bool"):
    add(OpCase("_zeros", {}, lambda x, p: [np.zeros(p["shape"], p["dtype"])], dtypes=_ONCE,
               params={"shape": (2, 3), "dtype": dt}, name=dt, grad=False),
        OpCase("_ones", {}, lambda x, p: [np.ones(p["shape"], p["dtype"])], dtypes=_ONCE,
               params={"shape": (4,), "dtype": dt}, name=dt, grad=False))
for dt, value in (("float32", 2.5), ("float16", -1.25), ("int32", 7.0), ("float64", 0.1)):
    add(OpCase("_full", {}, lambda x, p: [np.full(p["shape"], p["value"], p["dtype"])],
               dtypes=_ONCE, params={"shape": (3, 2), "value": value, "dtype": dt}, name=dt,
               grad=False,
               errors=[error("no-value", "value='x'", params={"value": "x"})]
               if dt == "float32" else []))
add(OpCase("_zeros", {}, lambda x, p: [np.zeros(p["shape"], "float32")], dtypes=_ONCE,
           params={"shape": (1, 2)}, name="default-dtype", grad=False,
           errors=[error("bad-dtype", "dtype='float8'", params={"dtype": "float8"}),
                   error("unknown-shape", r"shape=?\s*\(2, ?0\)", params={"shape": (2, 0)})]))

_arange = lambda x, p: [R.arange(**p)]
for params, name in (({"start": 5, "dtype": "float32"}, "stop-none"),
                     ({"start": 1, "stop": 4, "step": 0.5, "dtype": "float64"}, "frac-step"),
                     ({"start": 3, "stop": -3, "step": -1.5, "dtype": "float32"}, "negative"),
                     ({"start": 0, "stop": 6, "step": 2, "repeat": 3, "dtype": "int32"}, "repeat"),
                     ({"start": 0.5, "stop": 4, "step": 1, "dtype": "int64"}, "int-trunc"),
                     ({"start": 0, "stop": 3, "step": 0.25, "dtype": "float16"}, "float16")):
    add(OpCase("_arange", {}, _arange, params=params, name=name, dtypes=_ONCE, grad=False,
               errors=[error("zero-step", "support step=0", params={"step": 0}),
                       error("empty", r"\(start, stop, step\) = \(1.0, -1.0, 0.5\)",
                             params={"stop": -1}),
                       error("repeat", "repeat > 0, received 0", params={"repeat": 0})]
               if name == "frac-step" else []))

for params, name in (({"N": 3}, "square"), ({"N": 2, "M": 4, "k": 1}, "wide-k1"),
                     ({"N": 4, "M": 3, "k": -2, "dtype": "int32"}, "tall-int32"),
                     ({"N": 3, "k": 5, "dtype": "float16"}, "k-beyond")):
    add(OpCase("_eye", {}, lambda x, p: [R.eye(**p)], params=params, name=name, dtypes=_ONCE,
               grad=False,
               errors=[error("bad-dtype", "dtype='bool'", params={"dtype": "bool"})]
               if name == "square" else []))

# ----- _contrib_arange_like ----------------------------------------------------------------------
for params, name in (({}, "default"), ({"axis": -1}, "axis"),
                     ({"start": 1.5, "step": 0.5, "repeat": 2}, "repeat")):
    add(OpCase("_contrib_arange_like", {"data": (3, 4)},
               as_list(lambda x, p: R.arange_like(x["data"], **p)), params=params, name=name,
               draw={"data": uniform(-1, 1)}, loss=True, ref_grad=zero_grad,
               errors=[error("axis", "param.axis 2", params={"axis": 2})]
               if name == "axis" else []))
