"""Inception with batch normalisation (Ioffe and Szegedy, "Batch Normalization", 2015).

Two layouts, as in MXNet's ``inception-bn.py``: the full network for ~224x224 images (stem, modules
3a-5b, 7x7 average pool) and a simpler one for images of height <= 28 (two-branch modules with
stride-2 downsampling modules). Every convolution is Convolution + BatchNorm + relu named
``conv_<name>``, ``bn_<name>``, ``relu_<name>``; module outputs are ``Concat`` along channels.
"""
import mxlite as mx

from .common import cast_input, cast_output, parse_image_shape

__all__ = ["conv_factory", "inception_a", "inception_b", "get_symbol"]

# MXNet's inception-bn.py adds 1e-10 to the usual 1e-5; kept so the recorded attribute matches
BN_EPS = 1e-10 + 1e-5
BN_MOM = 0.9

# full layout: (module, num_1x1, num_3x3red, num_3x3, num_d3x3red, num_d3x3, pool, proj); modules
# of type B (num_1x1 None) downsample and have no 1x1 or projection branch
FULL_MODULES = (("3a", 64, 64, 64, 64, 96, "avg", 32), ("3b", 64, 64, 96, 64, 96, "avg", 64),
                ("3c", None, 128, 160, 64, 96, "max", None),
                ("4a", 224, 64, 96, 96, 128, "avg", 128),
                ("4b", 192, 96, 128, 96, 128, "avg", 128),
                ("4c", 160, 128, 160, 128, 160, "avg", 128),
                ("4d", 96, 128, 192, 160, 192, "avg", 128),
                ("4e", None, 128, 192, 192, 256, "max", None),
                ("5a", 352, 192, 320, 160, 224, "avg", 128),
                ("5b", 352, 192, 320, 192, 224, "max", 128))
# small layout: (module, ch_1x1, ch_3x3); ch_1x1 None marks a downsampling module
SMALL_MODULES = (("in3a", 32, 32), ("in3b", 32, 48), ("in3c", None, 80), ("in4a", 112, 48),
                 ("in4b", 96, 64), ("in4c", 80, 80), ("in4d", 48, 96), ("in4e", None, 96),
                 ("in5a", 176, 160), ("in5b", 176, 160))


def conv_factory(data, num_filter, kernel, stride=(1, 1), pad=(0, 0), name=None, suffix="",
                 attr=None):
    """Convolution + BatchNorm (learned gamma) + relu.

    Parameters
    ----------
    data : Symbol
        Input.
    num_filter : int
        Output channels.
    kernel, stride, pad : tuple of int
        Convolution geometry.
    name, suffix : str
        The layers are ``conv_<name><suffix>``, ``bn_<name><suffix>``, ``relu_<name><suffix>``.
    attr : dict, optional
        Attributes for the relu (MXNet passed ``{}``, or force_mirroring for memory saving).

    Returns
    -------
    Symbol
    """
    tag = f"{name}{suffix}"
    conv = mx.sym.Convolution(data=data, num_filter=num_filter, kernel=kernel, stride=stride,
                              pad=pad, name=f"conv_{tag}")
    bn = mx.sym.BatchNorm(data=conv, fix_gamma=False, eps=BN_EPS, momentum=BN_MOM, name=f"bn_{tag}")
    return mx.sym.Activation(data=bn, act_type="relu", name=f"relu_{tag}", attr=attr or {})


def _single_3x3(data, num_red, num_out, stride, name):
    """1x1 reduction then one 3x3 convolution (strided in the downsampling modules)."""
    net = conv_factory(data, num_red, (1, 1), name=f"{name}_3x3", suffix="_reduce")
    return conv_factory(net, num_out, (3, 3), stride=stride, pad=(1, 1), name=f"{name}_3x3")


def _double_3x3(data, num_red, num_out, stride, name):
    """1x1 reduction then two 3x3 convolutions (the second may be strided)."""
    prefix = f"{name}_double_3x3"
    net = conv_factory(data, num_red, (1, 1), name=prefix, suffix="_reduce")
    net = conv_factory(net, num_out, (3, 3), stride=(1, 1), pad=(1, 1), name=f"{prefix}_0")
    return conv_factory(net, num_out, (3, 3), stride=stride, pad=(1, 1), name=f"{prefix}_1")


def inception_a(data, num_1x1, num_3x3red, num_3x3, num_d3x3red, num_d3x3, pool, proj, name):
    """Four branches at the same resolution: 1x1, 1x1-3x3, 1x1-3x3-3x3, pool-1x1."""
    c1x1 = conv_factory(data, num_1x1, (1, 1), name=f"{name}_1x1")
    c3x3 = _single_3x3(data, num_3x3red, num_3x3, (1, 1), name)
    cd3x3 = _double_3x3(data, num_d3x3red, num_d3x3, (1, 1), name)
    pooled = mx.sym.Pooling(data=data, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type=pool,
                            name=f"{pool}_pool_{name}_pool")
    cproj = conv_factory(pooled, proj, (1, 1), name=f"{name}_proj")
    return mx.sym.Concat(c1x1, c3x3, cd3x3, cproj, name=f"ch_concat_{name}_chconcat")


