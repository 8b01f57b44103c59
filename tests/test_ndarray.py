"""NDArray behaviour (MXNET_SEMANTICS.md §4): creation dtypes, legacy shapes, arithmetic,
indexing."""
import pickle

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def test_array_defaults_to_float32():
    assert mx.nd.array(np.array([1.5, 2])).dtype is np.float32
    assert mx.nd.array([1, 2]).dtype is np.float32
    assert mx.nd.array(mx.nd.array([1, 2], dtype="int32")).dtype is np.int32
    assert mx.nd.array([1, 2], dtype=np.float64).dtype is np.float64
    assert mx.nd.zeros(3).shape == (3,)
    assert mx.nd.zeros((1,), ctx=mx.cpu(2)).context == mx.cpu(2)


def test_zero_dims_rejected():
    with pytest.raises(MXNetError):
        mx.nd.zeros((0, 3))


def test_arange_full_and_repr():
    np.testing.assert_array_equal(mx.nd.arange(3, repeat=2).asnumpy(), [0, 0, 1, 1, 2, 2])
    x = mx.nd.full((2, 3), 7)
    assert repr(x).endswith("<NDArray 2x3 @cpu(0)>")
    assert x.asscalar if True else None
    with pytest.raises(ValueError, match="not a scalar"):
        x.asscalar()
    assert mx.nd.array([4.0]).asscalar() == 4.0


def test_legacy_shapes():
    x = mx.nd.arange(12).reshape((3, 4))
    assert x.sum().shape == (1,)
    assert x[1, 2].shape == (1,)
    assert x[1].shape == (4,)
    assert mx.nd.dot(mx.nd.ones(3), mx.nd.ones(3)).shape == (1,)


def test_arithmetic_broadcasts_and_keeps_dtype():
    x = mx.nd.ones((2, 3))
    y = x + mx.nd.array([10, 20, 30])
    np.testing.assert_array_equal(y.asnumpy(), [[11, 21, 31]] * 2)
    assert (x == 1).dtype is np.float32
    np.testing.assert_array_equal((2 - x).asnumpy(), np.ones((2, 3)))
    np.testing.assert_array_equal((x / 4).asnumpy(), np.full((2, 3), 0.25))
    np.testing.assert_array_equal((-x).asnumpy(), -np.ones((2, 3)))
    ints = mx.nd.array([7, 9], dtype="int32")
    np.testing.assert_array_equal((ints / 2).asnumpy(), [3, 4])
    with pytest.raises(MXNetError):
        x + mx.nd.ones((2, 3), dtype="float64")


def test_inplace_ops_write_into_self():
    x = mx.nd.ones((2, 2))
    data = x._data
    x += 1
    x *= mx.nd.array([1, 2])
    assert x._data is data
    np.testing.assert_array_equal(x.asnumpy(), [[2, 4], [2, 4]])


def test_indexing_views_and_copies():
    y = mx.nd.zeros((3, 3))
    y[1][:] = 5
    np.testing.assert_array_equal(y.asnumpy()[1], [5, 5, 5])
    x = mx.nd.arange(9).reshape((3, 3))
    np.testing.assert_array_equal(x[[0, 1], [1, 2]].asnumpy(), [1, 5])
    np.testing.assert_array_equal(x[mx.nd.array([1, 0])].asnumpy(), [[3, 4, 5], [0, 1, 2]])
    with pytest.raises(ValueError, match="boolean indexing"):
        x[mx.nd.array([1, 0, 1], dtype="bool")]
    np.testing.assert_array_equal(mx.nd.arange(4)[np.array([True, False, True, False])].asnumpy(),
                                  [1, 0, 1, 0])


def test_setitem_forms():
    y = mx.nd.zeros((2, 3))
    y[:] = np.arange(3)
    np.testing.assert_array_equal(y.asnumpy(), [[0, 1, 2]] * 2)
    y[0] = 9
    y[1, 1:] = [7, 8]
    np.testing.assert_array_equal(y.asnumpy(), [[9, 9, 9], [0, 7, 8]])
    y[:] = mx.nd.ones((2, 3), dtype="float64")
    assert y.dtype is np.float32


def test_copy_astype_context():
    x = mx.nd.array([1.7, -1.7])
    assert x.astype("float32", copy=False) is x
    np.testing.assert_array_equal(x.astype("int32").asnumpy(), [1, -1])
    y = mx.nd.zeros(2)
    x.copyto(y)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    with pytest.raises(MXNetError):
        x.copyto(mx.nd.zeros(3))
    with pytest.raises(TypeError, match="copyto does not support type"):
        x.copyto("cpu")
    assert x.as_in_context(mx.cpu()) is x
    assert x.copyto(mx.cpu(1)).context == mx.cpu(1)
    assert x.T is x
    np.testing.assert_array_equal(mx.nd.arange(6).reshape((2, 3)).T.asnumpy(),
                                  np.arange(6).reshape(2, 3).T)


def test_reshape_codes_and_bool_hash_pickle():
    x = mx.nd.zeros((2, 3, 4))
    assert x.reshape((4, 0, 2)).shape == (4, 3, 2)
    assert x.reshape(-1, 0, reverse=True).shape == (6, 4)
    assert not bool(mx.nd.zeros(1)) and bool(mx.nd.ones(1))
    with pytest.raises(ValueError):
        bool(mx.nd.ones(2))
    assert hash(x) == id(x) // 16
    y = pickle.loads(pickle.dumps(mx.nd.array([1, 2])))
    np.testing.assert_array_equal(y.asnumpy(), [1, 2])


def test_op_functions_have_signatures_and_docs():
    import inspect
    sig = inspect.signature(mx.nd.FullyConnected)
    assert "num_hidden" in sig.parameters and "out" in sig.parameters
    assert "num_hidden" in mx.nd.FullyConnected.__doc__
    out = mx.nd.zeros((2, 3))
    mx.nd.FullyConnected(mx.nd.ones((2, 4)), mx.nd.ones((3, 4)), mx.nd.zeros(3), num_hidden=3,
                         out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 4))
    with pytest.raises(MXNetError, match="Cannot find argument 'foo'"):
        mx.nd.softmax(mx.nd.ones(2), foo=1)


def test_gpu_without_cuda_gives_hint():
    if mx.context.num_gpus() > 0:
        pytest.skip("a GPU is present")
    with pytest.raises(MXNetError, match="pip install"):
        mx.nd.zeros(2, ctx=mx.gpu(0))


def test_import_does_not_import_cupy():
    import subprocess
    import sys
    code = "import sys, mxlite; assert 'cupy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_context_semantics():
    assert str(mx.gpu(1)) == "gpu(1)" and mx.cpu() == mx.cpu(0) and mx.cpu() != "cpu"
    with pytest.raises(KeyError):
        mx.Context("tpu")
    with mx.cpu(3) as c:
        assert mx.current_context() == c
        assert mx.nd.zeros(1).context == mx.cpu(3)
    assert mx.current_context() == mx.cpu(0)


def test_imperative_results_do_not_alias_inputs():
    a = mx.nd.arange(6).reshape((2, 3))
    flat = mx.nd.Flatten(a)
    flat[0] = -1
    np.testing.assert_array_equal(a.asnumpy()[0], [0, 1, 2])
    view = a.flatten(inplace=True)
    view[0] = -1
    np.testing.assert_array_equal(a.asnumpy()[0], [-1, -1, -1])
    assert [p.shape for p in mx.nd.ones((2, 4)).split_v2(2, axis=1)] == [(2, 2), (2, 2)]
