"""Op-database cases for FullyConnected, Activation, softmax family, loss ops, reductions, Reshape,
Flatten, dot and batch_dot."""
import numpy as np
from opdb.core import ErrorCase, OpCase, add, away_from, distinct, integers, uniform
from reference import core_nn as R

from mxlite.base import MXNetError

# ----- FullyConnected
# --------------------------------------------------------------------------------
add(OpCase("FullyConnected", {"data": (3, 5), "weight": (4, 5), "bias": (4,)},
           lambda x, p: [R.fully_connected(x["data"], x["weight"], x["bias"])],
           params={"num_hidden": 4},
           errors=[ErrorCase("weight-shape", shapes={"weight": (4, 6)}, exc=MXNetError,
                             match="weight|inconsistent|Shape")]),
    OpCase("FullyConnected", {"data": (2, 3, 2), "weight": (4, 6)},
           lambda x, p: [R.fully_connected(x["data"], x["weight"], None)],
           params={"num_hidden": 4, "no_bias": True}, name="nobias-4d"),
    OpCase("FullyConnected", {"data": (2, 3, 5), "weight": (4, 5), "bias": (4,)},
           lambda x, p: [R.fully_connected(x["data"], x["weight"], x["bias"], flatten=False)],
           params={"num_hidden": 4, "flatten": False}, name="noflatten"))

# ----- Activation
# --------------------------------------------------------------------------------------
for act in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
    add(OpCase("Activation", {"data": (3, 4)},
               lambda x, p: [R.activation(x["data"], p["act_type"])], params={"act_type": act},
               name=act, draw={"data": away_from([0.0])}, errors=[ErrorCase("bad-act",
               params={"act_type": "gelu"}, exc=MXNetError,
                                 match="act_type|Invalid")] if act == "relu" else []))

# ----- softmax family
# ------------------------------------------------------------------------------
for axis in (-1, 0, 1):
    add(OpCase("softmax", {"data": (2, 3, 4)}, lambda x, p: [R.softmax(x["data"], p["axis"])],
               params={"axis": axis}, name=f"axis{axis}"),
        OpCase("log_softmax", {"data": (2, 3, 4)},
               lambda x, p: [R.softmax(x["data"], p["axis"], log=True)],
               params={"axis": axis}, name=f"axis{axis}"),
        OpCase("softmin", {"data": (2, 3, 4)}, lambda x, p: [R.softmax(-x["data"], p["axis"])],
               params={"axis": axis}, name=f"axis{axis}"))
add(OpCase("softmax", {"data": (3, 5)},
           lambda x, p: [R.softmax(x["data"], -1, p["temperature"])],
           params={"temperature": 2.5}, name="temperature"),
    OpCase("log_softmax", {"data": (3, 5)},
           lambda x, p: [R.softmax(x["data"], -1, p["temperature"], log=True)],
           params={"temperature": 0.5}, name="temperature"),
    OpCase("softmax", {"data": (3, 5), "length": (3,)},
           lambda x, p: [R.softmax_masked(x["data"], x["length"].astype(int), 1)],
           params={"use_length": True, "axis": 1}, name="length", no_grad=("length",),
           draw={"length": integers(1, 6)}, input_dtypes={"length": "int32"},
           errors=[ErrorCase("float-length", dtypes={"length": "float32"}, exc=MXNetError,
                             match="integer types")]),
    OpCase("softmax", {"data": (3, 5)}, lambda x, p: [R.softmax(x["data"])],
           params={"dtype": "float64"}, name="dtype64", dtypes=("float16", "float32")))
add(OpCase("SoftmaxActivation", {"data": (2, 3, 4)},
           lambda x, p: [R.softmax(x["data"], -1)]),
    OpCase("SoftmaxActivation", {"data": (2, 3, 2)},
           lambda x, p: [R.softmax(x["data"], 1)], params={"mode": "channel"}, name="channel"))


# ----- SoftmaxOutput and the other losses ---------------------------------------------------------
def _so_ref(x, p):
    return [R.softmax(x["data"].reshape(x["data"].shape[0], -1), 1).reshape(x["data"].shape)]


def _so_grad(x, p, heads):
    prob = R.softmax(x["data"], 1)
    keys = ("grad_scale", "ignore_label", "use_ignore", "normalization", "smooth_alpha")
    return {"data": R.softmax_output_grad(prob, x["label"], **{k: p[k] for k in keys if k in p})}


for params, name in (({}, ""), ({"grad_scale": 2.0, "normalization": "batch"}, "batch"),
                     ({"use_ignore": True, "ignore_label": 1.0, "normalization": "valid"},
                      "ignore-valid"),
                     ({"smooth_alpha": 0.1}, "smooth")):
    add(OpCase("SoftmaxOutput", {"data": (4, 3), "label": (4,)}, _so_ref, params=params,
               name=name, draw={"label": integers(0, 3)}, no_grad=("label",), loss=True,
               ref_grad=_so_grad,
               errors=[ErrorCase("label-shape", shapes={"label": (5,)}, exc=MXNetError,
                                 match="label|inconsistent|Shape")] if not name else []))


