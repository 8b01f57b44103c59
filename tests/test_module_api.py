"""Module API beyond fit: binding, reshaping, outputs, gradients, errors, checkpoints,
FeedForward, kvstore, callbacks and the monitor."""
import logging
import pickle

import numpy as np
import pytest

import mxlite as mx


def _mlp(num_hidden=4, classes=3):
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=num_hidden, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(net, num_hidden=classes, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def _data(n=20, dim=5, seed=0):
    r = np.random.RandomState(seed)
    return r.randn(n, dim).astype("float32"), r.randint(0, 3, n).astype("float32")


def _bound(batch=4, **kw):
    mod = mx.mod.Module(_mlp(), **kw)
    mod.bind(data_shapes=[("data", (batch, 5))], label_shapes=[("softmax_label", (batch,))])
    mod.init_params(mx.init.Uniform(0.1))
    return mod


def test_shapes_and_names():
    mod = _bound()
    assert mod.data_names == ["data"] and mod.output_names == ["softmax_output"]
    assert mod.data_shapes[0].shape == (4, 5)
    assert mod.output_shapes == [("softmax_output", (4, 3))]
    arg, aux = mod.get_params()
    assert sorted(arg) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"] and aux == {}


def test_forward_other_batch_size_reshapes():
    mod = _bound()
    x, _ = _data()
    mod.forward(mx.io.DataBatch([mx.nd.array(x[:7])], [mx.nd.zeros(7)]), is_train=False)
    assert mod.get_outputs()[0].shape == (7, 3)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy().sum(axis=1), 1, rtol=1e-5)
    # without labels the label shape cannot follow (MXNet fails the same way)
    with pytest.raises(mx.MXNetError, match="'data' \\(9, 5\\).*softmax_label"):
        mod.forward(mx.io.DataBatch([mx.nd.array(x[:9])]), is_train=False)
    assert mod.data_shapes[0].shape == (7, 5)


def test_forward_wrong_feature_shape_names_input():
    mod = _bound()
    with pytest.raises(mx.MXNetError, match=r"'data' \(4, 6\).*bound \(4, 5\)"):
        mod.forward(mx.io.DataBatch([mx.nd.zeros((4, 6))]), is_train=False)


def test_fit_with_disagreeing_iterator():
    mod = _bound()
    mod.init_optimizer()
    it = mx.io.NDArrayIter(np.zeros((8, 6), "float32"), np.zeros(8), 4)
    with pytest.raises(mx.MXNetError, match="'data' of shape \\(4, 6\\).*bound to \\(4, 5\\)"):
        mod.fit(it, num_epoch=1)
    other = mx.io.NDArrayIter({"x": np.zeros((8, 5), "float32")}, np.zeros(8), 4)
    with pytest.raises(ValueError, match="'x'"):
        mod.fit(other, num_epoch=1)


def test_bind_name_mismatch_and_unknown_input():
    with pytest.raises(ValueError, match="data_names"):
        mx.mod.Module(_mlp(), data_names=["nope"])
    mod = mx.mod.Module(_mlp())
    with pytest.raises(ValueError, match="don't match names"):
        mod.bind(data_shapes=[("x", (4, 5))])


def test_unknown_optimizer_in_module():
    mod = _bound()
    with pytest.raises(ValueError, match="Cannot find optimizer adamw.*sgd"):
        mod.init_optimizer(optimizer="adamw")


def test_update_before_init_optimizer():
    mod = _bound()
    with pytest.raises(mx.MXNetError, match="init_optimizer"):
        mod.update()


def test_input_grads_and_fixed_params():
    mod = mx.mod.Module(_mlp(), fixed_param_names=["fc1_weight"])
    mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))],
             inputs_need_grad=True)
    mod.init_params(mx.init.Uniform(0.1))
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    before = {k: v.copy() for k, v in mod.get_params()[0].items()}
    x, y = _data(4)
    mod.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
    assert mod.get_input_grads()[0].shape == (4, 5)
    assert float(np.abs(mod.get_input_grads()[0].asnumpy()).sum()) > 0
    mod.update()
    after = mod.get_params()[0]
    np.testing.assert_array_equal(after["fc1_weight"].asnumpy(), before["fc1_weight"].asnumpy())
    assert not np.allclose(after["fc2_weight"].asnumpy(), before["fc2_weight"].asnumpy())


