"""Tests generated from the op database (tests/opdb): every case × context × dtype.

- forward: symbolic forward vs the NumPy float64 reference, and the output dtype;
- imperative: ``mx.nd.<op>`` gives the same as the bound symbol;
- gradient: backward in float64 vs a numeric gradient of the *reference* (or the case's analytic
  reference gradient for loss ops), so backward is checked against an independent oracle;
- gradient_dtype: backward in float16/32 vs backward in float64;
- grad_req: 'add' accumulates over two backward calls onto the initial buffer, 'null' leaves it
alone;
- errors: every listed bad input raises the listed exception, naming the op and the
  offending argument;
- gpu_consistency (marked gpu): cpu vs gpu outputs and gradients;
- coverage: every registered op has cases, or a written reason in ``opdb.NO_CASE``.

Only items that run are generated: no item exists to skip itself (gpu items skip only for want of
a device, see conftest.py).
"""
import re
import zlib

import numpy as np
import pytest

import mxlite as mx
from opdb import CASES, NO_CASE
from opdb.core import FORWARD_TOL

CONTEXTS = [pytest.param("cpu", id="cpu"),
            pytest.param("gpu", id="gpu", marks=pytest.mark.gpu)]


def _ctx(name):
    return mx.cpu() if name == "cpu" else mx.gpu(0)


def _params(cases, dtypes=True, exclude=()):
    """``(case, dtype)`` parameters: each case's dtypes (or float64 only when ``dtypes`` is
    False), leaving out those in ``exclude``."""
    out = []
    for case in cases:
        for dt in (case.dtypes if dtypes else ("float64",)):
            if dt not in exclude:
                out.append(pytest.param(case, dt, id=f"{case.id}-{dt}"))
    return out


def _rng(case, salt=""):
    return np.random.default_rng(zlib.crc32((case.id + salt).encode()))


def _symbol(case):
    op = getattr(mx.sym, case.op)
    names = list(case.shapes) + list(case.aux)
    variables = {n: mx.sym.Variable(n) for n in names}
    if mx.ops.registry.get(case.op).variadic:
        return op(*[variables[n] for n in case.shapes], name="op", **case.params)
    return op(name="op", **variables, **case.params)


def _bind(case, ctx, inputs, aux, grad_req="null", grads=None):
    sym = _symbol(case)
    args = {k: mx.nd.array(v, ctx=ctx, dtype=v.dtype) for k, v in inputs.items()}
    aux_nd = {k: mx.nd.array(v, ctx=ctx, dtype=v.dtype) for k, v in aux.items()}
    return sym.bind(ctx, args=args, args_grad=grads, grad_req=grad_req, aux_states=aux_nd)


def _data(case, dtype, salt=""):
    rng = _rng(case, salt)
    return case.make_inputs(rng, dtype), case.make_aux(rng, dtype)


def _as64(d):
    return {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in d.items()}


def _ref(case, inputs, aux):
    outs = case.ref({**_as64(inputs), **_as64(aux)}, dict(case.params))
    return [np.asarray(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]


def _close(actual, expected, rtol, atol, what):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol,
                               equal_nan=True, err_msg=what)


def _grad_names(case):
    return [n for n in case.shapes if n not in case.no_grad]


@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("case,dtype", _params(CASES))
def test_forward(case, dtype, ctx):
    inputs, aux = _data(case, dtype)
    ex = _bind(case, _ctx(ctx), inputs, aux)
    outs = ex.forward(is_train=case.is_train)
    expected = _ref(case, inputs, aux)
    assert len(outs) == len(expected), \
        f"{case.id}: {len(outs)} outputs, reference has {len(expected)}"
    rtol, atol = case.forward_tol(dtype)
    for i, (o, e) in enumerate(zip(outs, expected)):
        assert o.shape == e.shape, f"{case.id} output {i}: shape {o.shape}, expected {e.shape}"
        _close(o.asnumpy(), e, rtol, atol, f"{case.id} output {i} ({dtype})")


# training-mode cases run through the executor only: mx.nd calls are inference unless recorded
@pytest.mark.parametrize("case,dtype",
                         _params([c for c in CASES if c.imperative and not c.is_train]))
