"""Op-database cases for the shape family: Reshape (every special code of MXNet's shape spec),
Flatten, reshape_like, transpose, SwapAxis (swapaxes), expand_dims, squeeze, shape_array,
size_array, depth_to_space and space_to_depth.

Ops with integer outputs (shape_array, size_array) skip the gradient checks; their zero gradients
are in tests/test_wrappers.py. A param that must be None is spelled "None": the generated
wrappers drop Python None values.
"""
import numpy as np
from opdb.core import OpCase, add, error, integers, on_data
from reference import shape as R

# ----- Reshape / Flatten
# --------------------------------------------------------------------------- expected shapes: MXNet
# 1.9.1's results (MXNET_SEMANTICS.md §7.3)
for shape_in, spec, reverse, expected, name in (
        ((2, 3, 4), (4, 0, 2), False, (4, 3, 2), "zero"),
        ((2, 3, 4), (6, 1, -1), False, (6, 1, 4), "infer"),
        ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1), "copyrest"),
        ((2, 3, 4), (-3, 4), False, (6, 4), "merge"),
        ((2, 3, 4, 5), (-3, -3), False, (6, 20), "merge2"),
        ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4), "split"),
        ((2, 3, 4), (2, -4, -1, 3, -2), False, (2, 1, 3, 4), "split-infer"),
        ((10, 5, 4), (-1, 0), True, (50, 4), "reverse")):
    add(OpCase("Reshape", {"data": shape_in},
               lambda x, p, expected=expected: [x["data"].reshape(expected)],
               params={"shape": spec, "reverse": reverse}, name=name,
               errors=[error("bad-size", r"target shape \(5, 5\) has 25 elements",
                             params={"shape": (5, 5)})] if name == "zero" else []))
add(OpCase("Flatten", {"data": (2, 3, 4)}, lambda x, p: [x["data"].reshape(2, -1)]),
    OpCase("Flatten", {"data": (5,)}, lambda x, p: [x["data"].reshape(5, 1)], name="1d"))

# ----- reshape_like / transpose / SwapAxis / expand_dims / squeeze --------------------------------
_like = lambda x, p: [R.reshape_like(x["lhs"], x["rhs"], **p)]
add(OpCase("reshape_like", {"lhs": (2, 3, 2), "rhs": (4, 3)}, _like, no_grad=("rhs",),
           errors=[error("size", r"cannot reshape lhs with shape \(2,3,2\) to \(5,3\)",
                         shapes={"rhs": (5, 3)})]),
    OpCase("reshape_like", {"lhs": (6, 7), "rhs": (3, 2, 4)}, _like, name="ranges",
           params={"lhs_begin": 0, "lhs_end": 1, "rhs_begin": 0, "rhs_end": 2}, no_grad=("rhs",)),
    OpCase("reshape_like", {"lhs": (4, 6), "rhs": (5, 2, 3)}, _like, name="negative",
           params={"lhs_begin": -1, "rhs_begin": 1}, no_grad=("rhs",)))

for params, shape, name in (({}, (2, 3, 4), "default"), ({"axes": (1, 0, 2)}, (2, 3, 4), "axes"),
                            ({"axes": (-1, 0, 1)}, (2, 3, 4), "negative"),
                            ({"axes": (0, 2, 3, 1)}, (2, 3, 2, 2), "4d"), ({}, (5,), "1d")):
    add(OpCase("transpose", {"data": shape},
               lambda x, p: [np.transpose(x["data"], p.get("axes") or None)],
               params=params, name=name,
               errors=[error("axes-length", r"axes=\(1,0\)", params={"axes": (1, 0)}),
                       error("not-permutation", r"axes=\(0,0,1\) is not a permutation",
                             params={"axes": (0, 0, 1)})]
               if name == "axes" else []))

for op, params, name in (("SwapAxis", {}, "default"), ("SwapAxis", {"dim1": 0, "dim2": 2}, "02"),
                         ("swapaxes", {"dim1": -1, "dim2": 0}, "negative")):
    add(OpCase(op, {"data": (2, 3, 4)},
               lambda x, p: [np.swapaxes(x["data"], p.get("dim1", 0), p.get("dim2", 0))],
               params=params, name=name,
               errors=[error("out-of-bounds", "dim2=3", params={"dim2": 3})]
               if name == "02" else []))

for axis in (0, 1, 2, -1, -3):
    add(OpCase("expand_dims", {"data": (2, 3)},
               lambda x, p: [np.expand_dims(x["data"], p["axis"])], params={"axis": axis},
               name=f"axis{axis}",
               errors=[error("out-of-range", "axis=3", params={"axis": 3})]
               if axis == 0 else []))

for shape, params, name in (((1, 3, 1, 2), {}, "all"), ((1, 3, 1, 2), {"axis": 0}, "axis0"),
                            ((1, 3, 1, 2), {"axis": (0, 2)}, "tuple"),
                            ((1, 3, 1, 2), {"axis": -2}, "negative"), ((1, 1), {}, "to-1d")):
    add(OpCase("squeeze", {"data": shape}, lambda x, p: [R.squeeze(x["data"], p.get("axis"))],
               params=params, name=name,
               errors=[error("non-1-axis", r"size=3 not equal to one \(axis 1 of",
                             params={"axis": 1})]
               if name == "axis0" else []))

# ----- shape_array / size_array -------------------------------------------------------------------
for shape in ((2, 3, 4), (5,)):
    add(OpCase("shape_array", {"data": shape}, on_data(R.shape_array), name=f"{len(shape)}d",
               grad=False),
        OpCase("size_array", {"data": shape}, on_data(R.size_array), name=f"{len(shape)}d",
               grad=False))
add(OpCase("shape_array", {"data": (2, 3)}, on_data(R.shape_array), name="int32-data",
           dtypes=("float32",), input_dtypes={"data": "int32"}, draw={"data": integers(0, 5)},
           grad=False))

# ----- depth_to_space / space_to_depth ------------------------------------------------------------
for shape, b, name in (((2, 8, 2, 3), 2, "b2"), ((1, 9, 2, 1), 3, "b3"), ((1, 3, 2, 2), 1, "b1")):
    add(OpCase("depth_to_space", {"data": shape}, on_data(R.depth_to_space),
               params={"block_size": b}, name=name,
               errors=[error("3d", r"\bdata\b", shapes={"data": (2, 8, 3)}),
                       error("depth", r"multiple of 'block_size\^2' \(4\)",
                             shapes={"data": (1, 6, 2, 2)}),
                       error("block", "block_size must be a positive integer",
                             params={"block_size": 0})]
               if name == "b2" else []))
for shape, b, name in (((2, 3, 4, 6), 2, "b2"), ((1, 2, 3, 6), 3, "b3")):
    add(OpCase("space_to_depth", {"data": shape}, on_data(R.space_to_depth),
               params={"block_size": b}, name=name,
               errors=[error("3d", r"\bdata\b", shapes={"data": (2, 4, 6)}),
                       error("spatial", r"multiples of 'block_size' \(2\)",
                             shapes={"data": (1, 2, 3, 4)})]
               if name == "b2" else []))
