"""Executor behaviour (MXNET_SEMANTICS.md §0-§2): the documented examples, argument forms, grad_req,
head gradients, persistent outputs, reshape, monitor, debug_str and every error case."""
import re

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def _seed_net():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=6, name="fc")
    act = mx.sym.Activation(fc, act_type="relu", name="relu")
    return mx.sym.SoftmaxOutput(act, name="softmax")


def _seed_args():
    return {"data": mx.nd.ones((1, 4)), "fc_weight": mx.nd.ones((6, 4)),
            "fc_bias": mx.nd.array([1, 4, 4, 4, 5, 6]), "softmax_label": mx.nd.ones((1,))}


def test_backward_doc_example_softmax():
    net = _seed_net()
    grads = {"fc_weight": mx.nd.zeros((6, 4)), "fc_bias": mx.nd.zeros((6,))}
    ex = net.bind(mx.cpu(), args=_seed_args(), args_grad=grads)
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_allclose(out, [[0.00378404, 0.07600445, 0.07600445, 0.07600445,
                                      0.20660152, 0.5616011]], rtol=1e-5)
    ex.backward()
    assert ex.grad_arrays[0] is None and ex.grad_arrays[3] is None
    assert ex.grad_arrays[1].shape == (6, 4) and ex.grad_arrays[2].shape == (6,)
    col = [0.00378404, -0.92399555, 0.07600445, 0.07600445, 0.20660152, 0.5616011]
    for j in range(4):
        np.testing.assert_allclose(ex.grad_arrays[1].asnumpy()[:, j], col, rtol=1e-5)


def test_backward_doc_example_2a_plus_b():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    c = 2 * a + b
    ex = c.bind(mx.cpu(), {"a": mx.nd.array([1, 2]), "b": mx.nd.array([2, 3])},
                args_grad={"a": mx.nd.zeros(2), "b": mx.nd.zeros(2)})
    out = ex.forward()[0]
    np.testing.assert_array_equal(out.asnumpy(), [4, 7])
    ex.backward(out)
    np.testing.assert_array_equal(ex.grad_arrays[0].asnumpy(), [8, 14])
    np.testing.assert_array_equal(ex.grad_arrays[1].asnumpy(), [4, 7])


def test_bind_without_args_grad():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    ex = (2 * a + b).bind(mx.cpu(), {"a": mx.nd.array([1, 2]), "b": mx.nd.array([2, 3])})
    assert ex.grad_arrays is None
    with pytest.raises(TypeError):
        _ = ex.grad_dict
    ex.forward()
    ex.backward()  # nothing requests a gradient: no head-gradient check


def test_simple_bind_null_gives_list_of_none():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    ex = (2 * a + b).simple_bind(mx.cpu(), grad_req="null", a=(2,), b=(2,))
    assert ex.grad_arrays == [None, None]
    assert ex.grad_dict == {"a": None, "b": None}


def test_grad_req_add_accumulates_and_null_untouched():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    c = mx.sym.broadcast_add(2 * a, b)
    ga, gb = mx.nd.ones(2), mx.nd.full((2,), 7)
    ex = c.bind(mx.cpu(), {"a": mx.nd.array([1, 2]), "b": mx.nd.array([2, 3])},
                args_grad={"a": ga, "b": gb}, grad_req={"a": "add"})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(2))
    ex.backward(mx.nd.ones(2))
    np.testing.assert_array_equal(ga.asnumpy(), [5, 5])
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(2))
    np.testing.assert_array_equal(ga.asnumpy(), [7, 7])
    np.testing.assert_array_equal(gb.asnumpy(), [7, 7])  # missing from the dict => 'null'
    assert ex.grad_arrays[0] is ga


