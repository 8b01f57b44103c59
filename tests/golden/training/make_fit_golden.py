#!/usr/bin/env python
"""Record whole ``Module.fit`` trajectories of the *real* Apache MXNet 1.9.1.

Run with the MXNet venv (not the mxlite environment):

    ../mxnet-venv/bin/python tests/golden/training/make_fit_golden.py

Writes ``fit.json``: for each case the network (``tojson``), the data, the fixed initial parameters,
the fit arguments, and after every epoch the parameters, the training metric and the validation
metric. The ``resume`` case also leaves MXNet's checkpoint files (symbol, params, optimizer
states) in ``resume/`` for the mxlite test to load and continue from. This file is our own code;
it only calls MXNet's public Python API.
"""
import json
import logging
import os
import shutil
import zlib

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4")

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()) & 0x7FFFFFFF)


def enc(a):
    a = a.asnumpy() if isinstance(a, mx.nd.NDArray) else np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.ravel().tolist()}


def mlp():
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=6, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(net, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def convbn():
    data = mx.sym.Variable("data")
    net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=3, name="conv1")
    net = mx.sym.BatchNorm(net, name="bn1", fix_gamma=False)
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    net = mx.sym.FullyConnected(mx.sym.Flatten(net), num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def multi_output():
    data = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(data, num_hidden=5, name="shared")
    h = mx.sym.Activation(h, act_type="tanh")
    cls = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=3, name="cls_fc"),
                               name="sm", label=mx.sym.Variable("sm_label"))
    reg = mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(h, num_hidden=1, name="reg_fc"),
                                        name="lr", label=mx.sym.Variable("lr_label"))
    return mx.sym.Group([cls, reg])


# id -> (network, data kind, fit keyword arguments, module keyword arguments)
CASES = {
    "mlp-sgd-momentum": (mlp, "flat", dict(optimizer="sgd", optimizer_params=dict(
        learning_rate=0.2, momentum=0.9, wd=0.01), num_epoch=3), {}),
    "mlp-adam-clip": (mlp, "flat", dict(optimizer="adam", optimizer_params=dict(
        learning_rate=0.02, clip_gradient=0.5, wd=0.001), num_epoch=3), {}),
    "mlp-sgd-scheduler-fixed": (mlp, "flat", dict(optimizer="sgd", optimizer_params=dict(
        learning_rate=0.3, lr_scheduler=("FactorScheduler", dict(step=3, factor=0.5))),
        num_epoch=2), dict(fixed_param_names=["fc1_bias"])),
    "mlp-two-contexts": (mlp, "flat", dict(optimizer="sgd", optimizer_params=dict(
        learning_rate=0.2, momentum=0.9, wd=0.01), num_epoch=3),
        dict(context=["cpu0", "cpu1"], work_load_list=[1, 2])),
    "mlp-two-contexts-local-updates": (mlp, "flat", dict(optimizer="rmsprop", optimizer_params=dict(
        learning_rate=0.01), num_epoch=2, update_on_kvstore=False),
        dict(context=["cpu0", "cpu1"])),
    "convbn-sgd": (convbn, "image", dict(optimizer="sgd", optimizer_params=dict(
        learning_rate=0.1, momentum=0.9), num_epoch=2), {}),
    "multi-output-nag": (multi_output, "multi", dict(optimizer="nag", optimizer_params=dict(
        learning_rate=0.1, momentum=0.5), num_epoch=2),
        dict(label_names=["sm_label", "lr_label"])),
}
N, BATCH = 45, 10


def make_data(kind, r):
    if kind == "image":
        x = r.randn(N, 1, 6, 6).astype("float32")
    else:
        x = r.randn(N, 8).astype("float32")
    y = r.randint(0, 3, N).astype("float32")
    if kind == "multi":
        return x, {"sm_label": y, "lr_label": r.randn(N, 1).astype("float32")}
    return x, y


def make_metric(kind):
    if kind == "multi":
        return mx.metric.CompositeEvalMetric([
            mx.metric.Accuracy(output_names=["sm_output"], label_names=["sm_label"]),
            mx.metric.MSE(output_names=["lr_output"], label_names=["lr_label"])])
    return mx.metric.create(["acc", "ce"])


