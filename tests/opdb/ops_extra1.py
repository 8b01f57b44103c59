"""Op-database cases for unary_extra (rcbrt, gamma, gammaln, smooth_l1, hard_sigmoid), loss_extra
(softmax_cross_entropy, SVMOutput), norm_extra (LayerNorm, InstanceNorm, L2Normalization,
BatchNorm_v1, moments), sequence (SequenceMask, SequenceLast, SequenceReverse, UpSampling), and
prelu's general gamma shapes and Dropout(p=1).

InstanceNorm and BatchNorm_v1 run float32/float64 only: MXNet 1.9.1's kernels are float32-only, and
float64 is what the generated gradient tests bind. UpSampling is variadic, so its error cases (which
the generated error test passes by keyword) are not expressible here. Sequence lengths are drawn
to include out-of-range values, which both sides clamp.
"""
import numpy as np
from opdb.core import ErrorCase, OpCase, add, away_from, integers, uniform
from reference import ops_extra1 as R

from mxlite.base import MXNetError


def _err(desc, match, **kw):
    return ErrorCase(desc, exc=MXNetError, match=match, **kw)


def _one(fn, *keys):
    """A reference on input ``data`` passing the listed params."""
    return lambda x, p: [fn(x["data"], *(p[k] for k in keys if k in p))]


# ----- unary --------------------------------------------------------------------------------------
add(OpCase("rcbrt", {"data": (3, 4)}, _one(R.rcbrt), draw={"data": away_from([0.0], -3, 3, 0.3)}),
    OpCase("gamma", {"data": (3, 4)}, _one(R.gamma), draw={"data": uniform(0.3, 4.0)},
           tol={"float16": (2e-2, 2e-2)}),
    OpCase("gamma", {"data": (5,)}, _one(R.gamma), name="negative",
           draw={"data": uniform(-2.9, -2.1)}, dtypes=("float32", "float64")),
    OpCase("gammaln", {"data": (3, 4)}, _one(R.gammaln), draw={"data": uniform(0.3, 5.0)}))
for sigma in (1.0, 2.0, 0.5):
    add(OpCase("smooth_l1", {"data": (3, 4)}, _one(R.smooth_l1, "scalar"),
               params={"scalar": sigma}, name=f"sigma{sigma}",
               draw={"data": away_from([-1 / sigma ** 2, 1 / sigma ** 2], -5, 5)},
               errors=[_err("bad-scalar", "scalar", params={"scalar": "wide"})]
               if sigma == 1.0 else []))
for params, name in (({}, "default"), ({"alpha": 0.5, "beta": 0.2}, "alpha-beta")):
    a, b = params.get("alpha", 0.2), params.get("beta", 0.5)
    add(OpCase("hard_sigmoid", {"data": (3, 4)},
               lambda x, p: [R.hard_sigmoid(x["data"], p.get("alpha", 0.2), p.get("beta", 0.5))],
               params=params, name=name,
               draw={"data": away_from([-b / a, (1 - b) / a], -5, 5, 0.1)},
               errors=[_err("bad-alpha", "alpha", params={"alpha": "steep"})]
               if name == "default" else []))

# ----- softmax_cross_entropy / SVMOutput ----------------------------------------------------------
add(OpCase("softmax_cross_entropy", {"data": (4, 5), "label": (4,)},
           lambda x, p: [R.softmax_cross_entropy(x["data"], x["label"])],
           draw={"label": integers(0, 5)}, no_grad=("label",),
           errors=[_err("3d-data", "2D data", shapes={"data": (4, 5, 1)}),
                   _err("2d-label", "1D label", shapes={"label": (4, 1)}),
                   _err("batch-mismatch", "mismatch", shapes={"label": (3,)}),
                   _err("label-dtype", "dtype", dtypes={"label": "int32"})]))


def _svm_grad(x, p, heads):
    return {"data": R.svm_grad(x["data"], x["label"], p.get("margin", 1.0),
                               p.get("regularization_coefficient", 1.0),
                               p.get("use_linear", False))}


