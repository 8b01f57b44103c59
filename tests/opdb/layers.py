"""Op-database cases for BatchNorm, LRN, Dropout, Embedding, take, one_hot and LeakyReLU.

What the database cannot express lives in tests/test_layers_semantics.py: BatchNorm's aux updates
and gamma overwrite, Dropout's random mask, rrelu in training, take's raise mode on bad indices,
errors that need aux arrays at bind, and the random sampling ops.

Dropout cases are deterministic only (inference, or p = 0); gradients are checked where forward is
deterministic in training mode, because the generated gradient tests always run
forward(is_train=True).
"""
import numpy as np
from opdb.core import ErrorCase, OpCase, add, away_from, integers, uniform
from reference import layers as R

from mxlite.base import MXNetError

_F32 = {"gamma": "float32", "beta": "float32", "moving_mean": "float32",
        "moving_var": "float32"}
_BN_AUX_DRAW = {"moving_var": uniform(0.5, 1.5), "gamma": uniform(0.5, 1.5)}


# ----- BatchNorm ----------------------------------------------------------------------------------
def _bn_ref(train):
    def ref(x, p):
        return R.batch_norm(x["data"], x["gamma"], x["beta"], x["moving_mean"], x["moving_var"],
                            eps=p.get("eps", 1e-3), fix_gamma=p.get("fix_gamma", True),
                            use_global_stats=p.get("use_global_stats", False), train=train,
                            axis=p.get("axis", 1), output_mean_var=p.get("output_mean_var", False))
    return ref


def _bn_case(name, data_shape, params, train, dtypes=("float32", "float64"), grad=True,
             input_dtypes=None, errors=()):
    c = data_shape[params.get("axis", 1)]
    return OpCase("BatchNorm", {"data": data_shape, "gamma": (c,), "beta": (c,)}, _bn_ref(train),
                  params=params, name=name, is_train=train, dtypes=dtypes, grad=grad,
                  aux={"moving_mean": (c,), "moving_var": (c,)}, draw=dict(_BN_AUX_DRAW),
                  input_dtypes=input_dtypes or {}, errors=list(errors))


for fix_gamma in (True, False):
    for ugs in (False, True):
        for train in (True, False):
            tag = f"fg{int(fix_gamma)}-ugs{int(ugs)}-train{int(train)}"
            # an inference forward with batch statistics off is not what the generated gradient
            # test (forward(is_train=True)) differentiates
            add(_bn_case(tag, (2, 3, 2, 2), {"fix_gamma": fix_gamma, "use_global_stats": ugs},
                         train, grad=train or ugs,
                         errors=[ErrorCase("bad-param", params={"fix_gamma": "maybe"},
                                           exc=MXNetError, match="fix_gamma"),
                                 ErrorCase("unknown-param", params={"foo": 1}, exc=MXNetError,
                                           match="Cannot find argument")]
                         if tag == "fg1-ugs0-train1" else ()))
add(_bn_case("2d", (4, 3), {"fix_gamma": False}, True),
    _bn_case("3d", (2, 3, 5), {"fix_gamma": False}, True),
    _bn_case("axis-last", (2, 3, 4), {"fix_gamma": False, "axis": -1}, True),
    _bn_case("axis0", (3, 4), {"fix_gamma": False, "axis": 0}, True),
    _bn_case("axis2", (2, 3, 4, 2), {"fix_gamma": False, "axis": 2}, True),
    _bn_case("eps-momentum", (2, 3, 2, 2), {"fix_gamma": False, "eps": 2e-5, "momentum": 0.8},
             True),
    # the mean/var outputs take no gradient in MXNet, which a numeric check of all three cannot see
    _bn_case("output-mean-var", (2, 3, 2, 2), {"fix_gamma": False, "output_mean_var": True},
             True, grad=False),
    _bn_case("output-mean-var-inference", (2, 3, 2, 2),
             {"fix_gamma": False, "output_mean_var": True}, False, grad=False),
    # float16 data keeps float32 parameters and aux states; its gradient is compared with float64
    # in test_layers_semantics (the generated gradient tests bind every input in one dtype)
    _bn_case("float16-train", (2, 3, 2, 2), {"fix_gamma": False}, True, dtypes=("float16",),
             grad=False, input_dtypes=_F32),
    _bn_case("float16-inference", (2, 3, 2, 2), {"fix_gamma": False}, False,
             dtypes=("float16",), grad=False, input_dtypes=_F32))

# ----- LRN ----------------------------------------------------------------------------------------
for nsize in (1, 3, 5):
    add(OpCase("LRN", {"data": (2, 4, 3, 3)}, lambda x, p: [R.lrn(x["data"], p["nsize"])],
               params={"nsize": nsize}, name=f"nsize{nsize}",
               errors=[ErrorCase("even-nsize", params={"nsize": 4}, exc=MXNetError, match="odd"),
                       ErrorCase("3d-data", shapes={"data": (2, 4, 3)}, exc=MXNetError,
                                 match="4-D")] if nsize == 3 else []))
