"""Recording overhead: an MLP training step under ``autograd.record()`` against the same step
through a bound executor, and against MXNet 1.9.1's imperative step, on the CPU.

The network: FC(hidden) - relu - FC(hidden) - relu - FC(10) - SoftmaxOutput, batch 64 of 784
features (MNIST-sized). One step is forward with gradients for the six parameters, backward, and
an SGD update ``w -= lr * grad`` of each parameter, written the same way in all three:

- ``imperative``: mxlite, ``mx.nd`` calls under ``mx.autograd.record()``, ``loss.backward()``;
- ``executor``: mxlite, the same network as ``mx.sym`` bound once with ``simple_bind``,
  ``forward(is_train=True)`` + ``backward()``;
- ``mxnet-imperative``: the real MXNet 1.9.1 running the imperative code in a child process
  (env MXNET_PYTHON or ../mxnet-venv), when one is found.

The two mxlite steps are measured in alternating blocks, so load from other processes hits both
alike. The medians (with quartiles) go to bench/results/<date>-cpu-autograd.json and a bar chart
to the .png beside it (when matplotlib is installed). Goal: imperative <= 1.3 x executor, and
<= MXNet 1.9.1's imperative step.

BLAS and OpenMP run one thread (``--threads``, default 1) in both processes: the step's matrices
are small, and on a shared machine extra threads only add scheduling noise to what this measures,
the cost of recording.

    python bench/bench_autograd.py [--runs 300] [--batch 64] [--hidden 256] [--threads 1]
                                   [--out PATH]
"""
import argparse
import datetime
import json
import os
import sys


def _set_threads(argv):
    """Pin BLAS/OpenMP threads before NumPy loads (the MXNet child inherits the setting)."""
    threads = "1"
    if "--threads" in argv and argv.index("--threads") + 1 < len(argv):
        threads = argv[argv.index("--threads") + 1]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    return int(threads)


THREADS = _set_threads(sys.argv)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxlite as mx  # noqa: E402
from common import machine, run_with_mxnet, step_times, time_summary  # noqa: E402

GOAL_RATIO = 1.3
LR = 0.01
FEATURES, CLASSES = 784, 10


def _params(rng, hidden):
    shapes = [("fc1_weight", (hidden, FEATURES)), ("fc1_bias", (hidden,)),
              ("fc2_weight", (hidden, hidden)), ("fc2_bias", (hidden,)),
              ("fc3_weight", (CLASSES, hidden)), ("fc3_bias", (CLASSES,))]
    return {name: rng.uniform(-0.05, 0.05, shape).astype(np.float32) for name, shape in shapes}


def _data(rng, batch):
    return (rng.standard_normal((batch, FEATURES)).astype(np.float32),
            rng.integers(0, CLASSES, batch).astype(np.float32))


def imperative_step(batch, hidden, rng):
    """A closure running one imperative training step (also run by the real MXNet)."""
    values = _params(rng, hidden)
    params = {}
    for name, value in values.items():
        params[name] = mx.nd.array(value)
        params[name].attach_grad()
    x_np, y_np = _data(rng, batch)
    x, label = mx.nd.array(x_np), mx.nd.array(y_np)
    p = params
    nd = mx.nd

    def step():
        with mx.autograd.record():
            h = nd.Activation(nd.FullyConnected(x, p["fc1_weight"], p["fc1_bias"],
                                                num_hidden=hidden), act_type="relu")
            h = nd.Activation(nd.FullyConnected(h, p["fc2_weight"], p["fc2_bias"],
                                                num_hidden=hidden), act_type="relu")
            out = nd.SoftmaxOutput(nd.FullyConnected(h, p["fc3_weight"], p["fc3_bias"],
                                                     num_hidden=CLASSES), label)
        out.backward()
        for w in p.values():
            w -= w.grad * LR
        p["fc1_weight"].wait_to_read()
    return step


def executor_step(batch, hidden, rng):
    """A closure running the same step through a bound executor."""
    sym = mx.sym
    data = sym.Variable("data")
    h = sym.Activation(sym.FullyConnected(data, num_hidden=hidden, name="fc1"), act_type="relu")
    h = sym.Activation(sym.FullyConnected(h, num_hidden=hidden, name="fc2"), act_type="relu")
    net = sym.SoftmaxOutput(sym.FullyConnected(h, num_hidden=CLASSES, name="fc3"),
                            name="softmax")
    values = _params(rng, hidden)
    req = {n: ("write" if n in values else "null") for n in net.list_arguments()}
    ex = net.simple_bind(mx.cpu(), grad_req=req, data=(batch, FEATURES), softmax_label=(batch,))
    x_np, y_np = _data(rng, batch)
    ex.arg_dict["data"][:] = x_np
    ex.arg_dict["softmax_label"][:] = y_np
    for name, value in values.items():
        ex.arg_dict[name][:] = value
    pairs = [(ex.arg_dict[n], ex.grad_dict[n]) for n in values]

    def step():
        ex.forward(is_train=True)
        ex.backward()
        for w, g in pairs:
            w -= g * LR
        pairs[0][0].wait_to_read()
    return step