def init_params(sym, shapes, r):
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    args, auxs = {}, {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name in shapes:
            continue
        args[name] = mx.nd.array(r.uniform(-0.5, 0.5, shape).astype("float32"))
    for name, shape in zip(sym.list_auxiliary_states(), aux_shapes):
        val = np.ones(shape) if name.endswith("var") else np.zeros(shape)
        auxs[name] = mx.nd.array(val.astype("float32"))
    return args, auxs


def run_case(cid, case, record_dir=None):
    make_net, kind, fit_kw, mod_kw = case
    r = rng(cid)
    sym = make_net()
    x, y = make_data(kind, r)
    xv, yv = make_data(kind, r)
    label_names = mod_kw.get("label_names", ["softmax_label"])
    labels = y if isinstance(y, dict) else {label_names[0]: y}
    vlabels = yv if isinstance(yv, dict) else {label_names[0]: yv}
    shapes = {"data": (BATCH,) + x.shape[1:]}
    shapes.update({k: (BATCH,) + v.shape[1:] for k, v in labels.items()})
    args, auxs = init_params(sym, shapes, r)
    train = mx.io.NDArrayIter(x, labels, BATCH, shuffle=False)
    val = mx.io.NDArrayIter(xv, vlabels, BATCH, shuffle=False)
    kw = dict(mod_kw)
    kw.pop("label_names", None)
    if "context" in kw:
        kw["context"] = [mx.cpu(int(c[-1])) for c in kw["context"]]
    mod = mx.mod.Module(sym, data_names=["data"], label_names=label_names, **kw)
    fit_kw = dict(fit_kw)
    if fit_kw.pop("update_on_kvstore", True) is False:
        os.environ["MXNET_UPDATE_ON_KVSTORE"] = "0"
    else:
        os.environ["MXNET_UPDATE_ON_KVSTORE"] = "1"
    opt_params = dict(fit_kw.pop("optimizer_params"))
    if "lr_scheduler" in opt_params:
        sname, skw = opt_params["lr_scheduler"]
        opt_params["lr_scheduler"] = getattr(mx.lr_scheduler, sname)(**skw)
    epochs = []
    metric = make_metric(kind)

    def on_epoch(epoch, symbol, arg, aux):
        epochs.append({"epoch": epoch, "train": [[n, float(v)] for n, v in
                                                 metric.get_global_name_value()],
                       "arg": {k: enc(v) for k, v in sorted(arg.items())},
                       "aux": {k: enc(v) for k, v in sorted(aux.items())}})

    def on_val(param):
        epochs[-1]["val"] = [[n, float(v)] for n, v in param.eval_metric.get_name_value()]

    mod.fit(train, eval_data=val, eval_metric=metric, epoch_end_callback=on_epoch,
            eval_end_callback=on_val, arg_params=args, aux_params=auxs,
            optimizer_params=opt_params, **fit_kw)
    out = mod.predict(val)
    preds = [enc(o) for o in (out if isinstance(out, list) else [out])]
    case_rec = {"kind": kind, "symbol": sym.tojson(), "x": enc(x), "y": {k: enc(v) for k, v in
                                                                            labels.items()},
                "xv": enc(xv), "yv": {k: enc(v) for k, v in vlabels.items()},
                "init_arg": {k: enc(v) for k, v in args.items()},
                "init_aux": {k: enc(v) for k, v in auxs.items()},
                "fit": fit_kw, "optimizer_params": dict(case[2]["optimizer_params"]),
                "module": mod_kw, "epochs": epochs, "predict": preds}
    return case_rec, mod


def resume_case():
    """Train 2 epochs saving a checkpoint with optimizer states, load it, train 2 more."""
    cid = "resume"
    r = rng(cid)
    sym = mlp()
    x, y = make_data("flat", r)
    args, auxs = init_params(sym, {"data": (BATCH, 8), "softmax_label": (BATCH,)}, r)
    out_dir = os.path.join(HERE, "resume")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    prefix = os.path.join(out_dir, "mlp")
    opt_params = dict(learning_rate=0.1, momentum=0.9, wd=0.01)
    train = mx.io.NDArrayIter(x, y, BATCH)
    mod = mx.mod.Module(sym)
    mod.fit(train, arg_params=args, aux_params=auxs, optimizer="sgd",
            optimizer_params=opt_params, num_epoch=2,
            epoch_end_callback=mx.callback.module_checkpoint(mod, prefix, 2, True))
    mod2 = mx.mod.Module.load(prefix, 2, load_optimizer_states=True)
    epochs = []

    def on_epoch(epoch, symbol, arg, aux):
        epochs.append({"epoch": epoch, "arg": {k: enc(v) for k, v in sorted(arg.items())}})

    mod2.fit(mx.io.NDArrayIter(x, y, BATCH), optimizer="sgd", optimizer_params=opt_params,
             begin_epoch=2, num_epoch=4, epoch_end_callback=on_epoch)
    return {"x": enc(x), "y": enc(y), "init_arg": {k: enc(v) for k, v in args.items()},
            "optimizer_params": opt_params, "epochs": epochs}


class BucketBatches(mx.io.DataIter):
    """Fixed batches of several bucket keys (sequence lengths); the default bucket is 5."""

    def __init__(self, batches, batch_size):
        super().__init__(batch_size)
        self.batches = batches
        self.default_bucket_key = 5
        self.provide_data = [mx.io.DataDesc("data", (batch_size, 5))]
        self.provide_label = [mx.io.DataDesc("softmax_label", (batch_size,))]
        self.cur = 0

    def reset(self):
        self.cur = 0

    def next(self):
        if self.cur == len(self.batches):
            raise StopIteration
        key, x, y = self.batches[self.cur]
        self.cur += 1
        return mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)], pad=0, bucket_key=key,
                               provide_data=[mx.io.DataDesc("data", x.shape)],
                               provide_label=[mx.io.DataDesc("softmax_label", y.shape)])


