"""Convolution and Deconvolution (transposed convolution): 1-, 2- and 3-D kernels, channel-first.

Both ops share one im2col kernel written against the array module ``xp`` (numpy or cupy):

* ``_im2col`` copies every receptive field of the zero-padded input, through one strided view, into
  a column matrix of shape (C*prod(kernel), n*prod(out)) - rows ordered (channel, kernel offsets),
  columns (sample, output position) - so a grouped convolution is a single batched GEMM;
* ``_col2im`` is its adjoint, a scatter-add done as prod(kernel) additions of strided slices.

Convolution's forward is im2col + GEMM and its data gradient GEMM + col2im; Deconvolution is the
same pair used the other way round (its forward is Convolution's data gradient). float16 is computed
in float32. As in MXNet's CPU code, ``workspace`` (MB) bounds the column matrix: the batch runs in
chunks that fit.
"""
import itertools

import numpy as np

from ..base import MXNetError
from .params import Bool, Enum, Int, ParamSpec, Shape
from .registry import OpDef, register

__all__ = ["pad_spatial", "compute_dtype", "window_slices"]

# Scratch arrays (padded input, column matrix) up to this size stay in the step's state between
# calls, so a training step allocates them once and backward reuses forward's columns; larger ones
# are freed after use.
KEEP_BYTES = 64 << 20


def compute_dtype(dtype):
    """The dtype arithmetic runs in: float32 for float16 (MXNet's accumulation type), else
    ``dtype``."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def pad_spatial(xp, x, lo, hi, fill, dtype, state=None, key="pad"):
    """``x`` (N, C, *S) padded with ``fill`` by ``lo``/``hi`` per spatial axis, in ``dtype``.

    Returns ``x`` itself when nothing is to be done. Otherwise the padded buffer is kept in
    ``state`` (when small): its border never changes, so later calls only copy the interior.
    """
    if not any(lo) and not any(hi) and x.dtype == dtype:
        return x
    shape = x.shape[:2] + tuple(s + a + b for s, a, b in zip(x.shape[2:], lo, hi))
    buf = state.get(key) if state is not None else None
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = xp.full(shape, fill, dtype)
        if state is not None and buf.nbytes <= KEEP_BYTES:
            state[key] = buf
    buf[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[2:]))] = x
    return buf


def window_slices(pos, stride, dilate, out):
    """Slices selecting, for kernel offset ``pos``, the input element of every output window."""
    return tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                 for k, s, d, o in zip(pos, stride, dilate, out))


def _scratch(xp, state, key, size, dtype):
    """A flat scratch array of at least ``size`` elements, kept in ``state`` when small."""
    buf = state.get(key)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = xp.empty(size, dtype)
        if buf.nbytes <= KEEP_BYTES:
            state[key] = buf
    return buf[:size]


def _im2col(xp, xpad, kernel, stride, dilate, out, buf):
    """Columns (C*prod(kernel), n*prod(out)) of the padded input ``xpad`` (n, C, *S), in ``buf``."""
    n, c = xpad.shape[:2]
    spatial = xpad.strides[2:]
    shape = (c,) + tuple(kernel) + (n,) + tuple(out)
    strides = ((xpad.strides[1],) + tuple(s * d for s, d in zip(spatial, dilate))
               + (xpad.strides[0],) + tuple(s * st for s, st in zip(spatial, stride)))
    view = xp.lib.stride_tricks.as_strided(xpad, shape, strides)
    cols = buf.reshape(shape)
    xp.copyto(cols, view)
    return cols.reshape(c * _prod(kernel), n * _prod(out))


def _col2im(xp, cols, n, c, padded, kernel, stride, dilate, out, dtype):
    """Adjoint of ``_im2col``: sums the columns back into a zero (n, c, *padded) array."""
    res = xp.zeros((n, c) + tuple(padded), dtype)
    blocks = cols.reshape((c,) + tuple(kernel) + (n,) + tuple(out))
    for pos in itertools.product(*(range(k) for k in kernel)):
        dst = res[(slice(None), slice(None)) + window_slices(pos, stride, dilate, out)]
        dst += xp.moveaxis(blocks[(slice(None),) + pos], 0, 1)
    return res


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _chunks(n, per_sample_bytes, workspace_mb):
    """Batch ranges whose column matrix fits in the workspace (at least one sample each)."""
    step = max(1, (workspace_mb << 20) // max(1, per_sample_bytes))
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)]


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
        Int("num_filter", doc="Convolution filter (channel) number."),
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


def _fmt(shape):
    return "(" + ",".join(str(d) for d in shape) + ")"


def _check_given(op_name, what, given, inferred):
    if given is not None and tuple(given) != tuple(inferred):
        raise MXNetError(f"{op_name}: Shape inconsistent for {what}, Provided = "
                         f"[{','.join(map(str, given))}], inferred shape={_fmt(inferred)}")


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
                         f"{p['kernel']}, got data shape {_fmt(data)}")
    if p["num_filter"] % p["num_group"]:
        raise MXNetError(f"{op_name}: output num_filter must divide group size: num_filter="
                         f"{p['num_filter']}, num_group={p['num_group']}")
    if data[1] % p["num_group"]:
        raise MXNetError(f"{op_name}: input num_filter must divide group size: data has "
                         f"{data[1]} channels (data shape {_fmt(data)}), num_group="
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


def _conv_cols(sc, p, x, out, cdt):
    """(lo, hi, columns) per batch chunk of ``x``. A single small chunk's columns stay in the state
    for backward's weight gradient (backward always follows the latest forward on its inputs)."""
    xp, state = sc.xp, sc.state
    per = x.shape[1] * _prod(p["kernel"]) * _prod(out)
    chunks = _chunks(x.shape[0], per * cdt.itemsize, p["workspace"])
    single = len(chunks) == 1
    state.pop("cols_for", None)
    for lo, hi in chunks:
        xpad = pad_spatial(xp, x[lo:hi], p["pad"], p["pad"], 0, cdt, state if single else None)
        buf = _scratch(xp, state, "cols", per * (hi - lo), cdt)
        cols = _im2col(xp, xpad, p["kernel"], p["stride"], p["dilate"], out, buf)
        if single and "cols" in state:
            state["cols_for"], state["cols_mat"] = x.shape, cols
        yield lo, hi, cols


