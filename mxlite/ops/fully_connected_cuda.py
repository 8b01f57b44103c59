"""GPU kernel of FullyConnected's backward (``kernels/fully_connected.cu``) and its launcher.

One pass over the head gradient gives the bias gradient (a deterministic column sum) and, fused
with an activation's derivative read from its output, the gradient of the FullyConnected output:
the backward fusion ``fully_connected.py`` declares. The data and weight gradients stay with
cuBLAS. Nothing here imports CuPy at import time.
"""
import numpy as np

from .cuda import (KernelSource, contiguous, dtype_suffix, grid_size, kernel_function,
                   output_like, sm_count)

__all__ = ["KERNELS", "FUSABLE_ACTS", "fc_backward_fused"]

#: activations whose derivative the kernel fuses with the bias gradient
FUSABLE_ACTS = ("relu", "sigmoid", "tanh", "softrelu")

KERNELS = (
    KernelSource("fully_connected.cu", tuple(f"fc_bias_bwd_{a}_{{dt}}" for a in
                                             ("identity",) + FUSABLE_ACTS + ("finalize",))),
)

_FC_ACTS = {None: "identity", "identity": "identity", "relu": "relu", "sigmoid": "sigmoid",
            "tanh": "tanh", "softrelu": "softrelu"}


def fc_backward_fused(grad, y, act, d_out=None, db_out=None):
    """Backward of ``y = act(FullyConnected(...))`` up to the GEMMs: returns ``(d_fc, dbias)``.

    ``d_fc = grad * act'(y)`` with act' from the activation output (relu ``y > 0``, sigmoid
    ``y(1-y)``, tanh ``1-y^2``, softrelu ``1-exp(-y)``) and ``dbias = d_fc`` summed over every axis
    but the last, both in one pass over memory; the column sums are deterministic (fixed-order
    two-pass reduction). ``grad`` and ``y``: same shape ``(..., H)`` and dtype. ``act`` None or
    'identity' returns ``grad`` itself as ``d_fc`` (no copy unless ``d_out`` is given; ``y`` is
    not read). The weight and data gradients stay with cuBLAS: ``dW = d_fc.T @ x``,
    ``dx = d_fc @ W``. ``d_out`` (may alias ``grad``) and ``db_out`` receive the results if given.
    """
    import cupy
    if act not in _FC_ACTS:
        raise ValueError(f"fc_backward_fused: act must be one of identity, relu, sigmoid, tanh, "
                         f"softrelu, got {act!r}")
    act = _FC_ACTS[act]
    grad = contiguous(grad)
    if grad.ndim < 1:
        raise ValueError("fc_backward_fused: grad must be at least 1-D")
    identity = act == "identity"
    if identity:
        y, d = grad, grad
        if d_out is not None:
            d = output_like(d_out, grad, "fc_backward_fused")
            cupy.copyto(d, grad)
    else:
        if y is None or y.shape != grad.shape or y.dtype != grad.dtype:
            raise ValueError(f"fc_backward_fused: y must match grad {grad.dtype} {grad.shape}")
        y = contiguous(y)
        d = output_like(d_out, grad, "fc_backward_fused")
    cols = grad.shape[-1]
    rows = grad.size // cols if cols else 0
    if db_out is None:
        db = cupy.empty((cols,), dtype=grad.dtype)
    elif db_out.shape != (cols,) or db_out.dtype != grad.dtype:
        raise ValueError(f"fc_backward_fused: db_out must be {grad.dtype} ({cols},), "
                         f"got {db_out.dtype} {db_out.shape}")
    else:
        db = db_out
    if rows == 0 or cols == 0:
        db.fill(0)
        return d, db
    sfx = dtype_suffix(grad.dtype)
    acc = np.float64 if grad.dtype == np.float64 else np.float32
    device_id = grad.device.id
    tiles = -(-cols // 32)
    # Enough row chunks to fill the GPU, but at least 64 rows per chunk to amortise the partials.
    nchunks = max(1, min(-(-sm_count(device_id) * 4 // tiles), -(-rows // 64), 65535))
    rows_per_chunk = -(-rows // nchunks)
    rows_per_chunk = -(-rows_per_chunk // 8) * 8
    nchunks = -(-rows // rows_per_chunk)
    with grad.device:
        # direct (one chunk): the kernel writes db itself and never reads partial
        partial = None if nchunks == 1 else cupy.empty((nchunks, cols), dtype=acc)
        kernel_function("fully_connected.cu", f"fc_bias_bwd_{act}_{sfx}")(
            (tiles, nchunks), (32, 8),
            (grad, y, d, partial, db, np.int64(rows), np.int64(cols), np.int64(rows_per_chunk),
             np.int32(not identity), np.int32(nchunks == 1)))
        if nchunks > 1:
            kernel_function("fully_connected.cu", f"fc_bias_bwd_finalize_{sfx}")(
                (grid_size(cols, 256, device_id),), (256,),
                (partial, db, np.int64(nchunks), np.int64(cols)))
    return d, db
