"""Op-database cases for the histogram family: _histogram with equal bins over a range and with
given edges. Values are drawn off the edges (quarter steps plus a third) except for exact edge
values placed on purpose; the gradient is zero."""
import numpy as np

from opdb.core import OpCase, add, error
from reference import histogram as R


def values(rng, shape, dtype):
    x = rng.integers(-3, 9, shape) / 4 + 1 / 3 / 4
    x.flat[:3] = [0.0, 0.5, 2.0]         # exactly on edges, the last on the right-most one
    return x.astype(dtype)


def _zeros(x, p, heads):
    return {n: np.zeros_like(v) for n, v in x.items()}


add(OpCase("_histogram", {"data": (5, 6)},
           lambda x, p: R.histogram(x["data"], bin_cnt=p["bin_cnt"], range=p["range"]),
           params={"bin_cnt": 4, "range": (0.0, 2.0)}, name="uniform", draw={"data": values},
           loss=True, ref_grad=_zeros,
           errors=[error("range-order", "range", params={"range": (2.0, 0.0)}),
                   error("no-range", "range", params={"range": None})]))
add(OpCase("_histogram", {"data": (4, 5), "bins": (4,)},
           lambda x, p: R.histogram(x["data"], bins=x["bins"]), name="edges",
           draw={"data": values,
                 "bins": lambda rng, shape, dtype: np.array([0, 0.5, 1.25, 2.0], dtype)},
           loss=True, ref_grad=_zeros,
           errors=[error("bins-shape", r"bins shape \(1,4\)", shapes={"bins": (1, 4)})]))
