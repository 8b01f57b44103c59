"""mx.operator: CustomOp / CustomOpProp as a plan step like any other, checked against the real
MXNet 1.9.1 (tests/golden/sequences/custom.*, made by make_sequences_golden.py), plus the
legacy NumpyOp / NDArrayOp and the errors for bad custom ops."""
import importlib.util
import os

import numpy as np
import pytest

import mxlite as mx
from mxlite.test_utils import (check_consistency, check_numeric_gradient, check_symbolic_backward,
                               check_symbolic_forward)

HERE = os.path.join(os.path.dirname(__file__), "golden", "sequences")
_spec = importlib.util.spec_from_file_location(
    "make_sequences_golden", os.path.join(HERE, "make_sequences_golden.py"))
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)
G.register_custom_ops(mx)


# ----- ops used below ---------------------------------------------------------------------------
class _Sqr(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])


@mx.operator.register("test_sqr")
class _SqrProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=True)

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        return [out_grad[0], in_data[0]]

    def create_operator(self, ctx, shapes, dtypes):
        return _Sqr()


class _AddSub(mx.operator.CustomOp):
    """Two inputs, two outputs, one aux state counting forward calls in training."""

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] + in_data[1])
        self.assign(out_data[1], req[1], in_data[0] - in_data[1])
        if is_train:
            aux[0][:] = aux[0] + 1

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] + out_grad[1])
        self.assign(in_grad[1], req[1], out_grad[0] - out_grad[1])


@mx.operator.register("test_addsub")
class _AddSubProp(mx.operator.CustomOpProp):
    def __init__(self, bias="0"):
        super().__init__(need_top_grad=True)
        assert isinstance(bias, str)  # MXNet hands the prop its kwargs as strings

    def list_arguments(self):
        return ["a", "b"]

    def list_outputs(self):
        return ["sum", "diff"]

    def list_auxiliary_states(self):
        return ["count"]

    def infer_shape(self, in_shape):
        return [in_shape[0], in_shape[0]], [in_shape[0], in_shape[0]], [(1,)]

    def create_operator(self, ctx, shapes, dtypes):
        return _AddSub()


class _Forgetful(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0])


@mx.operator.register("test_forgetful")
class _ForgetfulProp(mx.operator.CustomOpProp):
    def list_outputs(self):
        return ["first", "second"]

    def create_operator(self, ctx, shapes, dtypes):
        return _Forgetful()


@mx.operator.register("test_bad_shapes")
class _BadShapeProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], []


# ----- golden network ---------------------------------------------------------------------------
GOLD = np.load(os.path.join(HERE, "custom.npz"))


def test_custom_network_matches_mxnet():
    x, y, params, out, grads, traj, final, net = G.run_custom(mx)
    np.testing.assert_array_equal(x, GOLD["x"])
    np.testing.assert_allclose(out, GOLD["out"], rtol=1e-5, atol=1e-6)
    for k, v in grads.items():
        np.testing.assert_allclose(v, GOLD[f"grad:{k}"], rtol=1e-4, atol=1e-6, err_msg=k)
    for i, v in enumerate(traj):
        np.testing.assert_allclose(v, GOLD[f"traj:{i}"], rtol=1e-4, atol=1e-6)
    for k, v in final.items():
        np.testing.assert_allclose(v, GOLD[f"final:{k}"], rtol=1e-4, atol=1e-6, err_msg=k)


def test_custom_json_from_mxnet_loads():
    with open(os.path.join(HERE, "custom.json")) as f:
        text = f.read()
    net = mx.sym.load_json(text)
    assert net.list_arguments() == G.custom_net(mx).list_arguments()
    assert net.list_outputs() == ["softmax_output"]
    assert mx.sym.load_json(net.tojson()).tojson() == net.tojson()


def test_unregistered_op_type_in_json_is_named():
    text = G.custom_net(mx).tojson().replace("golden_scaled_sqr", "nobody_registered_this")
    with pytest.raises(mx.MXNetError, match="nobody_registered_this"):
        mx.sym.load_json(text)
    with pytest.raises(mx.MXNetError, match="nobody_registered_this"):
        mx.sym.Custom(mx.sym.var("x"), op_type="nobody_registered_this")


