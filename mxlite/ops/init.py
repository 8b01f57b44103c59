"""Ops with no data inputs that fill a new array: ``_zeros``, ``_ones``, ``_full``,
``_arange``, ``_eye`` (behind ``mx.sym.zeros/ones/full/arange/eye``) and ``_contrib_arange_like``
(shaped by its input).

Parameters as in MXNet 1.9.1's src/operator/tensor/init_op.h: ``shape`` (legacy shapes: an empty
shape or a 0 dimension means "unknown"), ``ctx`` (imperative calls only; a bound executor fills on
its own context) and ``dtype`` (float32 by default). Nothing here is differentiable.
"""
import numpy as np

from ..base import MXNetError
from ._util import OptInt, zero_grads
from .params import REQUIRED, Bool, Dtype, Enum, Float, Int, ParamSpec, Shape, Str
from .registry import OpDef, register

_F32 = np.dtype(np.float32)
# MXNET_ADD_ALL_TYPES(_WITH_BOOL) as far as mxlite has the types (no bfloat16)
_ALL = ("float32", "float64", "float16", "uint8", "int8", "int32", "int64")
_ALL_BOOL = _ALL + ("bool",)


def _ctx_field():
    return Str("ctx", "", "Context of output, in format [cpu|gpu|cpu_pinned](n). Only used for "
                          "imperative calls.")


def _dtype_field(choices=None):
    """Any dtype mxlite knows (MXNET_ADD_ALL_TYPES_WITH_BOOL), or one of ``choices`` (an enum
    refused at parse time, as MXNet's dtype enums are)."""
    if choices is None:
        return Dtype("dtype", _F32, "Target data type.", optional=False)
    return Enum("dtype", choices, "float32", "Target data type.")


def _out_dtype(name, p, allowed):
    dt = np.dtype(p["dtype"])
    if dt.name not in allowed:
        raise MXNetError(f"Error in operator {name}: dtype {dt.name} is not supported (expected "
                         f"one of {', '.join(allowed)})")
    return dt


def _partial(name, shape):
    """The ``shape`` parameter as a partial shape: 0 and -1 dims are unknown (0), as in MXNet's
    legacy mode; None when the whole shape is unknown (empty)."""
    shape = tuple(shape)
    if any(d < -1 for d in shape):
        raise MXNetError(f"Error in operator {name}: invalid shape={shape} (dims must be "
                         f"positive, or 0 / -1 for unknown)")
    return tuple(max(d, 0) for d in shape) or None


def _shape_of(name, p, sc=None):
    """The output shape: the parameter, or what the plan inferred for its unknown dims."""
    if sc is not None and sc.out_shapes and sc.out_shapes[0] is not None:
        return tuple(sc.out_shapes[0])
    shape = _partial(name, p["shape"])
    if shape is None or 0 in shape:
        raise MXNetError(f"Error in operator {name}: the output shape={tuple(p['shape'])} is "
                         f"unknown; pass a shape without 0 or -1 dimensions, or use the op in a "
                         f"graph whose other nodes determine them")
    return shape


# ----- _zeros / _ones / _full ---------------------------------------------------------------------
def _declare_fill(name, value_of, extra=(), doc=""):
    def infer_shape(p, in_shapes):
        return [], [_partial(name, p["shape"])]

    def forward(sc, p, ins):
        dt = _out_dtype(name, p, _ALL_BOOL)
        return [sc.xp.full(_shape_of(name, p, sc), value_of(p), dtype=dt)]

    register(OpDef(
        name=name, inputs=(),
        params=ParamSpec(Shape("shape", (), "The shape of the output."), _ctx_field(),
                         _dtype_field(), *extra),
        infer_shape=infer_shape,
        infer_type=lambda p, t: ([], [_out_dtype(name, p, _ALL_BOOL)]),
        forward=forward, doc=doc))


_declare_fill("_zeros", lambda p: 0, doc="An array of zeros of the given shape and dtype.")
_declare_fill("_ones", lambda p: 1, doc="An array of ones of the given shape and dtype.")
_declare_fill("_full", lambda p: p["value"],
              extra=(Float("value", REQUIRED, "Value with which to fill the new array."),),
              doc="An array of the given shape and dtype filled with value.")


# ----- _arange ------------------------------------------------------------------------------------
class _RangeSpec(ParamSpec):
    """RangeParamParser (init_op.h): without stop and infer_range, start is the stop and 0 the
    start, as in Python's range(n)."""

    def parse(self, attrs, op_name):
        p = super().parse(attrs, op_name)
        if not p["infer_range"] and p["stop"] is None:
            p["start"], p["stop"] = 0.0, p["start"]
        return p


