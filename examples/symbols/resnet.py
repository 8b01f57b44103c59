"""Pre-activation residual networks (He et al., "Identity Mappings in Deep Residual Networks").

Two layouts, as in MXNet's ``resnet.py``:

- ``imagenet``: four stages after a stem; basic blocks (two 3x3 convolutions) below 50 layers,
  bottleneck blocks (1x1, 3x3, 1x1) from 50 layers on; units per stage from ``IMAGENET_UNITS``.
- ``cifar``: three stages of (num_layers - 2) / 6 basic blocks, or (num_layers - 2) / 9 bottleneck
  blocks from 164 layers on.

Every layer is named like MXNet's (``bn_data``, ``conv0``, ``stage1_unit1_conv1``,
``stage1_unit1_sc``, ``bn1``, ``pool1``, ``fc1``, ``softmax``), so the same arguments give the same
graph and parameter names. ``filter_list`` and ``units`` make narrow or shallow variants for tests
and smoke runs.
"""
import mxlite as mx

from .common import check_dtype, parse_image_shape

__all__ = ["IMAGENET_UNITS", "residual_unit", "resnet", "get_symbol"]

IMAGENET_UNITS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3),
                  152: (3, 8, 36, 3), 200: (3, 24, 36, 3), 269: (3, 30, 48, 8)}
# BatchNorm settings of every normalisation layer (MXNet's resnet.py passes eps and momentum
# explicitly, so they appear as attributes in the graph JSON)
BN_EPS = 2e-5


def _bn_relu(data, name, index, bn_mom):
    """BatchNorm (learned gamma) followed by relu: the pre-activation of each convolution."""
    bn = mx.sym.BatchNorm(data=data, fix_gamma=False, eps=BN_EPS, momentum=bn_mom,
                          name=f"{name}_bn{index}")
    return mx.sym.Activation(data=bn, act_type="relu", name=f"{name}_relu{index}")


def _conv(data, num_filter, kernel, stride, pad, name, workspace):
    return mx.sym.Convolution(data=data, num_filter=num_filter, kernel=kernel, stride=stride,
                              pad=pad, no_bias=True, workspace=workspace, name=name)


def residual_unit(data, num_filter, stride, dim_match, name, bottle_neck=True, bn_mom=0.9,
                  workspace=256, memonger=False):
    """One pre-activation residual unit: ``branch(data) + shortcut``.

    Parameters
    ----------
    data : Symbol
        Input feature map.
    num_filter : int
        Output channels (a bottleneck unit narrows to a quarter inside).
    stride : tuple of int
        Stride of the unit's strided convolution (and of the projection shortcut).
    dim_match : bool
        True when input and output shapes agree, so the shortcut is the input itself; otherwise a
        1x1 convolution ``<name>_sc`` projects the pre-activated input.
    name : str
        Prefix of the unit's layer names (``stage2_unit1``).
    bottle_neck : bool
        1x1-3x3-1x1 bottleneck instead of two 3x3 convolutions.
    bn_mom : float
        BatchNorm momentum.
    workspace : int
        Convolution workspace (MB), recorded as an attribute like MXNet does.
    memonger : bool
        Mark the shortcut ``mirror_stage`` for MXNet's memory optimiser.

    Returns
    -------
    Symbol
    """
    pre = _bn_relu(data, name, 1, bn_mom)
    if bottle_neck:
        inner = int(num_filter * 0.25)
        # (channels, kernel, stride, pad) of the three convolutions; the 3x3 one carries the stride
        convs = [(inner, (1, 1), (1, 1), (0, 0)), (inner, (3, 3), stride, (1, 1)),
                 (num_filter, (1, 1), (1, 1), (0, 0))]
    else:
        convs = [(num_filter, (3, 3), stride, (1, 1)), (num_filter, (3, 3), (1, 1), (1, 1))]
    body = pre
    for i, (channels, kernel, conv_stride, pad) in enumerate(convs, start=1):
        if i > 1:
            body = _bn_relu(body, name, i, bn_mom)
        body = _conv(body, channels, kernel, conv_stride, pad, f"{name}_conv{i}", workspace)
    if dim_match:
        shortcut = data
    else:
        shortcut = mx.sym.Convolution(data=pre, num_filter=num_filter, kernel=(1, 1), stride=stride,
                                      no_bias=True, workspace=workspace, name=f"{name}_sc")
    if memonger:
        shortcut._set_attr(mirror_stage="True")
    return body + shortcut


