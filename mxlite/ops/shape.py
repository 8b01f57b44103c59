"""Shape ops of the core slice: Reshape (with MXNet's special codes) and Flatten."""
from ..base import MXNetError
from .params import Bool, OptShape, ParamSpec, Shape
from .registry import OpDef, register


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def reshape_shape(dshape, spec, reverse=False):
    """Apply MXNet's Reshape codes (0, -1, -2, -3, -4) in ``spec`` to ``dshape``.

    Unlike MXNet 1.9.1, a target with a different element count raises (MXNet accepted it and
    corrupted memory).
    """
    dshape, spec = list(dshape), list(spec)
    if reverse:
        dshape.reverse()
        spec.reverse()
    out, src, infer_at, i = [], 0, -1, 0
    try:
        while i < len(spec):
            code = spec[i]
            if code == 0:
                out.append(dshape[src])
                src += 1
            elif code == -1:
                if infer_at >= 0:
                    raise MXNetError("One and only one dim can be inferred")
                infer_at = len(out)
                out.append(1)
                src += 1
            elif code == -2:
                out.extend(dshape[src:])
                src = len(dshape)
            elif code == -3:
                out.append(dshape[src] * dshape[src + 1])
                src += 2
            elif code == -4:
                whole, d1, d2 = dshape[src], spec[i + 1], spec[i + 2]
                if d1 == -1:
                    d1 = whole // d2
                if d2 == -1:
                    d2 = whole // d1
                if d1 * d2 != whole:
                    raise MXNetError(f"Split dims {d1}, {d2} do not divide original dim {whole}")
                out.extend([d1, d2])
                src += 1
                i += 2
            elif code > 0:
                out.append(code)
                src += 1
            else:
                raise MXNetError(f"Invalid special code {code} in Reshape shape")
            i += 1
    except IndexError:
        raise MXNetError(f"Reshape: shape {tuple(spec)} consumes more dimensions than the "
                         f"input {tuple(dshape)} has") from None
    if infer_at >= 0:
        rest = _size(out)
        if rest == 0 or _size(dshape) % rest:
            raise MXNetError(f"Reshape: cannot infer the -1 dim of {tuple(spec)} from input "
                             f"shape {tuple(dshape)}")
        out[infer_at] = _size(dshape) // rest
    if reverse:
        out.reverse()
        dshape.reverse()
    if _size(out) != _size(dshape):
        raise MXNetError(f"Reshape: target shape {tuple(out)} has {_size(out)} elements but the "
                         f"input shape {tuple(dshape)} has {_size(dshape)}")
    return tuple(out)


_RESHAPE_PARAMS = ParamSpec(
    Shape("shape", (), "The target shape, with special codes 0, -1, -2, -3, -4."),
    Bool("reverse", False, "If true, the special codes are applied right to left."),
    OptShape("target_shape", (), "(Deprecated) target shape; 0 means infer."),
    Bool("keep_highest", False, "(Deprecated) keep the first dim, infer the rest."))


def _target(p, dshape):
    if p["shape"]:
        return reshape_shape(dshape, p["shape"], p["reverse"])
    target = tuple(p["target_shape"] or ())
    if p["keep_highest"]:
        target = (dshape[0],) + target
    return reshape_shape(dshape, tuple(-1 if d == 0 else d for d in target))


def _reshape_shape(p, in_shapes):
    data = in_shapes[0]
    return [data], [None if data is None else _target(p, data)]


def _reshape_forward(sc, p, ins):
    return [ins[0].reshape(_target(p, ins[0].shape))]


def _reshape_backward(sc, p, ograds, ins, outs):
    return [ograds[0].reshape(ins[0].shape)]


register(OpDef(name="Reshape", aliases=("reshape",), params=_RESHAPE_PARAMS,
               forward=_reshape_forward, backward=_reshape_backward, infer_shape=_reshape_shape,
               doc="Reshapes the input; 0 copies a dim, -1 infers one, -2 copies the rest, -3 "
                   "merges two dims, -4 splits one (two values follow)."))


def _flatten_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    return [data], [(data[0], _size(data[1:]))]


register(OpDef(name="Flatten", aliases=("flatten",), forward=lambda sc, p, ins: [
    ins[0].reshape(ins[0].shape[0], -1)], backward=_reshape_backward, infer_shape=_flatten_shape,
    doc="Flattens the input to (d1, d2*...*dk); a 1-D (N,) input becomes (N, 1)."))
