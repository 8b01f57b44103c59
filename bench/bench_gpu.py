"""GPU benchmark: mxlite's CUDA kernels and training step against the device's limits and PyTorch.

Measured in one run on the same device: device-to-device copy bandwidth (read+write bytes), the
float32 GEMM rate (TF32 off), softmax forward/backward on (8192, 4096) float32 (mxlite kernel,
mx.nd.softmax, torch.softmax), the fused SoftmaxOutput backward, and an MLP 784-512-512-10 training
step at batch 256 (mxlite executor vs PyTorch eager). Writes bench/results/<date>-<device>-gpu.json
and a PNG plot next to it (when matplotlib is installed).

    PYTHONPATH=. python bench/bench_gpu.py [--quick]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, write_results  # noqa: E402


def gpu_time(cp, fn, repeat=50, warmup=5):
    """Median seconds per call of ``fn`` timed with CUDA events (several calls per event pair)."""
    for _ in range(warmup):
        fn()
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(max(5, repeat // 10)):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        for _ in range(10):
            fn()
        end.record()
        end.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, end) / 1e3 / 10)
    return float(np.median(times))


def device_info(cp):
    dev = cp.cuda.Device()
    props = cp.cuda.runtime.getDeviceProperties(dev.id)
    return {"name": props["name"].decode(), "compute_capability": dev.compute_capability,
            "cupy": cp.__version__, "cuda_runtime": cp.cuda.runtime.runtimeGetVersion(),
            "cuda_driver": cp.cuda.runtime.driverGetVersion(),
            "nvrtc": ".".join(map(str, cp.cuda.nvrtc.getVersion())),
            "memory_gib": round(props["totalGlobalMem"] / 2**30, 1)}


def baselines(cp, quick):
    n = (1 << 28) if not quick else (1 << 26)          # float32 elements: 1 GiB (256 MiB quick)
    a = cp.ones(n, dtype=cp.float32)
    b = cp.empty_like(a)
    t = gpu_time(cp, lambda: cp.copyto(b, a))
    copy_bw = 2 * a.nbytes / t
    m = 8192 if not quick else 4096
    x = cp.random.standard_normal((m, m), dtype=cp.float32)
    t = gpu_time(cp, lambda: cp.matmul(x, x), repeat=20)
    return {"copy_bandwidth_GBps": copy_bw / 1e9, "gemm_fp32_TFLOPs": 2 * m ** 3 / t / 1e12}


def softmax_cases(cp, mx, quick, copy_bw):
    from mxlite.ops import softmax_cuda as cuda
    rows, cols = (8192, 4096)
    x = cp.random.standard_normal((rows, cols), dtype=cp.float32)
    g = cp.random.standard_normal((rows, cols), dtype=cp.float32)
    y = cuda.softmax_forward(x, 1)
    out = {}
    nbytes = x.nbytes
    t_fwd = gpu_time(cp, lambda: cuda.softmax_forward(x, 1, out=y))
    t_bwd = gpu_time(cp, lambda: cuda.softmax_backward(y, g, 1))
    xn = mx.nd.NDArray(x, mx.gpu(0))
    t_nd = gpu_time(cp, lambda: mx.nd.softmax(xn))
    out["softmax_fwd"] = {"seconds": t_fwd, "bytes": 2 * nbytes,
                          "fraction_of_copy_bw": 2 * nbytes / t_fwd / copy_bw}
    out["softmax_bwd"] = {"seconds": t_bwd, "bytes": 3 * nbytes,
                          "fraction_of_copy_bw": 3 * nbytes / t_bwd / copy_bw}
    out["mx_nd_softmax_fwd"] = {"seconds": t_nd, "fraction_of_copy_bw": 2 * nbytes / t_nd / copy_bw}
    label = cp.random.randint(0, cols, rows).astype(cp.float32)
    t_so = gpu_time(cp, lambda: cuda.softmax_output_backward(y, label))
    out["softmax_output_bwd"] = {"seconds": t_so, "bytes": 2 * nbytes,
                                 "fraction_of_copy_bw": 2 * nbytes / t_so / copy_bw}
    try:
        import torch
        tx = torch.as_tensor(x, device="cuda")
        tg = torch.as_tensor(g, device="cuda")
        ty = torch.softmax(tx, dim=1)
        out["torch_softmax_fwd"] = {"seconds": gpu_time(cp, lambda: torch.softmax(tx, dim=1))}
        out["torch_softmax_bwd"] = {"seconds": gpu_time(
            cp, lambda: torch._softmax_backward_data(tg, ty, 1, torch.float32))}
        out["softmax_fwd"]["speedup_vs_torch"] = out["torch_softmax_fwd"]["seconds"] / t_fwd
        out["softmax_bwd"]["speedup_vs_torch"] = out["torch_softmax_bwd"]["seconds"] / t_bwd
    except ImportError:
        pass
    return out


def mlp_step(cp, mx, quick):
    dims, batch = (784, 512, 512, 10), 256
    net = mx.sym.Variable("data")
    for i, h in enumerate(dims[1:]):
        net = mx.sym.FullyConnected(net, num_hidden=h, name=f"fc{i}")
        if i < len(dims) - 2:
            net = mx.sym.Activation(net, act_type="relu", name=f"relu{i}")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    ex = net.simple_bind(mx.gpu(0), data=(batch, dims[0]))
    rng = np.random.default_rng(0)
    for arr in ex.arg_dict.values():
        arr[:] = rng.standard_normal(arr.shape).astype(np.float32) * 0.05
    ex.arg_dict["softmax_label"][:] = rng.integers(0, 10, batch).astype(np.float32)

    def step():
        ex.forward(is_train=True)
        ex.backward()
    result = {"mxlite_seconds": gpu_time(cp, step, repeat=100)}
    try:
        import torch
        layers = []
        for i, (k, h) in enumerate(zip(dims, dims[1:])):
            layers.append(torch.nn.Linear(k, h))
            if i < len(dims) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers).cuda()
        x = torch.randn(batch, dims[0], device="cuda")
        y = torch.randint(0, 10, (batch,), device="cuda")
        loss = torch.nn.CrossEntropyLoss(reduction="sum")

        def tstep():
            model.zero_grad(set_to_none=True)
            loss(model(x), y).backward()
        result["torch_seconds"] = gpu_time(cp, tstep, repeat=100)
        result["mxlite_over_torch"] = result["mxlite_seconds"] / result["torch_seconds"]
    except ImportError:
        pass
    return result


def plot(payload, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no plot: matplotlib is not installed (pip install 'mxlite[plot]')")
        return None
    names = [k for k, v in payload["kernels"].items() if "fraction_of_copy_bw" in v]
    fracs = [payload["kernels"][k]["fraction_of_copy_bw"] for k in names]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh(names, fracs, color="tab:blue")
    ax.axvline(0.85, color="tab:red", linestyle="--", label="goal 85%")
    ax.set_xlabel("fraction of measured device-to-device copy bandwidth")
    ax.set_title(f"mxlite kernels on {payload['device']['name']} (8192x4096 float32)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    import cupy as cp

    import mxlite as mx
    info = device_info(cp)
    base = baselines(cp, args.quick)
    copy_bw = base["copy_bandwidth_GBps"] * 1e9
    payload = {"machine": machine(), "device": info, "baselines": base,
               "kernels": softmax_cases(cp, mx, args.quick, copy_bw),
               "mlp_784_512_512_10_b256": mlp_step(cp, mx, args.quick)}
    tag = info["name"].lower().replace("nvidia", "").strip().replace(" ", "-")
    path = write_results("gpu", tag, payload)
    png = plot(payload, path[:-5] + ".png")
    print(json.dumps(payload, indent=1))
    print("wrote", path, png or "")


if __name__ == "__main__":
    main()
