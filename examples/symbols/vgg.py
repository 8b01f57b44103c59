"""VGG-11/13/16/19 (Simonyan and Zisserman, "Very Deep Convolutional Networks", 2014).

Five stages of 3x3 convolutions (pad 1) + relu, each closed by a 2x2/2 max pool, then three
FullyConnected layers with dropout. Layer names follow MXNet's ``vgg.py`` (``conv3_2``, ``bn3_2``,
``relu3_2``, ``pool3``, ``flatten``, ``fc6`` ... ``fc8``, ``softmax``).
"""
import mxlite as mx

from .common import cast_input, cast_output

__all__ = ["VGG_SPEC", "get_feature", "get_classifier", "get_symbol"]

# convolutions per stage for each depth; every depth uses the same channel progression
VGG_SPEC = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
VGG_FILTERS = (64, 128, 256, 512, 512)


def get_feature(data, layers, filters, batch_norm=False):
    """The convolutional stages.

    Parameters
    ----------
    data : Symbol
        Images.
    layers : sequence of int
        Convolutions in each stage.
    filters : sequence of int
        Channels of each stage.
    batch_norm : bool
        BatchNorm (default parameters) between each convolution and its relu.

    Returns
    -------
    Symbol
    """
    net = data
    for stage, (count, channels) in enumerate(zip(layers, filters), start=1):
        for j in range(1, count + 1):
            tag = f"{stage}_{j}"
            net = mx.sym.Convolution(data=net, kernel=(3, 3), pad=(1, 1), num_filter=channels,
                                     name=f"conv{tag}")
            if batch_norm:
                net = mx.sym.BatchNorm(data=net, name=f"bn{tag}")
            net = mx.sym.Activation(data=net, act_type="relu", name=f"relu{tag}")
        net = mx.sym.Pooling(data=net, pool_type="max", kernel=(2, 2), stride=(2, 2),
                             name=f"pool{stage}")
    return net


def get_classifier(data, num_classes, fc_hidden=4096, dropout=0.5):
    """``fc6``/``fc7`` (relu + dropout) and ``fc8``: the classifier head.

    Parameters
    ----------
    data : Symbol
        Feature map.
    num_classes : int
        Width of ``fc8``.
    fc_hidden : int
        Width of ``fc6`` and ``fc7``.
    dropout : float
        Dropout probability after ``fc6`` and ``fc7``.

    Returns
    -------
    Symbol
    """
    net = mx.sym.Flatten(data=data, name="flatten")
    for layer in (6, 7):
        net = mx.sym.FullyConnected(data=net, num_hidden=fc_hidden, name=f"fc{layer}")
        net = mx.sym.Activation(data=net, act_type="relu", name=f"relu{layer}")
        net = mx.sym.Dropout(data=net, p=dropout, name=f"drop{layer}")
    return mx.sym.FullyConnected(data=net, num_hidden=num_classes, name="fc8")


def get_symbol(num_classes, num_layers=11, batch_norm=False, dtype="float32", filters=None,
               fc_hidden=4096, dropout=0.5, **kwargs):
    """VGG-``num_layers``, like MXNet's ``vgg.get_symbol``.

    Parameters
    ----------
    num_classes : int
        Number of classes.
    num_layers : {11, 13, 16, 19}
        Depth.
    batch_norm : bool
        Batch-normalised variant.
    dtype : {'float32', 'float16'}
        Compute precision.
    filters : sequence of five int, optional
        Channels per stage replacing (64, 128, 256, 512, 512): a narrow network.
    fc_hidden : int
        Width of ``fc6``/``fc7`` (4096 in the paper).
    dropout : float
        Dropout probability in the classifier.
    **kwargs
        Ignored (shared argument sets).

    Returns
    -------
    Symbol
    """
    if num_layers not in VGG_SPEC:
        raise ValueError(f"vgg: num_layers must be one of {sorted(VGG_SPEC)}, got {num_layers}")
    filters = VGG_FILTERS if filters is None else tuple(filters)
    if len(filters) != len(VGG_FILTERS):
        raise ValueError(f"vgg: filters needs {len(VGG_FILTERS)} values, got {list(filters)}")
    data = cast_input(mx.sym.Variable(name="data"), dtype)
    net = get_feature(data, VGG_SPEC[num_layers], filters, batch_norm)
    net = get_classifier(net, num_classes, fc_hidden=fc_hidden, dropout=dropout)
    net = cast_output(net, dtype)
    return mx.sym.SoftmaxOutput(data=net, name="softmax")
