"""NumPy-shape mode (mx.np_shape / use_np_shape / is_np_shape / set_np_shape) and what it changes in
the NDArray front end: () scalars and zero-size dimensions as real shapes, -1 as unknown.

MXNet 1.9.1's values for the same programs are checked in test_autograd_golden.py (np_shape_*)."""
import threading

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


@pytest.fixture(autouse=True)
def _legacy_after():
    yield
    mx.set_np_shape(False)


def test_flag_default_set_and_scopes():
    assert mx.is_np_shape() is False
    assert mx.set_np_shape(True) is False
    assert mx.is_np_shape() is True
    assert mx.set_np_shape(False) is True
    with mx.np_shape():
        assert mx.is_np_shape()
        with mx.np_shape(False):
            assert not mx.is_np_shape()
        assert mx.is_np_shape()
    assert not mx.is_np_shape()


def test_same_objects_in_util_and_top_level():
    assert mx.util.np_shape is mx.np_shape and mx.util.is_np_shape is mx.is_np_shape
    assert mx.util.set_np_shape is mx.set_np_shape and mx.util.use_np_shape is mx.use_np_shape


def test_flag_is_per_thread():
    seen = []
    with mx.np_shape(True):
        t = threading.Thread(target=lambda: seen.append(mx.is_np_shape()))
        t.start()
        t.join()
    assert seen == [False]


def test_use_np_shape_on_function_and_class():
    @mx.use_np_shape
    def scalar():
        return mx.nd.ones(()).shape

    assert scalar() == () and not mx.is_np_shape()

    @mx.use_np_shape
    class Holder:
        def __init__(self):
            self.value = mx.nd.zeros((0, 2))

        @property
        def flag(self):
            return mx.is_np_shape()

        @staticmethod
        def empty():
            return mx.nd.empty((0,)).shape

    h = Holder()
    assert h.value.shape == (0, 2) and h.flag and Holder.empty() == (0,)
    assert not mx.is_np_shape()
    with pytest.raises(TypeError, match="use_np_shape can only decorate"):
        mx.use_np_shape(3)


@pytest.mark.parametrize("make, shape", [
    (lambda: mx.nd.ones(()), ()),
    (lambda: mx.nd.zeros((0, 3)), (0, 3)),
    (lambda: mx.nd.full((), 5.0), ()),
    (lambda: mx.nd.empty((2, 0)), (2, 0)),
    (lambda: mx.nd.zeros(0), (0,)),
])
def test_creation_accepts_scalar_and_zero_size(make, shape):
    with mx.np_shape(True):
        a = make()
    assert a.shape == shape
    assert a.size == int(np.prod(shape))


def test_creation_rejects_unknown_dimension():
    with mx.np_shape(True):
        with pytest.raises(MXNetError, match=r"unknown \(-1\) dimension"):
            mx.nd.zeros((-1, 3))


def test_legacy_mode_rejects_scalar_and_zero_dims():
    with pytest.raises(MXNetError, match=r"Invalid shape \(\)"):
        mx.nd.ones(())
    with pytest.raises(MXNetError, match=r"Invalid shape \(0, 3\)"):
        mx.nd.zeros((0, 3))


def test_integer_index_gives_scalar_only_in_np_shape():
    a = mx.nd.array([1.0, 2.0, 3.0])
    assert a[1].shape == (1,)
    with mx.np_shape(True):
        s = a[1]
        assert s.shape == () and s.asscalar() == 2.0
        assert s.ndim == 0 and s.size == 1
        with pytest.raises(IndexError):
            len(s)


def test_ops_on_scalars_and_empty_arrays():
    with mx.np_shape(True):
        s = mx.nd.ones(())
        z = mx.nd.zeros((0, 3))
        assert mx.nd.sin(s).shape == () and (s * 3).shape == ()
        assert (s + mx.nd.ones((2,))).shape == (2,)
        assert mx.nd.exp(z).shape == (0, 3)
        np.testing.assert_array_equal(mx.nd.sum(z, axis=0).asnumpy(), [0, 0, 0])
        assert mx.nd.concat(z, mx.nd.ones((2, 3)), dim=0).shape == (2, 3)
        assert repr(s).endswith("<NDArray  @cpu(0)>")


def test_autograd_with_scalar_arrays():
    with mx.np_shape(True):
        x = mx.nd.ones(())
        x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.exp(x) * 3
        y.backward()
        assert x.grad.shape == ()
        np.testing.assert_allclose(x.grad.asnumpy(), 3 * np.e, rtol=1e-6)


def test_save_load_round_trip_with_scalars_and_empty_arrays(tmp_path):
    fname = str(tmp_path / "a.nd")
    with mx.np_shape(True):
        arrays = [mx.nd.full((), 2.5), mx.nd.zeros((0, 3)), mx.nd.array([[1, 2]], dtype="int32")]
        mx.nd.save(fname, arrays)
        back = mx.nd.load(fname)
    assert [a.shape for a in back] == [(), (0, 3), (1, 2)]
    assert back[0].asscalar() == 2.5 and back[2].dtype == np.int32
    with open(fname, "rb") as f:
        assert f.read()[24:28] == bytes.fromhex("cafa93f9")   # the V3 magic, as MXNet writes


def test_file_and_mode_must_match(tmp_path):
    legacy, v3 = str(tmp_path / "legacy.nd"), str(tmp_path / "v3.nd")
    mx.nd.save(legacy, [mx.nd.ones((2,))])
    with mx.np_shape(True):
        mx.nd.save(v3, [mx.nd.ones((2,))])
        with pytest.raises(MXNetError, match="not saved in np shape semantics"):
            mx.nd.load(legacy)
    with pytest.raises(MXNetError, match="saved in np shape semantics, must be loaded"):
        mx.nd.load(v3)
    with pytest.raises(MXNetError, match=r"shape \(\)"):
        mx.nd.save(legacy, [mx.nd.array(np.float32(1))])


def test_mxnet_v3_file_loads_in_np_shape_mode():
    import os
    path = os.path.join(os.path.dirname(__file__), "golden", "params_special", "v3_np_shape.params")
    with mx.np_shape(True):
        d = mx.nd.load(path)
    assert list(d) == ["a"] and d["a"].shape == (2,)
