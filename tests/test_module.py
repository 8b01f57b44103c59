"""Module.fit trajectories against MXNet 1.9.1: parameters and metrics after every epoch."""
import os
import shutil

import numpy as np
import pytest

import mxlite as mx
from training_golden import HERE, dec, load

FIT = load("fit")
CASES = sorted(k for k in FIT if k not in ("resume", "bucketing", "sequential"))
RTOL, ATOL = 2e-4, 2e-5


def _metric(kind):
    if kind == "multi":
        return mx.metric.CompositeEvalMetric([
            mx.metric.Accuracy(output_names=["sm_output"], label_names=["sm_label"]),
            mx.metric.MSE(output_names=["lr_output"], label_names=["lr_label"])])
    return mx.metric.create(["acc", "ce"])


def _close_params(got, want, where):
    assert sorted(got) == sorted(want), where
    for k, rec in want.items():
        np.testing.assert_allclose(got[k].asnumpy(), dec(rec), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{where} {k}")


def _close_metric(got, want, where):
    assert [n for n, _ in got] == [n for n, _ in want], where
    for (n, g), (_, w) in zip(got, want):
        assert g == pytest.approx(w, rel=1e-4, abs=1e-5), f"{where} {n}"


def _run(case, monkeypatch):
    sym = mx.sym.load_json(case["symbol"])
    mod_kw = dict(case["module"])
    label_names = mod_kw.pop("label_names", ["softmax_label"])
    if "context" in mod_kw:
        mod_kw["context"] = [mx.cpu(int(c[-1])) for c in mod_kw["context"]]
    fit_kw = dict(case["fit"])
    if fit_kw.pop("update_on_kvstore", True) is False:
        monkeypatch.setenv("MXNET_UPDATE_ON_KVSTORE", "0")
    opt_params = dict(case["optimizer_params"])
    if "lr_scheduler" in opt_params:
        name, kw = opt_params["lr_scheduler"]
        opt_params["lr_scheduler"] = getattr(mx.lr_scheduler, name)(**kw)
    x = dec(case["x"])
    labels = {k: dec(v) for k, v in case["y"].items()}
    xv = dec(case["xv"])
    vlabels = {k: dec(v) for k, v in case["yv"].items()}
    train = mx.io.NDArrayIter(x, labels, 10)
    val = mx.io.NDArrayIter(xv, vlabels, 10)
    mod = mx.mod.Module(sym, data_names=["data"], label_names=label_names, **mod_kw)
    metric = _metric(case["kind"])
    epochs = []

    def on_epoch(epoch, symbol, arg, aux):
        epochs.append({"epoch": epoch, "train": metric.get_global_name_value(),
                       "arg": {k: v.copy() for k, v in arg.items()},
                       "aux": {k: v.copy() for k, v in aux.items()}})

    def on_val(param):
        epochs[-1]["val"] = param.eval_metric.get_name_value()

    mod.fit(train, eval_data=val, eval_metric=metric, epoch_end_callback=on_epoch,
            eval_end_callback=on_val,
            arg_params={k: mx.nd.array(dec(v)) for k, v in case["init_arg"].items()},
            aux_params={k: mx.nd.array(dec(v)) for k, v in case["init_aux"].items()},
            optimizer_params=opt_params, **fit_kw)
    return mod, epochs, val


@pytest.mark.parametrize("case_id", CASES)
def test_fit_trajectory_matches_mxnet(case_id, monkeypatch):
    case = FIT[case_id]
    mod, epochs, val = _run(case, monkeypatch)
    assert len(epochs) == len(case["epochs"])
    for got, want in zip(epochs, case["epochs"]):
        where = f"{case_id} epoch {want['epoch']}"
        _close_params(got["arg"], want["arg"], where)
        _close_params(got["aux"], want["aux"], where)
        _close_metric(got["train"], want["train"], where + " train")
        _close_metric(got["val"], want["val"], where + " validation")
    out = mod.predict(val)
    outs = out if isinstance(out, list) else [out]
    for o, rec in zip(outs, case["predict"]):
        np.testing.assert_allclose(o.asnumpy(), dec(rec), rtol=RTOL, atol=ATOL)


def test_resume_from_mxnet_checkpoint(tmp_path):
    """Load MXNet's checkpoint and optimizer states after epoch 2 and continue as MXNet did."""
    case = FIT["resume"]
    for name in os.listdir(os.path.join(HERE, "resume")):
        shutil.copy(os.path.join(HERE, "resume", name), tmp_path / name)
    prefix = str(tmp_path / "mlp")
    mod = mx.mod.Module.load(prefix, 2, load_optimizer_states=True)
    epochs = []
    mod.fit(mx.io.NDArrayIter(dec(case["x"]), dec(case["y"]), 10), optimizer="sgd",
            optimizer_params=case["optimizer_params"], begin_epoch=2, num_epoch=4,
            epoch_end_callback=lambda e, s, a, x: epochs.append({k: v.copy()
                                                                 for k, v in a.items()}))
    for got, want in zip(epochs, case["epochs"]):
        _close_params(got, want["arg"], f"resume epoch {want['epoch']}")


def test_resume_from_own_checkpoint(tmp_path):
    """mxlite's own checkpoint + states give the same continuation as MXNet's."""
    case = FIT["resume"]
    sym = mx.sym.load(os.path.join(HERE, "resume", "mlp-symbol.json"))
    x, y = dec(case["x"]), dec(case["y"])
    prefix = str(tmp_path / "own")
    mod = mx.mod.Module(sym)
    mod.fit(mx.io.NDArrayIter(x, y, 10), optimizer="sgd",
            arg_params={k: mx.nd.array(dec(v)) for k, v in case["init_arg"].items()},
            optimizer_params=case["optimizer_params"], num_epoch=2,
            epoch_end_callback=mx.callback.module_checkpoint(mod, prefix, 2, True))
    assert os.path.exists(prefix + "-0002.states")
    mod2 = mx.mod.Module.load(prefix, 2, load_optimizer_states=True)
    epochs = []
    mod2.fit(mx.io.NDArrayIter(x, y, 10), optimizer="sgd",
             optimizer_params=case["optimizer_params"], begin_epoch=2, num_epoch=4,
             epoch_end_callback=lambda e, s, a, x: epochs.append({k: v.copy()
                                                                  for k, v in a.items()}))
    for got, want in zip(epochs, case["epochs"]):
        _close_params(got, want["arg"], f"own resume epoch {want['epoch']}")


class _BucketBatches(mx.io.DataIter):
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


def _bucket_sym_gen(seq_len):
    data = mx.sym.Variable("data")
    net = mx.sym.Embedding(data, input_dim=10, output_dim=4, name="embed")
    net = mx.sym.sum(net, axis=1)
    net = mx.sym.FullyConnected(net, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(net, name="softmax"), ["data"], ["softmax_label"]


def test_bucketing_module_matches_mxnet(tmp_path):
    case = FIT["bucketing"]
    batches = [(k, dec(x), dec(y)) for k, x, y in case["batches"]]
    mod = mx.mod.BucketingModule(_bucket_sym_gen, default_bucket_key=5)
    metric = mx.metric.create("acc")
    epochs = []
    mod.fit(_BucketBatches(batches, 4), eval_metric=metric,
            epoch_end_callback=lambda e, s, a, x: epochs.append(
                ({k: v.copy() for k, v in a.items()}, metric.get_global_name_value())),
            arg_params={k: mx.nd.array(dec(v)) for k, v in case["init_arg"].items()},
            optimizer="sgd", optimizer_params={"learning_rate": 0.5, "momentum": 0.9},
            num_epoch=2)
    assert sorted(mod._buckets) == [3, 4, 5]
    for (arg, train), want in zip(epochs, case["epochs"]):
        _close_params(arg, want["arg"], f"bucketing epoch {want['epoch']}")
        _close_metric(train, want["train"], "bucketing train")
    prefix = str(tmp_path / "b")
    mod.save_checkpoint(prefix, 2)
    loaded = mx.mod.BucketingModule.load(prefix, 2, sym_gen=_bucket_sym_gen,
                                         default_bucket_key=5)
    loaded.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))],
                for_training=False)
    _close_params(loaded.get_params()[0], case["epochs"][-1]["arg"], "bucketing reloaded")


