"""LeNet training step on the CPU: mxlite (mx.sym + simple_bind) against PyTorch, in one run.

The network is MXNet's example/image-classification/symbols/lenet.py: conv 5x5x20, tanh, max-pool
2x2/2, conv 5x5x50, tanh, max-pool, FC 500, tanh, FC 10, SoftmaxOutput; batch 64 of 1x28x28. One
step is forward(is_train=True) + backward(), with gradients for the parameters only (data and label
get grad_req 'null', as mx.mod.Module binds them). PyTorch, when importable, runs the same step
(its weight/bias gradients, no data gradient); the two are measured in alternating blocks so that
load from other processes hits both alike. The real MXNet 1.9.1, when a Python with it is found
(env MXNET_PYTHON or ../mxnet-venv), runs the step in a child process of the same run. The median
step time of each, with quartiles, is written as JSON to bench/results/<date>-cpu-lenet.json.

    python bench/bench_lenet.py [--runs 200] [--batch 64] [--data-grad] [--out PATH]
"""
import argparse
import datetime
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxlite as mx  # noqa: E402
from common import machine, run_with_mxnet, step_times, time_summary  # noqa: E402

# Figures the project measured for this step and batch on its 2-vCPU benchmark machine (how many
# threads, and under what load, is not recorded); kept so every result file carries them.
REFERENCE_MS = {"mxnet-1.9.1": 32.8, "pytorch": 26.3}
GOAL_RATIO = 1.25


def lenet():
    data = mx.sym.Variable("data")
    x = mx.sym.Convolution(data, kernel=(5, 5), num_filter=20, name="conv1")
    x = mx.sym.Activation(x, act_type="tanh", name="tanh1")
    x = mx.sym.Pooling(x, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    x = mx.sym.Convolution(x, kernel=(5, 5), num_filter=50, name="conv2")
    x = mx.sym.Activation(x, act_type="tanh", name="tanh2")
    x = mx.sym.Pooling(x, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    x = mx.sym.Flatten(x, name="flatten")
    x = mx.sym.FullyConnected(x, num_hidden=500, name="fc1")
    x = mx.sym.Activation(x, act_type="tanh", name="tanh3")
    x = mx.sym.FullyConnected(x, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(x, name="softmax")


def mxlite_step(batch, data_grad, rng):
    """A closure running one mxlite training step."""
    sym = lenet()
    req = {n: "write" for n in sym.list_arguments() if n not in ("data", "softmax_label")}
    if data_grad:
        req["data"] = "write"
    ex = sym.simple_bind(mx.cpu(), grad_req=req, data=(batch, 1, 28, 28),
                         softmax_label=(batch,))
    for name, arr in ex.arg_dict.items():
        if name == "data":
            arr[:] = rng.standard_normal(arr.shape).astype(np.float32)
        elif name == "softmax_label":
            arr[:] = rng.integers(0, 10, arr.shape).astype(np.float32)
        else:
            arr[:] = rng.uniform(-0.1, 0.1, arr.shape).astype(np.float32)

    def step():
        ex.forward(is_train=True)
        ex.backward()
        ex.grad_dict["conv1_weight"].wait_to_read()
    return step


def torch_step(batch, data_grad, rng):
    """A closure running the same step in PyTorch, or None when torch is not importable."""
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 20, 5), nn.Tanh(), nn.MaxPool2d(2, 2),
                        nn.Conv2d(20, 50, 5), nn.Tanh(), nn.MaxPool2d(2, 2), nn.Flatten(),
                        nn.Linear(800, 500), nn.Tanh(), nn.Linear(500, 10))
    data = torch.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32),
                        requires_grad=data_grad)
    label = torch.tensor(rng.integers(0, 10, batch))
    # SoftmaxOutput's gradient is softmax - onehot, not averaged over the batch: reduction 'sum'
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def step():
        for p in net.parameters():
            p.grad = None
        loss_fn(net(data), label).backward()
    return step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="measured steps per framework")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--block", type=int, default=10, help="steps per alternating block")
    ap.add_argument("--data-grad", action="store_true", help="also compute the data gradient")
    ap.add_argument("--out", default=None, help="result file (default bench/results/...)")
    ap.add_argument("--impl", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.impl:  # child mode under another Python (the real MXNet): print its median only
        global mx
        mx = __import__(args.impl)
        step = mxlite_step(args.batch, args.data_grad, np.random.default_rng(0))
        step_times(step, args.warmup)
        print(json.dumps({"median_ms": time_summary(step_times(step, args.runs))["median_ms"]}))
        return

    rng = np.random.default_rng(0)
    steps = {"mxlite": mxlite_step(args.batch, args.data_grad, rng)}
    tstep = torch_step(args.batch, args.data_grad, rng)
    if tstep is not None:
        steps["pytorch"] = tstep
    load_before = os.getloadavg()
    for step in steps.values():
        step_times(step, args.warmup)
    times = {name: [] for name in steps}
    while len(times["mxlite"]) < args.runs:
        for name, step in steps.items():
            times[name] += step_times(step, min(args.block, args.runs - len(times[name])))
    result = {
        "benchmark": "lenet_train_step", "date": datetime.date.today().isoformat(),
        "device": "cpu", "batch": args.batch, "data_grad": args.data_grad,
        "machine": machine(), "load_avg_before": load_before, "load_avg_after": os.getloadavg(),
        "results": {name: time_summary(t) for name, t in times.items()},
        "reference_ms": REFERENCE_MS, "goal": f"mxlite <= {GOAL_RATIO} x MXNet 1.9.1",
    }
    if tstep is not None:
        import torch
        result["machine"]["torch"] = torch.__version__
        result["machine"]["torch_threads"] = torch.get_num_threads()
    mx_ms = result["results"]["mxlite"]["median_ms"]
    mxnet = run_with_mxnet(os.path.abspath(__file__),
                           ["--runs", str(args.runs), "--batch", str(args.batch)]
                           + (["--data-grad"] if args.data_grad else []))
    if mxnet is not None:
        result["mxnet_median_ms"] = mxnet["median_ms"]
        result["mxlite_vs_mxnet_same_run"] = round(mx_ms / mxnet["median_ms"], 3)
    result["mxlite_vs_mxnet_reference"] = round(mx_ms / REFERENCE_MS["mxnet-1.9.1"], 3)
    if "pytorch" in result["results"]:
        result["mxlite_vs_pytorch_same_run"] = round(
            mx_ms / result["results"]["pytorch"]["median_ms"], 3)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                   f"{result['date']}-cpu-lenet.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(out + ".tmp", out)
    for name, summary in result["results"].items():
        print(f"{name:8s} median {summary['median_ms']:7.2f} ms  "
              f"(p25 {summary['p25_ms']:.2f}, p75 {summary['p75_ms']:.2f})")
    if "mxnet_median_ms" in result:
        print(f"mxnet    median {result['mxnet_median_ms']:7.2f} ms  (same run; mxlite / MXNet "
              f"{result['mxlite_vs_mxnet_same_run']})")
    print(f"mxlite / MXNet 1.9.1 reference ({REFERENCE_MS['mxnet-1.9.1']} ms): "
          f"{result['mxlite_vs_mxnet_reference']}  -> {out}")
    return result


if __name__ == "__main__":
    main()
