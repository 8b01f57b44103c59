"""Fuzz: random graphs built from the op database (every op's valid parameters, shapes and input
draws, ``tests/opdb/``), each followed by a random chain of smooth ops, checked in float64:

- the symbolic gradient against central differences of the bound graph's own forward;
- the JSON round trip (same text, same outputs);
- grad_req 'add' run twice equals 2x 'write';
- ``simple_bind`` against ``bind``;
- cpu against gpu when a GPU is present.

The default (fast) profile runs a few dozen derandomised examples in CI; ``-m slow`` runs the long
profile (``test_random_graphs_long``) with fresh random examples.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxlite as mx
from conftest import HAVE_GPU
from opdb import CASES

settings.register_profile("fuzz-fast", max_examples=40, deadline=None, derandomize=True,
                          database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("fuzz-long", max_examples=1500, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))


# ops whose gradient is defined on symmetric inputs (MXNet's symmetric convention): central
# differences of the triangle they read differ; the op database checks them against a
# symmetrised reference
SYMMETRIC_INPUT = {"_linalg_potrf", "_linalg_syevd"}


def _usable(case):
    op = mx.ops.registry.get(case.op)
    return (case.grad and not case.loss and not case.is_train and not case.aux
            and case.ref_grad is None and "float64" in case.dtypes
            and op.name not in SYMMETRIC_INPUT
            and not op.name.startswith("_random") and op.name not in ("Dropout",)
            and all(np.dtype(d).kind == "f" for d in case.input_dtypes.values()))


GRAPH_CASES = [c for c in CASES if _usable(c)]

# smooth ops appended after the root op: name -> Symbol -> Symbol
POST = {
    "tanh": lambda s, v: mx.sym.tanh(s),
    "sigmoid": lambda s, v: mx.sym.sigmoid(s),
    "scale": lambda s, v: s * 0.7,
    "self_add": lambda s, v: s + s,              # one node read twice
    "self_mul": lambda s, v: s * mx.sym.tanh(s),  # a value and a function of it
    "square": lambda s, v: mx.sym.square(s) * 0.1,
    "sin": lambda s, v: mx.sym.sin(s),
    "with_var": lambda s, v: s * v,               # a new argument of the same shape
    "sum0": lambda s, v: mx.sym.sum(s, axis=0, keepdims=True),
}


def _build(case, post):
    names = list(case.shapes)
    variables = {n: mx.sym.Variable(n) for n in names}
    op = getattr(mx.sym, case.op)
    if mx.ops.registry.get(case.op).variadic:
        root = op(*[variables[n] for n in names], name="root", **case.params)
    else:
        root = op(name="root", **variables, **case.params)
    out = root[0] if len(root.list_outputs()) > 1 else root
    extras = []
    for name in post:
        extras.append(mx.sym.Variable(f"fuzz_extra{len(extras)}"))
        out = POST[name](out, extras[-1])
    return out, [v.name for v in extras]


def _inputs(case, sym, extras, seed):
    rng = np.random.default_rng(seed)
    values = case.make_inputs(rng, "float64")
    shapes, _, _ = sym.infer_shape_partial(**{k: v.shape for k, v in values.items()})
    for name, shape in zip(sym.list_arguments(), shapes):
        if name in extras:
            values[name] = rng.uniform(0.5, 1.5, shape)
    return {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in values.items()}


def _grad_names(case, values):
    return [n for n, v in values.items() if n not in case.no_grad and v.dtype.kind == "f"]


def _run(sym, values, grad_names, head, ctx=None, req="write", times=1, init=0.0):
    ctx = ctx or mx.cpu()
    args = {k: mx.nd.array(v, ctx=ctx, dtype=v.dtype) for k, v in values.items()}
    grads = {n: mx.nd.full(values[n].shape, init, ctx=ctx, dtype="float64") for n in grad_names}
    reqs = {n: (req if n in grads else "null") for n in sym.list_arguments()}
    ex = sym.bind(ctx, args, args_grad=grads, grad_req=reqs)
    for _ in range(times):
        ex.forward(is_train=True)
        ex.backward(mx.nd.array(head, ctx=ctx, dtype="float64"))
    return ex.outputs[0].asnumpy(), {n: g.asnumpy() for n, g in grads.items()}


def _forward(sym, values):
    args = {k: mx.nd.array(v, dtype=v.dtype) for k, v in values.items()}
    return sym.bind(mx.cpu(), args, grad_req="null").forward()[0].asnumpy()


def _check_graph(case, post, seed):
    sym, extras = _build(case, post)
    values = _inputs(case, sym, extras, seed)
    names = _grad_names(case, values)
    out = _forward(sym, values)
    if not np.isfinite(out).all():
        return  # the chain left the op's domain; nothing to compare
    head = np.random.default_rng(seed + 1).uniform(0.5, 1.5, out.shape)
    out_w, grads = _run(sym, values, names, head)
    np.testing.assert_array_equal(out_w, out)

    # symbolic gradient against central differences of the graph's forward
    eps = case.numeric_eps
    rtol, atol = case.grad_tol
    for n in names:
        x = values[n]
        numeric = np.zeros_like(x)
        flat = x.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = (_forward(sym, values) * head).sum()
            flat[i] = old - eps
            fm = (_forward(sym, values) * head).sum()
            flat[i] = old
            numeric.reshape(-1)[i] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(grads[n], numeric, rtol=rtol * 10, atol=atol * 10,
                                   err_msg=f"{case.id} -> {post}: gradient of {n}")

    # JSON round trip: same text, same outputs
    text = sym.tojson()
    again = mx.sym.load_json(text)
    assert again.tojson() == text
    np.testing.assert_array_equal(_forward(again, values), out)

    # grad_req 'add' twice == 2x 'write'
    _, added = _run(sym, values, names, head, req="add", times=2)
    for n in names:
        np.testing.assert_allclose(added[n], 2 * grads[n], rtol=1e-12, atol=1e-12)

    # simple_bind against bind
    ex = sym.simple_bind(mx.cpu(), grad_req={n: "write" for n in names},
                         type_dict={k: v.dtype for k, v in values.items()},
                         **{k: v.shape for k, v in values.items()})
    ex.forward(is_train=True, **{k: mx.nd.array(v, dtype=v.dtype) for k, v in values.items()})
    ex.backward(mx.nd.array(head, dtype="float64"))
    np.testing.assert_array_equal(ex.outputs[0].asnumpy(), out)
    for n in names:
        np.testing.assert_allclose(ex.grad_dict[n].asnumpy(), grads[n], rtol=1e-12, atol=1e-14)

    # cpu against gpu
    if HAVE_GPU:
        out_g, grads_g = _run(sym, values, names, head, ctx=mx.gpu(0))
        np.testing.assert_allclose(out_g, out, rtol=1e-7, atol=1e-10)
        for n in names:
            np.testing.assert_allclose(grads_g[n], grads[n], rtol=1e-6, atol=1e-9)


_GRAPHS = dict(case=st.sampled_from(GRAPH_CASES),
               post=st.lists(st.sampled_from(sorted(POST)), max_size=3),
               seed=st.integers(0, 2**31 - 1))


@settings(settings.get_profile("fuzz-fast"))
@given(**_GRAPHS)
def test_random_graphs(case, post, seed):
    _check_graph(case, post, seed)


@pytest.mark.slow
@settings(settings.get_profile("fuzz-long"))
@given(**_GRAPHS)
def test_random_graphs_long(case, post, seed):
    _check_graph(case, post, seed)


def test_graph_cases_cover_the_registry():
    families = {mx.ops.registry.get(c.op).name for c in GRAPH_CASES}
    assert len(families) > 100
