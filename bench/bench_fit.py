"""Training-layer benchmark: ``Module.fit`` throughput and the optimizer's per-update cost.

1. ``Module.fit`` samples/s on the examples' networks (the digits MLP and LeNet) and an
   MNIST-sized MLP, for mxlite and, in the same run, the real MXNet 1.9.1 (a child process under
   env MXNET_PYTHON or ../mxnet-venv). Each figure is the best of a few timed epochs after a warm-up
   epoch; the iterator, metric (accuracy) and optimizer (SGD with momentum) are the same.
2. One optimizer update of a 25M-parameter weight (median of repeated calls, interleaved): mxlite's
   Updater (SGD momentum, Adam), a hand-written NumPy in-place SGD-momentum update, and MXNet's
   Updater.

Writes bench/results/<date>-<device>-fit.json and .png. ``--threads N`` pins both
implementations to N BLAS/OpenMP threads (set before NumPy or MXNet load): on a shared or loaded
machine OpenBLAS's spinning threads can slow NumPy many times over, so the JSON records the load
average next to the figures.

    python bench/bench_fit.py [--quick] [--threads N]
"""
import argparse
import json
import logging
import os
import statistics
import sys
import time
import warnings

if "--threads" in sys.argv:  # must precede the NumPy / MXNet import
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, run_with_mxnet, write_results  # noqa: E402

# name -> (network, input shape per sample, samples, batch size)
FIT_CASES = {"mlp-digits": ("mlp_digits", (64,), 1536, 64),
             "lenet-digits": ("lenet_digits", (1, 8, 8), 1536, 64),
             "mlp-mnist": ("mlp_mnist", (784,), 6144, 128)}
UPDATE_SIZE = 25_000_000


def build(mx, name):
    data = mx.sym.Variable("data")
    if name.startswith("mlp"):
        hidden = (128, 64) if name == "mlp_digits" else (512, 512)
        net = data
        for i, h in enumerate(hidden):
            net = mx.sym.FullyConnected(net, num_hidden=h, name=f"fc{i + 1}")
            net = mx.sym.Activation(net, act_type="relu", name=f"relu{i + 1}")
        net = mx.sym.FullyConnected(net, num_hidden=10, name="fc_out")
    else:
        net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=20, name="conv1")
        net = mx.sym.Activation(net, act_type="tanh")
        net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2))
        net = mx.sym.Convolution(net, kernel=(2, 2), num_filter=50, name="conv2")
        net = mx.sym.Activation(net, act_type="tanh")
        net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2))
        net = mx.sym.FullyConnected(mx.sym.Flatten(net), num_hidden=128, name="fc1")
        net = mx.sym.Activation(net, act_type="tanh")
        net = mx.sym.FullyConnected(net, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def fit_throughput(mx, case, epochs):
    """Best samples/s of one ``fit`` epoch, after a warm-up epoch that binds and initialises."""
    net, shape, n, batch = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n,) + shape).astype(np.float32)
    y = rng.integers(0, 10, n).astype(np.float32)
    it = mx.io.NDArrayIter(x, y, batch)
    mod = mx.mod.Module(build(mx, net), context=mx.cpu())
    kw = dict(optimizer="sgd", optimizer_params={"learning_rate": 0.01, "momentum": 0.9},
              eval_metric="acc")
    mod.fit(it, num_epoch=1, initializer=mx.init.Xavier(), **kw)
    best = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        mod.fit(it, begin_epoch=epoch, num_epoch=epoch + 1, **kw)
        best = max(best, n / (time.perf_counter() - start))
    return best


def update_times(mx, impl, repeat):
    """Median ms of one optimizer update of a 25M-element weight."""
    rng = np.random.default_rng(0)
    w = mx.nd.array(rng.standard_normal(UPDATE_SIZE).astype(np.float32))
    g = mx.nd.array(rng.standard_normal(UPDATE_SIZE).astype(np.float32) * 1e-3)
    runs = {"sgd_momentum": mx.optimizer.get_updater(
        mx.optimizer.SGD(learning_rate=0.01, momentum=0.9)),
        "adam": mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=0.001))}
    fns = {name: (lambda u=u: (u(0, g, w), w.wait_to_read())) for name, u in runs.items()}
    if impl == "mxlite":
        ww, gg = w.asnumpy(), g.asnumpy()
        mom = np.zeros_like(ww)

        def hand():
            mom.__imul__(0.9)
            mom.__isub__(0.01 * gg)
            ww.__iadd__(mom)
        fns["numpy_hand_sgd_momentum"] = hand
    times = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeat):  # interleaved, so machine noise hits every variant alike
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def measure(impl, quick):
    if impl == "mxnet":
        import mxnet as mx
    else:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import mxlite as mx
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    epochs = 2 if quick else 4
    out = {"fit_samples_per_s": {name: fit_throughput(mx, case, epochs)
                                 for name, case in FIT_CASES.items()},
           "update_ms": update_times(mx, impl, 5 if quick else 15)}
    return out


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    names = list(FIT_CASES)
    impls = [k for k in ("mxlite", "mxnet") if results.get(k)]
    width = 0.8 / len(impls)
    for i, impl in enumerate(impls):
        a.bar([k + i * width for k in range(len(names))],
              [results[impl]["fit_samples_per_s"][n] for n in names], width, label=impl)
    a.set_xticks([k + width * (len(impls) - 1) / 2 for k in range(len(names))], names)
    a.set_ylabel("Module.fit samples/s (higher is better)")
    a.legend()
    names = {"sgd_momentum": "SGD momentum", "adam": "Adam",
             "numpy_hand_sgd_momentum": "hand NumPy SGD momentum"}
    bars = {(names[k] if k.startswith("numpy") else f"mxlite {names[k]}"): v
            for k, v in results["mxlite"]["update_ms"].items()}
    if results.get("mxnet"):
        bars.update({f"MXNet {names[k]}": v for k, v in results["mxnet"]["update_ms"].items()})
    b.barh(list(bars), list(bars.values()))
    b.set_xlabel("ms per update, 25M parameters (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=("mxlite", "mxnet"), default="mxlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads of both implementations")
    args = parser.parse_args()
    extra = (["--quick"] if args.quick else []) + \
        (["--threads", str(args.threads)] if args.threads else [])
    if args.impl == "mxnet":
        print(json.dumps(measure("mxnet", args.quick)))
        return
    results = {"mxlite": measure("mxlite", args.quick)}
    results["mxnet"] = run_with_mxnet(os.path.abspath(__file__), extra)
    ratios = {}
    if results["mxnet"]:
        ratios["fit_mxlite_over_mxnet"] = {
            k: results["mxlite"]["fit_samples_per_s"][k] / results["mxnet"]["fit_samples_per_s"][k]
            for k in FIT_CASES}
    upd = results["mxlite"]["update_ms"]
    ratios["sgd_update_over_numpy_hand"] = upd["sgd_momentum"] / upd["numpy_hand_sgd_momentum"]
    payload = {"machine": machine(), "results": results, "ratios": ratios,
               "threads": args.threads, "load_average": os.getloadavg(),
               "units": {"fit": "samples/s (best epoch)", "update": "ms (median)"},
               "goals": {"fit_mxlite_over_mxnet": ">= 1", "sgd_update_over_numpy_hand": "<= 1.2"}}
    path = write_results("fit", "cpu", payload)
    png = plot(results, path[:-5] + ".png")
    print(json.dumps(ratios, indent=1))
    print(f"wrote {path}" + (f" and {png}" if png else ""))


if __name__ == "__main__":
    main()
