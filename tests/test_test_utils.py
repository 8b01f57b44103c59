"""Tests of ``mx.test_utils``: tolerances, MXNet's failure messages (checked against strings
captured from the real MXNet 1.9.1 in tests/golden/test_utils_messages.json), the symbolic checks,
numeric gradients, check_consistency (incl. mxlite's first-divergence report) and the helpers."""
import contextlib
import io
import json
import os

import numpy as np
import pytest

import mxlite as mx
from mxlite import test_utils as tu
from mxlite.ops import registry

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "test_utils_messages.json")
_golden = json.load(open(GOLDEN)) if os.path.exists(GOLDEN) else None
needs_golden = pytest.mark.skipif(_golden is None, reason="tests/golden/test_utils_messages.json "
                                                          "not generated yet")


def _golden_entries(key):
    return _golden[key] if _golden else []


def _run(fn):
    """-> ((exception type name, message) or (None, None), stdout)"""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            fn()
        got = (None, None)
    except Exception as exc:  # noqa: BLE001
        got = (type(exc).__name__, str(exc))
    return got, buf.getvalue()


# ----- tolerance tables ---------------------------------------------------------------------------
def test_default_tables():
    rt, at, eps = tu.default_rtols(), tu.default_atols(), tu.default_numeric_eps()
    assert rt[np.dtype(np.float16)] == 1e-2 and at[np.dtype(np.float16)] == 1e-1
    assert rt[np.dtype(np.float32)] == 1e-4 and at[np.dtype(np.float32)] == 1e-3
    assert rt[np.dtype(np.float64)] == 1e-5 and at[np.dtype(np.float64)] == 1e-20
    for t in (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64):
        assert rt[np.dtype(t)] == 0 and at[np.dtype(t)] == 0
    assert all(isinstance(k, np.dtype) for k in list(rt) + list(at) + list(eps))
    assert eps == {np.dtype(np.float16): 2 ** -6, np.dtype(np.float32): 2 ** -9,
                   np.dtype(np.float64): 2 ** -14}
    assert tu.default_dtype() is np.float32
    assert tu.get_atol() == 1e-20 and tu.get_rtol() == 1e-5
    assert tu.get_atol(0.5) == 0.5 and tu.get_rtol(dtype=np.float16) == 1e-2


@needs_golden
def test_default_tables_match_mxnet():
    d = _golden["defaults"]
    assert {k.name: v for k, v in tu.default_rtols().items()} == d["default_rtols"]
    assert {k.name: v for k, v in tu.default_atols().items()} == d["default_atols"]
    assert {k.name: v for k, v in tu.default_numeric_eps().items()} == d["default_numeric_eps"]
    assert (tu.get_atol(), tu.get_rtol()) == (d["get_atol_none"], d["get_rtol_none"])


def test_get_tols_semantics_0_15():
    f16, f32 = mx.nd.ones((1,), dtype="float16"), mx.nd.ones((1,))
    assert tu.get_tols(f16, f32, None, None) == (0.01, 0.1)
    assert tu.get_tols(np.ones(1), f32, None, None) == (1e-4, 1e-3)
    assert tu.get_tols(1.0, 2.0, None, None) == (1e-5, 1e-20)
    assert tu.get_tols(np.ones(1, np.float16), np.ones(1, np.float32), 0.5, None) == (0.5, 0.1)
    assert not tu.almost_equal(np.array([1.0]), np.array([1 + 1e-4]))


def _sample(kind):
    if kind.endswith("_nd"):
        return mx.nd.ones((1,), dtype=kind[:-3])
    if kind.endswith("_np"):
        return np.ones(1, kind[:-3])
    return 1.0 if kind == "python_float" else 1


@pytest.mark.parametrize("case", _golden_entries("get_tols"),
                         ids=lambda c: f"{c['x']}-{c['y']}-{c['rtol']}")
def test_get_tols_match_mxnet(case):
    r = tu.get_tols(_sample(case["x"]), _sample(case["y"]), case["rtol"], case["atol"])
    assert [float(r[0]), float(r[1])] == case["result"]


@pytest.mark.parametrize("case", _golden_entries("almost_equal"), ids=str)
def test_almost_equal_match_mxnet(case):
    a, b = np.array(case["a"], np.float32), np.array(case["b"], np.float32)
    assert tu.almost_equal(a, b, **case["kwargs"]) == case["result"]


def test_get_tolerance_forms():
    x = np.ones(2, np.float32)
    assert tu.get_tolerance(x, 0.25, tu.default_rtols()) == 0.25
    assert tu.get_tolerance(x, None, tu.default_rtols()) == 1e-4
    assert tu.get_tolerance(x, {np.dtype(np.float32): 0.5}, tu.default_rtols()) == 0.5
    assert tu.get_tolerance(x, {np.float64: 0.5}, tu.default_rtols()) == 1e-4
    assert tu.get_tolerance(x, {np.float32: 0.5}, tu.default_rtols()) == 0.5  # type keys too
    with pytest.raises(KeyError, match="int16"):
        tu.get_tolerance(np.ones(1, np.int16), None, tu.default_rtols())


