"""LeNet-5 (LeCun et al., 1998) with tanh units and max pooling, for 28x28 digit images.

The layers carry no explicit names, exactly as in MXNet's ``lenet.py``: they get the automatic
names ``convolution0``, ``activation0``, ``pooling0``, ... from the current ``mx.name.NameManager``,
so the graph (and the parameter names of a saved checkpoint) match MXNet's when built in the same
order.
"""
import mxlite as mx

from .common import cast_input, cast_output

__all__ = ["get_symbol", "localisation_net"]


def localisation_net(data, lr_mult=0.01):
    """The small network that predicts the six affine parameters of a spatial transformer.

    Parameters
    ----------
    data : Symbol
        Images (N, C, H, W).
    lr_mult : float
        Learning-rate multiplier of the final layer: the predicted transform should move slowly away
        from where it starts.

    Returns
    -------
    Symbol
        Shape (N, 6).
    """
    loc = mx.sym.Convolution(data=data, num_filter=30, kernel=(5, 5), stride=(2, 2))
    loc = mx.sym.Activation(data=loc, act_type="relu")
    loc = mx.sym.Pooling(data=loc, kernel=(2, 2), stride=(2, 2), pool_type="max")
    loc = mx.sym.Convolution(data=loc, num_filter=60, kernel=(3, 3), stride=(1, 1), pad=(1, 1))
    loc = mx.sym.Activation(data=loc, act_type="relu")
    loc = mx.sym.Pooling(data=loc, global_pool=True, kernel=(2, 2), pool_type="avg")
    loc = mx.sym.Flatten(data=loc)
    return mx.sym.FullyConnected(data=loc, num_hidden=6, name="stn_loc",
                                 attr={"lr_mult": str(lr_mult)})


def get_symbol(num_classes=10, add_stn=False, num_filter=(20, 50), num_hidden=500,
               dtype="float32", **kwargs):
    """LeNet: two conv(5x5) + tanh + max-pool(2x2/2) stages, a tanh hidden layer, a classifier.

    Parameters
    ----------
    num_classes : int
        Number of classes.
    add_stn : bool
        Put a spatial transformer (affine, bilinear, 28x28 output) in front of the network.
        Needs the ``SpatialTransformer`` op.
    num_filter : pair of int
        Filters of the first and second convolution (MXNet: 20, 50).
    num_hidden : int
        Width of the hidden FullyConnected layer (MXNet: 500).
    dtype : {'float32', 'float16'}
        Compute precision.
    **kwargs
        Ignored (shared argument sets, as MXNet's train scripts pass them).

    Returns
    -------
    Symbol
    """
    data = mx.sym.Variable("data")
    if add_stn:
        if not hasattr(mx.sym, "SpatialTransformer"):
            raise NotImplementedError("lenet add_stn=True needs the SpatialTransformer op, which "
                                      "mxlite does not implement yet")
        data = mx.sym.SpatialTransformer(data=data, loc=localisation_net(data),
                                         target_shape=(28, 28), transform_type="affine",
                                         sampler_type="bilinear")
    net = cast_input(data, dtype)
    for filters in num_filter:
        net = mx.sym.Convolution(data=net, kernel=(5, 5), num_filter=filters)
        net = mx.sym.Activation(data=net, act_type="tanh")
        net = mx.sym.Pooling(data=net, pool_type="max", kernel=(2, 2), stride=(2, 2))
    net = mx.sym.Flatten(data=net)
    net = mx.sym.FullyConnected(data=net, num_hidden=num_hidden)
    net = mx.sym.Activation(data=net, act_type="tanh")
    net = mx.sym.FullyConnected(data=net, num_hidden=num_classes)
    net = cast_output(net, dtype)
    return mx.sym.SoftmaxOutput(data=net, name="softmax")
