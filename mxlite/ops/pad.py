"""Pad: constant, edge and reflect padding of 4-D and 5-D data (src/operator/pad-inl.h).
"""
import numpy as np

from ..base import MXNetError
from ._util import fmt_shape, register_unary, unary_shape_rule
from .params import REQUIRED, Enum, Float, ParamSpec, Shape


# ----- Pad ----------------------------------------------------------------------------------------
def _pad_pairs(p, s):
    width = tuple(p["pad_width"])
    if len(s) not in (4, 5):
        raise MXNetError(f"Pad: Current implementation only supports 4-D or 5-D data, got "
                         f"shape {fmt_shape(s)}")
    if len(width) != 2 * len(s):
        raise MXNetError(f"Pad: pad_width={fmt_shape(width)} must have 2*ndim = {2 * len(s)} "
                         f"entries for input shape {fmt_shape(s)}")
    if any(width[:4]):
        raise MXNetError(f"Pad: Current implementation expects padding on the first two axes "
                         f"to be zero, got pad_width={fmt_shape(width)}")
    if any(w < 0 for w in width):
        raise MXNetError(f"Pad: pad_width={fmt_shape(width)} must not be negative")
    pairs = [(width[2 * i], width[2 * i + 1]) for i in range(len(s))]
    if p["mode"] == "reflect" and any(max(pr) >= d for pr, d in zip(pairs[2:], s[2:], strict=True)):
        raise MXNetError(f"Pad: reflection padding needs every pad_width entry smaller than "
                         f"its axis size: pad_width={fmt_shape(width)}, shape {fmt_shape(s)}")
    return pairs


def _pad_forward(sc, p, ins):
    x = ins[0]
    pairs = _pad_pairs(p, x.shape)
    if p["mode"] == "constant":
        return [sc.xp.pad(x, pairs, mode="constant",
                          constant_values=x.dtype.type(p["constant_value"]))]
    return [sc.xp.pad(x, pairs, mode=p["mode"])]


def _pad_backward(sc, p, ograds, ins, outs):
    xp, x, g = sc.xp, ins[0], ograds[0]
    for axis, (before, after) in enumerate(_pad_pairs(p, x.shape)):
        n = x.shape[axis]
        if p["mode"] == "constant":
            g = g[(slice(None),) * axis + (slice(before, before + n),)]
            continue
        # which input index each output position copies; the gradient sums over its copies
        src = np.pad(np.arange(n), (before, after), mode=p["mode"])
        onehot = xp.asarray((src[:, None] == np.arange(n)[None, :]).astype(g.dtype))
        g = xp.moveaxis(xp.moveaxis(g, axis, -1) @ onehot, -1, axis)
    return [xp.ascontiguousarray(g)]


register_unary("Pad", ParamSpec(Enum("mode", ("constant", "edge", "reflect"), REQUIRED,
                             "constant_value, edge values, or reflection about the edges."),
                        Shape("pad_width", REQUIRED, "(before_1, after_1, ..., before_N, "
                                                     "after_N); the first four must be 0."),
                        Float("constant_value", 0.0, "Fill value for mode 'constant'.")),
               unary_shape_rule(lambda p, s: tuple(d + sum(pair)
                                      for d, pair in zip(s, _pad_pairs(p, s), strict=True))),
               _pad_forward, _pad_backward, "Pads the spatial axes of a 4-D or 5-D input.",
               aliases=("pad",))
