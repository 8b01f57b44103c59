"""Op-database cases for the BLAS-like ``_linalg_*`` ops: gemm, gemm2, trmm, trsm, sumlogdiag and
syrk (float32/float64 only, as MXNet).

Triangular inputs are drawn with a dominant diagonal so that float64 numeric gradients are
meaningful.
"""
from opdb.core import (LA, LA_TOL, OpCase, add, as_list, dominant, error, la_float16,
                        with_inputs)
from reference import linalg as R

# ----- gemm / gemm2 -------------------------------------------------------------------------------
for params, shapes, name in (
        ({"alpha": 1.5, "beta": 0.5}, ((2, 3, 4), (2, 4, 5), (2, 3, 5)), "batch"),
        ({"transpose_a": True, "transpose_b": True}, ((4, 3), (5, 4), (3, 5)), "transposed"),
        ({"axis": 0, "alpha": -2.0}, ((3, 2, 4), (4, 2, 5), (3, 2, 5)), "axis0")):
    a, b, c = shapes
    add(OpCase("_linalg_gemm", {"A": a, "B": b, "C": c},
               as_list(with_inputs(R.gemm, "A", "B", "C")), params=params, name=name, dtypes=LA,
               errors=[error("mismatch", r"Incompatible .* B \(2, 5, 5\)", shapes={"B": (2, 5, 5)}),
                       la_float16()] if name == "batch" else []),
        OpCase("_linalg_gemm2", {"A": a, "B": b}, as_list(with_inputs(R.gemm, "A", "B")),
               params={k: v for k, v in params.items() if k != "beta"}, name=name, dtypes=LA,
               errors=[error("axis", r"Invalid row axis \(2\)", params={"axis": 2})]
               if name == "batch" else []))

# ----- trmm / trsm --------------------------------------------------------------------------------
for params, b_shape, name in (({}, (2, 3, 4), "default"),
                              ({"transpose": True, "rightside": True}, (2, 4, 3), "t-right"),
                              ({"lower": False, "alpha": 2.0}, (2, 3, 4), "upper-alpha"),
                              ({"rightside": True, "lower": False, "alpha": -0.5}, (2, 4, 3),
                               "right-upper")):
    for op, ref in (("_linalg_trmm", R.trmm), ("_linalg_trsm", R.trsm)):
        add(OpCase(op, {"A": (2, 3, 3), "B": b_shape}, as_list(with_inputs(ref, "A", "B")),
                   name=name, params=params, dtypes=LA, draw={"A": dominant}, tol=LA_TOL,
                   errors=[error("mismatch", r"Incompatible .* B \(2, 4, 4\)",
                                 shapes={"B": (2, 4, 4)}),
                           error("batch", r"must be the same, .* B \(3, 3, 4\)",
                                 shapes={"B": (3, 3, 4)})]
                   if name == "default" else []))

# ----- sumlogdiag / syrk --------------------------------------------------------------------------
add(OpCase("_linalg_sumlogdiag", {"A": (2, 3, 3)}, as_list(with_inputs(R.sumlogdiag, "A")),
           dtypes=LA, draw={"A": dominant},
           errors=[error("non-square", "input A must be a tensor of square", shapes={"A": (3, 4)}),
                   la_float16()]),
    OpCase("_linalg_sumlogdiag", {"A": (3, 3)}, as_list(with_inputs(R.sumlogdiag, "A")),
           name="single", dtypes=LA, draw={"A": dominant}))
for params, name in (({}, "default"), ({"transpose": True, "alpha": 0.5}, "transpose")):
    add(OpCase("_linalg_syrk", {"A": (2, 3, 4)}, as_list(with_inputs(R.syrk, "A")), name=name,
               params=params, dtypes=LA))
