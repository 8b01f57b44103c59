"""The compiled CPU kernels (``mxlite/ops/*_cpu.py``, numba) against the NumPy code they replace.

Each case binds an op, runs forward and backward once with the kernels on and once with them off
(``mxlite.ops._jit.enabled`` patched to False: the NumPy path, the reference), and compares
outputs, gradients and aux states at float32/float64 tolerances. The cases hit what the kernels
special-case: one row, odd sizes, non-last axes, non-contiguous inputs (a transpose feeding the
op), every parameter the fast path accepts, and grad_req 'write' (the kernel writes into the
gradient array) and 'add'. Skipped as a whole without numba.
"""
import numpy as np
import pytest

import mxlite as mx
from mxlite.ops import _jit

pytestmark = pytest.mark.skipif(not _jit.enabled(), reason="numba missing or MXLITE_JIT=0")

TOL = {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-13)}
DTYPES = ["float32", "float64"]


def _run(sym, shapes, dtype, grad_req, seed, fill, is_train=True, aux_fill=None, steps=1):
    """(outputs, gradients, aux states) of one bind: forward, then backward with fixed heads."""
    rng = np.random.default_rng(seed)
    types = {n: "int32" if n == "length" else dtype for n in shapes}
    ex = sym.simple_bind(mx.cpu(), grad_req=grad_req, type_dict=types, **shapes)
    for name, arr in ex.arg_dict.items():
        arr[:] = fill(name, arr.shape, rng).astype(arr.dtype)
    for name, arr in ex.aux_dict.items():
        arr[:] = (aux_fill or (lambda n, s, r: r.random(s) + 0.5))(name, arr.shape, rng)
    if grad_req == "add":
        for arr in ex.grad_arrays:
            if arr is not None:
                arr[:] = rng.standard_normal(arr.shape)
    heads = [mx.nd.array(rng.standard_normal(o.shape), dtype=o.dtype) for o in ex.outputs]
    for _ in range(steps):
        ex.forward(is_train=is_train)
        if grad_req != "null":
            ex.backward(heads)
    outs = [o.asnumpy() for o in ex.outputs]
    grads = {n: g.asnumpy() for n, g in ex.grad_dict.items() if g is not None}
    aux = {n: a.asnumpy() for n, a in ex.aux_dict.items()}
    return outs, grads, aux


def _normal(name, shape, rng):
    return rng.standard_normal(shape) * 2


def check(monkeypatch, sym, shapes, dtype, grad_req="write", fill=_normal, **kw):
    """Kernels on vs off: the same outputs, gradients and aux states."""
    fast = _run(sym, shapes, dtype, grad_req, 0, fill, **kw)
    with monkeypatch.context() as m:
        m.setattr(_jit, "enabled", lambda: False)
        ref = _run(sym, shapes, dtype, grad_req, 0, fill, **kw)
    rtol, atol = TOL[dtype]
    for what, a, b in (("output", fast[0], ref[0]), ("grad", fast[1], ref[1]),
                       ("aux", fast[2], ref[2])):
        if isinstance(a, dict):
            assert a.keys() == b.keys()
            a, b = [a[k] for k in sorted(a)], [b[k] for k in sorted(b)]
        for x, y in zip(a, b):
            assert x.dtype == y.dtype, what
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=what)


def _data(layout_t):
    """The data variable, fed transposed (a non-contiguous array) when ``layout_t``."""
    d = mx.sym.Variable("data")
    return mx.sym.transpose(d) if layout_t else d


