"""Hardening: what enters the executor (arguments, gradient buffers, grad_req, out_grads, kwargs,
simple_bind shapes and context), the allocation guard, op parameters MXNet accepts silently
wrong, and symbol JSON from strangers."""
import json
import time

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def _fc():
    return mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")


def _args():
    return {"data": mx.nd.ones((1, 3)) * 0.6, "fc_weight": mx.nd.ones((2, 3)),
            "fc_bias": mx.nd.ones((2,))}


# ----- gradient buffers, grad_req, out_grads --------------------------------------------------
def test_grad_buffer_of_another_dtype_is_refused():
    grads = {"fc_weight": mx.nd.zeros((2, 3), dtype="int32")}
    with pytest.raises(MXNetError, match=r"gradient buffer of fc_weight has dtype int32, "
                                         r"expected float32"):
        _fc().bind(mx.cpu(), _args(), args_grad=grads)


@pytest.mark.parametrize("shape", [(1, 3), (2, 1), (6,)])
def test_grad_buffer_of_another_shape_is_refused(shape):
    with pytest.raises(MXNetError, match=r"gradient buffer of fc_weight has shape"):
        _fc().bind(mx.cpu(), _args(), args_grad={"fc_weight": mx.nd.zeros(shape)})


def test_grad_buffer_unused_with_null_req_is_not_checked():
    ex = _fc().bind(mx.cpu(), _args(), args_grad={"fc_weight": mx.nd.zeros((1, 3))},
                    grad_req="null")
    assert ex.forward()[0].shape == (1, 2)


@pytest.mark.parametrize("binder", ["bind", "simple_bind"])
def test_grad_req_dict_with_unknown_key_is_refused(binder):
    with pytest.raises(MXNetError, match="grad_req has key 'fc_weigth'.*did you mean "
                                         "'fc_weight'"):
        if binder == "bind":
            _fc().bind(mx.cpu(), _args(), args_grad={"fc_weight": mx.nd.zeros((2, 3))},
                       grad_req={"fc_weigth": "write"})
        else:
            _fc().simple_bind(mx.cpu(), data=(1, 3), grad_req={"fc_weigth": "write"})


@pytest.mark.parametrize("reqs", [["write"], ["write"] * 5])
def test_grad_req_list_of_wrong_length(reqs):
    with pytest.raises(RuntimeError, match="expected 3, provided"):  # MXNet's simple_bind error
        _fc().simple_bind(mx.cpu(), data=(1, 3), grad_req=reqs)
    with pytest.raises(MXNetError, match="expected 3, provided"):
        _fc().bind(mx.cpu(), _args(), args_grad={"fc_weight": mx.nd.zeros((2, 3))},
                   grad_req=reqs)


def test_extra_out_grads_are_refused():
    ex = _fc().simple_bind(mx.cpu(), data=(1, 3))
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="2 out_grads given, but the executor has 1 output"):
        ex.backward([mx.nd.ones((1, 2)), mx.nd.ones((1, 2))])
    with pytest.raises(MXNetError, match="'fc_out' which is not an output|not an output"):
        ex.backward({"fc_output": mx.nd.ones((1, 2)), "fc_out": mx.nd.ones((1, 2))})


def test_forward_kwarg_misspelled_suggests():
    ex = _fc().simple_bind(mx.cpu(), data=(1, 3))
    with pytest.raises(TypeError, match="did you mean 'data'"):
        ex.forward(dta=mx.nd.ones((1, 3)))


def test_zero_size_argument_is_refused_by_name():
    args = _args()
    args["data"] = mx.nd.NDArray(np.zeros((0, 3), np.float32))
    with pytest.raises(MXNetError, match="argument data has shape \\(0, 3\\)"):
        _fc().bind(mx.cpu(), args)


# ----- simple_bind ------------------------------------------------------------------------------
def test_simple_bind_float_dimension_is_a_type_error():
    with pytest.raises(TypeError, match=r"shape of data must be a tuple of ints, got \(2.5, 4\)"):
        _fc().simple_bind(mx.cpu(), data=(2.5, 4))


def test_simple_bind_negative_dimension():
    with pytest.raises(OverflowError, match="shape of data has a negative dimension"):
        _fc().simple_bind(mx.cpu(), data=(-2, 3))


def test_simple_bind_context_string():
    with pytest.raises(AttributeError, match="ctx must be a Context"):
        _fc().simple_bind("cpu", data=(2, 3))


