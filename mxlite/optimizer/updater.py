"""``Updater``: applies an optimizer to (index, grad, weight) and keeps each index's state.

``get_states``/``set_states`` use MXNet's pickled layout (a dict index -> state, or the pair
(states, optimizer) with ``dump_optimizer``) so ``.states`` files written by MXNet's
``Module.save_optimizer_states`` load here, and ours load in MXNet: NDArrays pickle as
``mxnet.ndarray.ndarray.NDArray`` records and MXNet class paths map to mxlite's on loading.
"""
import copyreg
import io
import pickle
import pickletools

from ..base import MXNetError
from ..ndarray import NDArray

__all__ = ["Updater", "get_updater", "dumps_states", "loads_states"]


def _mxlite_class(module, name):
    """The mxlite class for an MXNet class path found in a pickle (None when there is none)."""
    if module.startswith("mxnet.ndarray") and name == "NDArray":
        return NDArray
    if module.startswith("mxnet.optimizer"):
        from .optimizer import Optimizer
        return Optimizer.opt_registry.get(name.lower())
    if module == "mxnet.lr_scheduler":
        from .. import lr_scheduler
        return getattr(lr_scheduler, name, None)
    return None


# mxlite class path -> the path MXNet gives the same class
def _mxnet_path(module, name):
    if module.startswith("mxlite.ndarray") and name == "NDArray":
        return "mxnet.ndarray.ndarray", name
    if module.startswith("mxlite.optimizer."):
        return "mxnet.optimizer.optimizer", name
    if module == "mxlite.lr_scheduler":
        return "mxnet.lr_scheduler", name
    return module, name


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("mxnet.") or module == "mxnet":
            cls = _mxlite_class(module, name)
            if cls is None:
                raise pickle.UnpicklingError(f"optimizer states refer to {module}.{name}, which "
                                             f"mxlite does not provide")
            return cls
        return super().find_class(module, name)


class _Pickler(pickle.Pickler):
    """Pickles NDArrays as MXNet does: ``NDArray.__new__`` then ``__setstate__`` with the raw
    bytes in a bytearray (MXNet's ``__setstate__`` needs a writable buffer)."""

    def reducer_override(self, obj):
        if isinstance(obj, NDArray):
            from ..ndarray.utils import array_to_raw_bytes
            return (copyreg.__newobj__, (NDArray,), {"handle": bytearray(array_to_raw_bytes(obj))})
        return NotImplemented


def dumps_states(obj):
    """Pickle ``obj`` (protocol 2) with mxlite class paths rewritten to MXNet's."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=2).dump(obj)
    raw = buf.getvalue()
    out, last = [], 0
    for op, arg, pos in pickletools.genops(raw):
        if op.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            new_mod, new_name = _mxnet_path(module, name)
            if (new_mod, new_name) != (module, name):
                end = pos + 1 + len(module) + 1 + len(name) + 1
                out.append(raw[last:pos])
                out.append(b"c" + f"{new_mod}\n{new_name}\n".encode())
                last = end
    out.append(raw[last:])
    return b"".join(out)


def loads_states(data):
    """Unpickle optimizer states written by mxlite or MXNet."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise MXNetError(f"Cannot load optimizer states: {err}") from None


def _same_layout(old, new):
    """Whether state ``new`` can replace ``old`` (same nesting, NDArray shapes)."""
    if isinstance(old, NDArray) or isinstance(new, NDArray):
        return isinstance(old, NDArray) and isinstance(new, NDArray) and old.shape == new.shape
    if isinstance(old, (tuple, list)) or isinstance(new, (tuple, list)):
        return (isinstance(old, (tuple, list)) and isinstance(new, (tuple, list))
                and len(old) == len(new) and all(map(_same_layout, old, new)))
    return True


class Updater:
    """Calls ``optimizer.update_multi_precision`` per index, creating states on first use.

    Parameters
    ----------
    optimizer : Optimizer
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        """Update ``weight`` (an NDArray, or a list with ``index`` and ``grad`` lists)."""
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
        else:
            indices, grads, weights = [index], [grad], [weight]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        if self.aggregate_updates:
            # grouped by dtype, then aggregate_num at a time, as MXNet batches them
            by_type = {}
            for i, w, g in zip(indices, weights, grads):
                by_type.setdefault(w.dtype, []).append((i, w, g))
            n = self.optimizer.aggregate_num
            for group in by_type.values():
                idxs, ws, gs = zip(*group)
                for s in range(0, len(idxs), n):
                    states = [self.states[i] for i in idxs[s:s + n]]
                    self.optimizer.update_multi_precision(list(idxs[s:s + n]), list(ws[s:s + n]),
                                                          list(gs[s:s + n]), states)
        else:
            for i, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def sync_state_context(self, state, context):
        """``state`` moved to ``context`` (NDArrays inside tuples/lists too)."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Load states pickled by ``get_states`` (mxlite's or MXNet's).

        Raises
        ------
        MXNetError
            The bytes are not optimizer states, or they hold a state whose layout or shape differs
            from a state this updater already has (states of another model); nothing is changed
            then.
        """
        loaded = loads_states(states)
        optimizer = None
        if isinstance(loaded, tuple) and len(loaded) == 2:
            loaded, optimizer = loaded
        if not isinstance(loaded, dict):
            raise MXNetError(f"Cannot load optimizer states: expected a dict of index -> state, "
                             f"got {type(loaded).__name__}")
        for idx, new in loaded.items():
            if idx in self.states and not _same_layout(self.states[idx], new):
                raise MXNetError(f"Cannot load optimizer states: the state of parameter {idx!r} "
                                 f"does not match this model's (another model's states file?)")
        self.states = loaded
        if optimizer is not None:
            self.optimizer = optimizer
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """The pickled states (with the optimizer when ``dump_optimizer``)."""
        return dumps_states((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """An ``Updater`` for ``optimizer`` (what kvstore.set_optimizer and Module use)."""
    return Updater(optimizer)