def test_predict_strips_padding_and_merges():
    mod = _bound()
    x, y = _data(10)
    out = mod.predict(mx.io.NDArrayIter(x, y, 4))
    assert out.shape == (10, 3)
    parts = mod.predict(mx.io.NDArrayIter(x, y, 4), merge_batches=False)
    assert [p[0].shape[0] for p in parts] == [4, 4, 2]
    listed = mod.predict(mx.io.NDArrayIter(x, y, 4), always_output_list=True)
    assert isinstance(listed, list) and listed[0].shape == (10, 3)
    batches = list(mod.iter_predict(mx.io.NDArrayIter(x, y, 4)))
    assert [b[0][0].shape[0] for b in batches] == [4, 4, 2]


def test_two_contexts_match_one():
    x, y = _data(24)
    results = []
    for ctx in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        mod = mx.mod.Module(_mlp(), context=ctx, work_load_list=[1] * len(ctx))
        mod.fit(mx.io.NDArrayIter(x, y, 6), num_epoch=2, initializer=mx.init.One(),
                optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
        results.append({k: v.asnumpy() for k, v in mod.get_params()[0].items()})
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-5, atol=1e-6)


def test_work_load_list_split():
    from mxlite.module.executor_group import split_input_slice
    assert split_input_slice(12, [1, 2]) == [slice(0, 4), slice(4, 12)]
    assert split_input_slice(10, [1, 1, 1]) == [slice(0, 3), slice(3, 6), slice(6, 10)]
    with pytest.raises(ValueError, match="Too many slices"):
        split_input_slice(2, [1, 1, 1])


def test_checkpoint_files_and_load(tmp_path):
    x, y = _data()
    mod = mx.mod.Module(_mlp())
    mod.fit(mx.io.NDArrayIter(x, y, 4), num_epoch=1, optimizer="adam")
    prefix = str(tmp_path / "m")
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    loaded = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    loaded.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
    loaded.init_optimizer(optimizer="adam")
    for k, v in mod.get_params()[0].items():
        np.testing.assert_array_equal(loaded.get_params()[0][k].asnumpy(), v.asnumpy())
    with pytest.raises(mx.MXNetError, match="optimizer states"):
        other = _bound()
        other.init_optimizer(optimizer="sgd", optimizer_params={"momentum": 0.9})
        bigger = mx.mod.Module(_mlp(num_hidden=7))
        bigger.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
        bigger.init_params()
        bigger.init_optimizer(optimizer="sgd", optimizer_params={"momentum": 0.9})
        bigger.forward_backward(mx.io.DataBatch([mx.nd.array(x[:4])], [mx.nd.array(y[:4])]))
        bigger.update()
        other.forward_backward(mx.io.DataBatch([mx.nd.array(x[:4])], [mx.nd.array(y[:4])]))
        other.update()
        bigger.save_optimizer_states(str(tmp_path / "b.states"))
        other.load_optimizer_states(str(tmp_path / "b.states"))


def test_shared_module_and_borrow_optimizer():
    mod = _bound()
    mod.init_optimizer()
    infer = mx.mod.Module(_mlp())
    infer.bind(data_shapes=[("data", (2, 5))], label_shapes=[("softmax_label", (2,))],
               shared_module=mod)
    assert infer.optimizer_initialized and infer.params_initialized


def test_feedforward_fit_predict_save_load(tmp_path):
    x, y = _data(40)
    model = mx.model.FeedForward.create(_mlp(), x, y, num_epoch=3, numpy_batch_size=8,
                                        learning_rate=0.2, initializer=mx.init.Xavier())
    pred = model.predict(x)
    assert pred.shape == (40, 3)
    assert 0 <= model.score(mx.io.NDArrayIter(x, y, 8)) <= 1
    model.save(str(tmp_path / "ff"))
    again = mx.model.FeedForward.load(str(tmp_path / "ff"), 3)
    np.testing.assert_allclose(again.predict(x), pred, rtol=1e-6)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.predict(x), pred, rtol=1e-6)
    with pytest.raises(ValueError, match="y must be specified"):
        model.fit(x)