# ----- checking helpers, grad_req ---------------------------------------------------------------
def test_check_helpers():
    x = np.random.RandomState(0).uniform(-1, 1, (3, 4))
    s = mx.sym.Custom(mx.sym.var("data"), op_type="test_sqr", name="sq")
    assert s.list_outputs() == ["sq_output"]
    check_symbolic_forward(s, [x], [x * x])
    check_symbolic_backward(s, [x], [np.ones_like(x) * 0.5], [x])
    check_numeric_gradient(s, [x])
    scaled = mx.sym.Custom(mx.sym.var("data"), op_type="golden_scaled_sqr", scale=3)
    check_numeric_gradient(scaled, [x])
    check_consistency(scaled, [{"ctx": mx.cpu(), "data": (3, 4)},
                               {"ctx": mx.cpu(), "data": (3, 4)}])


@pytest.mark.parametrize("req", ["write", "add", "null"])
def test_grad_req(req):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    s = mx.sym.Custom(mx.sym.var("data"), op_type="test_sqr")
    ex = s.simple_bind(mx.cpu(), data=x.shape, grad_req=req)
    ex.arg_dict["data"][:] = x
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward(mx.nd.ones(x.shape))
    got = ex.grad_dict["data"]
    if req == "null":
        assert got is None
    else:
        np.testing.assert_allclose(got.asnumpy(), 2 * x * (2 if req == "add" else 1))


def test_two_outputs_aux_and_string_kwargs():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    s = mx.sym.Custom(a, b, op_type="test_addsub", bias=3, name="as")
    assert s.list_outputs() == ["as_sum", "as_diff"]
    assert s.list_auxiliary_states() == ["as_count"]
    arg, out, aux = s.infer_shape(a=(2, 3))
    assert arg == [(2, 3), (2, 3)] and out == [(2, 3), (2, 3)] and aux == [(1,)]
    ex = s.simple_bind(mx.cpu(), a=(2, 3))
    ex.arg_dict["a"][:] = 5
    ex.arg_dict["b"][:] = 2
    outs = ex.forward(is_train=True)
    assert outs[0].asnumpy().max() == 7 and outs[1].asnumpy().max() == 3
    assert ex.aux_dict["as_count"].asnumpy()[0] == 1
    ex.backward([mx.nd.ones((2, 3)), mx.nd.ones((2, 3)) * 2])
    np.testing.assert_allclose(ex.grad_dict["a"].asnumpy(), 3)
    np.testing.assert_allclose(ex.grad_dict["b"].asnumpy(), -1)
    # imperative
    s_nd, d_nd = mx.nd.Custom(mx.nd.ones((2, 2)), mx.nd.ones((2, 2)), mx.nd.zeros((1,)),
                              op_type="test_addsub")
    assert s_nd.asnumpy().sum() == 8 and d_nd.asnumpy().sum() == 0


def test_custom_in_module_with_need_top_grad_false():
    x, y = np.random.rand(8, 4).astype(np.float32), np.arange(8) % 3
    net = mx.sym.Custom(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc"),
                        op_type="golden_softmax", name="softmax")
    mod = mx.mod.Module(net)
    it = mx.io.NDArrayIter(x, y.astype(np.float32), batch_size=4)
    mod.fit(it, num_epoch=2, optimizer_params={"learning_rate": 0.1})
    assert mod.score(it, "acc")[0][0] == "accuracy"


# ----- bad custom ops ---------------------------------------------------------------------------
def test_infer_shape_wrong_count_is_named():
    s = mx.sym.Custom(mx.sym.var("x"), op_type="test_bad_shapes")
    with pytest.raises(mx.MXNetError, match="test_bad_shapes: infer_shape returned 2 output "
                                            "entries, expected 1"):
        s.infer_shape(x=(2, 2))


def test_forward_forgetting_an_output_is_named():
    s = mx.sym.Custom(mx.sym.var("x"), op_type="test_forgetful")
    ex = s.simple_bind(mx.cpu(), x=(2, 2))
    with pytest.raises(mx.MXNetError, match="test_forgetful: forward did not assign output "
                                            "'second'"):
        ex.forward()


