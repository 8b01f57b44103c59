"""Operators written in Python: ``CustomOp``/``CustomOpProp`` with ``register``, and the legacy
``NumpyOp``/``NDArrayOp`` (MXNet 1.9's python/mxnet/operator.py).

A registered op type is applied with ``mx.sym.Custom(..., op_type=name)`` or
``mx.nd.Custom(..., op_type=name)``; it becomes a step of the plan like any other op (the
``Custom`` declaration is in ``mxlite/ops/custom.py``). The user's keyword parameters reach the
prop's constructor as strings, as in MXNet.
"""
import collections
import itertools

import numpy as np

from .base import MXNetError
from .ndarray.ndarray import NDArray
from .ops import custom as _custom
from .ops import registry
from .ops.params import REQUIRED, Params

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
           "get_operator_arguments", "OperatorArguments", "PythonOp",
           "NumpyOp", "NDArrayOp"]


class CustomOp:
    """Base class of a custom operator's computation: override ``forward`` and ``backward``."""

    def forward(self, is_train, req, in_data, out_data, aux):
        """Compute ``out_data`` from ``in_data`` (lists of NDArray), honouring ``req``."""
        pass

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Compute ``in_grad`` from the head gradients ``out_grad``, honouring ``req``."""
        pass

    def assign(self, dst, req, src):
        """Write ``src`` into ``dst`` as ``req`` says ('null', 'write', 'inplace' or 'add')."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] = dst + src
        else:
            raise MXNetError(f"CustomOp.assign: unknown req {req!r}")


class CustomOpProp:
    """Base class of a custom operator's description: arity, shapes, types, dependencies."""

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        return in_stype, ["default"] * len(self.list_outputs()), \
            ["default"] * len(self.list_auxiliary_states())

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype, igrad_stype,
                                    aux_stype):
        return (ograd_stype, in_stype, out_stype, ["default"] * len(in_stype),
                aux_stype)

    def list_outputs(self):
        return ["output"]

    def list_arguments(self):
        return ["data"]

    def list_auxiliary_states(self):
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        deps = []
        if self.need_top_grad_:
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return CustomOp()


_PROPS = {}


def register(reg_name):
    """Class decorator: register a ``CustomOpProp`` subclass as op type ``reg_name``."""
    def do_register(prop_cls):
        _PROPS[reg_name] = prop_cls
        _custom.register_type(reg_name, lambda kwargs: _PropAdapter(reg_name, prop_cls, kwargs))
        return prop_cls
    return do_register


def get_all_registered_operators():
    """Every operator name the registry knows, aliases included (MXNet's MXListAllOpNames)."""
    return registry.all_names()


# What ``get_operator_arguments`` returns, as in MXNet's operator.py.
OperatorArguments = collections.namedtuple("OperatorArguments", ["narg", "names", "types"])


def get_operator_arguments(op_name):
    """The inputs and parameters of a registered operator, with MXNet's type strings: inputs are
    ``NDArray-or-Symbol`` (``NDArray-or-Symbol[]`` for a variadic one), parameters as the op's
    documentation prints them (``{'relu', 'sigmoid', ...}, required``)."""
    op = registry.get(op_name)
    if op.variadic:
        names, types = ["data"], ["NDArray-or-Symbol[]"]
    else:
        # the inputs with every parameter at its default (required ones unset)
        defaults = Params({f.name: None if f.default is REQUIRED else f.default
                           for f in op.params})
        names = op.input_names(defaults)
        types = ["NDArray-or-Symbol"] * len(names)
    for field in op.params:
        if field.name == "num_args":
            continue
        names.append(field.name)
        types.append(field.describe())
    return OperatorArguments(len(names), names, types)


class _Undeclared:
    """Handed to backward for a value its prop did not list in declare_backward_dependency."""

    def __init__(self, what):
        self._what = what

    def __getattr__(self, attr):
        raise MXNetError(f"{self._what} is not available in backward: list it in "
                         "declare_backward_dependency")


class _Output(NDArray):
    """An output buffer that notes being written, so an unassigned output can be named."""

    __slots__ = ("written",)

    def __init__(self, data, ctx):
        super().__init__(data, ctx)
        self.written = False

    def __setitem__(self, key, value):
        self.written = True
        super().__setitem__(key, value)

    def _assign(self, value):
        self.written = True
        super()._assign(value)