def test_grad_req_forms_and_errors():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    c = a * b
    args = {"a": mx.nd.array([1, 2]), "b": mx.nd.array([3, 4])}
    grads = {"a": mx.nd.zeros(2), "b": mx.nd.zeros(2)}
    ex = c.bind(mx.cpu(), args, args_grad=grads, grad_req=["write", "null"])
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(2))
    np.testing.assert_array_equal(grads["a"].asnumpy(), [3, 4])
    np.testing.assert_array_equal(grads["b"].asnumpy(), [0, 0])
    with pytest.raises(ValueError, match="grad_req must be in"):
        c.bind(mx.cpu(), args, args_grad=grads, grad_req="sometimes")
    with pytest.raises(RuntimeError):
        c.simple_bind(mx.cpu(), grad_req=[], a=(2,), b=(2,))


def test_head_gradient_required_for_non_loss():
    a = mx.sym.Variable("a")
    fc = mx.sym.FullyConnected(a, num_hidden=2, name="fc")
    ex = fc.simple_bind(mx.cpu(), a=(1, 3))
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="head_gradient is required"):
        ex.backward()
    sm = mx.sym.SoftmaxOutput(fc, name="sm")
    group = mx.sym.Group([sm, fc])
    ex = group.simple_bind(mx.cpu(), a=(1, 3))
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="head_gradient is required"):
        ex.backward([mx.nd.ones((1, 2))])
    ex.backward([mx.nd.ones((1, 2)), mx.nd.ones((1, 2))])
    ex2 = mx.sym.Group([fc, sm]).simple_bind(mx.cpu(), a=(1, 3))
    ex2.forward(is_train=True)
    ex2.backward([mx.nd.ones((1, 2))])


def test_loss_ignores_head_gradient_and_label_buffer_untouched():
    net = _seed_net()
    grads = {"fc_weight": mx.nd.zeros((6, 4)), "softmax_label": mx.nd.full((1,), 7)}
    ex = net.bind(mx.cpu(), _seed_args(), args_grad=grads)
    ex.forward(is_train=True)
    ex.backward()
    plain = grads["fc_weight"].asnumpy().copy()
    ex.backward(mx.nd.full((1, 6), 100.0))
    np.testing.assert_array_equal(grads["fc_weight"].asnumpy(), plain)
    np.testing.assert_array_equal(grads["softmax_label"].asnumpy(), [7])


def test_variable_head_receives_head_gradient():
    a = mx.sym.Variable("a")
    ex = mx.sym.Group([a, 2 * a]).bind(mx.cpu(), {"a": mx.nd.array([1.0])},
                                        args_grad={"a": mx.nd.zeros(1)})
    ex.forward(is_train=True)
    ex.backward([mx.nd.array([3.0]), mx.nd.array([1.0])])
    np.testing.assert_array_equal(ex.grad_arrays[0].asnumpy(), [5])


def test_out_grads_forms():
    a = mx.sym.Variable("a")
    s = mx.sym.Group([a * 2, a * 3])
    ex = s.bind(mx.cpu(), {"a": mx.nd.array([1.0])}, args_grad={"a": mx.nd.zeros(1)})
    ex.forward(is_train=True)
    names = s.list_outputs()
    ex.backward({names[0]: mx.nd.array([1.0]), names[1]: mx.nd.array([2.0])})
    np.testing.assert_array_equal(ex.grad_arrays[0].asnumpy(), [8])
    with pytest.raises(KeyError):
        ex.backward({names[0]: mx.nd.array([1.0])})
    with pytest.raises(TypeError, match="inputs must be NDArray"):
        ex.backward([np.ones(1), np.ones(1)])


def test_outputs_are_persistent_buffers():
    a = mx.sym.Variable("a")
    r = mx.sym.Activation(a, act_type="relu", name="relu")
    ex = r.bind(mx.cpu(), {"a": mx.nd.array([1.0, -1.0])})
    od = ex.output_dict
    old = ex.outputs
    ex.forward(a=np.array([2.0, 3.0]))
    np.testing.assert_array_equal(od["relu_output"].asnumpy(), [2, 3])
    assert ex.outputs[0] is not old[0]
    np.testing.assert_array_equal(old[0].asnumpy(), [2, 3])


