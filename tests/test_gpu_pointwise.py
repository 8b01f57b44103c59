"""Fused element-wise groups on a GPU context: the generated CUDA source (``ops.pointwise_cuda``)
against the unfused CPU executor. Marked ``gpu``: on a device, or on the CPU through the emulated
CuPy, whose ``RawModule`` compiles the generated source with tests/cuda_on_cpu and runs it on its
strict device (``PYTHONPATH=tests/emulated_gpu pytest -m gpu``); skipped otherwise."""
import os

import numpy as np
import pytest

import mxlite as mx


def _gpu_available():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _gpu_available() and os.environ.get("MXLITE_REQUIRE_GPU") != "1",
                       reason="needs CuPy and a CUDA device"),
]
TOL = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def _run(sym, ctx, shapes, dtype, fusion, monkeypatch, grad_req="write"):
    monkeypatch.setenv("MXLITE_FUSION", "1" if fusion else "0")
    ex = sym.simple_bind(ctx, grad_req=grad_req, type_dict={k: dtype for k in shapes}, **shapes)
    rng = np.random.default_rng(0)
    for name, arr in ex.arg_dict.items():
        arr[:] = mx.nd.array(rng.uniform(-1.5, 1.5, arr.shape), dtype=dtype)
    for arr in ex.grad_dict.values():
        arr[:] = 0.25
    outs = ex.forward(is_train=True)
    heads = [mx.nd.array(np.random.default_rng(1).uniform(-1, 1, o.shape), ctx=ctx,
                         dtype=dtype) for o in outs]
    ex.backward(heads)
    return ex, [o.asnumpy() for o in outs], {k: v.asnumpy() for k, v in ex.grad_dict.items()}


@pytest.mark.parametrize("dtype,shape,grad_req", [("float32", (3, 5, 7), "write"),
                                                  ("float64", (1,), "add"),
                                                  ("float32", (40000,), "write")])
def test_fused_chain_on_gpu(dtype, shape, grad_req, monkeypatch):
    """relu/sigmoid/softrelu/tanh, scalar ops, maximum and division in one group; the emulated
    device has 2 SMs (64 blocks of 256 threads), so at 40000 elements the grid-stride loop runs
    three rounds."""
    a, b, c, d = (mx.sym.Variable(n) for n in "abcd")
    x = mx.sym.relu(a * b + c) * d
    x = mx.sym.Activation(x - 0.5, act_type="softrelu") + mx.sym.sigmoid(c) / (d * d + 1.0)
    sym = mx.sym.tanh(mx.sym.maximum(x, a) * 2.0) - mx.sym.exp(b)
    shapes = {n: shape for n in "abcd"}
    ex, out_g, grads_g = _run(sym, mx.gpu(), shapes, dtype, True, monkeypatch, grad_req)
    assert ex._groups and len(ex._groups[0].members) > 10
    _, out_c, grads_c = _run(sym, mx.cpu(), shapes, dtype, False, monkeypatch, grad_req)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(out_g[0], out_c[0], rtol=rtol, atol=atol)
    for k in grads_c:
        np.testing.assert_allclose(grads_g[k], grads_c[k], rtol=rtol, atol=atol, err_msg=k)


def test_float16_runs_unfused_on_gpu(monkeypatch):
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    sym = mx.sym.relu(a * b) + b
    ex, out, _ = _run(sym, mx.gpu(), {"a": (4,), "b": (4,)}, "float16", True, monkeypatch)
    assert not ex._groups
