"""Op-database cases for the loss family: LinearRegressionOutput, LogisticRegressionOutput,
MAERegressionOutput, MakeLoss, make_loss, BlockGrad, softmax_cross_entropy and SVMOutput.

The output ops ignore the head gradient; their gradients are checked against analytic reference
gradients (``ref_grad``), not numeric ones.
"""
import numpy as np
from opdb.core import OpCase, add, away_from, error, integers
from reference import loss as R


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

# ----- softmax_cross_entropy / SVMOutput ----------------------------------------------------------
add(OpCase("softmax_cross_entropy", {"data": (4, 5), "label": (4,)},
           lambda x, p: [R.softmax_cross_entropy(x["data"], x["label"])],
           draw={"label": integers(0, 5)}, no_grad=("label",),
           errors=[error("3d-data", r"2D data, got data shape \(4,5,1\)",
                         shapes={"data": (4, 5, 1)}),
                   error("2d-label", r"1D label, got label shape \(4,1\)",
                         shapes={"label": (4, 1)}),
                   error("batch-mismatch", r"label \(3\)", shapes={"label": (3,)}),
                   error("label-dtype", "label has dtype int32", dtypes={"label": "int32"})]))


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
               errors=[error("label-shape", r"inferred shape=\(4\) for label",
                             shapes={"label": (4, 3)})]
               if not name else []))
