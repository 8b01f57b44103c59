"""Op-database cases for the batch_norm family: BatchNorm (fix_gamma, use_global_stats, training
and inference, any axis, output_mean_var, float16 data with float32 parameters) and BatchNorm_v1.

BatchNorm_v1 runs float32/float64 only: MXNet 1.9.1's kernel is float32-only, and float64 is what
the generated gradient tests bind. What the database cannot express (aux updates, gamma
overwrite, errors that need aux arrays at bind) is in tests/test_layers_semantics.py.
"""
import numpy as np
from opdb.core import OpCase, add, error, uniform
from reference import batch_norm as R

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
                         errors=[error("bad-param", "fix_gamma='maybe'",
                                       params={"fix_gamma": "maybe"}),
                                 error("unknown-param", "Cannot find argument 'foo'",
                                       params={"foo": 1})]
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

# ----- BatchNorm_v1 -------------------------------------------------------------------------------
_BN_DRAW = {"moving_var": uniform(0.5, 1.5), "gamma": uniform(0.5, 1.5)}


def _bn1(train):
    def ref(x, p):
        return R.batch_norm_v1(x["data"], x["gamma"], x["beta"], x["moving_mean"],
                               x["moving_var"], eps=float(np.float32(p.get("eps", 1e-3))),
                               fix_gamma=p.get("fix_gamma", True),
                               use_global_stats=p.get("use_global_stats", False), train=train,
                               output_mean_var=p.get("output_mean_var", False))
    return ref


for shape, params, train, name in (
        ((2, 3, 2, 2), {}, True, "fg1-train"),
        ((2, 3, 2, 2), {"fix_gamma": False}, True, "fg0-train"),
        ((4, 3), {"fix_gamma": False}, True, "2d-train"),
        ((2, 3, 2, 2), {"fix_gamma": False}, False, "inference"),
        ((2, 3, 2, 2), {"fix_gamma": False, "use_global_stats": True}, True, "global-stats"),
        ((2, 3, 2, 2), {"fix_gamma": False, "eps": 2e-5}, True, "eps"),
        ((2, 3, 2, 2), {"fix_gamma": False, "output_mean_var": True}, True, "mean-var"),
        ((2, 3, 2, 2), {"fix_gamma": False, "output_mean_var": True}, False,
         "mean-var-inference")):
    add(OpCase("BatchNorm_v1", {"data": shape, "gamma": (3,), "beta": (3,)}, _bn1(train),
               params=params, name=name, is_train=train, dtypes=("float32", "float64"),
               aux={"moving_mean": (3,), "moving_var": (3,)}, draw=dict(_BN_DRAW),
               grad=(train or params.get("use_global_stats", False))
               and not params.get("output_mean_var"),
               # (shape errors need the aux arrays at bind, which the generated test omits)
               errors=[error("axis-param", "Cannot find argument 'axis'", params={"axis": 1})]
               if name == "fg1-train" else []))
