"""Typed op parameters: parse MXNet attribute strings (or Python values) into Python values.

MXNet passes every op parameter to its backend as ``str(value)`` and stores that text in the symbol
JSON, so a node keeps its attribute strings verbatim (that is what JSON prints back) and the parsed
values live beside them. The parser accepts what MXNet's dmlc parameter parser accepts:
``'(3, 3)'``, ``'[3,3]'``, ``3`` for a one-element shape, ``'true'``/``'True'``/``'1'`` for
booleans, ``'None'`` for optional fields.
"""
import difflib
import re

import numpy as np

from ..base import MXNetError, dtype_np

__all__ = ["Field", "Int", "Float", "Bool", "Str", "Enum", "Shape", "OptShape", "Axis", "Dtype",
           "ParamSpec", "Params", "REQUIRED", "is_hidden_key", "parse_literal",
           "MAX_ATTR_CHARS", "MAX_ATTR_NESTING", "did_you_mean"]


class _Required:
    def __repr__(self):
        return "REQUIRED"


REQUIRED = _Required()

# Attribute keys MXNet stores on any node without them being op parameters
# (python/mxnet/attribute.py and symbol.py _set_attr): given bare, they are stored as __key__.
HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage",
               "profiler_scope")


def did_you_mean(name, candidates, what=""):
    """``", did you mean 'x'?"`` naming the candidates closest to a misspelled ``name``, or ``""``
    when none is close."""
    close = difflib.get_close_matches(str(name)[:200], list(dict.fromkeys(candidates)), n=3,
                                      cutoff=0.6)
    if not close:
        return ""
    return f", did you mean {what}" + " or ".join(repr(c) for c in close) + "?"


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


#: Longest attribute string the parser accepts (characters). MXNet's own attributes are short;
#: a longer one comes from a hostile or corrupt file. Raise it for a trusted file that needs more.
MAX_ATTR_CHARS = 1 << 16
#: Deepest nesting of brackets in an attribute string.
MAX_ATTR_NESTING = 8

_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_INT32 = (-(1 << 31), (1 << 31) - 1)
_INT64 = (-(1 << 63), (1 << 63) - 1)
_ATOM_RE = re.compile(r"\s*([()\[\],]|[^()\[\],\s]+)")


def _atom(token):
    if _INT_RE.match(token):
        return int(token)
    if token == "None":
        return None
    if token in ("True", "true"):
        return True
    if token in ("False", "false"):
        return False
    try:
        return float(token)
    except ValueError:
        return token


def parse_literal(text):
    """Parse an MXNet attribute string: a number, ``True``/``False``, ``None``, a bare word, or
    a tuple/list of those (``'(3, 3)'``, ``'[2,3]'``, ``'(3,)'``), nested at most
    ``MAX_ATTR_NESTING`` deep. Iterative and linear in the text; no ``eval``. Raises ValueError
    for an over-long or unbalanced text."""
    if len(text) > MAX_ATTR_CHARS:
        raise ValueError(f"attribute text of {len(text)} characters is longer than the "
                         f"{MAX_ATTR_CHARS} allowed (mxlite.ops.params.MAX_ATTR_CHARS)")
    stack = [[]]
    closers = []
    pos, n = 0, len(text)
    expect_item = True
    while pos < n:
        m = _ATOM_RE.match(text, pos)
        if m is None:  # only trailing whitespace is left
            break
        tok, pos = m.group(1), m.end()
        if tok in "([":
            if len(stack) > MAX_ATTR_NESTING:
                raise ValueError(f"attribute text nests deeper than {MAX_ATTR_NESTING} levels")
            stack.append([])
            closers.append(")" if tok == "(" else "]")
            expect_item = True
        elif tok in ")]":
            if not closers or closers[-1] != tok:
                raise ValueError(f"unbalanced '{tok}' at character {pos}")
            closers.pop()
            items = stack.pop()
            stack[-1].append(tuple(items) if tok == ")" else list(items))
            expect_item = False
        elif tok == ",":
            if expect_item or len(stack) == 1:
                raise ValueError(f"unexpected ',' at character {pos}")
            expect_item = True
        else:
            if not expect_item:
                raise ValueError(f"missing ',' before {tok!r}")
            stack[-1].append(_atom(tok))
            expect_item = False
    if closers:
        raise ValueError("unbalanced brackets")
    top = stack[0]
    if len(top) != 1:
        raise ValueError("expected one value")
    return top[0]


def _literal(text):
    try:
        return parse_literal(text)
    except ValueError:
        return text


