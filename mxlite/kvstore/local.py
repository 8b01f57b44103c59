"""The single-process key-value store (``mx.kv.create('local' | 'device')``).

A store keeps one copy of each value. ``push`` sums the values given for a key (one per device)
and either stores the sum or, when an optimizer is set, hands it to the updater as the gradient
of the stored weight; ``pull`` copies the stored value out to every device. 'local' sums on the
CPU, 'device' on the first value's device (peer copies between GPUs).
"""
from ..base import MXNetError
from ..context import cpu
from ..ndarray import NDArray
from ..utils import atomic_write_bytes

__all__ = ["KVStore", "create"]

_TYPES = ("local", "device", "local_update_cpu", "local_allreduce_cpu", "local_allreduce_device")


def _key_value_pairs(key, value, what):
    """[(key, [NDArray, ...])] from a key or key list and a value, value list or list of lists."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(key):
            raise MXNetError(f"kvstore.{what}: {len(key)} keys need as many values, got "
                             f"{value!r:.80}")
        return [(k, v if isinstance(v, (list, tuple)) else [v]) for k, v in zip(key, value)]
    if isinstance(value, NDArray):
        return [(key, [value])]
    if isinstance(value, (list, tuple)) and all(isinstance(v, NDArray) for v in value):
        return [(key, list(value))]
    raise MXNetError(f"kvstore.{what}: value of key {key!r} must be an NDArray or a list of "
                     f"NDArrays, got {type(value).__name__}")


def _pull_pairs(store, key, out):
    """``_key_value_pairs`` of a pull, checked against the stored values: every key initialised
    and every ``out`` of its stored shape (nothing is written before all are checked)."""
    if out is None:
        raise MXNetError("kvstore.pull: out is required")
    pairs = _key_value_pairs(key, out, "pull")
    for k, outs in pairs:
        if k not in store:
            raise MXNetError(f"kvstore.pull: key {k!r} has not been initialized")
        for o in outs:
            if o.shape != store[k].shape:
                raise MXNetError(f"kvstore.pull: key {k!r} holds shape {store[k].shape}, out "
                                 f"has {o.shape}")
    return pairs


class KVStore:
    """A key-value store for one process (MXNet's KVStoreLocal)."""

    OPTIMIZER = "optimizer"

    def __init__(self, kv_type="local"):
        self._type = kv_type
        self._store = {}
        self._updater = None
        self._compression = None

    @property
    def type(self):
        return self._type

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1

    def is_capable(self, capability):
        """Whether the store supports ``capability`` ('optimizer': updates on the store)."""
        if capability.lower() == self.OPTIMIZER:
            return True
        raise MXNetError(f"Unknown capability: {capability}")

    def _check_key(self, key, what):
        if not isinstance(key, (int, str)):
            raise MXNetError(f"kvstore.{what}: keys are int or str, got {type(key).__name__}")

    def init(self, key, value):
        """Store the initial value of each key (a key is initialised once)."""
        for k, vals in _key_value_pairs(key, value, "init"):
            self._check_key(k, "init")
            if k in self._store:
                raise MXNetError(f"kvstore.init: duplicate init of key {k}")
            self._store[k] = vals[0].copy()

    def _on_device(self):
        return self._type.endswith("device")

    def _reduce(self, vals, key=None):
        where = vals[0].context if self._on_device() else cpu()
        if self._compression is not None and key is not None:
            # comm.h ReduceCompressed: each device's value goes through 2-bit compression with
            # its own residual, even a single device's
            vals = [self._compression.roundtrip_ndarray((key, i), v) for i, v in enumerate(vals)]
        total = vals[0].as_in_context(where).copy()
        for v in vals[1:]:
            total._data += v.as_in_context(where)._data
        return total

    def push(self, key, value, priority=0):
        """Sum each key's values and store the sum or apply the updater with it."""
        pairs = _key_value_pairs(key, value, "push")
        for k, vals in pairs:
            if k not in self._store:
                raise MXNetError(f"kvstore.push: key {k!r} has not been initialized")
            if any(v.shape != self._store[k].shape for v in vals):
                raise MXNetError(f"kvstore.push: key {k!r} holds shape {self._store[k].shape}, "
                                 f"pushed {[v.shape for v in vals]}")
        for k, vals in pairs:
            merged = self._reduce(vals, k)
            stored = self._store[k]
            if self._on_device() and stored.context != merged.context:
                # 'device' keeps each value (and its optimizer state) where it is reduced
                stored = self._store[k] = stored.as_in_context(merged.context)
            if self._updater is not None:
                if merged.context != stored.context:
                    merged = merged.as_in_context(stored.context)
                self._updater(k, merged, stored)
            else:
                stored._assign(merged)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy each key's stored value into ``out`` (an NDArray or one per device)."""
        pairs = _pull_pairs(self._store, key, out)
        for k, outs in pairs:
            for o in outs:
                o._assign(self._store[k])

    def pushpull(self, key, value, out=None, priority=0):
        """push then pull (into ``value`` itself when ``out`` is None)."""
        self.push(key, value, priority)
        self.pull(key, out if out is not None else value, priority)

    def broadcast(self, key, value, out, priority=0):
        """init with ``value`` then pull into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Dense stand-in: pulls whole values (mxlite stores no sparse arrays)."""
        self.pull(key, out, priority)

    def set_gradient_compression(self, compression_params):
        """2-bit compression of each device's pushed value ('device' stores only, as MXNet)."""
        if "device" not in self._type:
            raise MXNetError("Gradient compression is not supported for this type of kvstore")
        from .compression import GradientCompression
        self._compression = GradientCompression(compression_params)

    def set_optimizer(self, optimizer):
        """Apply ``optimizer`` on the store: pushes become updates of the stored weights."""
        from ..optimizer import get_updater
        self._set_updater(get_updater(optimizer))

    def _set_updater(self, updater):
        self._updater = updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the updater's states (atomically)."""
        if self._updater is None:
            raise MXNetError("kvstore.save_optimizer_states: no optimizer set (set_optimizer)")
        atomic_write_bytes(fname, self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Load states written by save_optimizer_states (mxlite's or MXNet's)."""
        if self._updater is None:
            raise MXNetError("kvstore.load_optimizer_states: no optimizer set (set_optimizer)")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    def barrier(self):
        """Nothing to wait for in one process."""

    def _barrier_before_exit(self):
        pass

    def _send_command_to_servers(self, head, body):
        pass


def create(name="local"):
    """A single-process store: 'local' or 'device' (and MXNet's local_* variants);
    ``mx.kv.create`` also makes the distributed ones (kvstore/dist.py, kvstore/nccl.py)."""
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    if name not in _TYPES:
        raise MXNetError(f"Unknown KVStore type {name!r}: mxlite provides "
                         f"{', '.join(_TYPES)}, nccl, dist_sync, dist_device_sync, dist_async")
    return KVStore(name)
