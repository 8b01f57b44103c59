"""Pooling: max, avg, sum and lp over 1-, 2- and 3-D windows, channel-first or channel-last.

Window rules follow MXNet 1.9.x's CPU kernels (src/operator/nn/pool.h): the window of output o
starts at o*stride - pad; max looks at real elements only (padding acts as the lowest finite value);
sum and lp add real elements; avg divides by the window clipped to [-pad, size + pad) when
count_include_pad (the default) - so 'full' windows running past the padded edge count only their
clipped part - and by the number of real elements otherwise. lp is (sum x^p)^(1/p) with p in
{1, 2, 3} and no abs (pool_utils.h). Max's gradient goes to the first maximum of each window in
row-major order (unpool_max).

The generic path, written against ``xp``, pads once and walks the prod(kernel) strided slices of the
padded input: whole-array operations, no per-pixel loops. float16 sums accumulate in float32.
Max pooling declares one hidden output that stays empty, so that the symbol JSON's node_row_ptr is
that of MXNet 1.9.1's pip (MKLDNN) build, which keeps a workspace there (``_hidden_outputs``).
"""
import itertools

import numpy as np

from ..base import MXNetError
from . import _jit, pool_cpu
from ._im2col import compute_dtype, pad_spatial, scratch, window_slices
from ._util import grad_buffer
from .params import Bool, Enum, Int, ParamSpec, Shape
from .registry import FLOAT_DATA, OpDef, register

_CHANNEL_LAST = ("NWC", "NHWC", "NDHWC")
_LAYOUTS = {3: ("NCW", "NWC"), 4: ("NCHW", "NHWC"), 5: ("NCDHW", "NDHWC")}


class _OptInt(Int):
    """An int that may be None (MXNet's dmlc::optional<int>)."""

    type_name = "int or None"

    def parse(self, value):
        return None if value is None or str(value) == "None" else super().parse(value)


class _OptBool(Bool):
    """A boolean that may be None (MXNet's dmlc::optional<bool>)."""

    type_name = "boolean or None"

    def parse(self, value):
        return None if value is None or str(value) == "None" else super().parse(value)


class _PoolSpec(ParamSpec):
    """Fills stride (1s) and pad (0s) per kernel axis and checks them, as pooling.cc's parser."""

    def parse(self, attrs, op_name):
        p = super().parse(attrs, op_name)
        nd = len(p["kernel"])
        if nd > 3 or nd == 0 and not p["global_pool"]:
            raise MXNetError(f"Pooling: kernel must have 1, 2 or 3 dimensions unless global_pool "
                             f"is set, got kernel={p['kernel']}")
        if p["pooling_convention"] == "same":
            _check_same_pad(p["pad"] or (0,) * max(nd, 1))
        for name, default in (("stride", 1), ("pad", 0)):
            if not p[name]:
                p[name] = (default,) * nd
            elif nd and len(p[name]) < nd:
                raise MXNetError(f"Pooling: {name} must have the same number of dimensions as "
                                 f"kernel, but kernel is {p['kernel']} while {name} is {p[name]}")
            elif nd:
                # the kernels read entries 0..nd-1 only, so MXNet ignores any extra ones
                p[name] = p[name][:nd]
        if any(v <= 0 for v in p["kernel"] + p["stride"]):
            raise MXNetError(f"Pooling: kernel and stride must be > 0, got kernel={p['kernel']} "
                             f"stride={p['stride']}")
        if any(v < 0 for v in p["pad"]):
            raise MXNetError(f"Pooling: pad must be >= 0, got pad={p['pad']}")
        return p


def _check_same_pad(pad):
    """pooling.cc's check for 'same': it reads pad[0], pad[1] and pad[2] whatever the kernel's
    rank, so a pad with fewer than 3 entries fails its bounds check, and any non-zero entry is
    refused."""
    if len(pad) < 3:
        raise MXNetError(f"Pooling: index = {len(pad)} must be in range [0, {len(pad)}): "
                         f"pooling_convention 'same' reads 3 pad entries, got pad={pad}")
    if any(pad[:3]):
        raise MXNetError(f"Pooling: Same pooling convention disables the use of pad parameter, "
                         f"got pad={pad}")


