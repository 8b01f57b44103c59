"""Module.fit across processes: dist_sync equals one process on the combined batch; dist_async
converges; the launcher runs a script unchanged with one worker."""
import os
import sys

import numpy as np
import pytest

import mxlite as mx
from dist_util import SCRIPTS, launch, needs_mpi

sys.path.insert(0, SCRIPTS)
import fit_mlp  # noqa: E402

SCRIPT = os.path.join(SCRIPTS, "fit_mlp.py")


def single_process_trajectory(num_workers, num_epoch=2):
    """One process, batch BATCH * num_workers, samples in the order the workers' shards make
    their combined batches (shard r is the r-th contiguous part; batch i takes batch i of each)."""
    x, y = fit_mlp.data()
    part = fit_mlp.N // num_workers
    nb = part // fit_mlp.BATCH
    order = [r * part + i * fit_mlp.BATCH + j for i in range(nb) for r in range(num_workers)
             for j in range(fit_mlp.BATCH)]
    it = mx.io.NDArrayIter(x[order], y[order], batch_size=fit_mlp.BATCH * num_workers)
    mod = mx.mod.Module(fit_mlp.network(), context=mx.cpu())
    trajectory = []

    def on_batch(param):
        args, _ = mod.get_params()
        trajectory.append(np.concatenate([args[k].asnumpy().ravel() for k in sorted(args)]))

    mod.fit(it, kvstore="local", optimizer="sgd",
            optimizer_params={"learning_rate": 0.5, "momentum": 0.9, "wd": 1e-4},
            arg_params=fit_mlp.initial_params(), num_epoch=num_epoch, batch_end_callback=on_batch)
    return np.array(trajectory)


@needs_mpi
@pytest.mark.parametrize("num_workers, kvstore, devices", [
    (2, "dist_sync", 1), (3, "dist_sync", 1), (2, "dist_device_sync", 2)])
def test_dist_sync_fit_matches_single_process(num_workers, kvstore, devices, tmp_path):
    """Each worker may also split its batch over several contexts (summed before the
    allreduce); the trajectory is still the one of a single process on the combined batch."""
    rc, out, _ = launch(num_workers, [SCRIPT, str(tmp_path), kvstore, "trajectory"],
                        env={"FIT_MLP_DEVICES": str(devices)})
    assert rc == 0, out
    expected = single_process_trajectory(num_workers)
    for r in range(num_workers):
        got = np.load(tmp_path / f"rank{r}.npz")["trajectory"]
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5,
                                   err_msg=f"rank {r} of {num_workers}")
    written = sorted(f for f in os.listdir(tmp_path) if f.startswith("ckpt"))
    assert written == ["ckpt-r0-0001.params", "ckpt-r0-0002.params", "ckpt-r0-mod-0002.params",
                       "ckpt-r0-mod-0002.states", "ckpt-r0-mod-symbol.json",
                       "ckpt-r0-symbol.json"], written


@needs_mpi
def test_dist_async_converges(tmp_path):
    rc, out, _ = launch(2, [SCRIPT, str(tmp_path), "dist_async", "converge", "15"])
    assert rc == 0, out
    x, y = fit_mlp.data()
    mod = mx.mod.Module(fit_mlp.network(), context=mx.cpu())
    it = mx.io.NDArrayIter(x, y, batch_size=fit_mlp.BATCH)
    mod.bind(it.provide_data, it.provide_label, for_training=False)
    mod.set_params(fit_mlp.initial_params(), {})
    before = mod.score(it, "acc")[0][1]
    for r in range(2):
        after = float(np.load(tmp_path / f"rank{r}.npz")["score"])
        assert after >= 0.8 and after > before + 0.3, (before, after, out)


@needs_mpi
def test_dist_async_barrier_and_states(tmp_path):
    """After a barrier every push is applied: all workers pull the same weights and save rank 0's
    states (the updater is sent to the server before a worker's first push)."""
    import json
    rc, out, _ = launch(3, [os.path.join(SCRIPTS, "kv_async.py"), str(tmp_path)])
    assert rc == 0, out
    w, v = 1.0, 0.0
    for _ in range(9):                       # 3 workers x 3 pushes of ones, momentum SGD
        v = 0.9 * v - 0.1
        w += v
    for r in range(3):
        got = json.load(open(tmp_path / f"rank{r}.json"))["w"]
        np.testing.assert_allclose(got, [w] * 3, rtol=1e-5)
    states = [(tmp_path / f"states{r}").read_bytes() for r in range(3)]
    assert states[1] == states[0] and states[2] == states[0]


def test_dist_sync_one_process_without_launcher(tmp_path, monkeypatch):
    """The same script, run alone, is a job of one worker (no MPI needed)."""
    import subprocess
    env = dict(os.environ, MXLITE_DIST_BACKEND="single",
               PYTHONPATH=os.path.dirname(SCRIPTS) + "/..")
    proc = subprocess.run([sys.executable, SCRIPT, str(tmp_path), "dist_sync", "trajectory"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = np.load(tmp_path / "rank0.npz")["trajectory"]
    np.testing.assert_allclose(got, single_process_trajectory(1), rtol=1e-5, atol=1e-6)


def test_ndarrayiter_parts():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    parts = [mx.io.NDArrayIter(x, np.arange(10), batch_size=5, num_parts=2, part_index=r)
             for r in range(2)]
    got = [b.data[0].asnumpy() for it in parts for b in it]
    np.testing.assert_array_equal(np.concatenate(got), x)
    with pytest.raises(ValueError, match="part_index"):
        mx.io.NDArrayIter(x, batch_size=2, num_parts=2, part_index=2)