def _reg_case(op, link, grad):
    def ref_grad(x, p, heads):
        out = link(x["data"])
        m = x["label"].size / x["label"].shape[0]
        return {"data": grad(out, x["label"]) * p.get("grad_scale", 1.0) / m}
    return OpCase(op, {"data": (3, 2), "label": (3, 2)}, lambda x, p: [link(x["data"])],
                  params={"grad_scale": 1.5}, no_grad=("label",), loss=True, ref_grad=ref_grad)


add(_reg_case("LinearRegressionOutput", lambda d: d, lambda o, t: o - t),
    _reg_case("LogisticRegressionOutput", lambda d: 1 / (1 + np.exp(-d)), lambda o, t: o - t),
    _reg_case("MAERegressionOutput", lambda d: d, lambda o, t: np.where(o > t, 1.0, -1.0)))


def _makeloss_grad(x, p, heads):
    d = x["data"]
    scale = p.get("grad_scale", 1.0)
    norm = p.get("normalization", "null")
    if norm == "batch":
        scale /= d.shape[0]
    elif norm == "valid":
        scale /= max(1, int((d > p.get("valid_thresh", 0.0)).sum()))
    return {"data": np.full(d.shape, scale)}


add(OpCase("MakeLoss", {"data": (3, 4)}, lambda x, p: [x["data"]], loss=True,
           params={"grad_scale": 0.5, "normalization": "batch"}, ref_grad=_makeloss_grad),
    OpCase("MakeLoss", {"data": (3, 4)}, lambda x, p: [x["data"]], loss=True, name="valid",
           params={"normalization": "valid", "valid_thresh": 0.2}, ref_grad=_makeloss_grad),
    OpCase("make_loss", {"data": (3, 4)}, lambda x, p: [x["data"]], loss=True,
           ref_grad=lambda x, p, h: {"data": np.ones_like(x["data"])}),
    OpCase("BlockGrad", {"data": (3, 4)}, lambda x, p: [x["data"]], loss=True,
           ref_grad=lambda x, p, h: {"data": np.zeros_like(x["data"])}))

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
                   errors=[ErrorCase("bad-axis", params={"axis": 5}, exc=MXNetError,
                                     match="axis")] if name == "axis1" else []))

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
               errors=[ErrorCase("bad-size", params={"shape": (5, 5)}, exc=MXNetError,
                                 match="elements")] if name == "zero" else []))
add(OpCase("Flatten", {"data": (2, 3, 4)}, lambda x, p: [x["data"].reshape(2, -1)]),
    OpCase("Flatten", {"data": (5,)}, lambda x, p: [x["data"].reshape(5, 1)], name="1d"))

# ----- dot / batch_dot ---------------------------------------------------------------------------
for sa, sb, ta, tb, name in (((3, 4), (4, 5), False, False, "2d"),
                              ((2, 3, 4), (4, 5), False, False, "3d-2d"),
                              ((2, 3), (3, 4, 5), False, False, "2d-3d"),
                              ((4, 3), (4, 5), True, False, "ta"),
                              ((3, 4), (5, 4), False, True, "tb"),
                              ((2, 3, 4), (2, 5), True, False, "ta-3d"),
                              ((4,), (4,), False, False, "1d"),
                              ((3, 4), (4,), False, False, "2d-1d")):
    add(OpCase("dot", {"lhs": sa, "rhs": sb},
               lambda x, p: [R.dot(x["lhs"], x["rhs"], p["transpose_a"], p["transpose_b"])],
               params={"transpose_a": ta, "transpose_b": tb}, name=name,
               tol={"float16": (2e-2, 5e-2)},
               errors=[ErrorCase("mismatch", shapes={"rhs": (5, 5)}, exc=MXNetError,
                                 match="contracted dims")] if name == "2d" else []))
for ta, tb in ((False, False), (True, False), (False, True)):
    sa = (2, 4, 3) if ta else (2, 3, 4)
    sb = (2, 5, 4) if tb else (2, 4, 5)
    add(OpCase("batch_dot", {"lhs": sa, "rhs": sb},
               lambda x, p: [np.matmul(np.swapaxes(x["lhs"], 1, 2) if p["transpose_a"]
                                       else x["lhs"],
                                       np.swapaxes(x["rhs"], 1, 2) if p["transpose_b"]
                                       else x["rhs"])],
               params={"transpose_a": ta, "transpose_b": tb}, name=f"ta{int(ta)}tb{int(tb)}",
               tol={"float16": (2e-2, 5e-2)}))
