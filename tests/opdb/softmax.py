"""Op-database cases for the softmax family: softmax, log_softmax and softmin on every axis,
with temperature, softmax with a length input and a float64 output dtype, SoftmaxActivation
(instance and channel mode) and SoftmaxOutput (grad_scale, normalization, ignore_label, label
smoothing).

SoftmaxOutput ignores the head gradient; its gradient is checked against the analytic
``prob - target`` reference.
"""
from opdb.core import OpCase, add, error, integers
from reference import softmax as R

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
           errors=[error("float-length", r"\blength\b", dtypes={"length": "float32"})]),
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
               errors=([error("label-shape", r"\blabel\b", shapes={"label": (5,)})]
                       if not name else [])))
