"""Op-database cases for the sort family: topk (every ret_typ, ascending, flat), sort and argsort
(axes, descending, flat, integer output dtypes).

Inputs are drawn without ties, where the order (and the gradient) would be ambiguous. argsort and
integer-valued outputs have a zero gradient; their checks are the zero reference gradient or none.
"""
from opdb.core import OpCase, add, distinct, error, on_data, zero_grad
from reference import sort as R

# ----- topk ---------------------------------------------------------------------------------------
_topk = lambda x, p: R.topk(x["data"], **p)
for params, name in (({}, "default"), ({"k": 2, "ret_typ": "value"}, "value"),
                     ({"k": 2, "ret_typ": "both", "axis": 0}, "both-axis0"),
                     ({"k": 2, "ret_typ": "mask"}, "mask"),
                     ({"k": 3, "ret_typ": "value", "is_ascend": True}, "ascend"),
                     ({"k": 0, "ret_typ": "both", "dtype": "int32"}, "all-int32"),
                     ({"k": 3, "ret_typ": "value", "axis": "None"}, "flat")):
    ret = params.get("ret_typ", "indices")
    add(OpCase("topk", {"data": (3, 4)}, _topk, params=params, name=name, draw={"data": distinct},
               grad=ret in ("value", "both"),
               errors=[error("k", "k=5", params={"k": 5})] if name == "default" else []))

# ----- sort / argsort -----------------------------------------------------------------------------
for params, name in (({}, "default"), ({"axis": 0}, "axis0"), ({"is_ascend": False}, "descend"),
                     ({"axis": "None"}, "flat"), ({"axis": 1, "is_ascend": 0}, "axis1-descend")):
    add(OpCase("sort", {"data": (3, 4, 2) if name == "axis1-descend" else (3, 4)}, on_data(R.sort),
               params=params, name=name, draw={"data": distinct},
               errors=[error("axis", "axis=2", params={"axis": 2})]
               if name == "default" else []))
    add(OpCase("argsort", {"data": (3, 4)}, on_data(R.argsort), params=params, name=name,
               draw={"data": distinct}, loss=True, ref_grad=zero_grad,
               errors=[error("dtype", "dtype='int16'", params={"dtype": "int16"})]
               if name == "default" else []))
for dt in ("int32", "int64", "uint8"):
    add(OpCase("argsort", {"data": (2, 5)}, on_data(R.argsort), params={"dtype": dt}, name=dt,
               draw={"data": distinct}, grad=False))
