"""mx.model checkpoints: MXNet-written checkpoints load and reproduce MXNet's inference outputs;
mxlite's checkpoints are byte-identical to MXNet's."""
import json
import logging
import os
import shutil

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "params")
CHECKPOINTS = json.load(open(os.path.join(GOLDEN, "index.json")))["checkpoints"]


def _needs_ops(prefix):
    ops = {"mlp": ["FullyConnected", "Activation", "Flatten", "SoftmaxOutput"],
           "bnnet": ["Convolution", "BatchNorm", "Activation", "Pooling", "Flatten",
                     "FullyConnected", "SoftmaxOutput"]}[prefix]
    missing = [op for op in ops if not hasattr(mx.sym, op)]
    if missing:
        pytest.skip(f"ops not implemented yet: {', '.join(missing)}")


def _expected(prefix):
    with np.load(os.path.join(GOLDEN, f"{prefix}-0003.expected.npz")) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("prefix", sorted(CHECKPOINTS))
def test_mxnet_checkpoint_loads(prefix):
    _needs_ops(prefix)
    info = CHECKPOINTS[prefix]
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(GOLDEN, prefix), 3)
    assert sorted(arg_params) == info["arg_names"] and sorted(aux_params) == info["aux_names"]
    expected = _expected(prefix)
    for name, arr in arg_params.items():
        np.testing.assert_array_equal(arr.asnumpy(), expected["arg:" + name])
    for name, arr in aux_params.items():
        np.testing.assert_array_equal(arr.asnumpy(), expected["aux:" + name])
    with open(os.path.join(GOLDEN, info["symbol_file"])) as f:
        assert sym.tojson() == f.read()


@pytest.mark.parametrize("prefix", sorted(CHECKPOINTS))
def test_mxnet_checkpoint_reproduces_inference(prefix):
    _needs_ops(prefix)
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(GOLDEN, prefix), 3)
    expected = _expected(prefix)
    x = expected["input:data"]
    # the way MXNet's generator ran it: bind with the loaded dicts
    args = dict(arg_params, data=mx.nd.array(x), softmax_label=mx.nd.zeros((x.shape[0],)))
    exe = sym.bind(mx.cpu(), args, aux_states=dict(aux_params))
    out = exe.forward(is_train=False)[0].asnumpy()
    np.testing.assert_allclose(out, expected["output:0"], rtol=1e-4, atol=1e-5)
    # the way the README shows it: simple_bind + copy_params_from
    exe2 = sym.simple_bind(mx.cpu(), data=x.shape, grad_req="null")
    exe2.copy_params_from(arg_params, aux_params, allow_extra_params=True)
    out2 = exe2.forward(is_train=False, data=mx.nd.array(x))[0].asnumpy()
    np.testing.assert_allclose(out2, expected["output:0"], rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
@pytest.mark.parametrize("prefix", sorted(CHECKPOINTS))
def test_mxnet_checkpoint_inference_on_gpu(prefix):
    _needs_ops(prefix)
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(GOLDEN, prefix), 3)
    expected = _expected(prefix)
    x = expected["input:data"]
    exe = sym.simple_bind(mx.gpu(0), data=x.shape, grad_req="null")
    exe.copy_params_from(arg_params, aux_params, allow_extra_params=True)
    out = exe.forward(is_train=False, data=mx.nd.array(x, ctx=mx.gpu(0)))[0].asnumpy()
    np.testing.assert_allclose(out, expected["output:0"], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("prefix", sorted(CHECKPOINTS))
def test_resave_is_byte_identical(prefix, tmp_path):
    _needs_ops(prefix)
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(GOLDEN, prefix), 3)
    out_prefix = str(tmp_path / prefix)
    mx.model.save_checkpoint(out_prefix, 3, sym, arg_params, aux_params)
    for suffix in ("-symbol.json", "-0003.params"):
        with open(out_prefix + suffix, "rb") as mine, \
                open(os.path.join(GOLDEN, prefix + suffix), "rb") as theirs:
            assert mine.read() == theirs.read(), suffix


def _small_net():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc1")
    return mx.sym.SoftmaxOutput(mx.sym.Activation(fc, act_type="relu", name="relu1"),
                                name="softmax")


