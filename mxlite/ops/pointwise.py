"""Element-wise fusion: the scalar-expression language element-wise ops declare, and the kernels
generated from a group of them (the analogue of MXNet's ``MXNET_USE_FUSION``).

An op opts in with ``OpDef.pointwise``: a :class:`Pointwise` holding its forward and its input
gradients as functions of an array module. They are the *same* functions the op's NumPy path
calls (a row of ``UNARY``, ``BINARY``, ``SCALAR`` or ``activation_forward``), evaluated here with
:data:`XP`, a namespace whose functions build an expression tree instead of computing. So each
formula is written once; ``mxlite.passes`` groups chains of such steps, and this module

1. traces a group: the forward expression of its output from the group's inputs, and, by reverse
   accumulation over the declared gradients, each input's gradient from the head gradient,
   recomputing intermediates instead of storing them (:func:`trace_group`);
2. prints the expressions as straight-line code (common subexpressions once, dead ones dropped)
   in Python for numba (``cpu``) or CUDA C++ (``gpu``, :mod:`.pointwise_cuda`);
3. compiles it once per source text (CPU: a file in the cache directory, so numba's disk cache
   works for generated code; GPU: ``cuda.source_function``) and runs it as one pass over memory.

Arithmetic is done in the arrays' dtype (float32 or float64), constants rounded to it, as the
NumPy path computes; float16, integer data and a process without numba take the unfused steps.
"""
import hashlib
import math
import os
import pathlib
import sys
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _jit

__all__ = ["Pointwise", "Expr", "XP", "declared", "trace_group", "FusedGroup", "program",
           "python_source", "cache_dir", "FUSABLE_DTYPES"]

#: dtypes the generated kernels compute in (others run unfused)
FUSABLE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class Pointwise:
    """An element-wise op's scalar form.

    ``forward(xp, p, *ins)`` returns the output; ``grads(xp, p, g, *ins, out)`` returns one
    gradient per input from the head gradient ``g``. Both are called with :data:`XP` and
    :class:`Expr` arguments: they may use arithmetic, comparisons (as 0/1 factors) and the
    functions of :data:`XP`, but not Python control flow on values.
    """

    forward: Callable
    grads: Callable


def declared(op, params):
    """The :class:`Pointwise` of ``op`` with ``params`` (None when it declares none)."""
    pw = op.pointwise
    if callable(pw) and not isinstance(pw, Pointwise):
        pw = pw(params)
    return pw


# ----- the expression language --------------------------------------------------------------------
class Expr:
    """A node of a scalar expression: ``op`` with ``args`` (Exprs) and a ``value`` (the name of a
    variable, a constant, a function name). ``boolean`` nodes (comparisons) become 0/1 when used
    in arithmetic, as NumPy's bool arrays do."""

    __slots__ = ("op", "args", "value", "boolean")
    #: declarations ask ``x.dtype.kind`` to tell integer from float data; fused data is float
    dtype = np.dtype(np.float64)

    def __init__(self, op, args=(), value=None, boolean=False):
        self.op = op
        self.args = tuple(args)
        self.value = value
        self.boolean = boolean

    def __repr__(self):
        return f"Expr({self.op}, {self.value!r}, {len(self.args)} args)"

    def __bool__(self):
        raise TypeError("a fusable declaration may not branch on a value (Expr in a condition)")

    __hash__ = object.__hash__

    def __add__(self, other):
        return _arith("add", self, other)

    def __radd__(self, other):
        return _arith("add", other, self)

    def __sub__(self, other):
        return _arith("sub", self, other)

    def __rsub__(self, other):
        return _arith("sub", other, self)

    def __mul__(self, other):
        return _arith("mul", self, other)

    def __rmul__(self, other):
        return _arith("mul", other, self)

    def __truediv__(self, other):
        return _arith("div", self, other)

    def __rtruediv__(self, other):
        return _arith("div", other, self)

    def __pow__(self, other):
        return _arith("pow", self, other)

    def __rpow__(self, other):
        return _arith("pow", other, self)

    def __neg__(self):
        return Expr("neg", (_num(self),))

    def __abs__(self):
        return _call("abs", self)

    def __gt__(self, other):
        return _compare("gt", self, other)

    def __ge__(self, other):
        return _compare("ge", self, other)

    def __lt__(self, other):
        return _compare("lt", self, other)

    def __le__(self, other):
        return _compare("le", self, other)

    def __eq__(self, other):
        return _compare("eq", self, other)

    def __ne__(self, other):
        return _compare("ne", self, other)


