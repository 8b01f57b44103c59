"""Windowing kernels shared by Convolution, Deconvolution and Pooling (this module declares no op).

All of it is written against the array module ``xp`` (numpy or cupy):

* ``pad_spatial`` pads an (N, C, *S) image, keeping the padded buffer between calls;
* ``window_slices`` selects, for one kernel offset, the input element of every output window;
* ``im2col`` copies every receptive field of the zero-padded input, through one strided view, into
  a column matrix (C*prod(kernel), columns) - rows ordered (channel, kernel offsets) - so a grouped
  convolution is a single batched GEMM;
* ``col2im`` is its adjoint, a scatter-add done as prod(kernel) additions of strided slices.

Both copies walk contiguous runs of one output row (out_width elements); numpy's per-run overhead
dominates when rows are short. There the image is held as (C, *spatial, n), the batch innermost,
and the columns are ordered (output position, sample): with a unit stride the runs become
out_width*n long. That layout costs transposes of the input and output, which numpy does slowly for
large planes, so it is used only for narrow outputs (``batch_last``); otherwise images stay
(n, C, *spatial) and columns are ordered (sample, output position).
"""
import itertools

import numpy as np

from ._util import prod

__all__ = ["compute_dtype", "pad_spatial", "window_slices", "scratch", "batch_last",
           "image", "rows", "unrows", "im2col", "col2im", "uncrop", "prod", "chunks"]

