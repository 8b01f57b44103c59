"""Op-database cases for FullyConnected: with bias, without bias on 3-D data flattened to 2-D,
and with ``flatten=False``.
"""
from opdb.core import OpCase, add, error
from reference import fully_connected as R

# ----- FullyConnected
# --------------------------------------------------------------------------------
add(OpCase("FullyConnected", {"data": (3, 5), "weight": (4, 5), "bias": (4,)},
           lambda x, p: [R.fully_connected(x["data"], x["weight"], x["bias"])],
           params={"num_hidden": 4},
           errors=[error("weight-shape", r"\bweight\b", shapes={"weight": (4, 6)})]),
    OpCase("FullyConnected", {"data": (2, 3, 2), "weight": (4, 6)},
           lambda x, p: [R.fully_connected(x["data"], x["weight"], None)],
           params={"num_hidden": 4, "no_bias": True}, name="nobias-4d"),
    OpCase("FullyConnected", {"data": (2, 3, 5), "weight": (4, 5), "bias": (4,)},
           lambda x, p: [R.fully_connected(x["data"], x["weight"], x["bias"], flatten=False)],
           params={"num_hidden": 4, "flatten": False}, name="noflatten"))
