"""mx.rnn against the real MXNet 1.9.1 (tests/golden/sequences, made by
tests/golden/sequences/make_sequences_golden.py): unrolled cells of every kind (names, outputs,
states, gradients), fused cells and their unfused twins, BucketSentenceIter batches, a
BucketingModule trajectory over several buckets, rnn checkpoints."""
import importlib.util
import json
import os
import random

import numpy as np
import pytest

import mxlite as mx

HERE = os.path.join(os.path.dirname(__file__), "golden", "sequences")
_spec = importlib.util.spec_from_file_location(
    "make_sequences_golden", os.path.join(HERE, "make_sequences_golden.py"))
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)

CELLS = np.load(os.path.join(HERE, "cells.npz"))
with open(os.path.join(HERE, "cells.json")) as _f:
    CELL_META = json.load(_f)


def _bind_case(name):
    factory, layout, merge, is_train = G.cell_cases(mx)[name]
    cell, net = G.unrolled(mx, factory, layout, merge)
    ex = net.simple_bind(mx.cpu(), grad_req="write", data=G.data_shape(layout))
    for arg in net.list_arguments():
        ex.arg_dict[arg][:] = CELLS[f"{name}:in:{arg}"]
    return cell, net, ex, is_train


@pytest.mark.parametrize("name", sorted(CELL_META))
def test_cell_names(name):
    factory, layout, merge, _ = G.cell_cases(mx)[name]
    cell, net = G.unrolled(mx, factory, layout, merge)
    meta = CELL_META[name]
    assert net.list_arguments() == meta["arguments"]
    assert net.list_outputs() == meta["outputs"]
    assert sorted(cell.params._params) == meta["params"]
    assert [dict(s) for s in cell.state_info] == [
        {k: tuple(v) if isinstance(v, list) else v for k, v in s.items()}
        for s in meta["state_info"]]


@pytest.mark.parametrize("name", sorted(CELL_META))
def test_cell_forward_backward(name):
    cell, net, ex, is_train = _bind_case(name)
    outs = ex.forward(is_train=is_train)
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), CELLS[f"{name}:out:{i}"], rtol=1e-4, atol=1e-5)
    if is_train:
        ex.backward([mx.nd.ones(o.shape) for o in outs])
        for arg in net.list_arguments():
            np.testing.assert_allclose(ex.grad_dict[arg].asnumpy(), CELLS[f"{name}:grad:{arg}"],
                                       rtol=1e-4, atol=1e-5, err_msg=arg)


@pytest.mark.parametrize("name", [n for n in sorted(CELL_META) if n.startswith("fused")])
def test_fused_unpack_and_unfused_twin(name):
    cell, net, ex, is_train = _bind_case(name)
    meta = CELL_META[name]
    pname = [a for a in net.list_arguments() if a.endswith("parameters")][0]
    unpacked = cell.unpack_weights({pname: ex.arg_dict[pname]})
    assert sorted(unpacked) == meta["unpacked"]
    for k, v in unpacked.items():
        np.testing.assert_array_equal(v.asnumpy(), CELLS[f"{name}:unpacked:{k}"])
    packed = cell.pack_weights(unpacked)
    np.testing.assert_array_equal(packed[pname].asnumpy(), ex.arg_dict[pname].asnumpy())
    # the unfused twin computes the same outputs from the unpacked weights
    twin = cell.unfuse()
    assert sorted(twin.params._params) == meta["unfused_params"]
    factory, layout, merge, _ = G.cell_cases(mx)[name]
    outputs, _ = twin.unroll(G.SEQ, mx.sym.Variable("data"), layout=layout, merge_outputs=True)
    tex = outputs.simple_bind(mx.cpu(), data=G.data_shape(layout))
    tex.arg_dict["data"][:] = CELLS[f"{name}:in:data"]
    for k, v in twin.pack_weights(unpacked).items():
        if k in tex.arg_dict:
            tex.arg_dict[k][:] = v
    # gate-wise names: the twin's cells pack their gates back into i2h/h2h matrices
    got = tex.forward()[0].asnumpy()
    np.testing.assert_allclose(got, CELLS[f"{name}:out:0"], rtol=1e-4, atol=1e-5)


def test_fused_initializer_sets_forget_bias():
    cell = mx.rnn.FusedRNNCell(4, num_layers=1, mode="lstm", forget_bias=3.0, prefix="f_")
    out, _ = cell.unroll(2, mx.sym.Variable("data"), layout="TNC")
    mod = mx.mod.Module(out, data_names=["data"], label_names=None)
    mod.bind(data_shapes=[("data", (2, 3, 5))])
    mod.init_params(mx.init.Xavier())
    args = cell.unpack_weights(mod.get_params()[0])
    assert np.all(args["f_l0_i2h_f_bias"].asnumpy() == 3.0)
    assert np.all(args["f_l0_i2h_i_bias"].asnumpy() == 0.0)
    assert np.abs(args["f_l0_i2h_i_weight"].asnumpy()).sum() > 0