# ----- softmax, log_softmax, softmin
SOFTMAX_CASES = [
    ("softmax", (1, 7), {}),
    ("softmax", (5, 1), {}),
    ("softmax", (13, 37), {}),
    ("softmax", (4, 3, 129), {"axis": 1}),
    ("softmax", (6, 11), {"axis": 0}),
    ("softmax", (9, 300), {"temperature": 0.7}),
    ("softmax", (9, 300), {"temperature": -2.5}),
    ("log_softmax", (5, 33), {}),
    ("log_softmax", (3, 4, 5), {"axis": 0, "temperature": 3.0}),
    ("softmin", (7, 65), {}),
    ("softmin", (2, 8, 3), {"axis": -2, "temperature": 0.5}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op,shape,params", SOFTMAX_CASES,
                         ids=[f"{o}-{'x'.join(map(str, s))}-{p}" for o, s, p in SOFTMAX_CASES])
def test_softmax(monkeypatch, op, shape, params, dtype):
    sym = getattr(mx.sym, op)(mx.sym.Variable("data"), **params)
    check(monkeypatch, sym, {"data": shape}, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("grad_req", ["write", "add"])
def test_softmax_transposed_input(monkeypatch, dtype, grad_req):
    sym = mx.sym.log_softmax(_data(True), axis=-1)
    check(monkeypatch, sym, {"data": (19, 6)}, dtype, grad_req)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_length(monkeypatch, op, axis, dtype):
    shape = (3, 10, 4) if axis == 1 else (3, 4, 10)
    lshape = (3, 4)

    def fill(name, s, rng):
        if name == "length":  # 0 (a fully masked row), partial, full and beyond the axis
            length = rng.integers(0, 13, s)
            length.reshape(-1)[::5] = 0
            return length
        return rng.standard_normal(s)
    sym = getattr(mx.sym, op)(mx.sym.Variable("data"), mx.sym.Variable("length"), axis=axis,
                              use_length=True, temperature=1.5)
    fast = _run(sym, {"data": shape, "length": lshape}, dtype, {"data": "write",
                                                              "length": "null"}, 0, fill)
    with monkeypatch.context() as m:
        m.setattr(_jit, "enabled", lambda: False)
        ref = _run(sym, {"data": shape, "length": lshape}, dtype,
                   {"data": "write", "length": "null"}, 0, fill)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(fast[0][0], ref[0][0], rtol=rtol, atol=atol)
    np.testing.assert_allclose(fast[1]["data"], ref[1]["data"], rtol=rtol, atol=atol)


def test_softmax_nan_and_inf_rows(monkeypatch):
    x = np.array([[0.0, 1.0, np.nan], [np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf], [-200.0, 0.0, -1e30]], np.float32)
    fast = mx.nd.softmax(mx.nd.array(x)).asnumpy()
    with monkeypatch.context() as m, np.errstate(invalid="ignore"):
        m.setattr(_jit, "enabled", lambda: False)
        ref = mx.nd.softmax(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-30)


def test_softmax_large_rows_float32_accuracy():
    """The float32 exp polynomial over its whole range (arguments down to -87 and below)."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((64, 4099)) * 30).astype(np.float32)
    y = mx.nd.softmax(mx.nd.array(x)).asnumpy()
    # exp of the float32 difference (its rounding is float32's, not the polynomial's)
    ref = np.exp((x - x.max(1, keepdims=True)).astype(np.float64))
    ref /= ref.sum(1, keepdims=True)
    np.testing.assert_allclose(y, ref, rtol=2e-6, atol=1e-37)


# ----- SoftmaxOutput
def _labels(classes, ignore=None):
    def fill(name, shape, rng):
        if name.endswith("label"):
            lab = rng.integers(-1, classes + 1, shape).astype(np.float64)  # some out of range
            lab += rng.choice([0.0, 0.4, -0.3], shape) * (lab > 0)        # truncated like MXNet
            if ignore is not None:
                lab.reshape(-1)[::3] = ignore
            return lab
        return rng.standard_normal(shape)
    return fill


SO_CASES = [
    ((1, 5), {}),
    ((17, 33), {}),
    ((8, 10), {"grad_scale": 0.25}),
    ((8, 10), {"use_ignore": True, "ignore_label": 2}),
    ((8, 10), {"use_ignore": True, "ignore_label": 2, "normalization": "valid"}),
    ((8, 10), {"normalization": "batch", "out_grad": True}),
    ((8, 10), {"smooth_alpha": 0.1}),
    ((8, 1), {"smooth_alpha": 0.1}),
    ((8, 10), {"smooth_alpha": 0.2, "use_ignore": True, "ignore_label": 3,
               "normalization": "valid", "grad_scale": 2.0, "out_grad": True}),
    ((4, 3, 5), {}),
    ((4, 3, 5), {"preserve_shape": True}),
    ((3, 6, 2, 5), {"multi_output": True}),
    ((3, 6, 7), {"multi_output": True, "use_ignore": True, "ignore_label": 1,
                 "normalization": "valid", "out_grad": True}),
    ((3, 6, 7), {"multi_output": True, "normalization": "batch", "grad_scale": 3.0,
                 "smooth_alpha": 0.3}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,params", SO_CASES,
                         ids=[f"{'x'.join(map(str, s))}-{p}" for s, p in SO_CASES])
def test_softmax_output(monkeypatch, shape, params, dtype):
    sym = mx.sym.SoftmaxOutput(mx.sym.Variable("data"), name="so", **params)
    classes = shape[1] if params.get("multi_output") else shape[-1]
    check(monkeypatch, sym, {"data": shape}, dtype,
          {"data": "write", "so_label": "null"},
          fill=_labels(classes, params.get("ignore_label")))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_output_grad_add_and_shared(monkeypatch, dtype):
    """'add' (no direct write) and one data feeding two losses (two contributions)."""
    d = mx.sym.Variable("data")
    sym = mx.sym.SoftmaxOutput(d, name="so")
    check(monkeypatch, sym, {"data": (6, 9)}, dtype, {"data": "add", "so_label": "null"},
          fill=_labels(9))
    both = mx.sym.Group([mx.sym.SoftmaxOutput(d, name="a"),
                         mx.sym.SoftmaxOutput(d, name="b", grad_scale=2.0)])
    check(monkeypatch, both, {"data": (6, 9)}, dtype,
          {"data": "write", "a_label": "null", "b_label": "null"}, fill=_labels(9))


# ----- optimizer updates
OPT_CASES = [
    ("sgd_update", 0, {"lr": 0.1}),
    ("sgd_update", 0, {"lr": 0.05, "wd": 1e-3, "rescale_grad": 0.5, "clip_gradient": 0.7}),
    ("sgd_mom_update", 1, {"lr": 0.1, "momentum": 0.9}),
    ("sgd_mom_update", 1, {"lr": 0.1, "momentum": 0.9, "wd": 1e-2, "rescale_grad": 1 / 32,
                           "clip_gradient": 0.01}),
    ("adam_update", 2, {"lr": 0.01}),
    ("adam_update", 2, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "wd": 0.1,
                        "rescale_grad": 2.0, "clip_gradient": 1.5}),
    ("mp_sgd_mom_update", 1, {"lr": 0.1, "momentum": 0.9, "wd": 1e-2}),
]


def _update(op, n_states, params, size, dtype, inplace, seed=0):
    rng = np.random.default_rng(seed)
    mp = op.startswith("mp_")
    w = rng.standard_normal(size).astype(dtype)
    g = (rng.standard_normal(size) * 3).astype(dtype)
    states = [(rng.random(size) if i == 1 else rng.standard_normal(size)).astype(
        "float32" if mp else dtype) for i in range(n_states)]
    arrays = [mx.nd.array(a, dtype=a.dtype) for a in [w, g] + states]
    if mp:
        arrays.append(mx.nd.array(w, dtype="float32"))
    out = arrays[0] if inplace else mx.nd.zeros(w.shape, dtype=dtype)
    for _ in range(2):
        getattr(mx.nd, op)(*arrays, out=out, **params)
    return [out.asnumpy()] + [a.asnumpy() for a in arrays]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [4099, (1 << 20) + 3])
@pytest.mark.parametrize("inplace", [True, False])
@pytest.mark.parametrize("op,n_states,params", OPT_CASES,
                         ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(OPT_CASES)])
def test_optimizer_update(monkeypatch, op, n_states, params, size, inplace, dtype):
    fast = _update(op, n_states, params, size, dtype, inplace)
    with monkeypatch.context() as m:
        m.setattr(_jit, "enabled", lambda: False)
        ref = _update(op, n_states, params, size, dtype, inplace)
    for a, b in zip(fast, ref):
        # bit for bit: a training run must not depend on which path an array took
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_optimizer_update_through_module(monkeypatch):
    """The optimizers' in-place path (mx.optimizer + update_inplace) in a Module fit."""
    def fit():
        rng = np.random.default_rng(0)
        x = rng.standard_normal((64, 100)).astype(np.float32)
        y = rng.integers(0, 10, 64).astype(np.float32)
        net = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=64, name="fc1")
        net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.relu(net), num_hidden=10,
                                                         name="fc2"), name="softmax")
        mod = mx.mod.Module(net)
        it = mx.io.NDArrayIter(x, y, batch_size=16)
        mx.random.seed(0)
        mod.fit(it, num_epoch=2, optimizer="sgd",
                optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3},
                initializer=mx.init.Xavier())
        return {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    fast = fit()
    with monkeypatch.context() as m:
        m.setattr(_jit, "enabled", lambda: False)
        ref = fit()
    for k in fast:
        np.testing.assert_allclose(fast[k], ref[k], rtol=1e-4, atol=1e-6, err_msg=k)


# ----- BatchNorm
BN_CASES = [
    ((2, 3, 5, 7), {}),
    ((1, 4, 33), {"fix_gamma": False}),
    ((3, 5, 2, 3, 3), {"fix_gamma": False, "eps": 1e-5, "momentum": 0.7}),
    ((4, 6, 9), {"axis": 2, "fix_gamma": False}),                  # channel last
    ((6, 5), {"fix_gamma": False}),                                # after FullyConnected
    ((2, 3, 4, 4), {"use_global_stats": True, "fix_gamma": False}),
    ((2, 3, 4, 4), {"output_mean_var": True, "fix_gamma": False}),
    ((1, 1, 1, 9), {"eps": 0.0, "fix_gamma": False}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("is_train", [True, False])
@pytest.mark.parametrize("shape,params", BN_CASES,
                         ids=[f"{'x'.join(map(str, s))}-{p}" for s, p in BN_CASES])
def test_batch_norm(monkeypatch, shape, params, is_train, dtype):
    def fill(name, s, rng):
        if name == "data":
            return rng.standard_normal(s) * 3 + 1.5
        return rng.standard_normal(s)
    for op in ("BatchNorm",) + (("BatchNorm_v1",) if len(shape) in (2, 4)
                                and "axis" not in params else ()):
        sym = getattr(mx.sym, op)(mx.sym.Variable("data"), name="bn", **params)
        check(monkeypatch, sym, {"data": shape}, dtype, fill=fill, is_train=is_train, steps=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_transposed_input_grad_add(monkeypatch, dtype):
    sym = mx.sym.BatchNorm(mx.sym.transpose(mx.sym.Variable("data"), axes=(1, 0, 2)),
                           fix_gamma=False, name="bn")
    check(monkeypatch, sym, {"data": (3, 2, 17)}, dtype, "add")


# ----- Pooling (max backward with overlapping windows)
POOL_CASES = [
    ((2, 3, 9, 11), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}),
    ((1, 1, 8, 8), {"kernel": (3, 3), "stride": (1, 1)}),
    ((2, 2, 7, 10), {"kernel": (3, 2), "stride": (2, 1), "pad": (1, 1),
                     "pooling_convention": "full"}),
    ((1, 2, 5, 5), {"kernel": (2, 2), "stride": (1, 1)}),
    ((2, 2, 6, 6), {"kernel": (2, 2), "stride": (2, 2)}),            # disjoint: NumPy path
]


def _ties(name, shape, rng):
    """Few distinct values, so windows hold ties (the first maximum gets the gradient)."""
    return rng.integers(-3, 3, shape).astype(np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fill", [_normal, _ties], ids=["normal", "ties"])
@pytest.mark.parametrize("shape,params", POOL_CASES,
                         ids=[f"{'x'.join(map(str, s))}-{p}" for s, p in POOL_CASES])
def test_max_pool_backward(monkeypatch, shape, params, fill, dtype):
    sym = mx.sym.Pooling(mx.sym.Variable("data"), pool_type="max", **params)
    check(monkeypatch, sym, {"data": shape}, dtype, fill=fill)


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool_backward_transposed_input_grad_add(monkeypatch, dtype):
    sym = mx.sym.Pooling(mx.sym.transpose(mx.sym.Variable("data"), axes=(0, 1, 3, 2)),
                         kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")
    check(monkeypatch, sym, {"data": (2, 3, 7, 9)}, dtype, "add")
