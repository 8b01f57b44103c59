"""CPU speed against MXNet 1.9.1 and hand-written NumPy, measured side by side in one run.

Each case is timed in a child process per implementation (mxlite; the real MXNet 1.9.1 when a Python
with it is found: env MXNET_PYTHON or ../mxnet-venv; NumPy by hand where a floor makes sense), and
reported as the median of several calls with the ratios between them:

- networks from ``examples/symbols``: ResNet-18 (3x32x32) and Inception-BN (3x28x28, its small
  layout), both also at 3x224x224; a training
  step (batch 32: forward(is_train=True) + backward) and inference (batch 1 and 32);
- bandwidth-bound kernels: softmax forward (8192, 4096), SoftmaxOutput backward (8192, 4096),
  the element-wise chain relu(a*b+c)*d forward+backward over 16M elements;
- small steps: the MLP 784-512-512-10 (batch 256), LeNet (batch 64) and the seed graph
  FC-relu-SoftmaxOutput (batch 1);
- convolution layers of ResNet-18 and Inception-BN (batch 32): forward and backward effective
  GFLOP/s against the sgemm rate measured in the same child.

Writes bench/results/<date>-cpu-speed.json and a PNG of the ratios beside it.

    python bench/bench_cpu_speed.py [--quick] [--native-blas] [--cases NAME ...]
                                    [--impls mxlite mxnet numpy]

Where the environment pins OpenBLAS to older kernels (OPENBLAS_CORETYPE, as on the development
machine, whose AVX-512 CPU then runs NumPy's GEMMs with AVX2 kernels at half the rate),
``--native-blas`` lets the NumPy children choose (the JSON records the kernel set either way).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import machine, median_time, mxnet_python, write_results  # noqa: E402

# name -> (kind, parameters); the goal says which ratio decides (see GOALS)
NETS = {f"{net}_{size}_{mode}_b{batch}": ("net", dict(net=net, size=size, train=mode == "train",
                                                       batch=batch))
        for net, small in (("resnet18", 32), ("inception_bn", 28)) for size in (small, 224)
        for mode, batch in (("train", 32), ("infer", 1), ("infer", 32))}
KERNELS = {
    "softmax_fwd": ("softmax", dict(shape=(8192, 4096))),
    "softmaxoutput_bwd": ("softmaxoutput", dict(shape=(8192, 4096))),
    "elemwise_chain": ("chain", dict(size=16 << 20)),
    "mlp_step": ("fc_step", dict(batch=256, dims=(784, 512, 512, 10))),
    "lenet_step": ("lenet", dict(batch=64)),
    "seed_step": ("fc_step", dict(batch=1, dims=(4, 6))),
}
# (name, C, H, F, kernel, stride, pad[, groups]): ResNet-18's 3x3 and 1x1 layers, Inception-BN's 1x1
# layers, MobileNet's depthwise layers
CONV_LAYERS = [
    ("r18_conv1_7x7", 3, 224, 64, 7, 2, 3),
    ("r18_3x3_64", 64, 56, 64, 3, 1, 1),
    ("r18_3x3_128", 128, 28, 128, 3, 1, 1),
    ("r18_3x3_256", 256, 14, 256, 3, 1, 1),
    ("r18_3x3_512", 512, 7, 512, 3, 1, 1),
    ("r18_3x3_s2_128", 64, 56, 128, 3, 2, 1),
    ("r18_1x1_s2_128", 64, 56, 128, 1, 2, 0),
    ("r18_1x1_s2_512", 256, 14, 512, 1, 2, 0),
    ("inc_1x1_192_64", 192, 28, 64, 1, 1, 0),
    ("inc_1x1_576_224", 576, 14, 224, 1, 1, 0),
    ("inc_1x1_1024_352", 1024, 7, 352, 1, 1, 0),
    ("mobilenet_dw_3x3_32", 32, 112, 32, 3, 1, 1, 32),     # depthwise: memory-bound, no goal
    ("mobilenet_dw_3x3_s2_256", 256, 28, 256, 3, 2, 1, 256),
]
CASES = {**NETS, **KERNELS, **{f"conv_{c[0]}": ("conv", dict(layer=c)) for c in CONV_LAYERS}}
# goals of the CPU-speed issue: case -> (baseline, ratio to meet)
GOALS = {**{name: ("mxnet", 1.0) for name in NETS},
         "softmax_fwd": ("mxnet", 1.0), "softmaxoutput_bwd": ("numpy", 1.0),
         "elemwise_chain": ("numpy", 1.0), "mlp_step": ("mxnet", 1.0), "seed_step": ("numpy", 1.3),
         "lenet_step": ("mxnet", 1.0)}
CONV_GOAL = 0.70  # of the sgemm rate


def _import(impl):
    if impl == "mxnet":
        import mxnet as mx
        sys.modules["mxlite"] = mx  # the example symbol builders import mxlite
        return mx
    sys.path.insert(0, ROOT)
    import mxlite as mx
    return mx


def _fill(ex, rng, classes=10):
    import numpy as np
    for name, arr in ex.arg_dict.items():
        if name.endswith("label"):
            arr[:] = rng.integers(0, classes, arr.shape).astype(np.float32)
        else:
            arr[:] = (rng.standard_normal(arr.shape) * 0.1).astype(np.float32)


def _net_symbol(mx, net, size):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from symbols import inception_bn, resnet
    if net == "resnet18":
        return resnet.get_symbol(1000, 18, f"3,{size},{size}")
    return inception_bn.get_symbol(1000, image_shape=f"3,{size},{size}")


def _symbolic(mx, kind, p, quick):
    """A closure running one step of ``kind`` with the symbolic API of ``mx`` (mxlite or MXNet)."""
    import numpy as np
    rng = np.random.default_rng(0)
    sync = mx.nd.waitall
    if kind == "net":
        sym = _net_symbol(mx, p["net"], p["size"])
        shape = (p["batch"], 3, p["size"], p["size"])
        ex = sym.simple_bind(mx.cpu(), data=shape, grad_req="write" if p["train"] else "null")
        _fill(ex, rng, 1000)
        for name, arr in ex.aux_dict.items():
            arr[:] = 1.0 if name.endswith("var") else 0.0
        if p["train"]:
            def step():
                ex.forward(is_train=True)
                ex.backward()
                sync()
        else:
            def step():
                ex.forward(is_train=False)
                sync()
        big = p["size"] == 224 and p["batch"] > 1
        return step, (2 if quick else 3) if big else (3 if quick else 10)
    if kind == "softmax":
        ex = mx.sym.softmax(mx.sym.Variable("data")).simple_bind(mx.cpu(), data=p["shape"],
                                                                 grad_req="null")
        _fill(ex, rng)

        def step():
            ex.forward(is_train=False)
            sync()
        return step, 10 if quick else 30
    if kind == "softmaxoutput":
        sym = mx.sym.SoftmaxOutput(mx.sym.Variable("data"), name="softmax")
        ex = sym.simple_bind(mx.cpu(), data=p["shape"])
        _fill(ex, rng, p["shape"][1])
        ex.forward(is_train=True)

        def step():
            ex.backward()
            sync()
        return step, 10 if quick else 30
    if kind == "chain":
        a, b, c, d = (mx.sym.Variable(n) for n in "abcd")
        sym = mx.sym.relu(a * b + c) * d
        ex = sym.simple_bind(mx.cpu(), **{n: (p["size"],) for n in "abcd"})
        _fill(ex, rng)
        head = mx.nd.ones((p["size"],))

        def step():
            ex.forward(is_train=True)
            ex.backward([head])
            sync()
        return step, 5 if quick else 15
    if kind == "fc_step":
        net = mx.sym.Variable("data")
        dims = p["dims"]
        for i, h in enumerate(dims[1:]):
            net = mx.sym.FullyConnected(net, num_hidden=h, name=f"fc{i}")
            if i < len(dims) - 2 or len(dims) == 2:
                net = mx.sym.Activation(net, act_type="relu", name=f"relu{i}")
        ex = mx.sym.SoftmaxOutput(net, name="softmax").simple_bind(
            mx.cpu(), data=(p["batch"], dims[0]))
        _fill(ex, rng, dims[-1])

        def step():
            ex.forward(is_train=True)
            ex.backward()
            sync()
        return step, (200 if quick else 2000) if p["batch"] == 1 else (20 if quick else 60)
    if kind == "lenet":
        sys.path.insert(0, os.path.join(ROOT, "examples"))
        from symbols import lenet
        ex = lenet.get_symbol(10).simple_bind(mx.cpu(), data=(p["batch"], 1, 28, 28))
        _fill(ex, rng)

        def step():
            ex.forward(is_train=True)
            ex.backward()
            sync()
        return step, 10 if quick else 40
    raise ValueError(kind)


def _numpy(kind, p, quick):
    """The same work hand-written in NumPy (None where there is no meaningful floor)."""
    import numpy as np
    rng = np.random.default_rng(0)
    if kind == "softmax":
        x = rng.standard_normal(p["shape"]).astype(np.float32)

        def step():
            e = np.exp(x - x.max(axis=1, keepdims=True))
            e /= e.sum(axis=1, keepdims=True)
        return step, 10 if quick else 30
    if kind == "softmaxoutput":
        n, k = p["shape"]
        prob = rng.random(p["shape"]).astype(np.float32)
        label = rng.integers(0, k, n)
        rows = np.arange(n)

        def step():
            g = prob.copy()
            g[rows, label] -= 1.0
        return step, 10 if quick else 30
    if kind == "chain":
        a, b, c, d = (rng.standard_normal(p["size"]).astype(np.float32) for _ in range(4))
        g = np.ones(p["size"], np.float32)

        def step():
            t = a * b
            t += c
            r = np.maximum(t, 0)
            r * d                                   # the output
            gd = g * r
            gr = g * d
            gr *= t > 0
            ga, gb = gr * b, gr * a
            return gd, ga, gb, gr
        return step, 5 if quick else 15
    if kind == "fc_step":
        from bench_core import numpy_step
        return numpy_step(p["batch"], p["dims"]), (200 if quick else 2000) if p["batch"] == 1 \
            else (20 if quick else 60)
    return None


def _conv(mx, p, quick):
    """Forward and backward effective GFLOP/s of one Convolution layer, and the sgemm rate."""
    import numpy as np
    name, c, h, f, k, s, pad = p["layer"][:7]
    groups = p["layer"][7] if len(p["layer"]) > 7 else 1
    n = 32
    sym = mx.sym.Convolution(mx.sym.Variable("data"), num_filter=f, kernel=(k, k),
                             stride=(s, s), pad=(pad, pad), num_group=groups, no_bias=True,
                             name="conv")
    ex = sym.simple_bind(mx.cpu(), data=(n, c, h, h))
    _fill(ex, np.random.default_rng(0))
    out = ex.outputs[0].shape
    macs = n * f * out[2] * out[3] * (c // groups) * k * k
    repeat = 3 if quick else 7

    def fwd():
        ex.forward(is_train=True)
        mx.nd.waitall()

    def bwd():
        ex.backward([mx.nd.ones(out)])
        mx.nd.waitall()
    fwd()
    t_fwd = median_time(fwd, repeat, warmup=1)
    t_bwd = median_time(bwd, repeat, warmup=1)
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    b = a.copy()
    o = np.empty_like(a)
    t_gemm = median_time(lambda: np.matmul(a, b, out=o), repeat, warmup=1)
    gemm = 2 * 2048 ** 3 / t_gemm / 1e9
    return {"fwd_s": t_fwd, "bwd_s": t_bwd, "fwd_gflops": 2 * macs / t_fwd / 1e9,
            "bwd_gflops": 4 * macs / t_bwd / 1e9, "sgemm_gflops": gemm}


def child(impl, case, quick):
    kind, p = CASES[case]
    if impl == "numpy":
        made = _numpy(kind, p, quick)
        if made is None:
            return None
        step, repeat = made
        return {"s": median_time(step, repeat, warmup=1)}
    mx = _import(impl)
    if kind == "conv":
        return _conv(mx, p, quick)
    t = time.perf_counter()
    step, repeat = _symbolic(mx, kind, p, quick)
    step()                       # the first call: kernels compiled or loaded from the disk cache
    first = time.perf_counter() - t
    return {"s": median_time(step, repeat, warmup=1), "first_s": first}


def child_env(impl, native_blas):
    """The environment of a child: with ``native_blas``, the NumPy children (mxlite and NumPy by
    hand) run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, so NumPy's OpenBLAS picks its kernels
    for this CPU. MXNet keeps them: its convolutions and FullyConnected run on oneDNN, which
    chooses its own, and its older bundled OpenBLAS is what those settings protect."""
    env = dict(os.environ)
    if native_blas and impl != "mxnet":
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def blas_core(env):
    """The kernel set NumPy's OpenBLAS loads in ``env`` (its OPENBLAS_VERBOSE report)."""
    proc = subprocess.run([sys.executable, "-c", "import numpy"], capture_output=True, text=True,
                          env=dict(env, OPENBLAS_VERBOSE="2"))
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("Core:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def run_child(impl, case, quick, native_blas=False):
    py = mxnet_python() if impl == "mxnet" else sys.executable
    if py is None:
        return None
    cmd = [py, __file__, "--child", impl, case] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env=child_env(impl, native_blas))
    if proc.returncode != 0:
        sys.stderr.write(f"{impl} {case} failed:\n{proc.stderr[-3000:]}\n")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(rows):
    """Per case: the ratios against the baselines and whether the issue's goal is met."""
    for case, r in rows.items():
        mine = r.get("mxlite")
        if not mine:
            continue
        if case.startswith("conv_"):
            for d in ("fwd", "bwd"):
                r[f"{d}_of_sgemm"] = mine[f"{d}_gflops"] / mine["sgemm_gflops"]
                if r.get("mxnet"):
                    r[f"{d}_vs_mxnet"] = mine[f"{d}_s"] / r["mxnet"][f"{d}_s"]
            if len(CASES[case][1]["layer"]) == 7:          # depthwise layers have no goal
                r["goal"] = f"fwd and bwd >= {CONV_GOAL:.0%} of sgemm"
                r["met"] = min(r["fwd_of_sgemm"], r["bwd_of_sgemm"]) >= CONV_GOAL
            continue
        for base in ("mxnet", "numpy"):
            if r.get(base):
                r[f"vs_{base}"] = mine["s"] / r[base]["s"]
        if case in GOALS:
            base, limit = GOALS[case]
            r["goal"] = f"<= {limit}x {base}"
            if f"vs_{base}" in r:
                r["met"] = r[f"vs_{base}"] <= limit


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install matplotlib)")
        return
    timed = [(c, r) for c, r in rows.items() if "goal" in r and not c.startswith("conv_")
             and any(k.startswith("vs_") for k in r)]
    convs = [(c, r) for c, r in rows.items() if c.startswith("conv_") and "fwd_of_sgemm" in r]
    fig, axes = plt.subplots(1, 2, figsize=(15, 7), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    labels = [c for c, _ in timed]
    ratios = [r[f"vs_{GOALS[c][0]}"] if f"vs_{GOALS[c][0]}" in r else 0 for c, r in timed]
    colours = ["tab:green" if r.get("met") else "tab:red" for _, r in timed]
    ax.barh(labels, ratios, color=colours)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("mxlite time / baseline (goal's baseline: MXNet 1.9.1 or NumPy by hand)")
    ax.invert_yaxis()
    ax.set_title("mxlite vs baseline (green: goal met)")
    ax = axes[1]
    labels = [c[5:] for c, _ in convs]
    y = range(len(convs))
    ax.barh([i - 0.2 for i in y], [r["fwd_of_sgemm"] for _, r in convs], 0.4, label="forward")
    ax.barh([i + 0.2 for i in y], [r["bwd_of_sgemm"] for _, r in convs], 0.4, label="backward")
    ax.set_yticks(list(y), labels)
    ax.axvline(CONV_GOAL, color="k", lw=0.8, ls="--")
    ax.set_xlabel("effective GFLOP/s / sgemm GFLOP/s")
    ax.invert_yaxis()
    ax.legend()
    ax.set_title("Convolution layers, batch 32")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print("wrote", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("IMPL", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES),
                        metavar="CASE")
    parser.add_argument("--impls", nargs="+", default=["mxlite", "mxnet", "numpy"],
                        choices=["mxlite", "mxnet", "numpy"])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--native-blas", action="store_true",
                        help="run mxlite and NumPy without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE "
                             "(their OpenBLAS then picks the kernels for this CPU)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.quick)))
        return
    rows = {}
    for case in args.cases:
        rows[case] = {impl: run_child(impl, case, args.quick, args.native_blas)
                      for impl in args.impls}
        summarise({case: rows[case]})
        r = rows[case]
        shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()
                 if not isinstance(v, dict)}
        times = {impl: round(r[impl].get("s", r[impl].get("fwd_s", 0)) * 1e3, 2)
                 for impl in args.impls if r.get(impl)}
        print(f"{case:32s} ms {times} {shown}", flush=True)
    blas = {"numpy_openblas_core": blas_core(child_env("numpy", args.native_blas)),
            "native_blas": args.native_blas,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    payload = {"machine": dict(machine(), **blas), "quick": args.quick, "cases": rows,
               "command": " ".join(["python", "bench/bench_cpu_speed.py"] + sys.argv[1:])}
    if args.no_write:
        return
    pinned = os.environ.get("OPENBLAS_CORETYPE") and not args.native_blas
    path = write_results("speed-pinned-blas" if pinned else "speed", "cpu", payload)
    print("wrote", path)
    plot(rows, path[:-5] + ".png")


if __name__ == "__main__":
    main()