_POOL_PARAMS = _PoolSpec(
    Shape("kernel", (), "Pooling kernel size: (x,), (y, x) or (d, y, x)."),
    Enum("pool_type", ("avg", "lp", "max", "sum"), "max", "Pooling type to be applied."),
    Bool("global_pool", False, "Ignore kernel size, do global pooling over the whole input."),
    Bool("cudnn_off", False, "Accepted for compatibility; ignored."),
    Enum("pooling_convention", ("full", "same", "valid"), "valid",
         "valid: floor((x + 2*pad - kernel) / stride) + 1 outputs; full: ceil(...) + 1; "
         "same: ceil(x / stride) (1-D data, zero pad)."),
    Shape("stride", (), "Stride for pooling. Defaults to 1 for each dimension."),
    Shape("pad", (), "Pad for pooling. Defaults to no padding."),
    _OptInt("p_value", None, "Value of p for Lp pooling: 1, 2 or 3; required for pool_type lp."),
    _OptBool("count_include_pad", None, "avg only: count padding elements in the divisor "
                                        "(default True)."),
    Enum("layout", ("NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC"), None,
         "Data layout; default channel-first.", optional=True))


def _out_size(s, k, st, q, convention):
    if convention == "valid":
        return (s + 2 * q - k) // st + 1
    if convention == "same":
        return -(-(s + 2 * q) // st)
    return -(-(s + 2 * q - k) // st) + 1


def _geometry(p, spatial):
    """(kernel, stride, pad, out) for data spatial sizes ``spatial`` (checked)."""
    if p["global_pool"]:
        nd = len(spatial)
        return tuple(spatial), (1,) * nd, (0,) * nd, (1,) * nd
    kernel, stride, pad = p["kernel"], p["stride"], p["pad"]
    if len(kernel) != len(spatial):
        raise MXNetError(f"Pooling: data must be {len(kernel) + 2}-D for kernel {kernel}, got "
                         f"{len(spatial) + 2}-D data")
    for i, (s, k, q) in enumerate(zip(spatial, kernel, pad)):
        if q >= k:
            # pooling-inl.h checks pad < kernel: a window lying entirely in the padding has no
            # element to take (max would give the lowest float)
            raise MXNetError(f"Pooling: pad ({q}) must be smaller than the kernel ({k}) on "
                             f"spatial axis {i}, got kernel={kernel} pad={pad}")
        if k > s + 2 * q:
            raise MXNetError(f"Pooling: kernel size ({k}) exceeds input ({s} padded to "
                             f"{s + 2 * q}) on spatial axis {i}")
    out = tuple(_out_size(s, k, st, q, p["pooling_convention"])
                for s, k, st, q in zip(spatial, kernel, stride, pad))
    return kernel, stride, pad, out


def _pool_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None or 0 in data:
        return [data], [None]
    if not 3 <= len(data) <= 5:
        raise MXNetError(f"Pooling: Input data should be 3D in (batch, channel, x) Or 4D in "
                         f"(batch, channel, y, x) Or 5D in (batch, channel, d, y, x), got shape "
                         f"{tuple(data)}")
    if p["layout"] is not None and p["layout"] not in _LAYOUTS[len(data)]:
        raise MXNetError(f"Pooling: layout {p['layout']} does not fit {len(data)}-D data")
    if p["pool_type"] == "lp" and p["p_value"] is None:
        raise MXNetError("Pooling: pool_type 'lp' needs p_value")
    if p["pooling_convention"] == "same" and len(data) != 3:
        raise MXNetError(f"Pooling: Input data should be 3D in (batch, channel, x). Currently "
                         f"'same' supports Max Pooling 1-D, got shape {tuple(data)}")
    last = p["layout"] in _CHANNEL_LAST
    spatial = tuple(data[1:-1]) if last else tuple(data[2:])
    out = _geometry(p, spatial)[3]
    oshape = (data[0],) + out + (data[-1],) if last else (data[0], data[1]) + out
    return [data], [oshape]


def _positions(kernel):
    return itertools.product(*(range(k) for k in kernel))


def _padding(p, x, kernel, stride, pad, out):
    """(lo, hi) padding so that every window of the out grid lies inside the padded array."""
    hi = tuple(max(0, (o - 1) * st + k - q - s)
               for s, k, st, q, o in zip(x.shape[2:], kernel, stride, pad, out))
    return pad, hi


def _divisor(xp, p, spatial, kernel, stride, pad, out, dtype):
    """avg's per-output-position divisor: product over axes of each window's counted size."""
    include = p["count_include_pad"] is not False
    div = np.ones((), np.float64)
    for s, k, st, q, o in zip(spatial, kernel, stride, pad, out):
        start = np.arange(o) * st - q
        end = np.minimum(start + k, s + q)
        size = end - start if include else np.minimum(end, s) - np.maximum(start, 0)
        # an empty window sums nothing: any non-zero divisor gives MXNet's 0
        div = np.multiply.outer(div, np.maximum(size, 1))
    return xp.asarray(div, dtype=dtype)


def _channel_first(p, arrays):
    """Channel-last arrays as channel-first views; the kernels below see NC* only."""
    if p["layout"] in _CHANNEL_LAST:
        return [_moveaxis(a, -1, 1) for a in arrays]
    return arrays


def _lowest(dtype):
    """MXNet's max-pooling start value (MinValue<DType>): the lowest finite value."""
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _moveaxis(a, src, dst):
    axes = list(range(a.ndim))
    axes.insert(dst % a.ndim, axes.pop(src % a.ndim))
    return a.transpose(axes)


def _compiled(xp, p, x, kernel, stride):
    """Whether the compiled kernel (pool_cpu) computes the backward: host float32/float64
    channel-first 4-D data of at least MIN_SIZE elements, max pooling ('valid' or 'full', not
    global) with overlapping windows, numba on."""
    return (x.ndim == 4 and p["layout"] not in _CHANNEL_LAST
            and not p["global_pool"] and p["pool_type"] == "max"
            and p["pooling_convention"] in ("valid", "full") and x.size >= pool_cpu.MIN_SIZE
            and any(st < k for st, k in zip(stride, kernel)) and _jit.serves(xp, x))


def _planes(a):
    """A C-contiguous (N*C, H, W) view (a copy only when ``a`` is not C-contiguous)."""
    a = np.ascontiguousarray(a)
    return a.reshape(-1, a.shape[2], a.shape[3])


def _pool_forward(sc, p, ins):
    xp = sc.xp
    (x,) = _channel_first(p, [ins[0]])
    kernel, stride, pad, out = _geometry(p, x.shape[2:])
    ptype = p["pool_type"]
    cdt = x.dtype if ptype == "max" else compute_dtype(x.dtype)
    if p["global_pool"]:
        y = _global_forward(xp, p, x, cdt)
    else:
        lo, hi = _padding(p, x, kernel, stride, pad, out)
        fill = _lowest(x.dtype) if ptype == "max" else 0
        xpad = pad_spatial(xp, x, lo, hi, fill, cdt, sc.workspace)
        y = None
        power = p["p_value"] if ptype == "lp" else 1
        for pos in _positions(kernel):
            v = xpad[(slice(None), slice(None)) + window_slices(pos, stride, (1,) * len(out), out)]
            if y is None:
                y = v.copy() if power == 1 else v ** power
            elif ptype == "max":
                xp.maximum(y, v, out=y)
            else:
                y += v if power == 1 else v ** power
        if ptype == "avg":
            y /= _divisor(xp, p, x.shape[2:], kernel, stride, pad, out, cdt)
        elif ptype == "lp":
            y = _root(xp, y, p["p_value"])
    y = y.astype(x.dtype, copy=False)
    if p["layout"] in _CHANNEL_LAST:
        y = xp.ascontiguousarray(_moveaxis(y, 1, -1))
    return [y]


def _root(xp, s, power):
    if power not in (1, 2, 3):
        raise MXNetError(f"Pooling: p_value={power} is not supported yet (1, 2 or 3)")
    return s if power == 1 else xp.sqrt(s) if power == 2 else xp.cbrt(s)


def _global_forward(xp, p, x, cdt):
    axes = tuple(range(2, x.ndim))
    ptype = p["pool_type"]
    if ptype == "max":
        return x.max(axis=axes, keepdims=True)
    if ptype == "lp":
        return _root(xp, (x.astype(cdt) ** p["p_value"]).sum(axis=axes, keepdims=True),
                     p["p_value"])
    y = x.sum(axis=axes, keepdims=True, dtype=cdt)
    return y / np.prod(x.shape[2:]) if ptype == "avg" else y


def _pool_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    x, g, y = _channel_first(p, [ins[0], ograds[0], outs[0]])
    kernel, stride, pad, out = _geometry(p, x.shape[2:])
    if _compiled(xp, p, x, kernel, stride) and g.dtype == y.dtype == x.dtype:
        dx = grad_buffer(sc, 0, x.shape, x.dtype)
        if dx is None:
            dx = np.empty(x.shape, x.dtype)
        pool_cpu.max_backward(_planes(x), _planes(y), _planes(g), dx.reshape(-1, *x.shape[2:]),
                              kernel[0], kernel[1], stride[0], stride[1], pad[0], pad[1])
        return [dx]
    ptype = p["pool_type"]
    cdt = compute_dtype(x.dtype)
    if p["global_pool"]:
        dx = _global_backward(xp, p, x, g, y, cdt)
    else:
        lo, hi = _padding(p, x, kernel, stride, pad, out)
        fill = _lowest(x.dtype) if ptype == "max" else 0
        xpad = pad_spatial(xp, x, lo, hi, fill, x.dtype if ptype == "max" else cdt,
                           sc.workspace)
        # dpad is returned as it is only when nothing is cropped, cast or transposed afterwards
        returned = (not any(lo) and not any(hi) and cdt == x.dtype
                    and p["layout"] not in _CHANNEL_LAST)
        if returned:
            dpad = xp.zeros(xpad.shape, cdt)
        else:
            dpad = scratch(xp, sc.workspace, "dpad", xpad.shape, cdt)
            dpad.fill(0)
        g = g.astype(cdt, copy=False)
        if ptype == "max":
            _max_backward(xp, sc.workspace, xpad, dpad, g, y, kernel, stride, out)
        else:
            _sum_backward(xp, p, xpad, dpad, g, y.astype(cdt, copy=False), kernel, stride, pad,
                          out, x.shape[2:])
        del xpad  # freed before the cropped copy below: two padded images, not three
        dx = dpad[(slice(None), slice(None)) + tuple(slice(a, a + s)
                                                     for a, s in zip(lo, x.shape[2:]))]
    # contiguous, and a real array (not a broadcast or padded view)
    dx = xp.ascontiguousarray(dx.astype(x.dtype, copy=False))
    if p["layout"] in _CHANNEL_LAST:
        dx = xp.ascontiguousarray(_moveaxis(dx, 1, -1))
    return [dx]


def _max_backward(xp, workspace, xpad, dpad, g, y, kernel, stride, out):
    """Each window's gradient to its first element equal to the max (pool.h unpool_max)."""
    ones = (1,) * len(out)
    disjoint = all(st >= k for st, k in zip(stride, kernel))
    positions = list(_positions(kernel))
    hit = scratch(xp, workspace, "hit", y.shape, np.dtype(bool))
    free = scratch(xp, workspace, "free", y.shape, np.dtype(bool))  # first max still to be found
    for i, pos in enumerate(positions):
        sl = (slice(None), slice(None)) + window_slices(pos, stride, ones, out)
        xp.equal(xpad[sl], y, out=hit)
        if i == 0:
            xp.logical_not(hit, out=free)
        else:
            xp.logical_and(hit, free, out=hit)
            if i < len(positions) - 1:
                xp.logical_xor(free, hit, out=free)
        dst = dpad[sl]
        if disjoint:
            # each element lies in one window only: write instead of read-add-write
            xp.multiply(g, hit, out=dst)
        else:
            dst += g * hit


def _sum_backward(xp, p, xpad, dpad, g, y, kernel, stride, pad, out, spatial):
    """avg/sum/lp: every element of a window gets the window's gradient (lp: times d out/d x)."""
    ptype, power = p["pool_type"], p["p_value"]
    if ptype == "avg":
        g = g / _divisor(xp, p, spatial, kernel, stride, pad, out, g.dtype)
    elif ptype == "lp" and power in (2, 3):
        # d/dx (sum x^p)^(1/p) = (x / out)^(p-1); zero where the output underflowed (pool_utils.h)
        nz = y != 0
        g = xp.where(nz, g / xp.where(nz, y, 1) ** (power - 1), 0)
    ones = (1,) * len(out)
    disjoint = all(st >= k for st, k in zip(stride, kernel))
    for pos in _positions(kernel):
        sl = (slice(None), slice(None)) + window_slices(pos, stride, ones, out)
        dst = dpad[sl]
        if ptype == "lp" and power in (2, 3):
            value = g * xpad[sl] ** (power - 1)
        else:
            value = g
        if disjoint:
            xp.copyto(dst, value)
        else:
            dst += value


def _global_backward(xp, p, x, g, y, cdt):
    """Global pooling's gradient without walking the window: each plane is one window."""
    axes = (x.shape[0], x.shape[1], 1)
    g = g.astype(cdt, copy=False).reshape(axes)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    ptype, power = p["pool_type"], p["p_value"]
    if ptype == "max":
        # first maximum of each (sample, channel) plane
        first = flat.argmax(axis=-1)[..., None]
        dx = (xp.arange(flat.shape[-1]).reshape(1, 1, -1) == first) * g
    elif ptype == "avg":
        dx = xp.broadcast_to(g / flat.shape[-1], flat.shape)
    elif ptype == "lp" and power in (2, 3):
        y = y.astype(cdt, copy=False).reshape(axes)
        nz = y != 0
        scale = xp.where(nz, g / xp.where(nz, y, 1) ** (power - 1), 0)
        dx = scale * flat.astype(cdt) ** (power - 1)
    else:
        dx = xp.broadcast_to(g, flat.shape)
    return dx.reshape(x.shape)


def _hidden_outputs(p):
    """MXNet 1.9.1's pip build (MKLDNN) gives max pooling a hidden workspace output, which shows in
    the symbol JSON's node_row_ptr (mkldnn_pooling-inl.h); mxlite keeps the count so its JSON is
    MXNet's text. The slot stays empty: the forward computes only the visible output."""
    return 1 if p["pool_type"] == "max" else 0


register(OpDef(
    name="Pooling", params=_POOL_PARAMS, forward=_pool_forward, backward=_pool_backward,
    float_inputs=FLOAT_DATA,
    infer_shape=_pool_shape, num_hidden_outputs=_hidden_outputs,
    doc="Pooling over 1-D, 2-D or 3-D windows: max, avg, sum, or lp ((sum x^p)^(1/p)). Output "
        "size per axis: valid floor((x + 2*pad - kernel)/stride) + 1, full ceil(...) + 1; "
        "global_pool reduces each whole plane to 1. Max sends the gradient to the first maximum."))