def var(name):
    return Expr("var", value=name)


def const(value):
    return Expr("const", value=float(value))


def as_expr(value):
    """``value`` (an Expr, a Python or NumPy number) as an Expr; TypeError for anything else."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return const(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return const(value.item())
    raise TypeError(f"not a scalar expression: {type(value).__name__}")


def _num(value):
    """A numeric Expr (a comparison becomes 0/1)."""
    e = as_expr(value)
    return Expr("b2f", (e,)) if e.boolean else e


def _arith(op, a, b):
    return Expr(op, (_num(a), _num(b)))


def _compare(op, a, b):
    return Expr(op, (_num(a), _num(b)), boolean=True)


def _call(name, *args):
    return Expr("call", tuple(_num(a) for a in args), value=name)


class _Namespace:
    """The array module the declarations see while being traced (:data:`XP`)."""

    _UNARY = ("exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "sin", "cos", "tan",
              "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
              "arctanh", "abs", "sign")
    float32, float64 = np.float32, np.float64

    def __getattr__(self, name):
        if name in self._UNARY:
            return lambda x: _call(name, x)
        raise AttributeError(f"fusable declarations cannot use xp.{name}")

    @staticmethod
    def maximum(a, b):
        return _call("maximum", a, b)

    @staticmethod
    def minimum(a, b):
        return _call("minimum", a, b)

    @staticmethod
    def hypot(a, b):
        return _call("hypot", a, b)

    @staticmethod
    def where(cond, a, b):
        c = as_expr(cond)
        if not c.boolean:
            c = Expr("ne", (c, const(0)), boolean=True)
        return Expr("where", (c, _num(a), _num(b)))

    def logaddexp(self, a, b):
        # NumPy's npy_logaddexp: the larger plus log1p(exp(-difference)); NaN falls to the else
        a, b = _num(a), _num(b)
        return self.where(a > b, a + self.log1p(self.exp(b - a)),
                          b + self.log1p(self.exp(a - b)))

    @staticmethod
    def zeros(shape, dtype=None):
        return const(0)

    @staticmethod
    def zeros_like(x, dtype=None):
        return const(0)

    @staticmethod
    def asarray(x, dtype=None):
        return as_expr(x)


#: the array module a fusable declaration is traced with
XP = _Namespace()


# ----- tracing a group ----------------------------------------------------------------------------
@dataclass
class Traced:
    """A group's expressions: ``output`` from variables ``x0 .. x{n-1}`` (the group's inputs) and
    ``grads`` (one per input) from those and the head gradient ``g0``."""

    n_inputs: int
    output: Expr
    grads: list


def trace_group(members):
    """Trace ``members``, a list of ``(pointwise, params, input keys, output key)`` in execution
    order (keys name values: an output key read by a later member links the two). Inputs are the
    keys no member produces, numbered in order of first use; the last member's output is the
    group's. Raises TypeError/AttributeError when a declaration uses what ``XP`` lacks."""
    env, inputs = {}, []
    for pw, params, ins, out in members:
        for key in ins:
            if key not in env:
                env[key] = var(f"x{len(inputs)}")
                inputs.append(key)
        env[out] = _num(pw.forward(XP, params, *(env[k] for k in ins)))
    adjoint = {members[-1][3]: var("g0")}
    for pw, params, ins, out in reversed(members):
        g = adjoint.pop(out, None)
        if g is None:
            continue
        grads = pw.grads(XP, params, g, *(env[k] for k in ins), env[out])
        if len(grads) != len(ins):
            raise TypeError(f"{len(grads)} gradients declared for {len(ins)} inputs")
        for key, gi in zip(ins, grads):
            gi = _num(gi)
            adjoint[key] = adjoint[key] + gi if key in adjoint else gi
    return Traced(len(inputs), env[members[-1][3]],
                  [adjoint.get(key, const(0)) for key in inputs]), inputs


