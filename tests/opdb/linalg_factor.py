"""Op-database cases for the factorising ``_linalg_*`` ops: potrf, potri, gelqf, syevd, inverse, det
and slogdet (float32/float64 only, as MXNet).

Matrix inputs are drawn well conditioned so that float64 numeric gradients are meaningful:
symmetric positive definite for potrf, a dominant diagonal for potri and the inverse-type ops,
well separated eigenvalues for syevd.
"""
from opdb.core import (LA, LA_TOL, OpCase, add, as_list, distinct_eigs, dominant, error,
                        la_float16, signed_dominant, spd, with_inputs)
from reference import linalg_factor as R

# ----- potrf / potri ------------------------------------------------------------------------------
for lower in (True, False):
    tag = "lower" if lower else "upper"
    add(OpCase("_linalg_potrf", {"A": (2, 3, 3)}, as_list(with_inputs(R.potrf, "A")), name=tag,
               params={"lower": lower}, dtypes=LA, draw={"A": spd}, tol=LA_TOL,
               errors=[error("non-square", "input A must be a tensor of square",
                             shapes={"A": (2, 3, 4)}), la_float16()]
               if lower else []),
        OpCase("_linalg_potri", {"A": (2, 3, 3)}, as_list(with_inputs(R.potri, "A")), name=tag,
               params={"lower": lower}, dtypes=LA, draw={"A": dominant}, tol=LA_TOL))
add(OpCase("_linalg_potrf", {"A": (4, 4)}, as_list(with_inputs(R.potrf, "A")), name="single",
           dtypes=LA, draw={"A": spd}, tol=LA_TOL))

# ----- gelqf / syevd ------------------------------------------------------------------------------
add(OpCase("_linalg_gelqf", {"A": (2, 3, 5)}, with_inputs(R.gelqf, "A"), dtypes=LA, tol=LA_TOL,
           errors=[error("wide", "Input A shape wrong: Last dimension must be >=",
                         shapes={"A": (4, 3)})]),
    OpCase("_linalg_gelqf", {"A": (3, 3)}, with_inputs(R.gelqf, "A"), name="square", dtypes=LA,
           draw={"A": dominant}, tol=LA_TOL),
    OpCase("_linalg_syevd", {"A": (2, 4, 4)}, with_inputs(R.syevd, "A"), dtypes=LA,
           draw={"A": distinct_eigs}, tol=LA_TOL,
           errors=[error("non-square", "input A must be a tensor of square",
                         shapes={"A": (3, 4)})]),
    OpCase("_linalg_syevd", {"A": (3, 3)}, with_inputs(R.syevd, "A"), name="single", dtypes=LA,
           draw={"A": distinct_eigs}, tol=LA_TOL))

# ----- inverse / det / slogdet --------------------------------------------------------------------
for shape, name in (((2, 3, 3), "batch"), ((3, 3), "single")):
    add(OpCase("_linalg_inverse", {"A": shape}, as_list(with_inputs(R.inverse, "A")), name=name,
               dtypes=LA, draw={"A": signed_dominant}, tol=LA_TOL),
        OpCase("_linalg_det", {"A": shape}, as_list(with_inputs(R.det, "A")), name=name, dtypes=LA,
               draw={"A": signed_dominant}, tol=LA_TOL,
               errors=[error("non-square", "input A must be a tensor of square",
                             shapes={"A": (3, 4)}), la_float16()]
               if name == "batch" else []),
        OpCase("_linalg_slogdet", {"A": shape}, with_inputs(R.slogdet, "A"), name=name, dtypes=LA,
               draw={"A": signed_dominant}, tol=LA_TOL))
