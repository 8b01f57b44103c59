"""Op-database cases for the ``_linalg_*`` ops (mxlite/ops/la.py, la_extra.py; float32/float64
only, as MXNet) and the contrib ops (mxlite/ops/contrib_ops.py).

Matrix inputs are drawn well conditioned so that float64 numeric gradients are meaningful:
symmetric positive definite for potrf, a dominant diagonal for the triangular and inverse-type
ops, well separated eigenvalues for syevd. index_array and arange_like have zero gradients
(MXNet's MakeZeroGradNodes), checked against zeros.
"""
import numpy as np
from opdb.core import ErrorCase, OpCase, add, uniform
from reference import la_contrib as R

from mxlite.base import MXNetError

LA = ("float32", "float64")
# inverse-like results lose a few digits in float32
LA_TOL = {"float32": (1e-3, 1e-4)}


def _err(desc, match, **kw):
    return ErrorCase(desc, exc=MXNetError, match=match, **kw)


def _fp16(name="A"):
    return _err("float16", "only supports 32-bit and 64-bit", dtypes={name: "float16"})


def spd(rng, shape, dtype):
    x = rng.standard_normal(shape)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) / n + np.eye(n)).astype(dtype)


def dominant(rng, shape, dtype):
    """Small off-diagonal entries, diagonal in [1.5, 2.5] (either sign with ``signed``)."""
    n = shape[-1]
    x = 0.3 * rng.standard_normal(shape) + np.eye(n) * rng.uniform(1.5, 2.5, shape[:-1])[..., None]
    return x.astype(dtype)


def signed_dominant(rng, shape, dtype):
    x = dominant(rng, shape, "float64")
    return (x * np.where(rng.random(shape[:-1]) < 0.5, -1.0, 1.0)[..., None, :]).astype(dtype)


