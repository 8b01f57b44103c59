"""Golden fixtures recorded with the real MXNet 1.9.1 (tests/golden, see its README).

For every recorded case: the symbol JSON MXNet wrote loads in mxlite and is written back byte for
byte; the bound executor reproduces MXNet's outputs, gradients (with the same grad_req and initial
buffers) and aux states. Cases flagged ``mxnet_bug`` record MXNet values that are wrong; mxlite
computes the mathematically right values instead (each has a correct companion case that is
checked).
"""
import glob
import json
import os

import numpy as np
import pytest

import mxlite as mx
from mxlite.ops import registry

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
# Cases where mxlite deliberately differs from MXNet 1.9.1 (listed in the README's compatibility
# section); each reason says what MXNet does and why mxlite does not.
DELIBERATE = {
    "softmaxactivation_instance_4d":
        "MXNet's backward of SoftmaxActivation(mode='instance') on >2-D data normalises over "
        "axis 1 while its forward uses the last axis; mxlite's gradient matches its forward",
    **{f"leakyrelu_selu_{kind}": "MXNet's selu gradient for x <= 0 is lambda * (alpha + y), "
       "not the derivative lambda * alpha * exp(x); mxlite computes the derivative"
       for kind in ("4d", "float16", "float32", "float64")},
    "leakyrelu_gelu_float64": "MXNet computes gelu on float64 data in float32; mxlite in float64",
    "clip_min_gt_max": "MXNet clips everything to a_max when a_min > a_max; mxlite refuses the "
                       "parameters (MXNetError)",
}
# deliberate differences whose parameters mxlite refuses outright (the symbol does not load)
REFUSED = {"clip_min_gt_max"}
CASES = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(GOLDEN, "cases", "*.json")))


def _load(case_id):
    with open(os.path.join(GOLDEN, "cases", case_id + ".json")) as f:
        meta = json.load(f)
    data = dict(np.load(os.path.join(GOLDEN, "cases", case_id + ".npz")))
    return meta, data


def _missing_ops(symbol_json):
    ops = {n["op"] for n in json.loads(symbol_json)["nodes"] if n["op"] != "null"}
    return sorted(op for op in ops if not registry.exists(op))


def _tol(meta):
    return meta.get("rtol", 1e-4), meta.get("atol", 1e-5)


def _compare(actual, expected, meta, what):
    rtol, atol = _tol(meta)
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, MXNet {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, MXNet {expected.dtype}"
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                               atol=atol, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("case_id", CASES)
def test_golden_case(case_id):
    meta, data = _load(case_id)
    missing = _missing_ops(meta["symbol"])
    if missing:
        pytest.skip(f"ops not implemented yet: {', '.join(missing)}")
    if case_id in DELIBERATE:
        pytest.skip(f"deliberate difference: {DELIBERATE[case_id]}")
    if "mxnet_bug" in meta:
        pytest.skip(f"records an MXNet 1.9.1 bug mxlite does not reproduce: {meta['mxnet_bug']}")
    sym = mx.sym.load_json(meta["symbol"])
    ctx = mx.cpu()
    args = {n: mx.nd.array(data[f"arg:{n}"], ctx=ctx, dtype=data[f"arg:{n}"].dtype)
            for n in sym.list_arguments()}
    aux = {n: mx.nd.array(data[f"aux:{n}"], ctx=ctx, dtype=data[f"aux:{n}"].dtype)
           for n in sym.list_auxiliary_states()}
    grads = None
    if meta.get("args_grad") is not None:
        grads = {}
        for n in meta["args_grad"]:
            init = data.get(f"grad_init:{n}", np.zeros_like(data[f"arg:{n}"]))
            grads[n] = mx.nd.array(init, ctx=ctx, dtype=init.dtype)
    ex = sym.bind(ctx, args=args, args_grad=grads, grad_req=meta["grad_req"], aux_states=aux)
    outs = ex.forward(is_train=meta["is_train"])
    if meta.get("forward_twice"):
        outs = ex.forward(is_train=meta["is_train"])
    for i, o in enumerate(outs):
        if f"out:{i}" in data:
            _compare(o.asnumpy(), data[f"out:{i}"], meta, f"{case_id} output {i}")
    if meta["backward"]:
        heads = [mx.nd.array(data[f"head_grad:{i}"], ctx=ctx, dtype=data[f"head_grad:{i}"].dtype)
                 for i in range(len(outs)) if f"head_grad:{i}" in data]
        for _ in range(2 if meta.get("backward_twice") else 1):
            ex.backward(heads if heads else None)
        for n in meta.get("args_grad") or []:
            if f"grad:{n}" in data:
                _compare(grads[n].asnumpy(), data[f"grad:{n}"], meta, f"{case_id} grad {n}")
    for n in sym.list_auxiliary_states():
        if f"aux_after:{n}" in data:
            _compare(aux[n].asnumpy(), data[f"aux_after:{n}"], meta, f"{case_id} aux {n}")
    for n in sym.list_arguments():
        if f"arg_after:{n}" in data:
            _compare(args[n].asnumpy(), data[f"arg_after:{n}"], meta, f"{case_id} arg {n} after")


@pytest.mark.parametrize("case_id", CASES)
def test_golden_json_roundtrip(case_id):
    """mxlite writes back the JSON text MXNet wrote, byte for byte."""
    meta, _ = _load(case_id)
    missing = _missing_ops(meta["symbol"])
    if missing:
        pytest.skip(f"ops not implemented yet: {', '.join(missing)}")
    if case_id in REFUSED:
        pytest.skip(f"deliberate difference: {DELIBERATE[case_id]}")
    assert mx.sym.load_json(meta["symbol"]).tojson() == meta["symbol"]
