"""Operator declarations: importing this package registers every op family, in the order below.

Each family module declares its ops with ``registry.register`` and is named for what it holds, so
a reader who knows MXNet's op name finds its file (``softmax`` -> ``softmax.py``, ``_linalg_potrf``
-> ``linalg_factor.py``). ``registry``, ``params``, ``signature``, ``passes``, ``cuda`` and the
private ``_util``, ``_im2col``, ``_special`` modules declare no op; ``<family>_cuda`` modules hold a
family's GPU kernels and are imported on first GPU use only.
"""
import importlib

from . import registry  # noqa: F401

FAMILIES = (
    # element-wise
    "unary", "binary", "scalar", "elemwise",
    # reductions and layout
    "reduce", "histogram", "sort", "broadcast", "shape", "join", "slice", "pad", "index", "diag",
    # creation
    "init", "random",
    # layers
    "fully_connected", "activation", "dropout", "conv", "deformable_conv", "im2col", "pool",
    "resize", "batch_norm", "layer_norm", "lrn", "softmax", "loss", "ctc", "sequence", "rnn",
    "attention",
    # spatial transformers, correlation, regions of interest, detection
    "spatial_transformer", "correlation", "roi", "detection", "proposal",
    # linear algebra
    "dot", "linalg", "linalg_factor",
    # training: the optimizers' update ops
    "optimizer",
    # operators written in Python (mx.operator)
    "custom",
)

for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")
