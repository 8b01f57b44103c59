"""Peak memory of a training step and of inference: mxlite's plan and measurement vs MXNet 1.9.1.

For ResNet-18 and Inception-BN (examples/symbols, 3x224x224, batch 32 by default), each in a child
process of its own so peak RSS figures do not mix:

- **train**: ``simple_bind(grad_req='write')``, then one ``forward(is_train=True)`` +
  ``backward()``. mxlite reports its planned peak (``debug_str``: values and gradients alive at
  once), its "Total N MB allocated" storage plan, and the measured peak of bytes allocated during
  the step (``tracemalloc``, which sees NumPy's buffers; temporaries included). MXNet reports the
  "Total N MB allocated" of its own ``debug_str``.
- **infer**: ``grad_req='null'``, ``forward(is_train=False)``, batch 1 and the chosen batch; the
  measured peak against the goal "2x the largest single activation plus the weights".

Both sides also report the growth of the process's peak RSS from just before ``simple_bind`` to
after the step (arguments, gradients, aux states and every intermediate value). Results go to
bench/results/<date>-cpu-memory.json and a PNG beside it.

    python bench/bench_memory.py [--batch 32] [--nets resnet18 inception_bn]
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import machine, mxnet_python, write_results  # noqa: E402

MB = 1 << 20


def _symbol(mx, net):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from symbols import inception_bn, resnet
    if net == "resnet18":
        return resnet.get_symbol(1000, 18, "3,224,224")
    return inception_bn.get_symbol(1000, image_shape="3,224,224")


def _maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def measure(impl, net, mode, batch):
    """One measurement in this process; returns a dict of figures."""
    import numpy as np
    if impl == "mxnet":
        import mxnet as mx
        sys.modules["mxlite"] = mx  # the example symbol builders import mxlite
    else:
        sys.path.insert(0, ROOT)
        import mxlite as mx
    sym = _symbol(mx, net)
    train = mode == "train"
    shape = (batch, 3, 224, 224)
    rss0 = _maxrss()
    ex = sym.simple_bind(mx.cpu(), data=shape, grad_req="write" if train else "null")
    rng = np.random.default_rng(0)
    for name, arr in ex.arg_dict.items():
        if name.endswith("label"):
            arr[:] = rng.integers(0, 1000, arr.shape)
        else:
            arr[:] = rng.uniform(-0.1, 0.1, arr.shape).astype(np.float32)
    text = ex.debug_str()
    total = re.findall(r"Total (\d+) MB allocated", text)
    out = {"impl": impl, "net": net, "mode": mode, "batch": batch,
           "total_mb_allocated": int(total[-1]) if total else None}
    if impl == "mxlite":
        import tracemalloc
        planned = re.search(r"Planned peak (\d+) bytes", text)
        out["planned_peak_bytes"] = int(planned.group(1)) if planned else None
        arg_shapes, out_shapes, _ = sym.infer_shape(data=shape)
        internals = sym.get_internals()
        _, int_shapes, _ = internals.infer_shape(data=shape)
        out["largest_activation_bytes"] = max(int(np.prod(s)) * 4 for s in int_shapes)
        out["weight_bytes"] = sum(int(np.prod(s)) * 4 for n, s in
                                  zip(sym.list_arguments(), arg_shapes)
                                  if n not in ("data", "softmax_label"))
        tracemalloc.start()
    t = time.perf_counter()
    ex.forward(is_train=train)
    if train:
        ex.backward()
    for o in ex.outputs:
        o.wait_to_read()
    out["step_seconds"] = time.perf_counter() - t
    if impl == "mxlite":
        out["measured_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out["rss_growth_bytes"] = _maxrss() - rss0
    return out


def child(impl, net, mode, batch):
    """Run ``measure`` in a fresh process (``impl`` 'mxnet' under the MXNet Python)."""
    py = mxnet_python() if impl == "mxnet" else sys.executable
    if py is None:
        return None
    proc = subprocess.run([py, __file__, "--child", impl, net, mode, str(batch)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"{impl} {net} {mode}: {proc.stderr[-1500:]}\n")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (pip install '.[bench]'): no plot")
        return None
    train = [r for r in rows if r["mode"] == "train"]
    nets = sorted({r["net"] for r in train})
    series = [("mxlite planned peak", "mxlite", "planned_peak_bytes"),
              ("mxlite measured peak", "mxlite", "measured_peak_bytes"),
              ("MXNet 1.9.1 'Total MB allocated'", "mxnet", "total_mb_allocated")]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.25
    for i, (label, impl, key) in enumerate(series):
        vals = []
        for net in nets:
            r = next((r for r in train if r["net"] == net and r["impl"] == impl), None)
            v = r.get(key) if r else None
            vals.append(0 if v is None else (v if key == "total_mb_allocated" else v / MB))
        ax.bar([j + i * width for j in range(len(nets))], vals, width, label=label)
    ax.set_xticks([j + width for j in range(len(nets))])
    ax.set_xticklabels(nets)
    ax.set_ylabel("MB")
    ax.set_title(f"Training step memory, batch {train[0]['batch'] if train else '?'}, 3x224x224")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        impl, net, mode, batch = sys.argv[2:6]
        print(json.dumps(measure(impl, net, mode, int(batch))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--nets", nargs="+", default=["resnet18", "inception_bn"])
    args = parser.parse_args()
    rows = []
    for net in args.nets:
        for impl in ("mxlite", "mxnet"):
            for mode, batch in (("train", args.batch), ("infer", 1), ("infer", args.batch)):
                r = child(impl, net, mode, batch)
                if r is not None:
                    rows.append(r)
                    print(json.dumps(r), flush=True)
    path = write_results("memory", "cpu", {"machine": machine(), "results": rows})
    print("wrote", path)
    png = plot(rows, path[:-5] + ".png")
    if png:
        print("wrote", png)


if __name__ == "__main__":
    main()
