"""Op-database cases for the join family: Concat (concat), stack, SliceChannel (split) and
_split_v2.

Variadic error cases and unused outputs, which the database cannot express, are in
tests/test_shape_semantics.py.
"""
import numpy as np
from opdb.core import OpCase, add, error
from reference import join as R

# ----- Concat / stack / SliceChannel --------------------------------------------------------------
_cat = lambda x, p: [np.concatenate(list(x.values()), axis=p.get("dim", 1))]
add(OpCase("Concat", {"a": (2, 1, 2), "b": (2, 3, 2), "c": (2, 2, 2)}, _cat, name="dim1"),
    OpCase("Concat", {"a": (1, 3), "b": (2, 3)}, _cat, params={"dim": 0}, name="dim0"),
    OpCase("concat", {"a": (2, 2, 1), "b": (2, 2, 3)}, _cat, params={"dim": -1}, name="neg"),
    OpCase("Concat", {"a": (2, 3)}, _cat, name="one-input"))

for params, name in (({}, "axis0"), ({"axis": 1}, "axis1"), ({"axis": -1}, "neg")):
    add(OpCase("stack", {"a": (2, 3), "b": (2, 3), "c": (2, 3)},
               lambda x, p: [np.stack(list(x.values()), axis=p.get("axis", 0))],
               params=params, name=name))

_split = lambda x, p: R.split(x["data"], **p)
for op, shape, params, name in (
        ("SliceChannel", (2, 6), {"num_outputs": 3}, "default-axis"),
        ("SliceChannel", (4, 3), {"num_outputs": 2, "axis": 0}, "axis0"),
        ("split", (2, 2, 4), {"num_outputs": 2, "axis": -1}, "neg"),
        ("SliceChannel", (2, 3, 4), {"num_outputs": 3, "squeeze_axis": True}, "squeeze"),
        ("SliceChannel", (2, 3), {"num_outputs": 1}, "one")):
    add(OpCase(op, {"data": shape}, _split, params=params, name=name,
               errors=[error("indivisible", "num_outputs=4", params={"num_outputs": 4}),
                       error("squeeze-size", r"axis=1, num_outputs=2",
                            params={"num_outputs": 2, "squeeze_axis": True, "axis": 1}),
                       error("axis", "axis=2", params={"axis": 2})]
               if name == "default-axis" else []))

# ----- _split_v2 ----------------------------------------------------------------------------------
for shape, params, name in (
        ((2, 6), {"indices": (0, 2, 3)}, "indices"),
        ((5, 2), {"indices": (0, 1), "axis": 0}, "axis0"),
        ((2, 7), {"indices": (), "sections": 3}, "sections-uneven"),
        ((2, 3, 2), {"indices": (0, 1, 2), "squeeze_axis": True}, "squeeze"),
        ((3, 1, 2), {"indices": (0, 1, 2), "axis": 0, "squeeze_axis": True}, "squeeze-axis0"),
        ((4, 2), {"indices": (0,), "axis": -2}, "one")):
    add(OpCase("_split_v2", {"data": shape}, lambda x, p: R.split_v2(x["data"], **p),
               params=params, name=name,
               errors=[error("past-end", r"\bindices\b", params={"indices": (0, 7)}),
                       error("decreasing", r"\bindices\b", params={"indices": (0, 4, 2)}),
                       error("squeeze", "squeeze_axis expected axis size of 1",
                             params={"squeeze_axis": True}),
                       error("axis", "axis=2", params={"axis": 2})]
               if name == "indices" else []))
