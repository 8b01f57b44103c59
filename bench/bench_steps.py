"""Training-step time of four graphs, this tree against another checkout of mxlite, in one run.

For regressions of the executor (plan walking, memory planning, workspace): the seed graph
(FC-relu-SoftmaxOutput, batch 1), an MLP 784-512-512-10 (batch 256), LeNet (batch 64, 1x28x28) and
ResNet-18 (batch 8, 3x64x64). Each step is ``forward(is_train=True)`` + ``backward()``. With
``--against PATH`` (a checkout or ``git worktree`` of another commit) both trees run in child
processes, alternating in blocks so that load from other processes hits both alike; the median of
each and the ratio this/other are written to bench/results/<date>-cpu-steps.json.

    python bench/bench_steps.py [--against ../mxlite-old] [--blocks 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import machine, write_results  # noqa: E402

CASES = ("seed", "mlp", "lenet", "resnet18")
REPEAT = {"seed": 2000, "mlp": 60, "lenet": 40, "resnet18": 3}


def _graph(mx, case):
    """(symbol, data shape) of one case."""
    data = mx.sym.Variable("data")
    if case in ("seed", "mlp"):
        dims = (4, 6) if case == "seed" else (784, 512, 512, 10)
        x = data
        for i, h in enumerate(dims[1:]):
            x = mx.sym.FullyConnected(x, num_hidden=h, name=f"fc{i}")
            if i < len(dims) - 2 or len(dims) == 2:
                x = mx.sym.Activation(x, act_type="relu", name=f"relu{i}")
        return mx.sym.SoftmaxOutput(x, name="softmax"), (1 if case == "seed" else 256, dims[0])
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from symbols import lenet, resnet
    if case == "lenet":
        return lenet.get_symbol(10), (64, 1, 28, 28)
    return resnet.get_symbol(10, 18, "3,64,64"), (8, 3, 64, 64)


def measure(tree, case, repeat):
    """Seconds per step of ``case`` with the mxlite found at ``tree`` (run in this process)."""
    sys.path.insert(0, tree)
    import numpy as np

    import mxlite as mx
    sym, shape = _graph(mx, case)
    ex = sym.simple_bind(mx.cpu(), data=shape)
    rng = np.random.default_rng(0)
    for name, arr in ex.arg_dict.items():
        if name.endswith("label"):
            arr[:] = rng.integers(0, 10, arr.shape)
        else:
            arr[:] = rng.standard_normal(arr.shape).astype(np.float32) * 0.1
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        ex.forward(is_train=True)
        ex.backward()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def child(tree, case):
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, __file__, "--child", tree, case],
                         capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        tree, case = sys.argv[2], sys.argv[3]
        print(measure(tree, case, REPEAT[case]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="another mxlite checkout to compare with")
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--cases", nargs="+", default=list(CASES))
    args = parser.parse_args()
    trees = {"this": ROOT}
    if args.against:
        trees["other"] = os.path.abspath(args.against)
    rows = {}
    for case in args.cases:
        samples = {name: [] for name in trees}
        for _ in range(args.blocks):
            for name, tree in trees.items():
                samples[name].append(child(tree, case))
        row = {name: statistics.median(v) for name, v in samples.items()}
        if "other" in row:
            row["ratio_this_over_other"] = row["this"] / row["other"]
        rows[case] = row
        print(case, json.dumps(row), flush=True)
    path = write_results("steps", "cpu", {"machine": machine(), "trees": trees,
                                          "seconds_per_step": rows})
    print("wrote", path)


if __name__ == "__main__":
    main()
