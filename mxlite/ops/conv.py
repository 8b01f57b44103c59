"""Convolution and Deconvolution (transposed convolution): 1-, 2- and 3-D kernels, channel-first.

Both run on the kernels of ``mxlite/ops/_im2col.py``: Convolution's forward is im2col + GEMM and
its data gradient GEMM + col2im; Deconvolution is the same pair used the other way round (its
forward is Convolution's data gradient). float16 is computed in float32. As in MXNet's CPU
code, ``workspace`` (MB) bounds the column matrix: the batch runs in chunks that fit (on the CPU,
also chunks small enough for the columns to stay in cache while the GEMM reads them).

Two shapes skip the column matrix: a 1x1 unit-stride convolution is one GEMM per sample between
the (C, H*W) images (any array module), and a depthwise convolution on the CPU runs the compiled
plane kernels of ``conv_cpu`` (its per-group GEMMs would be too small for BLAS).
"""
import numpy as np

from ..base import MXNetError
from . import _jit, conv_cpu
from ._im2col import (
    batch_last,
    chunks,
    col2im,
    compute_dtype,
    im2col,
    image,
    rows,
    scratch,
    uncrop,
    unrows,
)
from ._util import prod
from .params import Bool, Enum, Int, ParamSpec, Shape
from .registry import FLOAT_DATA, BackwardReads, OpDef, register

# --------------------------------------------------------------------------------------------------
# Parameters. MXNet's parsers (convolution.cc ConvolutionParamParser, deconvolution.cc) give stride,
# dilate, pad (and adj) one entry per kernel axis when left empty and check their lengths.
_LAYOUTS_1D = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


class _ConvSpec(ParamSpec):
    """ParamSpec that completes the geometry fields after parsing, as MXNet's parser does."""

    def __init__(self, filled, *fields):
        super().__init__(*fields)
        self.filled = filled

    def parse(self, attrs, op_name):
        p = super().parse(attrs, op_name)
        nd = len(p["kernel"])
        if nd not in (1, 2, 3):
            raise MXNetError(f"{op_name}: {nd}D convolution not supported: kernel must have 1, 2 "
                             f"or 3 dimensions, got kernel={p['kernel']}")
        for name in self.filled:
            if not p[name]:
                p[name] = (0 if name in ("pad", "adj") else 1,) * nd
            elif len(p[name]) != nd:
                raise MXNetError(f"{op_name}: {name} must have the same number of dimensions as "
                                 f"kernel, but kernel is set to {p['kernel']} while {name} is "
                                 f"{p[name]}")
        for name in ("kernel", "stride", "dilate"):
            if any(v <= 0 for v in p[name]):
                raise MXNetError(f"{op_name}: incorrect {name} size: {p[name]} (every entry "
                                 f"must be > 0)")
        if any(v < 0 for v in p["pad"]):
            raise MXNetError(f"{op_name}: pad must be >= 0, got {p['pad']}")
        if p["num_filter"] < 1:
            raise MXNetError(f"{op_name}: num_filter must be >= 1, got {p['num_filter']}")
        if p["num_group"] < 1:
            raise MXNetError(f"{op_name}: num_group must be >= 1, got {p['num_group']}")
        if p["layout"] not in (None, _LAYOUTS_1D[nd]):
            raise MXNetError(f"{op_name}: layout {p['layout']} is not supported for a {nd}-D "
                             f"kernel; mxlite runs {_LAYOUTS_1D[nd]} only (MXNet's CPU "
                             f"build has no channel-last convolution either)")
        return p


def _common_fields(workspace, no_bias):
    return [
        Int("num_filter", doc="Convolution filter (channel) number.", low=1),
        Int("num_group", 1, "Number of group partitions."),
        Int("workspace", workspace, "Maximum temporary workspace allowed (MB); bounds the batch "
                                    "chunk of the column matrix."),
        Bool("no_bias", no_bias, "Whether to disable bias parameter."),
        Enum("cudnn_tune", ("off", "limited_workspace", "fastest"), None,
             "Accepted for compatibility; ignored.", optional=True),
        Bool("cudnn_off", False, "Accepted for compatibility; ignored."),
        Enum("layout", ("NCW", "NCHW", "NCDHW", "NHWC", "NDHWC"), None,
             "Data layout; only the channel-first default is supported.", optional=True)]