def _stem(data, num_filter, small, bn_mom, workspace):
    """``conv0``: a 3x3 convolution for small images, else 7x7/2 + BN + relu + 3x3/2 max pool."""
    if small:
        return _conv(data, num_filter, (3, 3), (1, 1), (1, 1), "conv0", workspace)
    body = _conv(data, num_filter, (7, 7), (2, 2), (3, 3), "conv0", workspace)
    body = mx.sym.BatchNorm(data=body, fix_gamma=False, eps=BN_EPS, momentum=bn_mom, name="bn0")
    body = mx.sym.Activation(data=body, act_type="relu", name="relu0")
    return mx.sym.Pooling(data=body, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")


def resnet(units, num_stages, filter_list, num_classes, image_shape, bottle_neck=True, bn_mom=0.9,
           workspace=256, dtype="float32", memonger=False, small_stem=None):
    """A ResNet from explicit stage sizes.

    Parameters
    ----------
    units : sequence of int
        Residual units in each stage.
    num_stages : int
        Number of stages (``len(units)``).
    filter_list : sequence of int
        Stem channels, then the output channels of each stage (``num_stages + 1`` values).
    num_classes : int
        Number of classes.
    image_shape : str or sequence of int
        ``channels,height,width``; decides the stem when ``small_stem`` is None.
    bottle_neck, bn_mom, workspace, memonger
        As in :func:`residual_unit`. Unlike MXNet's ``resnet.py``, whose ``resnet()`` leaves the
        residual units at momentum 0.9 whatever ``bn_mom`` says, ``bn_mom`` reaches every
        BatchNorm (the graphs agree for the default 0.9, the only value MXNet's get_symbol uses).
    dtype : {'float32', 'float16'}
        float32 passes the data through ``identity`` (named ``id``), float16 through a Cast.
    small_stem : bool, optional
        3x3 stem without pooling; default: height <= 32, MXNet's rule.

    Returns
    -------
    Symbol
    """
    if len(units) != num_stages or len(filter_list) != num_stages + 1:
        raise ValueError(f"resnet: {num_stages} stages need {num_stages} unit counts and "
                         f"{num_stages + 1} filter counts, got units={list(units)}, "
                         f"filter_list={list(filter_list)}")
    height = parse_image_shape(image_shape)[1]
    data = mx.sym.Variable(name="data")
    if check_dtype(dtype) == "float32":
        data = mx.sym.identity(data=data, name="id")
    else:
        data = mx.sym.Cast(data=data, dtype="float16")
    # fix_gamma on the input normalisation: it only standardises the raw pixels
    data = mx.sym.BatchNorm(data=data, fix_gamma=True, eps=BN_EPS, momentum=bn_mom, name="bn_data")
    body = _stem(data, filter_list[0], height <= 32 if small_stem is None else small_stem, bn_mom,
                 workspace)
    for stage in range(num_stages):
        # the first unit of every stage but the first halves the resolution
        step = 1 if stage == 0 else 2
        for unit in range(units[stage]):
            first = unit == 0
            body = residual_unit(body, filter_list[stage + 1], (step, step) if first else (1, 1),
                                 not first, name=f"stage{stage + 1}_unit{unit + 1}",
                                 bottle_neck=bottle_neck, bn_mom=bn_mom, workspace=workspace,
                                 memonger=memonger)
    body = mx.sym.BatchNorm(data=body, fix_gamma=False, eps=BN_EPS, momentum=bn_mom, name="bn1")
    body = mx.sym.Activation(data=body, act_type="relu", name="relu1")
    # global_pool ignores the kernel, but MXNet's graph records kernel=(7, 7)
    body = mx.sym.Pooling(data=body, global_pool=True, kernel=(7, 7), pool_type="avg", name="pool1")
    body = mx.sym.Flatten(data=body)
    body = mx.sym.FullyConnected(data=body, num_hidden=num_classes, name="fc1")
    if dtype == "float16":
        body = mx.sym.Cast(data=body, dtype="float32")
    return mx.sym.SoftmaxOutput(data=body, name="softmax")


def _cifar_config(num_layers):
    if num_layers >= 164 and (num_layers - 2) % 9 == 0:
        return [(num_layers - 2) // 9] * 3, [16, 64, 128, 256], True
    if num_layers < 164 and (num_layers - 2) % 6 == 0:
        return [(num_layers - 2) // 6] * 3, [16, 16, 32, 64], False
    raise ValueError(f"resnet cifar layout: num_layers must be 6n+2 (< 164) or 9n+2 (>= 164), "
                     f"got {num_layers}")


def _imagenet_config(num_layers):
    if num_layers not in IMAGENET_UNITS:
        raise ValueError(f"resnet imagenet layout: num_layers must be one of "
                         f"{sorted(IMAGENET_UNITS)}, got {num_layers}")
    if num_layers >= 50:
        return list(IMAGENET_UNITS[num_layers]), [64, 256, 512, 1024, 2048], True
    return list(IMAGENET_UNITS[num_layers]), [64, 64, 128, 256, 512], False


def get_symbol(num_classes, num_layers, image_shape, conv_workspace=256, dtype="float32",
               layout=None, filter_list=None, units=None, bottle_neck=None, small_stem=None,
               bn_mom=0.9, memonger=False, **kwargs):
    """ResNet-``num_layers`` for ``image_shape`` images, like MXNet's ``resnet.get_symbol``.

    Parameters
    ----------
    num_classes : int
        Number of classes.
    num_layers : int
        Depth: 18, 34, 50, 101, 152, 200, 269 (imagenet) or 6n+2 / 9n+2 (cifar: 20, 56, 164...).
    image_shape : str or sequence of int
        ``"3,224,224"``. Height <= 28 picks the cifar layout, height <= 32 the small stem (MXNet).
    conv_workspace : int
        Convolution workspace attribute.
    dtype : {'float32', 'float16'}
        Compute precision.
    layout : {'imagenet', 'cifar'}, optional
        Overrides the choice by image height.
    filter_list : sequence of int, optional
        Channel counts (stem, then each stage) replacing the standard ones: a narrow network.
    units : sequence of int, optional
        Units per stage replacing the ones ``num_layers`` implies.
    bottle_neck : bool, optional
        Overrides the block type ``num_layers`` implies.
    small_stem : bool, optional
        Overrides the stem choice by image height.
    bn_mom : float
        BatchNorm momentum.
    memonger : bool
        Mark shortcuts for MXNet's memory optimiser.
    **kwargs
        Ignored (shared argument sets).

    Returns
    -------
    Symbol
    """
    height = parse_image_shape(image_shape)[1]
    if layout is None:
        layout = "cifar" if height <= 28 else "imagenet"
    if layout == "cifar":
        std_units, std_filters, std_bottle = _cifar_config(num_layers)
    elif layout == "imagenet":
        std_units, std_filters, std_bottle = _imagenet_config(num_layers)
    else:
        raise ValueError(f"resnet layout must be 'imagenet' or 'cifar', got {layout!r}")
    units = list(std_units if units is None else units)
    filter_list = list(std_filters if filter_list is None else filter_list)
    return resnet(units=units, num_stages=len(units), filter_list=filter_list,
                  num_classes=num_classes, image_shape=image_shape,
                  bottle_neck=std_bottle if bottle_neck is None else bottle_neck, bn_mom=bn_mom,
                  workspace=conv_workspace, dtype=dtype, memonger=memonger, small_stem=small_stem)
