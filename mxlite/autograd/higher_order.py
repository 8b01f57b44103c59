"""Gradients that can be differentiated again, for ``autograd.grad(..., create_graph=True)``.

The set of ops and how far each can be differentiated are MXNet 1.9.1's
(src/operator/tensor/elemwise_unary_op_*.cc and the FGradient of each ``_backward_*`` op):

- ``y = f(x)`` for the unary functions in ``UNARY``: the gradient ``og * f'(x)`` is recorded as one
  step ``_backward_<op>(og, x)``, as MXNet records its ``_backward_<op>`` node. That step's own
  gradient, ``(g * f'(x), g * og * f''(x))``, is built from ``mx.nd`` calls, so under
  create_graph it lands on the tape again: a third derivative works, and a fourth stops at the
  products, where MXNet's stops at ``_backward_mul``.
- ops that only pass the gradient through (``elemwise_add``, ``add_n``, ``_copy``, the additive
  ``*_scalar`` ops, ``transpose``) and ``clip``: their gradient is written with ``mx.nd`` calls
  directly, as MXNet's FGradient clones or reshapes the head gradient.
- any other op: create_graph records a ``_backward_<op>`` step that refuses to be differentiated,
  naming the op, as MXNet does ("... is non-differentiable because it didn't register FGradient").
"""
import math

from ..ndarray.ndarray import NDArray
from .state import STATE
from .tape import record_custom

__all__ = ["RULES", "UNARY", "Unary", "Masked", "add", "supported"]


def _nd():
    from .. import ndarray
    return ndarray


def add(a, b):
    """Sum of two gradients, recorded (``elemwise_add`` passes the gradient through)."""
    return _nd().elemwise_add(a, b)


class _Paused:
    """Recording off inside (for values computed from raw arrays)."""

    def __enter__(self):
        self.prev = STATE.recording
        STATE.recording = False

    def __exit__(self, *exc):
        STATE.recording = self.prev


class Unary:
    """Second-order rule of ``y = f(x)`` from ``d1(x) = f'(x)`` and ``d2(x) = f''(x)``, written
    with ``mx.nd`` calls on x only (so every dependence on x is on the tape)."""

    def __init__(self, name, d1, d2):
        self.name = name
        self.d1 = d1
        self.d2 = d2

    def record(self, node, og, x, gx_data, ctx):
        """The input gradient ``gx_data`` (the op's own backward, raw) as an NDArray recorded as
        the step ``_backward_<op>(og, x)`` of the recorded ``node``."""
        gx = NDArray(gx_data, ctx)
        rule = self._rule(node)
        record_custom(f"_backward_{self.name}", [og, x], [gx], _raw(rule, ctx), rule,
                      force=True)
        return gx

    def _rule(self, node):
        def rule(p, ograds, ins, outs):
            g, (og, x) = ograds[0], ins
            return [g * self.d1(x), g * og * self.d2(x)]
        return rule


class Masked(Unary):
    """Dropout: the gradient is ``og * mask`` with the mask the forward drew (a constant), so
    the second derivative is zero."""

    def __init__(self, name):
        super().__init__(name, None, None)

    def _rule(self, node):
        mask = node.sc.state.get("mask")
        ctx = node.sc.ctx

        def rule(p, ograds, ins, outs):
            g, x = ograds[0], ins[1]
            return [g if mask is None else g * NDArray(mask, ctx), _nd().zeros_like(x)]
        return rule


def _raw(rule, ctx):
    """A rule run with recording off on raw arrays: the step's plain backward."""
    def backward(ograds, in_data, out_data):
        with _Paused():
            g, og, x = (NDArray(d, ctx) for d in (ograds[0], in_data[0], in_data[1]))
            return [r._data for r in rule(None, [g], [og, x], None)]
    return backward


def _zeros(x):
    return _nd().zeros_like(x)


def _const(c):
    return lambda x: _nd().ones_like(x) * c


def _inv(v):
    return _nd().reciprocal(v)


def _tanh1(x):
    t = _nd().tanh(x)
    return 1.0 - t * t


def _sig1(x):
    s = _nd().sigmoid(x)
    return s * (1.0 - s)


def _tan1(x):
    t = _nd().tan(x)
    return t * t + 1.0


def _pow15(v):
    """``v ** 1.5`` for v > 0."""
    return v * _nd().sqrt(v)


_LN2, _LN10 = math.log(2.0), math.log(10.0)