def test_lstm_forget_bias_initializer():
    cell = mx.rnn.LSTMCell(3, prefix="l_", forget_bias=2.5)
    out, _ = cell.unroll(2, mx.sym.Variable("data"), merge_outputs=True)
    mod = mx.mod.Module(out, data_names=["data"], label_names=None)
    mod.bind(data_shapes=[("data", (2, 2, 4))])
    mod.init_params(mx.init.Xavier())
    bias = mod.get_params()[0]["l_i2h_bias"].asnumpy()
    np.testing.assert_array_equal(bias, [0, 0, 0, 2.5, 2.5, 2.5, 0, 0, 0, 0, 0, 0])


def test_modified_base_cell_refuses_begin_state():
    base = mx.rnn.LSTMCell(3)
    mx.rnn.ZoneoutCell(base, 0.1)
    with pytest.raises(RuntimeError, match="modifier"):
        base.begin_state()


def test_rnn_params_sharing():
    params = mx.rnn.RNNParams("shared_")
    a = mx.rnn.LSTMCell(3, prefix="a_", params=params)
    b = mx.rnn.LSTMCell(3, prefix="b_", params=params)
    out_a, _ = a.unroll(2, mx.sym.Variable("x"))
    out_b, _ = b.unroll(2, mx.sym.Variable("y"))
    both = mx.sym.Group(out_a + out_b)
    assert sorted(n for n in both.list_arguments() if "shared_" in n) == [
        "shared_h2h_bias", "shared_h2h_weight", "shared_i2h_bias", "shared_i2h_weight"]


# ----- io ---------------------------------------------------------------------------------------
with open(os.path.join(HERE, "bucket_iter.json")) as _f:
    ITER = json.load(_f)


def test_encode_sentences():
    coded, vocab = mx.rnn.encode_sentences(G.bucket_sentences(), invalid_label=0, start_label=1)
    assert coded == ITER["coded"]
    assert vocab == ITER["vocab"]
    with pytest.raises(ValueError, match="Unknown token zz"):
        mx.rnn.encode_sentences([["zz"]], vocab={"a": 1})
    coded, vocab = mx.rnn.encode_sentences([["zz"]], vocab={"a": 1}, unknown_token="<unk>")
    assert vocab["<unk>"] == 0 and coded == [[0]]


@pytest.mark.parametrize("layout", ["NT", "TN"])
def test_bucket_sentence_iter(layout, capsys):
    run = ITER["runs"][layout]
    random.seed(5)
    np.random.seed(5)
    it = mx.rnn.BucketSentenceIter(ITER["coded"], 4, buckets=[4, 8, 12], invalid_label=0,
                                   layout=layout)
    assert "discarded 0 sentences" in capsys.readouterr().out
    assert it.default_bucket_key == run["default_bucket_key"]
    assert [[d.name, list(d.shape)] for d in it.provide_data] == run["provide_data"]
    got = []
    for _ in range(2):
        it.reset()
        for b in it:
            got.append({"key": b.bucket_key, "data": b.data[0].asnumpy().tolist(),
                        "label": b.label[0].asnumpy().tolist(),
                        "provide_data": [list(d) for d in b.provide_data]})
    assert len(got) == len(run["batches"])
    for g, e in zip(got, run["batches"]):
        assert g["key"] == e["key"]
        assert g["data"] == e["data"]
        assert g["label"] == e["label"]
        name, shape = g["provide_data"][0][:2]
        assert [name, list(shape)] == e["provide_data"][0][:2]


# ----- bucketing module -------------------------------------------------------------------------
def test_bucketing_module_trajectory():
    expected = np.load(os.path.join(HERE, "bucketing.npz"))
    init, outs, final = G.run_bucketing(mx)
    for k, v in init.items():
        np.testing.assert_array_equal(v, expected[f"init:{k}"])
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o, expected[f"out:{i}"], rtol=1e-4, atol=1e-5,
                                   err_msg=f"step {i}")
    for k, v in final.items():
        np.testing.assert_allclose(v, expected[f"final:{k}"], rtol=1e-4, atol=1e-5, err_msg=k)


def test_bucketing_bad_key_names_bucket():
    sym_gen = G.lstm_lm(mx)

    def gen(key):
        if key == 7:
            raise ValueError("no such length")
        return sym_gen(key)
    mod = mx.mod.BucketingModule(gen, default_bucket_key=10)
    mod.bind(data_shapes=[("data", (4, 10))], label_shapes=[("softmax_label", (4, 10))])
    with pytest.raises(mx.MXNetError, match="cannot build bucket 7: ValueError: no such"):
        mod.switch_bucket(7, [("data", (4, 7))], [("softmax_label", (4, 7))])