def test_round_trip_and_log(tmp_path, caplog):
    net = _small_net()
    arg = {"fc1_weight": mx.nd.array(np.arange(12).reshape(3, 4)), "fc1_bias": mx.nd.ones((3,))}
    aux = {"bn_moving_mean": mx.nd.zeros((2,))}
    prefix = str(tmp_path / "net")
    with caplog.at_level(logging.INFO):
        mx.model.save_checkpoint(prefix, 12, net, arg, aux)
    assert f'Saved checkpoint to "{prefix}-0012.params"' in caplog.text
    assert sorted(os.listdir(tmp_path)) == ["net-0012.params", "net-symbol.json"]
    assert list(mx.nd.load(prefix + "-0012.params")) == ["arg:fc1_weight", "arg:fc1_bias",
                                                         "aux:bn_moving_mean"]
    sym, arg2, aux2 = mx.model.load_checkpoint(prefix, 12)
    assert sym.tojson() == net.tojson()
    assert list(arg2) == ["fc1_weight", "fc1_bias"] and list(aux2) == ["bn_moving_mean"]
    np.testing.assert_array_equal(arg2["fc1_weight"].asnumpy(), arg["fc1_weight"].asnumpy())


def test_epoch_formatting_and_symbol_none(tmp_path):
    prefix = str(tmp_path / "m")
    mx.model.save_checkpoint(prefix, 12345, None, {"w": mx.nd.ones((1,))}, {})
    assert os.listdir(tmp_path) == ["m-12345.params"]
    arg, aux = mx.model.load_params(prefix, 12345)
    assert list(arg) == ["w"] and aux == {}


def test_load_params_edge_cases(tmp_path, caplog):
    prefix = str(tmp_path / "p")
    mx.nd.save(prefix + "-0001.params", {})
    with caplog.at_level(logging.WARNING):
        assert mx.model.load_params(prefix, 1) == ({}, {})
    assert f"Params file '{prefix}-0001.params' is empty" in caplog.text
    mx.nd.save(prefix + "-0002.params", {"arg:a": mx.nd.ones(1), "other:b": mx.nd.ones(1)})
    arg, aux = mx.model.load_params(prefix, 2)
    assert list(arg) == ["a"] and aux == {}  # unknown prefixes are ignored, as in MXNet
    mx.nd.save(prefix + "-0003.params", [mx.nd.ones(1)])
    with pytest.raises(ValueError, match="holds a list of 1 unnamed arrays"):
        mx.model.load_params(prefix, 3)
    mx.nd.save(prefix + "-0004.params", {"noprefix": mx.nd.ones(1)})
    with pytest.raises(ValueError, match="'noprefix', which lacks the 'arg:' or 'aux:'"):
        mx.model.load_params(prefix, 4)


def test_missing_files(tmp_path):
    prefix = str(tmp_path / "none")
    with pytest.raises(MXNetError, match="none-symbol.json"):
        mx.model.load_checkpoint(prefix, 1)
    shutil.copy(os.path.join(GOLDEN, "mlp-symbol.json"), prefix + "-symbol.json")
    with pytest.raises(MXNetError, match='Open ".*none-0001.params": No such file'):
        mx.model.load_checkpoint(prefix, 1)


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    prefix = str(tmp_path / "m")
    mx.model.save_checkpoint(prefix, 1, None, {"w": mx.nd.ones((2,))}, {})
    with open(prefix + "-0001.params", "rb") as f:
        before = f.read()

    def broken_replace(src, dst):
        raise OSError(5, "Input/output error")
    import mxlite.utils
    monkeypatch.setattr(mxlite.utils.os, "replace", broken_replace)
    with pytest.raises(MXNetError, match="Input/output error"):
        mx.model.save_checkpoint(prefix, 1, None, {"w": mx.nd.zeros((2,))}, {})
    assert os.listdir(tmp_path) == ["m-0001.params"]
    with open(prefix + "-0001.params", "rb") as f:
        assert f.read() == before


@pytest.mark.gpu
def test_gpu_params_saved_as_cpu(tmp_path):
    prefix = str(tmp_path / "g")
    mx.model.save_checkpoint(prefix, 0, None, {"w": mx.nd.ones((2,), ctx=mx.gpu(0))}, {})
    arg, _ = mx.model.load_params(prefix, 0)
    assert arg["w"].context == mx.cpu(0)  # save_checkpoint copies to the CPU first, as MXNet
