"""Op-database cases for the ops of elemwise_extra, shape_extra and reduce_extra: clip, where,
add_n, Cast, identity, zeros_like/ones_like; reshape_like, transpose, SwapAxis, expand_dims,
squeeze, Concat, SliceChannel, stack, slice, slice_axis, reverse, Pad; norm, argmax/argmin,
argmax_channel, pick, topk, broadcast_to/axis, tile, repeat.

Integer inputs (Cast, clip, where's condition, pick's index) run through ``input_dtypes`` and,
having no float dtype axis of their own, mostly once (float32). A param that must be None is
spelled "None": the generated wrappers drop Python None values. What the database cannot express
(unused outputs, auto names, head-gradient rules, variadic error cases) is in
tests/test_shape_semantics.py.
"""
import numpy as np
from opdb.core import ErrorCase, OpCase, add, away_from, distinct, integers, uniform
from reference import shape_extra as R

from mxlite.base import MXNetError


def _err(desc, match, **kw):
    return ErrorCase(desc, exc=MXNetError, match=match, **kw)


def _one(fn):
    """A reference on the single input ``data``: ``fn(x, **params)``."""
    return lambda x, p: [fn(x["data"], **p)]


def _heads_cast(x, p, heads):
    # Cast's gradient is the head gradient (already cast to the output dtype) cast back
    return {"data": R.cast(heads[0], p["dtype"]).astype(np.float64)}


# ----- clip ---------------------------------------------------------------------------------------
add(OpCase("clip", {"data": (3, 4)}, _one(R.clip), params={"a_min": -0.5, "a_max": 0.5},
           draw={"data": away_from([-0.5, 0.5])},
           errors=[_err("bad-a_min", "a_min", params={"a_min": "low"})]),
    OpCase("clip", {"data": (2, 3, 2)}, _one(R.clip), params={"a_min": -1.0, "a_max": 1.25},
           name="3d", draw={"data": away_from([-1.0, 1.25])}),
    OpCase("clip", {"data": (3, 4)}, _one(R.clip), params={"a_min": 0.5, "a_max": -0.5},
           name="min-gt-max", draw={"data": away_from([-0.5, 0.5])}),
    OpCase("clip", {"data": (3, 4)}, _one(R.clip), params={"a_min": -1.5, "a_max": 2.7},
           name="int32", dtypes=("float32",), input_dtypes={"data": "int32"},
           draw={"data": integers(-4, 5)}, grad=False))

# ----- where --------------------------------------------------------------------------------------
_where = lambda x, p: [R.where(x["condition"], x["x"], x["y"])]
add(OpCase("where", {"condition": (3, 4), "x": (3, 4), "y": (3, 4)}, _where,
           draw={"condition": integers(-1, 2)}, no_grad=("condition",),
           errors=[_err("cond-shape", "condition", shapes={"condition": (4, 3)}),
                   _err("cond-1d-length", "condition", shapes={"condition": (4,)}),
                   _err("xy-shape", "same shape|inconsistent", shapes={"y": (3, 5)})]),
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
               errors=[_err("bad-dtype", "Invalid", params={"dtype": "int16"}),
                       _err("bfloat16", "bfloat16", params={"dtype": "bfloat16"})]
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

# ----- reshape_like / transpose / SwapAxis / expand_dims / squeeze --------------------------------
_like = lambda x, p: [R.reshape_like(x["lhs"], x["rhs"], **p)]
add(OpCase("reshape_like", {"lhs": (2, 3, 2), "rhs": (4, 3)}, _like, no_grad=("rhs",),
           errors=[_err("size", "different|sizes differ|cannot reshape",
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
               errors=[_err("axes-length", "axes", params={"axes": (1, 0)}),
                       _err("not-permutation", "permutation", params={"axes": (0, 0, 1)})]
               if name == "axes" else []))

for op, params, name in (("SwapAxis", {}, "default"), ("SwapAxis", {"dim1": 0, "dim2": 2}, "02"),
                         ("swapaxes", {"dim1": -1, "dim2": 0}, "negative")):
    add(OpCase(op, {"data": (2, 3, 4)},
               lambda x, p: [np.swapaxes(x["data"], p.get("dim1", 0), p.get("dim2", 0))],
               params=params, name=name,
               errors=[_err("out-of-bounds", "dim2", params={"dim2": 3})] if name == "02" else []))

for axis in (0, 1, 2, -1, -3):
    add(OpCase("expand_dims", {"data": (2, 3)},
               lambda x, p: [np.expand_dims(x["data"], p["axis"])], params={"axis": axis},
               name=f"axis{axis}",
               errors=[_err("out-of-range", "axis", params={"axis": 3})] if axis == 0 else []))

for shape, params, name in (((1, 3, 1, 2), {}, "all"), ((1, 3, 1, 2), {"axis": 0}, "axis0"),
                            ((1, 3, 1, 2), {"axis": (0, 2)}, "tuple"),
                            ((1, 3, 1, 2), {"axis": -2}, "negative"), ((1, 1), {}, "to-1d")):
    add(OpCase("squeeze", {"data": shape}, lambda x, p: [R.squeeze(x["data"], p.get("axis"))],
               params=params, name=name,
               errors=[_err("non-1-axis", "size=3 not equal to one", params={"axis": 1})]
               if name == "axis0" else []))

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
               errors=[_err("indivisible", "does not evenly divide", params={"num_outputs": 4}),
                       _err("squeeze-size", "squeeze axis is True",
                            params={"num_outputs": 2, "squeeze_axis": True, "axis": 1}),
                       _err("axis", "axis", params={"axis": 2})]
               if name == "default-axis" else []))

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
               errors=[_err("empty", "select nothing", params={"begin": (2, 1), "end": (1, 3)}),
                       _err("length", "same length", params={"begin": (0,), "end": (2, 3)}),
                       _err("zero-step", "cannot be 0", params={"step": (0, 1)}),
                       _err("too-many", "dimensions", params={"begin": (0, 0, 0),
                                                              "end": (1, 1, 1)})]
               if name == "basic" else []))

