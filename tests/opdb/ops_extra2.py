"""Op-database cases for mxlite/ops/index_extra.py (shape_array, size_array, sort, argsort,
batch_take, gather_nd, scatter_nd, diag, depth_to_space, space_to_depth, _split_v2),
mxlite/ops/init_ops.py (_zeros, _ones, _full, _arange, _eye), 'same' and over-long pad/stride
Pooling, and broadcast_like/slice_like with a second input of another dtype.

Ops with integer outputs (shape_array, size_array, argsort to an int dtype) and batch_take (no
gradient in MXNet) skip the gradient checks; their zero gradients are in tests/test_wrappers.py.
Zero-input init ops run once (float64 axis) per output dtype given as a param.
"""
import numpy as np
from opdb.core import ErrorCase, OpCase, add, distinct, integers
from reference import ops_extra2 as R

from mxlite.base import MXNetError


def _err(desc, match, **kw):
    return ErrorCase(desc, exc=MXNetError, match=match, **kw)


def _one(fn):
    return lambda x, p: [fn(x["data"], **p)]


def _zero_grad(x, p, heads):
    return {"data": np.zeros_like(x["data"])}


# ----- shape_array / size_array -------------------------------------------------------------------
for shape in ((2, 3, 4), (5,)):
    add(OpCase("shape_array", {"data": shape}, _one(R.shape_array), name=f"{len(shape)}d",
               grad=False),
        OpCase("size_array", {"data": shape}, _one(R.size_array), name=f"{len(shape)}d",
               grad=False))
add(OpCase("shape_array", {"data": (2, 3)}, _one(R.shape_array), name="int32-data",
           dtypes=("float32",), input_dtypes={"data": "int32"}, draw={"data": integers(0, 5)},
           grad=False))

# ----- sort / argsort -----------------------------------------------------------------------------
for params, name in (({}, "default"), ({"axis": 0}, "axis0"), ({"is_ascend": False}, "descend"),
                     ({"axis": "None"}, "flat"), ({"axis": 1, "is_ascend": 0}, "axis1-descend")):
    add(OpCase("sort", {"data": (3, 4, 2) if name == "axis1-descend" else (3, 4)}, _one(R.sort),
               params=params, name=name, draw={"data": distinct},
               errors=[_err("axis", "axis", params={"axis": 2})] if name == "default" else []))
    add(OpCase("argsort", {"data": (3, 4)}, _one(R.argsort), params=params, name=name,
               draw={"data": distinct}, loss=True, ref_grad=_zero_grad,
               errors=[_err("dtype", "Invalid", params={"dtype": "int16"})]
               if name == "default" else []))
for dt in ("int32", "int64", "uint8"):
    add(OpCase("argsort", {"data": (2, 5)}, _one(R.argsort), params={"dtype": dt}, name=dt,
               draw={"data": distinct}, grad=False))

# ----- batch_take ---------------------------------------------------------------------------------
_bt = lambda x, p: [R.batch_take(x["a"], x["indices"])]
add(OpCase("batch_take", {"a": (4, 3), "indices": (4,)}, _bt, input_dtypes={"indices": "int32"},
           draw={"indices": integers(-2, 5)}, no_grad=("indices",), grad=False,
           errors=[_err("index-size", "Index array's size", shapes={"indices": (3,)}),
                   _err("1d", "at least 2", shapes={"a": (4,)}),
                   _err("index-dtype", "int32", dtypes={"indices": "float32"})]),
    OpCase("batch_take", {"a": (3, 1, 5), "indices": (3,)}, _bt, name="3d",
           input_dtypes={"indices": "int32"}, draw={"indices": integers(0, 5)},
           no_grad=("indices",), grad=False))


# ----- gather_nd / scatter_nd ---------------------------------------------------------------------
def _nd_indices(dims, negative=True):
    """Index rows drawn per axis: row j in [-dims[j], dims[j]) (or [0, dims[j]))."""
    def draw(rng, shape, dtype):
        rows = [rng.integers(-d if negative else 0, d, shape[1:]) for d in dims]
        return np.stack(rows).astype(dtype)
    return draw


def _unique_indices(dims):
    """Index rows addressing distinct positions of a ``dims`` grid (scatter_nd's gradient and
    result are only defined for unique positions)."""
    def draw(rng, shape, dtype):
        n = int(np.prod(shape[1:]))
        flat = rng.permutation(int(np.prod(dims)))[:n]
        return np.stack(np.unravel_index(flat, dims)).reshape(shape).astype(dtype)
    return draw


