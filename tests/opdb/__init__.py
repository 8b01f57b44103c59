"""The op database: every registered op's test cases, one module per op family.

``CASES`` is the list of ``OpCase`` records that ``tests/test_opdb.py`` expands into
forward/imperative/gradient/grad_req/error tests × context × dtype. A family module declares its
cases with ``core.add(...)``; adding an op means adding its cases there, never writing tests by
hand.
"""
import importlib
import pkgutil

from . import core

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "core":
        importlib.import_module(f"{__name__}.{_mod}")

CASES = list(core.REGISTRY)