def _sentinel(xp, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return np.nan
    return np.iinfo(dtype).min if dtype.kind in "iu" else 0


class _PropAdapter:
    """What ``mxlite.ops.custom`` asks of a registered op type, run on NDArrays."""

    def __init__(self, op_type, prop_cls, kwargs):
        self.op_type = op_type
        self.kwargs = kwargs
        with _user_code(op_type, "CustomOpProp.__init__"):
            self.prop = prop_cls(**kwargs)
        self._args = list(self.prop.list_arguments())
        self._outs = list(self.prop.list_outputs())
        self._aux = list(self.prop.list_auxiliary_states())

    def __repr__(self):
        return f"<custom op {self.op_type} {self.kwargs}>"

    def arguments(self):
        return list(self._args)

    def outputs(self):
        return list(self._outs)

    def aux(self):
        return list(self._aux)

    def need_top_grad(self):
        return bool(getattr(self.prop, "need_top_grad_", True))

    def dependencies(self):
        """(input positions, output positions) whose values backward reads."""
        n_out, n_in = len(self._outs), len(self._args)
        deps = set(self.prop.declare_backward_dependency(
            list(range(n_out)), list(range(n_out, n_out + n_in)),
            list(range(n_out + n_in, 2 * n_out + n_in))))
        ins = [i - n_out for i in sorted(deps) if n_out <= i < n_out + n_in]
        ins += list(range(n_in, n_in + len(self._aux)))  # aux states always reach backward
        outs = [i - n_out - n_in for i in sorted(deps) if i >= n_out + n_in]
        return ins, outs

    def _check_counts(self, what, result, allow_two):
        if not isinstance(result, (list, tuple)) or len(result) not in ((2, 3) if allow_two
                                                                          else (3,)):
            raise MXNetError(f"Custom operator {self.op_type}: {what} must return (in, out"
                             f"{', aux' if not allow_two else '[, aux]'}) lists, got {result!r}")
        ins, outs = list(result[0]), list(result[1])
        aux = list(result[2]) if len(result) == 3 else []
        for kind, got, names in (("input", ins, self._args), ("output", outs, self._outs),
                                 ("auxiliary", aux, self._aux)):
            if len(got) != len(names):
                raise MXNetError(f"Custom operator {self.op_type}: {what} returned {len(got)} "
                                 f"{kind} entries, expected {len(names)} ({', '.join(names)})")
        return ins, outs, aux

    def infer_shape(self, in_shapes):
        n = len(self._args)
        args = in_shapes[:n]
        if args and all(s is None for s in args):
            return in_shapes, [None] * len(self._outs)
        try:
            with _user_code(self.op_type, "CustomOpProp.infer_shape"):
                result = self.prop.infer_shape([list(s) if s is not None else [] for s in args])
        except MXNetError:
            if any(s is None for s in args):
                return in_shapes, [None] * len(self._outs)  # not enough known yet
            raise
        ins, outs, aux = self._check_counts("infer_shape", result, allow_two=True)

        def norm(s):
            return tuple(int(d) for d in s) if s is not None and len(s) else None
        aux = [norm(s) for s in aux] if self._aux else []
        if len(aux) < len(in_shapes) - n:
            aux += [None] * (len(in_shapes) - n - len(aux))
        return [norm(s) for s in ins] + aux, [norm(s) for s in outs]

    def infer_type(self, in_types):
        n = len(self._args)
        known = [t for t in in_types if t is not None]
        if n and not known:
            return list(in_types), [None] * len(self._outs)
        args = [np.dtype(t).type if t is not None else np.dtype(known[0]).type
                for t in in_types[:n]]
        with _user_code(self.op_type, "CustomOpProp.infer_type"):
            result = self.prop.infer_type(args)
        ins, outs, aux = self._check_counts("infer_type", result, allow_two=False)
        return ([np.dtype(t) for t in ins] + [np.dtype(t) for t in aux],
                [np.dtype(t) for t in outs])

    # ----- running
    def _operator(self, sc, ins):
        """(operator, output shapes, output dtypes) for inputs of these shapes and dtypes: made
        once per step and input signature, as MXNet creates the operator once per bind."""
        key = tuple((a.shape, a.dtype) for a in ins)
        cached = sc.state.get("custom_op")
        if cached is None or cached[0] != key:
            op = self.prop.create_operator(sc.ctx, [list(a.shape) for a in ins],
                                           [np.dtype(a.dtype).type for a in ins])
            if not hasattr(op, "forward") or not hasattr(op, "backward"):
                raise MXNetError(f"Custom operator {self.op_type}: create_operator must "
                                 f"return a CustomOp, got {type(op).__name__}")
            _, out_shapes = self.infer_shape([tuple(a.shape) for a in ins])
            _, out_types = self.infer_type([np.dtype(a.dtype) for a in ins])
            cached = (key, op, out_shapes, out_types)
            sc.state["custom_op"] = cached
        return cached[1:]

    def forward(self, sc, ins):
        xp, ctx, n = sc.xp, sc.ctx, len(self._args)
        op, out_shapes, out_types = self._operator(sc, ins)
        outs = [_Output(xp.full(s, _sentinel(xp, t), dtype=t), ctx)
                for s, t in zip(out_shapes, out_types)]
        in_nd = [NDArray(a, ctx) for a in ins[:n]]
        aux_nd = [NDArray(a, ctx) for a in ins[n:]]
        with _user_code(self.op_type, "CustomOp.forward"):
            op.forward(is_train=sc.is_train, req=["write"] * len(outs), in_data=in_nd,
                       out_data=outs, aux=aux_nd)
        for name, o in zip(self._outs, outs):
            if not o.written and o.size and _all_sentinel(xp, o._data):
                raise MXNetError(f"Custom operator {self.op_type}: forward did not assign "
                                 f"output '{name}' (write it with self.assign(out_data[i], "
                                 f"req[i], value))")
        return [o._data for o in outs]

    def backward(self, sc, ograds, ins, outs):
        xp, ctx, n = sc.xp, sc.ctx, len(self._args)
        cached = sc.state.get("custom_op")
        op = cached[1] if cached is not None else self._operator(sc, ins)[0]
        head = []
        for i, g in enumerate(ograds):
            if g is None:  # need_top_grad False, or no gradient reaches this output
                shape = sc.out_shapes[i] if sc.out_shapes else outs[i].shape
                g = xp.zeros(tuple(shape), dtype=ins[0].dtype)
            head.append(NDArray(g, ctx))

        def wrap(values, names, kind):
            return [NDArray(v, ctx) if isinstance(v, xp.ndarray)
                    else _Undeclared(f"{kind} '{nm}'") for v, nm in zip(values, names)]
        in_nd = wrap(ins[:n], self._args, "input")
        aux_nd = wrap(ins[n:], self._aux, "auxiliary state")
        out_nd = wrap(outs, self._outs, "output")
        wanted = sc.grad_wanted or (True,) * len(ins)
        grads, req = [], []
        for pos in range(n):
            shape = ins[pos].shape
            grads.append(NDArray(xp.zeros(tuple(shape), dtype=ins[pos].dtype), ctx))
            req.append("write" if wanted[pos] else "null")
        with _user_code(self.op_type, "CustomOp.backward"):
            op.backward(req=req, out_grad=head, in_data=in_nd, out_data=out_nd, in_grad=grads,
                        aux=aux_nd)
        return [g._data if r != "null" else None for g, r in zip(grads, req)] + \
            [None] * (len(ins) - n)


class _user_code:
    """An exception raised by the user's forward/backward becomes an MXNetError naming the op
    type, as MXNet reports errors in custom operators (the original stays chained)."""

    def __init__(self, op_type, what):
        self.op_type, self.what = op_type, what

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if err is None or isinstance(err, MXNetError) or not isinstance(err, Exception):
            return False
        raise MXNetError(f"Error in {self.what} of custom operator {self.op_type}: "
                         f"{type(err).__name__}: {err}") from err


def _all_sentinel(xp, data):
    if data.dtype.kind == "f":
        return bool(xp.isnan(data).all())
    return bool((data == _sentinel(xp, data.dtype)).all())


# ----- the legacy interfaces, on top of Custom
class PythonOp:
    """Base of the legacy ``NumpyOp`` and ``NDArrayOp``."""

    _counter = itertools.count()

    def __init__(self, need_top_grad=True):
        self.info_ = None
        self.need_top_grad_ = need_top_grad

    def __call__(self, *args, **kwargs):
        return self.get_symbol(*args, **kwargs)

    def get_symbol(self, *args, **kwargs):
        from . import symbol
        op_type = f"_legacy_{type(self).__name__}_{next(PythonOp._counter)}"
        legacy = self

        class _Prop(CustomOpProp):
            def __init__(self):
                super().__init__(need_top_grad=legacy.need_top_grad())

            def list_arguments(self):
                return legacy.list_arguments()

            def list_outputs(self):
                return legacy.list_outputs()

            def infer_shape(self, in_shape):
                return legacy.infer_shape(in_shape)

            def declare_backward_dependency(self, out_grad, in_data, out_data):
                if hasattr(legacy, "declare_backward_dependency"):
                    return legacy.declare_backward_dependency(out_grad, in_data, out_data)
                return super().declare_backward_dependency(out_grad, in_data, out_data)

            def create_operator(self, ctx, in_shapes, in_dtypes):
                return _LegacyOp(legacy)

        register(op_type)(_Prop)
        return symbol.Custom(*args, op_type=op_type, **kwargs)

    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0]

    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = 1.0

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]]

    def list_outputs(self):
        return ["output"]

    def list_arguments(self):
        return ["data"]

    def need_top_grad(self):
        return self.need_top_grad_


class NumpyOp(PythonOp):
    """Legacy op computing on NumPy arrays: forward/backward get numpy copies of the data."""

    numpy = True


class NDArrayOp(PythonOp):
    """Legacy op computing on NDArrays."""

    numpy = False

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        deps = []
        if self.need_top_grad():
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps


class _LegacyOp(CustomOp):
    def __init__(self, legacy):
        self.legacy = legacy

    def _host(self, arrays):
        if not self.legacy.numpy:
            return arrays
        return [a.asnumpy() if isinstance(a, NDArray) else a for a in arrays]

    def forward(self, is_train, req, in_data, out_data, aux):
        outs = self._host(out_data)
        self.legacy.forward(in_data=self._host(in_data), out_data=outs)
        if self.legacy.numpy:
            for dst, src in zip(out_data, outs):
                dst[:] = src

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        grads = self._host(in_grad)
        self.legacy.backward(out_grad=self._host(out_grad), in_data=self._host(in_data),
                             out_data=self._host(out_data), in_grad=grads)
        if self.legacy.numpy:
            for dst, src, r in zip(in_grad, grads, req):
                self.assign(dst, r, src)
