"""MobileNet v1 (Howard et al., "MobileNets", 2017): depthwise-separable convolutions.

Each separable block is a depthwise 3x3 convolution (``num_group`` = channels, one filter per input
channel) followed by a pointwise 1x1 convolution; both are followed by BatchNorm (fixed gamma) and
relu. Names follow MXNet's ``mobilenet.py``: ``conv_<k>_dw_conv2d`` / ``conv_<k>_batchnorm`` /
``conv_<k>_relu``, then ``global_pool``, ``flatten``, ``fc``, ``softmax``.
"""
import mxlite as mx

from .common import cast_input, cast_output, parse_image_shape

__all__ = ["SEPARABLE_BLOCKS", "conv_block", "get_symbol"]

# (depthwise channels, depthwise stride, pointwise channels) of blocks conv_2 ... conv_14, in units
# of the base width 32 * alpha; the strided blocks take the resolution from /2 down to /32
SEPARABLE_BLOCKS = ((1, 1, 2), (2, 2, 4), (4, 1, 4), (4, 2, 8), (8, 1, 8), (8, 2, 16),
                    (16, 1, 16), (16, 1, 16), (16, 1, 16), (16, 1, 16), (16, 1, 16),
                    (16, 2, 32), (32, 1, 32))


def conv_block(data, num_filter, kernel=(1, 1), stride=(1, 1), pad=(0, 0), num_group=1, name=""):
    """Convolution (no bias) + BatchNorm (fix_gamma) + relu, named ``<name>_conv2d`` etc.

    Parameters
    ----------
    data : Symbol
        Input.
    num_filter : int
        Output channels.
    kernel, stride, pad : tuple of int
        Convolution geometry.
    num_group : int
        Convolution groups; ``num_filter`` for a depthwise convolution.
    name : str
        Layer-name prefix.

    Returns
    -------
    Symbol
    """
    conv = mx.sym.Convolution(data=data, num_filter=num_filter, kernel=kernel, num_group=num_group,
                              stride=stride, pad=pad, no_bias=True, name=f"{name}_conv2d")
    bn = mx.sym.BatchNorm(data=conv, name=f"{name}_batchnorm", fix_gamma=True)
    return mx.sym.Activation(data=bn, act_type="relu", name=f"{name}_relu")


def get_symbol(num_classes, alpha=1.0, resolution=None, dtype="float32", **kwargs):
    """MobileNet v1 with width multiplier ``alpha``, like MXNet's ``mobilenet.get_symbol``.

    Parameters
    ----------
    num_classes : int
        Number of classes.
    alpha : float
        Width multiplier (MXNet offers 0.25, 0.5, 0.75, 1.0); the base width is ``int(32 * alpha)``.
    resolution : int, optional
        Input height/width, a multiple of 32; the final average pool is resolution/32 wide.
        Default: the height of ``image_shape`` in kwargs, else 224.
    dtype : {'float32', 'float16'}
        Compute precision.
    **kwargs
        ``image_shape`` is read when ``resolution`` is not given; the rest is ignored.

    Returns
    -------
    Symbol
    """
    if resolution is None:
        image_shape = kwargs.get("image_shape")
        resolution = parse_image_shape(image_shape)[1] if image_shape is not None else 224
    if resolution % 32:
        raise ValueError(f"mobilenet: resolution must be a multiple of 32, got {resolution}")
    base = int(32 * alpha)
    if base < 1:
        raise ValueError(f"mobilenet: alpha={alpha} leaves no channels")
    data = cast_input(mx.sym.Variable(name="data"), dtype)
    net = conv_block(data, base, kernel=(3, 3), pad=(1, 1), stride=(2, 2), name="conv_1")
    for k, (dw, step, pw) in enumerate(SEPARABLE_BLOCKS, start=2):
        net = conv_block(net, base * dw, kernel=(3, 3), pad=(1, 1), stride=(step, step),
                         num_group=base * dw, name=f"conv_{k}_dw")
        net = conv_block(net, base * pw, kernel=(1, 1), pad=(0, 0), stride=(1, 1),
                         name=f"conv_{k}")
    pool = resolution // 32
    net = mx.sym.Pooling(data=net, kernel=(pool, pool), stride=(1, 1), pool_type="avg",
                         name="global_pool")
    net = mx.sym.Flatten(data=net, name="flatten")
    net = mx.sym.FullyConnected(data=net, num_hidden=num_classes, name="fc")
    net = cast_output(net, dtype)
    return mx.sym.SoftmaxOutput(data=net, name="softmax")
