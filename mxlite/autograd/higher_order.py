"""Gradients built from recorded ops, for ``autograd.grad(..., create_graph=True)``.

For the ops below, the gradient is written with ``mx.nd`` calls on NDArrays that carry their
tape entries, so with recording on it lands on the tape and can be differentiated again. The set
is MXNet 1.9.1's: the ops whose backward registers an ``FGradient`` of its own
(src/operator/tensor/elemwise_unary_op_*.cc, the ``*_scalar`` ops that only pass the gradient
through, ``_copy``, ``transpose``, ``add_n``). Through any other op, create_graph records a
``_backward_<op>`` step that refuses to be differentiated, naming the op, as MXNet does.

A rule is ``rule(params, ograds, ins, outs) -> one NDArray (or None) per input``. Masks that only
select (relu, abs, clip) are recorded comparisons (or ``sign``), whose gradient is zero, so the
result stays on the tape (connected to the input) as MXNet's ``_backward_relu`` is.
"""
import math

__all__ = ["RULES", "add", "supported"]


def _nd():
    from .. import ndarray
    return ndarray


def add(a, b):
    """Sum of two gradients, recorded (``elemwise_add`` passes the gradient through)."""
    return _nd().elemwise_add(a, b)


def _unary(derivative):
    """A rule for ``y = f(x)`` with ``dy/dx = derivative(x, y)``."""
    def rule(p, ograds, ins, outs):
        return [ograds[0] * derivative(ins[0], outs[0])]
    return rule


def _through(p, ograds, ins, outs):
    return [ograds[0]]


def _negated(p, ograds, ins, outs):
    return [ograds[0] * -1.0]


def _each_input(p, ograds, ins, outs):
    return [ograds[0]] * len(ins)


def _relu(p, ograds, ins, outs):
    x = ins[0]
    return [ograds[0] * (x > 0)]


def _abs(p, ograds, ins, outs):
    x = ins[0]
    return [ograds[0] * _nd().sign(x)]


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


def _sqrt_of(v):
    return _nd().sqrt(v)


RULES = {
    "tanh": _unary(lambda x, y: 1.0 - y * y),
    "sin": _unary(lambda x, y: _nd().cos(x)),
    "cos": _unary(lambda x, y: _nd().sin(x) * -1.0),
    "tan": _unary(lambda x, y: y * y + 1.0),
    "exp": _unary(lambda x, y: y),
    "expm1": _unary(lambda x, y: y + 1.0),
    "log": _unary(lambda x, y: _nd().reciprocal(x)),
    "log2": _unary(lambda x, y: _nd().reciprocal(x * math.log(2.0))),
    "log10": _unary(lambda x, y: _nd().reciprocal(x * math.log(10.0))),
    "log1p": _unary(lambda x, y: _nd().reciprocal(x + 1.0)),
    "sigmoid": _unary(lambda x, y: y * (1.0 - y)),
    "sqrt": _unary(lambda x, y: _nd().reciprocal(y) * 0.5),
    "rsqrt": _unary(lambda x, y: y * y * y * -0.5),
    "cbrt": _unary(lambda x, y: _nd().reciprocal(y * y * 3.0)),
    "square": _unary(lambda x, y: x * 2.0),
    "reciprocal": _unary(lambda x, y: y * y * -1.0),
    "sinh": _unary(lambda x, y: _nd().cosh(x)),
    "cosh": _unary(lambda x, y: _nd().sinh(x)),
    "arcsin": _unary(lambda x, y: _nd().reciprocal(_sqrt_of(1.0 - x * x))),
    "arccos": _unary(lambda x, y: _nd().reciprocal(_sqrt_of(1.0 - x * x)) * -1.0),
    "arctan": _unary(lambda x, y: _nd().reciprocal(x * x + 1.0)),
    "arcsinh": _unary(lambda x, y: _nd().reciprocal(_sqrt_of(x * x + 1.0))),
    "arccosh": _unary(lambda x, y: _nd().reciprocal(_sqrt_of(x * x - 1.0))),
    "arctanh": _unary(lambda x, y: _nd().reciprocal(1.0 - x * x)),
    "radians": lambda p, og, ins, outs: [og[0] * (math.pi / 180.0)],
    "relu": _relu,
    "abs": _abs,
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
    return ", ".join(sorted(RULES))
