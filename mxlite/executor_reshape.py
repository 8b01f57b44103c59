"""``Executor.reshape``: a new executor for new input shapes that shares the old one's storage.

Arguments whose shape is unchanged are the same arrays. A resized array that is not larger reuses
the leading elements of the old buffer (a view), as MXNet does; a larger one needs
``allow_up_sizing`` and gets fresh memory.
"""
import numpy as np

from .base import MXNetError
from .ndarray.ndarray import NDArray


def _resize(old, shape, name, allow_up_sizing, ctx, xp):
    if old is None:
        return None
    if old.shape == shape:
        return old
    size = int(np.prod(shape))
    if size > old.size:
        if not allow_up_sizing:
            raise MXNetError(f"New shape of arg: {name} is larger than original. First making a "
                             f"big executor and then down sizing it is more efficient than the "
                             f"reverse. If you really want to up size, set allow_up_sizing=True "
                             f"to enable allocation of new arrays.")
        return NDArray(xp.zeros(shape, old._data.dtype), ctx)
    return NDArray(old._data.reshape(-1)[:size].reshape(shape), ctx)


def reshape(ex, partial_shaping, allow_up_sizing, shapes):
    from .executor import Executor
    symbol = ex._symbol
    arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
    if arg_shapes is None:
        raise MXNetError("Executor.reshape: cannot infer every argument shape from "
                         f"{shapes}")
    names = symbol.list_arguments()
    args, grads = [], []
    for i, (name, shape) in enumerate(zip(names, arg_shapes)):
        old = ex.arg_arrays[i]
        if old.shape != shape and name not in shapes and not partial_shaping:
            raise MXNetError(f"Shape of unspecifie arg: {name} changed. This can cause the new "
                             f"executor to not share parameters with the old one. Please check "
                             f"for error in network. If this is intended, set partial_shaping="
                             f"True to suppress this warning.")
        args.append(_resize(old, shape, name, allow_up_sizing, ex._ctx, ex._xp))
        old_grad = ex.grad_arrays[i] if ex.grad_arrays is not None else None
        grads.append(_resize(old_grad, shape, name, allow_up_sizing, ex._ctx, ex._xp))
    aux = [_resize(old, shape, name, allow_up_sizing, ex._ctx, ex._xp)
           for old, shape, name in zip(ex.aux_arrays, aux_shapes,
                                       symbol.list_auxiliary_states())]
    new = Executor(symbol, ex._ctx, args, grads, ex._grad_reqs, aux, ex._group2ctx, ex._grad_req,
                   grad_list_given=ex.grad_arrays is not None, output_memory=ex._out_data)
    if ex._monitor is not None:
        new.set_monitor_callback(ex._monitor, ex._monitor_all)
    return new
