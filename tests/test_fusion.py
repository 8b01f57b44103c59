"""Element-wise fusion (``OpDef.pointwise``, ``passes.pointwise_groups``, ``ops.pointwise``):
every declaration against its op's own forward and gradient through the generated kernel, random
graphs fused vs unfused (``MXLITE_FUSION=0``), and the executor features fusion must keep
(grad_req add/null, partial groups, internals, monitor, reshape, memory plan)."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.context import cpu
from mxlite.ops import _jit, pointwise, registry
from mxlite.ops.registry import StepContext

pytestmark = pytest.mark.skipif(not _jit.enabled(), reason="numba not installed: CPU fusion off")

TOL = {np.float32: (2e-5, 1e-5), np.float64: (1e-10, 1e-12)}
# inputs in (-0.9, 0.9) unless the op needs another domain
POSITIVE = {"log", "log2", "log10", "sqrt", "rsqrt", "_power", "_power_scalar"}
DOMAIN = {"arccosh": (1.1, 3.0)}


def _declared_cases():
    cases = []
    for op in registry.all_ops():
        if op.pointwise is None:
            continue
        if op.name == "Activation":
            for act in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
                cases.append((op.name, {"act_type": act}))
        elif "scalar" in op.params.fields:
            cases.append((op.name, {"scalar": "1.7"}))
        else:
            cases.append((op.name, {}))
    return cases


def _case_id(case):
    name, attrs = case
    return name + "".join(f"-{v}" for v in attrs.values())


def _inputs(name, n_inputs, n, dtype, rng):
    lo, hi = DOMAIN.get(name, (0.1, 0.9) if name in POSITIVE else (-0.9, 0.9))
    return [rng.uniform(lo, hi, n).astype(dtype) for _ in range(n_inputs)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", _declared_cases(), ids=_case_id)
def test_declaration_matches_op(case, dtype):
    """The kernel generated from an op's declaration computes the op's own NumPy forward and
    gradients: a declaration wired wrongly (or a printer bug) fails here."""
    name, attrs = case
    op = registry.get(name)
    p = op.parse(attrs)
    n_in = len(op.input_names(p))
    rng = np.random.default_rng(sum(map(ord, name + str(attrs))))
    n = 1031
    ins = _inputs(name, n_in, n, dtype, rng)
    # non-finite values and ties propagate as in NumPy (np.maximum's NaN, relu at 0 ...)
    for i, x in enumerate(ins):
        x[i * 4:i * 4 + 4] = [np.nan, np.inf, -np.inf, 0.0]
    if n_in == 2:
        ins[1][20:23] = ins[0][20:23]
    g = rng.uniform(-1, 1, n).astype(dtype)
    sc = StepContext(np, cpu(), True, name)
    with np.errstate(all="ignore"):
        want_out = op.forward(sc, p, ins)[0]
        want_grads = op.backward(sc, p, [g], ins, [want_out])
    traced, _ = pointwise.trace_group([(pointwise.declared(op, p), p, tuple(range(n_in)), "y")])
    run, used = pointwise.cpu_kernel([traced.output] + traced.grads, dtype, "test")
    env = {f"x{i}": x for i, x in enumerate(ins)}
    env["g0"] = g
    outs = [np.empty(n, dtype) for _ in range(1 + n_in)]
    run(n, *(env[v] for v in used), *outs)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(outs[0], want_out, rtol=rtol, atol=atol, err_msg="forward",
                               equal_nan=True)
    for i in range(n_in):
        np.testing.assert_allclose(outs[1 + i], want_grads[i], rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}", equal_nan=True)


# ----- random graphs, fused vs unfused ------------------------------------------------------------
UNARY_OPS = ["relu", "sigmoid", "tanh", "exp", "abs", "square", "negative", "sin", "cos",
             "softsign", "arctan"]
ACTS = ["relu", "sigmoid", "tanh", "softrelu"]
SCALAR_OPS = ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
              "_maximum_scalar", "_minimum_scalar"]


def random_chain(rng, n_vars=4, n_ops=10):
    """A random graph of declared ops over variables v0..; returns (symbol, variable names)."""
    names = [f"v{i}" for i in range(n_vars)]
    nodes = [mx.sym.Variable(n) for n in names]
    for _ in range(n_ops):
        kind = rng.integers(4)
        # mostly the newest node, so the output depends on a long chain
        pick = lambda: nodes[-1 if rng.random() < 0.6 else int(rng.integers(len(nodes)))]  # noqa
        if kind == 0:
            a, b = pick(), pick()
            node = [a + b, a - b, a * b, a / (b * b + 1), mx.sym.maximum(a, b)][rng.integers(5)]
        elif kind == 1:
            node = getattr(mx.sym, UNARY_OPS[rng.integers(len(UNARY_OPS))])(pick())
        elif kind == 2:
            node = mx.sym.Activation(pick(), act_type=ACTS[rng.integers(len(ACTS))])
        else:
            op = SCALAR_OPS[rng.integers(len(SCALAR_OPS))]
            node = getattr(mx.sym, op)(pick(), scalar=float(rng.uniform(0.5, 2.0)))
        nodes.append(node)
    return nodes[-1], names


def run(sym, shapes, dtype, fusion, monkeypatch, grad_req="write", seed=0, head_seed=1,
        steps=1):
    """Forward (train) and backward with random inputs and head gradients; returns
    (executor, outputs, gradients by name)."""
    monkeypatch.setenv("MXLITE_FUSION", "1" if fusion else "0")
    ex = sym.simple_bind(cpu(), grad_req=grad_req, type_dict={k: dtype for k in shapes},
                         **shapes)
    rng = np.random.default_rng(seed)
    for arr in ex.arg_dict.values():
        arr[:] = rng.uniform(-1.5, 1.5, arr.shape).astype(dtype)
    for arr in ex.grad_dict.values():
        if arr is not None:
            arr[:] = 0.5  # what grad_req 'add' accumulates onto
    hrng = np.random.default_rng(head_seed)
    for _ in range(steps):
        outs = ex.forward(is_train=True)
        heads = [mx.nd.array(hrng.uniform(-1, 1, o.shape), dtype=dtype) for o in outs]
        ex.backward(heads)
    grads = {k: v.asnumpy() for k, v in ex.grad_dict.items() if v is not None}
    return ex, [o.asnumpy() for o in ex.outputs], grads


def assert_same(a, b, dtype):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(a, b, rtol=rtol * 10, atol=atol * 10, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed,shape", [(0, (1,)), (1, (7,)), (2, (3, 5, 7)), (3, (1031,)),
                                        (4, (2, 3)), (5, (13, 1)), (6, (70001,))])
def test_random_graph_fused_equals_unfused(seed, shape, dtype, monkeypatch):
    rng = np.random.default_rng(seed)
    sym, names = random_chain(rng, n_vars=int(rng.integers(1, 5)), n_ops=int(rng.integers(4, 14)))
    names = sym.list_arguments()
    shapes = {n: shape for n in names}
    ex, out_f, grads_f = run(sym, shapes, dtype, True, monkeypatch, seed=seed)
    assert ex._groups, "nothing fused: the test would not test fusion"
    _, out_u, grads_u = run(sym, shapes, dtype, False, monkeypatch, seed=seed)
    assert_same(out_f[0], out_u[0], dtype)
    for name in names:
        assert_same(grads_f[name], grads_u[name], dtype)


def test_chain_values_and_plan(monkeypatch):
    """relu(a*b+c)*d: one group, exact values, and nothing kept from forward for backward."""
    a, b, c, d = (mx.sym.Variable(n) for n in "abcd")
    sym = mx.sym.relu(a * b + c) * d
    shapes = {n: (5, 8) for n in "abcd"}
    ex, out, grads = run(sym, shapes, np.float32, True, monkeypatch)
    assert [len(g.members) for g in ex._groups] == [4]
    assert "Fused element-wise steps: _fused(" in ex.debug_str()
    assert ex._memory.kept_bytes == 0
    v = {k: arr.asnumpy() for k, arr in ex.arg_dict.items()}
    t = v["a"] * v["b"] + v["c"]
    np.testing.assert_allclose(out[0], np.maximum(t, 0) * v["d"], rtol=1e-6)
    head = np.random.default_rng(1).uniform(-1, 1, (5, 8)).astype(np.float32)
    gr = head * v["d"] * (t > 0)
    np.testing.assert_allclose(grads["a"], gr * v["b"], rtol=1e-6)
    np.testing.assert_allclose(grads["c"], gr, rtol=1e-6)
    np.testing.assert_allclose(grads["d"], head * np.maximum(t, 0), rtol=1e-6)
    ex_u, _, _ = run(sym, shapes, np.float32, False, monkeypatch)
    assert not ex_u._groups and ex_u._memory.kept_bytes > 0


def test_wrong_declaration_is_caught(monkeypatch):
    """The comparison is sensitive: a wrong gradient in one declaration changes the fused
    result (so the tests above would fail on a wrong kernel)."""
    mul = registry.get("elemwise_mul")
    good = mul.pointwise
    monkeypatch.setattr(mul, "pointwise", pointwise.Pointwise(
        good.forward, lambda xp, p, g, a, b, out: (g * a, g * b)))
    a, b, c = (mx.sym.Variable(n) for n in "abc")
    sym = mx.sym.tanh(a * b + c)
    shapes = {n: (33,) for n in "abc"}
    ex, _, grads_f = run(sym, shapes, np.float64, True, monkeypatch)
    assert ex._groups
    _, _, grads_u = run(sym, shapes, np.float64, False, monkeypatch)
    assert not np.allclose(grads_f["a"], grads_u["a"])


@pytest.mark.parametrize("grad_req", ["add", {"a": "null", "b": "add", "c": "write"}])
def test_grad_req(grad_req, monkeypatch):
    a, b, c = (mx.sym.Variable(n) for n in "abc")
    sym = mx.sym.sigmoid(a * b) - c * 2.0
    shapes = {n: (4, 9) for n in "abc"}
    _, out_f, grads_f = run(sym, shapes, np.float64, True, monkeypatch, grad_req, steps=2)
    _, out_u, grads_u = run(sym, shapes, np.float64, False, monkeypatch, grad_req, steps=2)
    assert set(grads_f) == set(grads_u)
    for k in grads_f:
        assert_same(grads_f[k], grads_u[k], np.float64)
    if isinstance(grad_req, dict):
        assert "a" not in grads_f or np.all(grads_f["a"] == 0.5)


def test_partial_groups_and_shared_values(monkeypatch):
    """A value read outside its group (by a non-fusable op, twice, or as an output) ends the
    group; the rest still fuses."""
    a, b, c = (mx.sym.Variable(n) for n in "abc")
    x = mx.sym.exp(a * b)                      # read by sum and by the second chain
    y = mx.sym.relu(x + c) * 3.0
    z = mx.sym.broadcast_add(x, mx.sym.sum(x, axis=0, keepdims=True))  # unfusable readers
    w = mx.sym.tanh(y) * a
    sym = mx.sym.Group([w, z, y])              # y is also an output
    shapes = {n: (6, 5) for n in "abc"}
    ex, out_f, grads_f = run(sym, shapes, np.float32, True, monkeypatch)
    groups = [tuple(ex._plan.steps[k].name for k in g.members) for g in ex._groups]
    assert len(groups) == 3, groups
    for g in ex._groups:
        for s in g.interior:
            assert s not in ex._plan.head_slots
    _, out_u, grads_u = run(sym, shapes, np.float32, False, monkeypatch)
    for f, u in zip(out_f, out_u):
        assert_same(f, u, np.float32)
    for k in grads_f:
        assert_same(grads_f[k], grads_u[k], np.float32)


def test_internals_see_every_value(monkeypatch):
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    sym = mx.sym.Activation(mx.sym.exp(a) * b, act_type="tanh") + 1.0
    internals = sym.get_internals()
    shapes = {"a": (3, 4), "b": (3, 4)}
    monkeypatch.setenv("MXLITE_FUSION", "1")
    ex = internals.simple_bind(cpu(), grad_req="null", **shapes)
    assert not ex._groups  # every value is an output: nothing can be fused
    ex = sym.simple_bind(cpu(), **shapes)
    assert ex._groups


def test_monitor_sees_unfused_values(monkeypatch):
    a, b, c = (mx.sym.Variable(n) for n in "abc")
    sym = mx.sym.relu(a * b + c, name="act") * c
    shapes = {n: (4, 3) for n in "abc"}
    seen = {}
    for fusion in (True, False):
        monkeypatch.setenv("MXLITE_FUSION", "1" if fusion else "0")
        ex = sym.simple_bind(cpu(), **shapes)
        assert bool(ex._groups) == fusion
        for k, arr in ex.arg_dict.items():
            arr[:] = np.random.default_rng(ord(k)).uniform(-1, 1, arr.shape)
        got = {}
        ex.set_monitor_callback(lambda name, arr: got.__setitem__(name, arr.asnumpy().copy()))
        ex.forward(is_train=True)
        ex.backward([mx.nd.ones((4, 3))])
        seen[fusion] = (got, ex.outputs[0].asnumpy(), ex.grad_dict["a"].asnumpy())
    fused, plain = seen[True], seen[False]
    assert set(fused[0]) == set(plain[0]) and b"act_output" in fused[0]
    for name in plain[0]:
        np.testing.assert_array_equal(fused[0][name], plain[0][name])
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-6)
    np.testing.assert_allclose(fused[2], plain[2], rtol=1e-6)


def test_reshape_keeps_fusion(monkeypatch):
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    sym = mx.sym.sigmoid(a * b) * a
    monkeypatch.setenv("MXLITE_FUSION", "1")
    ex = sym.simple_bind(cpu(), a=(4, 6), b=(4, 6))
    ex2 = ex.reshape(a=(2, 6), b=(2, 6))
    assert ex2._groups and ex2._groups[0].kernel.shape == (2, 6)
    ex2.arg_dict["a"][:] = 0.5
    ex2.arg_dict["b"][:] = 2.0
    out = ex2.forward(is_train=True)[0].asnumpy()
    np.testing.assert_allclose(out, 0.5 / (1 + np.exp(-1.0)), rtol=1e-6)
    ex2.backward([mx.nd.ones((2, 6))])
    s = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(ex2.grad_dict["a"].asnumpy(), s + 0.5 * s * (1 - s) * 2.0,
                               rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, np.int32])
def test_other_dtypes_run_unfused(dtype, monkeypatch):
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    sym = (a * b + a) * 2.0
    monkeypatch.setenv("MXLITE_FUSION", "1")
    ex = sym.simple_bind(cpu(), type_dict={"a": dtype, "b": dtype}, a=(5,), b=(5,))
    assert not ex._groups
    ex.arg_dict["a"][:] = 3
    ex.arg_dict["b"][:] = 2
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), np.full(5, 18, dtype))


def test_off_switches(monkeypatch):
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    sym = mx.sym.exp(a * b) + b
    monkeypatch.setenv("MXLITE_FUSION", "0")
    assert not sym.simple_bind(cpu(), a=(3,), b=(3,))._groups
    monkeypatch.setenv("MXLITE_FUSION", "1")
    assert sym.simple_bind(cpu(), a=(3,), b=(3,))._groups
    monkeypatch.setattr(_jit, "enabled", lambda: False)  # as without numba
    assert not sym.simple_bind(cpu(), a=(3,), b=(3,))._groups


def test_generated_source_is_cached_in_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MXLITE_CACHE_DIR", str(tmp_path))
    x = pointwise.var("x0")
    run_kernel, used = pointwise.cpu_kernel([pointwise.XP.exp(x) * 3.5 + 0.25], np.float64,
                                            "cachetest")
    out = np.empty(4)
    run_kernel(4, np.arange(4.0), out)
    np.testing.assert_allclose(out, np.exp(np.arange(4.0)) * 3.5 + 0.25)
    files = list((tmp_path / "pointwise").glob("*.py"))
    assert files or pointwise._cpu_kernels  # written now, or compiled earlier in this process


def test_profiler_names_fused_steps(tmp_path, monkeypatch):
    a, b, c = (mx.sym.Variable(n) for n in "abc")
    sym = mx.sym.FullyConnected(mx.sym.tanh(a * b + c), num_hidden=2, name="fc")
    monkeypatch.setenv("MXLITE_FUSION", "1")
    ex = sym.simple_bind(cpu(), a=(3, 4), b=(3, 4), c=(3, 4))
    assert ex._groups
    mx.profiler.set_config(profile_all=True, filename=str(tmp_path / "p.json"))
    mx.profiler.set_state("run")
    try:
        ex.forward(is_train=True)
        ex.backward([mx.nd.ones((3, 2))])
        table = mx.profiler.dumps(reset=True)
    finally:
        mx.profiler.set_state("stop")
    assert "_fused" in table and "FullyConnected" in table and "_backward__fused" in table
