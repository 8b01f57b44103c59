"""The op database: every registered op's test cases, one module per op family.

``CASES`` is the list of ``OpCase`` records that ``tests/test_opdb.py`` expands into
forward/imperative/gradient/grad_req/error tests × context × dtype. A family module declares its
cases with ``core.add(...)``; adding an op means adding its cases there, never writing tests by
hand. ``FAMILIES`` names the modules, in the order of ``mxlite/ops``' families, so the file that
declares an op, its reference (``tests/reference/<family>.py``) and its cases share one name; a
new family module is listed here.
"""
import importlib

from . import core

FAMILIES = (
    "unary", "binary", "scalar", "elemwise", "reduce", "sort", "broadcast", "shape", "join",
    "slice", "pad", "index", "diag", "init", "fully_connected", "activation", "dropout", "conv",
    "pool", "resize", "batch_norm", "layer_norm", "lrn", "softmax", "loss", "dot", "linalg",
    "linalg_factor", "sequence", "rnn",
)

for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

CASES = list(core.REGISTRY)