def program(outputs):
    """Straight-line code for ``outputs`` (a list of Exprs): ``(lines, result names, variables
    read)``, each line ``(name, op, value, argument names)``. Equal subexpressions are computed
    once; unreachable ones are not computed."""
    lines, name_of, by_key, used = [], {}, {}, []
    for root in outputs:
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in name_of:
                continue
            if not ready:
                stack.append((node, True))
                stack.extend((a, False) for a in reversed(node.args) if id(a) not in name_of)
                continue
            args = tuple(name_of[id(a)] for a in node.args)
            key = (node.op, node.value, args)
            name = by_key.get(key)
            if name is None:
                name = node.value if node.op == "var" else f"t{len(lines)}"
                if node.op == "var":
                    used.append(name)
                else:
                    lines.append((name, node.op, node.value, args))
                by_key[key] = name
            name_of[id(node)] = name
    return lines, [name_of[id(r)] for r in outputs], used


# ----- printers -----------------------------------------------------------------------------------
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "gt": ">", "ge": ">=", "lt": "<",
          "le": "<=", "eq": "==", "ne": "!="}
_PY_MATH = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
            "arccosh": "acosh", "arctanh": "atanh"}
_C_MATH = {**_PY_MATH, "abs": "fabs"}


def _py_const(v):
    if math.isnan(v):
        return "_T(math.nan)"
    if math.isinf(v):
        return "_T(math.inf)" if v > 0 else "_T(-math.inf)"
    return f"_T({v!r})"


def _py_expr(op, value, a):
    if op == "const":
        return _py_const(value)
    if op in _INFIX:
        return f"{a[0]} {_INFIX[op]} {a[1]}"
    if op == "pow":
        return f"_T({a[0]} ** {a[1]})"
    if op == "neg":
        return f"-{a[0]}"
    if op == "b2f":
        return f"_T(1.0) if {a[0]} else _T(0.0)"
    if op == "where":
        return f"{a[1]} if {a[0]} else {a[2]}"
    if value == "abs":
        return f"abs({a[0]})"
    if value == "sign":  # NumPy's: 0 and NaN map to themselves
        return f"_T(1.0) if {a[0]} > 0 else (_T(-1.0) if {a[0]} < 0 else {a[0]})"
    if value == "maximum":  # NaN-propagating, as np.maximum
        return f"{a[0]} if ({a[0]} >= {a[1]} or {a[0]} != {a[0]}) else {a[1]}"
    if value == "minimum":
        return f"{a[0]} if ({a[0]} <= {a[1]} or {a[0]} != {a[0]}) else {a[1]}"
    return f"_T(math.{_PY_MATH.get(value, value)}({', '.join(a)}))"


def python_source(name, traced_outputs, dtype):
    """Python source of a numba kernel ``name(n, in..., out...)`` computing ``traced_outputs``
    element-wise; returns ``(source, input variable names read)``. Variables ``x<i>`` are read
    from the arrays named ``x<i>_``, ``g<i>`` from ``g<i>_``."""
    lines, results, used = program(traced_outputs)
    used = sorted(used, key=lambda v: (v[0] != "x", int(v[1:])))
    params = [f"{v}_" for v in used] + [f"out{i}" for i in range(len(results))]
    body = [f"        {v} = {v}_[i]" for v in used]
    body += [f"        {n} = {_py_expr(op, value, args)}" for n, op, value, args in lines]
    body += [f"        out{i}[i] = {r}" for i, r in enumerate(results)]
    src = "\n".join([
        '"""Generated by mxlite.ops.pointwise (element-wise fusion); do not edit."""',
        "import math", "", "import numpy as np", "", "from mxlite.ops._jit import prange", "",
        f"_T = np.{np.dtype(dtype).name}", "", "",
        f"def {name}(n, {', '.join(params)}):", "    for i in prange(n):", *body, ""])
    return src, used


