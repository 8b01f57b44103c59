"""Op-database cases for the diag family: diag (1-D to matrix, matrix to diagonal, any axes and
offset) and the ``_linalg_`` diagonal/triangle copies extractdiag, makediag, extracttrian and
maketrian (float32/float64 only, as MXNet).
"""
from opdb.core import LA, OpCase, add, as_list, error, la_float16, on_data, with_inputs
from reference import diag as R

# ----- diag ---------------------------------------------------------------------------------------
for shape, params, name in (((4,), {}, "1d"), ((3,), {"k": 2}, "1d-k2"),
                            ((3,), {"k": -1}, "1d-k-1"), ((3, 4), {}, "2d"),
                            ((3, 4), {"k": 1}, "2d-k1"), ((3, 4), {"k": -2}, "2d-k-2"),
                            ((2, 3, 4), {"axis1": 1, "axis2": 2, "k": 1}, "3d-axes12"),
                            ((2, 3, 4), {"axis1": 2, "axis2": 0, "k": -1}, "3d-reversed"),
                            ((2, 3, 4), {"axis1": -1, "axis2": -3}, "3d-negative")):
    add(OpCase("diag", {"data": shape}, on_data(R.diag), params=params, name=name,
               errors=[error("same-axis", "axis1 and axis2 cannot refer to the same axis",
                             params={"axis2": 0}),
                       error("no-diagonal", "does not exist: k=4", params={"k": 4}),
                       error("axis-range", "axis1=2", params={"axis1": 2})]
               if name == "2d" else []))

# ----- diagonal / triangle copies -----------------------------------------------------------------
for offset in (0, 1, -2):
    add(OpCase("_linalg_extractdiag", {"A": (2, 4, 4)}, as_list(with_inputs(R.extractdiag, "A")),
               name=f"offset{offset}", params={"offset": offset}, dtypes=LA,
               errors=[error("offset", "Illegal offset 4", params={"offset": 4}), la_float16()]
               if offset == 0 else []),
        OpCase("_linalg_makediag", {"A": (2, 3)}, as_list(with_inputs(R.makediag, "A")),
               name=f"offset{offset}", params={"offset": offset}, dtypes=LA))
for params, name in (({}, "lower"), ({"lower": False}, "upper"), ({"offset": 1}, "offset1"),
                     ({"offset": -1, "lower": False}, "offset-1")):
    add(OpCase("_linalg_extracttrian", {"A": (2, 4, 4)}, as_list(with_inputs(R.extracttrian, "A")),
               name=name, params=params, dtypes=LA),
        OpCase("_linalg_maketrian", {"A": (2, 6)}, as_list(with_inputs(R.maketrian, "A")),
               name=name, params=params, dtypes=LA,
               errors=[error("length", r"\bA\b", shapes={"A": (2, 5)})]
               if name == "lower" else []))
