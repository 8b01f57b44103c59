"""The KVStore API across processes, 2-bit compression against MXNet 1.9.1, the launcher's
command line."""
import json
import os

import numpy as np
import pytest

import mxlite as mx
from dist_util import ROOT, SCRIPTS, launch, needs_mpi
from mxlite.base import MXNetError
from mxlite.kvstore.compression import GradientCompression

GOLDEN = os.path.join(ROOT, "tests", "golden", "kvstore", "compression.json")


def golden():
    with open(GOLDEN) as f:
        return json.load(f)


@pytest.mark.parametrize("name", ["one_device", "two_devices", "sgd_on_store", "random_37"])
def test_compression_matches_mxnet_device_store(name):
    case = golden()["cases"][name]
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": case["threshold"]})
    n = len(case["init"])
    kv.init(7, mx.nd.array(case["init"]))
    if case.get("sgd"):
        kv.set_optimizer(mx.optimizer.SGD(learning_rate=case["sgd"], rescale_grad=1.0))
    for step, expected in zip(case["pushes"], case["pulled"]):
        kv.push(7, [mx.nd.array(v, ctx=mx.cpu(i)) for i, v in enumerate(step)])
        out = mx.nd.zeros((n,))
        kv.pull(7, out)
        np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6, atol=1e-7)


def test_compression_errors_as_mxnet():
    errors = golden()["errors"]
    with pytest.raises(MXNetError, match="Unknown type for gradient compression 1bit"):
        mx.kv.create("device").set_gradient_compression({"type": "1bit", "threshold": 0.5})
    with pytest.raises(MXNetError, match=errors["local"]):
        mx.kv.create("local").set_gradient_compression({"type": "2bit", "threshold": 0.5})


def test_2bit_packing_layout():
    """16 values a float32 word, the first value in the top two bits (11 = +t, 10 = -t)."""
    gc = GradientCompression({"type": "2bit", "threshold": 1.0})
    packed = gc.quantize("k", np.array([1, -1, 0, 1, 0.5] + [0] * 12, np.float32))
    assert packed.dtype == np.uint8 and packed.size == 8          # 17 values -> 2 words
    assert packed[0] == 0b11100011 and packed[1] == 0
    back = gc.dequantize(packed, 17)
    np.testing.assert_array_equal(back[:5], [1, -1, 0, 1, 0])
    np.testing.assert_array_equal(gc._residual["k"][:5], [0, 0, 0, 0, 0.5])


@needs_mpi
@pytest.mark.parametrize("bucket_bytes", ["0", "1048576"])
def test_kvstore_api_two_workers(bucket_bytes, tmp_path):
    rc, out, _ = launch(2, [os.path.join(SCRIPTS, "kv_api.py"), str(tmp_path), GOLDEN],
                        env={"MXLITE_KVSTORE_BUCKET_BYTES": bucket_bytes})
    assert rc == 0, out
    case = golden()["cases"]["two_devices"]
    seen = [json.load(open(tmp_path / f"rank{r}.json")) for r in range(2)]
    for r, s in enumerate(seen):
        assert (s["rank"], s["num_workers"], s["type"]) == (r, 2, "dist_sync")
        assert s["init_pull"] == [[[1.0] * 3] * 2] * 2                 # rank 0's value
        assert s["push_sum"] == [[3.0] * 3] * 2                         # (0+1) + (1+1)
        assert s["pushpull"] == [3.0] * 4
        assert s["broadcast"] == [7.0] * 3
        # momentum SGD on the mean gradient (0.5, 1.5, 2.5): v = 0.9 v - 0.1 g, w += v
        v = w = 0.0
        for g in (0.5, 1.5, 2.5):
            v = 0.9 * v - 0.1 * g
            w += v
        np.testing.assert_allclose(s["sgd"], [w] * 3, rtol=1e-6)
        v = 0.9 * v - 0.1 * 1.0
        np.testing.assert_allclose(s["sgd_after_reload"], [w + v] * 3, rtol=1e-6)
        np.testing.assert_allclose(s["compressed"], case["pulled"], rtol=1e-6)
        assert s["metric"] == 0.75


def test_one_process_store_without_mpi(monkeypatch):
    """Without a launcher a dist store is a job of one worker."""
    kv = mx.kv.create("dist_sync")
    assert (kv.rank, kv.num_workers) == (0, 1)
    kv.init("w", mx.nd.ones((2,)))
    kv.pushpull("w", mx.nd.full((2,), 3.0), out=mx.nd.zeros((2,)))
    out = mx.nd.zeros((2,))
    kv.pull("w", out)
    np.testing.assert_array_equal(out.asnumpy(), [3, 3])
    kv.barrier()
    kv._barrier_before_exit()
    for name in ("dist", "dist_device_sync", "dist_sync_device", "dist_async_device"):
        store = mx.kv.create(name)
        assert store.type == name and store._async == ("async" in name)
    kva = mx.kv.create("dist_async")
    kva.init("w", mx.nd.ones((2,)))
    with pytest.raises(MXNetError, match="set_optimizer"):
        kva.push("w", mx.nd.ones((2,)))


def test_launcher_command_line(monkeypatch):
    from mxlite import launch as launcher
    monkeypatch.setattr(launcher, "_flavor", lambda exe: "hydra")
    cmd = launcher.mpiexec_command(4, ["python", "train.py"], hostfile="hosts",
                                   env={"MXLITE_DIST_TIMEOUT": "30"}, mpiexec="/x/mpiexec")
    assert cmd[:5] == ["/x/mpiexec", "-n", "4", "-f", "hosts"]
    assert ["-genv", "MXLITE_DIST_TIMEOUT", "30"] == cmd[5:8]
    assert cmd[-2:] == ["python", "train.py"]
    monkeypatch.setattr(launcher, "_flavor", lambda exe: "openmpi")
    cmd = launcher.mpiexec_command(2, ["python", "t.py"], env={}, mpiexec="mpirun")
    assert "--oversubscribe" in cmd and "-x" in cmd


@needs_mpi
def test_launcher_one_worker_runs_script_unchanged(tmp_path):
    rc, out, _ = launch(1, ["-c", "import mxlite as mx; kv = mx.kv.create('dist_sync'); "
                                  "print('workers', kv.num_workers, 'rank', kv.rank)"])
    assert rc == 0 and "workers 1 rank 0" in out, out