UNARY = {u.name: u for u in (
    Unary("tanh", _tanh1, lambda x: _tanh1(x) * _nd().tanh(x) * -2.0),
    Unary("sin", lambda x: _nd().cos(x), lambda x: _nd().sin(x) * -1.0),
    Unary("cos", lambda x: _nd().sin(x) * -1.0, lambda x: _nd().cos(x) * -1.0),
    Unary("tan", _tan1, lambda x: _tan1(x) * _nd().tan(x) * 2.0),
    Unary("exp", lambda x: _nd().exp(x), lambda x: _nd().exp(x)),
    Unary("expm1", lambda x: _nd().exp(x), lambda x: _nd().exp(x)),
    Unary("log", _inv, lambda x: _inv(x * x) * -1.0),
    Unary("log2", lambda x: _inv(x * _LN2), lambda x: _inv(x * x * _LN2) * -1.0),
    Unary("log10", lambda x: _inv(x * _LN10), lambda x: _inv(x * x * _LN10) * -1.0),
    Unary("log1p", lambda x: _inv(x + 1.0), lambda x: _inv(_nd().square(x + 1.0)) * -1.0),
    Unary("sigmoid", _sig1, lambda x: _sig1(x) * (1.0 - _nd().sigmoid(x) * 2.0)),
    Unary("sqrt", lambda x: _inv(_nd().sqrt(x)) * 0.5, lambda x: _inv(_pow15(x)) * -0.25),
    Unary("rsqrt", lambda x: _nd().rsqrt(x) * _inv(x) * -0.5,
          lambda x: _nd().rsqrt(x) * _inv(x * x) * 0.75),
    Unary("rcbrt", lambda x: _nd().rcbrt(x) * _inv(x) * (-1.0 / 3.0),
          lambda x: _nd().rcbrt(x) * _inv(x * x) * (4.0 / 9.0)),
    Unary("cbrt", lambda x: _inv(_nd().square(_nd().cbrt(x)) * 3.0),
          lambda x: _inv(_nd().square(_nd().cbrt(x)) * x * 4.5) * -1.0),
    Unary("square", lambda x: x * 2.0, _const(2.0)),
    Unary("reciprocal", lambda x: _inv(x * x) * -1.0, lambda x: _inv(x * x * x) * 2.0),
    Unary("sinh", lambda x: _nd().cosh(x), lambda x: _nd().sinh(x)),
    Unary("cosh", lambda x: _nd().sinh(x), lambda x: _nd().cosh(x)),
    Unary("arcsin", lambda x: _nd().rsqrt(1.0 - x * x), lambda x: x * _inv(_pow15(1.0 - x * x))),
    Unary("arccos", lambda x: _nd().rsqrt(1.0 - x * x) * -1.0,
          lambda x: x * _inv(_pow15(1.0 - x * x)) * -1.0),
    Unary("arctan", lambda x: _inv(x * x + 1.0),
          lambda x: x * _inv(_nd().square(x * x + 1.0)) * -2.0),
    Unary("arcsinh", lambda x: _nd().rsqrt(x * x + 1.0),
          lambda x: x * _inv(_pow15(x * x + 1.0)) * -1.0),
    Unary("arccosh", lambda x: _nd().rsqrt(x * x - 1.0),
          lambda x: x * _inv(_pow15(x * x - 1.0)) * -1.0),
    Unary("arctanh", lambda x: _inv(1.0 - x * x),
          lambda x: x * _inv(_nd().square(1.0 - x * x)) * 2.0),
    Unary("radians", _const(math.pi / 180.0), _zeros),
    # masks: the comparison and sign ops have zero gradient, and keep the step on the tape
    Unary("relu", lambda x: x > 0, _zeros),
    Unary("abs", lambda x: _nd().sign(x), _zeros),
    Masked("Dropout"),
)}


def _through(p, ograds, ins, outs):
    return [ograds[0]]


def _negated(p, ograds, ins, outs):
    return [ograds[0] * -1.0]


def _each_input(p, ograds, ins, outs):
    return [ograds[0]] * len(ins)


def _clip(p, ograds, ins, outs):
    x = ins[0]
    mask = (x >= p["a_min"]) * (x <= p["a_max"])
    return [ograds[0] * mask]


def _transpose(p, ograds, ins, outs):
    axes = tuple(p.get("axes") or ())
    if not axes:
        return [_nd().transpose(ograds[0])]
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return [_nd().transpose(ograds[0], axes=tuple(inverse))]


# rule(params, ograds, ins, outs) -> one NDArray (or None) per input, built from mx.nd calls
RULES = {
    "clip": _clip,
    "transpose": _transpose,
    "_copy": _through,
    "elemwise_add": _each_input,
    "add_n": _each_input,
    "_plus_scalar": _through,
    "_minus_scalar": _through,
    "_rminus_scalar": _negated,
}


def supported():
    """The ops whose gradient can be differentiated again, as text for error messages."""
    return ", ".join(sorted(set(RULES) | set(UNARY)))
