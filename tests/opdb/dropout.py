"""Op-database cases for Dropout where its output is deterministic: inference (any p, axes),
p = 0 in training and in ``mode='always'``, and p = 1 in training (NaN everywhere, as MXNet).

The random mask is checked in tests/test_layers_semantics.py. Gradients are checked only where
forward is deterministic in training mode, because the generated gradient tests always run
forward(is_train=True).
"""
import numpy as np
from opdb.core import OpCase, add, error

# ----- Dropout ------------------------------------------------------------------------------------
add(OpCase("Dropout", {"data": (2, 3)}, lambda x, p: [x["data"]], name="inference", grad=False,
           errors=[error("p-range", r"p must be in \[0, 1\], got 1.5", params={"p": 1.5}),
                   error("bad-mode", "mode='sometimes'", params={"mode": "sometimes"})]),
    OpCase("Dropout", {"data": (2, 3, 2)}, lambda x, p: [x["data"]], name="axes-inference",
           params={"p": 0.3, "axes": (1,)}, grad=False,
           errors=[error("bad-axis", "axis 5 in axes", params={"axes": (5,)})]),
    OpCase("Dropout", {"data": (2, 3)}, lambda x, p: [x["data"]], name="p0-train",
           params={"p": 0.0}, is_train=True),
    OpCase("Dropout", {"data": (2, 3)}, lambda x, p: [x["data"]], name="p0-always",
           params={"p": 0.0, "mode": "always"}))

add(OpCase("Dropout", {"data": (3, 4)}, lambda x, p: [np.full((3, 4), np.nan)], name="p1-train",
           params={"p": 1.0}, is_train=True, grad=False))
