"""Op-database cases for the broadcast family: broadcast_to, broadcast_axis (broadcast_axes),
broadcast_like, tile and repeat.

broadcast_like's second input only lends its shape: it may have any dtype and takes no
gradient.
"""
import numpy as np
from opdb.core import OpCase, add, error, integers, on_data
from reference import broadcast as R

# ----- broadcast_to / broadcast_axis / tile / repeat ----------------------------------------------
for shape, target, name in (((2, 1), (2, 3), "basic"), ((2, 1), (0, 3), "zero-keep"),
                            ((1, 2, 1), (3, 2, 4), "two-axes")):
    add(OpCase("broadcast_to", {"data": shape},
               lambda x, p: [R.broadcast_to(x["data"], p["shape"])],
               params={"shape": target}, name=name,
               errors=[error("ndim", r"shape=\(2, ?2, ?3\)", params={"shape": (2, 2, 3)}),
                       error("size", r"shape=\(3, ?3\)", params={"shape": (3, 3)})]
               if name == "basic" else []))
for op, params, name in (("broadcast_axis", {"axis": (0, 2), "size": (2, 3)}, "multi"),
                         ("broadcast_axes", {"axis": (-1,), "size": (4,)}, "negative")):
    add(OpCase(op, {"data": (1, 2, 1)}, lambda x, p: [R.broadcast_axis(x["data"], **p)],
               params=params, name=name,
               errors=[error("not-1", "axis 1 of shape", params={"axis": (1,), "size": (3,)}),
                       error("lengths", r"size=\(2,\)", params={"size": (2,)})]
               if name == "multi" else []))
for shape, reps, name in (((2, 3), (2, 2), "same"), ((2, 3), (2,), "fewer"),
                          ((2, 3), (2, 1, 2), "more")):
    add(OpCase("tile", {"data": shape}, lambda x, p: [np.tile(x["data"], p["reps"])],
               params={"reps": reps}, name=name,
               errors=[error("zero", r"reps=\(0,2\)", params={"reps": (0, 2)})]
               if name == "same" else []))
for params, name in (({"repeats": 2}, "flat"), ({"repeats": 3, "axis": 1}, "axis1"),
                     ({"repeats": 2, "axis": -1}, "negative")):
    add(OpCase("repeat", {"data": (2, 3)}, on_data(R.repeat), params=params, name=name,
               errors=[error("zero", "repeats=0", params={"repeats": 0}),
                       error("axis", "axis=2", params={"axis": 2})]
               if name == "flat" else []))


# ----- broadcast_like (its second input's dtype is free) ------------------------------------------
add(OpCase("broadcast_like", {"lhs": (2, 1, 3), "rhs": (2, 4, 3)},
           lambda x, p: [np.broadcast_to(x["lhs"], x["rhs"].shape)], no_grad=("rhs",)),
    OpCase("broadcast_like", {"lhs": (1, 3), "rhs": (5, 4)},
           lambda x, p: [np.broadcast_to(x["lhs"], (4, 3))], no_grad=("rhs",),
           params={"lhs_axes": (0,), "rhs_axes": (1,)}, name="axes"),
    OpCase("broadcast_like", {"lhs": (2, 1, 3), "rhs": (2, 4, 3)},
           lambda x, p: [np.broadcast_to(x["lhs"], x["rhs"].shape)], name="int-rhs",
           input_dtypes={"rhs": "int32"}, draw={"rhs": integers(0, 9)}, no_grad=("rhs",),
           errors=[error("empty-axes", r"lhs_axes=\(\), rhs_axes=\(\)",
                         params={"lhs_axes": (), "rhs_axes": ()}),
                   error("axes-length", r"rhs_axes \(1, 2\)", params={"lhs_axes": (1,),
                                                               "rhs_axes": (1, 2)}),
                   error("axis-not-1", r"axis 0 of lhs \(2, 1, 3\)",
                         params={"lhs_axes": (0,), "rhs_axes": (1,)})]),
    OpCase("broadcast_like", {"lhs": (1, 3), "rhs": (5, 4)},
           lambda x, p: [np.broadcast_to(x["lhs"], (5, 3))], name="axes-int64-rhs",
           params={"lhs_axes": (-2,), "rhs_axes": (0,)}, input_dtypes={"rhs": "int64"},
           draw={"rhs": integers(0, 9)}, no_grad=("rhs",)))