_CONV_PARAMS = _ConvSpec(
    ("stride", "dilate", "pad"),
    Shape("kernel", doc="Convolution kernel size: (w,), (h, w) or (d, h, w)."),
    Shape("stride", (), "Convolution stride. Defaults to 1 for each dimension."),
    Shape("dilate", (), "Convolution dilate. Defaults to 1 for each dimension."),
    Shape("pad", (), "Zero pad for convolution. Defaults to no padding."),
    *_common_fields(1024, False))

_DECONV_PARAMS = _ConvSpec(
    ("stride", "dilate", "pad", "adj"),
    Shape("kernel", doc="Deconvolution kernel size: (w,), (h, w) or (d, h, w)."),
    Shape("stride", (), "The stride used for the corresponding convolution."),
    Shape("dilate", (), "Dilation factor for each dimension of the input."),
    Shape("pad", (), "The zero padding of the corresponding convolution; ignored when "
                     "target_shape is set."),
    Shape("adj", (), "Adjustment for output shape; ignored when target_shape is set."),
    Shape("target_shape", (), "Shape of the output tensor: (w,), (h, w) or (d, h, w)."),
    *_common_fields(512, True))


def _inputs(p):
    return ["data", "weight"] if p["no_bias"] else ["data", "weight", "bias"]


def fmt_shape(shape):
    return "(" + ",".join(str(d) for d in shape) + ")"


def _check_given(op_name, what, given, inferred):
    if given is not None and tuple(given) != tuple(inferred):
        raise MXNetError(f"{op_name}: Shape inconsistent for {what}, Provided = "
                         f"[{','.join(map(str, given))}], inferred shape={fmt_shape(inferred)}")


def _param_shapes(op_name, p, in_shapes, weight):
    """Input shapes with weight (and bias) filled in, checked against what was given."""
    shapes = list(in_shapes)
    _check_given(op_name, "weight", shapes[1], weight)
    shapes[1] = weight
    if not p["no_bias"]:
        _check_given(op_name, "bias", shapes[2], (p["num_filter"],))
        shapes[2] = (p["num_filter"],)
    return shapes


def _check_data(op_name, p, data):
    nd = len(p["kernel"])
    if len(data) != nd + 2:
        raise MXNetError(f"{op_name}: data must be {nd + 2}-D ({_LAYOUTS_1D[nd]}) for kernel "
                         f"{p['kernel']}, got data shape {fmt_shape(data)}")
    if p["num_filter"] % p["num_group"]:
        raise MXNetError(f"{op_name}: output num_filter must divide group size: num_filter="
                         f"{p['num_filter']}, num_group={p['num_group']}")
    if data[1] % p["num_group"]:
        raise MXNetError(f"{op_name}: input num_filter must divide group size: data has "
                         f"{data[1]} channels (data shape {fmt_shape(data)}), num_group="
                         f"{p['num_group']}")


def _dilated(p):
    return tuple(1 + (k - 1) * d for k, d in zip(p["kernel"], p["dilate"]))