def test_forward_kwargs_errors():
    a = mx.sym.Variable("a")
    ex = (a * 2).bind(mx.cpu(), {"a": mx.nd.zeros(2)})
    with pytest.raises(ValueError, match="only accept keyword argument of NDArrays"):
        ex.forward(a=[1, 2])
    with pytest.raises(TypeError, match="Unknown argument zz"):
        ex.forward(zz=mx.nd.zeros(2))
    with pytest.raises(ValueError, match=r"Shape not match! Argument a, need: \(2,\), "
                                         r"received: \(3,\)"):
        ex.forward(a=mx.nd.zeros(3))
    out = ex.forward(a=np.array([1, 2], dtype=np.float64))[0]
    np.testing.assert_array_equal(out.asnumpy(), [2, 4])


def test_bind_argument_errors():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    c = a + b
    with pytest.raises(TypeError, match="Context type error"):
        c.bind("cpu", {"a": mx.nd.zeros(2), "b": mx.nd.zeros(2)})
    with pytest.raises(ValueError, match="Length of args does not match"):
        c.bind(mx.cpu(), [mx.nd.zeros(2)])
    with pytest.raises(ValueError, match="key `b` is missing in `args`"):
        c.bind(mx.cpu(), {"a": mx.nd.zeros(2)})
    with pytest.raises(TypeError, match="Only accept list of NDArrays"):
        c.bind(mx.cpu(), {"a": np.zeros(2), "b": mx.nd.zeros(2)})
    with pytest.raises(MXNetError):
        c.bind(mx.cpu(), {"a": mx.nd.zeros(2), "b": mx.nd.zeros(3)})
    with pytest.raises(MXNetError):
        c.bind(mx.cpu(), {"a": mx.nd.zeros(2, dtype="float64"), "b": mx.nd.zeros(2)})
    ex = c.bind(mx.cpu(), {"a": mx.nd.zeros(2), "b": mx.nd.zeros(2), "extra": mx.nd.zeros(1)})
    assert ex.arg_dict.keys() == {"a", "b"}
    with pytest.raises(MXNetError, match="cpu\\(1\\)"):
        c.bind(mx.cpu(), {"a": mx.nd.zeros(2, ctx=mx.cpu(1)), "b": mx.nd.zeros(2)})


def test_bind_uses_callers_arrays():
    a = mx.sym.Variable("a")
    arr = mx.nd.array([1.0, 2.0])
    ex = (a * 2).bind(mx.cpu(), {"a": arr})
    assert ex.arg_arrays[0] is arr
    arr[:] = 5
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), [10, 10])


def test_simple_bind_infers_and_zero_fills():
    net = _seed_net()
    ex = net.simple_bind(mx.cpu(), data=(3, 4))
    assert ex.arg_dict["fc_weight"].shape == (6, 4)
    assert ex.arg_dict["softmax_label"].shape == (3,)
    assert all(float(abs(x.asnumpy()).sum()) == 0 for x in ex.arg_arrays)
    ex64 = net.simple_bind(mx.cpu(), data=(3, 4), type_dict={"data": np.float64})
    assert ex64.arg_dict["fc_weight"].dtype == np.float64
    assert ex64.outputs[0].dtype == np.float64
    with pytest.raises(RuntimeError, match="simple_bind error"):
        net.simple_bind(mx.cpu(), data=(3, 4), fc_weight=(5, 4))


def test_dict_properties_duplicates():
    a1, a2 = mx.sym.Variable("a"), mx.sym.Variable("a")
    s = a1 + a2
    assert s.list_arguments() == ["a", "a"]
    ex = s.bind(mx.cpu(), [mx.nd.zeros(2), mx.nd.zeros(2)])
    with pytest.raises(ValueError, match="Duplicate names detected"):
        _ = ex.arg_dict


def test_copy_params_from():
    net = _seed_net()
    ex = net.simple_bind(mx.cpu(), data=(1, 4))
    ex.copy_params_from({"fc_weight": mx.nd.ones((6, 4), dtype="float64")})
    assert ex.arg_dict["fc_weight"].dtype == np.float32
    np.testing.assert_array_equal(ex.arg_dict["fc_weight"].asnumpy(), np.ones((6, 4)))
    with pytest.raises(ValueError, match='Find name "zz" that is not in the arguments'):
        ex.copy_params_from({"zz": mx.nd.ones(1)})
    ex.copy_params_from({"zz": mx.nd.ones(1)}, allow_extra_params=True)
    with pytest.raises(MXNetError):
        ex.copy_params_from({"fc_weight": mx.nd.ones((2, 2))})