class _FakeGpuArray:
    """Just enough of an NDArray for effective_dtype: a gpu ctx and a dtype (no CuPy needed)."""

    def __init__(self, dtype):
        self.ctx = mx.gpu(0)
        self.dtype = dtype


@pytest.mark.parametrize("env, cc, expected", [
    ({}, 90, np.float32),
    ({"MXLITE_TF32": "1"}, 90, np.float16),
    ({"NVIDIA_TF32_OVERRIDE": "1"}, 80, np.float16),
    ({"CUPY_TF32": "1"}, 80, np.float16),
    ({"MXLITE_TF32": "1"}, 75, np.float32),
    ({"MXLITE_TF32": "1", "NVIDIA_TF32_OVERRIDE": "0"}, 90, np.float32),
], ids=["off-by-default", "mxlite-on", "nvidia-on", "cupy-on", "pre-ampere", "nvidia-veto"])
def test_effective_dtype_tf32_rule(monkeypatch, env, cc, expected):
    for k in ("MXLITE_TF32", "NVIDIA_TF32_OVERRIDE", "CUPY_TF32"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(mx.test_utils.compare, "_compute_capability", lambda ctx: cc)
    assert tu.effective_dtype(_FakeGpuArray(np.float32)) == np.dtype(expected)
    # only float32 is affected, and never on cpu
    assert tu.effective_dtype(_FakeGpuArray(np.float64)) == np.dtype(np.float64)
    assert tu.effective_dtype(mx.nd.ones((1,))) == np.dtype(np.float32)
    assert tu.effective_dtype(np.ones(1, np.float32)) == np.dtype(np.float32)


def test_effective_dtype_tf32_without_cuda(monkeypatch):
    monkeypatch.setenv("MXLITE_TF32", "1")

    def no_device(ctx):
        raise mx.MXNetError("GPU is not enabled")
    monkeypatch.setattr(mx.test_utils.compare, "_compute_capability", no_device)
    assert tu.effective_dtype(_FakeGpuArray(np.float32)) == np.dtype(np.float32)


# ----- assert_almost_equal messages ---------------------------------------------------------------
_AAE = [c for c in _golden_entries("assert_almost_equal") if c["name"] != "broadcast_shapes"]


@pytest.mark.parametrize("case", _AAE, ids=lambda c: f"{c['name']}-{c['kind']}")
def test_assert_almost_equal_message_matches_mxnet(case):
    a = np.array(case["a"], dtype=case["dtype_a"])
    b = np.array(case["b"], dtype=case["dtype_b"])
    if case["kind"] == "ndarray":
        a, b = mx.nd.array(a, dtype=a.dtype), mx.nd.array(b, dtype=b.dtype)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    got, stdout = _run(lambda: tu.assert_almost_equal(a, b, **kwargs))
    assert got == (case["exception"], case["message"])
    assert stdout == case["stdout"]


def test_assert_almost_equal_rendered_text_6_1():
    """§6.1's example: float64 expectation vs float32 forward output of ``x * y``."""
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    loc = {"x": np.array([[1., 2.], [3., 4.]]), "y": np.array([[5., 6.], [7., 8.]])}
    (kind, msg), out = _run(lambda: tu.check_symbolic_forward(
        x * y, loc, [np.array([[5., 12.], [21., 33.]])]))
    assert kind == "AssertionError"
    # the exact text MXNet 1.9.1 raises for this call
    assert msg == (
        "\nItems are not equal:\n"
        "Error 238.095247 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 "
        "(mismatch 25.000000%).\n"
        "Location of maximum error: (1, 1), EXPECTED__mul0_output=33.00000000, "
        "FORWARD__mul0_output=32.00000000\n"
        " ACTUAL: array([[ 5., 12.],\n       [21., 33.]])\n"
        " DESIRED: array([[ 5., 12.],\n       [21., 32.]], dtype=float32)")
    assert out == ("\n*** Maximum errors for vector of size 4:  rtol=0.0001, atol=0.001\n\n"
                   "  1: Error 238.095247  Location of error: (1, 1), "
                   "EXPECTED__mul0_output=33.00000000, FORWARD__mul0_output=32.00000000\n")


def test_assert_almost_equal_details():
    # index tuples print as plain ints, and NumPy's print options are not left changed
    before = np.get_printoptions()
    (kind, msg), _ = _run(lambda: tu.assert_almost_equal(np.zeros((2, 3)), np.ones((2, 3))))
    assert kind == "AssertionError" and "np.int64" not in msg and "(0, 0)" in msg
    assert np.get_printoptions() == before
    # passes
    tu.assert_almost_equal(mx.nd.ones((2,)), np.ones(2) + 1e-5)
    tu.assert_almost_equal(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]))
    tu.assert_almost_equal(mx.nd.array([1.0, np.nan]), mx.nd.array([1.0, np.nan]), equal_nan=True)
    tu.assert_almost_equal([1.0, 2.0], (1.0, 2.0))
    # scalars: no location
    (kind, msg), _ = _run(lambda: tu.assert_almost_equal(1.0, 2.0))
    assert kind == "AssertionError"
    assert msg == ("\nItems are not equal:\nError 50000.000000 exceeds tolerance "
                   "rtol=1.000000e-05, atol=1.000000e-20.\n\n ACTUAL: 1.0\n DESIRED: 2.0")
    # bool arrays are compared exactly with numpy.testing
    with pytest.raises(AssertionError, match="Arrays are not equal"):  # numpy's own message
        tu.assert_almost_equal(np.array([True, False]), np.array([True, True]))
    # use_broadcast=False checks shapes first
    with pytest.raises(AssertionError, match=r"a.shape = \(2, 2\) and b.shape = \(2,\) are not"):
        tu.assert_almost_equal(np.ones((2, 2)), np.ones(2), use_broadcast=False)
    tu.assert_almost_equal(np.ones((2, 2)), np.ones(2))  # broadcasting is fine when close