def distinct_eigs(rng, shape, dtype):
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    lam = np.arange(n) * 1.0 - n / 2 + rng.uniform(-0.2, 0.2, shape[:-1])
    return ((q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def _with(fn, *names):
    return lambda x, p: fn(*(x[n] for n in names), **p)


def _list(fn):
    return lambda x, p: [fn(x, p)]


def _zero_grad(x, p, heads):
    return {"data": np.zeros_like(x["data"])}


# ----- gemm / gemm2 -------------------------------------------------------------------------------
for params, shapes, name in (
        ({"alpha": 1.5, "beta": 0.5}, ((2, 3, 4), (2, 4, 5), (2, 3, 5)), "batch"),
        ({"transpose_a": True, "transpose_b": True}, ((4, 3), (5, 4), (3, 5)), "transposed"),
        ({"axis": 0, "alpha": -2.0}, ((3, 2, 4), (4, 2, 5), (3, 2, 5)), "axis0")):
    a, b, c = shapes
    add(OpCase("_linalg_gemm", {"A": a, "B": b, "C": c}, _list(_with(R.gemm, "A", "B", "C")),
               params=params, name=name, dtypes=LA,
               errors=[_err("mismatch", "Incompatible", shapes={"B": (2, 5, 5)}),
                       _fp16()] if name == "batch" else []),
        OpCase("_linalg_gemm2", {"A": a, "B": b}, _list(_with(R.gemm, "A", "B")),
               params={k: v for k, v in params.items() if k != "beta"}, name=name, dtypes=LA,
               errors=[_err("axis", "Invalid row axis", params={"axis": 2})]
               if name == "batch" else []))

# ----- potrf / potri ------------------------------------------------------------------------------
for lower in (True, False):
    tag = "lower" if lower else "upper"
    add(OpCase("_linalg_potrf", {"A": (2, 3, 3)}, _list(_with(R.potrf, "A")), name=tag,
               params={"lower": lower}, dtypes=LA, draw={"A": spd}, tol=LA_TOL,
               errors=[_err("non-square", "square", shapes={"A": (2, 3, 4)}), _fp16()]
               if lower else []),
        OpCase("_linalg_potri", {"A": (2, 3, 3)}, _list(_with(R.potri, "A")), name=tag,
               params={"lower": lower}, dtypes=LA, draw={"A": dominant}, tol=LA_TOL))
add(OpCase("_linalg_potrf", {"A": (4, 4)}, _list(_with(R.potrf, "A")), name="single",
           dtypes=LA, draw={"A": spd}, tol=LA_TOL))

# ----- trmm / trsm --------------------------------------------------------------------------------
for params, b_shape, name in (({}, (2, 3, 4), "default"),
                              ({"transpose": True, "rightside": True}, (2, 4, 3), "t-right"),
                              ({"lower": False, "alpha": 2.0}, (2, 3, 4), "upper-alpha"),
                              ({"rightside": True, "lower": False, "alpha": -0.5}, (2, 4, 3),
                               "right-upper")):
    for op, ref in (("_linalg_trmm", R.trmm), ("_linalg_trsm", R.trsm)):
        add(OpCase(op, {"A": (2, 3, 3), "B": b_shape}, _list(_with(ref, "A", "B")), name=name,
                   params=params, dtypes=LA, draw={"A": dominant}, tol=LA_TOL,
                   errors=[_err("mismatch", "Incompatible", shapes={"B": (2, 4, 4)}),
                           _err("batch", "same", shapes={"B": (3, 3, 4)})]
                   if name == "default" else []))

# ----- sumlogdiag / syrk --------------------------------------------------------------------------
add(OpCase("_linalg_sumlogdiag", {"A": (2, 3, 3)}, _list(_with(R.sumlogdiag, "A")),
           dtypes=LA, draw={"A": dominant},
           errors=[_err("non-square", "square", shapes={"A": (3, 4)}), _fp16()]),
    OpCase("_linalg_sumlogdiag", {"A": (3, 3)}, _list(_with(R.sumlogdiag, "A")), name="single",
           dtypes=LA, draw={"A": dominant}))
for params, name in (({}, "default"), ({"transpose": True, "alpha": 0.5}, "transpose")):
    add(OpCase("_linalg_syrk", {"A": (2, 3, 4)}, _list(_with(R.syrk, "A")), name=name,
               params=params, dtypes=LA))

# ----- gelqf / syevd ------------------------------------------------------------------------------
add(OpCase("_linalg_gelqf", {"A": (2, 3, 5)}, _with(R.gelqf, "A"), dtypes=LA, tol=LA_TOL,
           errors=[_err("wide", "Last dimension must be >=", shapes={"A": (4, 3)})]),
    OpCase("_linalg_gelqf", {"A": (3, 3)}, _with(R.gelqf, "A"), name="square", dtypes=LA,
           draw={"A": dominant}, tol=LA_TOL),
    OpCase("_linalg_syevd", {"A": (2, 4, 4)}, _with(R.syevd, "A"), dtypes=LA,
           draw={"A": distinct_eigs}, tol=LA_TOL,
           errors=[_err("non-square", "square", shapes={"A": (3, 4)})]),
    OpCase("_linalg_syevd", {"A": (3, 3)}, _with(R.syevd, "A"), name="single", dtypes=LA,
           draw={"A": distinct_eigs}, tol=LA_TOL))

# ----- inverse / det / slogdet --------------------------------------------------------------------
for shape, name in (((2, 3, 3), "batch"), ((3, 3), "single")):
    add(OpCase("_linalg_inverse", {"A": shape}, _list(_with(R.inverse, "A")), name=name,
               dtypes=LA, draw={"A": signed_dominant}, tol=LA_TOL),
        OpCase("_linalg_det", {"A": shape}, _list(_with(R.det, "A")), name=name, dtypes=LA,
               draw={"A": signed_dominant}, tol=LA_TOL,
               errors=[_err("non-square", "square", shapes={"A": (3, 4)}), _fp16()]
               if name == "batch" else []),
        OpCase("_linalg_slogdet", {"A": shape}, _with(R.slogdet, "A"), name=name, dtypes=LA,
               draw={"A": signed_dominant}, tol=LA_TOL))

# ----- diagonal / triangle copies -----------------------------------------------------------------
for offset in (0, 1, -2):
    add(OpCase("_linalg_extractdiag", {"A": (2, 4, 4)}, _list(_with(R.extractdiag, "A")),
               name=f"offset{offset}", params={"offset": offset}, dtypes=LA,
               errors=[_err("offset", "Illegal offset", params={"offset": 4}), _fp16()]
               if offset == 0 else []),
        OpCase("_linalg_makediag", {"A": (2, 3)}, _list(_with(R.makediag, "A")),
               name=f"offset{offset}", params={"offset": offset}, dtypes=LA))
for params, name in (({}, "lower"), ({"lower": False}, "upper"), ({"offset": 1}, "offset1"),
                     ({"offset": -1, "lower": False}, "offset-1")):
    add(OpCase("_linalg_extracttrian", {"A": (2, 4, 4)}, _list(_with(R.extracttrian, "A")),
               name=name, params=params, dtypes=LA),
        OpCase("_linalg_maketrian", {"A": (2, 6)}, _list(_with(R.maketrian, "A")), name=name,
               params=params, dtypes=LA,
               errors=[_err("length", "invalid dimension", shapes={"A": (2, 5)})]
               if name == "lower" else []))

# ----- contrib: AdaptiveAvgPooling2D / BilinearResize2D -------------------------------------------
for size, name in (((3, 2), "3x2"), (4, "square4"), ((), "global")):
    add(OpCase("_contrib_AdaptiveAvgPooling2D", {"data": (2, 3, 7, 5)},
               _list(lambda x, p: R.adaptive_avg_pool(x["data"], **p)),
               params={"output_size": size} if size != () else {}, name=name,
               errors=[_err("3d", "4-D", shapes={"data": (3, 7, 5)})] if name == "3x2" else []))


def _resize_ref(x, p):
    data = x["data"]
    if p.get("mode") == "like":
        h, w = x["like"].shape[2:]
    elif "scale_height" in p:
        h, w = int(data.shape[2] * p["scale_height"]), int(data.shape[3] * p["scale_width"])
    else:
        h, w = p["height"], p["width"]
    return [R.bilinear_resize(data, h, w, p.get("align_corners", True))]


for params, shape, name in (
        ({"height": 5, "width": 7}, (1, 2, 3, 4), "up"),
        ({"height": 5, "width": 7, "align_corners": False}, (1, 2, 3, 4), "up-unaligned"),
        ({"height": 4, "width": 3}, (2, 2, 6, 8), "down"),
        ({"height": 4, "width": 3, "align_corners": False}, (2, 2, 6, 8), "down-unaligned"),
        ({"scale_height": 1.5, "scale_width": 2.0}, (1, 1, 4, 3), "scale"),
        ({"height": 3, "width": 1}, (1, 2, 3, 4), "to-one-column")):
    add(OpCase("_contrib_BilinearResize2D", {"data": shape}, _resize_ref, params=params,
               name=name,
               errors=[_err("3d", "4-D", shapes={"data": (2, 3, 4)})] if name == "up" else []))
add(OpCase("_contrib_BilinearResize2D", {"data": (1, 2, 3, 4), "like": (1, 1, 5, 2)}, _resize_ref,
           params={"mode": "like"}, name="like"))

# ----- contrib: index_array / div_sqrt_dim / arange_like ------------------------------------------
for params, shape, name in (({}, (2, 3), "default"), ({"axes": (1, 0)}, (3, 2, 2), "axes"),
                            ({"axes": (-1,)}, (2, 3), "negative-axis")):
    add(OpCase("_contrib_index_array", {"data": shape},
               _list(lambda x, p: R.index_array(x["data"], **p)), params=params, name=name,
               loss=True, ref_grad=_zero_grad))
add(OpCase("_contrib_div_sqrt_dim", {"data": (2, 3, 5)},
           _list(lambda x, p: R.div_sqrt_dim(x["data"]))))
for params, name in (({}, "default"), ({"axis": -1}, "axis"),
                     ({"start": 1.5, "step": 0.5, "repeat": 2}, "repeat")):
    add(OpCase("_contrib_arange_like", {"data": (3, 4)},
               _list(lambda x, p: R.arange_like(x["data"], **p)), params=params, name=name,
               draw={"data": uniform(-1, 1)}, loss=True, ref_grad=_zero_grad,
               errors=[_err("axis", "cannot handle", params={"axis": 2})]
               if name == "axis" else []))