_gather = lambda x, p: [R.gather_nd(x["data"], x["indices"])]
for shapes, dims, name in ((({"data": (3, 4, 2), "indices": (2, 5)}), (3, 4), "2-axes"),
                           (({"data": (3, 4), "indices": (1, 2, 3)}), (3,), "1-axis"),
                           (({"data": (3, 4), "indices": (2, 6)}), (3, 4), "all-axes")):
    add(OpCase("gather_nd", shapes, _gather, name=name, draw={"indices": _nd_indices(dims)},
               no_grad=("indices",),
               errors=[_err("index-ndim", "at least 2 dimensions", shapes={"indices": (2,)}),
                       _err("too-many", "exceeds", shapes={"indices": (4, 2)})]
               if name == "2-axes" else []))
add(OpCase("gather_nd", {"data": (4, 3), "indices": (2, 5)}, _gather, name="int-index",
           input_dtypes={"indices": "int32"}, draw={"indices": _nd_indices((4, 3))},
           no_grad=("indices",)))

_scatter = lambda x, p: [R.scatter_nd(x["data"], x["indices"], p["shape"])]
for shapes, out, name in ((({"data": (4,), "indices": (2, 4)}), (3, 5), "points"),
                          (({"data": (3, 5), "indices": (1, 3)}), (4, 5), "rows"),
                          (({"data": (2, 2, 2), "indices": (2, 2, 2)}), (3, 3, 2), "2x2")):
    dims = out[:shapes["indices"][0]]
    add(OpCase("scatter_nd", shapes, _scatter, params={"shape": out}, name=name,
               draw={"indices": _unique_indices(dims)}, no_grad=("indices",),
               errors=[_err("bad-combination", "Invalid data", shapes={"data": (5,)})]
               if name == "points" else []))

# ----- diag ---------------------------------------------------------------------------------------
for shape, params, name in (((4,), {}, "1d"), ((3,), {"k": 2}, "1d-k2"),
                            ((3,), {"k": -1}, "1d-k-1"), ((3, 4), {}, "2d"),
                            ((3, 4), {"k": 1}, "2d-k1"), ((3, 4), {"k": -2}, "2d-k-2"),
                            ((2, 3, 4), {"axis1": 1, "axis2": 2, "k": 1}, "3d-axes12"),
                            ((2, 3, 4), {"axis1": 2, "axis2": 0, "k": -1}, "3d-reversed"),
                            ((2, 3, 4), {"axis1": -1, "axis2": -3}, "3d-negative")):
    add(OpCase("diag", {"data": shape}, _one(R.diag), params=params, name=name,
               errors=[_err("same-axis", "same axis", params={"axis2": 0}),
                       _err("no-diagonal", "does not exist", params={"k": 4}),
                       _err("axis-range", "axis1", params={"axis1": 2})]
               if name == "2d" else []))

# ----- depth_to_space / space_to_depth ------------------------------------------------------------
for shape, b, name in (((2, 8, 2, 3), 2, "b2"), ((1, 9, 2, 1), 3, "b3"), ((1, 3, 2, 2), 1, "b1")):
    add(OpCase("depth_to_space", {"data": shape}, _one(R.depth_to_space),
               params={"block_size": b}, name=name,
               errors=[_err("3d", "4D", shapes={"data": (2, 8, 3)}),
                       _err("depth", "multiple", shapes={"data": (1, 6, 2, 2)}),
                       _err("block", "positive", params={"block_size": 0})]
               if name == "b2" else []))
for shape, b, name in (((2, 3, 4, 6), 2, "b2"), ((1, 2, 3, 6), 3, "b3")):
    add(OpCase("space_to_depth", {"data": shape}, _one(R.space_to_depth),
               params={"block_size": b}, name=name,
               errors=[_err("3d", "4D", shapes={"data": (2, 4, 6)}),
                       _err("spatial", "multiples", shapes={"data": (1, 2, 3, 4)})]
               if name == "b2" else []))

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
               errors=[_err("past-end", "out of range", params={"indices": (0, 7)}),
                       _err("decreasing", "empty or out of range", params={"indices": (0, 4, 2)}),
                       _err("squeeze", "axis size of 1", params={"squeeze_axis": True}),
                       _err("axis", "axis", params={"axis": 2})]
               if name == "indices" else []))

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
               errors=[_err("no-value", "value", params={"value": "x"})]
               if dt == "float32" else []))
add(OpCase("_zeros", {}, lambda x, p: [np.zeros(p["shape"], "float32")], dtypes=_ONCE,
           params={"shape": (1, 2)}, name="default-dtype", grad=False,
           errors=[_err("bad-dtype", "Invalid", params={"dtype": "float8"}),
                   _err("unknown-shape", "infer", params={"shape": (2, 0)})]))

