"""NumPy float64 references for the join family: SliceChannel (``split``) and _split_v2
(Concat and stack are ``np.concatenate``/``np.stack`` inline in the cases)."""
import numpy as np


def split(x, num_outputs, axis=1, squeeze_axis=False):
    parts = np.split(x, num_outputs, axis=axis)
    return [np.squeeze(q, axis=axis) if squeeze_axis else q for q in parts]


def split_v2(x, indices=(), axis=1, squeeze_axis=False, sections=0):
    n = x.shape[axis]
    if sections:
        base, extra = divmod(n, sections)
        sizes = [base + (i < extra) for i in range(sections)]
        starts = list(np.cumsum([0] + sizes[:-1]))
    else:
        starts = list(indices)
    ends = starts[1:] + [n]
    parts = [np.take(x, np.arange(b, e), axis=axis) for b, e in zip(starts, ends)]
    if squeeze_axis:
        parts = [np.squeeze(p, axis=axis).reshape(np.squeeze(p, axis=axis).shape or (1,))
                 for p in parts]
    return parts
