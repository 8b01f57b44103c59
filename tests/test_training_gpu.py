"""The training layer on gpu(0): the same numbers as on the CPU (update ops, optimizers,
iterators, Module.fit against MXNet's CPU trajectory)."""
import numpy as np
import pytest

import mxlite as mx
from training_golden import dec, load, nd, tol

pytestmark = pytest.mark.gpu
UPDATE = load("update_ops")
FIT = load("fit")


@pytest.mark.parametrize("case_id", ["sgd_mom-all", "mp_sgd_mom-all", "adam-all",
                                     "rmspropalex-all", "nag_mom-all", "ftml-all"])
def test_update_op_on_gpu_matches_mxnet(case_id):
    case = UPDATE[case_id]
    ctx = mx.gpu(0)
    arrays = {n: nd(r, ctx) for n, r in case["init"].items()}
    fn = getattr(mx.nd, case["op"])
    for step, (g, want) in enumerate(zip(case["grads"], case["steps"]), 1):
        arrays["grad"] = nd(g, ctx)
        p = dict(case["params"], t=step) if case["op"] == "ftml_update" else case["params"]
        fn(*[arrays[n] for n in case["inputs"]], out=arrays["weight"], **p)
        for n, rec in want.items():
            if n != "out":
                np.testing.assert_allclose(arrays[n].asnumpy().astype(np.float64), dec(rec),
                                           **tol(rec["dtype"]))


def test_optimizer_updater_on_gpu():
    ctx = mx.gpu(0)
    for name in ("sgd", "adam", "rmsprop", "adagrad", "nadam", "lamb"):
        w_cpu, w_gpu = mx.nd.ones((3, 4)), mx.nd.ones((3, 4), ctx=ctx)
        up_cpu = mx.optimizer.get_updater(mx.optimizer.create(name, learning_rate=0.1))
        up_gpu = mx.optimizer.get_updater(mx.optimizer.create(name, learning_rate=0.1))
        for k in range(3):
            g = np.full((3, 4), 0.5 + k, np.float32)
            up_cpu(0, mx.nd.array(g), w_cpu)
            up_gpu(0, mx.nd.array(g, ctx=ctx), w_gpu)
        np.testing.assert_allclose(w_gpu.asnumpy(), w_cpu.asnumpy(), rtol=1e-5, atol=1e-6)
        assert w_gpu.context == ctx


def test_fit_on_gpu_matches_mxnet_cpu():
    case = FIT["mlp-sgd-momentum"]
    ctx = mx.gpu(0)
    sym = mx.sym.load_json(case["symbol"])
    x, y = dec(case["x"]), dec(case["y"]["softmax_label"])
    mod = mx.mod.Module(sym, context=ctx)
    params = []
    mod.fit(mx.io.NDArrayIter(x, y, 10), num_epoch=len(case["epochs"]),
            arg_params={k: mx.nd.array(dec(v)) for k, v in case["init_arg"].items()},
            optimizer_params=case["optimizer_params"],
            epoch_end_callback=lambda e, s, a, aux: params.append({k: v.asnumpy()
                                                                   for k, v in a.items()}))
    for got, want in zip(params, case["epochs"]):
        for k, rec in want["arg"].items():
            np.testing.assert_allclose(got[k], dec(rec), rtol=2e-4, atol=2e-5)


def test_ndarrayiter_and_kvstore_on_gpu():
    ctx = mx.gpu(0)
    it = mx.io.NDArrayIter(mx.nd.arange(10, ctx=ctx).reshape((10, 1)), batch_size=4)
    batches = list(it)
    assert batches[-1].pad == 2 and batches[0].data[0].context == ctx
    kv = mx.kv.create("device")
    kv.init(0, mx.nd.zeros((2,), ctx=ctx))
    kv.push(0, [mx.nd.ones((2,), ctx=ctx), mx.nd.ones((2,), ctx=ctx)])
    out = mx.nd.zeros((2,), ctx=ctx)
    kv.pull(0, out=out)
    np.testing.assert_array_equal(out.asnumpy(), 2)


def test_fit_on_two_gpus_matches_mxnet_two_cpus():
    import cupy
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two GPUs")
    case = FIT["mlp-two-contexts"]
    sym = mx.sym.load_json(case["symbol"])
    x, y = dec(case["x"]), dec(case["y"]["softmax_label"])
    mod = mx.mod.Module(sym, context=[mx.gpu(0), mx.gpu(1)], work_load_list=[1, 2])
    params = []
    mod.fit(mx.io.NDArrayIter(x, y, 10), num_epoch=len(case["epochs"]), kvstore="device",
            arg_params={k: mx.nd.array(dec(v)) for k, v in case["init_arg"].items()},
            optimizer_params=case["optimizer_params"],
            epoch_end_callback=lambda e, s, a, aux: params.append({k: v.asnumpy()
                                                                   for k, v in a.items()}))
    for got, want in zip(params, case["epochs"]):
        for k, rec in want["arg"].items():
            np.testing.assert_allclose(got[k], dec(rec), rtol=2e-4, atol=2e-5)
