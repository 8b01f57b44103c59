"""``Custom``: an operator written in Python (``mx.operator.CustomOp`` / ``CustomOpProp``).

The op's arity, shape and type rules come from the ``CustomOpProp`` registered under the node's
``op_type``, built with the user's keyword parameters as strings (MXNet's
src/operator/custom/custom.cc). This module knows no NDArray: ``mxlite.operator`` registers, per
op_type, a factory ``kwargs -> prop adapter``; the adapter runs the user's code on NDArrays.

A node's ``OpDef`` is specialised from its parameters (``OpDef.specialize``): its aux names, its
``needs_head_grad`` (the prop's ``need_top_grad``) and its ``backward_reads`` (the prop's
``declare_backward_dependency``) are then plain values the planner and executor read as they do
for any op.
"""
import dataclasses

from ..base import MXNetError
from .params import ParamSpec, Params, is_hidden_key
from .registry import BackwardReads, OpDef, register

__all__ = ["register_type", "registered_types"]

_TYPES = {}


def register_type(op_type, factory):
    """Make ``op_type`` usable by ``Custom``: ``factory(kwargs)`` returns the prop adapter."""
    _TYPES[op_type] = factory


def registered_types():
    return sorted(_TYPES)


class _CustomParams(ParamSpec):
    """Any keyword is a parameter of the user's prop; ``op_type`` names the prop."""

    def parse(self, attrs, op_name):
        kwargs = {k: str(v) for k, v in attrs.items() if not is_hidden_key(k)}
        op_type = kwargs.pop("op_type", None)
        if op_type is None:
            raise MXNetError("Required parameter op_type of string is not presented, in "
                             "operator Custom")
        factory = _TYPES.get(op_type)
        if factory is None:
            raise MXNetError(f"Cannot find custom operator {op_type}: register it with "
                             f"mx.operator.register({op_type!r}) before use (registered: "
                             f"{', '.join(registered_types()) or 'none'})")
        out = Params(op_type=op_type)
        out["prop"] = factory(kwargs)
        return out

    def describe(self):
        return "op_type : string, required\n    Name of the custom operator (mx.operator.register)"


def _inputs(p):
    return p["prop"].arguments() + p["prop"].aux()


def _infer_shape(p, in_shapes):
    return p["prop"].infer_shape(list(in_shapes))


def _infer_type(p, in_types):
    return p["prop"].infer_type(list(in_types))


def _forward(sc, p, ins):
    return p["prop"].forward(sc, ins)


def _backward(sc, p, ograds, ins, outs):
    return p["prop"].backward(sc, ograds, ins, outs)


def _reads(p):
    ins, outs = p["prop"].dependencies()
    # every input's shape: backward allocates the input gradients it hands the user's code
    return BackwardReads(inputs=tuple(ins), input_shapes=tuple(range(len(_inputs(p)))),
                         outputs=tuple(outs))


def _specialize(p):
    """The OpDef of one Custom node: the prop's aux names and gradient needs as plain values."""
    prop = p["prop"]
    return dataclasses.replace(CUSTOM, aux=tuple(prop.aux()),
                               needs_head_grad=prop.need_top_grad(), specialize=None)


CUSTOM = register(OpDef(
    name="Custom",
    params=_CustomParams(),
    inputs=_inputs,
    num_outputs=lambda p: len(p["prop"].outputs()),
    output_names=lambda p: p["prop"].outputs(),
    infer_shape=_infer_shape,
    infer_type=_infer_type,
    forward=_forward,
    backward=_backward,
    backward_reads=_reads,
    specialize=_specialize,
    doc="Apply a custom operator implemented in Python (mx.operator.CustomOp).",
))
