"""mx.autograd: modes, variables, backward/grad, the tape's lifetime, create_graph, Function,
get_symbol, NDArray methods under record, and the errors (each naming the array and the op).

Values MXNet 1.9.1 produced for the same programs are checked in test_autograd_golden.py."""
import gc
import threading
import weakref

import numpy as np
import pytest

import mxlite as mx
from mxlite import autograd as ag
from mxlite.base import MXNetError


@pytest.fixture(autouse=True)
def _modes_off():
    yield
    ag.set_recording(False)
    ag.set_training(False)


def _var(values, grad_req="write", ctx=None):
    x = mx.nd.array(values, ctx=ctx)
    x.attach_grad(grad_req=grad_req)
    return x


# ----- modes -----------------------------------------------------------------------------------
def test_scopes_set_and_restore_flags():
    assert not ag.is_recording() and not ag.is_training()
    with ag.record():
        assert ag.is_recording() and ag.is_training()
        with ag.pause():
            assert not ag.is_recording() and not ag.is_training()
            with ag.train_mode():
                assert not ag.is_recording() and ag.is_training()
        with ag.predict_mode():
            assert ag.is_recording() and not ag.is_training()
    with ag.record(train_mode=False):
        assert ag.is_recording() and not ag.is_training()
    assert not ag.is_recording() and not ag.is_training()


def test_set_functions_return_previous_state():
    assert ag.set_recording(True) is False
    assert ag.set_recording(False) is True
    assert ag.set_training(True) is False
    assert ag.set_training(False) is True


def test_flags_are_per_thread():
    seen = []
    with ag.record():
        t = threading.Thread(target=lambda: seen.append((ag.is_recording(), ag.is_training())))
        t.start()
        t.join()
    assert seen == [(False, False)]


def test_training_mode_drives_dropout_without_recording():
    x = mx.nd.ones((50, 50))
    assert (mx.nd.Dropout(x, p=0.5).asnumpy() == 1).all()
    with ag.train_mode():
        assert set(np.unique(mx.nd.Dropout(x, p=0.5).asnumpy())) == {0.0, 2.0}


# ----- variables and backward ----------------------------------------------------------------
def test_attach_grad_gives_zero_buffer_and_plain_arrays_none():
    x = mx.nd.ones((2, 3))
    assert x.grad is None
    x.attach_grad()
    assert x.grad.shape == (2, 3) and (x.grad.asnumpy() == 0).all()
    with ag.record():
        y = x * 2
    assert y.grad is None
    assert x.detach().grad is None


def test_attach_grad_rejects_bad_request_and_sparse():
    x = mx.nd.ones((2,))
    with pytest.raises(ValueError, match="grad_req must be in"):
        x.attach_grad("sometimes")
    with pytest.raises(MXNetError, match="row_sparse"):
        x.attach_grad(stype="row_sparse")


def test_backward_default_head_gradient_is_ones():
    x = _var([1.0, 2.0, 3.0])
    with ag.record():
        y = x * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 4, 6])
    assert x._fresh_grad


def test_backward_with_out_grad_and_heads_list():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * 3
        z = mx.nd.exp(x)
    ag.backward([y, z], [mx.nd.array([1.0, 2.0]), None])
    np.testing.assert_allclose(x.grad.asnumpy(), [3 + np.e, 6 + np.exp(2)], rtol=1e-6)


def test_grad_req_add_accumulates_and_write_overwrites():
    a, b = _var([1.0, 2.0], "add"), _var([3.0, 4.0], "write")
    for _ in range(3):
        with ag.record():
            y = a * b
        y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), [9, 12])
    np.testing.assert_allclose(b.grad.asnumpy(), [1, 2])


def test_mark_variables_with_own_buffers():
    x = mx.nd.array([1.0, 2.0])
    gx = mx.nd.ones((2,))
    ag.mark_variables(x, gx, "add")
    with ag.record():
        y = x * 5
    y.backward()
    np.testing.assert_allclose(gx.asnumpy(), [6, 6])
    assert x.grad is gx


def test_mark_variables_checks_lengths_and_shapes():
    with pytest.raises(MXNetError, match="2 variables but 1 gradients"):
        ag.mark_variables([mx.nd.ones((1,)), mx.nd.ones((1,))], [mx.nd.ones((1,))])
    with pytest.raises(MXNetError, match="gradient 0 has shape"):
        ag.mark_variables([mx.nd.ones((2,))], [mx.nd.ones((3,))])


