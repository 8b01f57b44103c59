"""DLPack exchange: mx.nd.from_dlpack / to_dlpack_for_read / to_dlpack_for_write and the NDArray
protocol methods, with NumPy always, PyTorch and CuPy when installed (skipped cleanly otherwise)."""
import gc
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

BF16 = np.dtype([("bfloat16", np.uint16)])
NUMPY_BOOL_DLPACK = tuple(int(v) for v in np.__version__.split(".")[:2]) >= (1, 25)
DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int32", "int64", "bool"]


def _host(nd):
    return nd._data


# ----- NumPy --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_from_dlpack_numpy_shares_memory_and_is_writable(dtype):
    if dtype == "bool" and not NUMPY_BOOL_DLPACK:
        pytest.skip("NumPy < 1.25 cannot export bool through DLPack")
    src = (np.arange(6) % 2).astype(dtype).reshape(2, 3)
    nd = mx.nd.from_dlpack(src)
    assert nd.context == mx.cpu(0) and nd.dtype == src.dtype.type and nd.shape == (2, 3)
    assert np.shares_memory(_host(nd), src)
    nd[0, 0] = 1
    assert src[0, 0] == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_from_ndarray(dtype):
    if dtype == "bool" and not NUMPY_BOOL_DLPACK:
        pytest.skip("NumPy < 1.25 cannot export bool through DLPack")
    nd = mx.nd.array(np.arange(6).reshape(3, 2) % 2, dtype=dtype)
    view = np.from_dlpack(nd)
    assert view.dtype == np.dtype(dtype) and np.shares_memory(view, _host(nd))
    assert nd.__dlpack_device__() == (1, 0)


def test_capsule_round_trip_and_single_use():
    x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    for capsule in (mx.nd.to_dlpack_for_read(x), mx.nd.to_dlpack_for_write(x),
                    x.to_dlpack_for_read(), x.to_dlpack_for_write()):
        assert type(capsule).__name__ == "PyCapsule"
        y = mx.nd.from_dlpack(capsule)
        y[1, 1] = -7
        assert x.asnumpy()[1, 1] == -7
        with pytest.raises(MXNetError, match="can be consumed only once"):
            mx.nd.from_dlpack(capsule)


def test_from_ndarray_object_directly():
    x = mx.nd.ones((2, 2))
    y = mx.nd.from_dlpack(x)
    y[:] = 3
    assert x.asnumpy().tolist() == [[3, 3], [3, 3]]


def test_producer_memory_released_with_last_view():
    src = np.arange(10.0)
    base = sys.getrefcount(src)
    nd = mx.nd.from_dlpack(src)
    assert sys.getrefcount(src) > base  # the capsule's manager keeps the producer alive
    del nd
    gc.collect()
    assert sys.getrefcount(src) == base  # the deleter ran


def test_view_outlives_producer_reference():
    nd = mx.nd.from_dlpack(np.arange(4, dtype=np.float32))
    gc.collect()
    assert nd.asnumpy().tolist() == [0, 1, 2, 3]


def test_zero_size_and_zero_d():
    assert mx.nd.from_dlpack(np.zeros((0, 3), np.float32)).shape == (0, 3)
    scalar = mx.nd.from_dlpack(np.array(2.5))
    assert scalar.shape == () and scalar.asnumpy() == 2.5


def test_strided_tensor_refused():
    with pytest.raises(MXNetError, match="only support compact tensor"):
        mx.nd.from_dlpack(np.arange(12.0).reshape(3, 4)[:, ::2])


def test_unsupported_inputs():
    with pytest.raises(TypeError, match="DLPack capsule or an object with __dlpack__"):
        mx.nd.from_dlpack([1, 2, 3])
    with pytest.raises(MXNetError, match="has no MXNet dtype"):
        mx.nd.from_dlpack(np.ones(2, np.complex64))
    with pytest.raises(TypeError, match="expects an NDArray"):
        mx.nd.to_dlpack_for_read(np.ones(2))
    bf = mx.nd.array(np.zeros(2, np.uint16).view(BF16), dtype=BF16)
    with pytest.raises(MXNetError, match="bfloat16"):
        mx.nd.to_dlpack_for_read(bf)
    with pytest.raises(BufferError, match="bfloat16"):
        bf.__dlpack__()


def test_exported_capsule_survives_source_deletion():
    x = mx.nd.array([1.0, 2.0])
    capsule = mx.nd.to_dlpack_for_read(x)
    del x
    gc.collect()
    assert mx.nd.from_dlpack(capsule).asnumpy().tolist() == [1.0, 2.0]


# ----- PyTorch ------------------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch", reason="PyTorch not installed")


def test_torch_both_directions():
    torch = _torch()
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    nd = mx.nd.from_dlpack(t)
    nd[0, 0] = 9
    assert t[0, 0].item() == 9
    from torch.utils import dlpack as tdl
    nd2 = mx.nd.from_dlpack(tdl.to_dlpack(t))
    nd2[1, 2] = -1
    assert t[1, 2].item() == -1
    x = mx.nd.array([1, 2, 3])
    tt = torch.from_dlpack(x)
    tt += 1
    assert x.asnumpy().tolist() == [2, 3, 4]
    tt2 = tdl.from_dlpack(mx.nd.to_dlpack_for_write(x))
    tt2 *= 2
    assert x.asnumpy().tolist() == [4, 6, 8]


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "uint8", "int8", "int32",
                                  "int64", "bool", "bfloat16"])
def test_torch_dtypes(name):
    torch = _torch()
    t = torch.tensor([1.5, 0.0, -2.0]).to(getattr(torch, name))
    nd = mx.nd.from_dlpack(t)
    if name == "bfloat16":
        assert nd._data.dtype == BF16
        bits = t.view(torch.int16).numpy().view(np.uint16)
        np.testing.assert_array_equal(nd.asnumpy().view(np.uint16), bits)
        return
    assert nd._data.dtype == np.dtype(name)
    np.testing.assert_array_equal(nd.asnumpy(), t.numpy())
    back = torch.from_dlpack(nd)
    assert back.dtype == t.dtype and torch.equal(back, t)


def test_torch_unsupported():
    torch = _torch()
    with pytest.raises(MXNetError, match="compact"):
        mx.nd.from_dlpack(torch.ones(3, 4).t())
    with pytest.raises(MXNetError, match="no MXNet dtype"):
        mx.nd.from_dlpack(torch.ones(2, dtype=torch.complex64))


# ----- CuPy ---------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_cupy_both_directions():
    cp = pytest.importorskip("cupy")
    src = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    nd = mx.nd.from_dlpack(src)
    assert nd.context == mx.gpu(0)
    nd[0, 0] = 5
    assert float(src[0, 0]) == 5
    x = mx.nd.array([1, 2, 3], ctx=mx.gpu(0))
    assert x.__dlpack_device__() == (2, 0)
    view = cp.from_dlpack(x)
    view += 1
    assert x.asnumpy().tolist() == [2, 3, 4]
    y = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(x))
    assert y.context == mx.gpu(0) and y.asnumpy().tolist() == [2, 3, 4]


@pytest.mark.gpu
def test_torch_cuda_to_ndarray():
    torch = _torch()
    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no CUDA")
    t = torch.arange(4, dtype=torch.float32, device="cuda")
    nd = mx.nd.from_dlpack(t)
    assert nd.context == mx.gpu(0)
    nd[1] = 10
    torch.cuda.synchronize()
    assert t[1].item() == 10