def compute_dtype(dtype):
    """The dtype arithmetic runs in: float32 for float16 (MXNet's accumulation type), else
    ``dtype``."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def _buffer(xp, workspace, key, shape, dtype, tag=None):
    """``(array, fresh)``: a temporary from the executor's ``Workspace`` (``mxlite.memory``), or a
    new array when there is none (imperative calls). ``fresh`` says whether the contents are other
    than what the last request with the same ``tag`` left there."""
    if workspace is None:
        return xp.empty(shape, dtype), True
    return workspace.get(xp, key, shape, dtype, tag)


def pad_spatial(xp, x, lo, hi, fill, dtype, workspace=None, key="pad"):
    """``x`` (N, C, *S) padded with ``fill`` by ``lo``/``hi`` per spatial axis, in ``dtype``.

    Returns ``x`` itself when nothing is to be done. Otherwise the padded buffer comes from the
    workspace: while the same padding reuses it, its border is intact and only the interior is
    copied.
    """
    if not any(lo) and not any(hi) and x.dtype == dtype:
        return x
    shape = x.shape[:2] + tuple(s + a + b for s, a, b in zip(x.shape[2:], lo, hi))
    buf, fresh = _buffer(xp, workspace, key, shape, dtype, ("pad", tuple(lo), tuple(hi), fill))
    if fresh:
        buf.fill(fill)
    buf[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[2:]))] = x
    return buf


def window_slices(pos, stride, dilate, out):
    """Slices selecting, for kernel offset ``pos``, the input element of every output window."""
    return tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                 for k, s, d, o in zip(pos, stride, dilate, out))


def scratch(xp, workspace, key, shape, dtype):
    """An uninitialised ``shape`` array for temporaries, from the executor's workspace when there
    is one: fresh large arrays cost a page fault per 4 KiB each time, which in a LeNet step adds
    up to a quarter of the run time. Never return one from an op: the next step reuses it."""
    return _buffer(xp, workspace, key, shape, dtype)[0]


def batch_last(out_sp):
    """Whether the columns put the batch innermost: for output rows shorter than 16 elements."""
    return out_sp[-1] < 16


def image(xp, x, pad, dtype, batch_last, workspace=None, key="img"):
    """``x`` (n, C, *S) zero-padded, in ``dtype``, as (n, C, *S') or (when ``batch_last``)
    (C, *S', n). While the workspace buffer keeps the same padding only its interior is
    rewritten."""
    if not batch_last and not any(pad) and x.dtype == dtype:
        return x
    n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
    padded = tuple(s + 2 * q for s, q in zip(spatial, pad))
    shape = (c,) + padded + (n,) if batch_last else (n, c) + padded
    buf, fresh = _buffer(xp, workspace, key, shape, dtype, ("img", tuple(pad), batch_last))
    if fresh and any(pad):
        buf.fill(0)
    inner = tuple(slice(q, q + s) for q, s in zip(pad, spatial))
    if batch_last:
        xp.copyto(buf[(slice(None),) + inner + (slice(None),)], xp.moveaxis(x, 0, -1))
    else:
        xp.copyto(buf[(slice(None), slice(None)) + inner], x)
    return buf


def rows(xp, a, dtype, batch_last, workspace=None, key="rows"):
    """``a`` (n, R, *S) as the (R, n*prod(S)) matrix whose columns follow the column order (in a
    workspace buffer)."""
    if batch_last:
        return image(xp, a, (0,) * (a.ndim - 2), dtype, True, workspace, key).reshape(
            a.shape[1], -1)
    res = scratch(xp, workspace, key, (a.shape[1], a.shape[0]) + a.shape[2:], dtype)
    xp.copyto(res, a.swapaxes(0, 1))
    return res.reshape(a.shape[1], -1)


def unrows(xp, rows, out, batch_last, bias=None):
    """Inverse of ``rows``: write the (R, columns) matrix into ``out`` (n, R, *S), plus
    ``bias``."""
    r, n, spatial = out.shape[1], out.shape[0], out.shape[2:]
    if batch_last:
        xp.copyto(out, xp.moveaxis(rows.reshape((r,) + spatial + (n,)), -1, 0))
    else:
        xp.copyto(out, rows.reshape((r, n) + spatial).swapaxes(0, 1))
    if bias is not None:
        # a separate in-place add: one ufunc over the transposed source and the broadcast bias
        # iterates in a cache-hostile order (10x slower in numpy)
        out += bias.reshape((1, -1) + (1,) * (out.ndim - 2))


def im2col(xp, img, kernel, stride, dilate, out, buf, batch_last):
    """Columns (C*prod(kernel), n*prod(out)) of the padded image ``img``, in ``buf``."""
    st = img.strides
    if batch_last:
        c, n, sc, sn, spatial = img.shape[0], img.shape[-1], st[0], st[-1], st[1:-1]
    else:
        n, c, sn, sc, spatial = img.shape[0], img.shape[1], st[0], st[1], st[2:]
    win = tuple(s * d for s, d in zip(spatial, dilate))
    step = tuple(s * k for s, k in zip(spatial, stride))
    if batch_last:
        shape, strides = (c,) + kernel + out + (n,), (sc,) + win + step + (sn,)
    else:
        shape, strides = (c,) + kernel + (n,) + out, (sc,) + win + (sn,) + step
    cols = buf.reshape(shape)
    xp.copyto(cols, xp.lib.stride_tricks.as_strided(img, shape, strides))
    return cols.reshape(c * prod(kernel), -1)


def col2im(xp, cols, c, n, padded, kernel, stride, dilate, out, dtype, batch_last,
           workspace=None):
    """Adjoint of ``im2col``: sums the columns back into a zero image of ``padded`` size (a
    workspace buffer)."""
    if batch_last:
        res = scratch(xp, workspace, "col2im", (c,) + padded + (n,), dtype)
        blocks = cols.reshape((c,) + kernel + out + (n,))
    else:
        res = scratch(xp, workspace, "col2im", (n, c) + padded, dtype)
        blocks = cols.reshape((c,) + kernel + (n,) + out)
    res.fill(0)
    for pos in itertools.product(*(range(k) for k in kernel)):
        win = window_slices(pos, stride, dilate, out)
        if batch_last:
            dst = res[(slice(None),) + win + (slice(None),)]
            dst += blocks[(slice(None),) + pos]
        else:
            dst = res[(slice(None), slice(None)) + win]
            dst += blocks[(slice(None),) + pos].swapaxes(0, 1)
    return res


def uncrop(xp, res, pad, out, batch_last, bias=None):
    """Write the unpadded interior of a ``col2im`` image into ``out`` (n, C, *S), plus ``bias``."""
    inner = tuple(slice(q, q + s) for q, s in zip(pad, out.shape[2:]))
    if batch_last:
        xp.copyto(out, xp.moveaxis(res[(slice(None),) + inner + (slice(None),)], -1, 0))
    else:
        xp.copyto(out, res[(slice(None), slice(None)) + inner])
    if bias is not None:
        out += bias.reshape((1, -1) + (1,) * (out.ndim - 2))


#: Column matrices are built for this many bytes of samples at a time at most, whatever the op's
#: ``workspace`` allows: a whole batch's columns (9x the input of a 3x3 convolution) would dominate
#: a training step's peak memory.
COLUMN_BYTES = 16 << 20

#: On the CPU a chunk's column matrix is kept to about this size, so that it is still in cache
#: when the GEMM reads it (ResNet's 3x3 layers, batch 32: one 56x56 sample per chunk ran 1.25x
#: faster than two) ...
CACHE_BYTES = 4 << 20
#: ... unless that leaves fewer columns than the GEMMs need to run near their peak rate.
GEMM_COLUMNS = 2048


def chunks(n, per_sample_bytes, workspace_mb, positions=None):
    """Batch ranges for the column matrix, within the workspace and ``COLUMN_BYTES`` (at least one
    sample each). With ``positions`` (output positions per sample; the CPU) a chunk holds no more
    samples than fit in ``CACHE_BYTES`` or give ``GEMM_COLUMNS`` columns, whichever is more."""
    per_sample_bytes = max(1, per_sample_bytes)
    step = max(1, min(workspace_mb << 20, COLUMN_BYTES) // per_sample_bytes)
    if positions:
        wanted = max(-(-GEMM_COLUMNS // positions), CACHE_BYTES // per_sample_bytes)
        step = min(step, max(1, wanted))
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)]