def test_variable_reached_by_no_gradient_gets_zeros_with_write():
    x, w = _var([1.0, 2.0]), _var([5.0, 5.0])
    w.grad[:] = 7
    with ag.record():
        y = x * 2 + mx.nd.BlockGrad(w)
    y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [0, 0])


def test_grad_returns_new_arrays_and_leaves_buffers():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * x
    g = ag.grad(y, x)
    assert isinstance(g, list) and len(g) == 1
    np.testing.assert_allclose(g[0].asnumpy(), [2, 4])
    assert (x.grad.asnumpy() == 0).all()


def test_operator_state_kept_from_forward_to_backward():
    # dropout's mask lives in the StepContext recorded with the op
    x = mx.nd.ones((30, 30))
    x.attach_grad()
    with ag.record():
        y = mx.nd.Dropout(x, p=0.5)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), y.asnumpy())


def test_loss_op_ignores_head_gradient():
    x = _var([[1.0, 2.0, 3.0]])
    with ag.record():
        p = mx.nd.SoftmaxOutput(x, mx.nd.array([2]))
    p.backward()
    want = np.exp([1.0, 2, 3]) / np.exp([1.0, 2, 3]).sum() - [0, 0, 1]
    np.testing.assert_allclose(x.grad.asnumpy()[0], want, rtol=1e-5)


def test_batchnorm_under_record_uses_batch_statistics_and_updates_aux():
    x = _var(np.arange(8, dtype=np.float32).reshape(4, 2))
    gamma, beta = _var([1.0, 1.0]), _var([0.0, 0.0])
    mean, var = mx.nd.zeros((2,)), mx.nd.ones((2,))
    with ag.record():
        y = mx.nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False)
    y.backward()
    np.testing.assert_allclose(y.asnumpy().mean(axis=0), [0, 0], atol=1e-5)
    assert not np.allclose(mean.asnumpy(), 0)
    np.testing.assert_allclose(beta.grad.asnumpy(), [4, 4])


# ----- NDArray methods under record ----------------------------------------------------------
def test_reshape_getitem_transpose_astype_copy_are_recorded():
    x = _var(np.arange(6, dtype=np.float32).reshape(2, 3))
    with ag.record():
        a = x.reshape((3, 2)).T              # Reshape, transpose
        b = x[1] * 2 + x[:, 0:1].sum()       # slices
        c = x.astype("float64").astype("float32")
        d = x.copy() + x.copyto(mx.cpu(1)).as_in_context(mx.cpu())
        z = a.sum() + b.sum() + c.sum() + d.sum()
    z.backward()
    want = np.ones((2, 3)) * (1 + 1 + 2) + np.array([[0, 0, 0], [2, 2, 2]])
    want[:, 0] += 3
    np.testing.assert_allclose(x.grad.asnumpy(), want)


def test_advanced_index_gradient_sums_repeats():
    x = _var([1.0, 2.0, 3.0])
    with ag.record():
        y = x[[0, 0, 2]]
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 0, 1])


def test_out_argument_into_fresh_array_is_recorded():
    x = _var([1.0, 2.0])
    out = mx.nd.zeros((2,))
    with ag.record():
        mx.nd.exp(x, out=out)
        y = out * 2
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_full_slice_assignment_of_recorded_value_is_a_copy():
    x = _var([1.0, 2.0])
    c = mx.nd.zeros((2,))
    with ag.record():
        c[:] = x * 3
        y = c * c
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [18, 36])


@pytest.mark.parametrize("key", [slice(None), None, Ellipsis])
def test_whole_array_assignment_forms_are_copies(key):
    x = _var([1.0, 2.0])
    c = mx.nd.zeros((2,))
    with ag.record():
        c[key] = x * 2
        y = c * 3
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6, 6])


def test_detach_stops_gradient():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * 2
        z = y.detach() * x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 4])


# ----- the tape's lifetime -------------------------------------------------------------------
def _node_of(arr):
    return arr._ag[0]


def test_tape_freed_after_backward_unless_retained():
    x = _var([1.0, 2.0])
    with ag.record():
        y = mx.nd.exp(x)
    node = _node_of(y)
    y.backward(retain_graph=True)
    assert node.in_data is not None
    y.backward()
    assert node.freed and node.in_data is None and node.out_data is None and node.sc is None
    with pytest.raises(MXNetError, match="retain_graph=True"):
        y.backward()


def test_recorded_arrays_released_after_backward():
    x = _var(np.ones(1000))
    with ag.record():
        h = mx.nd.exp(x)
        y = h * 2
    ref = weakref.ref(h._data)
    del h
    gc.collect()
    assert ref() is not None          # the tape holds it for backward
    y.backward()
    gc.collect()
    assert ref() is None