add(OpCase("LRN", {"data": (2, 5, 2, 2)},
           lambda x, p: [R.lrn(x["data"], 3, p["alpha"], p["beta"], p["knorm"])],
           params={"nsize": 3, "alpha": 0.01, "beta": 0.5, "knorm": 1.0}, name="params"),
    OpCase("LRN", {"data": (1, 3, 2, 2)}, lambda x, p: [R.lrn(x["data"], 3, p["alpha"])],
           params={"nsize": 3, "alpha": 0.5}, name="large-alpha",
           tol={"float16": (2e-2, 2e-2)}))

# ----- Dropout ------------------------------------------------------------------------------------
add(OpCase("Dropout", {"data": (2, 3)}, lambda x, p: [x["data"]], name="inference", grad=False,
           errors=[ErrorCase("p-range", params={"p": 1.5}, exc=MXNetError, match="p must be"),
                   ErrorCase("bad-mode", params={"mode": "sometimes"}, exc=MXNetError,
                             match="mode|Invalid")]),
    OpCase("Dropout", {"data": (2, 3, 2)}, lambda x, p: [x["data"]], name="axes-inference",
           params={"p": 0.3, "axes": (1,)}, grad=False,
           errors=[ErrorCase("bad-axis", params={"axes": (5,)}, exc=MXNetError, match="axis")]),
    OpCase("Dropout", {"data": (2, 3)}, lambda x, p: [x["data"]], name="p0-train",
           params={"p": 0.0}, is_train=True),
    OpCase("Dropout", {"data": (2, 3)}, lambda x, p: [x["data"]], name="p0-always",
           params={"p": 0.0, "mode": "always"}))

# ----- Embedding ----------------------------------------------------------------------------------
_IDS = integers(-2, 7)  # out-of-range on both sides for input_dim 5: clamped
add(OpCase("Embedding", {"data": (2, 3), "weight": (5, 4)},
           lambda x, p: [R.embedding(x["data"], x["weight"])],
           params={"input_dim": 5, "output_dim": 4}, draw={"data": _IDS}, no_grad=("data",),
           errors=[ErrorCase("weight-shape", shapes={"weight": (6, 4)}, exc=MXNetError,
                             match="inconsistent")]),
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
                   errors=[ErrorCase("bad-axis", params={"axis": 2}, exc=MXNetError,
                                     match="Axis")] if (mode, axis) == ("clip", 0) else []))
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
               errors=[ErrorCase("negative-depth", params={"depth": -1}, exc=MXNetError,
                                 match="depth")] if name == "basic" else []))

# ----- LeakyReLU ----------------------------------------------------------------------------------
_KINK = {"data": away_from([0.0])}
for act, params, name in (("leaky", {}, "leaky"), ("leaky", {"slope": 0.1}, "leaky-slope0.1"),
                          ("elu", {}, "elu"), ("elu", {"slope": 1.0}, "elu-slope1"),
                          ("gelu", {}, "gelu")):
    add(OpCase("LeakyReLU", {"data": (2, 3, 2)},
               lambda x, p: [R.leaky_relu(x["data"], p["act_type"], p.get("slope", 0.25))],
               params={"act_type": act, **params}, name=name, draw=_KINK,
               # MXNet (and mxlite) compute gelu in float32 even for float64 data
               tol={"float64": (1e-6, 1e-7)} if act == "gelu" else {},
               errors=[ErrorCase("bad-act", params={"act_type": "swish"}, exc=MXNetError,
                                 match="act_type|Invalid")] if name == "leaky" else []))
add(OpCase("LeakyReLU", {"data": (2, 3, 2)}, lambda x, p: [R.leaky_relu(x["data"], "selu")],
           params={"act_type": "selu"}, name="selu", draw=_KINK,
           ref_grad=lambda x, p, heads: {"data": R.selu_grad_mxnet(x["data"], heads[0])}),
    OpCase("LeakyReLU", {"data": (2, 3, 2), "gamma": (3,)},
           lambda x, p: [R.leaky_relu(x["data"], "prelu", gamma=x["gamma"])],
           params={"act_type": "prelu"}, name="prelu", draw={**_KINK, "gamma": uniform(0.1, 0.5)},
           errors=[ErrorCase("1d-data", shapes={"data": (3,)}, exc=MXNetError,
                             match="channel"),
                   # (2,) would be placed on axis 0 (per sample), as MXNet's expand_shape does
                   ErrorCase("gamma-shape", shapes={"gamma": (4,)}, exc=MXNetError,
                             match="gamma")]),
    OpCase("LeakyReLU", {"data": (2, 3, 2, 2), "gamma": (1,)},
           lambda x, p: [R.leaky_relu(x["data"], "prelu", gamma=x["gamma"])],
           params={"act_type": "prelu"}, name="prelu-scalar-gamma",
           draw={**_KINK, "gamma": uniform(0.1, 0.5)}),
    OpCase("LeakyReLU", {"data": (2, 3)},
           lambda x, p: [R.leaky_relu(x["data"], "rrelu"), np.full((2, 3), (0.125 + 0.334) / 2)],
           params={"act_type": "rrelu"}, name="rrelu-inference", grad=False,
           tol={"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-7)}))
