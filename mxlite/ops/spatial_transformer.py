"""Spatial transformer networks: GridGenerator, BilinearSampler and SpatialTransformer.

A *grid* (N, 2, H, W) holds, for every output pixel, the source position (x, y) normalised to
[-1, 1] over the input's width and height. BilinearSampler reads ``data`` at those positions by
bilinear interpolation; a neighbour outside the image contributes zero (src/operator/
bilinear_sampler.cc, spatial_transformer.cc). Its gradient reaches the data (scattered back to the
four neighbours) and the grid (the interpolant's slope, times (size - 1) / 2).

GridGenerator makes grids: ``affine`` from 2x3 matrices (N, 6) applied to the target grid
(x, y, 1) with x = -1 + 2j/(W-1), y = -1 + 2i/(H-1); ``warp`` from a flow field (N, 2, H, W) added
to the pixel coordinates and normalised. SpatialTransformer is an affine GridGenerator followed by
BilinearSampler in one op (inputs data and loc).

MXNet's hidden outputs are declared as there (GridGenerator's grid_dst, SpatialTransformer's
grid_dst and grid_src, BilinearSampler's channel-last tmp), so symbol JSON matches MXNet's; backward
recomputes what it needs from the inputs. float16 computes in float32.
"""
import numpy as np

from ..base import MXNetError
from ._util import fmt_shape, quiet, uniform_type, upcast
from .index import scatter_add
from .params import REQUIRED, Enum, Field, ParamSpec, Shape
from .registry import BackwardReads, OpDef, register


class OptBool(Field):
    """A boolean that may be None (``cudnn_off``): accepted for compatibility, ignored."""

    type_name = "boolean or None"

    def parse(self, value):
        if value is None or str(value).strip() == "None":
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"Invalid Parameter format for {self.name} expect boolean or None but "
                         f"value='{value}'")


_CUDNN_OFF = OptBool("cudnn_off", None, "whether to turn cudnn off (ignored)")


# ----- bilinear sampling, shared by BilinearSampler and SpatialTransformer ------------------------
def _positions(xp, grid, h, w):
    """Pixel coordinates of a normalised grid (N, 2, ...): the top-left neighbour and the
    fractional offsets towards the bottom-right one."""
    x = (grid[:, 0] + 1) * (w - 1) / 2
    y = (grid[:, 1] + 1) * (h - 1) / 2
    x0, y0 = xp.floor(x), xp.floor(y)
    return x0.astype(np.int64), y0.astype(np.int64), x - x0, y - y0


def _neighbour(xp, flat, xi, yi, h, w):
    """Values (N, C, P) of the neighbour at integer (xi, yi) (N, P), zero outside the image, and
    the flat index of each (N, C, P) into ``flat`` (N, C, h*w), -1 outside."""
    n, c = flat.shape[:2]
    valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    idx = xp.clip(yi, 0, h - 1) * w + xp.clip(xi, 0, w - 1)
    rows = xp.arange(n)[:, None, None]
    chans = xp.arange(c)[None, :, None]
    vals = flat[rows, chans, idx[:, None, :]] * valid[:, None, :]
    return vals, (rows * c + chans) * (h * w) + idx[:, None, :], valid[:, None, :]


def _corners(xp, data, grid):
    """The four neighbours of every grid position: [(values, flat index, valid, weight)], the
    weights (N, 1, P) of top-left, top-right, bottom-left, bottom-right, and (fx, fy)."""
    n, c, h, w = data.shape
    x0, y0, fx, fy = _positions(xp, grid.reshape(n, 2, -1), h, w)
    flat = data.reshape(n, c, h * w)
    out = []
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        weight = (fx if dx else 1 - fx) * (fy if dy else 1 - fy)
        out.append(_neighbour(xp, flat, x0 + dx, y0 + dy, h, w) + (weight[:, None, :],))
    return out, fx[:, None, :], fy[:, None, :]


def bilinear_sample(xp, data, grid):
    """Sample ``data`` (N, C, H, W) at ``grid`` (N, 2, Ho, Wo): (N, C, Ho, Wo), compute dtype."""
    corners, _, _ = _corners(xp, data, grid)
    out = sum(v * wt for v, _, _, wt in corners)
    return out.reshape(data.shape[:2] + grid.shape[2:])


def bilinear_sample_grads(xp, data, grid, g, want_data=True):
    """Gradients of ``bilinear_sample`` for head gradient ``g``: (d data or None, d grid)."""
    n, c, h, w = data.shape
    corners, fx, fy = _corners(xp, data, grid)
    g = g.reshape(n, c, -1)
    gdata = None
    if want_data:
        gdata = xp.zeros(n * c * h * w, data.dtype)
        for _, idx, valid, weight in corners:
            scatter_add(xp, gdata, idx.reshape(-1), (g * weight * valid).reshape(-1))
        gdata = gdata.reshape(data.shape)
    (v00, *_), (v01, *_), (v10, *_), (v11, *_) = corners
    gx = (g * ((v01 - v00) * (1 - fy) + (v11 - v10) * fy)).sum(axis=1) * ((w - 1) / 2)
    gy = (g * ((v10 - v00) * (1 - fx) + (v11 - v01) * fx)).sum(axis=1) * ((h - 1) / 2)
    return gdata, xp.stack([gx, gy], axis=1).reshape(grid.shape)