# --------------------------------------------------------------------------------------------------
# Convolution
def _conv_out(p, spatial):
    out = []
    for i, (s, dk) in enumerate(zip(spatial, _dilated(p))):
        padded = s + 2 * p["pad"][i]
        if dk > padded:
            raise MXNetError(f"Convolution: kernel size exceed input: dilated kernel {dk} > input "
                             f"{s} padded to {padded} on spatial axis {i} (kernel "
                             f"{p['kernel']}, dilate {p['dilate']}, pad {p['pad']})")
        out.append((padded - dk) // p["stride"][i] + 1)
    return tuple(out)


def _conv_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None or 0 in data:
        return list(in_shapes), [None]
    _check_data("Convolution", p, data)
    weight = (p["num_filter"], data[1] // p["num_group"]) + tuple(p["kernel"])
    shapes = _param_shapes("Convolution", p, in_shapes, weight)
    return shapes, [(data[0], p["num_filter"]) + _conv_out(p, data[2:])]


def _geometry_2d(p):
    """(kh, kw, sh, sw, ph, pw, dh, dw): the scalar arguments of the ``conv_cpu`` kernels."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = p["kernel"], p["stride"], p["pad"], p["dilate"]
    return kh, kw, sh, sw, ph, pw, dh, dw


def _depthwise(sc, p, x, w):
    """Whether the compiled depthwise kernels (``conv_cpu``) take this call: several groups of one
    input channel each, a 2-D kernel, numpy float32/float64 data, compiled kernels on. (A
    single-channel input with one group, LeNet's first layer, is one GEMM: faster than planes.)"""
    return p["num_group"] == x.shape[1] > 1 and x.ndim == 4 and _jit.serves(sc.xp, x, w)


def _depthwise_forward(p, x, w, bias):
    out_sp = _conv_out(p, x.shape[2:])
    out = np.empty((x.shape[0], p["num_filter"]) + out_sp, x.dtype)
    conv_cpu.depthwise_forward_2d(np.ascontiguousarray(x), np.ascontiguousarray(w), out,
                                  *_geometry_2d(p))
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out


def _depthwise_backward(p, x, w, gy, want_dx):
    x, w, gy = (np.ascontiguousarray(a) for a in (x, w, gy))
    geometry = _geometry_2d(p)
    dx = None
    if want_dx:
        dx = np.empty(x.shape, x.dtype)
        conv_cpu.depthwise_data_grad_2d(gy, w, dx, *geometry)
    dw = np.empty(w.shape, w.dtype)
    conv_cpu.depthwise_weight_grad_2d(x, gy, dw, *geometry)
    return dx, dw


def _pointwise(p, x):
    """A 1x1 convolution with unit stride, no padding and one group, on data computed in its own
    dtype: one GEMM per sample straight between the (C, H*W) images, no column matrix."""
    return (all(k == 1 for k in p["kernel"]) and all(s == 1 for s in p["stride"])
            and not any(p["pad"]) and p["num_group"] == 1 and compute_dtype(x.dtype) == x.dtype)


def _pointwise_forward(sc, p, x, w, bias):
    n, f = x.shape[0], p["num_filter"]
    out = sc.xp.empty((n, f) + x.shape[2:], x.dtype)
    sc.xp.matmul(w.reshape(f, -1), x.reshape(n, x.shape[1], -1), out=out.reshape(n, f, -1))
    if bias is not None:
        out += bias.reshape((1, f) + (1,) * (x.ndim - 2))
    return out


def _pointwise_backward(sc, p, x, w, gy, want_dx):
    """(dx or None, dw) of a pointwise convolution: dx per sample, dw as one GEMM over the
    batch-folded (channels, samples*positions) matrices of each chunk."""
    xp = sc.xp
    n, c, f = x.shape[0], x.shape[1], p["num_filter"]
    w2 = w.reshape(f, c)
    dx = None
    if want_dx:
        dx = xp.empty(x.shape, x.dtype)
        xp.matmul(w2.T, gy.reshape(n, f, -1), out=dx.reshape(n, c, -1))
    dw = xp.zeros((f, c), x.dtype)
    positions = prod(x.shape[2:])
    for lo, hi in chunks(n, (c + f) * positions * x.dtype.itemsize, p["workspace"]):
        xr = rows(xp, x[lo:hi], x.dtype, False, sc.workspace, "cols")
        gr = rows(xp, gy[lo:hi], x.dtype, False, sc.workspace, "rows")
        dw += gr @ xr.T
    return dx, dw


def _cache_positions(xp, spatial):
    """The positions per sample that size cache-friendly batch chunks on the CPU; None on a GPU,
    whose GEMMs want the largest chunk the workspace allows."""
    return prod(spatial) if xp is np else None


def _conv_cols(sc, p, x, out, cdt, last):
    """(lo, hi, columns) per batch chunk of ``x``, in workspace buffers, batch-last when ``last``.
    Backward builds the columns again from the current input rather than keeping forward's: an
    argument changed in place between forward and backward then gives the gradient of what
    backward sees, as for every other op, and no step holds a column matrix between calls."""
    xp, ws = sc.xp, sc.workspace
    per = x.shape[1] * prod(p["kernel"]) * prod(out)
    sizes = chunks(x.shape[0], per * cdt.itemsize, p["workspace"], _cache_positions(xp, out))
    for lo, hi in sizes:
        img = image(xp, x[lo:hi], p["pad"], cdt, last, ws)
        buf = scratch(xp, ws, "cols", (per * (hi - lo),), cdt)
        yield lo, hi, im2col(xp, img, p["kernel"], p["stride"], p["dilate"], out, buf, last)


def _groups(w, g, cdt):
    """``w`` as (groups, rows per group, cols per group) in the compute dtype."""
    return w.astype(cdt, copy=False).reshape(g, w.shape[0] // g, -1)


def _bias(p, ins, cdt):
    return None if p["no_bias"] else ins[2].astype(cdt, copy=False)


def _conv_forward(sc, p, ins):
    xp = sc.xp
    x, w = ins[0], ins[1]
    cdt = compute_dtype(x.dtype)
    n, f, g = x.shape[0], p["num_filter"], p["num_group"]
    out_sp = _conv_out(p, x.shape[2:])
    bias = _bias(p, ins, cdt)
    if _pointwise(p, x):
        return [_pointwise_forward(sc, p, x, w, bias)]
    if _depthwise(sc, p, x, w):
        return [_depthwise_forward(p, x, w, bias)]
    w3 = _groups(w, g, cdt)
    out = xp.empty((n, f) + out_sp, x.dtype)
    for lo, hi, cols in _conv_cols(sc, p, x, out_sp, cdt, batch_last(out_sp)):
        y = scratch(xp, sc.workspace, "y", w3.shape[:2] + cols.shape[1:], cdt)
        xp.matmul(w3, cols.reshape(g, -1, cols.shape[1]), out=y)  # (G, F/G, columns)
        unrows(xp, y.reshape(f, -1), out[lo:hi], batch_last(out_sp), bias)
    return [out]


def _conv_backward(sc, p, ograds, ins, outs):
    x, w, gy = ins[0], ins[1], ograds[0]
    cdt = compute_dtype(x.dtype)
    # the data gradient (a col2im pass) is skipped when nothing reads it (a network's first layer)
    want_dx = sc.grad_wanted is None or sc.grad_wanted[0]
    if p["no_bias"]:
        db = None
    else:
        db = gy.sum(axis=(0,) + tuple(range(2, gy.ndim)), dtype=cdt)
    if _pointwise(p, x):
        dx, dw = _pointwise_backward(sc, p, x, w, gy, want_dx)
    elif _depthwise(sc, p, x, w):
        dx, dw = _depthwise_backward(p, x, w, gy, want_dx)
    else:
        dx, dw = _conv_data_weight_grads(sc, p, x, w, gy, want_dx, cdt)
    grads = [dx, dw.reshape(w.shape).astype(w.dtype, copy=False)]
    if db is not None:
        grads.append(db.astype(ins[2].dtype, copy=False))
    return grads


def _conv_data_weight_grads(sc, p, x, w, gy, want_dx, cdt):
    """(dx or None, dw): dw from the rebuilt columns, dx by col2im of W^T times the gradient."""
    xp = sc.xp
    c, g = x.shape[1], p["num_group"]
    out_sp = tuple(gy.shape[2:])
    last = batch_last(out_sp)
    w3 = _groups(w, g, cdt)
    dw = xp.zeros(w3.shape, cdt)
    dx = xp.empty(x.shape, x.dtype) if want_dx else None
    padded = tuple(s + 2 * q for s, q in zip(x.shape[2:], p["pad"]))
    for lo, hi, cols in _conv_cols(sc, p, x, out_sp, cdt, last):
        g2 = rows(xp, gy[lo:hi], cdt, last, sc.workspace)             # (F, columns)
        g3 = g2.reshape(g, w3.shape[1], -1)
        cols3 = cols.reshape(g, -1, cols.shape[1])
        dw += xp.matmul(g3, cols3.transpose(0, 2, 1))
        if not want_dx:
            continue
        dcols = scratch(xp, sc.workspace, "dcols", cols3.shape, cdt)
        xp.matmul(w3.transpose(0, 2, 1), g3, out=dcols)
        res = col2im(xp, dcols, c, hi - lo, padded, p["kernel"], p["stride"], p["dilate"],
                     out_sp, cdt, last, sc.workspace)
        uncrop(xp, res, p["pad"], dx[lo:hi], last)
    return dx, dw


def _batch_fill(p, in_shapes, out_shapes):
    """The data's batch size from a known output (MXNet's shape functions assign it back): a
    convolutional RNN cell's begin state ``zeros((0, C, H, W))`` learns its batch size so."""
    data, out = in_shapes[0], out_shapes[0]
    if data is None or out is None or data[0] or not out[0]:
        return in_shapes
    return [(out[0],) + tuple(data[1:])] + list(in_shapes[1:])


register(OpDef(
    name="Convolution", params=_CONV_PARAMS, inputs=_inputs, forward=_conv_forward,
    float_inputs=FLOAT_DATA,
    backward_reads=BackwardReads(inputs=(0, 1), input_shapes=(2,)), fresh_outputs=True,
    backward=_conv_backward, infer_shape=_conv_shape, fill_inputs=_batch_fill,
    doc="N-D convolution (cross-correlation) on (N+2)-D channel-first input: out[n, f] = "
        "bias[f] + sum_c data[n, c] * weight[f, c]. Output size per axis: "
        "floor((x + 2*pad - dilate*(kernel-1) - 1) / stride) + 1. With num_group g, channel "
        "block i of data meets filter block i of weight (num_group = channels is a depthwise "
        "convolution)."))


# --------------------------------------------------------------------------------------------------
# Deconvolution: the adjoint (data gradient) of a Convolution whose weight is (C_in, F/g, *kernel).
def _deconv_pad_adj(p, spatial):
    """(pad, adj) per axis: given, or chosen to reach ``target_shape`` (deconvolution-inl.h
    InferPad: the excess over the target is split as pad = ceil(e/2), adj = e % 2)."""
    target = p["target_shape"]
    if not any(target):
        return p["pad"], p["adj"]
    if len(target) != len(p["kernel"]):
        raise MXNetError(f"Deconvolution: target_shape {target} must have one entry per kernel "
                         f"axis (kernel {p['kernel']})")
    pad, adj = [], []
    for s, dk, st, t in zip(spatial, _dilated(p), p["stride"], target):
        excess = st * (s - 1) + dk - t
        if excess < 0:
            raise MXNetError(f"Deconvolution: too big target shape: target_shape {target} exceeds "
                             f"the largest output {st * (s - 1) + dk} for input size {s}")
        pad.append((excess + 1) // 2)
        adj.append(excess % 2)
    return tuple(pad), tuple(adj)


def _deconv_out(p, spatial):
    pad, adj = _deconv_pad_adj(p, spatial)
    for i, (a, st) in enumerate(zip(adj, p["stride"])):
        if a >= st:
            raise MXNetError(f"Deconvolution: adj must be smaller than stride: adj {adj}, stride "
                             f"{p['stride']} (axis {i})")
    if len(p["kernel"]) == 3 and any(d != 1 for d in p["dilate"]):
        raise MXNetError("Deconvolution: Dilate is not supported in 3d deconvolution")
    out = tuple(st * (s - 1) + dk - 2 * q + a
                for s, dk, st, q, a in zip(spatial, _dilated(p), p["stride"], pad, adj))
    if any(o <= 0 for o in out):
        raise MXNetError(f"Deconvolution: output size {out} is not positive (input {spatial}, "
                         f"kernel {p['kernel']}, stride {p['stride']}, pad {pad})")
    return out, pad


def _deconv_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None or 0 in data:
        return list(in_shapes), [None]
    _check_data("Deconvolution", p, data)
    weight = (data[1], p["num_filter"] // p["num_group"]) + tuple(p["kernel"])
    shapes = _param_shapes("Deconvolution", p, in_shapes, weight)
    out, _ = _deconv_out(p, data[2:])
    return shapes, [(data[0], p["num_filter"]) + out]


def _deconv_forward(sc, p, ins):
    xp = sc.xp
    x, w = ins[0], ins[1]
    cdt = compute_dtype(x.dtype)
    n, c, f, g = x.shape[0], x.shape[1], p["num_filter"], p["num_group"]
    in_sp = tuple(x.shape[2:])
    last = batch_last(in_sp)
    out_sp, pad = _deconv_out(p, in_sp)
    padded = tuple(o + 2 * q for o, q in zip(out_sp, pad))
    w3 = _groups(w, g, cdt)                                        # (G, C/G, F/G * K)
    out = xp.empty((n, f) + out_sp, x.dtype)
    bias = _bias(p, ins, cdt)
    per = f * prod(p["kernel"]) * prod(in_sp) * cdt.itemsize
    for lo, hi in chunks(n, per, p["workspace"], _cache_positions(xp, in_sp)):
        xt = rows(xp, x[lo:hi], cdt, last, sc.workspace).reshape(g, c // g, -1)
        cols = scratch(xp, sc.workspace, "dcols", (g, w3.shape[2], xt.shape[2]), cdt)
        xp.matmul(w3.transpose(0, 2, 1), xt, out=cols)             # (G, F/G * K, columns)
        res = col2im(xp, cols, f, hi - lo, padded, p["kernel"], p["stride"], p["dilate"],
                     in_sp, cdt, last, sc.workspace)
        uncrop(xp, res, pad, out[lo:hi], last, bias)
    return [out]


def _deconv_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, w, gy = ins[0], ins[1], ograds[0]
    cdt = compute_dtype(x.dtype)
    n, c, g = x.shape[0], x.shape[1], p["num_group"]
    in_sp = tuple(x.shape[2:])
    last = batch_last(in_sp)
    _, pad = _deconv_out(p, in_sp)
    w3 = _groups(w, g, cdt)
    dw = xp.zeros(w3.shape, cdt)
    dx = xp.empty(x.shape, x.dtype)
    per = gy.shape[1] * prod(p["kernel"]) * prod(in_sp)
    for lo, hi in chunks(n, per * cdt.itemsize, p["workspace"], _cache_positions(xp, in_sp)):
        img = image(xp, gy[lo:hi], pad, cdt, last, sc.workspace, "gimg")
        buf = scratch(xp, sc.workspace, "cols", (per * (hi - lo),), cdt)
        cols = im2col(xp, img, p["kernel"], p["stride"], p["dilate"], in_sp, buf, last)
        cols3 = cols.reshape(g, -1, cols.shape[1])
        xt = rows(xp, x[lo:hi], cdt, last, sc.workspace).reshape(g, c // g, -1)
        dw += xp.matmul(xt, cols3.transpose(0, 2, 1))
        dxt = scratch(xp, sc.workspace, "y", (g, w3.shape[1], cols3.shape[2]), cdt)
        xp.matmul(w3, cols3, out=dxt)
        unrows(xp, dxt.reshape(c, -1), dx[lo:hi], last)
    grads = [dx, dw.reshape(w.shape).astype(w.dtype, copy=False)]
    if not p["no_bias"]:
        axes = (0,) + tuple(range(2, gy.ndim))
        grads.append(gy.sum(axis=axes, dtype=cdt).astype(ins[2].dtype, copy=False))
    return grads


register(OpDef(
    name="Deconvolution", params=_DECONV_PARAMS, inputs=_inputs, forward=_deconv_forward,
    float_inputs=FLOAT_DATA,
    backward=_deconv_backward, infer_shape=_deconv_shape,
    doc="Transposed convolution (the gradient of Convolution with respect to its input). weight is "
        "(C_in, num_filter/num_group, *kernel); output size per axis: stride*(x-1) + "
        "dilate*(kernel-1) + 1 - 2*pad + adj, or target_shape (which then picks pad and adj). "
        "no_bias defaults to True."))
