"""A worker of the distributed tests: Module.fit of a small MLP on a shard of fixed data.

    fit_mlp.py OUT_DIR KVSTORE MODE [NUM_EPOCH]

MODE: 'trajectory' (record the parameters after every batch), 'converge' (train, then score
the whole data set), 'kill' (rank 1 kills itself with SIGKILL mid-epoch), 'raise' (rank 1
raises), 'hang' (rank 1 stops answering).
Each worker writes OUT_DIR/rank<r>.npz. Run alone it is a job of one worker.
"""
import os
import signal
import sys

import numpy as np

import mxlite as mx

N, FEATURES, CLASSES, BATCH = 48, 10, 3, 4


def data():
    rng = np.random.RandomState(0)
    x = rng.randn(N, FEATURES).astype(np.float32)
    w = rng.randn(FEATURES, CLASSES).astype(np.float32)
    return x, np.argmax(x @ w, axis=1).astype(np.float32)


def network():
    net = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(net, num_hidden=16, name="fc1")
    net = mx.sym.Activation(net, act_type="tanh")
    net = mx.sym.FullyConnected(net, num_hidden=CLASSES, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def initial_params():
    rng = np.random.RandomState(1)
    shapes = {"fc1_weight": (16, FEATURES), "fc1_bias": (16,), "fc2_weight": (CLASSES, 16),
              "fc2_bias": (CLASSES,)}
    return {k: mx.nd.array(rng.uniform(-0.5, 0.5, s).astype(np.float32))
            for k, s in shapes.items()}


def main():
    out_dir, kvstore, mode = sys.argv[1:4]
    num_epoch = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    kv = mx.kv.create(kvstore)
    x, y = data()
    it = mx.io.NDArrayIter(x, y, batch_size=BATCH, num_parts=kv.num_workers,
                           part_index=kv.rank)
    devices = int(os.environ.get("FIT_MLP_DEVICES", "1"))     # contexts per worker
    mod = mx.mod.Module(network(), context=[mx.cpu(i) for i in range(devices)])
    trajectory = []

    def on_batch(param):
        if mode == "trajectory":
            args, _ = mod.get_params()
            trajectory.append(np.concatenate([args[k].asnumpy().ravel() for k in sorted(args)]))
        if param.epoch == 0 and param.nbatch == 2 and kv.rank == 1:
            if mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "raise":
                raise ValueError("worker 1 gives up on purpose")
            if mode == "hang":
                import time
                time.sleep(600)

    optimizer_params = {"learning_rate": 0.5, "momentum": 0.9, "wd": 1e-4}
    if kvstore == "dist_async":
        # stale gradients and heavy momentum do not mix: plain SGD
        optimizer_params = {"learning_rate": 0.3}
    # a prefix per rank: only rank 0's checkpoints may appear
    prefix = os.path.join(out_dir, f"ckpt-r{kv.rank}")
    mod.fit(it, kvstore=kv, optimizer="sgd", optimizer_params=optimizer_params,
            arg_params=initial_params(), num_epoch=num_epoch, batch_end_callback=on_batch,
            epoch_end_callback=mx.callback.do_checkpoint(prefix))
    mod.save_checkpoint(prefix + "-mod", num_epoch, save_optimizer_states=True)
    score = mod.score(mx.io.NDArrayIter(x, y, batch_size=BATCH), "acc")[0][1]
    np.savez(os.path.join(out_dir, f"rank{kv.rank}.npz"), trajectory=np.array(trajectory),
             score=score, num_workers=kv.num_workers)


if __name__ == "__main__":
    main()
