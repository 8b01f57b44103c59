"""GPU paths of the distributed stores: 'nccl' (one process's GPUs) and 'dist_device_sync'
(NCCL across processes). Marked gpu: skipped without a CUDA device; the multi-GPU cases also need
cupy.cuda.nccl and two devices."""
import os

import numpy as np
import pytest

import mxlite as mx
from dist_util import SCRIPTS, launch, needs_mpi

pytestmark = pytest.mark.gpu


def _gpu_count():
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def _nccl_ready(min_gpus):
    try:
        from cupy.cuda import nccl
        if not hasattr(nccl, "NcclCommunicator"):
            return False
    except ImportError:
        return False
    return _gpu_count() >= min_gpus


def test_nccl_store_push_pull_one_gpu():
    kv = mx.kv.create("nccl")
    kv.init(3, mx.nd.ones((4, 5), ctx=mx.gpu(0)))
    kv.push(3, mx.nd.full((4, 5), 2.0, ctx=mx.gpu(0)))
    out = mx.nd.zeros((4, 5), ctx=mx.gpu(0))
    kv.pull(3, out)
    np.testing.assert_array_equal(out.asnumpy(), np.full((4, 5), 2.0))


def test_nccl_store_sums_gpus():
    if not _nccl_ready(2):
        pytest.skip("needs cupy.cuda.nccl and two GPUs")
    kv = mx.kv.create("nccl")
    kv.init(3, mx.nd.zeros((64,), ctx=mx.gpu(0)))
    kv.push(3, [mx.nd.full((64,), i + 1.0, ctx=mx.gpu(i)) for i in range(2)])
    outs = [mx.nd.zeros((64,), ctx=mx.gpu(i)) for i in range(2)]
    kv.pull(3, outs)
    for o in outs:
        np.testing.assert_array_equal(o.asnumpy(), np.full(64, 3.0))


def test_dist_device_sync_one_process_gpu():
    kv = mx.kv.create("dist_device_sync")
    kv.init("w", mx.nd.ones((8,), ctx=mx.gpu(0)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.5))
    kv.push("w", mx.nd.ones((8,), ctx=mx.gpu(0)))
    out = mx.nd.zeros((8,), ctx=mx.gpu(0))
    kv.pull("w", out)
    np.testing.assert_allclose(out.asnumpy(), np.full(8, 0.5))


@needs_mpi
def test_dist_device_sync_nccl_two_processes(tmp_path):
    if not _nccl_ready(2):
        pytest.skip("needs cupy.cuda.nccl and two GPUs")
    code = ("import mxlite as mx, numpy as np; kv = mx.kv.create('dist_device_sync'); "
            "ctx = mx.gpu(kv.rank); kv.init('w', mx.nd.zeros((1000,), ctx=ctx)); "
            "kv.push('w', mx.nd.full((1000,), kv.rank + 1.0, ctx=ctx)); "
            "o = mx.nd.zeros((1000,), ctx=ctx); kv.pull('w', o); "
            "assert kv._nccl, 'NCCL not used'; "
            "assert (o.asnumpy() == 3).all(), o; print('ok', kv.rank)")
    rc, out, _ = launch(2, ["-c", code])
    assert rc == 0 and "ok 0" in out and "ok 1" in out, out
    assert os.path.isdir(SCRIPTS)
