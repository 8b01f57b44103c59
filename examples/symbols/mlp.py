"""A multilayer perceptron: Flatten, FullyConnected + relu layers, then a softmax classifier."""
import mxlite as mx

from .common import cast_input, cast_output

__all__ = ["get_symbol"]


def get_symbol(num_classes=10, num_hidden=(128, 64), dtype="float32", **kwargs):
    """The MLP of MXNet's image-classification examples.

    Layers are named ``fc1``, ``relu1``, ``fc2``, ... and the loss ``softmax``, so checkpoints and
    ``arg_params`` written by MXNet's ``mlp.py`` load by name.

    Parameters
    ----------
    num_classes : int
        Width of the last FullyConnected layer.
    num_hidden : sequence of int
        Width of each hidden layer, in order.
    dtype : {'float32', 'float16'}
        Compute precision (float16 casts after ``data`` and before the loss).
    **kwargs
        Ignored, so one argument set can drive every builder (as MXNet's train scripts do).

    Returns
    -------
    Symbol
        ``SoftmaxOutput`` with inputs ``data`` and ``softmax_label``.
    """
    net = mx.sym.Variable("data")
    net = cast_input(net, dtype)
    # the input may be an image batch: every sample becomes one row of the first layer
    net = mx.sym.Flatten(data=net)
    for i, width in enumerate(num_hidden, start=1):
        net = mx.sym.FullyConnected(data=net, name=f"fc{i}", num_hidden=width)
        net = mx.sym.Activation(data=net, name=f"relu{i}", act_type="relu")
    net = mx.sym.FullyConnected(data=net, name=f"fc{len(num_hidden) + 1}", num_hidden=num_classes)
    net = cast_output(net, dtype)
    return mx.sym.SoftmaxOutput(data=net, name="softmax")
