"""Test configuration: GPU tests (marked ``gpu``) skip without a usable CuPy device, and
MXLITE_REQUIRE_GPU=1 makes a missing device fail the run at session start (exit status 1, one line
saying why), so a machine meant to test the GPU cannot pass by skipping."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


def gpu_unavailable_reason():
    """None when CuPy imports and sees a CUDA device, else one line saying what is missing."""
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, CUDARuntimeError (no driver), ...
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None if count > 0 else "CuPy sees 0 CUDA devices"


GPU_UNAVAILABLE = gpu_unavailable_reason()
HAVE_GPU = GPU_UNAVAILABLE is None
REQUIRE_GPU = os.environ.get("MXLITE_REQUIRE_GPU") == "1"


def _compiled_kernels_at_every_size():
    """The compiled CPU kernels (``mxlite/ops/*_cpu.py``) leave small or channel-last arrays to
    the NumPy path for speed only; tests run them at every size, so the op database's small cases
    check them against the float64 references too (test_cpu_kernels.py checks them against the
    NumPy path)."""
    from mxlite.ops import batch_norm_cpu, optimizer_cpu, pool_cpu
    batch_norm_cpu.MIN_SIZE = batch_norm_cpu.MIN_INNER = optimizer_cpu.MIN_SIZE = 0
    pool_cpu.MIN_SIZE = 0


def pytest_sessionstart(session):
    _compiled_kernels_at_every_size()
    if REQUIRE_GPU and not HAVE_GPU:
        pytest.exit(f"MXLITE_REQUIRE_GPU=1 but no usable CUDA device/CuPy: {GPU_UNAVAILABLE}",
                    returncode=1)


def pytest_collection_modifyitems(config, items):
    # long-running tests (the fuzz suite's long profile) run only when asked for: -m slow
    if "slow" not in (config.getoption("markexpr") or ""):
        skip_slow = pytest.mark.skip(reason="slow: run with -m slow")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip_slow)
    if HAVE_GPU:
        return
    skip = pytest.mark.skip(reason=f"no CUDA device / CuPy available ({GPU_UNAVAILABLE})")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_names():
    """Each test starts with fresh auto-name counters, like a new MXNet process."""
    import mxlite as mx
    with mx.name.NameManager():
        yield
