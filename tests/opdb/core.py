"""The op database record and the helpers the generated tests use.

Each ``OpCase`` describes one op with one parameter set: input shapes, how to draw inputs, the NumPy
float64 reference (from ``tests/reference``), supported dtypes, tolerances, which inputs get
gradients, and the error inputs it must refuse. ``tests/test_opdb.py`` turns every case into
forward, imperative, gradient, grad_req and (on a GPU) consistency tests for every context and
dtype.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from mxlite.base import MXNetError

ALL_FLOATS = ("float16", "float32", "float64")
# the _linalg_* ops run float32/float64 only, as MXNet; inverse-like results lose a few digits in
# float32
LA = ("float32", "float64")
LA_TOL = {"float32": (1e-3, 1e-4)}

# Forward tolerances against the float64 reference, per dtype (rtol, atol).
FORWARD_TOL = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-10)}


def normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def uniform(low, high):
    def draw(rng, shape, dtype):
        return rng.uniform(low, high, shape).astype(dtype)
    return draw


def away_from(points, low=-2.0, high=2.0, gap=0.05):
    """Uniform draws kept ``gap`` away from ``points`` (kinks where numeric gradients break)."""
    def draw(rng, shape, dtype):
        x = rng.uniform(low, high, shape)
        for p in points:
            close = np.abs(x - p) < gap
            x = np.where(close, p + np.sign(x - p + 1e-12) * gap * 2, x)
        return x.astype(dtype)
    return draw


def integers(low, high):
    def draw(rng, shape, dtype):
        return rng.integers(low, high, shape).astype(dtype)
    return draw


def distinct(rng, shape, dtype):
    """Values with no ties (a random permutation scaled), for max/min/pooling gradients."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.1 - n * 0.05).astype(dtype)


# Matrix draws: well conditioned, so that float64 numeric gradients of the linalg ops are
# meaningful.
def spd(rng, shape, dtype):
    """Symmetric positive definite matrices (potrf)."""
    x = rng.standard_normal(shape)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) / n + np.eye(n)).astype(dtype)


def dominant(rng, shape, dtype):
    """Small off-diagonal entries, diagonal in [1.5, 2.5] (triangular and inverse-type ops)."""
    n = shape[-1]
    x = 0.3 * rng.standard_normal(shape) + np.eye(n) * rng.uniform(1.5, 2.5, shape[:-1])[..., None]
    return x.astype(dtype)


def signed_dominant(rng, shape, dtype):
    """``dominant`` with each column's sign flipped at random (det/slogdet see both signs)."""
    x = dominant(rng, shape, "float64")
    return (x * np.where(rng.random(shape[:-1]) < 0.5, -1.0, 1.0)[..., None, :]).astype(dtype)


def distinct_eigs(rng, shape, dtype):
    """Symmetric matrices with well separated eigenvalues (syevd)."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    lam = np.arange(n) * 1.0 - n / 2 + rng.uniform(-0.2, 0.2, shape[:-1])
    return ((q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


@dataclass
class ErrorCase:
    """Bad input the op must refuse: ``shapes`` and ``params`` override the case's own.

    ``match`` is a regex the message must match; it names the offending argument or input (the
    generated test also checks that the message names the op or its node). ``unnamed`` says what
    today's message fails to name: the generated test is then a strict xfail with the reason
    "message does not name <unnamed>", which turns into a failure once the message is fixed, so
    whoever fixes it removes ``unnamed``.
    """
    desc: str
    shapes: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    dtypes: dict = field(default_factory=dict)
    exc: type = None
    match: str = ""
    unnamed: str = ""


@dataclass
class OpCase:
    """One op × one parameter set.

    ``ref(inputs, params)`` gets a dict of float64 NumPy inputs and returns the list of visible
    outputs. ``draw`` maps input names to draw functions (default: standard normal). Inputs listed
    in ``no_grad`` (labels, indices) get no gradient check. ``grad`` False skips gradient checks
    (ops whose gradient is zero or undefined). ``loss`` marks ops that ignore the head gradient.
    """
    op: str
    shapes: dict
    ref: Callable
    params: dict = field(default_factory=dict)
    name: str = ""
    dtypes: tuple = ALL_FLOATS
    draw: dict = field(default_factory=dict)
    input_dtypes: dict = field(default_factory=dict)
    no_grad: tuple = ()
    grad: bool = True
    loss: bool = False
    is_train: bool = False
    tol: dict = field(default_factory=dict)
    grad_tol: tuple = (1e-4, 1e-6)
    numeric_eps: float = 1e-6
    ref_grad: Optional[Callable] = None
    errors: list = field(default_factory=list)
    imperative: bool = True
    aux: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.op}-{self.name}" if self.name else self.op

    def forward_tol(self, dtype):
        return self.tol.get(dtype, FORWARD_TOL[dtype])

    def make_inputs(self, rng, dtype):
        out = {}
        for name, shape in self.shapes.items():
            dt = self.input_dtypes.get(name, dtype)
            out[name] = self.draw.get(name, normal)(rng, shape, dt)
        return out

    def make_aux(self, rng, dtype):
        return {name: self.draw.get(name, normal)(rng, shape, self.input_dtypes.get(name, dtype))
                for name, shape in self.aux.items()}


def error(desc, match, **kw):
    """An ``ErrorCase`` raising MXNetError whose message matches ``match``."""
    return ErrorCase(desc, exc=MXNetError, match=match, **kw)


def on_data(fn):
    """A reference on the single input ``data``: ``[fn(x, **params)]``."""
    return lambda x, p: [fn(x["data"], **p)]


def zero_grad(x, p, heads):
    """The reference gradient of ops whose gradient is zero by definition (MXNet's
    MakeZeroGradNodes): zeros for ``data``."""
    return {"data": np.zeros_like(x["data"])}


def with_inputs(fn, *names):
    """A reference calling ``fn(x[name], ..., **params)`` on the named inputs."""
    return lambda x, p: fn(*(x[n] for n in names), **p)


def as_list(ref):
    """A reference whose single output ``ref`` returns bare, wrapped in a list."""
    return lambda x, p: [ref(x, p)]


def la_float16(name="A"):
    """The error case of a ``_linalg_*`` op given float16 input ``name`` (MXNet's linalg ops take
    32-bit and 64-bit floats only)."""
    return error("float16", rf"\b{name}\b.*float16", dtypes={name: "float16"})


REGISTRY = []


def add(*cases):
    """Register cases (a family module calls this at import)."""
    REGISTRY.extend(cases)
    return cases
