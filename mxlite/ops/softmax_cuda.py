"""GPU kernels of the softmax family (``kernels/softmax.cu``, ``kernels/softmax_output.cu``) and
their launchers: CuPy arrays in, CuPy arrays out.

Each launcher checks shapes and dtypes, views its operands as the 2-D or 3-D layout its kernel
expects (copying to C order only when an input is not contiguous), picks the launch geometry and
launches on the current stream of the arrays' device. Semantics are MXNet 1.9.x's; the ``.cu``
files name the MXNet sources they follow. The GPU overrides in ``softmax.py`` call these. Nothing
here imports CuPy at import time.
"""
import math

import numpy as np

from .cuda import (KernelSource, contiguous, dtype_suffix, grid_size, kernel_function,
                   output_like)

__all__ = ["KERNELS", "softmax_forward", "softmax_backward", "softmax_output_forward",
           "softmax_output_backward"]

KERNELS = (
    KernelSource("softmax.cu", tuple(f"{op}_{d}{v}_{{dt}}" for op in ("softmax", "log_softmax")
                                     for d in ("fwd", "bwd") for v in ("", "_axis"))),
    KernelSource("softmax_output.cu", ("softmax_output_fwd_{dt}", "softmax_output_fwd_multi_{dt}",
                                       "softmax_output_count_{dt}", "softmax_output_bwd_{dt}")),
)

_WARP_ROW_MAX_COLS = 1024  # rows up to this long get one warp each, longer ones a whole block


def _split(shape, axis):
    """(outer, axis length, inner) of ``shape`` around ``axis`` (normalised)."""
    axis = axis + len(shape) if axis < 0 else axis
    if not 0 <= axis < len(shape):
        raise ValueError(f"axis {axis} out of range for shape {shape}")
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


def _lengths(length, outer, inner):
    """Per-line lengths as contiguous int64 (the kernels' type); a null pointer when absent."""
    if length is None:
        return None, np.int32(0)
    if length.dtype.kind not in "iu":
        raise ValueError(f"softmax: length must have an integer dtype, not {length.dtype}")
    if length.size != outer * inner:
        raise ValueError(f"softmax: length has {length.size} elements, expected {outer * inner} "
                         f"(the data shape without the softmax axis)")
    return contiguous(length.astype(np.int64, copy=False)), np.int32(1)


def _row_geometry(rows, cols, device_id):
    """(grid, block) for the last-axis row kernels: a warp per short row, a block per long row."""
    if cols <= _WARP_ROW_MAX_COLS:
        rows_per_block = 4
        return (grid_size(rows, rows_per_block, device_id),), (32, rows_per_block)
    threads = 128 if cols <= 4096 else 256 if cols <= 8192 else 512
    return (grid_size(rows, 1, device_id),), (threads, 1)


def _launch_softmax(direction, arrays, shape, axis, temperature, length, log, negate):
    name = "log_softmax" if log else "softmax"
    dtype = arrays[0].dtype
    outer, axis_len, inner = _split(shape, axis)
    if outer * axis_len * inner == 0:
        return
    length_arg, use_length = _lengths(length, outer, inner)
    temperature = np.float64(1.0 if temperature is None else temperature)
    negate = np.int32(bool(negate))
    device_id = arrays[0].device.id
    with arrays[0].device:
        if inner == 1:
            fn = kernel_function("softmax.cu", f"{name}_{direction}_{dtype_suffix(dtype)}")
            grid, block = _row_geometry(outer, axis_len, device_id)
            sizes = (np.int64(outer), np.int64(axis_len))
        else:
            fn = kernel_function("softmax.cu", f"{name}_{direction}_axis_{dtype_suffix(dtype)}")
            grid, block = (grid_size(outer * inner, 256, device_id),), (256,)
            sizes = (np.int64(outer), np.int64(axis_len), np.int64(inner))
        fn(grid, block, (*arrays, length_arg, *sizes, temperature, negate, use_length))


def softmax_forward(x, axis, temperature=1.0, length=None, log=False, negate=False, out=None):
    """softmax / log_softmax / softmin of ``x`` along ``axis``; returns the output array.

    Parameters
    ----------
    x : cupy.ndarray, float16/32/64, any shape (copied to C order if it is not).
    axis : int, negative allowed.
    temperature : float or None (None means 1, as MXNet's unset value).
    length : integer cupy.ndarray with ``x.shape`` minus ``axis``, or None. Positions
        ``>= length`` are 0 (MXNet ``use_length``).
    log : True for log_softmax.
    negate : True for softmin (softmax of ``-x``).
    out : C-contiguous array like ``x`` to write into; may be ``x`` itself.
    """
    x = contiguous(x)
    out = output_like(out, x, "softmax_forward")
    _launch_softmax("fwd", (x, out), x.shape, axis, temperature, length, log, negate)
    return out


def softmax_backward(out, grad, axis, temperature=1.0, length=None, log=False, negate=False,
                     igrad=None):
    """Input gradient of softmax / log_softmax / softmin from its output ``out`` and head ``grad``.

    softmax: ``out * (grad - sum(grad * out)) / T``; log_softmax: ``(grad - exp(out) * sum(grad))
    / T`` (MXNet divides both by the temperature); softmin negates. Positions ``>= length`` get 0.
    ``igrad`` (optional, C-contiguous, like ``out``) receives the result and may alias ``grad``.
    """
    if grad.shape != out.shape or grad.dtype != out.dtype:
        raise ValueError(f"softmax_backward: grad {grad.dtype} {grad.shape} does not match "
                         f"the output {out.dtype} {out.shape}")
    out, grad = contiguous(out), contiguous(grad)
    igrad = output_like(igrad, out, "softmax_backward")
    _launch_softmax("bwd", (out, grad, igrad), out.shape, axis, temperature, length, log, negate)
    return igrad


