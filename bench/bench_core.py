"""CPU benchmark of the core slice: the seed graph's training step and an MLP training step.

Each figure is the median over many calls, measured in the same run as its baselines: the same step
hand-written in NumPy, PyTorch eager (if installed) and the real MXNet 1.9.1 (if a Python with
MXNet is found: env MXNET_PYTHON or ../mxnet-venv). Writes bench/results/<date>-cpu-core.json.

    python bench/bench_core.py [--quick]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, median_time, run_with_mxnet, write_results  # noqa: E402

CASES = {"seed_step": dict(batch=1, dims=(4, 6)),
         "mlp_step": dict(batch=256, dims=(784, 512, 512, 10))}


def build(mx, dims):
    net = mx.sym.Variable("data")
    for i, h in enumerate(dims[1:]):
        net = mx.sym.FullyConnected(net, num_hidden=h, name=f"fc{i}")
        if i < len(dims) - 2 or len(dims) == 2:
            net = mx.sym.Activation(net, act_type="relu", name=f"relu{i}")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def symbolic_step(mx, batch, dims):
    """forward(is_train=True) + backward() of the bound symbol (mxlite or MXNet)."""
    ex = build(mx, dims).simple_bind(mx.cpu(), data=(batch, dims[0]))
    rng = np.random.default_rng(0)
    for arr in ex.arg_dict.values():
        arr[:] = rng.standard_normal(arr.shape).astype(np.float32) * 0.1
    ex.arg_dict["softmax_label"][:] = rng.integers(0, dims[-1], batch).astype(np.float32)

    def step():
        ex.forward(is_train=True)
        ex.backward()
        ex.grad_arrays[1].wait_to_read()
    return step


def numpy_step(batch, dims):
    """The same training step written by hand in NumPy (the baseline of the goals)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, dims[0])).astype(np.float32)
    label = rng.integers(0, dims[-1], batch)
    ws = [rng.standard_normal((h, k)).astype(np.float32) * 0.1 for k, h in zip(dims, dims[1:])]
    bs = [np.zeros(h, np.float32) for h in dims[1:]]
    relu_last = len(dims) == 2

    def step():
        acts, h = [x], x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w.T + b
            if i < len(ws) - 1 or relu_last:
                h = np.maximum(h, 0)
            acts.append(h)
        e = np.exp(h - h.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        g = p
        g[np.arange(batch), label] -= 1
        for i in reversed(range(len(ws))):
            if i < len(ws) - 1 or relu_last:
                g = g * (acts[i + 1] > 0)
            gw, gb = g.T @ acts[i], g.sum(axis=0)
            g = g @ ws[i]
        return gw, gb
    return step


def torch_step(batch, dims):
    import torch
    torch.manual_seed(0)
    layers = []
    for i, (k, h) in enumerate(zip(dims, dims[1:])):
        layers.append(torch.nn.Linear(k, h))
        if i < len(dims) - 2 or len(dims) == 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    x = torch.randn(batch, dims[0])
    y = torch.randint(0, dims[-1], (batch,))
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")

    def step():
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
    return step


def measure(impl, quick):
    repeat = 50 if quick else 300
    out = {}
    for name, case in CASES.items():
        reps = repeat if case["batch"] == 1 else max(20, repeat // 10)
        if impl == "mxnet":
            import mxnet as mx
            fn = symbolic_step(mx, case["batch"], case["dims"])
        elif impl == "mxlite":
            import mxlite as mx
            fn = symbolic_step(mx, case["batch"], case["dims"])
        elif impl == "numpy":
            fn = numpy_step(case["batch"], case["dims"])
        else:
            fn = torch_step(case["batch"], case["dims"])
        out[name] = median_time(fn, repeat=reps, warmup=max(5, reps // 10))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.impl:  # child mode: print one JSON line with this implementation's timings
        print(json.dumps(measure(args.impl, args.quick)))
        return
    results = {"mxlite": measure("mxlite", args.quick), "numpy": measure("numpy", args.quick)}
    try:
        import torch  # noqa: F401
        torch.set_num_threads(os.cpu_count())
        results["torch"] = measure("torch", args.quick)
    except ImportError:
        pass
    mxnet = run_with_mxnet(os.path.abspath(__file__), ["--quick"] if args.quick else [])
    if mxnet is not None:
        results["mxnet"] = mxnet
    table = {}
    for case in CASES:
        row = {impl: round(times[case] * 1e6, 2) for impl, times in results.items()}
        row["mxlite_over_numpy"] = round(results["mxlite"][case] / results["numpy"][case], 3)
        for other in ("torch", "mxnet"):
            if other in results:
                row[f"mxlite_over_{other}"] = round(results["mxlite"][case] / results[other][case],
                                                    3)
        table[case] = row
        print(f"{case:10s} " + "  ".join(f"{k}={v}" for k, v in row.items()))
    path = write_results("core", "cpu", {"unit": "microseconds (median)", "machine": machine(),
                                         "cases": table, "case_shapes": CASES})
    print("wrote", path)


if __name__ == "__main__":
    main()
