"""``mx.attribute.AttrScope``: string attributes applied to every symbol created inside the scope."""
import threading

from .ops.params import HIDDEN_KEYS

__all__ = ["AttrScope"]


class AttrScope:
    """Attributes (str -> str) merged into the attrs of Variables and ops created in the ``with`` block.

    Bare hidden keys (``ctx_group``, ``lr_mult`` ...) are also stored as ``__key__``.
    """

    _current = threading.local()

    def __init__(self, **kwargs):
        self._old_scope = None
        for value in kwargs.values():
            if not isinstance(value, str):
                raise ValueError("Attributes need to be string")
        self._attr = kwargs

    def get(self, attr):
        """``attr`` merged over this scope's attributes (the scope's hidden keys doubled)."""
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return expand_hidden(merged)

    def __enter__(self):
        self._old_scope = current()
        attr = dict(self._old_scope._attr)
        attr.update(self._attr)
        self._attr = attr
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._current.value = self._old_scope


def expand_hidden(attrs):
    """Store bare hidden keys also as ``__key__`` (MXNet reports both spellings)."""
    out = dict(attrs)
    for key in HIDDEN_KEYS:
        if key in attrs:
            out[f"__{key}__"] = attrs[key]
    return out


def current():
    scope = getattr(AttrScope._current, "value", None)
    if scope is None:
        scope = AttrScope._current.value = AttrScope()
    return scope


class _CurrentDescriptor:
    def __get__(self, obj, owner):
        return current()


AttrScope.current = _CurrentDescriptor()