def _range_size(p):
    """The output length, or None when infer_range leaves it to the graph."""
    if p["step"] == 0:
        raise MXNetError(f"_arange: Range does not support step=0, received {p['step']}")
    if p["repeat"] <= 0:
        raise MXNetError(f"_arange: Range only supports repeat > 0, received {p['repeat']}")
    if p["stop"] is None:
        return None
    start, stop, step = p["start"], p["stop"], p["step"]
    if (step > 0 and not start < stop) or (step < 0 and not start > stop):
        raise MXNetError(f"_arange: Invalid range (start, stop, step) = ({start}, {stop}, "
                         f"{step})")
    return int(np.ceil((stop - start) / step)) * p["repeat"]


def _as_dtype(value, dt):
    """``static_cast<DType>`` of a double: integer types truncate, then wrap."""
    if dt.kind in "iub":
        return np.array(np.trunc(value), dtype=np.int64).astype(dt)
    return np.array(value, dtype=dt)


def _arange_forward(sc, p, ins):
    xp = sc.xp
    dt = _out_dtype("_arange", p, _ALL)
    n = _range_size(p)
    if n is None:
        raise MXNetError("_arange: infer_range without stop needs the output size from the "
                         "graph, which mxlite cannot infer; pass stop")
    # RangeCompute: start + (i / repeat) * step, evaluated in the output dtype
    start, step = _as_dtype(p["start"], dt), _as_dtype(p["step"], dt)
    steps = (xp.arange(n) // p["repeat"]).astype(dt)
    return [(xp.asarray(start) + steps * xp.asarray(step)).astype(dt, copy=False)]


def _arange_shape(p, in_shapes):
    n = _range_size(p)
    return [], [None if n is None else (n,)]


register(OpDef(
    name="_arange", inputs=(),
    params=_RangeSpec(Float("start", REQUIRED, "Start of interval (the stop when stop is None)."),
                      Float("stop", None, "End of interval (excluded).", optional=True),
                      Float("step", 1.0, "Spacing between values."),
                      Int("repeat", 1, "How many times each value is repeated."),
                      Bool("infer_range", False, "Infer stop from the output size."),
                      _ctx_field(), _dtype_field(_ALL)),
    infer_shape=_arange_shape,
    infer_type=lambda p, t: ([], [_out_dtype("_arange", p, _ALL)]),
    forward=_arange_forward,
    doc="Evenly spaced values in [start, stop), each repeated repeat times."))


# ----- _eye ---------------------------------------------------------------------------------------
def _eye_shape(p):
    n, m = p["N"], p["M"] if p["M"] > 0 else p["N"]
    if n <= 0:
        raise MXNetError(f"_eye: N={p['N']} must be positive")
    return (n, m)


register(OpDef(
    name="_eye", inputs=(),
    params=ParamSpec(Int("N", REQUIRED, "Number of rows in the output."),
                     Int("M", 0, "Number of columns in the output (0: N)."),
                     Int("k", 0, "Diagonal: 0 the main one, k > 0 above it, k < 0 below it."),
                     _ctx_field(), _dtype_field(_ALL)),
    infer_shape=lambda p, in_shapes: ([], [_eye_shape(p)]),
    infer_type=lambda p, t: ([], [_out_dtype("_eye", p, _ALL)]),
    forward=lambda sc, p, ins: [sc.xp.eye(*_eye_shape(p), k=p["k"],
                                          dtype=_out_dtype("_eye", p, _ALL))],
    doc="A 2-D array with ones on diagonal k and zeros elsewhere."))


# ----- arange_like --------------------------------------------------------------------------------
def _arange_like_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    if p["axis"] is None:
        return [tuple(data)], [tuple(data)]
    axis = p["axis"] + len(data) if p["axis"] < 0 else p["axis"]
    if not 0 <= axis < len(data):
        raise MXNetError(f"_contrib_arange_like: cannot handle param.axis {p['axis']} for data "
                         f"{tuple(data)}")
    return [tuple(data)], [(data[axis],)]


def _arange_like_forward(sc, p, ins):
    xp = sc.xp
    out_shape = _arange_like_shape(p, [ins[0].shape])[1][0]
    if p["repeat"] < 1:
        raise MXNetError(f"_contrib_arange_like: repeat must be > 0, got {p['repeat']}")
    dt = ins[0].dtype.type
    n = int(np.prod(out_shape))
    # range_fwd: start + (i / repeat) * step, each step in the output dtype
    pos = (xp.arange(n) // p["repeat"]).astype(dt)
    return [(dt(p["start"]) + pos * dt(p["step"])).astype(dt).reshape(out_shape)]


register(OpDef(
    name="_contrib_arange_like", inputs=("data",),
    params=ParamSpec(
        Float("start", 0.0, "Start of interval. The interval includes this value."),
        Float("step", 1.0, "Spacing between values."),
        Int("repeat", 1, "The repeating time of all elements."),
        Str("ctx", "", "Context of output (only used for imperative calls)."),
        OptInt("axis", None, "Arange elements according to the size of a certain axis of input "
                             "array (all of its shape when None).")),
    forward=_arange_like_forward, backward=zero_grads, needs_head_grad=False,
    infer_shape=_arange_like_shape,
    doc="Evenly spaced values shaped like data (or like one of its axes)."))