def _need_4d(op, what, shape):
    if len(shape) != 4:
        raise MXNetError(f"Error in operator {op}: {what} should be 4D in (batch, channel, y, x), "
                         f"got {what} shape {fmt_shape(shape)}")


# ----- BilinearSampler ----------------------------------------------------------------------------
_BS = "BilinearSampler"


def _bs_shape(p, in_shapes):
    data, grid = in_shapes
    if data is None or grid is None:
        return list(in_shapes), [None, None]
    _need_4d(_BS, "data", data)
    _need_4d(_BS, "grid", grid)
    if grid[0] != data[0] or grid[1] != 2:
        raise MXNetError(f"Error in operator {_BS}: incorrect grid shape {fmt_shape(grid)}: "
                         f"expected ({data[0]}, 2, height, width) for data {fmt_shape(data)}")
    return [tuple(data), tuple(grid)], [(data[0], data[1], grid[2], grid[3]),
                                        (grid[0], grid[2], grid[3], 2)]


def _bs_forward(sc, p, ins):
    xp = sc.xp
    data, grid = ins
    with quiet(xp):
        out = bilinear_sample(xp, upcast(xp, data), upcast(xp, grid))
    # the hidden "tmp" output: MXNet's cuDNN sampler keeps the grid channel-last there
    return [out.astype(data.dtype, copy=False), xp.ascontiguousarray(grid.transpose(0, 2, 3, 1))]


def _bs_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, grid = ins
    want = sc.grad_wanted is None or sc.grad_wanted[0]
    with quiet(xp):
        gdata, ggrid = bilinear_sample_grads(xp, upcast(xp, data), upcast(xp, grid),
                                             upcast(xp, ograds[0]), want)
    return [None if gdata is None else gdata.astype(data.dtype, copy=False),
            ggrid.astype(grid.dtype, copy=False)]


register(OpDef(
    name=_BS, inputs=("data", "grid"), params=ParamSpec(_CUDNN_OFF),
    forward=_bs_forward, backward=_bs_backward, infer_shape=_bs_shape,
    infer_type=uniform_type(_BS, ("data", "grid"), 2),
    num_hidden_outputs=1, output_names=lambda p: ["output"],
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="Bilinear sampling of NCHW data at the normalised source positions of grid "
        "(N, 2, H, W): output (N, C, H, W); positions outside the image read zeros."))


# ----- GridGenerator ------------------------------------------------------------------------------
_GG = "GridGenerator"


def target_grid(xp, h, w, dtype):
    """The target grid (3, h*w) of rows x, y, 1, normalised to [-1, 1]
    (grid_generator-inl.h: -1 + j * (2 / (w - 1)), the step computed in double)."""
    with quiet(xp):
        step_x, step_y = 2.0 / (w - 1) if w > 1 else np.inf, 2.0 / (h - 1) if h > 1 else np.inf
        j = xp.tile(xp.arange(w, dtype=dtype), h)
        i = xp.repeat(xp.arange(h, dtype=dtype), w)
        return xp.stack([-1 + j * dtype.type(step_x), -1 + i * dtype.type(step_y),
                         xp.ones(h * w, dtype)])


def _target(op, p):
    h, w = (tuple(p["target_shape"]) + (0, 0))[:2]
    if len(p["target_shape"]) != 2 or h <= 0 or w <= 0:
        raise MXNetError(f"Error in operator {op}: target_shape={p['target_shape']} must be "
                         f"(height, width) with both > 0 for an affine transform")
    return h, w


def _gg_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None, None]
    if p["transform_type"] == "affine":
        if len(data) != 2 or data[1] != 6:
            raise MXNetError(f"Error in operator {_GG}: data of an affine transform should be "
                             f"(batch, 6), got data shape {fmt_shape(data)}")
        h, w = _target(_GG, p)
        return [tuple(data)], [(data[0], 2, h, w), (3, h * w)]
    if len(data) != 4 or data[1] != 2:
        raise MXNetError(f"Error in operator {_GG}: data of a warp transform should be a flow "
                         f"field (batch, 2, height, width), got data shape {fmt_shape(data)}")
    return [tuple(data)], [tuple(data), tuple(data[1:])]


def _warp_scale(xp, shape, dtype):
    """(W-1)/2 and (H-1)/2 as a (1, 2, 1, 1) array: the warp normalisation."""
    return xp.asarray([(shape[3] - 1) / 2, (shape[2] - 1) / 2], dtype).reshape(1, 2, 1, 1)