# ----- checkpoints ------------------------------------------------------------------------------
def test_rnn_checkpoint_roundtrip(tmp_path):
    cell = mx.rnn.FusedRNNCell(4, num_layers=2, mode="gru", prefix="g_")
    out, _ = cell.unroll(3, mx.sym.Variable("data"), layout="TNC", merge_outputs=True)
    mod = mx.mod.Module(out, data_names=["data"], label_names=None)
    mod.bind(data_shapes=[("data", (3, 2, 5))])
    mod.init_params(mx.init.Uniform(0.1))
    arg, aux = mod.get_params()
    prefix = str(tmp_path / "gru")
    mx.rnn.save_rnn_checkpoint(cell, prefix, 3, out, arg, aux)
    saved = mx.nd.load(prefix + "-0003.params")
    assert "arg:g_l0_i2h_r_weight" in saved and "arg:g_parameters" not in saved
    sym, arg2, _ = mx.rnn.load_rnn_checkpoint(cell, prefix, 3)
    np.testing.assert_array_equal(arg2["g_parameters"].asnumpy(), arg["g_parameters"].asnumpy())
    callback = mx.rnn.do_rnn_checkpoint(cell, prefix, period=2)
    callback(1, out, arg, aux)
    assert os.path.exists(prefix + "-0002.params")


@pytest.mark.parametrize("kind", ["ConvRNNCell", "ConvLSTMCell", "ConvGRUCell"])
def test_conv_cells(kind):
    cell = getattr(mx.rnn, kind)(input_shape=(1, 3, 16, 10), num_hidden=10, prefix="c_")
    inputs = [mx.sym.Variable(f"c_t{i}_data") for i in range(3)]
    outputs, _ = cell.unroll(3, inputs)
    outputs = mx.sym.Group(outputs)
    assert sorted(cell.params._params) == ["c_h2h_bias", "c_h2h_weight", "c_i2h_bias",
                                           "c_i2h_weight"]
    assert outputs.list_outputs() == ["c_t0_out_output", "c_t1_out_output", "c_t2_out_output"]
    _, outs, _ = outputs.infer_shape(**{f"c_t{i}_data": (2, 3, 16, 10) for i in range(3)})
    assert outs == [(2, 10, 16, 10)] * 3
    ex = outputs.simple_bind(mx.cpu(), **{f"c_t{i}_data": (2, 3, 16, 10) for i in range(3)})
    for arr in ex.arg_arrays:
        arr[:] = 0.1
    assert np.isfinite(ex.forward()[2].asnumpy()).all()


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["lstm", "gru_tnc", "bidirectional", "fused_lstm_2l_bi"])
def test_cell_forward_backward_on_gpu(name):
    factory, layout, merge, is_train = G.cell_cases(mx)[name]
    cell, net = G.unrolled(mx, factory, layout, merge)
    ex = net.simple_bind(mx.gpu(0), grad_req="write", data=G.data_shape(layout))
    for arg in net.list_arguments():
        ex.arg_dict[arg][:] = CELLS[f"{name}:in:{arg}"]
    outs = ex.forward(is_train=is_train)
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), CELLS[f"{name}:out:{i}"], rtol=1e-4, atol=1e-5)
    ex.backward([mx.nd.ones(o.shape, ctx=mx.gpu(0)) for o in outs])
    for arg in net.list_arguments():
        np.testing.assert_allclose(ex.grad_dict[arg].asnumpy(), CELLS[f"{name}:grad:{arg}"],
                                   rtol=1e-3, atol=1e-5, err_msg=arg)


def test_bucket_switch_reuses_bound_modules():
    mod = mx.mod.BucketingModule(G.lstm_lm(mx), default_bucket_key=10)
    mod.bind(data_shapes=[("data", (4, 10))], label_shapes=[("softmax_label", (4, 10))])
    mod.init_params(mx.init.Xavier())
    seen = {}
    for key in (5, 8, 10, 5, 8, 10):
        mod.switch_bucket(key, [("data", (4, key))], [("softmax_label", (4, key))])
        module = mod._curr_module
        if key in seen:
            assert module is seen[key]  # no re-binding, no re-planning once seen
        seen[key] = module
        # every bucket's executor reads the default bucket's parameter arrays
        assert module.get_params()[0].keys() == mod.get_params()[0].keys()
    w5 = seen[5]._exec_group.execs[0].arg_dict["pred_weight"]
    w10 = seen[10]._exec_group.execs[0].arg_dict["pred_weight"]
    assert np.shares_memory(w5._data, w10._data)