def test_kvstore_local_and_device():
    for kind in ("local", "device"):
        kv = mx.kv.create(kind)
        assert kv.type == kind and kv.rank == 0 and kv.num_workers == 1
        kv.init("w", mx.nd.ones((2, 2)))
        kv.push("w", [mx.nd.ones((2, 2)), mx.nd.ones((2, 2)) * 2])
        out = [mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))]
        kv.pull("w", out=out)
        np.testing.assert_array_equal(out[1].asnumpy(), 3)
        kv.init([1, 2], [mx.nd.zeros(3), mx.nd.zeros(3)])
        grads = [mx.nd.ones(3), mx.nd.ones(3)]
        kv.pushpull([1, 2], grads)
        np.testing.assert_array_equal(grads[0].asnumpy(), 1)
    kv = mx.kv.create()
    kv.init(0, mx.nd.ones(3))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.5))
    kv.push(0, mx.nd.ones(3))
    w = mx.nd.zeros(3)
    kv.pull(0, out=w)
    np.testing.assert_allclose(w.asnumpy(), 0.5)
    with pytest.raises(mx.MXNetError, match="duplicate init"):
        kv.init(0, mx.nd.ones(3))
    with pytest.raises(mx.MXNetError, match="not been initialized"):
        kv.push(9, mx.nd.ones(3))
    with pytest.raises(mx.MXNetError, match="Unknown KVStore type 'horovod'"):
        mx.kv.create("horovod")


def test_kvstore_optimizer_states_file(tmp_path):
    kv = mx.kv.create("local")
    kv.set_optimizer(mx.optimizer.SGD(momentum=0.9))
    kv.init("w", mx.nd.ones(3))
    kv.push("w", mx.nd.ones(3))
    kv.save_optimizer_states(str(tmp_path / "kv.states"))
    kv2 = mx.kv.create("local")
    kv2.set_optimizer(mx.optimizer.SGD(momentum=0.9))
    kv2.load_optimizer_states(str(tmp_path / "kv.states"))
    assert "w" in kv2._updater.states


def test_callbacks_log(caplog):
    x, y = _data(32)
    mod = mx.mod.Module(_mlp())
    with caplog.at_level(logging.INFO):
        mod.fit(mx.io.NDArrayIter(x, y, 4), eval_data=mx.io.NDArrayIter(x, y, 4), num_epoch=2,
                batch_end_callback=[mx.callback.Speedometer(4, 2),
                                    mx.callback.log_train_metric(4),
                                    mx.callback.ProgressBar(8),
                                    mx.callback.TrainingProgress(8, frequent=4)],
                eval_end_callback=mx.callback.LogValidationMetricsCallback())
    text = caplog.text
    assert "Speed:" in text and "samples/sec" in text and "accuracy=" in text
    assert "Iter[1] Batch[4] Train-accuracy=" in text
    assert "Epoch[1] Validation-accuracy=" in text and "Epoch[0] Batch 8/8" in text
    assert "[====" in text


def test_do_checkpoint_period(tmp_path):
    x, y = _data(8)
    mod = mx.mod.Module(_mlp())
    mod.fit(mx.io.NDArrayIter(x, y, 4), num_epoch=4,
            epoch_end_callback=mx.callback.do_checkpoint(str(tmp_path / "c"), period=2))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["c-0002.params", "c-0004.params", "c-symbol.json"]


def test_monitor_collects_stats():
    mod = _bound()
    mod.init_optimizer()
    mon = mx.monitor.Monitor(1, pattern=".*fc1.*", sort=True)
    mod.install_monitor(mon)
    x, y = _data(4)
    mon.tic()
    mod.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
    res = mon.toc()
    names = [k for _, k, _ in res]
    assert "fc1_output" in names and "fc1_weight" in names and names == sorted(names)
    assert all(float(v.strip()) >= 0 for _, _, v in res)
    mon.tic()  # step 1 % interval 1 == 0: active again
    assert mon.activated