def test_simple_bind_names_the_op_that_leaves_a_shape_unknown():
    sym = mx.sym.Reshape(mx.sym.var("data"), shape=(0, -1), name="r")
    sym = mx.sym.FullyConnected(sym, num_hidden=2, name="fc")
    with pytest.raises(RuntimeError, match="unknown: data"):
        sym.simple_bind(mx.cpu())


def test_num_hidden_zero_is_refused_at_creation():
    with pytest.raises(MXNetError, match="num_hidden should be greater equal to 1"):
        mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=0)


def test_allocation_guard_refuses_a_bind_larger_than_memory():
    from mxlite import memory
    avail = memory.available_bytes(mx.cpu())
    if avail is None:
        pytest.skip("the OS does not report available memory")
    hidden = int(avail // (3500 * 4)) + 1
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=hidden, name="fc")
    with pytest.raises(MXNetError, match=r"not enough memory on cpu\(0\): fc_weight of shape "
                                         r"\(\d+, 3500\) and dtype float32 needs \d+ bytes"):
        sym.simple_bind(mx.cpu(), data=(1, 3500))


def test_allocation_guard_on_nd_creation():
    from mxlite import memory
    avail = memory.available_bytes(mx.cpu())
    if avail is None:
        pytest.skip("the OS does not report available memory")
    with pytest.raises(MXNetError, match="not enough memory"):
        mx.nd.zeros((int(avail // 4) + 1024,))


# ----- op parameters MXNet accepts silently wrong ------------------------------------------------
def test_batchnorm_negative_eps():
    x = mx.nd.ones((2, 3))
    with pytest.raises(MXNetError, match="eps should be greater equal to 0"):
        mx.nd.BatchNorm(x, mx.nd.ones(3), mx.nd.zeros(3), mx.nd.zeros(3), mx.nd.ones(3), eps=-1)


def test_clip_min_above_max():
    with pytest.raises(MXNetError, match="a_min=3.0 is greater than a_max=1.0"):
        mx.nd.clip(mx.nd.array([1, 2, 3]), a_min=3, a_max=1)


@pytest.mark.parametrize("axis", [(1, 1), (1, -1)])
def test_reduction_duplicate_axes(axis):
    with pytest.raises(MXNetError, match="Reduction axes have duplicates"):
        mx.nd.sum(mx.nd.ones((2, 3)), axis=axis)


@pytest.mark.parametrize("pool_type", ["max", "avg", "sum"])
def test_pooling_pad_not_smaller_than_kernel(pool_type):
    with pytest.raises(MXNetError, match=r"pad \(2\) must be smaller than the kernel \(2\)"):
        mx.nd.Pooling(mx.nd.ones((1, 1, 2, 2)), kernel=(2, 2), pad=(2, 2), pool_type=pool_type)


# ----- symbol JSON from strangers -----------------------------------------------------------------
_VAR = {"op": "null", "name": "x", "inputs": []}


def _doc(node):
    return json.dumps({"nodes": [_VAR, node], "arg_nodes": [0], "heads": [[1, 0, 0]]})


@pytest.mark.parametrize("text, match", [
    (_doc({"op": "Concat", "name": "c", "attrs": {"num_args": str(10**9)},
           "inputs": [[0, 0, 0]]}), "num_args=1000000000 is more than"),
    (_doc({"op": "add_n", "name": "c", "attrs": {"num_args": str(10**9)},
           "inputs": [[0, 0, 0]]}), "num_args=1000000000 is more than"),
    (_doc({"op": "SliceChannel", "name": "c", "attrs": {"num_outputs": str(10**9)},
           "inputs": [[0, 0, 0]]}), "num_outputs=1000000000 is more than"),
    (_doc({"op": "Reshape", "name": "c", "attrs": {"shape": "-" * 100000 + "1"},
           "inputs": [[0, 0, 0]]}), "characters long"),
    (_doc({"op": "Reshape", "name": "c", "attrs": {"shape": "1+" * 100000 + "1"},
           "inputs": [[0, 0, 0]]}), "characters long"),
    (_doc({"op": "Reshape", "name": "c", "attrs": {"shape": "(1," * 10**6},
           "inputs": [[0, 0, 0]]}), "characters long"),
    (_doc({"op": "Reshape", "name": "c", "attrs": {"shape": "(" * 20 + ")" * 20},
           "inputs": [[0, 0, 0]]}), "nests deeper"),
    ("[" * 100000 + "]" * 100000, "nested deeper"),
    ('{"nodes": ' + "[" * 100000 + "]" * 100000 + "}", "nested deeper"),
    (json.dumps({"nodes": [_VAR], "heads": 5}), "'heads' must be a list, got int"),
    (json.dumps({"nodes": [{**_VAR, "inputs": 5}], "heads": [[0, 0]]}),
     "'inputs' must be a list, got int"),
    (json.dumps({"nodes": [_VAR], "heads": [[1e300, 0]]}), "must be an integer"),
    ("{nodes", "not JSON"),
    (_doc({"op": "FullyConected", "name": "c", "attrs": {"num_hidden": "3"},
           "inputs": [[0, 0, 0]]}), "did you mean 'FullyConnected'"),
    (_doc({"op": "Reshape", "name": "c", "attrs": {"shape": {"a": 1}}, "inputs": [[0, 0, 0]]}),
     "must be a string, got dict"),
    (_doc({"op": "Concat", "name": "c", "attrs": {"num_args": "3"}, "inputs": [[0, 0, 0]]}),
     "has 1 inputs, expected num_args=3"),
])
def test_hostile_symbol_json_is_an_mxnet_error(text, match):
    start = time.perf_counter()
    with pytest.raises(MXNetError, match=match):
        mx.sym.load_json(text)
    assert time.perf_counter() - start < 1.0


def test_symbol_file_not_utf8(tmp_path):
    path = tmp_path / "bad-symbol.json"
    path.write_bytes(b'{"nodes": [\xff\xfe]}')
    with pytest.raises(MXNetError, match="not UTF-8"):
        mx.sym.load(str(path))


def test_json_limits_are_configurable(monkeypatch):
    from mxlite.symbol import json_io
    text = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2).tojson()
    monkeypatch.setattr(json_io, "MAX_NODES", 2)
    with pytest.raises(MXNetError, match="MAX_NODES"):
        mx.sym.load_json(text)
    monkeypatch.setattr(json_io, "MAX_NODES", 10)
    assert mx.sym.load_json(text).tojson() == text


def test_misspelled_op_names_suggest():
    with pytest.raises(AttributeError, match="did you mean 'FullyConnected'"):
        mx.sym.FullyConected  # noqa: B018
    with pytest.raises(AttributeError, match="did you mean 'FullyConnected'"):
        mx.nd.FullyConected  # noqa: B018


def test_one_hot_depth_zero_binds_as_in_mxnet():
    ex = mx.sym.one_hot(mx.sym.var("data"), depth=0).simple_bind(mx.cpu(), data=(2, 3))
    assert ex.forward()[0].shape == (2, 3, 0)


def test_arange_step_zero():
    with pytest.raises(MXNetError, match="step=0"):
        mx.nd.arange(0, 3, 0)


def test_allocation_guard_message_names_array_shape_bytes_available(monkeypatch):
    from mxlite import memory
    monkeypatch.setattr(memory, "available_bytes", lambda ctx: 10 << 20)
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=1000, name="fc")
    with pytest.raises(MXNetError, match=r"simple_bind: not enough memory on cpu\(0\): "
                                         r"fc_weight of shape \(1000, 3500\) and dtype float32 "
                                         r"needs 14000000 bytes \(\d+ bytes in all for \d+ "
                                         r"arrays\), but only 10485760 bytes are available"):
        sym.simple_bind(mx.cpu(), data=(1, 3500))
    monkeypatch.setattr(memory, "GUARD", False)
    assert sym.simple_bind(mx.cpu(), data=(1, 3500)).arg_dict["fc_weight"].shape == (1000, 3500)


@pytest.mark.gpu
def test_allocation_guard_on_gpu_uses_device_memory():
    from mxlite import memory
    avail = memory.available_bytes(mx.gpu(0))
    hidden = int(avail // (3500 * 4)) + 1
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=hidden, name="fc")
    with pytest.raises(MXNetError, match=r"not enough memory on gpu\(0\): fc_weight"):
        sym.simple_bind(mx.gpu(0), data=(1, 3500))


def test_nan_eps_is_refused():
    x = mx.nd.ones((2, 3))
    with pytest.raises(MXNetError, match="eps"):
        mx.nd.BatchNorm(x, mx.nd.ones(3), mx.nd.zeros(3), mx.nd.zeros(3), mx.nd.ones(3),
                        eps=float("nan"))


def test_copy_params_from_names_the_parameter():
    ex = _fc().simple_bind(mx.cpu(), data=(1, 3))
    with pytest.raises(MXNetError, match=r"argument fc_weight has shape \(2, 3\), given "
                                         r"\(3, 3\)"):
        ex.copy_params_from({"fc_weight": mx.nd.ones((3, 3))})
    with pytest.raises(ValueError, match="did you mean 'fc_weight'"):
        ex.copy_params_from({"fc_weigth": mx.nd.ones((2, 3))})
