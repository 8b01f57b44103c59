"""Random sampling ops with no inputs: ``_random_uniform``, ``_random_normal``,
``_random_randint``.

Parameters as in MXNet's ``src/operator/random/sample_op.h``: the distribution's scalars, ``shape``,
``ctx`` (imperative calls only; a bound executor samples on its own context) and ``dtype`` (None
means float32, int32 for randint). Draws come from ``mxlite.random.generator(ctx)``, so
``mx.random.seed`` makes a run reproducible. The ops are not differentiable.
"""
import numpy as np

from ..base import MXNetError
from ..util import is_np_shape
from ..random import generator
from .params import Dtype, Float, Int, ParamSpec, Shape, Str
from .registry import OpDef, register

_FLOATS = ("float16", "float32", "float64")
_INTS = ("int32", "int64")


def _common(dtype_doc):
    return (Shape("shape", (), "Shape of the output."),
            Str("ctx", "", "Context of output, in format [cpu|gpu|cpu_pinned](n). Only used for "
                           "imperative calls."),
            Dtype("dtype", None, dtype_doc))


def _make_shape(name):
    def infer_shape(p, in_shapes):
        shape = tuple(p["shape"])
        # legacy shapes: an empty shape or a 0 dimension means "unknown, infer it from the graph"
        if (not shape or 0 in shape) and not is_np_shape():
            return [], [None]
        if any(d < 0 for d in shape):
            raise MXNetError(f"Error in operator {name}: invalid shape {shape}")
        return [], [shape]
    return infer_shape


def _out_dtype(p, name, allowed, default):
    dt = np.dtype(default) if p["dtype"] is None else np.dtype(p["dtype"])
    if dt.name not in allowed:
        raise MXNetError(f"Error in operator {name}: Output type must be {', '.join(allowed)}: "
                         f"dtype is {dt.name}")
    return dt


def _make_type(name, allowed, default):
    return lambda p, in_types: ([], [_out_dtype(p, name, allowed, default)])


def _shape_of(p, name):
    shape = tuple(p["shape"])
    if is_np_shape():  # () is a scalar and 0 an empty dimension there
        return shape
    if not shape or 0 in shape:
        raise MXNetError(f"Error in operator {name}: the output shape is unknown; pass shape=")
    return shape


# --------------------------------------------------------------------------------------------------
def _uniform_forward(sc, p, ins):
    low, high = p["low"], p["high"]
    if high < low:
        raise MXNetError(f"Error in operator _random_uniform: low ({low}) must be <= high ({high})")
    draws = generator(sc.ctx).uniform(low, high, _shape_of(p, "_random_uniform"))
    return [draws.astype(_out_dtype(p, "_random_uniform", _FLOATS, np.float32), copy=False)]


register(OpDef(
    name="_random_uniform", aliases=("uniform", "random_uniform"), inputs=(),
    params=ParamSpec(Float("low", 0.0, "Lower bound of the distribution."),
                     Float("high", 1.0, "Upper bound of the distribution."),
                     *_common("DType of the output in case this can't be inferred. Defaults to "
                              "float32 if not defined (dtype=None).")),
    forward=_uniform_forward, infer_shape=_make_shape("_random_uniform"),
    infer_type=_make_type("_random_uniform", _FLOATS, np.float32),
    doc="Draw random samples from a uniform distribution on [low, high)."))


# --------------------------------------------------------------------------------------------------
def _normal_forward(sc, p, ins):
    if p["scale"] < 0:
        raise MXNetError(f"Error in operator _random_normal: scale must be >= 0, got {p['scale']}")
    draws = generator(sc.ctx).normal(p["loc"], p["scale"], _shape_of(p, "_random_normal"))
    return [draws.astype(_out_dtype(p, "_random_normal", _FLOATS, np.float32), copy=False)]


register(OpDef(
    name="_random_normal", aliases=("normal", "random_normal"), inputs=(),
    params=ParamSpec(Float("loc", 0.0, "Mean of the distribution."),
                     Float("scale", 1.0, "Standard deviation of the distribution."),
                     *_common("DType of the output in case this can't be inferred. Defaults to "
                              "float32 if not defined (dtype=None).")),
    forward=_normal_forward, infer_shape=_make_shape("_random_normal"),
    infer_type=_make_type("_random_normal", _FLOATS, np.float32),
    doc="Draw random samples from a normal (Gaussian) distribution with mean loc and standard "
        "deviation scale."))


# --------------------------------------------------------------------------------------------------
def _randint_forward(sc, p, ins):
    low, high = p["low"], p["high"]
    if high <= low:
        raise MXNetError(f"Error in operator _random_randint: low ({low}) must be < high ({high})")
    dt = _out_dtype(p, "_random_randint", _INTS, np.int32)
    draws = generator(sc.ctx).randint(low, high, _shape_of(p, "_random_randint"))
    return [draws.astype(dt, copy=False)]


register(OpDef(
    name="_random_randint", aliases=("random_randint",), inputs=(),
    params=ParamSpec(Int("low", doc="Lower bound of the distribution."),
                     Int("high", doc="Upper bound of the distribution."),
                     *_common("DType of the output in case this can't be inferred. Defaults to "
                              "int32 if not defined (dtype=None).")),
    forward=_randint_forward, infer_shape=_make_shape("_random_randint"),
    infer_type=_make_type("_random_randint", _INTS, np.int32),
    doc="Draw random integers uniformly from the half-open interval [low, high)."))
