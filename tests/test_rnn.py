"""The fused RNN op beyond the op database: golden fixtures of the real MXNet 1.9.1
(tests/golden/rnn, made by tests/golden/make_rnn_golden.py), the packed parameter layout, shape
inference and simple_bind, state outputs, dropout between layers, LSTM state clipping, errors."""
import glob
import json
import os

import numpy as np
import pytest
from reference import rnn as R

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops.rnn import unpack

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "rnn")
GOLDEN_CASES = sorted(os.path.basename(f)[:-4] for f in glob.glob(os.path.join(GOLDEN, "*.npz")))
TOL = {"float32": (1e-5, 1e-6), "float64": (1e-6, 1e-9)}


def _load(case):
    z = np.load(os.path.join(GOLDEN, case + ".npz"))
    with open(os.path.join(GOLDEN, case + ".json")) as f:
        text = f.read()
    return z, json.loads(str(z["meta"])), text


def _rnn(name="rnn", **params):
    return mx.sym.RNN(data=mx.sym.Variable("data"), name=name, **params)


def test_golden_fixtures_present():
    assert len(GOLDEN_CASES) >= 8, "run tests/golden/make_rnn_golden.py with the MXNet venv"


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_golden(case):
    """Outputs and all four input gradients equal MXNet's (its CPU kernels for float64, its
    MKLDNN kernels for float32); the loaded JSON and a rebuilt symbol print MXNet's text."""
    z, meta, text = _load(case)
    params = dict(meta["params"])
    clip = params.get("lstm_state_clip_min")
    if clip is not None:
        # MXNet 1.9.1's MKLDNN CPU kernel ignores clipping (its plain CPU kernel refuses it, cuDNN
        # clips): the fixture is the unclipped LSTM; mxlite clips as cuDNN does
        assert np.abs(z["out:2"]).max() > params["lstm_state_clip_max"]
        for key in ("lstm_state_clip_min", "lstm_state_clip_max"):
            params.pop(key)
    assert _rnn(**meta["params"]).tojson() == text
    sym = mx.sym.load_json(text) if clip is None else _rnn(**params)
    assert sym.list_arguments() == meta["arguments"]
    assert sym.list_outputs() == meta["outputs"]
    dtype = meta["dtype"]
    args = {n: mx.nd.array(z["in:" + n], dtype=dtype) for n in meta["arguments"]}
    grads = {n: mx.nd.zeros(a.shape, dtype=dtype) for n, a in args.items()}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads)
    outs = ex.forward(is_train=meta["is_train"])
    rtol, atol = TOL[dtype]
    if meta["params"]["mode"] == "rnn_relu":
        # rnn_impl.h's relu() returns static_cast<float>(x): MXNet rounds float64 relu states to
        # float32; mxlite (like cuDNN) keeps full precision
        rtol, atol = TOL["float32"]
    assert len(outs) == len(meta["outputs"])
    for i, out in enumerate(outs):
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out.asnumpy(), z[f"out:{i}"], rtol=rtol, atol=atol,
                                   err_msg=f"{case} output {i}")
    if not meta["is_train"]:
        return
    ex.backward([mx.nd.array(z[f"head:{i}"], dtype=dtype) for i in range(len(outs))])
    for name in meta["arguments"]:
        np.testing.assert_allclose(grads[name].asnumpy(), z["grad:" + name], rtol=rtol,
                                   atol=atol * 10, err_msg=f"{case} gradient of {name}")