def bucket_sym_gen(seq_len):
    data = mx.sym.Variable("data")
    net = mx.sym.Embedding(data, input_dim=10, output_dim=4, name="embed")
    net = mx.sym.sum(net, axis=1)
    net = mx.sym.FullyConnected(net, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(net, name="softmax"), ["data"], ["softmax_label"]


def bucketing_case():
    r = rng("bucketing")
    batches = []
    for key in (5, 3, 5, 4, 3):
        batches.append((key, r.randint(0, 10, (4, key)).astype("float32"),
                        r.randint(0, 3, 4).astype("float32")))
    args = {"embed_weight": r.uniform(-0.5, 0.5, (10, 4)).astype("float32"),
            "fc_weight": r.uniform(-0.5, 0.5, (3, 4)).astype("float32"),
            "fc_bias": np.zeros(3, "float32")}
    mod = mx.mod.BucketingModule(bucket_sym_gen, default_bucket_key=5)
    epochs = []
    metric = mx.metric.create("acc")

    def on_epoch(epoch, symbol, arg, aux):
        epochs.append({"epoch": epoch, "train": [[n, float(v)] for n, v in
                                                 metric.get_global_name_value()],
                       "arg": {k: enc(v) for k, v in sorted(arg.items())}})

    mod.fit(BucketBatches(batches, 4), eval_metric=metric, epoch_end_callback=on_epoch,
            arg_params={k: mx.nd.array(v) for k, v in args.items()}, optimizer="sgd",
            optimizer_params={"learning_rate": 0.5, "momentum": 0.9}, num_epoch=2)
    return {"batches": [[k, enc(x), enc(y)] for k, x, y in batches],
            "init_arg": {k: enc(v) for k, v in args.items()}, "epochs": epochs}


def sequential_case():
    """Two Modules chained by SequentialModule, and a Module feeding a PythonLossModule."""
    r = rng("sequential")
    x = r.randn(20, 6).astype("float32")
    y = r.randint(0, 3, 20).astype("float32")
    part1 = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=5,
                                                    name="fc1"), act_type="relu")
    part2 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3,
                                                       name="fc2"), name="softmax")
    args = {"fc1_weight": r.uniform(-0.5, 0.5, (5, 6)), "fc1_bias": np.zeros(5),
            "fc2_weight": r.uniform(-0.5, 0.5, (3, 5)), "fc2_bias": np.zeros(3)}
    args = {k: mx.nd.array(v.astype("float32")) for k, v in args.items()}
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(part1, label_names=None))
    seq.add(mx.mod.Module(part2), take_labels=True, auto_wiring=True)
    epochs = []
    seq.fit(mx.io.NDArrayIter(x, y, 5), arg_params=args, optimizer="sgd",
            optimizer_params={"learning_rate": 0.3, "momentum": 0.5}, num_epoch=2,
            epoch_end_callback=lambda e, s, a, aux: epochs.append(
                {k: enc(v) for k, v in sorted(a.items())}))

    def softmax_grad(scores, labels):
        p = scores.asnumpy()
        p = np.exp(p - p.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(p)), labels.asnumpy().astype(int)] -= 1
        return p

    logits = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3, name="fc")
    chain = mx.mod.SequentialModule()
    chain.add(mx.mod.Module(logits, label_names=None))
    chain.add(mx.mod.PythonLossModule(grad_func=softmax_grad), take_labels=True,
              auto_wiring=True)
    loss_epochs = []
    chain.fit(mx.io.NDArrayIter(x, y, 5), optimizer="sgd", eval_metric="acc",
              arg_params={"fc_weight": args["fc2_weight"][:, :1].tile((1, 6)) * 0.1,
                          "fc_bias": mx.nd.zeros(3)},
              optimizer_params={"learning_rate": 0.1}, num_epoch=2,
              epoch_end_callback=lambda e, s, a, aux: loss_epochs.append(
                  {k: enc(v) for k, v in sorted(a.items())}))
    return {"x": enc(x), "y": enc(y), "init_arg": {k: enc(v) for k, v in args.items()},
            "epochs": epochs, "loss_epochs": loss_epochs}


def main():
    logging.basicConfig(level=logging.WARNING)
    cases = {}
    for cid, case in CASES.items():
        cases[cid], _ = run_case(cid, case)
    cases["resume"] = resume_case()
    cases["bucketing"] = bucketing_case()
    cases["sequential"] = sequential_case()
    path = os.path.join(HERE, "fit.json")
    with open(path, "w") as f:
        json.dump(cases, f, sort_keys=True)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