def test_freed_output_is_a_plain_array_again():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * 2
    y.backward()
    with ag.record():
        y[:] = 5                      # no history any more: allowed, as in MXNet
        z = y * x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [5, 5])


# ----- errors --------------------------------------------------------------------------------
def test_backward_on_unrecorded_head_names_it():
    x = _var([1.0, 2.0])
    y = x * 2
    with pytest.raises(MXNetError, match=r"not in a computational graph.*head 0: NDArray 2"):
        y.backward()


def test_grad_of_array_without_attach_grad_names_it():
    x, w = mx.nd.array([1.0]), _var([2.0])
    with ag.record():
        y = x * w
    with pytest.raises(MXNetError, match=r"1-th variable because it does not require gradient: "
                                         r"NDArray 1 @cpu\(0\) \(a constant input"):
        ag.grad(y, [x])
    with pytest.raises(MXNetError, match="does not require gradient"):
        ag.grad(y, [mx.nd.ones((1,))])


def test_grad_of_unreachable_variable():
    x, w = _var([1.0]), _var([2.0])
    with ag.record():
        y = x * 2
    with pytest.raises(MXNetError, match="2-th variable because it is unreachable"):
        ag.grad(y, [x, w])


def test_no_variable_requiring_gradient():
    x = _var([1.0], "null")
    with ag.record():
        y = x * 2
    with pytest.raises(MXNetError, match="no inputs in computation graph that require"):
        y.backward()


@pytest.mark.parametrize("write", ["iadd", "setitem", "out"])
def test_inplace_write_in_record_names_array_and_op(write):
    x = _var([1.0, 2.0])
    with ag.record():
        a = mx.nd.exp(x)
        with pytest.raises(MXNetError, match=r"Assigning to NDArrays .*output 0 of recorded "
                                             r"operator exp"):
            if write == "iadd":
                a += 1
            elif write == "setitem":
                a[0] = 3
            else:
                mx.nd.sin(x, out=a)


def test_inplace_write_into_variable_in_record():
    x = _var([1.0, 2.0])
    with ag.record():
        with pytest.raises(MXNetError, match="a variable marked with attach_grad"):
            x += 1


def test_relu_into_own_input_in_record():
    x = _var([1.0, -2.0])
    c = mx.nd.array([1.0, 1.0])
    with ag.record():
        y = x * c
        with pytest.raises(MXNetError, match="constant input"):
            mx.nd.relu(c, out=c)
    y.backward()


def test_partial_assignment_of_recorded_value_refused():
    x = _var([1.0, 2.0])
    c = mx.nd.zeros((3,))
    with ag.record():
        with pytest.raises(MXNetError, match="Inplace operations"):
            c[1:] = x * 2


def test_write_after_record_that_backward_needs_is_refused_at_backward():
    x, w = _var([1.0, 2.0]), _var([3.0, 4.0])
    with ag.record():
        y = x * w                      # broadcast_mul's backward reads x and w
    w[:] = 0                           # outside record: MXNet would silently use the new w
    with pytest.raises(MXNetError, match=r"input 1 \('rhs', 2\) of operator broadcast_mul "
                                         r"\(node_\d+\) was written in place"):
        y.backward()


def test_write_after_record_that_backward_does_not_read_is_fine():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * 2                      # _mul_scalar's backward reads no values
    y[:] = 7
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 2])


def test_op_without_gradient_on_the_path():
    a, idx = _var([[1.0, 2.0], [3.0, 4.0]]), mx.nd.array([1, 0], dtype="int32")
    with ag.record():
        y = mx.nd.batch_take(a, idx)
    with pytest.raises(MXNetError, match="batch_take is non-differentiable"):
        y.backward()


def test_embedding_refuses_data_gradient():
    data, weight = _var([0.0, 1.0]), _var(np.ones((3, 2)))
    with ag.record():
        y = mx.nd.Embedding(data, weight, input_dim=3, output_dim=2)
    with pytest.raises(MXNetError, match="Embedding layer doesn't support calculate data"):
        y.backward()


def test_head_grad_shape_checked():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * 2
    with pytest.raises(MXNetError, match=r"head_grads\[0\] has shape \(3,\)"):
        y.backward(mx.nd.ones((3,)))


