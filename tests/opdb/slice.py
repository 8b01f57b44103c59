"""Op-database cases for the slice family: slice (crop) with None, negative, stepped and
clamped bounds, slice_axis, slice_like and reverse (flip).

slice_like's second input only lends its shape: it may have any dtype and takes no gradient.
"""
from opdb.core import OpCase, add, error, integers
from reference import slice as R

# ----- slice / slice_axis / reverse ---------------------------------------------------------------
_slice = lambda x, p: [R.slice_nd(x["data"], p["begin"], p["end"], p.get("step", ()))]
for op, shape, params, name in (
        ("slice", (3, 4), {"begin": (0, 1), "end": (2, 3)}, "basic"),
        ("crop", (3, 4), {"begin": (1,), "end": (3,)}, "crop-leading"),
        ("slice", (2, 3, 4), {"begin": (None, 1, None), "end": (None, None, -1)}, "none"),
        ("slice", (3, 4), {"begin": (-2, -3), "end": (-1, 4)}, "negative"),
        ("slice", (3, 4), {"begin": (2, None), "end": (None, 0), "step": (-1, -2)}, "neg-step"),
        ("slice", (3, 4), {"begin": (None, None), "end": (None, None), "step": (-1, -1)},
         "reverse-all"),
        ("slice", (5, 4), {"begin": (0, 1), "end": (5, 4), "step": (2, 2)}, "step2"),
        ("slice", (5, 4), {"begin": (10, -10), "end": (-10, 10), "step": (-2, 3)}, "clamped")):
    add(OpCase(op, {"data": shape}, _slice, params=params, name=name,
               errors=[error("empty", r"begin=\(2, 1\), end=\(1, 3\)",
                             params={"begin": (2, 1), "end": (1, 3)}),
                       error("length", r"begin \(0,\) and end \(2, 3\)",
                             params={"begin": (0,), "end": (2, 3)}),
                       error("zero-step", r"step\[0\] cannot be 0", params={"step": (0, 1)}),
                       error("too-many", "begin/end have 3 entries", params={"begin": (0, 0, 0),
                                                              "end": (1, 1, 1)})]
               if name == "basic" else []))

for params, name in (({"axis": 1, "begin": 1, "end": 3}, "basic"),
                     ({"axis": -1, "begin": -3, "end": -1}, "negative"),
                     ({"axis": 0, "begin": 1}, "end-none"),
                     ({"axis": 0, "begin": 1, "end": "None"}, "end-none-str")):
    add(OpCase("slice_axis", {"data": (3, 4)}, lambda x, p: [R.slice_axis(x["data"], **p)],
               params=params, name=name,
               errors=[error("empty", "invalid begin=2, end=1", params={"begin": 2, "end": 1}),
                       error("end", "begin=1, end=5", params={"end": 5})]
               if name == "basic" else []))

for op, params, name in (("reverse", {"axis": (0,)}, "axis0"), ("flip", {"axis": (0, 2)}, "tuple"),
                         ("reverse", {"axis": (-1,)}, "negative")):
    add(OpCase(op, {"data": (2, 3, 4)}, lambda x, p: [R.reverse(x["data"], p["axis"])],
               params=params, name=name,
               errors=[error("axis", "axis=3", params={"axis": (3,)})]
               if name == "axis0" else []))


# ----- slice_like (its second input's dtype is free) ----------------------------------------------
add(OpCase("slice_like", {"data": (4, 5), "shape_like": (2, 3)},
           lambda x, p: [x["data"][:2, :3]], no_grad=("shape_like",)),
    OpCase("slice_like", {"data": (4, 5), "shape_like": (2, 3)},
           lambda x, p: [x["data"][:, :3]], no_grad=("shape_like",), params={"axes": (1,)},
           name="axis1"),
    OpCase("slice_like", {"data": (4, 5), "shape_like": (2, 3)},
           lambda x, p: [x["data"][:2, :3]], name="int-like",
           input_dtypes={"shape_like": "int32"}, draw={"shape_like": integers(0, 9)},
           no_grad=("shape_like",),
           errors=[error("ndim", r"shape_like \(2, 3, 1\)", shapes={"shape_like": (2, 3, 1)})]),
    OpCase("slice_like", {"data": (4, 5, 2), "shape_like": (3, 2)},
           lambda x, p: [x["data"][:, :2]], name="axes-float16-like", params={"axes": (-2,)},
           input_dtypes={"shape_like": "float16"}, no_grad=("shape_like",)))
