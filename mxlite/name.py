"""Automatic naming of symbols (``mx.name``): NameManager and Prefix, thread-local like MXNet's."""
import threading

__all__ = ["NameManager", "Prefix"]


class NameManager:
    """Gives each unnamed op a name ``<hint><counter>`` (``fullyconnected0``), one counter per hint.

    ``with NameManager():`` starts fresh counters for the block.
    """

    _current = threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """``name`` if given, else the hint with its next counter value."""
        if name:
            return name
        if hint not in self._counter:
            self._counter[hint] = 0
        name = f"{hint}{self._counter[hint]}"
        self._counter[hint] += 1
        return name

    def __enter__(self):
        self._old_manager = NameManager.current
        NameManager._current.value = self
        return self

    def __exit__(self, *exc):
        NameManager._current.value = self._old_manager


class Prefix(NameManager):
    """A NameManager that prepends ``prefix`` to every op name, explicit names included."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


def _current():
    manager = getattr(NameManager._current, "value", None)
    if manager is None:
        manager = NameManager._current.value = NameManager()
    return manager


class _CurrentDescriptor:
    def __get__(self, obj, owner):
        return _current()


NameManager.current = _CurrentDescriptor()