# ----- create_graph --------------------------------------------------------------------------
@pytest.mark.parametrize("name, f, d2", [
    ("tanh", mx.nd.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sin", mx.nd.sin, lambda x: -np.sin(x)),
    ("cos", mx.nd.cos, lambda x: -np.cos(x)),
    ("exp", mx.nd.exp, np.exp),
    ("log", mx.nd.log, lambda x: -1 / x ** 2),
    ("sigmoid", mx.nd.sigmoid,
     lambda x: (lambda s: s * (1 - s) * (1 - 2 * s))(1 / (1 + np.exp(-x)))),
    ("sqrt", mx.nd.sqrt, lambda x: -0.25 * x ** -1.5),
    ("square", mx.nd.square, lambda x: 2 + 0 * x),
    ("reciprocal", mx.nd.reciprocal, lambda x: 2 / x ** 3),
    ("arctan", mx.nd.arctan, lambda x: -2 * x / (1 + x * x) ** 2),
    ("relu", mx.nd.relu, lambda x: 0 * x),
])
def test_second_derivative(name, f, d2):
    xv = np.array([0.3, 0.7, 1.2])
    x = _var(xv)
    with ag.record():
        y = f(x)
        dx = ag.grad(y, [x], create_graph=True)[0]
    assert dx._ag is not None
    dx.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), d2(xv), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name, d3", [("sin", lambda x: -np.cos(x)),
                                      ("tanh", lambda x: (lambda t: -2 * (1 - t * t) *
                                                          (1 - 3 * t * t))(np.tanh(x))),
                                      ("log", lambda x: 2 / x ** 3)])
def test_third_derivative_and_the_fourth_stops_at_a_product(name, d3):
    # as in MXNet 1.9.1: the gradient of a unary op is one _backward_<op> step whose gradient is
    # built from recorded ops, so a third derivative works; the fourth reaches the gradient of a
    # product, which is not differentiable again (MXNet: _backward_mul)
    xv = np.array([0.5, 0.8])
    x = _var(xv)
    with ag.record():
        y = getattr(mx.nd, name)(x)
        for _ in range(2):
            y = ag.grad(y, [x], create_graph=True)[0]
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.asnumpy(), d3(xv), rtol=1e-4)
    with ag.record():
        y4 = ag.grad(y, [x], create_graph=True)[0]
    with pytest.raises(MXNetError, match=r"_backward_(broadcast_|_)mul(_scalar)? is "
                                         r"non-differentiable"):
        y4.backward()


def test_second_derivative_of_dropout_is_zero():
    x = _var(np.ones((10, 10)))
    with ag.record():
        d1 = ag.grad(mx.nd.Dropout(x, p=0.5), [x], create_graph=True)[0]
    assert set(np.unique(d1.asnumpy())) <= {0.0, 2.0}
    d1.backward()
    assert (x.grad.asnumpy() == 0).all()


def test_second_derivative_through_unsupported_op_names_it():
    x = _var([[0.5, 1.0]])
    with ag.record():
        y = mx.nd.FullyConnected(x, mx.nd.ones((3, 2)), num_hidden=3, no_bias=True)
        dx = ag.grad(y, [x], create_graph=True)[0]
    with pytest.raises(MXNetError, match=r"_backward_FullyConnected is non-differentiable.*"
                                         r"gradient of FullyConnected \(node_\d+\)"):
        dx.backward()


def test_create_graph_retains_by_default():
    x = _var([0.5])
    with ag.record():
        y = mx.nd.tanh(x)
    ag.grad(y, [x], create_graph=True)
    g = ag.grad(y, [x])[0]
    np.testing.assert_allclose(g.asnumpy(), 1 - np.tanh(0.5) ** 2, rtol=1e-6)
    with pytest.raises(MXNetError, match="not in a computational graph"):
        ag.grad(y, [x])


# ----- Function and get_symbol ---------------------------------------------------------------
class _Square(ag.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        x, = self.saved_tensors
        return dy * 2 * x


def test_function_custom_backward():
    x = _var([1.0, 3.0])
    with ag.record():
        y = _Square()(x) * 3
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6, 18])


def test_function_outside_record_just_runs_and_instances_are_single_use():
    f = _Square()
    assert f(mx.nd.array([2.0])).asscalar() == 4
    with pytest.raises(AssertionError, match="only be called once"):
        f(mx.nd.array([2.0]))


def test_function_backward_must_return_one_gradient_per_input():
    class Bad(ag.Function):
        def forward(self, x, y):
            return x + y

        def backward(self, dz):
            return dz

    x, y = _var([1.0]), _var([2.0])
    with ag.record():
        z = Bad()(x, y)
    with pytest.raises(MXNetError, match="Expecting 2 got 1"):
        z.backward()


