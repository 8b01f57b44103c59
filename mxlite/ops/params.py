"""Typed op parameters: parse MXNet attribute strings (or Python values) into Python values.

MXNet passes every op parameter to its backend as ``str(value)`` and stores that text in the symbol
JSON, so a node keeps its attribute strings verbatim (that is what JSON prints back) and the parsed
values live beside them. The parser accepts what MXNet's dmlc parameter parser accepts:
``'(3, 3)'``, ``'[3,3]'``, ``3`` for a one-element shape, ``'true'``/``'True'``/``'1'`` for
booleans, ``'None'`` for optional fields.
"""
import ast

import numpy as np

from ..base import MXNetError, dtype_np

__all__ = ["Field", "Int", "Float", "Bool", "Str", "Enum", "Shape", "OptShape", "Axis", "Dtype",
           "ParamSpec", "Params", "REQUIRED", "is_hidden_key"]


class _Required:
    def __repr__(self):
        return "REQUIRED"


REQUIRED = _Required()

# Attribute keys MXNet stores on any node without them being op parameters
# (python/mxnet/attribute.py and symbol.py _set_attr): given bare, they are stored as __key__.
HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage",
               "profiler_scope")


def is_hidden_key(key):
    return key.startswith("__") and key.endswith("__") or key in HIDDEN_KEYS


class Field:
    """One parameter: name, type name for messages, default (REQUIRED if none), doc."""

    type_name = "string"

    def __init__(self, name, default=REQUIRED, doc=""):
        self.name = name
        self.default = default
        self.doc = doc

    def parse(self, value):
        return str(value)

    def describe(self):
        if self.default is REQUIRED:
            return f"{self.type_name}, required"
        return f"{self.type_name}, optional, default={self.default_text()}"

    def default_text(self):
        return repr(self.default) if isinstance(self.default, str) else str(self.default)


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class Int(Field):
    type_name = "int"

    def parse(self, value):
        if isinstance(value, str):
            value = _literal(value.strip())
        if isinstance(value, (bool, np.bool_)):
            return int(value)
        if isinstance(value, (int, np.integer)) or isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError(f"Invalid Parameter format for {self.name} expect int but value='{value}'")


class Float(Field):
    type_name = "float"

    def __init__(self, name, default=REQUIRED, doc="", optional=False):
        super().__init__(name, default, doc)
        self.optional = optional

    def parse(self, value):
        if self.optional and (value is None or value == "None"):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid Parameter format for {self.name} expect float "
                             f"but value='{value}'") from None


class Bool(Field):
    type_name = "boolean"

    def parse(self, value):
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            return bool(value)
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"Invalid Parameter format for {self.name} expect boolean "
                         f"but value='{value}'")


class Str(Field):
    type_name = "string"


class Enum(Field):
    """A string chosen from ``choices`` (``None`` allowed when ``optional``)."""

    def __init__(self, name, choices, default=REQUIRED, doc="", optional=False):
        super().__init__(name, default, doc)
        self.choices = tuple(choices)
        self.optional = optional
        self.type_name = "{" + ", ".join(repr(c) for c in self.choices) + "}"

    def parse(self, value):
        text = str(value)
        if self.optional and text == "None":
            return None
        if text not in self.choices:
            raise ValueError(f"Invalid Input: '{text}', valid values are: "
                             f"{{{', '.join(repr(c) for c in self.choices)}}}")
        return text


def _parse_tuple(name, value, allow_none):
    if isinstance(value, str):
        text = value.strip()
        if text == "None" and allow_none:
            return None
        value = _literal(text.replace("None", "None"))
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    if value is None and allow_none:
        return None
    if not isinstance(value, (tuple, list)):
        raise ValueError(f"Invalid Parameter format for {name} expect Shape(tuple) "
                         f"but value='{value}'")
    out = []
    for v in value:
        if v is None:
            out.append(None)
        elif isinstance(v, (int, np.integer)) or isinstance(v, float) and float(v).is_integer():
            out.append(int(v))
        else:
            raise ValueError(f"Invalid Parameter format for {name} expect Shape(tuple) "
                             f"but value='{value}'")
    return tuple(out)


class Shape(Field):
    """A tuple of ints; an int ``3`` means ``(3,)``."""

    type_name = "Shape(tuple)"

    def parse(self, value):
        shape = _parse_tuple(self.name, value, allow_none=False)
        if None in shape:
            raise ValueError(f"Invalid Parameter format for {self.name} expect Shape(tuple) "
                             f"but value='{value}'")
        return shape


class OptShape(Field):
    """A tuple whose entries may be None (slice begin/end), or None itself."""

    type_name = "Shape(tuple)"

    def parse(self, value):
        return _parse_tuple(self.name, value, allow_none=True)


class Axis(Field):
    """An axis spec: None, an int, or a tuple of ints (reductions)."""

    type_name = "Shape or None"

    def parse(self, value):
        shape = _parse_tuple(self.name, value, allow_none=True)
        return shape


class Dtype(Field):
    """A dtype name ('float32', ...) or None; parsed to ``np.dtype`` (or None)."""

    type_name = "dtype"

    def __init__(self, name, default=REQUIRED, doc="", optional=True):
        super().__init__(name, default, doc)
        self.optional = optional

    def parse(self, value):
        if value is None or str(value) == "None":
            if self.optional:
                return None
            raise ValueError(f"Invalid Parameter format for {self.name}: dtype required")
        try:
            return dtype_np(value if not isinstance(value, str) else value.strip())
        except TypeError as err:
            raise ValueError(f"Invalid Input: '{value}' for {self.name}: {err}") from None


class Params(dict):
    """Parsed parameter values, readable as attributes (``p.num_hidden``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


class ParamSpec:
    """The ordered parameter schema of one op."""

    def __init__(self, *fields):
        self.fields = {f.name: f for f in fields}

    def __iter__(self):
        return iter(self.fields.values())

    def parse(self, attrs, op_name):
        """Parse a dict of attribute values (strings or Python values) into ``Params``.

        Hidden keys (``__dunder__``, ``lr_mult`` ...) are skipped; an unknown key or a missing
        required parameter raises MXNetError naming the op and the parameter.
        """
        out = Params()
        for key, value in attrs.items():
            if is_hidden_key(key):
                continue
            field = self.fields.get(key)
            if field is None:
                raise MXNetError(f"Cannot find argument '{key}', Possible Arguments:\n"
                                 "----------------\n"
                                 + self.describe() + f", in operator {op_name}(name=\"\", "
                                 + ", ".join(f"{k}=\"{v}\"" for k, v in attrs.items()) + ")")
            try:
                out[key] = field.parse(value)
            except ValueError as err:
                raise MXNetError(f"Invalid parameter {key}={value!r} of operator {op_name}: "
                                 f"{err}") from None
        for name, field in self.fields.items():
            if name not in out:
                if field.default is REQUIRED:
                    raise MXNetError(f"Required parameter {name} of {field.type_name} is not "
                                     f"presented, in operator {op_name}")
                out[name] = field.default
        return out

    def describe(self):
        return "\n".join(f"{f.name} : {f.describe()}" + (f"\n    {f.doc}" if f.doc else "")
                         for f in self.fields.values())


def _plain(value):
    """NumPy scalars as Python numbers, inside tuples and lists too: under NumPy 2 ``str`` of
    ``(np.int64(3),)`` is no longer ``(3,)``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def format_attr(value):
    """The attribute string MXNet's Python front end sends for ``value`` (``str(value)``)."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return str(_plain(value))