_arange = lambda x, p: [R.arange(**p)]
for params, name in (({"start": 5, "dtype": "float32"}, "stop-none"),
                     ({"start": 1, "stop": 4, "step": 0.5, "dtype": "float64"}, "frac-step"),
                     ({"start": 3, "stop": -3, "step": -1.5, "dtype": "float32"}, "negative"),
                     ({"start": 0, "stop": 6, "step": 2, "repeat": 3, "dtype": "int32"}, "repeat"),
                     ({"start": 0.5, "stop": 4, "step": 1, "dtype": "int64"}, "int-trunc"),
                     ({"start": 0, "stop": 3, "step": 0.25, "dtype": "float16"}, "float16")):
    add(OpCase("_arange", {}, _arange, params=params, name=name, dtypes=_ONCE, grad=False,
               errors=[_err("zero-step", "step=0", params={"step": 0}),
                       _err("empty", "Invalid range", params={"stop": -1}),
                       _err("repeat", "repeat > 0", params={"repeat": 0})]
               if name == "frac-step" else []))

for params, name in (({"N": 3}, "square"), ({"N": 2, "M": 4, "k": 1}, "wide-k1"),
                     ({"N": 4, "M": 3, "k": -2, "dtype": "int32"}, "tall-int32"),
                     ({"N": 3, "k": 5, "dtype": "float16"}, "k-beyond")):
    add(OpCase("_eye", {}, lambda x, p: [R.eye(**p)], params=params, name=name, dtypes=_ONCE,
               grad=False,
               errors=[_err("bad-dtype", "Invalid", params={"dtype": "bool"})]
               if name == "square" else []))

# ----- Pooling: 'same', and pad/stride longer than the kernel -------------------------------------
_same = lambda x, p: [R.pool1d_same(x["data"], p["kernel"], p["stride"], p["pool_type"])]
for width, kernel, stride, ptype in ((10, 2, 2, "max"), (9, 2, 2, "max"), (7, 3, 2, "avg"),
                                     (5, 2, 1, "max")):
    add(OpCase("Pooling", {"data": (2, 3, width)}, _same, draw={"data": distinct},
               params={"kernel": (kernel,), "stride": (stride,), "pad": (0, 0, 0),
                       "pool_type": ptype, "pooling_convention": "same"},
               name=f"same-{ptype}-w{width}-k{kernel}-s{stride}",
               errors=[_err("same-pad-nonzero", "disables the use of pad",
                            params={"pad": (0, 1, 0)}),
                       _err("same-pad-short", "3 pad entries", params={"pad": (0,)}),
                       _err("same-2d", "3D", shapes={"data": (1, 1, 4, 4)},
                            params={"kernel": (2, 2), "stride": (2, 2)}),
                       _err("stride-short", "same number of dimensions",
                            shapes={"data": (1, 1, 4, 4)},
                            params={"kernel": (2, 2), "stride": (2,), "pad": (0, 0, 0)})]
               if width == 10 else []))


def _max2d(x):
    # 2x2 windows, stride 2, no pad: the extra stride/pad entries are ignored
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


add(OpCase("Pooling", {"data": (2, 3, 6, 6)}, lambda x, p: [_max2d(x["data"])],
           params={"kernel": (2, 2), "stride": (2, 2, 7), "pad": (0, 0, 5)},
           name="long-stride-pad", draw={"data": distinct}))


# ----- broadcast_like / slice_like: the second input's dtype is free ------------------------------
add(OpCase("broadcast_like", {"lhs": (2, 1, 3), "rhs": (2, 4, 3)},
           lambda x, p: [np.broadcast_to(x["lhs"], x["rhs"].shape)], name="int-rhs",
           input_dtypes={"rhs": "int32"}, draw={"rhs": integers(0, 9)}, no_grad=("rhs",),
           errors=[_err("empty-axes", "Empty axes tuple is not allowed",
                        params={"lhs_axes": (), "rhs_axes": ()}),
                   _err("axes-length", "same length", params={"lhs_axes": (1,),
                                                              "rhs_axes": (1, 2)}),
                   _err("axis-not-1", "cannot be broadcasted",
                        params={"lhs_axes": (0,), "rhs_axes": (1,)})]),
    OpCase("broadcast_like", {"lhs": (1, 3), "rhs": (5, 4)},
           lambda x, p: [np.broadcast_to(x["lhs"], (5, 3))], name="axes-int64-rhs",
           params={"lhs_axes": (-2,), "rhs_axes": (0,)}, input_dtypes={"rhs": "int64"},
           draw={"rhs": integers(0, 9)}, no_grad=("rhs",)),
    OpCase("slice_like", {"data": (4, 5), "shape_like": (2, 3)},
           lambda x, p: [x["data"][:2, :3]], name="int-like",
           input_dtypes={"shape_like": "int32"}, draw={"shape_like": integers(0, 9)},
           no_grad=("shape_like",),
           errors=[_err("ndim", "ndim mismatch", shapes={"shape_like": (2, 3, 1)})]),
    OpCase("slice_like", {"data": (4, 5, 2), "shape_like": (3, 2)},
           lambda x, p: [x["data"][:, :2]], name="axes-float16-like", params={"axes": (-2,)},
           input_dtypes={"shape_like": "float16"}, no_grad=("shape_like",)))