def test_get_symbol_rebuilds_the_recorded_graph():
    x, z = _var([1.0]), _var([2.0])
    with ag.record():
        y = mx.nd.FullyConnected(x.reshape((1, 1)), z.reshape((1, 1)), num_hidden=1,
                                 no_bias=True) * 2 + z
    s = ag.get_symbol(y)
    assert len(s.list_arguments()) == 2
    ops = [n["op"] for n in __import__("json").loads(s.tojson())["nodes"]]
    assert ops.count("null") == 2 and "FullyConnected" in ops and "_mul_scalar" in ops
    args = dict(zip(s.list_arguments(), [x, z]))
    out = s.bind(mx.cpu(), args).forward()[0]
    np.testing.assert_allclose(out.asnumpy(), y.asnumpy())


def test_get_symbol_of_python_step_is_refused():
    x = _var([1.0])
    with ag.record():
        y = _Square()(x)
    with pytest.raises(MXNetError, match="_Square, a step recorded from Python"):
        ag.get_symbol(y)


# ----- gpu: the same xp path on mx.gpu() -----------------------------------------------------
@pytest.mark.gpu
def test_gpu_backward_matches_cpu():
    rs = np.random.RandomState(0)
    xv, wv = rs.randn(4, 3).astype(np.float32), rs.randn(5, 3).astype(np.float32)
    grads = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        x, w = _var(xv, ctx=ctx), _var(wv, ctx=ctx)
        with ag.record():
            h = mx.nd.FullyConnected(x, w, no_bias=True, num_hidden=5)
            y = (mx.nd.tanh(h) * h).sum()
        y.backward()
        assert x.grad.context == ctx
        grads.append((x.grad.asnumpy(), w.grad.asnumpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_gpu_second_derivative_and_dropout():
    x = _var([0.3, 0.9], ctx=mx.gpu(0))
    with ag.record():
        dx = ag.grad(mx.nd.tanh(x), [x], create_graph=True)[0]
    dx.backward()
    t = np.tanh([0.3, 0.9])
    np.testing.assert_allclose(x.grad.asnumpy(), -2 * t * (1 - t ** 2), rtol=1e-5)
    y = mx.nd.ones((20, 20), ctx=mx.gpu(0))
    y.attach_grad()
    with ag.record():
        z = mx.nd.Dropout(y, p=0.5)
    z.backward()
    np.testing.assert_array_equal(y.grad.asnumpy(), z.asnumpy())


@pytest.mark.gpu
def test_gpu_copy_to_cpu_is_recorded():
    x = _var([1.0, 2.0], ctx=mx.gpu(0))
    with ag.record():
        y = x.as_in_context(mx.cpu()) * 3
    y.backward()
    assert x.grad.context == mx.gpu(0)
    np.testing.assert_allclose(x.grad.asnumpy(), [3, 3])


def test_copies_are_exported_and_twice_differentiable():
    x = _var([0.5, 1.0])
    with ag.record():
        y = mx.nd.sin(x.copy())
        dx = ag.grad(y, [x], create_graph=True)[0]
    dx.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), -np.sin([0.5, 1.0]), rtol=1e-6)
    with ag.record():
        z = x.copyto(mx.cpu(1)) * 2
    ops = [n["op"] for n in __import__("json").loads(ag.get_symbol(z).tojson())["nodes"]]
    assert ops == ["null", "_copy", "_mul_scalar"]


@pytest.mark.gpu
def test_gpu_second_derivative_through_a_device_copy():
    x = _var([0.5, 1.0])
    with ag.record():
        y = mx.nd.sin(x.as_in_context(mx.gpu(0)))
        dx = ag.grad(y, [x], create_graph=True)[0]
    assert dx.context == mx.cpu()
    dx.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), -np.sin([0.5, 1.0]), rtol=1e-5)


def test_whole_array_assignment_with_leading_unit_axes():
    x = _var([[1.0, 2.0]])
    c = mx.nd.zeros((2,))
    with ag.record():
        c[None] = x * 2          # x * 2 has shape (1, 2): the leading axis drops
        y = c * 3
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[6, 6]])


@pytest.mark.parametrize("key", [1, (slice(None), 1), (slice(0, 2), slice(1, None)), -1,
                                 (1, slice(None, None, 2)), slice(1, 2)])
def test_get_symbol_writes_basic_indexing_as_slice(key):
    x = _var(np.arange(12, dtype=np.float32).reshape(3, 4))
    with ag.record():
        y = x[key] * 2
    s = ag.get_symbol(y)
    assert "slice" in [n["op"] for n in __import__("json").loads(s.tojson())["nodes"]]
    out = s.bind(mx.cpu(), {s.list_arguments()[0]: x}).forward()[0]
    np.testing.assert_array_equal(out.asnumpy(), y.asnumpy())