for params, name in (({"axis": 1, "begin": 1, "end": 3}, "basic"),
                     ({"axis": -1, "begin": -3, "end": -1}, "negative"),
                     ({"axis": 0, "begin": 1}, "end-none"),
                     ({"axis": 0, "begin": 1, "end": "None"}, "end-none-str")):
    add(OpCase("slice_axis", {"data": (3, 4)}, lambda x, p: [R.slice_axis(x["data"], **p)],
               params=params, name=name,
               errors=[_err("empty", "invalid begin", params={"begin": 2, "end": 1}),
                       _err("end", "invalid begin", params={"end": 5})]
               if name == "basic" else []))

for op, params, name in (("reverse", {"axis": (0,)}, "axis0"), ("flip", {"axis": (0, 2)}, "tuple"),
                         ("reverse", {"axis": (-1,)}, "negative")):
    add(OpCase(op, {"data": (2, 3, 4)}, lambda x, p: [R.reverse(x["data"], p["axis"])],
               params=params, name=name,
               errors=[_err("axis", "axis", params={"axis": (3,)})] if name == "axis0" else []))

# ----- Pad ----------------------------------------------------------------------------------------
for shape, params, name in (
        ((1, 2, 3, 3), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1),
                        "constant_value": 1.5}, "constant"),
        ((1, 2, 3, 3), {"mode": "edge", "pad_width": (0, 0, 0, 0, 2, 1, 1, 2)}, "edge"),
        ((1, 2, 3, 4), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 2, 1, 1, 3)}, "reflect"),
        ((1, 1, 2, 2, 3), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 0, 0, 1, 1, 1)},
         "5d-constant"),
        ((1, 1, 2, 2, 3), {"mode": "edge", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1, 0, 1)},
         "5d-edge")):
    add(OpCase("Pad" if name != "edge" else "pad", {"data": shape}, _one(R.pad), params=params,
               name=name,
               errors=[_err("3d", "4-D or 5-D", shapes={"data": (2, 3, 3)}),
                       _err("batch-axis", "first two axes",
                            params={"pad_width": (1, 0, 0, 0, 1, 1, 1, 1)}),
                       _err("spec-length", "2\\*ndim", params={"pad_width": (0, 0, 0, 0, 1, 1)}),
                       _err("reflect-size", "smaller than",
                            params={"mode": "reflect", "pad_width": (0, 0, 0, 0, 3, 0, 0, 0)})]
               if name == "constant" else []))

# ----- norm ---------------------------------------------------------------------------------------
for params, name in (({}, "default"), ({"ord": 1}, "ord1"), ({"axis": 1}, "axis1"),
                     ({"axis": (1, 2)}, "axis12"), ({"axis": -1, "keepdims": True}, "keepdims"),
                     ({"ord": 1, "axis": 0}, "ord1-axis0"), ({"out_dtype": "float64"}, "out64")):
    add(OpCase("norm", {"data": (2, 3, 4)}, _one(R.norm), params=params, name=name,
               draw={"data": away_from([0.0], -2.0, 2.0, 0.1)},
               tol={"float16": (2e-2, 5e-2)},
               errors=[_err("ord", "ord=3", params={"ord": 3}),
                       _err("axis", "axis", params={"axis": 3})] if name == "default" else []))

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
                   errors=[_err("axis", "axis", params={"axis": 2})] if name == "axis0" else []))