def _plot(result, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = list(result["results"])
    med = [result["results"][n]["median_ms"] for n in names]
    err = [[m - result["results"][n]["p25_ms"] for n, m in zip(names, med)],
           [result["results"][n]["p75_ms"] - m for n, m in zip(names, med)]]
    if "mxnet_summary" in result:
        m = result["mxnet_summary"]
        names.append("mxnet-1.9.1 imperative")
        med.append(m["median_ms"])
        err[0].append(m["median_ms"] - m["p25_ms"])
        err[1].append(m["p75_ms"] - m["median_ms"])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.barh(names, med, xerr=err, color=["#4C72B0", "#55A868", "#C44E52"][:len(names)])
    ax.set_xlabel("median ms per training step (p25-p75)")
    ax.set_title(f"MLP step, batch {result['batch']}, hidden {result['hidden']}, "
                 f"{result['device']} ({result['date']})", fontsize=9)
    ax.axvline(GOAL_RATIO * result["results"]["executor"]["median_ms"], ls="--", color="gray",
               lw=1, label=f"goal: {GOAL_RATIO} x executor")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=300, help="measured steps per implementation")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--block", type=int, default=20, help="steps per alternating block")
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (both runs)")
    ap.add_argument("--out", default=None, help="result file (default bench/results/...)")
    ap.add_argument("--impl", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.impl:  # child mode under another Python (the real MXNet): print its median only
        global mx
        mx = __import__(args.impl)
        step = imperative_step(args.batch, args.hidden, np.random.default_rng(0))
        step_times(step, args.warmup)
        print(json.dumps(time_summary(step_times(step, args.runs))))
        return None

    steps = {"imperative": imperative_step(args.batch, args.hidden, np.random.default_rng(0)),
             "executor": executor_step(args.batch, args.hidden, np.random.default_rng(0))}
    load_before = os.getloadavg()
    for step in steps.values():
        step_times(step, args.warmup)
    times = {name: [] for name in steps}
    while len(times["imperative"]) < args.runs:
        for name, step in steps.items():
            times[name] += step_times(step, min(args.block, args.runs - len(times[name])))
    date = datetime.date.today().isoformat()
    result = {
        "benchmark": "mlp_train_step_autograd", "date": date, "device": "cpu",
        "batch": args.batch, "hidden": args.hidden, "threads": THREADS, "machine": machine(),
        "load_avg_before": load_before, "load_avg_after": os.getloadavg(),
        "results": {name: time_summary(t) for name, t in times.items()},
        "goal": f"imperative <= {GOAL_RATIO} x executor, and <= MXNet 1.9.1 imperative",
    }
    imp = result["results"]["imperative"]["median_ms"]
    result["imperative_vs_executor"] = round(imp / result["results"]["executor"]["median_ms"], 3)
    mxnet = run_with_mxnet(os.path.abspath(__file__),
                           ["--runs", str(args.runs), "--batch", str(args.batch),
                            "--hidden", str(args.hidden), "--threads", str(THREADS)])
    if mxnet is not None:
        result["mxnet_median_ms"] = mxnet["median_ms"]
        result["mxnet_summary"] = mxnet
        result["imperative_vs_mxnet_same_run"] = round(imp / mxnet["median_ms"], 3)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                   f"{date}-cpu-autograd.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    png = _plot(result, os.path.splitext(out)[0] + ".png")
    if png:
        result["plot"] = os.path.basename(png)
    with open(out + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(out + ".tmp", out)
    for name, s in result["results"].items():
        print(f"{name:11s} median {s['median_ms']:7.3f} ms  (p25 {s['p25_ms']:.3f}, "
              f"p75 {s['p75_ms']:.3f})")
    print(f"imperative / executor: {result['imperative_vs_executor']} (goal <= {GOAL_RATIO})")
    if mxnet is not None:
        print(f"mxnet-1.9.1 imperative median {mxnet['median_ms']:7.3f} ms; mxlite imperative / "
              f"MXNet {result['imperative_vs_mxnet_same_run']}")
    print(f"-> {out}")
    return result


if __name__ == "__main__":
    main()