def cuda_source(entry, traced_outputs, dtype):
    """CUDA C++ source of a grid-stride kernel ``entry(in..., out..., n)``; returns
    ``(source, input variable names read)``."""
    lines, results, used = program(traced_outputs)
    used = sorted(used, key=lambda v: (v[0] != "x", int(v[1:])))
    ctype = "float" if np.dtype(dtype) == np.float32 else "double"
    suffix = "f" if ctype == "float" else ""
    body = [f"    const T {v} = {v}_[i];" for v in used]
    for n, op, value, a in lines:
        decl = "const bool" if op in _INFIX and op not in ("add", "sub", "mul", "div") \
            else "const T"
        if op == "const":
            text = (f"T({value!r})" if math.isfinite(value) else
                    "T(0.0) / T(0.0)" if math.isnan(value) else
                    f"{'' if value > 0 else '-'}T(1.0) / T(0.0)")
        elif op in _INFIX:
            text = f"{a[0]} {_INFIX[op]} {a[1]}"
        elif op == "pow":
            text = f"pow{suffix}({a[0]}, {a[1]})"
        elif op == "neg":
            text = f"-{a[0]}"
        elif op == "b2f":
            text = f"{a[0]} ? T(1.0) : T(0.0)"
        elif op == "where":
            text = f"{a[0]} ? {a[1]} : {a[2]}"
        elif value == "sign":
            text = f"{a[0]} > T(0) ? T(1.0) : ({a[0]} < T(0) ? T(-1.0) : {a[0]})"
        elif value == "maximum":
            text = f"({a[0]} >= {a[1]} || {a[0]} != {a[0]}) ? {a[0]} : {a[1]}"
        elif value == "minimum":
            text = f"({a[0]} <= {a[1]} || {a[0]} != {a[0]}) ? {a[0]} : {a[1]}"
        else:
            text = f"{_C_MATH.get(value, value)}{suffix}({', '.join(a)})"
        body.append(f"    {decl} {n} = {text};")
    body += [f"    out{i}[i] = {r};" for i, r in enumerate(results)]
    params = ([f"const T* __restrict__ {v}_" for v in used]
              + [f"T* __restrict__ out{i}" for i in range(len(results))] + ["long long n"])
    src = "\n".join([
        "// Generated by mxlite.ops.pointwise (element-wise fusion); do not edit.",
        f"typedef {ctype} T;", "",
        f'extern "C" __global__ void {entry}({", ".join(params)}) {{',
        "  const long long stride = (long long)blockDim.x * gridDim.x;",
        "  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; "
        "i += stride) {", *body, "  }", "}", ""])
    return src, used


# ----- CPU kernels: generated source in a cache file, compiled by numba --------------------------
_cpu_lock = threading.Lock()
_cpu_kernels = {}  # source digest -> kernel (``_jit``: parallel, its serial twin for small n)