def test_reshape_shares_memory():
    net = _seed_net()
    ex = net.simple_bind(mx.cpu(), data=(4, 4))
    small = ex.reshape(data=(2, 4), softmax_label=(2,))
    assert small.arg_dict["fc_weight"] is ex.arg_dict["fc_weight"]
    small.arg_dict["data"][0] = 3.0
    np.testing.assert_array_equal(ex.arg_dict["data"].asnumpy()[0], [3, 3, 3, 3])
    with pytest.raises(MXNetError, match="larger than original"):
        ex.reshape(data=(8, 4), softmax_label=(8,))
    big = ex.reshape(data=(8, 4), softmax_label=(8,), allow_up_sizing=True)
    assert big.arg_dict["data"].shape == (8, 4)
    with pytest.raises(MXNetError, match="partial_shaping"):
        ex.reshape(data=(2, 5), softmax_label=(2,))
    ex.reshape(data=(2, 5), softmax_label=(2,), partial_shaping=True, allow_up_sizing=True)


def test_monitor_callback_names():
    net = _seed_net()
    ex = net.simple_bind(mx.cpu(), data=(1, 4))
    seen = []
    ex.set_monitor_callback(lambda name, arr: seen.append(name))
    ex.forward()
    assert seen == [b"fc_output", b"relu_output", b"softmax_output"]
    seen.clear()
    ex.set_monitor_callback(lambda name, arr: seen.append(name), monitor_all=True)
    ex.forward()
    assert seen[:7] == [b"data", b"fc_data", b"fc_weight", b"fc_weight", b"fc_bias", b"fc_bias",
                        b"fc_output"]
    assert b"relu_input0" in seen and b"softmax_label" in seen
    assert isinstance(mx.nd.NDArray(ex.outputs[0]), mx.nd.NDArray)


def test_debug_str_lists_plan_and_memory():
    net = _seed_net()
    ex = net.simple_bind(mx.cpu(), data=(2, 4))
    text = ex.debug_str()
    assert "Op:FullyConnected, Name=fc" in text
    assert "Variable:fc_weight" in text
    assert "_backward_FullyConnected(fc)" in text
    assert "allocated at bind" in text
    assert re.search(r"Total \d+ MB allocated", text)


def test_backward_after_inference_forward_and_twice():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    ex = (2 * a + b).bind(mx.cpu(), {"a": mx.nd.array([1, 2]), "b": mx.nd.array([2, 3])},
                          args_grad={"a": mx.nd.zeros(2), "b": mx.nd.zeros(2)}, grad_req="add")
    ex.forward(is_train=False)
    ex.backward(mx.nd.ones(2))
    ex.backward(mx.nd.ones(2))
    np.testing.assert_array_equal(ex.grad_arrays[0].asnumpy(), [4, 4])


def test_eval_and_group2ctx_accepted():
    a = mx.sym.Variable("a")
    out = (a + 1).eval(ctx=mx.cpu(), a=mx.nd.array([1.0]))
    np.testing.assert_array_equal(out[0].asnumpy(), [2])
    with mx.AttrScope(ctx_group="dev1"):
        b = mx.sym.Variable("b")
    ex = (b * 2).bind(mx.cpu(), {"b": mx.nd.ones(1, ctx=mx.cpu(1))}, group2ctx={"dev1": mx.cpu(1)})
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), [2])


def test_reshape_shares_output_memory():
    x = mx.sym.Variable("x")
    ex = (x * 2).simple_bind(mx.cpu(), x=(4, 4))
    small = ex.reshape(x=(3, 4))
    small.forward(x=np.ones((3, 4)))
    np.testing.assert_array_equal(ex.outputs[0].asnumpy()[:3], np.full((3, 4), 2.0))
