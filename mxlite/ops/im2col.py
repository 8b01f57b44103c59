"""im2col and col2im (src/operator/nn/im2col*): sliding blocks of an image as columns, and back.

``im2col`` turns data (N, C, *S) (1-, 2- or 3-D spatial) into (N, C * prod(kernel), L): row
(c, kernel offset) in channel-major order, column l the l-th output position of the convolution
with the same kernel, stride, dilate and pad (zero padding). ``col2im`` is its adjoint: columns
(N, C * prod(kernel), L) summed back into an image of ``output_size``, overlapping blocks adding
up. Each is the other's gradient.
"""
import itertools

from ..base import MXNetError
from ._im2col import window_slices
from ._util import fmt_shape, prod, uniform_type
from .params import REQUIRED, ParamSpec, Shape
from .registry import READS_SHAPES, OpDef, register


def _fields(*extra):
    return ParamSpec(
        *extra,
        Shape("kernel", REQUIRED, "Sliding kernel size: (w,), (h, w) or (d, h, w)."),
        Shape("stride", (), "The stride between adjacent sliding blocks in spatial dimension: "
                            "(w,), (h, w) or (d, h, w). Defaults to 1 for each dimension."),
        Shape("dilate", (), "The spacing between adjacent kernel points: (w,), (h, w) or (d, h, "
                            "w). Defaults to 1 for each dimension."),
        Shape("pad", (), "The zero-value padding size on both sides of spatial dimension: (w,), "
                         "(h, w) or (d, h, w). Defaults to no padding."))


def _geometry(op, p):
    """(kernel, stride, dilate, pad), the defaults filled in, checked."""
    kernel = tuple(p["kernel"])
    nd = len(kernel)
    if nd not in (1, 2, 3):
        raise MXNetError(f"Error in operator {op}: kernel={kernel} must have 1, 2 or 3 "
                         f"dimensions")
    out = [kernel]
    for name, default in (("stride", 1), ("dilate", 1), ("pad", 0)):
        value = tuple(p[name]) or (default,) * nd
        if len(value) != nd:
            raise MXNetError(f"Error in operator {op}: {name}={value} must have as many "
                             f"dimensions as kernel={kernel}")
        out.append(value)
    kernel, stride, dilate, pad = out
    if min(kernel + stride + dilate) < 1 or min(pad) < 0:
        raise MXNetError(f"Error in operator {op}: kernel, stride and dilate must be >= 1 and "
                         f"pad >= 0 (kernel={kernel}, stride={stride}, dilate={dilate}, "
                         f"pad={pad})")
    return kernel, stride, dilate, pad


def _blocks(op, p, spatial):
    """Output positions per axis of the sliding windows over ``spatial``."""
    kernel, stride, dilate, pad = _geometry(op, p)
    if len(spatial) != len(kernel):
        raise MXNetError(f"Error in operator {op}: data has {len(spatial)} spatial dimensions "
                         f"but kernel={kernel} has {len(kernel)}")
    out = tuple((s + 2 * q - (d * (k - 1) + 1)) // st + 1
                for s, k, st, d, q in zip(spatial, kernel, stride, dilate, pad))
    if min(out) < 1:
        raise MXNetError(f"Error in operator {op}: kernel={kernel} (dilate={dilate}) does not fit "
                         f"the padded input of spatial size {tuple(spatial)}")
    return out


def _to_columns(xp, x, p, op):
    kernel, stride, dilate, pad = _geometry(op, p)
    n, c = x.shape[:2]
    out = _blocks(op, p, x.shape[2:])
    img = xp.pad(x, ((0, 0), (0, 0)) + tuple((q, q) for q in pad)) if any(pad) else x
    cols = xp.empty((n, c, prod(kernel)) + out, x.dtype)
    for i, pos in enumerate(itertools.product(*(range(k) for k in kernel))):
        cols[:, :, i] = img[(slice(None), slice(None)) + window_slices(pos, stride, dilate, out)]
    return cols.reshape(n, c * prod(kernel), prod(out))


def _to_image(xp, cols, p, spatial, op):
    kernel, stride, dilate, pad = _geometry(op, p)
    n = cols.shape[0]
    c = cols.shape[1] // prod(kernel)
    out = _blocks(op, p, spatial)
    img = xp.zeros((n, c) + tuple(s + 2 * q for s, q in zip(spatial, pad)), cols.dtype)
    blocks = cols.reshape((n, c, prod(kernel)) + out)
    for i, pos in enumerate(itertools.product(*(range(k) for k in kernel))):
        img[(slice(None), slice(None)) + window_slices(pos, stride, dilate, out)] += blocks[:, :, i]
    crop = tuple(slice(q, q + s) for q, s in zip(pad, spatial))
    return xp.ascontiguousarray(img[(slice(None), slice(None)) + crop])


# ----- im2col -------------------------------------------------------------------------------------
def _im2col_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    if len(data) < 3:
        raise MXNetError(f"Error in operator im2col: data must be (N, C, *spatial), got data "
                         f"shape {fmt_shape(data)}")
    out = _blocks("im2col", p, data[2:])
    return [tuple(data)], [(data[0], data[1] * prod(p["kernel"]), prod(out))]


register(OpDef(
    name="im2col", params=_fields(),
    forward=lambda sc, p, ins: [_to_columns(sc.xp, ins[0], p, "im2col")],
    backward=lambda sc, p, ograds, ins, outs: [
        _to_image(sc.xp, ograds[0], p, ins[0].shape[2:], "im2col")],
    infer_shape=_im2col_shape, backward_reads=READS_SHAPES,
    doc="Extracts the sliding blocks of data (N, C, *spatial) as columns (N, C*prod(kernel), "
        "number of blocks)."))


# ----- col2im -------------------------------------------------------------------------------------
def _col2im_shape(p, in_shapes):
    data = in_shapes[0]
    size = tuple(p["output_size"])
    kernel = _geometry("col2im", p)[0]
    if len(size) != len(kernel):
        raise MXNetError(f"Error in operator col2im: output_size={size} must have as many "
                         f"dimensions as kernel={kernel}")
    if data is None:
        return [None], [None]
    blocks = prod(_blocks("col2im", p, size))
    if len(data) != 3 or data[1] % prod(kernel) or data[2] != blocks:
        raise MXNetError(f"Error in operator col2im: data shape {fmt_shape(data)} should be "
                         f"(N, C*{prod(kernel)}, {blocks}) for output_size={size} and "
                         f"kernel={kernel}")
    return [tuple(data)], [(data[0], data[1] // prod(kernel)) + size]


register(OpDef(
    name="col2im",
    params=_fields(Shape("output_size", REQUIRED, "The spatial dimension of image array: (w,), "
                                                  "(h, w) or (d, h, w).")),
    forward=lambda sc, p, ins: [_to_image(sc.xp, ins[0], p, tuple(p["output_size"]), "col2im")],
    backward=lambda sc, p, ograds, ins, outs: [_to_columns(sc.xp, ograds[0], p, "col2im")],
    infer_shape=_col2im_shape, infer_type=uniform_type("col2im", ("data",), 1),
    backward_reads=READS_SHAPES,
    doc="Sums columns (N, C*prod(kernel), number of blocks) back into an image (N, C, "
        "*output_size), overlapping blocks adding up (the adjoint of im2col)."))
