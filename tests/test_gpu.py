"""GPU behaviour (marked ``gpu``; skipped without a CUDA device): the documented examples on gpu(0),
data movement between contexts, the fused FullyConnected/activation backward, and errors."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

pytestmark = pytest.mark.gpu


def test_backward_doc_example_on_gpu():
    ctx = mx.gpu(0)
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=6, name="fc")
    net = mx.sym.SoftmaxOutput(mx.sym.Activation(fc, act_type="relu"), name="softmax")
    args = {"data": mx.nd.ones((1, 4), ctx=ctx), "fc_weight": mx.nd.ones((6, 4), ctx=ctx),
            "fc_bias": mx.nd.array([1, 4, 4, 4, 5, 6], ctx=ctx),
            "softmax_label": mx.nd.ones((1,), ctx=ctx)}
    grads = {"fc_weight": mx.nd.zeros((6, 4), ctx=ctx), "fc_bias": mx.nd.zeros((6,), ctx=ctx)}
    ex = net.bind(ctx, args=args, args_grad=grads)
    out = ex.forward(is_train=True)[0]
    assert out.context == ctx
    np.testing.assert_allclose(out.asnumpy(), [[0.00378404, 0.07600445, 0.07600445, 0.07600445,
                                                0.20660152, 0.5616011]], rtol=1e-5)
    ex.backward()
    col = [0.00378404, -0.92399555, 0.07600445, 0.07600445, 0.20660152, 0.5616011]
    np.testing.assert_allclose(grads["fc_weight"].asnumpy()[:, 0], col, rtol=1e-5)
    np.testing.assert_allclose(grads["fc_bias"].asnumpy(), col, rtol=1e-5)


def test_2a_plus_b_on_gpu():
    ctx = mx.gpu(0)
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    args = {"a": mx.nd.array([1, 2], ctx=ctx), "b": mx.nd.array([2, 3], ctx=ctx)}
    ex = (2 * a + b).bind(ctx, args,
                          args_grad={"a": mx.nd.zeros(2, ctx=ctx), "b": mx.nd.zeros(2, ctx=ctx)})
    out = ex.forward()[0]
    ex.backward(out)
    np.testing.assert_array_equal(ex.grad_arrays[0].asnumpy(), [8, 14])
    np.testing.assert_array_equal(ex.grad_arrays[1].asnumpy(), [4, 7])


def test_data_movement_and_context_errors():
    x = mx.nd.array([1, 2, 3])
    g = x.as_in_context(mx.gpu(0))
    assert g.context == mx.gpu(0) and g.as_in_context(mx.gpu(0)) is g
    np.testing.assert_array_equal(g.copyto(mx.cpu()).asnumpy(), [1, 2, 3])
    y = mx.nd.zeros(3, ctx=mx.gpu(0))
    x.copyto(y)
    np.testing.assert_array_equal(y.asnumpy(), [1, 2, 3])
    a = mx.sym.Variable("a")
    with pytest.raises(MXNetError, match="cpu\\(0\\)"):
        (a * 2).bind(mx.gpu(0), {"a": mx.nd.zeros(2)})
    assert mx.context.num_gpus() >= 1
    free, total = mx.context.gpu_memory_info(0)
    assert 0 < free <= total


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "softrelu"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_fused_fc_activation_backward_matches_cpu(act, dtype):
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=37, name="fc")
    net = mx.sym.Activation(fc, act_type=act, name="act")
    rng = np.random.default_rng(0)
    inputs = {"data": rng.standard_normal((65, 20)), "fc_weight": rng.standard_normal((37, 20)),
              "fc_bias": rng.standard_normal(37)}
    head = rng.standard_normal((65, 37))
    grads = {}
    for ctx in (mx.cpu(), mx.gpu(0)):
        args = {k: mx.nd.array(v, ctx=ctx, dtype=dtype) for k, v in inputs.items()}
        g = {k: mx.nd.zeros(v.shape, ctx=ctx, dtype=dtype) for k, v in inputs.items()}
        ex = net.bind(ctx, args, args_grad=g)
        ex.forward(is_train=True)
        ex.backward(mx.nd.array(head, ctx=ctx, dtype=dtype))
        grads[ctx.device_type] = {k: v.asnumpy() for k, v in g.items()}
    tol = {"float16": 5e-2, "float32": 1e-4, "float64": 1e-10}[dtype]
    for name in inputs:
        np.testing.assert_allclose(grads["gpu"][name], grads["cpu"][name], rtol=tol, atol=tol,
                                   err_msg=name)
