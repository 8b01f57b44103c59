"""Op-database cases for Pad (pad): constant, edge and reflect modes on 4-D and 5-D inputs, and
the pad_width specs MXNet refuses.
"""
from opdb.core import OpCase, add, error, on_data
from reference import pad as R

# ----- Pad ----------------------------------------------------------------------------------------
for shape, params, name in (
        ((1, 2, 3, 3), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1),
                        "constant_value": 1.5}, "constant"),
        ((1, 2, 3, 3), {"mode": "edge", "pad_width": (0, 0, 0, 0, 2, 1, 1, 2)}, "edge"),
        ((1, 2, 3, 4), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 2, 1, 1, 3)}, "reflect"),
        ((1, 1, 2, 2, 3), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 0, 0, 1, 1, 1)},
         "5d-constant"),
        ((1, 1, 2, 2, 3), {"mode": "edge", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1, 0, 1)},
         "5d-edge")):
    add(OpCase("Pad" if name != "edge" else "pad", {"data": shape}, on_data(R.pad), params=params,
               name=name,
               errors=[error("3d", r"\bdata\b", shapes={"data": (2, 3, 3)}),
                       error("batch-axis", r"first two axes to be zero, got pad_width=\(1,0,0,0",
                            params={"pad_width": (1, 0, 0, 0, 1, 1, 1, 1)}),
                       error("spec-length", r"pad_width=\(0,0,0,0,1,1\) must have 2\*ndim",
                             params={"pad_width": (0, 0, 0, 0, 1, 1)}),
                       error("reflect-size", r"smaller than its axis size: pad_width=\(0,0,0,0,3",
                            params={"mode": "reflect", "pad_width": (0, 0, 0, 0, 3, 0, 0, 0)})]
               if name == "constant" else []))
