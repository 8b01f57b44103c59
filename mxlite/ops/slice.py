"""Sub-array ops: slice (crop), slice_axis, slice_like and reverse (flip); each
gradient scatters the head gradient back into a zero array of the input's shape.
"""
from ..base import MXNetError
from ._util import OptInt, axis_in, fmt_shape, lhs_type, norm_axis, register_unary
from .params import REQUIRED, Axis, Int, OptShape, ParamSpec, Shape
from .registry import OpDef, register


# ----- slice / slice_axis -------------------------------------------------------------------------
def _slice_ranges(p, s):
    """Per-axis (begin, end, step, length) following MXNet's GetIndexRange (matrix_op-inl.h)."""
    begin, end, step = p["begin"] or (), p["end"] or (), p["step"] or ()
    if len(begin) != len(end):
        raise MXNetError(f"slice: begin {begin} and end {end} must have the same length")
    if len(begin) > len(s):
        raise MXNetError(f"slice: begin/end have {len(begin)} entries but the input "
                         f"{fmt_shape(s)} has only {len(s)} dimensions")
    if step and len(step) != len(begin):
        raise MXNetError(f"slice: step {step} and begin {begin} must have the same length")
    out = []
    for i, n in enumerate(s):
        if i >= len(begin):
            out.append((0, n, 1, n))
            continue
        st = step[i] if step and step[i] is not None else 1
        if st == 0:
            raise MXNetError(f"slice: step[{i}] cannot be 0")
        b = begin[i] if begin[i] is not None else (n - 1 if st < 0 else 0)
        e = end[i] if end[i] is not None else (-1 if st < 0 else n)
        b = b + n if b < 0 else b
        e = e + n if e < 0 and end[i] is not None else e
        b = 0 if b < 0 and st > 0 else n - 1 if b > n - 1 and st < 0 else b
        b = -1 if b < 0 or b > n - 1 else b
        e = min(max(e, -1), n)
        if b < 0 or e == b:
            length = 0
        elif st > 0:
            length = (e - b - 1) // st + 1 if e > b else 0
        else:
            length = (b - e - 1) // -st + 1 if e < b else 0
        if length == 0:
            raise MXNetError(f"slice: begin={begin}, end={end}, step={step} select nothing "
                             f"on axis {i} of an input of shape {fmt_shape(s)}")
        out.append((b, e, st, length))
    return out


def _slice_key(p, s):
    # an end of -1 with a negative step means "through index 0": Python spells that None
    return tuple(slice(b, None if e < 0 else e, st) for b, e, st, _ in _slice_ranges(p, s))


def _slice_backward(sc, p, ograds, ins, outs):
    grad = sc.xp.zeros_like(ins[0])
    grad[_slice_key(p, ins[0].shape)] = ograds[0]
    return [grad]