@pytest.mark.parametrize("kind", ["numpy", "ndarray"])
def test_assert_almost_equal_broadcast_mismatch(kind):
    """Deliberate difference: MXNet's formatter raises IndexError (numpy) or MXNetError (NDArray)
    for broadcastable but different shapes; mxlite reports element-wise on the broadcast shape."""
    a, b = np.array([[1., 2.], [3., 4.]], np.float32), np.array([1., 3.], np.float32)
    if kind == "ndarray":
        a, b = mx.nd.array(a), mx.nd.array(b)
    (exc, msg), out = _run(lambda: tu.assert_almost_equal(a, b))
    assert exc == "AssertionError"
    assert ("(mismatch 75.000000%).\nLocation of maximum error: (1, 0), a=3.00000000, "
            "b=1.00000000") in msg
    assert "  1: Error 1818.181885  Location of error: (1, 0)" in out


@pytest.mark.parametrize("case", _golden_entries("check_symbolic_forward"), ids=str)
def test_check_symbolic_forward_message_matches_mxnet(case):
    sym = mx.sym.load_json(case["symbol"])
    loc = {k: np.array(v, np.float32) for k, v in case["location"].items()}
    exp = case["expected"]
    exp = ({k: np.array(v, np.float32) for k, v in exp.items()} if isinstance(exp, dict)
           else [np.array(v, np.float32) for v in exp])
    kwargs = dict(case["kwargs"])
    if "dtype" in kwargs:
        kwargs["dtype"] = np.dtype(kwargs["dtype"]).type
    got, out = _run(lambda: tu.check_symbolic_forward(sym, loc, exp, **kwargs))
    assert got == (case["exception"], case["message"])
    assert out == case["stdout"]


@pytest.mark.parametrize("case", _golden_entries("check_symbolic_backward"), ids=str)
def test_check_symbolic_backward_message_matches_mxnet(case):
    """Also pins the gradient-buffer pre-fill: np.random.normal in sorted-name order."""
    sym = mx.sym.load_json(case["symbol"])
    loc = {k: np.array(v, np.float32) for k, v in case["location"].items()}
    exp = case["expected"]
    exp = ({k: np.array(v, np.float32) for k, v in exp.items()} if isinstance(exp, dict)
           else [np.array(v, np.float32) for v in exp])
    og = [np.array(v, np.float32) for v in case["out_grads"]]
    np.random.seed(case["np_seed_before"])
    got, out = _run(lambda: tu.check_symbolic_backward(sym, loc, og, exp, **case["kwargs"]))
    assert got == (case["exception"], case["message"])
    assert out == case["stdout"]


def test_other_asserts():
    tu.assert_allclose(np.ones(3), np.ones(3))
    with pytest.raises(AssertionError):
        tu.assert_allclose(np.ones(3), np.ones(3) + 1e-6)
    a = np.arange(10, dtype=np.float64)
    b = a.copy()
    b[3] += 1
    tu.assert_almost_equal_with_err(a, b, etol=0.2)
    with pytest.raises(AssertionError, match="mismatch 10.000000%"):
        tu.assert_almost_equal_with_err(a, b, etol=0.05)
    tu.assert_almost_equal_ignore_nan(np.array([1., np.nan]), np.array([1., 5.]))
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: 1, ZeroDivisionError)
    assert tu.same(np.ones(2), mx.nd.ones((2,)))
    assert not tu.same(np.ones(2), np.zeros(2))


def test_contrib_allclose():
    allclose = mx.nd.contrib.allclose
    r = allclose(mx.nd.array([1., 2.]), mx.nd.array([1., 2.00001]), 1e-4, 1e-3, False)
    assert r.dtype is np.uint8 and r.shape == () and r.asnumpy() == 1
    assert allclose(mx.nd.array([1., 2.]), mx.nd.array([1., 2.5]), 1e-4, 1e-3).asnumpy() == 0
    nan = mx.nd.array([1., np.nan])
    assert allclose(nan, nan, equal_nan=True).asnumpy() == 1
    assert allclose(nan, nan, equal_nan=False).asnumpy() == 0
    inf = mx.nd.array([np.inf])
    assert allclose(inf, inf).asnumpy() == 1
    # deliberate difference: MXNet's kernel takes atol + rtol*|inf| = inf as the tolerance, so it
    # calls inf and -inf (and 1 and inf) close, and assert_almost_equal on NDArrays passed them
    assert allclose(inf, mx.nd.array([-np.inf])).asnumpy() == 0
    assert allclose(mx.nd.array([1.0]), inf).asnumpy() == 0
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(inf, mx.nd.array([-np.inf]))
    with pytest.raises(mx.MXNetError, match="same shape"):
        allclose(mx.nd.ones((2, 2)), mx.nd.ones((2,)))