def _groups(w, g, cdt):
    """``w`` as (groups, rows per group, cols per group) in the compute dtype."""
    return w.astype(cdt, copy=False).reshape(g, w.shape[0] // g, -1)


def _conv_forward(sc, p, ins):
    xp = sc.xp
    x, w = ins[0], ins[1]
    cdt = compute_dtype(x.dtype)
    n, f, g = x.shape[0], p["num_filter"], p["num_group"]
    out_sp = _conv_out(p, x.shape[2:])
    w3 = _groups(w, g, cdt)
    out = xp.empty((n, f) + out_sp, x.dtype)
    bias = None if p["no_bias"] else ins[2].astype(cdt, copy=False).reshape(1, f, 1)
    for lo, hi, cols in _conv_cols(sc, p, x, out_sp, cdt):
        y = xp.matmul(w3, cols.reshape(g, -1, cols.shape[1])).reshape(f, hi - lo, -1)
        dst = out[lo:hi].reshape(hi - lo, f, -1)
        # one pass writes the (sample, filter) order and adds the bias
        if bias is None:
            xp.copyto(dst, y.transpose(1, 0, 2))
        else:
            xp.add(y.transpose(1, 0, 2), bias, out=dst)
    return [out]


def _filters_first(xp, a, cdt):
    """(N, F, *sp) as a contiguous (F, N, prod(sp)) array in the compute dtype."""
    res = xp.empty((a.shape[1], a.shape[0], _prod(a.shape[2:])), cdt)
    xp.copyto(res, a.reshape(a.shape[0], a.shape[1], -1).transpose(1, 0, 2))
    return res


def _conv_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, w = ins[0], ins[1]
    cdt = compute_dtype(x.dtype)
    n, c, g = x.shape[0], x.shape[1], p["num_group"]
    out_sp = tuple(ograds[0].shape[2:])
    gt = _filters_first(xp, ograds[0], cdt)                       # (F, N, P)
    w3 = _groups(w, g, cdt)
    dw = xp.zeros(w3.shape, cdt)
    dx = xp.empty(x.shape, x.dtype)
    padded = tuple(s + 2 * q for s, q in zip(x.shape[2:], p["pad"]))
    inner = tuple(slice(q, q + s) for q, s in zip(p["pad"], x.shape[2:]))
    if sc.state.get("cols_for") == x.shape:
        chunks = [(0, n, sc.state["cols_mat"])]
    else:
        chunks = _conv_cols(sc, p, x, out_sp, cdt)
    for lo, hi, cols in chunks:
        g3 = gt[:, lo:hi].reshape(g, w3.shape[1], -1)
        cols3 = cols.reshape(g, -1, cols.shape[1])
        dw += xp.matmul(g3, cols3.transpose(0, 2, 1))
        dcols = xp.matmul(w3.transpose(0, 2, 1), g3)
        res = _col2im(xp, dcols, hi - lo, c, padded, p["kernel"], p["stride"], p["dilate"],
                      out_sp, cdt)
        xp.copyto(dx[lo:hi], res[(slice(None), slice(None)) + inner])
    grads = [dx, dw.reshape(w.shape).astype(w.dtype, copy=False)]
    if not p["no_bias"]:
        grads.append(gt.reshape(gt.shape[0], -1).sum(axis=1).astype(ins[2].dtype, copy=False))
    return grads


register(OpDef(
    name="Convolution", params=_CONV_PARAMS, inputs=_inputs, forward=_conv_forward,
    backward=_conv_backward, infer_shape=_conv_shape,
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
    out_sp, pad = _deconv_out(p, x.shape[2:])
    padded = tuple(o + 2 * q for o, q in zip(out_sp, pad))
    inner = tuple(slice(q, q + o) for q, o in zip(pad, out_sp))
    w3 = _groups(w, g, cdt)                                        # (G, C/G, F/G * K)
    xt = _filters_first(xp, x, cdt)                                # (C, N, P)
    out = xp.empty((n, f) + out_sp, x.dtype)
    per = f * _prod(p["kernel"]) * _prod(x.shape[2:]) * cdt.itemsize
    bias = (None if p["no_bias"]
            else ins[2].astype(cdt, copy=False).reshape((1, f) + (1,) * len(out_sp)))
    for lo, hi in _chunks(n, per, p["workspace"]):
        cols = xp.matmul(w3.transpose(0, 2, 1), xt[:, lo:hi].reshape(g, c // g, -1))
        res = _col2im(xp, cols, hi - lo, f, padded, p["kernel"], p["stride"], p["dilate"],
                      x.shape[2:], cdt)[(slice(None), slice(None)) + inner]
        if bias is None:
            xp.copyto(out[lo:hi], res)
        else:
            xp.add(res, bias, out=out[lo:hi])
    return [out]


def _deconv_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, w = ins[0], ins[1]
    gy = ograds[0]
    cdt = compute_dtype(x.dtype)
    n, c, g = x.shape[0], x.shape[1], p["num_group"]
    in_sp = tuple(x.shape[2:])
    _, pad = _deconv_out(p, in_sp)
    w3 = _groups(w, g, cdt)
    xt = _filters_first(xp, x, cdt)
    dw = xp.zeros(w3.shape, cdt)
    dx = xp.empty(x.shape, x.dtype)
    per = gy.shape[1] * _prod(p["kernel"]) * _prod(in_sp)
    for lo, hi in _chunks(n, per * cdt.itemsize, p["workspace"]):
        gpad = pad_spatial(xp, gy[lo:hi], pad, pad, 0, cdt)
        buf = _scratch(xp, sc.state, "cols", per * (hi - lo), cdt)
        cols3 = _im2col(xp, gpad, p["kernel"], p["stride"], p["dilate"], in_sp, buf)
        cols3 = cols3.reshape(g, -1, cols3.shape[1])
        x3 = xt[:, lo:hi].reshape(g, c // g, -1)
        dw += xp.matmul(x3, cols3.transpose(0, 2, 1))
        dxt = xp.matmul(w3, cols3).reshape(c, hi - lo, -1)
        xp.copyto(dx[lo:hi].reshape(hi - lo, c, -1), dxt.transpose(1, 0, 2))
    grads = [dx, dw.reshape(w.shape).astype(w.dtype, copy=False)]
    if not p["no_bias"]:
        axes = (0,) + tuple(range(2, gy.ndim))
        grads.append(gy.sum(axis=axes, dtype=cdt).astype(ins[2].dtype, copy=False))
    return grads


register(OpDef(
    name="Deconvolution", params=_DECONV_PARAMS, inputs=_inputs, forward=_deconv_forward,
    backward=_deconv_backward, infer_shape=_deconv_shape,
    doc="Transposed convolution (the gradient of Convolution with respect to its input). weight is "
        "(C_in, num_filter/num_group, *kernel); output size per axis: stride*(x-1) + "
        "dilate*(kernel-1) + 1 - 2*pad + adj, or target_shape (which then picks pad and adj). "
        "no_bias defaults to True."))
