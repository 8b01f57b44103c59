"""Op-database cases for the activation family: Activation (relu, sigmoid, tanh, softrelu,
softsign) and LeakyReLU (leaky, elu, gelu, selu, prelu with every gamma shape MXNet places, rrelu
at inference).

Inputs are drawn away from the kink at 0. selu's gradient is checked against the true derivative
(MXNet's selu_grad is not it); rrelu in training is random and lives in
tests/test_layers_semantics.py.
"""
import numpy as np
from opdb.core import OpCase, add, away_from, error, uniform
from reference import activation as R

# ----- Activation ---------------------------------------------------------------------------------
for act in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
    add(OpCase("Activation", {"data": (3, 4)},
               lambda x, p: [R.activation(x["data"], p["act_type"])], params={"act_type": act},
               name=act, draw={"data": away_from([0.0])},
               errors=[error("bad-act", "act_type='gelu'", params={"act_type": "gelu"})]
               if act == "relu" else []))

# ----- LeakyReLU ----------------------------------------------------------------------------------
_KINK = {"data": away_from([0.0])}
for act, params, name in (("leaky", {}, "leaky"), ("leaky", {"slope": 0.1}, "leaky-slope0.1"),
                          ("elu", {}, "elu"), ("elu", {"slope": 1.0}, "elu-slope1"),
                          ("gelu", {}, "gelu")):
    add(OpCase("LeakyReLU", {"data": (2, 3, 2)},
               lambda x, p: [R.leaky_relu(x["data"], p["act_type"], p.get("slope", 0.25))],
               params={"act_type": act, **params}, name=name, draw=_KINK,
               errors=[error("bad-act", "act_type='swish'", params={"act_type": "swish"})]
               if name == "leaky" else []))
add(OpCase("LeakyReLU", {"data": (2, 3, 2)}, lambda x, p: [R.leaky_relu(x["data"], "selu")],
           params={"act_type": "selu"}, name="selu", draw=_KINK),
    OpCase("LeakyReLU", {"data": (2, 3, 2), "gamma": (3,)},
           lambda x, p: [R.leaky_relu(x["data"], "prelu", gamma=x["gamma"])],
           params={"act_type": "prelu"}, name="prelu", draw={**_KINK, "gamma": uniform(0.1, 0.5)},
           errors=[error("1d-data", r"needs data with a channel axis 1, got shape \(3,\)",
                         shapes={"data": (3,)}),
                   # (2,) would be placed on axis 0 (per sample), as MXNet's expand_shape does
                   error("gamma-shape", r"gamma: \(4,\)", shapes={"gamma": (4,)})]),
    OpCase("LeakyReLU", {"data": (2, 3, 2, 2), "gamma": (1,)},
           lambda x, p: [R.leaky_relu(x["data"], "prelu", gamma=x["gamma"])],
           params={"act_type": "prelu"}, name="prelu-scalar-gamma",
           draw={**_KINK, "gamma": uniform(0.1, 0.5)}),
    OpCase("LeakyReLU", {"data": (2, 3)},
           lambda x, p: [R.leaky_relu(x["data"], "rrelu"), np.full((2, 3), (0.125 + 0.334) / 2)],
           params={"act_type": "rrelu"}, name="rrelu-inference", grad=False,
           tol={"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-7)}))

# ----- prelu with general gamma shapes ----------------------------------------------------------
for dshape, gshape, name in (((3, 4), (3, 4), "prelu-gamma-like-data"),
                             ((2, 3, 2), (2, 3), "prelu-gamma-n-c"),
                             ((2, 3, 2), (2,), "prelu-gamma-per-sample"),
                             ((2, 3, 2, 2), (1, 3), "prelu-gamma-1-c")):
    add(OpCase("LeakyReLU", {"data": dshape, "gamma": gshape},
               lambda x, p: [R.prelu(x["data"], x["gamma"])], params={"act_type": "prelu"},
               name=name, draw={"data": away_from([0.0]), "gamma": uniform(0.1, 0.5)},
               errors=[error("gamma-3d", r"gamma: \(1, 3, 4\)", shapes={"gamma": (1, 3, 4)})]
               if name == "prelu-gamma-like-data" else []))
