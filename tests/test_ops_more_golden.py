"""The spatial, detection, sequence-loss and normalisation ops against the real MXNet 1.9.1
(fixtures written by tests/golden/make_ops_more.py): each case's outputs and, where recorded, the
gradients of its inputs for the recorded head gradients; the symbol's JSON text (built here and
round-tripped) and its argument and output names."""
import glob
import json
import os

import numpy as np
import pytest

import mxlite as mx

HERE = os.path.join(os.path.dirname(__file__), "golden", "ops_more")
CASES = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(HERE, "*.json")))


def _load(case_id):
    with open(os.path.join(HERE, case_id + ".json")) as f:
        meta = json.load(f)
    return meta, dict(np.load(os.path.join(HERE, case_id + ".npz")))


@pytest.mark.parametrize("case_id", CASES)
def test_ops_more_golden(case_id):
    meta, data = _load(case_id)
    op = getattr(mx.sym, meta["op"])
    sym = op(name="op", **{n: mx.sym.var(n) for n in meta["inputs"]}, **meta["params"])
    arrays = {n: data[f"in:{n}"] for n in meta["inputs"]}
    args = {n: mx.nd.array(a, dtype=a.dtype) for n, a in arrays.items()}
    grads = {n: mx.nd.zeros(arrays[n].shape, dtype=arrays[n].dtype) for n in meta["grad"]}
    req = {n: ("write" if n in grads else "null") for n in arrays}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads or None, grad_req=req)
    outs = ex.forward(is_train=True)
    assert len(outs) == meta["n_outputs"]
    tol = dict(rtol=meta["rtol"], atol=meta["atol"])
    for i, o in enumerate(outs):
        want = data[f"out:{i}"]
        assert o.shape == want.shape, f"output {i}: shape {o.shape}, MXNet {want.shape}"
        assert o.dtype == want.dtype, f"output {i}: dtype {o.dtype}, MXNet {want.dtype}"
        np.testing.assert_allclose(o.asnumpy(), want, err_msg=f"output {i}", **tol)
    if grads:
        ex.backward([mx.nd.array(data[f"head:{i}"]) for i in range(len(outs))])
        for n, g in grads.items():
            np.testing.assert_allclose(g.asnumpy(), data[f"grad:{n}"], err_msg=f"grad of {n}",
                                       **tol)


@pytest.mark.parametrize("case_id", CASES)
def test_ops_more_symbol_json(case_id):
    meta, _ = _load(case_id)
    op = getattr(mx.sym, meta["op"])
    sym = op(name="op", **{n: mx.sym.var(n) for n in meta["inputs"]}, **meta["params"])
    assert sym.list_arguments() == meta["arguments"]
    assert sym.list_outputs() == meta["outputs"]
    assert sym.tojson() == meta["symbol"]
    assert mx.sym.load_json(meta["symbol"]).tojson() == meta["symbol"]