def _plain_int(value):
    """``value`` as a Python int when it is an integer that is not a bool, else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return None


class Int(Field):
    """An int parameter, parsed as MXNet's dmlc parser does: decimal digits (no float, bool, hex),
    within int32 (``bits=64`` for MXNet's int64 fields); ``low``/``high`` bound the value (MXNet's
    ``set_lower_bound``/``set_range``)."""

    type_name = "int"

    def __init__(self, name, default=REQUIRED, doc="", low=None, high=None, bits=32):
        super().__init__(name, default, doc)
        self.low, self.high = low, high
        self.limits = _INT32 if bits == 32 else _INT64

    def parse(self, value):
        out = _plain_int(value)
        if out is None and isinstance(value, str) and len(value) <= 64 \
                and _INT_RE.match(value.strip()):
            out = int(value.strip())
        if out is None or not self.limits[0] <= out <= self.limits[1]:
            raise ValueError(f"Invalid Parameter format for {self.name} expect int but "
                             f"value='{_clip(value)}'")
        return _check_range(self, out)


def _check_range(field, value):
    low, high = field.low, field.high
    if value != value and (low is not None or high is not None):  # NaN is in no range
        raise ValueError(f"value {value} for Parameter {field.name} is not a number")
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"value {value} for Parameter {field.name} exceed bound "
                         f"[{low},{high}]")
    if low is not None and value < low:
        raise ValueError(f"value {value} for Parameter {field.name} should be greater equal "
                         f"to {low}")
    if high is not None and value > high:
        raise ValueError(f"value {value} for Parameter {field.name} should be less equal "
                         f"to {high}")
    return value


def _clip(value, limit=80):
    """``value`` as text for a message, cut to ``limit`` characters."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


class Float(Field):
    """A float parameter; ``low``/``high`` bound it (MXNet's ``set_lower_bound``/``set_range``)."""

    type_name = "float"

    def __init__(self, name, default=REQUIRED, doc="", optional=False, low=None, high=None):
        super().__init__(name, default, doc)
        self.optional = optional
        self.low, self.high = low, high

    def parse(self, value):
        if self.optional and (value is None or value == "None"):
            return None
        try:
            if isinstance(value, (bool, np.bool_)) or isinstance(value, str) and (
                    len(value) > 64 or value.strip() in ("True", "False")):
                raise ValueError
            out = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid Parameter format for {self.name} expect float "
                             f"but value='{_clip(value)}'") from None
        return _check_range(self, out)


class Bool(Field):
    type_name = "boolean"

    def parse(self, value):
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower() if len(str(value)) <= 64 else ""
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"Invalid Parameter format for {self.name} expect boolean "
                         f"but value='{_clip(value)}'")


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
    """A dmlc ``Tuple``: ``(2, 3)``, ``[2,3]``, ``(3,)``, ``()``, a bare int, ``None`` when
    allowed; entries are ints (``None`` entries when allowed), never floats, bools or tuples."""
    def bad():
        return ValueError(f"Invalid Parameter format for {name} expect Shape(tuple) "
                          f"but value='{_clip(value)}'")

    parsed = value
    if isinstance(value, str):
        text = value.strip()
        if text == "None" and allow_none:
            return None
        try:
            parsed = parse_literal(text)
        except ValueError as err:
            raise ValueError(f"Invalid Parameter format for {name} expect Shape(tuple) "
                             f"but value='{_clip(value)}': {err}") from None
    single = _plain_int(parsed)
    if single is not None:
        parsed = (single,)
    if parsed is None and allow_none:
        return None
    if not isinstance(parsed, (tuple, list)):
        raise bad()
    out = []
    for v in parsed:
        if v is None and allow_none:
            out.append(None)
            continue
        v = _plain_int(v)
        if v is None or not _INT64[0] <= v <= _INT64[1]:
            raise bad()
        out.append(v)
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

    def __init__(self, *fields, check=None):
        self.fields = {f.name: f for f in fields}
        # check(params) -> message or None: a rule across parameters (clip's a_min <= a_max)
        self.check = check

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
                raise MXNetError(f"Cannot find argument '{_clip(key)}'"
                                 f"{did_you_mean(key, self.fields)}, Possible Arguments:\n"
                                 "----------------\n"
                                 + self.describe() + f", in operator {op_name}(name=\"\", "
                                 + ", ".join(f"{_clip(k)}=\"{_clip(v)}\""
                                             for k, v in attrs.items()) + ")")
            try:
                out[key] = field.parse(value)
            except ValueError as err:
                raise MXNetError(f"Invalid parameter {key}='{_clip(value)}' of operator "
                                 f"{op_name}: {err}") from None
        for name, field in self.fields.items():
            if name not in out:
                if field.default is REQUIRED:
                    raise MXNetError(f"Required parameter {name} of {field.type_name} is not "
                                     f"presented, in operator {op_name}")
                out[name] = field.default
        if self.check is not None:
            problem = self.check(out)
            if problem:
                raise MXNetError(f"Invalid parameters of operator {op_name}: {problem}")
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