# ----- legacy interfaces ------------------------------------------------------------------------
class _NumpySoftmax(mx.operator.NumpyOp):
    def __init__(self):
        super().__init__(False)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]]

    def forward(self, in_data, out_data):
        x = in_data[0]
        y = out_data[0]
        y[:] = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
        y /= y.sum(axis=1).reshape((x.shape[0], 1))

    def backward(self, out_grad, in_data, out_data, in_grad):
        label = in_data[1].astype(int)
        dx = in_grad[0]
        dx[:] = out_data[0]
        dx[np.arange(label.shape[0]), label] -= 1.0


class _NDArrayDouble(mx.operator.NDArrayOp):
    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] * 2

    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = out_grad[0] * 2


def test_numpy_op():
    op = _NumpySoftmax()
    s = op(data=mx.sym.var("data"), name="np_softmax")
    assert s.list_arguments() == ["data", "np_softmax_label"]
    ex = s.simple_bind(mx.cpu(), data=(2, 3))
    ex.arg_dict["data"][:] = np.array([[1, 2, 3], [0, 0, 0]])
    ex.arg_dict["np_softmax_label"][:] = np.array([2, 0])
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)
    ex.backward()
    expected = out.copy()
    expected[[0, 1], [2, 0]] -= 1
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), expected, rtol=1e-6)


def test_ndarray_op():
    s = _NDArrayDouble()(mx.sym.var("data"))
    check_symbolic_forward(s, [np.ones((2, 2))], [2 * np.ones((2, 2))])
    check_symbolic_backward(s, [np.ones((2, 2))], [np.ones((2, 2))], [2 * np.ones((2, 2))])


# ----- gpu (skipped without a CuPy device) ------------------------------------------------------
class _CtxCheck(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        assert in_data[0].context == out_data[0].context == mx.gpu(0)
        self.assign(out_data[0], req[0], in_data[0] * in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        assert in_grad[0].context == mx.gpu(0)
        self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])


@mx.operator.register("test_ctx_check")
class _CtxCheckProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        assert ctx == mx.gpu(0)
        return _CtxCheck()


@pytest.mark.gpu
def test_custom_op_on_gpu():
    x = np.random.RandomState(1).uniform(-1, 1, (3, 4))
    s = mx.sym.Custom(mx.sym.var("data"), op_type="test_ctx_check")
    check_symbolic_forward(s, [x], [x * x], ctx=mx.gpu(0))
    check_symbolic_backward(s, [x], [np.ones_like(x)], [2 * x], ctx=mx.gpu(0))
    scaled = mx.sym.Custom(mx.sym.var("data"), op_type="golden_scaled_sqr", scale=2)
    check_consistency(scaled, [{"ctx": mx.cpu(), "data": (3, 4)},
                               {"ctx": mx.gpu(0), "data": (3, 4)}])


def test_errors_in_user_code_name_the_op():
    with pytest.raises(mx.MXNetError, match="CustomOpProp.__init__ of custom operator "
                                            "test_sqr: TypeError"):
        mx.sym.Custom(mx.sym.var("x"), op_type="test_sqr", unexpected=1)

    @mx.operator.register("test_raising")
    class _RaisingProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            class Op(mx.operator.CustomOp):
                def forward(self, is_train, req, in_data, out_data, aux):
                    raise ValueError("boom")
            return Op()
    with pytest.raises(mx.MXNetError, match="CustomOp.forward of custom operator test_raising: "
                                            "ValueError: boom"):
        mx.nd.Custom(mx.nd.ones((2,)), op_type="test_raising")


class _Ones(mx.operator.CustomOp):
    def __init__(self, shape):
        self.value = np.ones(shape, dtype=np.float32)

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], self.value)


@mx.operator.register("test_ones")
class _OnesProp(mx.operator.CustomOpProp):
    def __init__(self, rows, cols):
        super().__init__()
        self.shape = (int(rows), int(cols))

    def list_arguments(self):
        return []

    def infer_shape(self, in_shape):
        return [], [self.shape], []

    def infer_type(self, in_type):
        return [], [np.float32], []

    def create_operator(self, ctx, shapes, dtypes):
        return _Ones(self.shape)


def test_op_without_inputs():
    np.testing.assert_array_equal(mx.nd.Custom(rows=2, cols=3, op_type="test_ones").asnumpy(),
                                  np.ones((2, 3)))
    s = mx.sym.Custom(op_type="test_ones", rows=4, cols=1) + mx.sym.var("x")
    ex = s.simple_bind(mx.cpu(), x=(4, 1))
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), np.ones((4, 1)))
