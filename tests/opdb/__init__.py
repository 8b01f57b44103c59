"""The op database: every registered op's test cases, one module per op family.

``CASES`` is the list of ``OpCase`` records that ``tests/test_opdb.py`` expands into
forward/imperative/gradient/grad_req/error tests × context × dtype. A family module declares its
cases with ``core.add(...)``; adding an op means adding its cases there, never writing tests by
hand. ``FAMILIES`` names the modules, in the order of the op families of ``mxlite/ops``, so the
file that declares an op, its reference (``tests/reference/<family>.py``) and its cases share one
name; a new family module is listed here. ``NO_CASE`` gives the reason for each registered op
that has no case.
"""
import importlib

from . import core

FAMILIES = (
    "unary", "binary", "scalar", "elemwise", "reduce", "histogram", "sort", "broadcast", "shape",
    "join", "slice", "pad", "index", "diag", "init", "fully_connected", "activation", "dropout",
    "conv", "deformable_conv", "im2col", "pool", "resize", "spatial_transformer", "correlation",
    "roi", "detection", "proposal", "batch_norm", "layer_norm", "lrn", "softmax", "loss", "dot",
    "linalg", "linalg_factor", "sequence", "rnn", "ctc", "attention",
)

for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

CASES = list(core.REGISTRY)

# Registered ops with no case here, each with why and where it is tested instead (checked by
# tests/test_opdb.py::test_every_registered_op_has_a_case_or_a_reason). Canonical names only.
NO_CASE = {
    "Custom": "its arity, shapes and computation come from the user's registered CustomOpProp: "
              "checked against MXNet 1.9.1 (tests/golden/sequences) with the checking helpers, "
              "grad_req and bad-input cases in tests/test_custom_op.py",
    "_random_uniform": "random draws have no deterministic reference: moments, bounds, seeding, "
                       "shapes, dtypes and params are tested in tests/test_random_ops.py",
    "_random_normal": "random draws have no deterministic reference: moments, seeding, shapes, "
                      "dtypes and loc/scale are tested in tests/test_random_ops.py",
    "_random_randint": "random draws have no deterministic reference: bounds, uniformity, "
                       "seeding, shapes and dtypes are tested in tests/test_random_ops.py",
    "_contrib_boolean_mask": "its output length depends on the index values, so no executor can "
                             "bind it (MXNet's neither): forward, gradient, dtypes and errors are "
                             "tested imperatively in tests/test_boolean_mask.py",
}
# The optimizers' update ops write the weight and their states in place and have no gradient:
# each is checked step by step against MXNet 1.9.1 (tests/golden/training) in
# tests/test_optimizer.py.
_UPDATE_OPS = (
    "sgd_update", "sgd_mom_update", "mp_sgd_update", "mp_sgd_mom_update", "nag_mom_update",
    "mp_nag_mom_update", "adam_update", "rmsprop_update", "rmspropalex_update", "ftrl_update",
    "ftml_update", "signsgd_update", "signum_update", "lamb_update_phase1", "lamb_update_phase2",
    "mp_lamb_update_phase1", "mp_lamb_update_phase2", "multi_sgd_update",
    "preloaded_multi_sgd_update", "multi_sgd_mom_update", "preloaded_multi_sgd_mom_update",
    "multi_mp_sgd_update", "preloaded_multi_mp_sgd_update", "multi_mp_sgd_mom_update",
    "preloaded_multi_mp_sgd_mom_update")
NO_CASE.update({op: "an in-place optimizer update without gradient: checked step by step against "
                    "MXNet 1.9.1 in tests/test_optimizer.py" for op in _UPDATE_OPS})
