"""``mx.kv`` / ``mx.kvstore``: the single-process key-value store."""
from .local import KVStore, create

KVStoreBase = KVStore

__all__ = ["KVStore", "KVStoreBase", "create"]