@pytest.mark.parametrize("mode", ["rnn_relu", "rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidir", [(1, False), (2, False), (1, True), (3, True)])
def test_shape_inference_and_packing(mode, layers, bidir):
    """The parameter vector's size comes from data and params alone; the op's layout views tile
    it exactly, in the reference's order (all weights, then all biases)."""
    sym = _rnn(state_size=3, num_layers=layers, mode=mode, bidirectional=bidir)
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(data=(5, 2, 4))
    rows = layers * (2 if bidir else 1)
    size = R.param_size(mode, 4, 3, layers, bidir)
    expected = [(5, 2, 4), (size,), (rows, 2, 3)] + ([(rows, 2, 3)] if mode == "lstm" else [])
    assert arg_shapes == expected
    assert out_shapes == [(5, 2, 3 * (2 if bidir else 1))] and aux_shapes == []
    flat = np.arange(size, dtype=np.float64)
    p = mx.ops.registry.get("RNN").parse({"state_size": 3, "num_layers": layers, "mode": mode,
                                          "bidirectional": bidir})
    ours = unpack(p, flat, 4)
    ref = R.split_params(flat, mode, 4, 3, layers, bidir)
    for row, block in enumerate(ours):
        for a, b in zip(block, ref[divmod(row, 2 if bidir else 1)], strict=True):
            np.testing.assert_array_equal(a, b)
            assert np.shares_memory(a, flat)


def test_simple_bind_and_train_step():
    """simple_bind allocates parameters and states from the data shape alone, and a gradient
    step on the packed vector lowers a squared loss."""
    data = mx.sym.Variable("data")
    rnn = mx.sym.RNN(data=data, state_size=4, num_layers=2, mode="lstm", name="lstm")
    loss = mx.sym.MakeLoss(mx.sym.sum(mx.sym.square(rnn)))
    ex = loss.simple_bind(mx.cpu(), data=(3, 2, 5), grad_req={"data": "null",
                                                             "lstm_parameters": "write",
                                                             "lstm_state": "null",
                                                             "lstm_state_cell": "null"})
    assert ex.arg_dict["lstm_parameters"].shape == (R.param_size("lstm", 5, 4, 2, False),)
    rng = np.random.default_rng(0)
    for arr in ex.arg_dict.values():
        arr[:] = rng.uniform(-0.5, 0.5, arr.shape)
    losses = []
    for _ in range(3):
        losses.append(float(ex.forward(is_train=True)[0].asnumpy().sum()))
        ex.backward()
        w = ex.arg_dict["lstm_parameters"]
        w[:] = w.asnumpy() - 0.05 * ex.grad_dict["lstm_parameters"].asnumpy()
    assert losses[2] < losses[1] < losses[0]


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_state_outputs_are_final_steps(mode):
    """hy holds each direction's last state: the forward direction's at t = T-1, the reverse
    direction's at t = 0 (top layer rows of hy match the output)."""
    rng = np.random.default_rng(1)
    sym = _rnn(state_size=3, num_layers=2, mode=mode, bidirectional=True, state_outputs=True)
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=(4, 2, 3))[0]))
    args = {n: mx.nd.array(rng.uniform(-1, 1, s)) for n, s in shapes.items()}
    out, hy = [o.asnumpy() for o in sym.bind(mx.cpu(), args=args).forward()[:2]]
    np.testing.assert_allclose(hy[2], out[-1, :, :3], rtol=1e-6)
    np.testing.assert_allclose(hy[3], out[0, :, 3:], rtol=1e-6)
    assert sym.list_outputs()[:2] == ["rnn_output", "rnn_state_output"]


