"""Communication cost of kvstore 'dist_sync' between local processes, against the α-β model.

    python bench/bench_dist.py [-n 2] [--steps 20]

Starts itself as an MPI job of ``-n`` workers on this machine (``python -m mxlite.launch``) and
measures, over the loopback transport:

1. the allreduce time of float32 buffers from 4 KiB to 64 MiB, fitted to ``t = α + β·B`` where
   ``B = 2 (p-1)/p · bytes`` is what each worker sends in a ring allreduce (so 1/β is the
   bandwidth the allreduce achieves);
2. per training step of the MLP (784-512-512-10) and ResNet-18 (CIFAR-style stem, 10 classes),
   the time of pushing every gradient and pulling every weight through 'dist_sync', with the
   default one allreduce per parameter, and with 1 MiB and 25 MiB buckets
   (``MXLITE_KVSTORE_BUCKET_BYTES``), against the model ``buckets·α + β·B``;
3. the compute (forward + backward) of one step of each model in one process, for the
   overhead ratio and for what overlapping communication with backward would save at best
   (``max(compute, comm)`` instead of ``compute + comm``).

Writes bench/results/<date>-cpu-dist.json and, with matplotlib, the PNG beside it.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

SIZES = [4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]


def _median(fn, repeat, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _models(mx):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from symbols import resnet
    data = mx.sym.Variable("data")
    x = data
    for i, h in enumerate((512, 512, 10)):
        x = mx.sym.FullyConnected(x, num_hidden=h, name=f"fc{i}")
        if i < 2:
            x = mx.sym.Activation(x, act_type="relu")
    mlp = mx.sym.SoftmaxOutput(x, name="softmax")
    return {"mlp": (mlp, (256, 784)),
            "resnet18": (resnet.get_symbol(10, 18, "3,32,32"), (8, 3, 32, 32))}


def _grad_shapes(sym, shape):
    arg_shapes, _, _ = sym.infer_shape(data=shape)
    return [(n, s) for n, s in zip(sym.list_arguments(), arg_shapes)
            if n not in ("data", "softmax_label")]


def _compute_step(mx, sym, shape, repeat):
    import numpy as np
    ex = sym.simple_bind(mx.cpu(), data=shape)
    rng = np.random.default_rng(0)
    for name, arr in ex.arg_dict.items():
        if name.endswith("label"):
            arr[:] = rng.integers(0, 10, arr.shape)
        else:
            arr[:] = rng.standard_normal(arr.shape).astype(np.float32) * 0.1

    def step():
        ex.forward(is_train=True)
        ex.backward()
        for g in ex.grad_arrays:
            if g is not None:
                g.wait_to_read()
    return _median(step, repeat, warmup=1)


def worker(args):
    import numpy as np

    import mxlite as mx
    from mxlite.kvstore.mpi import get_group
    group = get_group()
    p = group.size
    result = {"workers": p, "allreduce": [], "models": {},
              "load_average_at_start": os.getloadavg()}
    # 1. allreduce time against size
    for nbytes in SIZES:
        buf = np.ones(nbytes // 4, np.float32)
        group.barrier()
        t = _median(lambda: group.allreduce(buf), repeat=max(3, min(50, (64 << 20) // nbytes // 4)))
        result["allreduce"].append({"bytes": nbytes, "seconds": t})
    x = np.array([2 * (p - 1) / p * r["bytes"] for r in result["allreduce"]])
    y = np.array([r["seconds"] for r in result["allreduce"]])
    beta, alpha = np.polyfit(x, y, 1)
    alpha = max(alpha, float(y[0]) / 2)   # the fit's intercept is noisy; bounded by the smallest
    result["alpha_s"], result["beta_s_per_byte"] = float(alpha), float(beta)
    result["allreduce_bandwidth_GBps"] = float(1 / beta / 1e9)
    # 2. per-step push/pull of every gradient through dist_sync
    models = _models(mx)
    for name, (sym, shape) in models.items():
        grads = _grad_shapes(sym, shape)
        nbytes = sum(int(np.prod(s)) * 4 for _, s in grads)
        entry = {"parameters": len(grads), "gradient_bytes": nbytes,
                 "allreduce_bytes_per_worker": 2 * (p - 1) / p * nbytes}
        for label, bucket in (("per_parameter", 0), ("bucketed_1MiB", 1 << 20),
                              ("bucketed_25MiB", 25 << 20)):
            kv = mx.kv.create("dist_sync")
            kv._bucket_bytes = bucket
            vals = {n: mx.nd.ones(s) for n, s in grads}
            for n, v in vals.items():
                kv.init(n, v)

            def step():
                for n, v in vals.items():
                    kv.push(n, v)
                for n, v in vals.items():
                    kv.pull(n, out=v)
            group.barrier()
            t = _median(step, repeat=args.steps)
            buckets = len(grads) if bucket == 0 else _bucket_count(grads, bucket)
            entry[label] = {"seconds": t, "allreduces": buckets,
                            "model_seconds": buckets * alpha + beta * entry[
                                "allreduce_bytes_per_worker"]}
        result["models"][name] = entry
    # 3. compute per step (rank 0 alone; the others wait in the barrier, asleep)
    if group.rank == 0:
        for name, (sym, shape) in models.items():
            c = _compute_step(mx, sym, shape, repeat=3 if name == "resnet18" else 10)
            entry = result["models"][name]
            comm = entry["per_parameter"]["seconds"]     # the default
            entry["batch_shape"] = list(shape)
            entry["compute_seconds"] = c
            entry["comm_over_compute"] = comm / c
            entry["step_no_overlap_s"] = c + comm
            entry["step_full_overlap_s"] = max(c, comm)
    group.barrier()
    if group.rank == 0:
        result["load_average_at_end"] = os.getloadavg()
        _write(result)


def _bucket_count(grads, bucket):
    """Allreduces per step (DistKVStore._add_to_bucket's policy)."""
    import numpy as np
    count, filled = 0, 0
    for _, s in grads:
        nbytes = int(np.prod(s)) * 4
        if filled and filled + nbytes > bucket:
            count, filled = count + 1, 0
        filled += nbytes
        if filled >= bucket:
            count, filled = count + 1, 0
    return count + (1 if filled else 0)


def _write(result):
    from common import machine, write_results
    result["machine"] = machine()
    result["transport"] = "MPICH (pip wheel) over loopback, processes on one machine"
    path = write_results("dist", "cpu", result)
    print(path)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    xs = [r["bytes"] for r in result["allreduce"]]
    a1.loglog(xs, [r["seconds"] for r in result["allreduce"]], "o-", label="measured")
    p = result["workers"]
    a1.loglog(xs, [result["alpha_s"] + result["beta_s_per_byte"] * 2 * (p - 1) / p * b
                   for b in xs], "--", label="α + β·2(p-1)/p·bytes")
    a1.set_xlabel("allreduce bytes")
    a1.set_ylabel("seconds")
    a1.set_title(f"allreduce, {p} local processes")
    a1.legend()
    names = list(result["models"])
    width = 0.2
    a2.set_yscale("log")
    for i, (key, label) in enumerate((("per_parameter", "one per parameter (default)"),
                                      ("bucketed_25MiB", "25 MiB buckets"))):
        a2.bar([j + i * 2 * width for j in range(len(names))],
               [result["models"][n][key]["seconds"] * 1e3 for n in names], width, label=label)
        a2.bar([j + i * 2 * width + width for j in range(len(names))],
               [result["models"][n][key]["model_seconds"] * 1e3 for n in names], width,
               label=label + " (model)", alpha=0.5)
    a2.bar([j + 4 * width for j in range(len(names))],
           [result["models"][n]["bucketed_1MiB"]["seconds"] * 1e3 for n in names], width,
           label="1 MiB buckets")
    a2.set_xticks([j + 2 * width for j in range(len(names))])
    a2.set_xticklabels(names)
    a2.set_ylabel("ms per step (push + pull of all gradients)")
    a2.set_title("dist_sync communication per step")
    a2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path[:-5] + ".png", dpi=100)
    print(path[:-5] + ".png")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.call([sys.executable, "-m", "mxlite.launch", "-n", str(args.n),
                            sys.executable, os.path.abspath(__file__), "--worker",
                            "--steps", str(args.steps)], env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
