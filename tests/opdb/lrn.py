"""Op-database cases for LRN: window sizes 1, 3 and 5, and non-default alpha/beta/knorm."""
from opdb.core import OpCase, add, error
from reference import lrn as R

# ----- LRN ----------------------------------------------------------------------------------------
for nsize in (1, 3, 5):
    add(OpCase("LRN", {"data": (2, 4, 3, 3)}, lambda x, p: [R.lrn(x["data"], p["nsize"])],
               params={"nsize": nsize}, name=f"nsize{nsize}",
               errors=[error("even-nsize", "odd values for local_size, got nsize=4",
                             params={"nsize": 4}),
                       error("3d-data", r"data must be 4-D \(N, C, H, W\)",
                             shapes={"data": (2, 4, 3)})] if nsize == 3 else []))
add(OpCase("LRN", {"data": (2, 5, 2, 2)},
           lambda x, p: [R.lrn(x["data"], 3, p["alpha"], p["beta"], p["knorm"])],
           params={"nsize": 3, "alpha": 0.01, "beta": 0.5, "knorm": 1.0}, name="params"),
    OpCase("LRN", {"data": (1, 3, 2, 2)}, lambda x, p: [R.lrn(x["data"], 3, p["alpha"])],
           params={"nsize": 3, "alpha": 0.5}, name="large-alpha",
           tol={"float16": (2e-2, 2e-2)}))