add(OpCase("argmax_channel", {"data": (3, 4)}, lambda x, p: [R.search(x["data"], np.argmax, 1)],
           draw={"data": distinct}, loss=True,
           ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}),
    OpCase("argmax_channel", {"data": (2, 3, 4)},
           lambda x, p: [R.search(x["data"], np.argmax, 1)], name="3d", draw={"data": distinct},
           loss=True, ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}))

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
               errors=[_err("index-shape", "index shape", shapes={"index": (4,)}),
                       _err("axis-none", "axis=None", params={"axis": "None"})]
               if name == "default" else []))
add(OpCase("pick", {"data": (3, 4), "index": (3,)}, _pick, name="int-index", no_grad=("index",),
           draw={"index": integers(0, 4)}, input_dtypes={"index": "int32"}))

# ----- topk ---------------------------------------------------------------------------------------
_topk = lambda x, p: R.topk(x["data"], **p)
for params, name in (({}, "default"), ({"k": 2, "ret_typ": "value"}, "value"),
                     ({"k": 2, "ret_typ": "both", "axis": 0}, "both-axis0"),
                     ({"k": 2, "ret_typ": "mask"}, "mask"),
                     ({"k": 3, "ret_typ": "value", "is_ascend": True}, "ascend"),
                     ({"k": 0, "ret_typ": "both", "dtype": "int32"}, "all-int32"),
                     ({"k": 3, "ret_typ": "value", "axis": "None"}, "flat")):
    ret = params.get("ret_typ", "indices")
    add(OpCase("topk", {"data": (3, 4)}, _topk, params=params, name=name, draw={"data": distinct},
               grad=ret in ("value", "both"),
               errors=[_err("k", "k=5", params={"k": 5})] if name == "default" else []))

# ----- broadcast_to / broadcast_axis / tile / repeat ----------------------------------------------
for shape, target, name in (((2, 1), (2, 3), "basic"), ((2, 1), (0, 3), "zero-keep"),
                            ((1, 2, 1), (3, 2, 4), "two-axes")):
    add(OpCase("broadcast_to", {"data": shape},
               lambda x, p: [R.broadcast_to(x["data"], p["shape"])],
               params={"shape": target}, name=name,
               errors=[_err("ndim", "cannot be broadcasted", params={"shape": (2, 2, 3)}),
                       _err("size", "cannot be broadcasted", params={"shape": (3, 3)})]
               if name == "basic" else []))
for op, params, name in (("broadcast_axis", {"axis": (0, 2), "size": (2, 3)}, "multi"),
                         ("broadcast_axes", {"axis": (-1,), "size": (4,)}, "negative")):
    add(OpCase(op, {"data": (1, 2, 1)}, lambda x, p: [R.broadcast_axis(x["data"], **p)],
               params=params, name=name,
               errors=[_err("not-1", "must have size 1", params={"axis": (1,), "size": (3,)}),
                       _err("lengths", "same length", params={"size": (2,)})]
               if name == "multi" else []))
for shape, reps, name in (((2, 3), (2, 2), "same"), ((2, 3), (2,), "fewer"),
                          ((2, 3), (2, 1, 2), "more")):
    add(OpCase("tile", {"data": shape}, lambda x, p: [np.tile(x["data"], p["reps"])],
               params={"reps": reps}, name=name,
               errors=[_err("zero", "positive", params={"reps": (0, 2)})]
               if name == "same" else []))
for params, name in (({"repeats": 2}, "flat"), ({"repeats": 3, "axis": 1}, "axis1"),
                     ({"repeats": 2, "axis": -1}, "negative")):
    add(OpCase("repeat", {"data": (2, 3)}, _one(R.repeat), params=params, name=name,
               errors=[_err("zero", "positive", params={"repeats": 0}),
                       _err("axis", "axis", params={"axis": 2})] if name == "flat" else []))


# ----- broadcast_like / slice_like (mxlite/ops/like.py) -------------------------------------------
add(OpCase("broadcast_like", {"lhs": (2, 1, 3), "rhs": (2, 4, 3)},
           lambda x, p: [np.broadcast_to(x["lhs"], x["rhs"].shape)], no_grad=("rhs",)),
    OpCase("broadcast_like", {"lhs": (1, 3), "rhs": (5, 4)},
           lambda x, p: [np.broadcast_to(x["lhs"], (4, 3))], no_grad=("rhs",),
           params={"lhs_axes": (0,), "rhs_axes": (1,)}, name="axes"),
    OpCase("slice_like", {"data": (4, 5), "shape_like": (2, 3)},
           lambda x, p: [x["data"][:2, :3]], no_grad=("shape_like",)),
    OpCase("slice_like", {"data": (4, 5), "shape_like": (2, 3)},
           lambda x, p: [x["data"][:, :3]], no_grad=("shape_like",), params={"axes": (1,)},
           name="axis1"))