for params, name in (({}, ""), ({"use_linear": True}, "linear"),
                     ({"margin": 0.5, "regularization_coefficient": 2.0}, "margin-coef")):
    m = params.get("margin", 1.0)
    add(OpCase("SVMOutput", {"data": (4, 3), "label": (4,)}, lambda x, p: [x["data"]],
               params=params, name=name, loss=True, ref_grad=_svm_grad,
               draw={"data": away_from([-m, m], -2, 2, 0.05), "label": integers(0, 3)},
               no_grad=("label",),
               errors=[_err("label-shape", "inconsistent", shapes={"label": (4, 3)})]
               if not name else []))

# ----- LayerNorm ----------------------------------------------------------------------------------
_GB = {"gamma": uniform(0.5, 1.5), "beta": uniform(-0.5, 0.5)}


def _ln(x, p):
    out = R.layer_norm(x["data"], x["gamma"], x["beta"], p.get("axis", -1), p.get("eps", 1e-5))
    return out if p.get("output_mean_var") else out[:1]


for shape, params, name in (((2, 3, 4), {}, ""), ((2, 3, 4), {"axis": 1}, "axis1"),
                            ((5, 6), {"eps": 1e-3}, "2d-eps"),
                            ((2, 3, 4), {"output_mean_var": True}, "output-mean-var")):
    c = shape[params.get("axis", -1)]
    add(OpCase("LayerNorm", {"data": shape, "gamma": (c,), "beta": (c,)}, _ln, params=params,
               name=name, draw=dict(_GB),
               # mean/std take no gradient in MXNet; a numeric check of all three would differ
               grad=not params.get("output_mean_var"),
               errors=[_err("gamma-shape", "gamma", shapes={"gamma": (3,)}),
                       _err("axis-range", "axis", params={"axis": 3})] if not name else []))

# ----- InstanceNorm -------------------------------------------------------------------------------
for shape, params, name in (((2, 3, 4), {}, ""), ((2, 3, 2, 2), {"eps": 1e-5}, "4d")):
    add(OpCase("InstanceNorm", {"data": shape, "gamma": (3,), "beta": (3,)},
               lambda x, p: [R.instance_norm(x["data"], x["gamma"], x["beta"],
                                             p.get("eps", 1e-3))],
               params=params, name=name, draw=dict(_GB), dtypes=("float32", "float64"),
               errors=[_err("2d-data", "rank", shapes={"data": (2, 3)}),
                       _err("beta-shape", "beta", shapes={"beta": (4,)})] if not name else []))

# ----- L2Normalization ----------------------------------------------------------------------------
for shape, mode in (((2, 3, 4), "instance"), ((3, 4), "instance"), ((2, 3, 2, 2), "channel"),
                    ((2, 3, 4), "spatial"), ((2, 3, 2, 2), "spatial")):
    add(OpCase("L2Normalization", {"data": shape},
               lambda x, p: [R.l2_normalization(x["data"], p["mode"])], params={"mode": mode},
               name=f"{mode}-{len(shape)}d",
               errors=[_err("channel-2d", "3 dimensions", shapes={"data": (3, 4)},
                            params={"mode": "channel"}),
                       _err("bad-mode", "Invalid", params={"mode": "row"})]
               if (mode, len(shape)) == ("instance", 3) else []))

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
               errors=[_err("axis-param", "Cannot find argument", params={"axis": 1})]
               if name == "fg1-train" else []))

# ----- moments ------------------------------------------------------------------------------------
for axes, keepdims in (((1,), False), ((0, 2), True), ((-1,), False), ((0, 1, 2), False),
                       ((2, 0), False)):
    add(OpCase("moments", {"data": (2, 3, 4)},
               lambda x, p: R.moments(x["data"], p["axes"], p["keepdims"]),
               params={"axes": axes, "keepdims": keepdims},
               name=f"axes{'_'.join(map(str, axes))}-keep{int(keepdims)}",
               errors=[_err("no-axes", "Empty axes", params={"axes": "None"}),
                       _err("axis-range", "out of bounds", params={"axes": (3,)}),
                       _err("duplicate", "duplicate", params={"axes": (1, -2)})]
               if axes == (1,) else []))

# ----- SequenceMask / SequenceLast / SequenceReverse ----------------------------------------------
_LEN = integers(-1, 6)  # T = 4: negative and too-long lengths are clamped


