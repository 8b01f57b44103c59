"""CPU benchmark: softmax forward over (8192, 4096) float32 through ``mx.nd.softmax``.

Baselines from the same run: naive NumPy (exp / sum over the whole array), PyTorch's torch.softmax
(if installed) and the real MXNet 1.9.1 (if a Python with MXNet is found). Writes
bench/results/<date>-cpu-softmax.json.

    python bench/bench_softmax_cpu.py [--quick]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, median_time, run_with_mxnet, write_results  # noqa: E402

SHAPE = (8192, 4096)


def measure(impl, repeat):
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    if impl in ("mxlite", "mxnet"):
        mx = __import__(impl)
        xn = mx.nd.array(x)

        def fn():
            mx.nd.softmax(xn).wait_to_read()
    elif impl == "numpy":
        def fn():
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
    else:
        import torch
        xt = torch.from_numpy(x)

        def fn():
            return torch.softmax(xt, dim=1)
    return median_time(fn, repeat=repeat, warmup=2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    if args.impl:
        print(json.dumps({"softmax": measure(args.impl, repeat)}))
        return
    times = {impl: measure(impl, repeat) for impl in ("mxlite", "numpy")}
    try:
        import torch  # noqa: F401
        times["torch"] = measure("torch", repeat)
    except ImportError:
        pass
    mxnet = run_with_mxnet(os.path.abspath(__file__), ["--quick"] if args.quick else [])
    if mxnet is not None:
        times["mxnet"] = mxnet["softmax"]
    row = {k: round(v * 1e3, 2) for k, v in times.items()}
    for other in times:
        if other != "mxlite":
            row[f"mxlite_over_{other}"] = round(times["mxlite"] / times[other], 3)
    print("softmax (8192, 4096) float32, ms:", row)
    path = write_results("softmax", "cpu", {"unit": "milliseconds (median)", "shape": SHAPE,
                                            "machine": machine(), "softmax_forward": row})
    print("wrote", path)


if __name__ == "__main__":
    main()
