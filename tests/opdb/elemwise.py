"""Op-database cases for the elemwise family: clip, where, add_n (ElementWiseSum), Cast (cast),
_copy (identity), zeros_like, ones_like and _contrib_div_sqrt_dim.

Integer inputs (Cast, clip, where's condition) run through ``input_dtypes`` and, having no float
dtype axis of their own, mostly once (float32). What the database cannot express (head-gradient
rules, variadic error cases) is in tests/test_shape_semantics.py.
"""
import numpy as np
from opdb.core import OpCase, add, away_from, error, integers, on_data, uniform
from reference import elemwise as R


def _heads_cast(x, p, heads):
    # Cast's gradient is the head gradient (already cast to the output dtype) cast back
    return {"data": R.cast(heads[0], p["dtype"]).astype(np.float64)}


# ----- clip ---------------------------------------------------------------------------------------
add(OpCase("clip", {"data": (3, 4)}, on_data(R.clip), params={"a_min": -0.5, "a_max": 0.5},
           draw={"data": away_from([-0.5, 0.5])},
           errors=[error("bad-a_min", "a_min='low'", params={"a_min": "low"}),
                   # MXNet 1.9.1 clips everything to a_max; mxlite refuses (README)
                   error("min-gt-max", "a_min=0.5 is greater than a_max=-0.5",
                         params={"a_min": 0.5, "a_max": -0.5})]),
    OpCase("clip", {"data": (2, 3, 2)}, on_data(R.clip), params={"a_min": -1.0, "a_max": 1.25},
           name="3d", draw={"data": away_from([-1.0, 1.25])}),
    OpCase("clip", {"data": (3, 4)}, on_data(R.clip), params={"a_min": -1.5, "a_max": 2.7},
           name="int32", dtypes=("float32",), input_dtypes={"data": "int32"},
           draw={"data": integers(-4, 5)}, grad=False))

# ----- where --------------------------------------------------------------------------------------
_where = lambda x, p: [R.where(x["condition"], x["x"], x["y"])]
add(OpCase("where", {"condition": (3, 4), "x": (3, 4), "y": (3, 4)}, _where,
           draw={"condition": integers(-1, 2)}, no_grad=("condition",),
           errors=[error("cond-shape", r"condition shape \(4, 3\)", shapes={"condition": (4, 3)}),
                   error("cond-1d-length", r"condition shape \(4,\)", shapes={"condition": (4,)}),
                   error("xy-shape", r"and y \(3, 5\)", shapes={"y": (3, 5)})]),
    OpCase("where", {"condition": (3,), "x": (3, 2, 2), "y": (3, 2, 2)}, _where, name="1d-cond",
           draw={"condition": integers(0, 2)}, no_grad=("condition",)),
    OpCase("where", {"condition": (2, 3), "x": (2, 3), "y": (2, 3)}, _where, name="int-cond",
           draw={"condition": integers(0, 3)}, input_dtypes={"condition": "int32"},
           no_grad=("condition",)))

# ----- add_n / ElementWiseSum ---------------------------------------------------------------------
for n in (1, 2, 3):
    names = {f"x{i}": (2, 3) for i in range(n)}
    add(OpCase("add_n", names, lambda x, p: [R.add_n(*x.values())], name=f"{n}args"))
add(OpCase("ElementWiseSum", {"a": (3, 2), "b": (3, 2)}, lambda x, p: [R.add_n(*x.values())]))

# ----- Cast / identity / zeros_like / ones_like ---------------------------------------------------
for target in ("float16", "float32", "float64"):
    add(OpCase("Cast", {"data": (3, 4)}, lambda x, p: [R.cast(x["data"], p["dtype"])],
               params={"dtype": target}, name=target, ref_grad=_heads_cast,
               errors=[error("bad-dtype", "dtype='int16'", params={"dtype": "int16"}),
                       error("bfloat16", "dtype='bfloat16'", params={"dtype": "bfloat16"})]
               if target == "float32" else []))
for target, draw in (("int32", uniform(-3.0, 3.0)), ("int64", uniform(-3.0, 3.0)),
                     ("int8", uniform(-200.0, 200.0)), ("uint8", uniform(-300.0, 300.0)),
                     ("bool", integers(-1, 2))):
    add(OpCase("cast", {"data": (3, 4)}, lambda x, p: [R.cast(x["data"], p["dtype"])],
               params={"dtype": target}, name=target, dtypes=("float32", "float64"),
               draw={"data": draw}, ref_grad=_heads_cast, grad=target != "bool"))
add(OpCase("Cast", {"data": (3, 4)}, lambda x, p: [R.cast(x["data"], p["dtype"])],
           params={"dtype": "float32"}, name="from-int32", dtypes=("float32",),
           input_dtypes={"data": "int32"}, draw={"data": integers(-5, 6)}, grad=False))
for op in ("_copy", "identity"):
    add(OpCase(op, {"data": (2, 3, 2)}, lambda x, p: [x["data"].copy()]))
add(OpCase("zeros_like", {"data": (3, 4)}, lambda x, p: [np.zeros_like(x["data"])], loss=True,
           ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}),
    OpCase("ones_like", {"data": (3, 4)}, lambda x, p: [np.ones_like(x["data"])], loss=True,
           ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}),
    OpCase("ones_like", {"data": (4,)}, lambda x, p: [np.ones_like(x["data"])], name="int32",
           dtypes=("float32",), input_dtypes={"data": "int32"}, draw={"data": integers(0, 9)},
           grad=False))

# ----- _contrib_div_sqrt_dim ----------------------------------------------------------------------
add(OpCase("_contrib_div_sqrt_dim", {"data": (2, 3, 5)},
           lambda x, p: [R.div_sqrt_dim(x["data"])]))