def _seq(fn, **fixed):
    return lambda x, p: [fn(x["data"], x.get("sequence_length"), **fixed,
                            **{k: v for k, v in p.items() if k in ("value", "axis")})]


_seq_errors = [_err("axis", "axis", params={"axis": 2}),
               _err("1d-data", "rank 2", shapes={"data": (4,)}),
               _err("length-shape", "inconsistent", shapes={"sequence_length": (5,)})]
for op, ref in (("SequenceMask", R.sequence_mask), ("SequenceLast", R.sequence_last)):
    add(OpCase(op, {"data": (4, 3, 2)}, _seq(ref), name="no-length"),
        OpCase(op, {"data": (4, 3, 2)}, _seq(ref), name="no-length-axis1", params={"axis": 1}),
        OpCase(op, {"data": (4, 3, 2), "sequence_length": (3,)}, _seq(ref), name="length",
               params={"use_sequence_length": True, **({"value": -1.5} if op == "SequenceMask"
                                                       else {})},
               draw={"sequence_length": _LEN}, no_grad=("sequence_length",),
               errors=list(_seq_errors)),
        OpCase(op, {"data": (3, 4, 2, 2), "sequence_length": (3,)}, _seq(ref),
               name="length-axis1-int32", params={"use_sequence_length": True, "axis": 1},
               draw={"sequence_length": _LEN}, input_dtypes={"sequence_length": "int32"},
               no_grad=("sequence_length",)))
add(OpCase("SequenceReverse", {"data": (4, 3, 2)}, _seq(R.sequence_reverse), name="no-length"),
    OpCase("SequenceReverse", {"data": (4, 3), "sequence_length": (3,)},
           _seq(R.sequence_reverse), name="length",
           params={"use_sequence_length": True}, draw={"sequence_length": _LEN},
           no_grad=("sequence_length",),
           errors=[_err("axis1", "axis to be 0", params={"axis": 1}),
                   _err("length-shape", "inconsistent", shapes={"sequence_length": (4,)})]),
    OpCase("SequenceReverse", {"data": (4, 2, 3), "sequence_length": (2,)},
           _seq(R.sequence_reverse), name="length-int32", params={"use_sequence_length": True},
           draw={"sequence_length": _LEN}, input_dtypes={"sequence_length": "int32"},
           no_grad=("sequence_length",)))

# ----- UpSampling ---------------------------------------------------------------------------------
for shapes, params, name in (
        ({"arg0": (1, 2, 3, 3)}, {"scale": 2}, "scale2"),
        ({"arg0": (2, 1, 2, 2)}, {"scale": 3}, "scale3"),
        ({"arg0": (1, 2, 2, 2), "arg1": (1, 3, 4, 4)}, {"scale": 2}, "concat"),
        ({"arg0": (1, 2, 2, 2), "arg1": (1, 2, 1, 1)}, {"scale": 2, "multi_input_mode": "sum"},
         "sum")):
    add(OpCase("UpSampling", shapes,
               lambda x, p: [R.upsampling_nearest(list(x.values()), p["scale"],
                                                  p.get("multi_input_mode", "concat"))],
               params={"sample_type": "nearest", **params}, name=name))

# ----- prelu gamma shapes (leaky_relu.py) and Dropout(p=1) (dropout.py) ---------------------------
for dshape, gshape, name in (((3, 4), (3, 4), "prelu-gamma-like-data"),
                             ((2, 3, 2), (2, 3), "prelu-gamma-n-c"),
                             ((2, 3, 2), (2,), "prelu-gamma-per-sample"),
                             ((2, 3, 2, 2), (1, 3), "prelu-gamma-1-c")):
    add(OpCase("LeakyReLU", {"data": dshape, "gamma": gshape},
               lambda x, p: [R.prelu(x["data"], x["gamma"])], params={"act_type": "prelu"},
               name=name, draw={"data": away_from([0.0]), "gamma": uniform(0.1, 0.5)},
               errors=[_err("gamma-3d", "Cannot broadcast", shapes={"gamma": (1, 3, 4)})]
               if name == "prelu-gamma-like-data" else []))
add(OpCase("Dropout", {"data": (3, 4)}, lambda x, p: [np.full((3, 4), np.nan)], name="p1-train",
           params={"p": 1.0}, is_train=True, grad=False))
