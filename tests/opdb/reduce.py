"""Op-database cases for the reduce family: sum, mean, prod, nansum, nanprod, max and min over
all axes, one axis, kept dims and excluded axes; norm; argmax, argmin and argmax_channel; moments.

max/min and the searches draw values that never tie. argmax/argmin/argmax_channel have a zero
gradient (MXNet's MakeZeroGradNodes), checked against zeros.
"""
import numpy as np
from opdb.core import OpCase, add, away_from, distinct, error, on_data, uniform
from reference import reduce as R

# ----- reductions
# -------------------------------------------------------------------------------------
_RED = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
        "nansum": np.nansum, "nanprod": np.nanprod}
for op, fn in _RED.items():
    draw = {"data": distinct} if op in ("max", "min") else \
        {"data": uniform(0.5, 1.5)} if "prod" in op else {}
    for params, name in (({}, "all"), ({"axis": 1}, "axis1"),
                         ({"axis": (0, 2), "keepdims": True}, "keepdims"),
                         ({"axis": 1, "exclude": True}, "exclude")):
        add(OpCase(op, {"data": (2, 3, 4)},
                   lambda x, p, fn=fn: [R.reduce(x["data"], fn, p.get("axis"),
                                                 p.get("keepdims", False),
                                                 p.get("exclude", False))],
                   params=params, name=name, draw=draw,
                   tol={"float16": (2e-2, 5e-2)},
                   errors=[error("bad-axis", "axis 5 is out of bounds", params={"axis": 5})]
                   if name == "axis1" else []))

# ----- norm ---------------------------------------------------------------------------------------
for params, name in (({}, "default"), ({"ord": 1}, "ord1"), ({"axis": 1}, "axis1"),
                     ({"axis": (1, 2)}, "axis12"), ({"axis": -1, "keepdims": True}, "keepdims"),
                     ({"ord": 1, "axis": 0}, "ord1-axis0"), ({"out_dtype": "float64"}, "out64")):
    add(OpCase("norm", {"data": (2, 3, 4)}, on_data(R.norm), params=params, name=name,
               draw={"data": away_from([0.0], -2.0, 2.0, 0.1)},
               tol={"float16": (2e-2, 5e-2)},
               errors=[error("ord", "ord=3", params={"ord": 3}),
                       error("axis", "axis 3 is out of bounds", params={"axis": 3})]
               if name == "default" else []))

# ----- argmax / argmin / argmax_channel -----------------------------------------------------------
for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    for shape, params, name in (((3, 4), {}, "flat"), ((3, 4), {"axis": 0}, "axis0"),
                                ((2, 3, 4), {"axis": 1}, "axis1"),
                                ((2, 3, 4), {"axis": -1, "keepdims": True}, "keepdims"),
                                ((3, 4), {"keepdims": True}, "flat-keepdims"),
                                ((5,), {"axis": 0}, "1d")):
        add(OpCase(op, {"data": shape}, lambda x, p, fn=fn: [R.search(x["data"], fn, **p)],
                   params=params, name=name, draw={"data": distinct}, loss=True,
                   ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])},
                   errors=[error("axis", "axis=2", params={"axis": 2})]
                   if name == "axis0" else []))
add(OpCase("argmax_channel", {"data": (3, 4)}, lambda x, p: [R.search(x["data"], np.argmax, 1)],
           draw={"data": distinct}, loss=True,
           ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}),
    OpCase("argmax_channel", {"data": (2, 3, 4)},
           lambda x, p: [R.search(x["data"], np.argmax, 1)], name="3d", draw={"data": distinct},
           loss=True, ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}))

# ----- moments ------------------------------------------------------------------------------------
for axes, keepdims in (((1,), False), ((0, 2), True), ((-1,), False), ((0, 1, 2), False),
                       ((2, 0), False)):
    add(OpCase("moments", {"data": (2, 3, 4)},
               lambda x, p: R.moments(x["data"], p["axes"], p["keepdims"]),
               params={"axes": axes, "keepdims": keepdims},
               name=f"axes{'_'.join(map(str, axes))}-keep{int(keepdims)}",
               errors=[error("no-axes", "Empty axes is not supported", params={"axes": "None"}),
                       error("axis-range", r"\baxes\b", params={"axes": (3,)}),
                       error("duplicate", r"axes \(1, -2\) has duplicate axis 1",
                             params={"axes": (1, -2)})]
               if axes == (1,) else []))