def _axiswise(fn):
    """A shape rule for slices, which keep the rank: a dimension unknown on the input (0) is
    unknown on the output, as MXNet's SliceShape gives; the known ones are sliced as usual (on a
    large stand-in for the unknown ones, which they do not depend on)."""
    def infer(p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return [None], [None]
        if all(data):
            return [data], [fn(p, tuple(data))]
        for stand_in in (7207200, 97, 13, 8, 5, 3, 2, 1):  # one the slice accepts
            try:
                out = fn(p, tuple(d or stand_in for d in data))
            except MXNetError:
                continue
            return [data], [tuple(o if d else 0 for o, d in zip(out, data))]
        return [data], [None]
    return infer


register_unary("slice",
               ParamSpec(OptShape("begin", REQUIRED, "Start index per leading axis (None OK)."),
                          OptShape("end", REQUIRED, "End index per leading axis (None OK)."),
                          OptShape("step", (), "Step per leading axis (None: 1; negative OK).")),
               _axiswise(lambda p, s: tuple(r[3] for r in _slice_ranges(p, s))),
               lambda sc, p, ins: [ins[0][_slice_key(p, ins[0].shape)]], _slice_backward,
               "Slices a region with Python semantics on the leading axes.", aliases=("crop",),
               partial_shapes=True)


def _slice_axis_key(p, s):
    axis = norm_axis("slice_axis", p["axis"], len(s))
    n = s[axis]
    b = p["begin"] + n if p["begin"] < 0 else p["begin"]
    e = n if p["end"] is None else p["end"] + n if p["end"] < 0 else p["end"]
    if not 0 <= b < e <= n:
        raise MXNetError(f"slice_axis: invalid begin={p['begin']}, end={p['end']} for axis "
                         f"{axis} of size {n} (need 0 <= begin < end <= {n} after wrapping)")
    return axis, (slice(None),) * axis + (slice(b, e),)


def _slice_axis_shape(p, s):
    axis, key = _slice_axis_key(p, s)
    return s[:axis] + (key[axis].stop - key[axis].start,) + s[axis + 1:]


def _slice_axis_backward(sc, p, ograds, ins, outs):
    grad = sc.xp.zeros_like(ins[0])
    grad[_slice_axis_key(p, ins[0].shape)[1]] = ograds[0]
    return [grad]


register_unary("slice_axis", ParamSpec(Int("axis", REQUIRED, "Axis to slice (negative OK)."),
                               Int("begin", REQUIRED, "Start index (negative OK)."),
                               # MXNet requires end but accepts None; the generated
                               # wrappers drop None-valued keywords, so None is the default
                               OptInt("end", None, "End index (None: to the end).")),
               _axiswise(_slice_axis_shape),
               lambda sc, p, ins: [ins[0][_slice_axis_key(p, ins[0].shape)[1]]],
               _slice_axis_backward,
               "Slices [begin, end) along one axis.", partial_shapes=True)


# ----- reverse ------------------------------------------------------------------------------------
def _flip(p, x):
    key = [slice(None)] * x.ndim
    for a in p["axis"]:
        a = norm_axis("reverse", a, x.ndim)
        # MXNet reverses once per listed entry, so a repeated axis cancels out
        key[a] = slice(None) if key[a].step == -1 else slice(None, None, -1)
    return x[tuple(key)]


def _reverse_shape(p, in_shapes):
    data = in_shapes[0]
    for a in (p["axis"] if data is not None else ()):
        norm_axis("reverse", a, len(data))
    return [data], [data]


register_unary("reverse", ParamSpec(Shape("axis", REQUIRED, "The axes to reverse.")),
               _reverse_shape,
               lambda sc, p, ins: [_flip(p, ins[0])],
               lambda sc, p, g, ins, outs: [_flip(p, g[0])],
               "Reverses the order of elements along the given axes.", aliases=("flip",))


_SL_PARAMS = ParamSpec(Axis("axes", (), "Axes to slice like shape_like (all when empty)."))


def _slice_like_shape(p, data, like):
    if not p["axes"] and len(data) != len(like):
        raise MXNetError(f"slice_like: By default slice_like performs slice on all axes, but "
                         f"ndim mismatch for inputs: data {data} vs shape_like {like}")
    axes = tuple(range(len(data))) if not p["axes"] else \
        tuple(axis_in("slice_like", "axes", a, len(data)) for a in p["axes"])
    out = list(data)
    for a in axes:
        if a >= len(like):
            raise MXNetError(f"slice_like: axis {a} is out of range for shape_like {like}")
        if like[a] > data[a]:
            raise MXNetError(f"slice_like: shape_like {like} is larger than data {data} on "
                             f"axis {a}")
        out[a] = like[a]
    return tuple(out)


def _sl_infer(p, in_shapes):
    data, like = in_shapes
    if data is None or like is None:
        return list(in_shapes), [None]
    return [data, like], [_slice_like_shape(p, data, like)]


def _sl_index(p, data, like):
    return tuple(slice(0, n) for n in _slice_like_shape(p, data.shape, like.shape))


def _sl_forward(sc, p, ins):
    data, like = ins
    return [sc.xp.ascontiguousarray(data[_sl_index(p, data, like)])]


def _sl_backward(sc, p, ograds, ins, outs):
    data, like = ins
    grad = sc.xp.zeros_like(data)
    grad[_sl_index(p, data, like)] = ograds[0]
    return [grad, sc.xp.zeros_like(like)]


register(OpDef(name="slice_like", params=_SL_PARAMS, inputs=("data", "shape_like"),
               forward=_sl_forward, backward=_sl_backward, infer_shape=_sl_infer,
               infer_type=lhs_type,
               doc="Slices data from the start to the shape of shape_like on the given axes."))
