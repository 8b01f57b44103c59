"""NumPy float64 references for the sort family: topk, sort and argsort, all by a stable sort
(ties keep their input order)."""
import numpy as np

from reference._util import none


def topk(x, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    """Top-k by a stable sort (ties keep their input order)."""
    axis = none(axis)
    rows = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, -1)
    n = rows.shape[-1]
    k = k if k > 0 else n
    order = np.argsort(rows if is_ascend else -rows, axis=-1, kind="stable")[..., :k]
    values = np.take_along_axis(rows, order, axis=-1)

    def back(a):
        return a.reshape(-1) if axis is None else np.moveaxis(a, -1, axis)

    if ret_typ == "mask":
        mask = np.zeros_like(rows)
        np.put_along_axis(mask, order, 1, axis=-1)
        return [mask.reshape(x.shape) if axis is None else back(mask)]
    indices = back(order).astype(dtype)
    if ret_typ == "indices":
        return [indices]
    if ret_typ == "value":
        return [back(values)]
    return [back(values), indices]


def sort(x, axis=-1, is_ascend=True):
    axis = none(axis)
    if axis is None:
        x, axis = x.reshape(-1), 0
    out = np.sort(x, axis=axis)
    return out if is_ascend else np.flip(out, axis=axis)


def argsort(x, axis=-1, is_ascend=True, dtype="float32"):
    axis = none(axis)
    if axis is None:
        x, axis = x.reshape(-1), 0
    # distinct inputs: ascending order reversed is the descending order
    order = np.argsort(x, axis=axis, kind="stable")
    if not is_ascend:
        order = np.flip(order, axis=axis)
    return order.astype(dtype)