# ----- check_symbolic_forward / backward ----------------------------------------------------------
def test_check_symbolic_backward_doc_example():
    lhs, rhs = mx.sym.Variable("lhs"), mx.sym.Variable("rhs")
    sym_add = mx.sym.elemwise_add(lhs, rhs)
    mat1 = np.array([[1, 2], [3, 4]])
    mat2 = np.array([[5, 6], [7, 8]])
    ograd = mx.nd.ones((2, 2))
    grad_expected = ograd.copy().asnumpy()
    grads = tu.check_symbolic_backward(sym_add, [mat1, mat2], [ograd],
                                       [grad_expected, grad_expected])
    assert list(grads) == ["lhs", "rhs"]
    assert all(isinstance(g, mx.nd.NDArray) for g in grads.values())
    (kind, msg), out = _run(lambda: tu.check_symbolic_backward(
        sym_add, [mat1, mat2], [ograd], [grad_expected * 2, grad_expected]))
    assert kind == "AssertionError"
    assert msg == ("\nItems are not equal:\nError 909.090942 exceeds tolerance "
                   "rtol=1.000000e-04, atol=1.000000e-03 (mismatch 100.000000%).\n"
                   "Location of maximum error: (0, 0), EXPECTED_lhs=2.00000000, "
                   "BACKWARD_lhs=1.00000000\n"
                   " ACTUAL: array([[2., 2.],\n       [2., 2.]], dtype=float32)\n"
                   " DESIRED: array([[1., 1.],\n       [1., 1.]], dtype=float32)")
    assert out.startswith("\n*** Maximum errors for vector of size 4:  rtol=0.0001, atol=0.001\n")


def test_check_symbolic_forward_returns_outputs():
    x = mx.sym.Variable("x")
    sym = mx.sym.Group([mx.sym.exp(x, name="e"), mx.sym.square(x, name="sq")])
    loc = [np.array([0.5, 1.0])]
    outs = tu.check_symbolic_forward(sym, loc, [np.exp(loc[0]), loc[0] ** 2])
    assert isinstance(outs, list) and len(outs) == 2
    assert outs[0].dtype is np.float32
    np.testing.assert_allclose(outs[1].asnumpy(), [0.25, 1.0])
    # expected as a dict by output name; dtype float64 and 'asnumpy'
    outs = tu.check_symbolic_forward(sym, {"x": loc[0]}, {"sq_output": loc[0] ** 2,
                                                          "e_output": np.exp(loc[0])},
                                     dtype=np.float64)
    assert outs[0].dtype is np.float64
    outs = tu.check_symbolic_forward(sym, {"x": loc[0].astype(np.float16)},
                                     [np.exp(loc[0]), loc[0] ** 2], dtype="asnumpy")
    assert outs[0].dtype is np.float16
    with pytest.raises(ValueError, match="Symbol arguments and keys of the given location"):
        tu.check_symbolic_forward(sym, {"y": loc[0]}, [loc[0], loc[0]])


@pytest.mark.skipif(not registry.exists("Embedding"), reason="Embedding not registered yet")
def test_check_symbolic_forward_embedding():
    """Embedding refuses a data gradient; check_symbolic_forward never runs backward, so it must
    still work (as in MXNet, which only fails once backward runs)."""
    data, weight = mx.sym.Variable("data"), mx.sym.Variable("w")
    sym = mx.sym.Embedding(data, weight, input_dim=4, output_dim=2, name="emb")
    loc = {"data": np.array([0., 3.]), "w": np.arange(8.).reshape(4, 2)}
    tu.check_symbolic_forward(sym, loc, [np.array([[0., 1.], [6., 7.]])])
    tu.check_symbolic_backward(sym, loc, [np.ones((2, 2))],
                               {"w": np.array([[1., 1.], [0., 0.], [0., 0.], [1., 1.]])},
                               grad_req={"data": "null", "w": "write"})


