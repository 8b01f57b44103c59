"""Sequence-model benchmark: a bucketing LSTM language model and a CustomOp's per-call overhead.

1. The bucketing LSTM LM of MXNet's example/rnn/bucketing (Embedding, 2 stacked LSTMCell layers of
   200 hidden units unrolled per bucket, FullyConnected, SoftmaxOutput; buckets 10/20/30/40,
   batch 32), trained with a BucketingModule (forward_backward + SGD update per batch) on
   synthetic sentences, batches of the buckets interleaved. tokens/s of timed epochs after a
   warm-up epoch that sees every bucket, for mxlite and, in the same run, the real MXNet 1.9.1 (a
   child process under env MXNET_PYTHON or ../mxnet-venv). The JSON also records how many
   modules were bound during the timed epochs (0: switching buckets re-plans nothing).
2. One ``Executor.forward`` of a CustomOp (``y = x * 2`` written with ``self.assign``) against
   the built-in ``_mul_scalar`` on a small input (median of many interleaved calls).

Writes bench/results/<date>-<device>-bucketing.json and .png. ``--threads N`` pins both
implementations to N BLAS/OpenMP threads (set before NumPy or MXNet load).

    python bench/bench_bucketing.py [--quick] [--threads N] [--ctx gpu]
"""
import argparse
import json
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

BUCKETS = (10, 20, 30, 40)
BATCH, HIDDEN, EMBED, LAYERS, VOCAB = 32, 200, 200, 2, 1000


def import_mx(impl):
    if impl == "mxnet":
        import mxnet as mx
    else:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import mxlite as mx
    return mx


def lm_sym_gen(mx):
    stack = mx.rnn.SequentialRNNCell()
    for i in range(LAYERS):
        stack.add(mx.rnn.LSTMCell(num_hidden=HIDDEN, prefix=f"lstm_l{i}_"))

    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        embed = mx.sym.Embedding(data=data, input_dim=VOCAB, output_dim=EMBED, name="embed")
        stack.reset()
        outputs, _ = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, HIDDEN))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=VOCAB, name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax")
        return pred, ("data",), ("softmax_label",)
    return sym_gen


def batches(mx, per_bucket):
    rng = np.random.RandomState(0)
    order = [b for _ in range(per_bucket) for b in BUCKETS]
    out = []
    for key in order:
        d = rng.randint(1, VOCAB, size=(BATCH, key)).astype(np.float32)
        label = np.concatenate([d[:, 1:], np.zeros((BATCH, 1), np.float32)], axis=1)
        out.append(mx.io.DataBatch([mx.nd.array(d)], [mx.nd.array(label)], bucket_key=key,
                                   provide_data=[mx.io.DataDesc("data", d.shape)],
                                   provide_label=[mx.io.DataDesc("softmax_label", label.shape)]))
    return out


def bench_lm(mx, ctx, per_bucket, epochs):
    mod = mx.mod.BucketingModule(lm_sym_gen(mx), default_bucket_key=max(BUCKETS), context=ctx)
    key = max(BUCKETS)
    mod.bind(data_shapes=[("data", (BATCH, key))], label_shapes=[("softmax_label", (BATCH, key))])
    mod.init_params(mx.init.Xavier(factor_type="in", magnitude=2.34))
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.01,
                                                          "momentum": 0.0})
    data = batches(mx, per_bucket)
    tokens = sum(b.data[0].shape[0] * b.data[0].shape[1] for b in data)

    def epoch():
        for b in data:
            mod.forward_backward(b)
            mod.update()
        mod.get_outputs()[0].wait_to_read()
        mx.nd.waitall()
    epoch()  # warm-up: every bucket is bound here
    bound = len(mod._buckets)
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t)
    return {"tokens_per_s": tokens / min(times), "epoch_s": times, "tokens_per_epoch": tokens,
            "buckets_bound_in_timed_epochs": len(mod._buckets) - bound}


def bench_custom(mx, ctx, repeat):
    class Double(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * 2)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0] * 2)

    @mx.operator.register("bench_double")
    class DoubleProp(mx.operator.CustomOpProp):
        def __init__(self):
            super(DoubleProp, self).__init__(need_top_grad=True)

        def create_operator(self, ctx, shapes, dtypes):
            return Double()

    x = mx.sym.Variable("x")
    shape = (16, 16)
    custom = mx.sym.Custom(x, op_type="bench_double").simple_bind(ctx, x=shape)
    builtin = (x * 2).simple_bind(ctx, x=shape)
    for ex in (custom, builtin):
        ex.arg_dict["x"][:] = 1
    res = {"custom": [], "builtin": []}
    for _ in range(repeat):
        for name, ex in (("custom", custom), ("builtin", builtin)):
            t = time.perf_counter()
            for _ in range(20):
                ex.forward(is_train=False)
            ex.outputs[0].wait_to_read()
            res[name].append((time.perf_counter() - t) / 20)
    c, b = statistics.median(res["custom"]), statistics.median(res["builtin"])
    return {"input_shape": list(shape), "custom_forward_us": c * 1e6,
            "builtin_forward_us": b * 1e6, "ratio": c / b}


def run(impl, ctx_name, quick):
    mx = import_mx(impl)
    warnings.simplefilter("ignore")
    ctx = mx.gpu() if ctx_name == "gpu" else mx.cpu()
    per_bucket, epochs = (2, 1) if quick else (4, 3)
    return {"lm": bench_lm(mx, ctx, per_bucket, epochs),
            "custom_op": bench_custom(mx, ctx, 50 if quick else 300)}


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    impls = [k for k in ("mxlite", "mxnet") if results.get(k)]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].bar(impls, [results[k]["lm"]["tokens_per_s"] for k in impls], color=["C0", "C1"])
    axes[0].set_title("bucketing LSTM LM, tokens/s")
    labels, values = [], []
    for k in impls:
        labels += [f"{k}\ncustom", f"{k}\nbuilt-in"]
        values += [results[k]["custom_op"]["custom_forward_us"],
                   results[k]["custom_op"]["builtin_forward_us"]]
    axes[1].bar(labels, values)
    axes[1].set_title("forward of a small op, us")
    fig.tight_layout()
    fig.savefig(path)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", default="mxlite", choices=["mxlite", "mxnet"])
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    if args.impl == "mxnet":
        print(json.dumps(run("mxnet", args.ctx, args.quick)))
        return
    extra = (["--quick"] if args.quick else []) + (
        ["--threads", str(args.threads)] if args.threads else [])
    results = {"machine": machine(), "load_average": os.getloadavg(), "ctx": args.ctx,
               "threads": args.threads, "config": {"buckets": BUCKETS, "batch": BATCH,
                                                   "hidden": HIDDEN, "layers": LAYERS,
                                                   "vocab": VOCAB, "embed": EMBED}}
    results["mxlite"] = run("mxlite", args.ctx, args.quick)
    results["mxnet"] = run_with_mxnet(os.path.abspath(__file__), extra) \
        if args.ctx == "cpu" else None
    if results["mxnet"]:
        results["lm_speed_ratio_mxlite_over_mxnet"] = (
            results["mxlite"]["lm"]["tokens_per_s"] / results["mxnet"]["lm"]["tokens_per_s"])
    path = write_results("bucketing", args.ctx, results)
    plot(results, path[:-5] + ".png")
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