def test_imperative_rnn_without_rnn_module():
    """mx.nd.RNN and mx.sym.RNN with explicit parameter/state inputs, no mx.rnn cells."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (3, 2, 3))
    w = rng.uniform(-1, 1, R.param_size("lstm", 3, 2, 1, False))
    h0, c0 = rng.uniform(-1, 1, (2, 1, 2, 2))
    outs = mx.nd.RNN(mx.nd.array(x), mx.nd.array(w), mx.nd.array(h0), mx.nd.array(c0),
                     state_size=2, num_layers=1, mode="lstm", state_outputs=True)
    expected = R.rnn(x, w, h0, c0, state_size=2, num_layers=1, mode="lstm", state_outputs=True)
    assert len(outs) == 3
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    sym = mx.sym.RNN(data=mx.sym.Variable("x"), parameters=mx.sym.Variable("w"),
                     state=mx.sym.Variable("h0"), state_cell=mx.sym.Variable("c0"),
                     state_size=2, num_layers=1, mode="lstm")
    assert sym.list_arguments() == ["x", "w", "h0", "c0"]


def _dropout_exec(grad=False):
    rng = np.random.default_rng(3)
    sym = _rnn(state_size=3, num_layers=2, mode="gru", p=0.5)
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=(3, 2, 3))[0]))
    args = {n: mx.nd.array(rng.uniform(-1, 1, s), dtype="float64") for n, s in shapes.items()}
    grads = {n: mx.nd.zeros(s, dtype="float64") for n, s in shapes.items()} if grad else None
    return sym.bind(mx.cpu(), args=args, args_grad=grads), args


def test_dropout_between_layers():
    """p drops layer outputs in training only, reproducibly under mx.random.seed, and backward
    uses the forward's mask (checked against finite differences with the mask held fixed)."""
    ex, args = _dropout_exec(grad=True)
    inference = ex.forward(is_train=False)[0].asnumpy()
    np.testing.assert_allclose(ex.forward(is_train=False)[0].asnumpy(), inference)
    mx.random.seed(7)
    train = ex.forward(is_train=True)[0].asnumpy()
    assert not np.allclose(train, inference)
    head = np.random.default_rng(4).uniform(0.5, 1.5, train.shape)
    ex.backward([mx.nd.array(head, dtype="float64")])
    analytic = ex.grad_dict["data"].asnumpy()

    def loss(x):
        args["data"][:] = x
        mx.random.seed(7)
        return float((ex.forward(is_train=True)[0].asnumpy() * head).sum())

    x0 = args["data"].asnumpy()
    numeric = np.zeros_like(x0)
    eps = 1e-6
    for i in np.ndindex(x0.shape):
        xp_, xm = x0.copy(), x0.copy()
        xp_[i] += eps
        xm[i] -= eps
        numeric[i] = (loss(xp_) - loss(xm)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
    mx.random.seed(7)
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(), train)


def test_lstm_state_clipping():
    """Clipped cell states stay in [min, max]; lstm_state_clip_nan turns a NaN state into min."""
    rng = np.random.default_rng(5)
    params = dict(state_size=2, num_layers=1, mode="lstm", state_outputs=True,
                  lstm_state_clip_min=-0.1, lstm_state_clip_max=0.15)
    x = rng.uniform(-2, 2, (3, 2, 3))
    w = rng.uniform(-2, 2, R.param_size("lstm", 3, 2, 1, False))
    h0 = rng.uniform(-1, 1, (1, 2, 2))
    c0 = np.full((1, 2, 2), np.nan)
    nd = [mx.nd.array(a, dtype="float64") for a in (x, w, h0)]
    _, _, cy = mx.nd.RNN(*nd, mx.nd.array(rng.uniform(-1, 1, (1, 2, 2)), dtype="float64"),
                         **params)
    assert -0.1 <= cy.asnumpy().min() and cy.asnumpy().max() <= 0.15
    out, _, cy = mx.nd.RNN(*nd, mx.nd.array(c0, dtype="float64"), **params)
    assert np.isnan(cy.asnumpy()).all()
    out, _, cy = mx.nd.RNN(*nd, mx.nd.array(c0, dtype="float64"), lstm_state_clip_nan=True,
                           **params)
    assert np.isfinite(out.asnumpy()).all() and np.isfinite(cy.asnumpy()).all()