def test_imperative(case, dtype):
    inputs, aux = _data(case, dtype)
    ex = _bind(case, mx.cpu(), inputs, aux)
    sym_outs = [o.asnumpy() for o in ex.forward(is_train=case.is_train)]
    fn = getattr(mx.nd, case.op)
    nd_in = {k: mx.nd.array(v, dtype=v.dtype) for k, v in {**inputs, **aux}.items()}
    if mx.ops.registry.get(case.op).variadic:
        res = fn(*nd_in.values(), **case.params)
    else:
        res = fn(**nd_in, **case.params)
    res = res if isinstance(res, list) else [res]
    for i, (a, b) in enumerate(zip(res, sym_outs)):
        assert a.dtype == b.dtype.type, f"output {i} dtype {a.dtype} vs symbolic {b.dtype}"
        _close(a.asnumpy(), b, 1e-6, 1e-7, f"{case.id} imperative output {i}")


def _numeric_grad(case, inputs, aux, proj):
    """Central-difference gradient of sum(ref(x) * proj) in float64."""
    base = _as64(inputs)
    aux64 = _as64(aux)
    grads = {}
    for name in _grad_names(case):
        x = base[name]
        g = np.zeros_like(x)
        flat, gflat = x.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + case.numeric_eps
            fp = sum((o * p).sum() for o, p in zip(case.ref({**base, **aux64}, dict(case.params)),
                                                    proj))
            flat[i] = old - case.numeric_eps
            fm = sum((o * p).sum() for o, p in zip(case.ref({**base, **aux64}, dict(case.params)),
                                                    proj))
            flat[i] = old
            gflat[i] = (fp - fm) / (2 * case.numeric_eps)
        grads[name] = g
    return grads


def _backward(case, ctx, inputs, aux, head_grads, grad_req="write", init=None):
    names = _grad_names(case)
    grads = {n: mx.nd.array(init[n] if init else np.zeros_like(inputs[n]), ctx=ctx,
                            dtype=inputs[n].dtype) for n in names}
    ex = _bind(case, ctx, inputs, aux, grad_req={n: grad_req for n in names}, grads=grads)
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(h, ctx=ctx, dtype=h.dtype) for h in head_grads])
    return ex, {n: g.asnumpy() for n, g in grads.items()}


def _heads(case, inputs, aux, dtype, rng):
    outs = _ref(case, inputs, aux)
    return [rng.uniform(0.5, 1.5, o.shape).astype(dtype) for o in outs]


grad_cases = [c for c in CASES if c.grad and _grad_names(c)]


@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("case,dtype", _params(grad_cases, dtypes=False))
def test_gradient(case, dtype, ctx):
    inputs, aux = _data(case, "float64")
    heads = _heads(case, inputs, aux, "float64", _rng(case, "heads"))
    _, got = _backward(case, _ctx(ctx), inputs, aux, heads)
    if case.ref_grad is not None:
        expected = case.ref_grad(_as64(inputs), dict(case.params), heads)
    else:
        expected = _numeric_grad(case, inputs, aux, heads)
    rtol, atol = case.grad_tol
    for name in _grad_names(case):
        _close(got[name], expected[name], rtol, atol, f"{case.id} gradient of {name}")


# float64 is the reference here, itself checked against the numeric gradient in test_gradient
@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("case,dtype", _params(grad_cases, exclude=("float64",)))
def test_gradient_dtype(case, dtype, ctx):
    inputs, aux = _data(case, dtype)
    heads = _heads(case, inputs, aux, dtype, _rng(case, "heads"))
    _, got = _backward(case, _ctx(ctx), inputs, aux, heads)
    ex64, want = _backward(case, _ctx(ctx), _as64(inputs), _as64(aux),
                           [h.astype(np.float64) for h in heads])
    rtol, atol = case.forward_tol(dtype)
    rtol, atol = (rtol * 10, atol * 10) if dtype == "float16" else (rtol, atol * 10)
    for name in _grad_names(case):
        assert got[name].dtype == np.dtype(case.input_dtypes.get(name, dtype))
        scale = max(1.0, float(np.abs(want[name]).max(initial=0)))
        _close(got[name], want[name], rtol, atol * scale, f"{case.id} {dtype} grad of {name}")


