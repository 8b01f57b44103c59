"""``mx.attribute.AttrScope``: string attributes applied to every symbol created inside the
scope."""
import threading

from .ops.params import HIDDEN_KEYS

__all__ = ["AttrScope"]


class AttrScope:
    """Attributes (str -> str) merged into the attrs of Variables and ops created in the ``with``
    block.

    Bare hidden keys (``ctx_group``, ``lr_mult`` ...) are stored as ``__key__`` and reported in both
    spellings by ``list_attr``/``attr_dict``.
    """

    _current = threading.local()

    def __init__(self, **kwargs):
        self._old_scope = None
        for value in kwargs.values():
            if not isinstance(value, str):
                raise ValueError("Attributes need to be string")
        self._attr = kwargs

    def get(self, attr):
        """``attr`` merged over this scope's attributes, bare hidden keys stored as ``__key__``."""
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return store_hidden(merged)

    def __enter__(self):
        self._old_scope = current()
        attr = dict(self._old_scope._attr)
        attr.update(self._attr)
        self._attr = attr
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._current.value = self._old_scope


def store_hidden(attrs):
    """Bare hidden keys (``lr_mult``) are stored as ``__lr_mult__``, as MXNet's graph does."""
    return {f"__{k}__" if k in HIDDEN_KEYS else k: v for k, v in attrs.items()}


def report_hidden(attrs):
    """Stored attributes as MXNet reports them: each ``__key__`` of a hidden key also as ``key``."""
    out = dict(attrs)
    for key in HIDDEN_KEYS:
        if f"__{key}__" in attrs:
            out[key] = attrs[f"__{key}__"]
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