def test_partial_grad_req():
    """Gradients of parameters and states are right when the data gradient is not wanted."""
    rng = np.random.default_rng(6)
    sym = _rnn(state_size=2, num_layers=2, mode="rnn_tanh", bidirectional=True)
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=(3, 2, 3))[0]))
    values = {n: rng.uniform(-1, 1, s) for n, s in shapes.items()}

    def grads(req):
        args = {n: mx.nd.array(v, dtype="float64") for n, v in values.items()}
        g = {n: mx.nd.zeros(v.shape, dtype="float64") for n, v in values.items()}
        ex = sym.bind(mx.cpu(), args=args, args_grad=g, grad_req=req)
        ex.forward(is_train=True)
        ex.backward([mx.nd.ones((3, 2, 4), dtype="float64")])
        return {n: a.asnumpy() for n, a in g.items()}

    full = grads("write")
    part = grads({n: ("null" if n == "data" else "write") for n in shapes})
    assert not part["data"].any()
    for name in ("rnn_parameters", "rnn_state"):
        np.testing.assert_allclose(part[name], full[name], rtol=1e-12)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_sequence_length(mode):
    """use_sequence_length (cuDNN's semantics): outputs past each length are 0, the states are
    those of the last valid step (the reverse direction starts there), lengths keep their int
    type, and out-of-range lengths are refused."""
    rng = np.random.default_rng(7)
    sym = _rnn(state_size=3, num_layers=1, mode=mode, bidirectional=True, state_outputs=True,
               use_sequence_length=True)
    assert sym.list_arguments()[-1] == "rnn_sequence_length"
    arg_shapes, _, _ = sym.infer_shape(data=(5, 3, 2))
    assert arg_shapes[-1] == (3,)
    arg_types, out_types, _ = sym.infer_type(data="float32", rnn_sequence_length="int32")
    assert arg_types[-1] == np.int32 and out_types[0] == np.float32
    shapes = dict(zip(sym.list_arguments(), arg_shapes))
    values = {n: rng.uniform(-1, 1, s) for n, s in shapes.items()}
    values["rnn_sequence_length"] = np.array([5, 2, 1])
    args = {n: mx.nd.array(v, dtype="int32" if n.endswith("length") else "float64")
            for n, v in values.items()}
    outs = [o.asnumpy() for o in sym.bind(mx.cpu(), args=args).forward()]
    assert not outs[0][2:, 1].any() and not outs[0][1:, 2].any()
    np.testing.assert_allclose(outs[1][0, 1], outs[0][1, 1, :3], rtol=1e-12)
    np.testing.assert_allclose(outs[1][1, 1], outs[0][0, 1, 3:], rtol=1e-12)
    short = _rnn(state_size=3, num_layers=1, mode=mode, bidirectional=True, state_outputs=True)
    cell = {"rnn_state_cell": args["rnn_state_cell"][:, 1:2]} if mode == "lstm" else {}
    alone = short.bind(mx.cpu(), args={"data": args["data"][0:2, 1:2],
                                        "rnn_parameters": args["rnn_parameters"],
                                        "rnn_state": args["rnn_state"][:, 1:2], **cell}).forward()
    np.testing.assert_allclose(outs[0][:2, 1:2], alone[0].asnumpy(), rtol=1e-12)
    np.testing.assert_allclose(outs[1][:, 1:2], alone[1].asnumpy(), rtol=1e-12)
    args["rnn_sequence_length"][:] = np.array([6, 2, 1])
    with pytest.raises(MXNetError, match=r"sequence_length values must be in \[1, 5\]"):
        sym.bind(mx.cpu(), args=args).forward()


def test_errors_name_the_problem():
    with pytest.raises(MXNetError, match="Required parameter mode"):
        _rnn(state_size=2, num_layers=1)
    with pytest.raises(MXNetError, match="projection_size is not supported"):
        _rnn(state_size=2, num_layers=1, mode="lstm", projection_size=1).infer_shape(
            data=(3, 2, 3))
    with pytest.raises(MXNetError, match="rnn.*rank-3"):
        _rnn(state_size=2, num_layers=1, mode="gru").infer_shape(data=(3, 2))
    with pytest.raises(MXNetError, match="data type int32 is not supported"):
        _rnn(state_size=2, num_layers=1, mode="gru").infer_type(data="int32")
