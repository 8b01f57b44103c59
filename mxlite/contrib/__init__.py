"""``mx.contrib``: MXNet's contrib package as far as it names operators: ``mx.contrib.ndarray`` /
``mx.contrib.nd`` is ``mx.nd.contrib`` and ``mx.contrib.symbol`` / ``mx.contrib.sym`` is
``mx.sym.contrib`` (the ``_contrib_*`` operators under their short names, e.g.
``mx.contrib.ndarray.CTCLoss``, ``mx.contrib.sym.MultiBoxPrior``)."""
from ..ndarray import contrib as ndarray
from ..symbol import contrib as symbol

nd = ndarray
sym = symbol

__all__ = ["ndarray", "nd", "symbol", "sym"]