def test_print_summary_matches_mxnet(capsys):
    import os
    from training_golden import HERE
    data = mx.sym.Variable("data")
    net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=3, name="conv1")
    net = mx.sym.BatchNorm(net, name="bn1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    net = mx.sym.FullyConnected(mx.sym.Flatten(net, name="flat"), num_hidden=3, name="fc")
    net2 = mx.sym.FullyConnected(data, num_hidden=3, name="fc_b", no_bias=True)
    net = mx.sym.SoftmaxOutput(net + net2, name="softmax")
    mx.viz.print_summary(net, shape={"data": (1, 1, 6, 6)})
    mx.viz.print_summary(net)
    with open(os.path.join(HERE, "print_summary.txt")) as f:
        assert capsys.readouterr().out == f.read()


def test_plot_network():
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install"):
            mx.viz.plot_network(_mlp())
        return
    dot = mx.viz.plot_network(_mlp(), shape={"data": (1, 5)})
    assert "fc1" in dot.source and "FullyConnected" in dot.source


def test_forward_presliced_batches_on_two_contexts():
    x, y = _data(8)
    mod = mx.mod.Module(_mlp(), context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[("data", (8, 5))], label_shapes=[("softmax_label", (8,))])
    mod.init_params(mx.init.One())
    whole = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    mod.forward(whole, is_train=False)
    expected = mod.get_outputs()[0].asnumpy()
    parts = [mx.io.DataBatch([mx.nd.array(x[:4])], [mx.nd.array(y[:4])]),
             mx.io.DataBatch([mx.nd.array(x[4:])], [mx.nd.array(y[4:])])]
    mod.forward(parts, is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), expected, rtol=1e-6)
    metric = mx.metric.Accuracy()
    mod.update_metric(metric, [p.label for p in parts], pre_sliced=True)
    assert metric.num_inst == 8


def test_training_progress_uses_tqdm_on_a_terminal():
    pytest.importorskip("tqdm")
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    cb = mx.callback.TrainingProgress(total=3, stream=stream)
    metric = mx.metric.Accuracy()
    for n in range(3):
        cb(mx.model.BatchEndParam(epoch=0, nbatch=n, eval_metric=metric, locals=None))
    assert "Epoch 0:" in stream.getvalue() and "/3" in stream.getvalue()
    assert cb._bar is None  # closed at the end of the epoch


def test_bad_params_leave_module_unchanged():
    mod = _bound()
    before = {k: v.asnumpy().copy() for k, v in mod.get_params()[0].items()}
    bad = {"fc1_bias": mx.nd.ones((4,)) * 7, "fc2_weight": mx.nd.ones((9, 9))}
    with pytest.raises(mx.MXNetError, match="fc2_weight has shape \\(9, 9\\).*\\(3, 4\\)"):
        mod.set_params(bad, {}, allow_missing=False)
    for k, v in mod.get_params()[0].items():
        np.testing.assert_array_equal(v.asnumpy(), before[k])
    with pytest.raises(RuntimeError, match="fc1_weight is not presented"):
        mod.init_params(arg_params={"fc1_bias": mx.nd.ones((4,)) * 7}, force_init=True)
    for k, v in mod.get_params()[0].items():
        np.testing.assert_array_equal(v.asnumpy(), before[k])


def test_fit_without_labels_makeloss():
    x = np.random.RandomState(0).rand(20, 4).astype("float32")
    fc = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc")
    net = mx.sym.MakeLoss(mx.sym.sum(mx.sym.square(fc)))
    mod = mx.mod.Module(net, label_names=None)
    it = mx.io.NDArrayIter(x, batch_size=5)
    mod.fit(it, num_epoch=1, eval_metric="loss", initializer=mx.init.One(),
            optimizer_params={"learning_rate": 0.01})
    first = dict(mod.score(it, "loss"))["loss"]
    it.reset()  # fit does not reset its iterator first (nor does MXNet's)
    mod.fit(it, num_epoch=3, begin_epoch=1, eval_metric="loss",
            optimizer_params={"learning_rate": 0.01})
    assert dict(mod.score(it, "loss"))["loss"] < first


def test_state_names():
    data, state = mx.sym.Variable("data"), mx.sym.Variable("state")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc") + state
    mod = mx.mod.Module(net, data_names=["data"], label_names=None, state_names=["state"])
    mod.bind(data_shapes=[("data", (2, 4))])
    mod.init_params(mx.init.Zero())
    assert "state" not in mod.get_params()[0]
    mod.set_states(value=1.5)
    mod.forward(mx.io.DataBatch([mx.nd.ones((2, 4))]), is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), 1.5)
    mod.set_states(states=[[mx.nd.ones((2, 3)) * 2]])
    np.testing.assert_allclose(mod.get_states(merge_multi_context=False)[0][0].asnumpy(), 2)
    with pytest.raises(mx.MXNetError, match="merge_multi_context"):
        mod.get_states()
