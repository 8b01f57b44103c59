"""Op-database cases for dot (1-D, 2-D and N-D operands, transpose_a/b) and batch_dot."""
import numpy as np
from opdb.core import OpCase, add, error
from reference import dot as R

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
               errors=[error("mismatch", r"contracted dims .* rhs \(5, 5\)",
                             shapes={"rhs": (5, 5)})] if name == "2d" else []))
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
