"""``_contrib_boolean_mask`` (``mx.nd.contrib.boolean_mask``): its output length depends on the
index values, so it is listed in ``opdb.NO_CASE`` and tested here, imperatively: forward against
the NumPy reference on every dtype and context, the gradient (head rows back to the selected
rows, zeros elsewhere and for index), no row selected, and the errors, including a bound
executor's refusal of an output whose shape no rule can know."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import registry
from mxlite.ops.registry import StepContext
from reference import index as R

CONTEXTS = [pytest.param("cpu", id="cpu"), pytest.param("gpu", id="gpu", marks=pytest.mark.gpu)]


def _ctx(name):
    return mx.cpu() if name == "cpu" else mx.gpu(0)


def _host(array):
    """A device array (NumPy or CuPy) as NumPy."""
    return array.get() if hasattr(array, "get") else np.asarray(array)


@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32"])
def test_boolean_mask_forward(dtype, ctx):
    rng = np.random.default_rng(3)
    data = rng.uniform(-5, 5, (6, 2, 3)).astype(dtype)
    index = np.array([1, 0, 0, 2, 0, -1], "float32")
    out = mx.nd.contrib.boolean_mask(mx.nd.array(data, ctx=_ctx(ctx), dtype=dtype),
                                     mx.nd.array(index, ctx=_ctx(ctx)))
    assert out.dtype == np.dtype(dtype)
    assert out.shape == (3, 2, 3)
    np.testing.assert_array_equal(out.asnumpy(), R.boolean_mask(data, index))


def test_boolean_mask_selects_nothing():
    out = mx.nd.contrib.boolean_mask(mx.nd.ones((4, 3)), mx.nd.zeros(4))
    assert out.shape == (0, 3)


@pytest.mark.parametrize("ctx", CONTEXTS)
def test_boolean_mask_gradient(ctx):
    op = registry.get("_contrib_boolean_mask")
    c = _ctx(ctx)
    data = mx.nd.array(np.arange(12.0).reshape(4, 3), ctx=c)
    index = mx.nd.array([0, 1, 0, 1], ctx=c)
    head = mx.nd.array([[1.0, 2, 3], [4, 5, 6]], ctx=c)
    sc = StepContext(data._xp, c)
    p = op.parse({})
    grads = op.backward(sc, p, [head._data], [data._data, index._data], [])
    want = np.zeros((4, 3))
    want[[1, 3]] = head.asnumpy()
    np.testing.assert_array_equal(_host(grads[0]), want)
    assert not _host(grads[1]).any()


def test_boolean_mask_errors():
    with pytest.raises(MXNetError, match=r"_contrib_boolean_mask.*axis=1"):
        mx.nd.contrib.boolean_mask(mx.nd.ones((4, 3)), mx.nd.ones(4), axis=1)
    with pytest.raises(MXNetError, match=r"_contrib_boolean_mask.*index shape \(3,\)"):
        mx.nd.contrib.boolean_mask(mx.nd.ones((4, 3)), mx.nd.ones(3))
    sym = mx.sym.contrib.boolean_mask(mx.sym.var("data"), mx.sym.var("index"))
    with pytest.raises(MXNetError):
        sym.bind(mx.cpu(), args={"data": mx.nd.ones((4, 3)), "index": mx.nd.ones(4)}).forward()


def test_boolean_mask_under_autograd():
    """MXNet's own usage: recorded, the selected rows get the head gradient (test_operator.py's
    test_boolean_mask gives these numbers)."""
    data = mx.nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    index = mx.nd.array([0, 1, 1])
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.boolean_mask(data, index)
    out.backward()
    np.testing.assert_array_equal(out.asnumpy(), [[4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(data.grad.asnumpy(), [[0, 0, 0], [1, 1, 1], [1, 1, 1]])