def test_check_symbolic_backward_grad_req_forms():
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    sym = x * y
    xv, yv = np.array([1., 2.]), np.array([3., 4.])
    og = [np.ones(2)]
    # add: the accumulated part is compared; the buffer holds initial + gradient
    np.random.seed(7)
    init = {k: np.random.normal(size=(2,)) for k in ("x", "y")}
    np.random.seed(7)
    grads = tu.check_symbolic_backward(sym, [xv, yv], og, [yv, xv], grad_req="add")
    np.testing.assert_allclose(grads["x"].asnumpy(), np.float32(init["x"]) + yv, rtol=1e-6)
    # null: the buffer must still hold its random initial value, whatever is expected
    np.random.seed(7)
    grads = tu.check_symbolic_backward(sym, [xv, yv], og, {"x": np.zeros(2)},
                                       grad_req={"x": "null", "y": "write"})
    assert list(grads) == ["x"]
    np.testing.assert_allclose(grads["x"].asnumpy(), np.float32(init["x"]))
    # list form; only names in expected get buffers
    grads = tu.check_symbolic_backward(sym, [xv, yv], og, {"y": xv}, grad_req=["null", "write"])
    assert list(grads) == ["y"]
    # dict out_grads, NDArray out_grads
    tu.check_symbolic_backward(sym, [xv, yv], {"_mul0_output": np.ones(2)}, [yv, xv])
    tu.check_symbolic_backward(sym, [xv, yv], [mx.nd.ones((2,))], [yv, xv])
    # a loss head needs no out_grads
    loss = mx.sym.make_loss(x * 3.0)
    tu.check_symbolic_backward(loss, [xv], None, [np.full(2, 3.0)])
    with pytest.raises(ValueError, match="grad_req must be in"):
        tu.check_symbolic_backward(sym, [xv, yv], og, [yv, xv], grad_req={"x": "bogus",
                                                                           "y": "write"})


def test_check_symbolic_backward_rejects_sparse_grad():
    x = mx.sym.Variable("x")
    with pytest.raises(mx.MXNetError, match="row_sparse"):
        tu.check_symbolic_backward(x * 2.0, [np.ones(2)], [np.ones(2)], [np.full(2, 2.0)],
                                   grad_stypes={"x": "row_sparse"})


# ----- numeric gradients --------------------------------------------------------------------------
def _loc(*shapes, low=0.5, high=1.5, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.uniform(low, high, size=s) for s in shapes]


_NUMERIC_CASES = {
    "fc_tanh": (lambda x: mx.sym.Activation(mx.sym.FullyConnected(x, num_hidden=3, name="fc"),
                                            act_type="tanh"), [(2, 4), (3, 4), (3,)]),
    "mul": (lambda x: x * mx.sym.Variable("y"), [(2, 3), (2, 3)]),
    "exp_log": (lambda x: mx.sym.log(mx.sym.exp(x) + 1.0), [(3, 2)]),
    "softmax": (lambda x: mx.sym.softmax(x, axis=-1), [(2, 5)]),
    "sum_axis": (lambda x: mx.sym.sum(x * x, axis=1), [(3, 4)]),
    "dot": (lambda x: mx.sym.dot(x, mx.sym.Variable("w")), [(2, 3), (3, 2)]),
}


@pytest.mark.parametrize("name", sorted(_NUMERIC_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_numeric_gradient_passes(name, dtype):
    build, shapes = _NUMERIC_CASES[name]
    np.random.seed(0)
    tu.check_numeric_gradient(build(mx.sym.Variable("x")), _loc(*shapes), dtype=dtype,
                              rtol=1e-2 if dtype == np.float32 else None,
                              atol=1e-3 if dtype == np.float32 else None)


def test_check_numeric_gradient_grad_nodes_forms():
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    sym = mx.sym.tanh(x * y)
    loc = {"x": _loc((2, 3))[0], "y": _loc((2, 3), seed=1)[0]}
    tu.check_numeric_gradient(sym, loc, grad_nodes=["x"], rtol=1e-2)
    tu.check_numeric_gradient(sym, loc, grad_nodes={"x": "add", "y": "null"}, rtol=1e-2)
    tu.check_numeric_gradient(sym, loc, grad_nodes=("y",), numeric_eps=1e-3, rtol=1e-2,
                              dtype=np.float64)
    with pytest.raises(ValueError):
        tu.check_numeric_gradient(sym, loc, grad_nodes="x")
    with pytest.raises(AssertionError, match="too small"):
        tu.check_numeric_gradient(sym, loc, numeric_eps=1e-6)


def test_check_numeric_gradient_fails_for_wrong_gradient(monkeypatch):
    """A deliberately wrong backward (exp's gradient doubled) must be caught."""
    exp = registry.get("exp")
    right = exp.backward

    def wrong(sc, p, ograds, ins, outs):
        return [2 * g for g in right(sc, p, ograds, ins, outs)]
    monkeypatch.setattr(exp, "backward", wrong)
    x = mx.sym.Variable("x")
    (kind, msg), out = _run(lambda: tu.check_numeric_gradient(mx.sym.exp(x), [_loc((2, 2))[0]]))
    assert kind == "AssertionError"
    assert "exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 (mismatch 100.000000%)" in msg
    assert "NUMERICAL_x=" in msg and "BACKWARD_x=" in msg
    assert "Maximum errors for vector of size 4" in out


def test_check_numeric_gradient_catches_blocked_gradient():
    """x * BlockGrad(x): numerically 2x, symbolically x -- the check must fail."""
    x = mx.sym.Variable("x")
    with pytest.raises(AssertionError, match="NUMERICAL_x"):
        tu.check_numeric_gradient(x * mx.sym.BlockGrad(x), [_loc((3,))[0]], rtol=1e-2)


def test_numeric_grad_direct():
    x = mx.sym.Variable("x")
    sym = mx.sym.square(x)
    xv = np.array([[0.5, -1.0], [2.0, 3.0]], np.float32)
    exe = sym.simple_bind(mx.cpu(), x=(2, 2))
    exe.arg_dict["x"][:] = xv
    grads = tu.numeric_grad(exe, {"x": xv.copy()}, eps=2 ** -9)
    assert grads["x"].dtype == np.float32
    np.testing.assert_allclose(grads["x"], 2 * xv, rtol=1e-3)
    np.testing.assert_array_equal(exe.arg_dict["x"].asnumpy(), xv)  # restored
    with pytest.raises(AssertionError):  # a wrong analytic expectation is caught
        tu.assert_almost_equal(grads["x"], 3 * xv)
    # non-float inputs get zero gradients
    grads = tu.numeric_grad(exe, {"x": xv.astype(np.int32)}, dtype=np.float64)
    assert not grads["x"].any()


# ----- check_consistency --------------------------------------------------------------------------
def _fc_sym():
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    return mx.sym.Activation(fc, act_type="tanh", name="act")


_CTX_32_64 = [{"ctx": mx.cpu(0), "x": (2, 4), "type_dict": {"x": np.float32}},
              {"ctx": mx.cpu(1), "x": (2, 4), "type_dict": {"x": np.float64}}]


def test_check_consistency_two_cpu_contexts():
    np.random.seed(0)
    arg_params = {}
    gt = tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=arg_params)
    # the widest output dtype is the reference: outputs and gradients, as NDArrays
    assert sorted(gt) == ["act_output", "fc_bias", "fc_weight", "x"]
    assert all(v.dtype is np.float64 and v.context == mx.cpu(1) for v in gt.values())
    # missing inputs are drawn and written back into arg_params (MXNet does this too)
    assert sorted(arg_params) == ["fc_bias", "fc_weight", "x"]
    assert arg_params["x"].dtype == np.float64
    # ground_truth from a previous run is accepted and returned as is
    same = tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=arg_params, ground_truth=gt)
    assert same is gt


