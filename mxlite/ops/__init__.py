"""Operator declarations. Importing this package registers every op family module in it.

Each family module (``elemwise``, ``nn``, ``softmax`` ...) declares its ops with
``registry.register``; the infrastructure modules listed in ``_NOT_FAMILIES`` declare none.
"""
import importlib
import pkgutil

from . import registry  # noqa: F401

_NOT_FAMILIES = {"registry", "params", "signature", "special", "im2col"}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in _NOT_FAMILIES and not _info.name.startswith("cuda"):
        importlib.import_module(f"{__name__}.{_info.name}")
