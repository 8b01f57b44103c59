"""Network builders written with ``mx.sym``, the way MXNet 1.x's
example/image-classification/symbols writes them: one module per family, each with
``get_symbol(num_classes, ...)`` returning a ``SoftmaxOutput`` symbol with inputs ``data`` and
``softmax_label``.

The builders give every layer the name MXNet's scripts give it (and leave unnamed what MXNet leaves
unnamed), so a graph built here and one built by MXNet code with the same arguments serialise to the
same JSON, and parameter files load across them by name.

    >>> from symbols import resnet
    >>> net = resnet.get_symbol(num_classes=10, num_layers=18, image_shape="3,32,32")
"""
import importlib

__all__ = ["NETWORKS", "get_module", "get_symbol"]

NETWORKS = ("mlp", "lenet", "resnet", "vgg", "mobilenet", "inception_bn")


def get_module(network):
    """The builder module for ``network`` (``"inception-bn"`` is accepted as MXNet spells it)."""
    name = network.replace("-", "_")
    if name not in NETWORKS:
        raise ValueError(f"unknown network {network!r}; choose from {', '.join(NETWORKS)}")
    return importlib.import_module(f".{name}", __name__)


def get_symbol(network, **kwargs):
    """``get_module(network).get_symbol(**kwargs)``."""
    return get_module(network).get_symbol(**kwargs)
