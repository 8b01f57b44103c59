"""mxlite.ops._jit: thread settings, the on/off switches and the serial twin of parallel kernels."""
import numpy as np
import pytest

from mxlite.ops import _jit
from mxlite.ops._jit import prange   # kernels name prange directly (that is what numba replaces)

needs_numba = pytest.mark.skipif(not _jit.enabled(), reason="numba not installed or MXLITE_JIT=0")


@_jit.cpu_kernel(parallel=True)
def _scaled(x, out, k):
    for i in prange(x.shape[0]):
        out[i] = x[i] * k


def test_threads_follow_mxlite_then_omp_settings(monkeypatch):
    monkeypatch.setenv("MXLITE_NUM_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert _jit.threads() == 3
    monkeypatch.delenv("MXLITE_NUM_THREADS")
    assert _jit.threads() == 5
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert _jit.threads() >= 1


def test_mxlite_jit_0_turns_kernels_off(monkeypatch):
    saved = dict(_jit._state)
    try:
        monkeypatch.setenv("MXLITE_JIT", "0")
        _jit._state.update(checked=False, numba=None, module=None)
        assert not _jit.enabled()
        with pytest.raises(RuntimeError, match="MXLITE_JIT"):
            _scaled._compile_unlocked()
    finally:
        _jit._state.update(saved)


def test_fast_dtype_takes_float32_and_float64_only():
    assert _jit.fast_dtype(np.zeros(2, np.float32), np.zeros(2, np.float64))
    assert not _jit.fast_dtype(np.zeros(2, np.float32), np.zeros(2, np.float16))
    assert not _jit.fast_dtype(np.zeros(2, np.int32))


@needs_numba
def test_forced_switches_and_restores():
    with _jit.forced(False):
        assert not _jit.enabled()
        with _jit.forced(True):
            assert _jit.enabled()
        assert not _jit.enabled()
    assert _jit.enabled()


@needs_numba
@pytest.mark.parametrize("n", [7, _jit.SERIAL_BELOW + 3])
def test_parallel_kernel_and_its_serial_twin_agree(n):
    x = np.arange(n, dtype=np.float64)
    out = np.full(n, np.nan)
    _scaled(x, out, 2.5)
    np.testing.assert_array_equal(out, x * 2.5)
    if n < _jit.SERIAL_BELOW:
        assert _scaled._serial is not None and _scaled._serial._compiled is not None
    else:
        assert _scaled._compiled is not None
