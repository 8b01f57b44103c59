"""Small helpers shared by the symbol builders: image-shape parsing and the float16 casts.

MXNet's example symbols compute in float16 by casting the data right after the ``data`` variable and
casting the classifier output back to float32 before the loss; simple_bind then infers float16 for
every weight in between. The helpers keep that pattern in one place.
"""
import mxlite as mx

__all__ = ["parse_image_shape", "check_dtype", "cast_input", "cast_output"]

DTYPES = ("float32", "float16")


def parse_image_shape(image_shape):
    """``(channels, height, width)`` from ``"3,224,224"`` or a sequence of three ints.

    Parameters
    ----------
    image_shape : str or sequence of int
        The per-sample image shape, as MXNet's ``--image-shape`` option writes it.

    Returns
    -------
    tuple of int
    """
    if isinstance(image_shape, str):
        parts = [p for p in image_shape.replace(" ", "").split(",") if p]
    else:
        parts = list(image_shape)
    shape = tuple(int(p) for p in parts)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be channels,height,width, got {image_shape!r}")
    return shape


def check_dtype(dtype):
    """The dtype name, or ValueError for a dtype the builders cannot produce."""
    name = getattr(dtype, "__name__", None) or str(dtype)
    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return name


def cast_input(data, dtype):
    """``data`` cast to float16 when ``dtype`` asks for it; untouched for float32."""
    if check_dtype(dtype) == "float16":
        return mx.sym.Cast(data=data, dtype="float16")
    return data


def cast_output(net, dtype):
    """The classifier output back in float32 (SoftmaxOutput's loss is computed in float32)."""
    if check_dtype(dtype) == "float16":
        return mx.sym.Cast(data=net, dtype="float32")
    return net
