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
    for arr in ex.arg_dict.values():
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


def declared_cases():
    """(op name, attrs) for every op declaring a scalar form (Activation once per act_type)."""
    from mxlite.ops import registry
    cases = []
    for op in registry.all_ops():
        if op.pointwise is None:
            continue
        if op.name == "Activation":
            cases += [(op.name, {"act_type": a})
                      for a in ("relu", "sigmoid", "tanh", "softrelu", "softsign")]
        elif "scalar" in op.params.fields:
            cases.append((op.name, {"scalar": "1.7"}))
        else:
            cases.append((op.name, {}))
    return cases


def all_declarations(cases):
    """One list of Exprs: each case's output and input gradients over its own variables
    (x<2j>, x<2j+1>, head gradient g<j>)."""
    from mxlite.ops import pointwise, registry
    exprs = []
    for j, (name, attrs) in enumerate(cases):
        op = registry.get(name)
        p = op.parse(attrs)
        ins = [pointwise.var(f"x{2 * j + i}") for i in range(len(op.input_names(p)))]
        pw = pointwise.declared(op, p)
        y = pointwise.as_expr(pw.forward(pointwise.XP, p, *ins))
        exprs += [y, *map(pointwise.as_expr, pw.grads(pointwise.XP, p, pointwise.var(f"g{j}"),
                                                       *ins, y))]
    return exprs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_declaration_in_cuda(dtype):
    """The CUDA printer of every declared op (one generated kernel holding them all) against the
    op's own NumPy forward and gradients, non-finite inputs included."""
    import cupy
    from mxlite.context import cpu
    from mxlite.ops import pointwise_cuda, registry
    from mxlite.ops.registry import StepContext
    cases = declared_cases()
    run, used = pointwise_cuda.kernel(all_declarations(cases), np.dtype(dtype), "all")
    n = 301
    rng = np.random.default_rng(5)
    host, want = {}, []
    for j, (name, attrs) in enumerate(cases):
        op = registry.get(name)
        p = op.parse(attrs)
        lo, hi = ((1.1, 3.0) if name == "arccosh" else
                  (0.1, 0.9) if name in ("log", "log2", "log10", "sqrt", "rsqrt", "_power",
                                         "_power_scalar") else (-0.9, 0.9))
        ins = [rng.uniform(lo, hi, n).astype(dtype) for _ in op.input_names(p)]
        for i, x in enumerate(ins):
            x[i * 4:i * 4 + 4] = [np.nan, np.inf, -np.inf, 0.0]
        g = rng.uniform(-1, 1, n).astype(dtype)
        host.update({f"x{2 * j + i}": x for i, x in enumerate(ins)})
        host[f"g{j}"] = g
        sc = StepContext(np, cpu(), True, name)
        with np.errstate(all="ignore"):
            out = op.forward(sc, p, ins)[0]
            want += [(name, "forward", out)]
            want += [(name, f"gradient {i}", gi)
                     for i, gi in enumerate(op.backward(sc, p, [g], ins, [out]))]
    outs = [cupy.empty(n, dtype) for _ in want]
    run(n, *(cupy.asarray(host[v]) for v in used), *outs)
    rtol, atol = TOL[dtype]
    for (name, what, expected), got in zip(want, outs):
        np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=rtol * 10, atol=atol * 10,
                                   equal_nan=True, err_msg=f"{name} {what}")
