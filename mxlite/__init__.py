"""mxlite: Apache MXNet 1.x's symbolic API on NumPy (cpu) and CuPy (gpu).

``import mxlite as mx`` and MXNet 1.x code using ``mx.sym``, ``mx.nd``, executors and
``mx.test_utils`` runs unchanged.
"""
from . import base, context, ops  # noqa: F401  (ops registers every operator)
from . import ndarray, symbol, attribute, random  # noqa: F401
from . import name as name  # noqa: F401  (mx.name.NameManager)
from . import executor, binding  # noqa: F401
from . import autograd, util  # noqa: F401
from . import fluent as _fluent
from . import memory as _memory
from .attribute import AttrScope
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus
from .name import NameManager, Prefix  # noqa: F401
from .util import is_np_shape, np_shape, set_np_shape, use_np_shape  # noqa: F401

nd = ndarray
sym = symbol
_fluent.install()
_memory.tune_host_allocator()

__version__ = "0.1.0"

__all__ = ["nd", "ndarray", "sym", "symbol", "Context", "cpu", "gpu", "cpu_pinned",
           "current_context", "num_gpus", "MXNetError", "AttrScope", "random", "test_utils",
           "autograd", "util", "np_shape", "use_np_shape", "is_np_shape", "set_np_shape"]


_LAZY_MODULES = {"test_utils", "model", "init", "initializer", "contrib",
                 # the training layer, as MXNet lays it out
                 "module", "io", "metric", "optimizer", "lr_scheduler", "callback", "kvstore",
                 "monitor", "visualization", "profiler",
                 # sequence models and operators written in Python
                 "rnn", "operator"}
# MXNet's short names of training modules
_ALIASES = {"mod": "module", "opt": "optimizer", "kv": "kvstore", "viz": "visualization",
            "mon": "monitor"}


def __getattr__(attr):
    # heavier modules load on first use (``mx.test_utils``, ``mx.model``, ``mx.mod`` ...)
    attr = _ALIASES.get(attr, attr)
    if attr in _LAZY_MODULES:
        import importlib
        return importlib.import_module(f".{attr}", __name__)
    raise AttributeError(f"module 'mxlite' has no attribute {attr!r}")
