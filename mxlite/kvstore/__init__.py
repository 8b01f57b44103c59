"""``mx.kv`` / ``mx.kvstore``: key-value stores for one process ('local', 'device', 'nccl') and
for the workers of an MPI job ('dist_sync', 'dist_device_sync', 'dist_async')."""
from .local import KVStore, create as _create_local

KVStoreBase = KVStore

__all__ = ["KVStore", "KVStoreBase", "create"]

# MXNet's names (src/kvstore/kvstore.cc reads 'dist', '_async' and 'device' out of the name)
_DIST_TYPES = ("dist_sync", "dist_device_sync", "dist_sync_device", "dist_async",
               "dist_async_device", "dist_device_async", "dist")


def create(name="local"):
    """A key-value store by MXNet's type name. 'dist_*' stores span the processes of an MPI job
    (``python -m mxlite.launch``; one process without a launcher); 'nccl' reduces a process's GPUs
    with NCCL."""
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    if name in _DIST_TYPES:
        from .dist import DistKVStore
        return DistKVStore(name)
    if name == "nccl":
        from .nccl import NCCLKVStore
        return NCCLKVStore()
    return _create_local(name)