def _gg_forward(sc, p, ins):
    xp = sc.xp
    data = ins[0]
    ct = upcast(xp, data).dtype
    with quiet(xp):
        if p["transform_type"] == "affine":
            h, w = _target(_GG, p)
            theta = upcast(xp, data).reshape(-1, 2, 3)
            dst = target_grid(xp, h, w, ct)
            out = xp.matmul(theta, dst).reshape(-1, 2, h, w)
        else:
            n, _, h, w = data.shape
            pix = xp.stack([xp.broadcast_to(xp.arange(w, dtype=ct), (h, w)),
                            xp.broadcast_to(xp.arange(h, dtype=ct)[:, None], (h, w))])
            out = (upcast(xp, data) + pix) / _warp_scale(xp, data.shape, ct) - 1
            dst = pix
    # the hidden "grid_dst" output: the target grid (affine) or the pixel grid (warp)
    return [out.astype(data.dtype, copy=False), xp.ascontiguousarray(dst).astype(data.dtype)]


def _gg_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data = ins[0]
    g = upcast(xp, ograds[0])
    with quiet(xp):
        if p["transform_type"] == "affine":
            h, w = _target(_GG, p)
            grad = xp.matmul(g.reshape(-1, 2, h * w), target_grid(xp, h, w, g.dtype).T)
            grad = grad.reshape(data.shape)
        else:
            grad = g / _warp_scale(xp, data.shape, g.dtype)
    return [grad.astype(data.dtype, copy=False)]


register(OpDef(
    name=_GG,
    params=ParamSpec(
        Enum("transform_type", ("affine", "warp"), REQUIRED,
             "The type of transformation. For `affine`, input data should be an affine matrix "
             "of size (batch, 6). For `warp`, input data should be an optical flow of size "
             "(batch, 2, h, w)."),
        Shape("target_shape", (0, 0), "Specifies the output shape (H, W). This is required if "
                                      "transformation type is `affine`. If transformation type "
                                      "is `warp`, this parameter is ignored.")),
    forward=_gg_forward, backward=_gg_backward, infer_shape=_gg_shape,
    infer_type=uniform_type(_GG, ("data",), 2),
    num_hidden_outputs=1, output_names=lambda p: ["output"],
    backward_reads=BackwardReads(input_shapes=(0,)),
    doc="Generates a sampling grid (N, 2, H, W) for BilinearSampler from affine matrices "
        "(N, 6) or an optical flow (N, 2, H, W)."))


# ----- SpatialTransformer -------------------------------------------------------------------------
_ST = "SpatialTransformer"


def _st_shape(p, in_shapes):
    data, loc = in_shapes
    if data is None:
        return list(in_shapes), [None] * 3
    _need_4d(_ST, "data", data)
    if loc is not None and (len(loc) != 2 or tuple(loc) != (data[0], 6)):
        raise MXNetError(f"Error in operator {_ST}: loc (the localisation network's output) "
                         f"should be ({data[0]}, 6), got loc shape {fmt_shape(loc)}")
    h, w = _target(_ST, p)
    return [tuple(data), (data[0], 6)], [(data[0], data[1], h, w), (3, h * w),
                                         (data[0], 2, h * w)]


def _st_grid(xp, p, loc):
    h, w = _target(_ST, p)
    return xp.matmul(loc.reshape(-1, 2, 3), target_grid(xp, h, w, loc.dtype)).reshape(-1, 2, h, w)


def _st_forward(sc, p, ins):
    xp = sc.xp
    data, loc = ins
    h, w = _target(_ST, p)
    with quiet(xp):
        grid = _st_grid(xp, p, upcast(xp, loc))
        out = bilinear_sample(xp, upcast(xp, data), grid)
        dst = target_grid(xp, h, w, grid.dtype)
    # hidden outputs "grid_dst" and "grid_src", as MXNet keeps them
    return [out.astype(data.dtype, copy=False), dst.astype(data.dtype),
            grid.reshape(grid.shape[0], 2, -1).astype(data.dtype)]


def _st_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    data, loc = ins
    h, w = _target(_ST, p)
    want = sc.grad_wanted is None or sc.grad_wanted[0]
    with quiet(xp):
        la = upcast(xp, loc)
        gdata, ggrid = bilinear_sample_grads(xp, upcast(xp, data), _st_grid(xp, p, la),
                                             upcast(xp, ograds[0]), want)
        gloc = xp.matmul(ggrid.reshape(-1, 2, h * w), target_grid(xp, h, w, la.dtype).T)
    return [None if gdata is None else gdata.astype(data.dtype, copy=False),
            gloc.reshape(loc.shape).astype(loc.dtype, copy=False)]


register(OpDef(
    name=_ST, inputs=("data", "loc"),
    params=ParamSpec(
        Shape("target_shape", (0, 0), "output shape(h, w) of spatial transformer: (y, x)"),
        Enum("transform_type", ("affine",), REQUIRED, "transformation type"),
        Enum("sampler_type", ("bilinear",), REQUIRED, "sampling type"),
        _CUDNN_OFF),
    forward=_st_forward, backward=_st_backward, infer_shape=_st_shape,
    infer_type=uniform_type(_ST, ("data", "loc"), 3),
    num_hidden_outputs=2, output_names=lambda p: ["output"],
    backward_reads=BackwardReads(inputs=(0, 1)),
    doc="Spatial transformer: samples NCHW data bilinearly on the affine grid given by loc "
        "(N, 6), output (N, C, *target_shape)."))