def test_check_consistency_options():
    np.random.seed(1)
    ap = {}
    gt = tu.check_consistency(_fc_sym(), _CTX_32_64, grad_req="null", arg_params=ap,
                              use_uniform=True, scale=0.5, rand_type=np.float32)
    assert sorted(gt) == ["act_output"]
    assert ap["x"].dtype == np.float32 and np.abs(ap["x"]).max() <= 0.46
    gt = tu.check_consistency(_fc_sym(), _CTX_32_64, grad_req="add",
                              rtol={np.dtype(np.float32): 1e-3},
                              atol={np.dtype(np.float32): 1e-4})
    assert "x" in gt
    # grad_req as a dict: names not listed get no gradient
    gt = tu.check_consistency(_fc_sym(), _CTX_32_64, grad_req={"fc_weight": "write"})
    assert gt["x"] is None and gt["fc_weight"] is not None
    # float16 against float64 uses float16 tolerances
    x = mx.sym.Variable("x")
    sym = mx.sym.softmax(mx.sym.exp(x * 0.5), name="sm")
    tu.check_consistency(sym, [{"ctx": mx.cpu(0), "x": (3, 4), "type_dict": {"x": np.float16}},
                               {"ctx": mx.cpu(0), "x": (3, 4), "type_dict": {"x": np.float64}}])


def test_check_consistency_aux_params():
    data = mx.sym.Variable("data")
    sym = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    ctx_list = [{"ctx": mx.cpu(0), "data": (3, 2)}, {"ctx": mx.cpu(1), "data": (3, 2)}]
    ap = {"data": np.ones((3, 2)), "fc_weight": np.eye(2), "fc_bias": np.zeros(2)}
    gt = tu.check_consistency(sym, ctx_list, arg_params=ap, aux_params={})
    np.testing.assert_allclose(gt["fc_output"].asnumpy(), np.ones((3, 2)))


def test_check_consistency_ground_truth_mismatch(capsys):
    np.random.seed(2)
    ap = {}
    gt = tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=ap)
    bad = {k: v.copy() for k, v in gt.items()}
    bad["act_output"][:] = bad["act_output"] + 0.5
    with pytest.raises(AssertionError) as info:
        tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=ap, ground_truth=bad)
    msg = str(info.value)
    assert msg.startswith("\nItems are not equal:\nError ")
    assert "Location of maximum error:" in msg and ", a=" in msg
    assert msg.endswith("mxlite: ctx 0 and ctx 1 agree at all 2 forward steps and on act_output; "
                        "act_output differs from the ground_truth that was passed in.")
    captured = capsys.readouterr()
    assert "Predict Err: ctx 0 vs ctx 1 at act_output" in captured.out
    assert "Traceback" in captured.err