@pytest.mark.parametrize("case,dtype", _params(grad_cases, dtypes=False))
def test_grad_req(case, dtype):
    inputs, aux = _data(case, "float64")
    heads = _heads(case, inputs, aux, "float64", _rng(case, "heads"))
    init = {n: np.full(inputs[n].shape, 7.0) for n in _grad_names(case)}
    _, written = _backward(case, mx.cpu(), inputs, aux, heads)
    ex, added = _backward(case, mx.cpu(), inputs, aux, heads, "add", init)
    ex.backward([mx.nd.array(h, dtype=h.dtype) for h in heads])
    twice = {n: g.asnumpy() for n, g in ex.grad_dict.items() if g is not None}
    _, untouched = _backward(case, mx.cpu(), inputs, aux, heads, "null", init)
    for name in _grad_names(case):
        _close(added[name], init[name] + written[name], 1e-12, 1e-12, f"add once {name}")
        _close(twice[name], init[name] + 2 * written[name], 1e-12, 1e-12, f"add twice {name}")
        np.testing.assert_array_equal(untouched[name], init[name])


ERROR_NODE = "op_under_test"


def _error_param(case, err):
    marks = [pytest.mark.xfail(strict=True, reason=f"message does not name {err.unnamed}")] \
        if err.unnamed else []
    return pytest.param(case, err, id=f"{case.id}-{err.desc}", marks=marks)


def _names_the_op(message, case):
    """Whether ``message`` names the op: its name, an alias, or the node's name."""
    op = mx.ops.registry.get(case.op)
    names = {case.op, op.name, *op.aliases, ERROR_NODE}
    return any(re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", message) for n in names)


error_params = [_error_param(c, e) for c in CASES for e in c.errors]


@pytest.mark.parametrize("case,err", error_params)
def test_errors(case, err):
    """The bad input raises, and the message names the op (``_names_the_op``) and the offending
    argument (``err.match``)."""
    shapes = {**case.shapes, **err.shapes}
    with pytest.raises(err.exc, match=err.match) as info:
        op = getattr(mx.sym, case.op)
        variables = {n: mx.sym.Variable(n) for n in shapes}
        sym = op(name=ERROR_NODE, **variables, **{**case.params, **err.params})
        args = {k: mx.nd.zeros(s, dtype=err.dtypes.get(k, "float32")) for k, s in shapes.items()}
        sym.bind(mx.cpu(), args=args).forward()
    assert _names_the_op(str(info.value), case), f"the message names no op: {info.value}"


@pytest.mark.gpu
@pytest.mark.parametrize("case,dtype", _params(CASES))
def test_gpu_consistency(case, dtype):
    """cpu(0) vs gpu(0) through ``mx.test_utils.check_consistency``: outputs and gradients, the
    same drawn inputs on both, MXNet's per-dtype tolerances."""
    inputs, aux = _data(case, dtype)
    shapes = {k: v.shape for k, v in {**inputs, **aux}.items()}
    types = {k: v.dtype for k, v in {**inputs, **aux}.items()}
    grad_names = _grad_names(case) if case.grad else []
    grad_req = {n: "write" for n in grad_names} if grad_names else "null"
    ctx_list = [dict(ctx=mx.cpu(0), type_dict=types, **shapes),
                dict(ctx=mx.gpu(0), type_dict=types, **shapes)]
    rtol, atol = FORWARD_TOL[dtype]
    mx.test_utils.check_consistency(
        _symbol(case), ctx_list, grad_req=grad_req, arg_params=dict(inputs),
        aux_params=dict(aux), rtol=rtol * 10, atol=atol * 10, equal_nan=True)


def test_every_registered_op_has_a_case_or_a_reason():
    """Each registered op (by canonical name; aliases are covered through their op) has cases in
    tests/opdb/<family>.py or a written reason in ``opdb.NO_CASE``, and the table lists no op
    that is unregistered or has cases, so it cannot hide a hole."""
    registry = mx.ops.registry
    registered = [op.name for op in registry.all_ops()]
    covered = {registry.get(case.op).name for case in CASES}
    missing = [name for name in registered if name not in covered and name not in NO_CASE]
    assert not missing, ("registered ops with neither an op-database case (tests/opdb/<family>.py) "
                         f"nor a reason in opdb.NO_CASE: {', '.join(missing)}")
    stale = sorted(name for name in NO_CASE if name not in registered or name in covered)
    assert not stale, f"opdb.NO_CASE lists ops that are unregistered or have cases: {stale}"
    unexplained = sorted(name for name, why in NO_CASE.items() if not str(why).strip())
    assert not unexplained, f"opdb.NO_CASE entries without a reason: {unexplained}"
