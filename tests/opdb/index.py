"""Op-database cases for the index family: Embedding, take (clip, wrap, raise), one_hot, pick,
batch_take, gather_nd, scatter_nd and _contrib_index_array.

Index inputs are drawn out of range on both sides where the op clamps or wraps them, and take no
gradient. batch_take (no gradient in MXNet) and one_hot skip the gradient checks; index_array has
a zero gradient (MXNet's MakeZeroGradNodes), checked against zeros. What the database cannot
express (take's raise mode on bad indices) is in tests/test_layers_semantics.py.
"""
import numpy as np
from opdb.core import OpCase, add, as_list, error, integers, uniform, zero_grad
from reference import index as R

# ----- Embedding ----------------------------------------------------------------------------------
_IDS = integers(-2, 7)  # out-of-range on both sides for input_dim 5: clamped
add(OpCase("Embedding", {"data": (2, 3), "weight": (5, 4)},
           lambda x, p: [R.embedding(x["data"], x["weight"])],
           params={"input_dim": 5, "output_dim": 4}, draw={"data": _IDS}, no_grad=("data",),
           errors=[error("weight-shape", r"\(weight\): Shape inconsistent",
                         shapes={"weight": (6, 4)})]),
    OpCase("Embedding", {"data": (4,), "weight": (5, 2)},
           lambda x, p: [R.embedding(x["data"], x["weight"])], name="int-ids",
           params={"input_dim": 5, "output_dim": 2}, draw={"data": _IDS}, no_grad=("data",),
           input_dtypes={"data": "int32"}),
    OpCase("Embedding", {"data": (5,), "weight": (5, 3)},
           lambda x, p: [R.embedding(x["data"], x["weight"])], name="fractional-ids",
           params={"input_dim": 5, "output_dim": 3}, draw={"data": uniform(-0.9, 4.9)},
           no_grad=("data",)))

# ----- take ---------------------------------------------------------------------------------------
for mode in ("clip", "wrap", "raise"):
    for axis, ishape in ((0, (2, 3)), (1, (4,)), (-1, (1, 2))):
        low, high = (0, 3) if mode == "raise" else (-5, 9)
        add(OpCase("take", {"a": (4, 3), "indices": ishape},
                   lambda x, p: [R.take(x["a"], x["indices"], p["axis"], p["mode"])],
                   params={"axis": axis, "mode": mode}, name=f"{mode}-axis{axis}",
                   draw={"indices": integers(low, high)}, no_grad=("indices",),
                   errors=[error("bad-axis", "axis=2", params={"axis": 2})]
                   if (mode, axis) == ("clip", 0) else []))
add(OpCase("take", {"a": (3, 2, 2), "indices": (2, 2)},
           lambda x, p: [R.take(x["a"], x["indices"], 1, "clip")], name="3d-int-indices",
           params={"axis": 1}, draw={"indices": integers(-1, 3)}, no_grad=("indices",),
           input_dtypes={"indices": "int32"}))

# ----- one_hot ------------------------------------------------------------------------------------
for params, name in (({"depth": 4}, "basic"),
                     ({"depth": 3, "on_value": 5.0, "off_value": -1.0}, "on-off"),
                     ({"depth": 4, "dtype": "int32"}, "int32"),
                     ({"depth": 4, "dtype": "float64"}, "float64")):
    add(OpCase("one_hot", {"indices": (3, 2)},
               lambda x, p: [R.one_hot(x["indices"], p["depth"], p.get("on_value", 1.0),
                                       p.get("off_value", 0.0))],
               params=params, name=name, draw={"indices": integers(-2, 6)}, grad=False,
               errors=[error("negative-depth", "depth, must be a non-negative integer, got -1",
                             params={"depth": -1})] if name == "basic" else []))

# ----- pick ---------------------------------------------------------------------------------------
_pick = lambda x, p: [R.pick(x["data"], x["index"], **p)]
for shapes, params, name in (
        ({"data": (3, 4), "index": (3,)}, {}, "default"),
        ({"data": (3, 4), "index": (4,)}, {"axis": 0}, "axis0"),
        ({"data": (2, 3, 4), "index": (2, 4)}, {"axis": 1, "mode": "wrap"}, "wrap"),
        ({"data": (2, 3, 4), "index": (2, 1, 4)}, {"axis": 1, "keepdims": True}, "keepdims"),
        ({"data": (5,), "index": (1,)}, {"axis": 0}, "1d")):
    add(OpCase("pick", shapes, _pick, params=params, name=name, no_grad=("index",),
               draw={"index": integers(-2, 7)},
               errors=[error("index-shape", r"index shape \(4,\)", shapes={"index": (4,)}),
                       error("axis-none", "axis=None", params={"axis": "None"})]
               if name == "default" else []))
add(OpCase("pick", {"data": (3, 4), "index": (3,)}, _pick, name="int-index", no_grad=("index",),
           draw={"index": integers(0, 4)}, input_dtypes={"index": "int32"}))

# ----- batch_take ---------------------------------------------------------------------------------
_bt = lambda x, p: [R.batch_take(x["a"], x["indices"])]
add(OpCase("batch_take", {"a": (4, 3), "indices": (4,)}, _bt, input_dtypes={"indices": "int32"},
           draw={"indices": integers(-2, 5)}, no_grad=("indices",), grad=False,
           errors=[error("index-size", r"indices \(3,\)", shapes={"indices": (3,)}),
                   error("1d", r"\ba\b", shapes={"a": (4,)}),
                   error("index-dtype", r"\(indices\): Type inconsistent",
                         dtypes={"indices": "float32"})]),
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
               errors=[error("index-ndim", r"\bindices\b", shapes={"indices": (2,)}),
                       error("too-many", r"Number of indices \(4\) exceeds",
                             shapes={"indices": (4, 2)})]
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
               errors=[error("bad-combination", r"data \(5,\).*data must be \(4,\)",
                             shapes={"data": (5,)})]
               if name == "points" else []))

# ----- _contrib_index_array ---------------------------------------------------------------------
for params, shape, name in (({}, (2, 3), "default"), ({"axes": (1, 0)}, (3, 2, 2), "axes"),
                            ({"axes": (-1,)}, (2, 3), "negative-axis")):
    add(OpCase("_contrib_index_array", {"data": shape},
               as_list(lambda x, p: R.index_array(x["data"], **p)), params=params, name=name,
               loss=True, ref_grad=zero_grad))


# ----- _contrib_index_copy ------------------------------------------------------------------------
def _rows(values):
    return lambda rng, shape, dtype: np.array(values, dtype=dtype)


for shapes, rows, name in ((((6, 3), (3,), (3, 3)), [4, 0, 2], ""),
                           (((5, 2, 2), (2,), (2, 2, 2)), [1, 3], "3d")):
    add(OpCase("_contrib_index_copy",
               dict(zip(("old_tensor", "index_vector", "new_tensor"), shapes)),
               as_list(lambda x, p: R.index_copy(x["old_tensor"], x["index_vector"],
                                                 x["new_tensor"])),
               name=name, draw={"index_vector": _rows(rows)}, no_grad=("index_vector",),
               input_dtypes={"index_vector": "int64"} if name else {},
               errors=[error("new-rows", r"new_tensor shape \(3,4\)",
                             shapes={"new_tensor": (3, 4)}),
                       error("index-length", r"index_vector shape \(2,\)",
                             shapes={"index_vector": (2,)})]
               if not name else []))