def test_check_consistency_train_err_and_raise_on_err(capsys):
    np.random.seed(3)
    ap = {}
    gt = tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=ap)
    bad = dict(gt)
    bad["fc_bias"] = gt["fc_bias"] + 1.0
    with pytest.raises(AssertionError, match="fc_bias differs from the ground_truth"):
        tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=ap, ground_truth=bad)
    assert "Train Err: float32 cpu(0) ctx 0 vs float64 cpu(1) ctx 1 at fc_bias" \
        in capsys.readouterr().out
    # raise_on_err=False prints the error and carries on
    res = tu.check_consistency(_fc_sym(), _CTX_32_64, arg_params=ap, ground_truth=bad,
                               raise_on_err=False)
    assert res is bad
    out = capsys.readouterr().out
    assert "Train Err: float32 cpu(0) ctx 0 vs float64 cpu(1) ctx 1 at fc_bias" in out
    assert "Items are not equal:" in out


def test_check_consistency_divergence_forward_step():
    """Two symbols that differ at the second step: the report names that op and node."""
    x = mx.sym.Variable("x")
    s1 = mx.sym.relu(mx.sym.exp(x) * 2, name="out")
    s2 = mx.sym.relu(mx.sym.exp(x) * 2.5, name="out")
    ctx_list = [{"ctx": mx.cpu(0), "x": (2, 3)},
                {"ctx": mx.cpu(1), "x": (2, 3), "type_dict": {"x": np.float64}}]
    np.random.seed(0)
    with pytest.raises(AssertionError) as info:
        tu.check_consistency([s1, s2], ctx_list)
    report = str(info.value).splitlines()[-1]
    assert report.startswith(
        "mxlite: first divergence between ctx 0 (float32 cpu(0)) and ctx 1 (float64 cpu(1)) in "
        "forward(is_train=False) at step 2 of 3: op _mul_scalar, node _mulscalar0 (output "
        "_mulscalar0_output) vs op _mul_scalar, node _mulscalar1 (output _mulscalar1_output): "
        "Error ")
    assert "exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 at (" in report


def test_check_consistency_divergence_in_backward():
    """Same forward, different backward (BlockGrad vs identity): reported as a backward
    difference."""
    x = mx.sym.Variable("x")
    s1 = mx.sym.elemwise_mul(x, mx.sym.BlockGrad(x), name="out")
    s2 = mx.sym.elemwise_mul(x, mx.sym.identity(x), name="out")
    ctx_list = [{"ctx": mx.cpu(0), "x": (2, 2)}, {"ctx": mx.cpu(1), "x": (2, 2)}]
    np.random.seed(0)
    with pytest.raises(AssertionError) as info:
        tu.check_consistency([s1, s2], ctx_list)
    assert str(info.value).endswith(
        "mxlite: ctx 1 and ctx 0 agree at all 2 forward steps; their x first differs in backward.")


def test_check_consistency_restores_executor_state():
    """Tracing re-runs forward; outputs and monitors are put back, so raise_on_err=False goes on
    with the original values."""
    x = mx.sym.Variable("x")
    s1 = mx.sym.relu(x * 2, name="out")
    s2 = mx.sym.relu(x * 3, name="out")
    ctx_list = [{"ctx": mx.cpu(0), "x": (2, 2)}, {"ctx": mx.cpu(1), "x": (2, 2)}]
    np.random.seed(0)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        gt = tu.check_consistency([s1, s2], ctx_list, raise_on_err=False,
                                  arg_params={"x": np.ones((2, 2))})
    np.testing.assert_allclose(gt["out_output"].asnumpy(), np.full((2, 2), 2.0))


def test_check_consistency_argument_checks():
    x = mx.sym.Variable("x")
    with pytest.raises(AssertionError):
        tu.check_consistency(x * 2, [{"ctx": mx.cpu(0), "x": (2,)}])
    with pytest.raises(AssertionError):
        tu.check_consistency([x * 2, x * 3], [{"ctx": mx.cpu(0), "x": (2,)},
                                              {"ctx": mx.cpu(1), "x": (2,)}])


# ----- helpers ------------------------------------------------------------------------------------
def test_default_context():
    old = tu.default_context()
    try:
        tu.set_default_context(mx.cpu(3))
        assert tu.default_context() == mx.cpu(3) and mx.current_context() == mx.cpu(3)
        assert tu.rand_ndarray((2,)).context == mx.cpu(3)
    finally:
        tu.set_default_context(old)
    assert tu.default_context() == old


def test_random_data_helpers():
    np.random.seed(0)
    a = tu.random_arrays((2, 3))
    assert isinstance(a, np.ndarray) and a.shape == (2, 3) and a.dtype == np.float32
    arrs = tu.random_arrays((2,), ())
    assert isinstance(arrs, list) and arrs[1].shape == () and arrs[1].dtype == np.float32
    u = tu.random_uniform_arrays((4,), low=2, high=3)
    assert isinstance(u, list) and ((u[0] >= 2) & (u[0] < 3)).all()
    with pytest.raises(TypeError, match="unexpected"):
        tu.random_uniform_arrays((4,), lo=2)
    r = tu.rand_ndarray((3, 2), dtype=np.float64, ctx=mx.cpu(1))
    assert r.shape == (3, 2) and r.dtype is np.float64 and r.context == mx.cpu(1)
    assert tu.rand_ndarray((3,)).dtype is np.float32
    with pytest.raises(mx.MXNetError, match="csr"):
        tu.rand_ndarray((3, 3), stype="csr")
    for shape in (tu.rand_shape_2d(), tu.rand_shape_3d(4, 5, 6), tu.rand_shape_nd(5, dim=3)):
        assert all(type(d) is int and 1 <= d <= 10 for d in shape)
    assert len(tu.rand_shape_nd(5, dim=3)) == 5
    assert 0 in {d for _ in range(200) for d in tu.rand_shape_2d(1, 1, allow_zero_size=True)}
    assert sorted(tu.random_sample([1, 2, 3, 4], 4)) == [1, 2, 3, 4]


