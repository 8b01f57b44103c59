"""Op-database cases for the layer_norm family: LayerNorm (axis, eps, output_mean_var),
InstanceNorm, GroupNorm and L2Normalization (instance, channel, spatial).

InstanceNorm runs float32/float64 only: MXNet 1.9.1's kernel is float32-only, and float64 is what
the generated gradient tests bind.
"""
from opdb.core import OpCase, add, error, uniform
from reference import layer_norm as R

# ----- LayerNorm ----------------------------------------------------------------------------------
_GB = {"gamma": uniform(0.5, 1.5), "beta": uniform(-0.5, 0.5)}


def _ln(x, p):
    out = R.layer_norm(x["data"], x["gamma"], x["beta"], p.get("axis", -1), p.get("eps", 1e-5))
    return out if p.get("output_mean_var") else out[:1]


for shape, params, name in (((2, 3, 4), {}, ""), ((2, 3, 4), {"axis": 1}, "axis1"),
                            ((5, 6), {"eps": 1e-3}, "2d-eps"),
                            ((2, 3, 4), {"output_mean_var": True}, "output-mean-var")):
    c = shape[params.get("axis", -1)]
    add(OpCase("LayerNorm", {"data": shape, "gamma": (c,), "beta": (c,)}, _ln, params=params,
               name=name, draw=dict(_GB),
               # mean/std take no gradient in MXNet; a numeric check of all three would differ
               grad=not params.get("output_mean_var"),
               errors=[error("gamma-shape", r"inferred shape=\(4,?\) for gamma",
                             shapes={"gamma": (3,)}),
                       error("axis-range", "axis=3", params={"axis": 3})]
               if not name else []))

# ----- InstanceNorm -------------------------------------------------------------------------------
for shape, params, name in (((2, 3, 4), {}, ""), ((2, 3, 2, 2), {"eps": 1e-5}, "4d")):
    add(OpCase("InstanceNorm", {"data": shape, "gamma": (3,), "beta": (3,)},
               lambda x, p: [R.instance_norm(x["data"], x["gamma"], x["beta"],
                                             p.get("eps", 1e-3))],
               params=params, name=name, draw=dict(_GB), dtypes=("float32", "float64"),
               errors=[error("2d-data", r"got data shape \(2,3\)", shapes={"data": (2, 3)}),
                       error("beta-shape", r"inferred shape=\(3,?\) for beta",
                             shapes={"beta": (4,)})]
               if not name else []))

# ----- L2Normalization ----------------------------------------------------------------------------
for shape, mode in (((2, 3, 4), "instance"), ((3, 4), "instance"), ((2, 3, 2, 2), "channel"),
                    ((2, 3, 4), "spatial"), ((2, 3, 2, 2), "spatial")):
    add(OpCase("L2Normalization", {"data": shape},
               lambda x, p: [R.l2_normalization(x["data"], p["mode"])], params={"mode": mode},
               name=f"{mode}-{len(shape)}d",
               errors=[error("channel-2d", r"\bdata\b", shapes={"data": (3, 4)},
                            params={"mode": "channel"}),
                       error("bad-mode", "mode='row'", params={"mode": "row"})]
               if (mode, len(shape)) == ("instance", 3) else []))

# ----- GroupNorm ----------------------------------------------------------------------------------


def _gn(x, p):
    out = R.group_norm(x["data"], x["gamma"], x["beta"], p.get("num_groups", 1),
                       p.get("eps", 1e-5))
    return out if p.get("output_mean_var") else out[:1]


for shape, params, name in (((2, 6, 3), {"num_groups": 3}, ""),
                            ((2, 4, 2, 3), {"num_groups": 2, "eps": 1e-3}, "4d"),
                            ((1, 3, 4), {}, "one-group"),
                            ((2, 4, 3), {"num_groups": 2, "output_mean_var": True},
                             "output-mean-var")):
    g = params.get("num_groups", 1)
    add(OpCase("GroupNorm", {"data": shape, "gamma": (g,), "beta": (g,)}, _gn, params=params,
               name=name, draw=dict(_GB), grad=not params.get("output_mean_var"),
               errors=[error("gamma-shape", r"inferred shape=\(3,?\) for gamma",
                             shapes={"gamma": (6,)}),
                       error("groups-divide", "num_groups=4", params={"num_groups": 4}),
                       error("2d-data", r"data shape \(2,6\)", shapes={"data": (2, 6)})]
               if not name else []))