def inception_b(data, num_3x3red, num_3x3, num_d3x3red, num_d3x3, name):
    """Three branches that halve the resolution: 1x1-3x3/2, 1x1-3x3-3x3/2, max-pool/2."""
    c3x3 = _single_3x3(data, num_3x3red, num_3x3, (2, 2), name)
    cd3x3 = _double_3x3(data, num_d3x3red, num_d3x3, (2, 2), name)
    pooled = mx.sym.Pooling(data=data, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max",
                            name=f"max_pool_{name}_pool")
    return mx.sym.Concat(c3x3, cd3x3, pooled, name=f"ch_concat_{name}_chconcat")


def _simple(data, ch_1x1, ch_3x3, name, attr):
    """Small layout: a 1x1 and a 3x3 branch, concatenated."""
    c1x1 = conv_factory(data, ch_1x1, (1, 1), pad=(0, 0), name=f"{name}_1x1", attr=attr)
    c3x3 = conv_factory(data, ch_3x3, (3, 3), pad=(1, 1), name=f"{name}_3x3", attr=attr)
    return mx.sym.Concat(c1x1, c3x3, name=f"{name}_ch_concat")


def _downsample(data, ch_3x3, name, attr):
    """Small layout: a 3x3/2 convolution beside a 3x3/2 max pool, concatenated."""
    conv = conv_factory(data, ch_3x3, (3, 3), stride=(2, 2), pad=(1, 1), name=f"{name}_conv",
                        attr=attr)
    pool = mx.sym.Pooling(data=data, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max",
                          name=f"{name}_pool", attr=attr)
    return mx.sym.Concat(conv, pool, name=f"{name}_ch_concat")


def _scaler(width):
    """Channel count scaled by ``width`` (at least 1); the identity for width 1."""
    if width <= 0:
        raise ValueError(f"inception_bn: width must be positive, got {width}")
    return lambda channels: None if channels is None else max(1, int(round(channels * width)))


def _small_body(data, attr, ch):
    net = conv_factory(data, ch(96), (3, 3), pad=(1, 1), name="1", attr=attr)
    for name, ch_1x1, ch_3x3 in SMALL_MODULES:
        if ch_1x1 is None:
            net = _downsample(net, ch(ch_3x3), name, attr)
        else:
            net = _simple(net, ch(ch_1x1), ch(ch_3x3), name, attr)
    return mx.sym.Pooling(data=net, pool_type="avg", kernel=(7, 7), name="global_pool", attr=attr)


def _full_body(data, ch):
    net = conv_factory(data, ch(64), (7, 7), stride=(2, 2), pad=(3, 3), name="1")
    net = mx.sym.Pooling(data=net, kernel=(3, 3), stride=(2, 2), name="pool_1", pool_type="max")
    net = conv_factory(net, ch(64), (1, 1), stride=(1, 1), name="2_red")
    net = conv_factory(net, ch(192), (3, 3), stride=(1, 1), pad=(1, 1), name="2")
    net = mx.sym.Pooling(data=net, kernel=(3, 3), stride=(2, 2), name="pool_2", pool_type="max")
    for name, n1, n3r, n3, nd3r, nd3, pool, proj in FULL_MODULES:
        if n1 is None:
            net = inception_b(net, ch(n3r), ch(n3), ch(nd3r), ch(nd3), name)
        else:
            net = inception_a(net, ch(n1), ch(n3r), ch(n3), ch(nd3r), ch(nd3), pool, ch(proj),
                              name)
    return mx.sym.Pooling(data=net, kernel=(7, 7), stride=(1, 1), name="global_pool",
                          pool_type="avg")


def get_symbol(num_classes, image_shape, dtype="float32", width=1.0, **kwargs):
    """Inception-BN for ``image_shape`` images, like MXNet's ``inception-bn.get_symbol``.

    Parameters
    ----------
    num_classes : int
        Number of classes.
    image_shape : str or sequence of int
        ``"3,224,224"``; height <= 28 selects the small layout (which expects 28x28: its final
        average pool is 7x7).
    dtype : {'float32', 'float16'}
        Compute precision.
    width : float
        Multiplier of every channel count (rounded, at least 1): below 1 gives a narrow network.
    **kwargs
        Ignored (shared argument sets).

    Returns
    -------
    Symbol
    """
    ch = _scaler(width)
    height = parse_image_shape(image_shape)[1]
    data = cast_input(mx.sym.Variable(name="data"), dtype)
    net = _small_body(data, {}, ch) if height <= 28 else _full_body(data, ch)
    net = mx.sym.Flatten(data=net)
    net = mx.sym.FullyConnected(data=net, num_hidden=num_classes)
    net = cast_output(net, dtype)
    return mx.sym.SoftmaxOutput(data=net, name="softmax")