def softmax_output_forward(data, out=None):
    """SoftmaxOutput forward: softmax over the last axis of a 2-D ``(N, K)`` array, or over axis 1
    of an ``(N, K, ...)`` array of 3 or more dims (``multi_output``).

    The op reshapes first: MXNet's default is ``(N, size / N)``, ``preserve_shape`` is
    ``(size / K, K)``, both 2-D. Returns the probabilities (``out`` if given; may be ``data``).
    """
    data = contiguous(data)
    out = output_like(out, data, "softmax_output_forward")
    if data.ndim < 2:
        raise ValueError(f"softmax_output_forward: data must be at least 2-D, got {data.shape}")
    if data.size == 0:
        return out
    sfx = dtype_suffix(data.dtype)
    device_id = data.device.id
    with data.device:
        if data.ndim == 2:
            grid, block = _row_geometry(data.shape[0], data.shape[1], device_id)
            kernel_function("softmax_output.cu", f"softmax_output_fwd_{sfx}")(
                grid, block, (data, out, np.int64(data.shape[0]), np.int64(data.shape[1])))
        else:
            n, k = data.shape[:2]
            s = data.size // (n * k)
            kernel_function("softmax_output.cu", f"softmax_output_fwd_multi_{sfx}")(
                (grid_size(n * s, 256, device_id),), (256,),
                (data, out, np.int64(n), np.int64(k), np.int64(s)))
    return out


def softmax_output_backward(prob, label, *, grad_scale=1.0, ignore_label=-1.0, use_ignore=False,
                            normalization="null", multi_output=False, smooth_alpha=0.0,
                            out_grad=False, out=None):
    """SoftmaxOutput data gradient, fused: ``(prob - onehot(int(label))) * scale`` in one kernel.

    ``prob`` is the forward output viewed 2-D ``(N, K)`` or, with ``multi_output``, ``(N, K, ...)``;
    ``label`` has ``N`` (resp. ``N * prod(...)``) elements in any shape and is cast to ``prob``'s
    dtype, as MXNet stores labels. Labels are truncated to int; one outside ``[0, K)`` subtracts 1
    nowhere; ``use_ignore`` zeroes rows labelled ``ignore_label``. Normalisation (MXNet 1.9.x
    softmax_output-inl.h): 'null' divides by 1, 'batch' by the label count, 'valid' by the count
    of labels != ignore_label (min 1, counted on the device, even without use_ignore);
    multi_output also divides by the spatial size except for 'valid'. ``smooth_alpha`` is ignored
    with multi_output, as in MXNet. ``out_grad`` multiplies by ``prob`` (MXNet's out_grad bug).
    Probability labels (label shape == data shape) are not handled here: that gradient is
    ``(prob - label) * grad_scale``.
    """
    import cupy
    if normalization not in ("null", "batch", "valid"):
        raise ValueError(f"SoftmaxOutput: normalization must be null, batch or valid, "
                         f"got {normalization!r}")
    if prob.ndim != 2 and not (multi_output and prob.ndim >= 2):
        raise ValueError(f"softmax_output_backward: prob must be 2-D (or >= 2-D with "
                         f"multi_output), got {prob.shape}")
    prob = contiguous(prob)
    n, k = prob.shape[:2]
    s = prob.size // (n * k) if prob.size else 1
    nlabel = n * s
    if label.size != nlabel:
        raise ValueError(f"SoftmaxOutput: label has {label.size} elements, expected {nlabel}")
    label = contiguous(label.astype(prob.dtype, copy=False))
    grad = output_like(out, prob, "softmax_output_backward")
    if prob.size == 0:
        return grad
    # The scale is float32 arithmetic in MXNet: grad_scale / [spatial] / count.
    scale = np.float32(grad_scale)
    if multi_output and normalization != "valid":
        scale = scale / np.float32(s)
    if normalization == "batch":
        scale = scale / np.float32(n if multi_output else nlabel)
    alpha = np.float32(0.0 if multi_output else smooth_alpha)
    # Rows are ignored when static_cast<int>(DType(ignore_label)) matches; 'valid' counts with
    # static_cast<int>(float(ignore_label)).
    ignore_grad = _int32(np.asarray(np.float32(ignore_label)).astype(prob.dtype))
    ignore_count = _int32(np.float32(ignore_label))
    sfx = dtype_suffix(prob.dtype)
    device_id = prob.device.id
    with prob.device:
        if normalization == "valid":
            count = cupy.empty(1, dtype=np.int64)
            threads = min(1024, max(32, -(-nlabel // 32) * 32))
            kernel_function("softmax_output.cu", f"softmax_output_count_{sfx}")(
                (1,), (threads,), (label, np.int64(nlabel), ignore_count, count))
        else:
            count = None  # a null pointer, never read (use_valid = 0)
        kernel_function("softmax_output.cu", f"softmax_output_bwd_{sfx}")(
            (grid_size(prob.size, 256, device_id),), (256,),
            (prob, label, grad, np.int64(n), np.int64(k), np.int64(s), scale, count,
             np.int32(normalization == "valid"), np.int32(bool(use_ignore)), ignore_grad,
             alpha, np.int32(bool(out_grad))))
    return grad


def _int32(value):
    """C's static_cast<int> of a float as the GPU does it: truncate, saturate, NaN matching
    nothing (INT_MIN, which no class index or truncated label in range can equal)."""
    value = float(value)
    if value != value:
        return np.int32(-2**31)
    return np.int32(math.trunc(min(max(value, -2.0**31), 2.0**31 - 1)))