def test_simple_forward():
    x = mx.sym.Variable("x")
    out = tu.simple_forward(x * 2, x=np.array([1., 2.]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [2., 4.])
    outs = tu.simple_forward(mx.sym.Group([x * 2, x + 1]), ctx=mx.cpu(1), x=np.array([1.]))
    assert isinstance(outs, list) and len(outs) == 2


def test_check_speed():
    x = mx.sym.Variable("x")
    sym = mx.sym.tanh(x)
    assert tu.check_speed(sym, N=2, x=(4, 4)) > 0
    assert tu.check_speed(sym, location={"x": np.ones((2, 2))}, N=2, typ="forward") > 0
    with pytest.raises(ValueError, match="typ can only be"):
        tu.check_speed(sym, N=1, typ="backward", x=(2,))


def test_numpy_helpers():
    dat = np.arange(24.).reshape(2, 3, 4)
    np.testing.assert_array_equal(tu.np_reduce(dat, (0, 2), True, np.sum),
                                  dat.sum(axis=(0, 2), keepdims=True))
    np.testing.assert_array_equal(tu.np_reduce(dat, 1, False, np.max), dat.max(axis=1))
    np.testing.assert_array_equal(tu.np_reduce(dat, None, False, np.sum), dat.sum())
    np.testing.assert_array_equal(tu.assign_each(np.arange(4.).reshape(2, 2), lambda v: v * 2),
                                  [[0., 2.], [4., 6.]])
    np.testing.assert_array_equal(tu.assign_each2(np.ones(3), np.arange(3.), lambda a, b: a + b),
                                  [1., 2., 3.])
    np.testing.assert_array_equal(tu.collapse_sum_like(np.ones((2, 3, 4)), (3, 1)), np.full((3, 1),
                                                                                            8.))
    assert tu.create_vector(4).asnumpy().tolist() == [0, 1, 2, 3]
    assert tu.create_2d_tensor(2, 3).asnumpy().tolist() == [[0, 0, 0], [1, 1, 1]]
    assert tu.get_identity_mat_batch(2).shape == (2, 2, 2)


def test_same_array_and_structure():
    a = mx.nd.zeros((2, 2))
    assert tu.same_array(a, a[:])
    assert not tu.same_array(a, a.copy())
    assert (a.asnumpy() == 0).all()
    x = mx.sym.Variable("x")
    assert tu.same_symbol_structure(mx.sym.exp(x), mx.sym.exp(mx.sym.Variable("y")))
    assert not tu.same_symbol_structure(mx.sym.exp(x), mx.sym.log(x))


def test_list_gpus():
    assert list(tu.list_gpus()) == list(range(mx.num_gpus()))


def test_environment():
    name = "MXLITE_TEST_UTILS_ENV"
    os.environ.pop(name, None)
    with tu.environment(name, "1"):
        assert os.environ[name] == "1"
    assert name not in os.environ
    os.environ[name] = "orig"
    try:
        with tu.environment({name: None, name + "_2": "b"}):
            assert name not in os.environ and os.environ[name + "_2"] == "b"
        assert os.environ[name] == "orig" and name + "_2" not in os.environ
        with pytest.raises(KeyError):
            with tu.environment(name, "x"):
                raise KeyError("boom")
        assert os.environ[name] == "orig"
    finally:
        os.environ.pop(name, None)
    with pytest.raises(AssertionError):
        with tu.environment(name):
            pass


def test_retry():
    calls = []

    @tu.retry(3)
    def flaky(n_fail):
        calls.append(1)
        assert len(calls) > n_fail, "not yet"

    flaky(2)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(AssertionError, match="not yet"):
        flaky(5)
    assert len(calls) == 3
    assert flaky.__name__ == "flaky"

    @tu.retry(3)
    def broken():
        calls.append(1)
        raise KeyError("x")
    calls.clear()
    with pytest.raises(KeyError):
        broken()
    assert len(calls) == 1
    with pytest.raises(AssertionError):
        tu.retry(0)


def test_dummy_iter():
    class Real:
        provide_data, provide_label, batch_size = [("data", (2,))], [], 2

        def __init__(self):
            self.it = iter([1, 2])

        def __next__(self):
            return next(self.it)

    it = tu.DummyIter(Real())
    assert [next(it) for _ in range(4)] == [1, 1, 1, 1]
    assert it.batch_size == 2 and it.provide_data == [("data", (2,))]


def test_discard_stderr():
    with tu.discard_stderr():
        pass