def cache_dir():
    """Where generated CPU kernels are written (``$MXLITE_CACHE_DIR/pointwise``, default
    ``~/.cache/mxlite/pointwise``); numba keeps its compiled cache beside them."""
    root = os.environ.get("MXLITE_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "mxlite")
    return pathlib.Path(root) / "pointwise"


def _load_source(name, src):
    """The function ``name`` of ``src``, loaded from a file in :func:`cache_dir` (so numba can
    cache its compilations on disk); from memory, uncached, when the directory is not writable.
    Returns ``(function, cacheable)``."""
    import importlib.util
    directory = cache_dir()
    path = directory / f"{name}.py"
    try:
        if not path.is_file() or path.read_text() != src:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = directory / f".{name}.{os.getpid()}.tmp"
            tmp.write_text(src)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(f"mxlite_pointwise_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # numba's disk cache re-imports a kernel's module by name when it loads a compilation
        sys.modules.setdefault(spec.name, module)
        return getattr(module, name), True
    except OSError:
        namespace = {}
        exec(compile(src, f"<mxlite pointwise {name}>", "exec"), namespace)
        return namespace[name], False


def cpu_kernel(outputs, dtype, tag):
    """``(call, variables read)``: ``call(n, arrays...)`` runs the generated kernel computing
    ``outputs`` on flat arrays (the variables read, in order, then the outputs)."""
    probe, used = python_source("k", outputs, dtype)
    digest = hashlib.sha256(probe.encode()).hexdigest()[:20]
    with _cpu_lock:
        kernel = _cpu_kernels.get(digest)
        if kernel is None:
            name = f"{tag}_{np.dtype(dtype).name}_{digest}"
            src, _ = python_source(name, outputs, dtype)
            fn, cacheable = _load_source(name, src)
            kernel = _cpu_kernels[digest] = _jit._Kernel(fn, True, False, cacheable)
    return kernel, used


# ----- running a fused group ----------------------------------------------------------------------
class FusedGroup:
    """One fused group bound in an executor: ``forward``/``backward`` with the signatures of an
    op's (``sc, params, ins`` / ``sc, params, ograds, ins, outs``; ``params`` is unused).

    ``traced`` is the group's :class:`Traced`; ``shape``/``dtype`` those of every value in it;
    ``device`` ``"cpu"`` or ``"gpu"``; ``wanted`` the input positions whose gradients are used.
    Kernels are generated at construction (bind) and compiled on first call.
    """

    def __init__(self, name, traced, shape, dtype, device, wanted):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.size = int(np.prod(self.shape))
        self.n_inputs = traced.n_inputs
        self.wanted = tuple(i for i in range(traced.n_inputs) if i in set(wanted))
        grads = [traced.grads[i] for i in self.wanted]
        if device == "gpu":
            from . import pointwise_cuda
            self._fwd, fwd_used = pointwise_cuda.kernel([traced.output], self.dtype, "fwd")
            self._bwd, bwd_used = pointwise_cuda.kernel(grads, self.dtype, "bwd")
        else:
            self._fwd, fwd_used = cpu_kernel([traced.output], self.dtype, "fwd")
            self._bwd, bwd_used = cpu_kernel(grads, self.dtype, "bwd") if grads else (None, [])
        self._fwd_inputs = [int(v[1:]) for v in fwd_used if v[0] == "x"]
        self._bwd_inputs = [int(v[1:]) for v in bwd_used if v[0] == "x"]
        self._bwd_head = "g0" in bwd_used
        #: input positions backward reads (for ``BackwardReads``)
        self.backward_inputs = tuple(sorted(set(self._bwd_inputs)))

    def _flat(self, xp, a):
        return xp.ascontiguousarray(a).reshape(-1)

    def _target(self, xp, buf):
        """``buf`` when it can take a result (C order, the group's dtype and shape), else a new
        array."""
        if (buf is not None and buf.dtype == self.dtype and tuple(buf.shape) == self.shape
                and buf.flags.c_contiguous):
            return buf
        return xp.empty(self.shape, self.dtype)

    def forward(self, sc, params, ins):
        xp = sc.xp
        out = self._target(xp, sc.out)
        self._fwd(self.size, *(self._flat(xp, ins[i]) for i in self._fwd_inputs),
                  out.reshape(-1))
        return [out]

    def backward(self, sc, params, ograds, ins, outs):
        xp = sc.xp
        buffers = getattr(sc, "grad_out", None) or (None,) * self.n_inputs
        results = [None] * self.n_inputs
        if self._bwd is None:
            return results
        targets = [self._target(xp, buffers[i]) for i in self.wanted]
        arrays = [self._flat(xp, ins[i]) for i in self._bwd_inputs]
        if self._bwd_head:
            arrays.append(self._flat(xp, ograds[0]))
        self._bwd(self.size, *arrays, *(t.reshape(-1) for t in targets))
        for i, t in zip(self.wanted, targets):
            results[i] = t
        return results


def group_supported(device, dtype):
    """Whether a group of ``dtype`` values can be fused on ``device`` in this process."""
    if np.dtype(dtype) not in FUSABLE_DTYPES:
        return False
    return device == "gpu" or _jit.enabled()