def test_sequential_and_python_loss_modules_match_mxnet():
    case = FIT["sequential"]
    x, y = dec(case["x"]), dec(case["y"])
    args = {k: mx.nd.array(dec(v)) for k, v in case["init_arg"].items()}
    part1 = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=5,
                                                    name="fc1"), act_type="relu")
    part2 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3,
                                                       name="fc2"), name="softmax")
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(part1, label_names=None))
    seq.add(mx.mod.Module(part2), take_labels=True, auto_wiring=True)
    epochs = []
    seq.fit(mx.io.NDArrayIter(x, y, 5), arg_params=args, optimizer="sgd",
            optimizer_params={"learning_rate": 0.3, "momentum": 0.5}, num_epoch=2,
            epoch_end_callback=lambda e, s, a, aux: epochs.append(
                {k: v.copy() for k, v in a.items()}))
    for got, want in zip(epochs, case["epochs"]):
        _close_params(got, want, "sequential")

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
    w0 = mx.nd.array(np.tile(dec(case["init_arg"]["fc2_weight"])[:, :1], (1, 6)) * 0.1)
    chain.fit(mx.io.NDArrayIter(x, y, 5), optimizer="sgd", eval_metric="acc",
              arg_params={"fc_weight": w0, "fc_bias": mx.nd.zeros(3)},
              optimizer_params={"learning_rate": 0.1}, num_epoch=2,
              epoch_end_callback=lambda e, s, a, aux: loss_epochs.append(
                  {k: v.copy() for k, v in a.items()}))
    for got, want in zip(loss_epochs, case["loss_epochs"]):
        _close_params(got, want, "python loss")
    with pytest.raises(ValueError, match="Unknown meta"):
        mx.mod.SequentialModule().add(mx.mod.Module(logits), take_label=True)
