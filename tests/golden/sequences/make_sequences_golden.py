#!/usr/bin/env python
"""Record mx.rnn, bucketing and custom-op behaviour of the *real* Apache MXNet 1.9.1 into
tests/golden/sequences/.

Run with the MXNet venv (not the mxlite environment):

    ../mxnet-venv/bin/python tests/golden/sequences/make_sequences_golden.py

The network builders below take the framework module ``mx`` as an argument: the tests import
this file and build the same networks with mxlite. Files written:

- ``cells.npz`` + ``cells.json``: per cell kind, the unrolled symbol's argument / output names,
  the parameters fed in (``<case>:in:<arg>``), outputs, gradients with head gradients of ones;
  fused cells also their ``unpack_weights`` names and pieces;
- ``bucket_iter.json``: encode_sentences and every BucketSentenceIter batch after seeding;
- ``bucketing.npz``: a BucketingModule (LSTM LM) trained over several buckets (fixed init, SGD);
- ``custom.npz``: a CustomOp softmax network's forward/backward and a Module trajectory.

Seeds are fixed and npz members carry a fixed timestamp, so re-runs give identical files. This
file is our own code; it only calls MXNet's public Python API.
"""
import io
import json
import os
import random
import sys
import zipfile

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, SEQ, INPUT, HIDDEN = 2, 3, 4, 5


# ----- builders shared with tests/test_rnn_cells.py ---------------------------------------------
def cell_cases(mx):
    """name -> (cell factory, layout, merge_outputs, is_train)."""
    r = mx.rnn

    def seq():
        s = r.SequentialRNNCell()
        s.add(r.LSTMCell(HIDDEN, prefix="l0_"))
        s.add(r.LSTMCell(HIDDEN, prefix="l1_"))
        return s

    def bidir():
        return r.BidirectionalCell(r.LSTMCell(HIDDEN, prefix="l_"), r.GRUCell(HIDDEN, prefix="r_"))

    def residual():
        return r.ResidualCell(r.GRUCell(INPUT, prefix="res_"))

    def zoneout():
        return r.ZoneoutCell(r.RNNCell(HIDDEN, prefix="zo_"), 0.3, 0.4)

    def dropout_stack():
        s = r.SequentialRNNCell()
        s.add(r.RNNCell(HIDDEN, prefix="a_"))
        s.add(r.DropoutCell(0.5, prefix="drop_"))
        s.add(r.RNNCell(HIDDEN, prefix="b_"))
        return s
    return {
        "rnn_tanh": (lambda: r.RNNCell(HIDDEN, prefix="rnn_"), "NTC", True, True),
        "rnn_relu_list": (lambda: r.RNNCell(HIDDEN, "relu", prefix="rr_"), "TNC", False, True),
        "lstm": (lambda: r.LSTMCell(HIDDEN, prefix="lstm_", forget_bias=2.0), "NTC", True, True),
        "gru_tnc": (lambda: r.GRUCell(HIDDEN, prefix="gru_"), "TNC", True, True),
        "sequential": (seq, "NTC", True, True),
        "bidirectional": (bidir, "NTC", True, True),
        "residual": (residual, "NTC", False, True),
        "zoneout_infer": (zoneout, "NTC", True, False),
        "dropout_infer": (dropout_stack, "NTC", True, False),
        "fused_lstm_2l_bi": (lambda: r.FusedRNNCell(HIDDEN, 2, "lstm", bidirectional=True,
                                                    get_next_state=True, prefix="fl_"),
                             "TNC", True, True),
        "fused_gru": (lambda: r.FusedRNNCell(HIDDEN, 1, "gru", get_next_state=True,
                                             prefix="fg_"), "NTC", True, True),
        "fused_rnn_relu_2l": (lambda: r.FusedRNNCell(HIDDEN, 2, "rnn_relu", prefix="fr_"),
                              "TNC", True, True),
    }


def unrolled(mx, factory, layout, merge):
    """The cell's unrolled network grouped with its final states; (cell, symbol). Auto-names
    (``concat0``) are counted afresh for each network."""
    with mx.name.NameManager():
        cell = factory()
        data = mx.sym.Variable("data")
        outputs, states = cell.unroll(SEQ, data, layout=layout, merge_outputs=merge)
    flat = []

    def walk(s):
        if isinstance(s, (list, tuple)):
            for x in s:
                walk(x)
        else:
            flat.append(s)
    walk(states)
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    return cell, mx.sym.Group(outs + flat)


def data_shape(layout):
    return (BATCH, SEQ, INPUT) if layout == "NTC" else (SEQ, BATCH, INPUT)


def lstm_lm(mx, num_layers=2, hidden=8, embed=6, vocab=12):
    """sym_gen of a small bucketing LSTM language model (example/rnn/bucketing)."""
    stack = mx.rnn.SequentialRNNCell()
    for i in range(num_layers):
        stack.add(mx.rnn.LSTMCell(num_hidden=hidden, prefix=f"lstm_l{i}_"))

    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        emb = mx.sym.Embedding(data=data, input_dim=vocab, output_dim=embed, name="embed")
        stack.reset()
        outputs, _ = stack.unroll(seq_len, inputs=emb, merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, hidden))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=vocab, name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax")
        return pred, ("data",), ("softmax_label",)
    return sym_gen


def register_custom_ops(mx):
    """A custom softmax loss (example/numpy-ops/custom_softmax.py) and a scaled square."""
    class Softmax(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            x = in_data[0].asnumpy()
            y = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
            y /= y.sum(axis=1).reshape((x.shape[0], 1))
            self.assign(out_data[0], req[0], mx.nd.array(y))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            label = in_data[1].asnumpy().ravel().astype(int)
            y = out_data[0].asnumpy()
            y[np.arange(label.shape[0]), label] -= 1.0
            self.assign(in_grad[0], req[0], mx.nd.array(y))

    @mx.operator.register("golden_softmax")
    class SoftmaxProp(mx.operator.CustomOpProp):
        def __init__(self):
            super(SoftmaxProp, self).__init__(need_top_grad=False)

        def list_arguments(self):
            return ["data", "label"]

        def list_outputs(self):
            return ["output"]

        def infer_shape(self, in_shape):
            return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return Softmax()

    class Scale(mx.operator.CustomOp):
        def __init__(self, scale):
            self.scale = scale

        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * in_data[0] * self.scale)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], 2 * self.scale * in_data[0] * out_grad[0])

    @mx.operator.register("golden_scaled_sqr")
    class ScaleProp(mx.operator.CustomOpProp):
        def __init__(self, scale="1.0"):
            super(ScaleProp, self).__init__(need_top_grad=True)
            self.scale = float(scale)

        def create_operator(self, ctx, shapes, dtypes):
            return Scale(self.scale)


def custom_net(mx):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=6, name="fc1")
    sq = mx.sym.Custom(fc1, op_type="golden_scaled_sqr", scale=0.5, name="sq")
    fc2 = mx.sym.FullyConnected(sq, num_hidden=3, name="fc2")
    return mx.sym.Custom(fc2, name="softmax", op_type="golden_softmax")


# ----- recording ------------------------------------------------------------------------------
def _save_npz(path, arrays):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.save(buf, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(2020, 1, 1, 0, 0, 0))
            zf.writestr(info, buf.getvalue(), zipfile.ZIP_DEFLATED)


def record_cells(mx):
    arrays, meta = {}, {}
    rng = np.random.RandomState(7)
    for name, (factory, layout, merge, is_train) in cell_cases(mx).items():
        cell, net = unrolled(mx, factory, layout, merge)
        shapes, _, _ = net.infer_shape(data=data_shape(layout))
        args = dict(zip(net.list_arguments(), shapes))
        ex = net.simple_bind(mx.cpu(), grad_req="write", **{"data": data_shape(layout)})
        for arg, shape in args.items():
            value = rng.uniform(-0.5, 0.5, shape).astype(np.float32)
            ex.arg_dict[arg][:] = value
            arrays[f"{name}:in:{arg}"] = value
        outs = ex.forward(is_train=is_train)
        for i, o in enumerate(outs):
            arrays[f"{name}:out:{i}"] = o.asnumpy()
        info = {"arguments": net.list_arguments(), "outputs": net.list_outputs(),
                "state_info": [dict(s) for s in cell.state_info], "is_train": is_train,
                "params": sorted(cell.params._params)}
        if is_train:
            ex.backward([mx.nd.ones(o.shape) for o in outs])
            for arg in args:
                arrays[f"{name}:grad:{arg}"] = ex.grad_dict[arg].asnumpy()
        if isinstance(cell, mx.rnn.FusedRNNCell):
            pname = [a for a in args if a.endswith("parameters")][0]
            unpacked = cell.unpack_weights({pname: ex.arg_dict[pname]})
            info["unpacked"] = sorted(unpacked)
            for k, v in unpacked.items():
                arrays[f"{name}:unpacked:{k}"] = v.asnumpy()
            twin = cell.unfuse()
            info["unfused_params"] = sorted(twin.params._params)
        meta[name] = info
    _save_npz(os.path.join(HERE, "cells.npz"), arrays)
    with open(os.path.join(HERE, "cells.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


def bucket_sentences():
    rng = np.random.RandomState(3)
    words = "a b c d e f g h i j".split()
    return [[words[k] for k in rng.randint(0, 10, size=rng.randint(2, 12))] for _ in range(40)]


def record_bucket_iter(mx):
    sentences = bucket_sentences()
    coded, vocab = mx.rnn.encode_sentences(sentences, invalid_label=0, start_label=1)
    out = {"coded": coded, "vocab": vocab, "runs": {}}
    for layout in ("NT", "TN"):
        random.seed(5)
        np.random.seed(5)
        it = mx.rnn.BucketSentenceIter(coded, 4, buckets=[4, 8, 12], invalid_label=0,
                                       layout=layout)
        batches = []
        for _epoch in range(2):
            it.reset()
            for b in it:
                batches.append({"key": b.bucket_key, "data": b.data[0].asnumpy().tolist(),
                                "label": b.label[0].asnumpy().tolist(),
                                "provide_data": [list(d) for d in b.provide_data]})
        out["runs"][layout] = {"batches": batches, "default_bucket_key": it.default_bucket_key,
                               "provide_data": [[d.name, list(d.shape)] for d in it.provide_data]}
    with open(os.path.join(HERE, "bucket_iter.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


def bucketing_batches(mx, n=6, batch=4, vocab=12):
    rng = np.random.RandomState(11)
    keys = [5, 10, 5, 8, 10, 8][:n]
    out = []
    for key in keys:
        d = rng.randint(1, vocab, size=(batch, key)).astype(np.float32)
        label = np.concatenate([d[:, 1:], np.zeros((batch, 1), np.float32)], axis=1)
        out.append((key, d, label))
    return out


def bucketing_init(mx, arg_shapes):
    rng = np.random.RandomState(13)
    return {k: rng.uniform(-0.3, 0.3, s).astype(np.float32) for k, s in sorted(arg_shapes.items())}


def run_bucketing(mx):
    """Train the bucketing LM for a few batches; returns (outputs per step, final params)."""
    sym_gen = lstm_lm(mx)
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=10, context=mx.cpu())
    mod.bind(data_shapes=[("data", (4, 10))], label_shapes=[("softmax_label", (4, 10))])
    mod.init_params(mx.init.Zero())
    arg, aux = mod.get_params()
    init = bucketing_init(mx, {k: v.shape for k, v in arg.items()})
    mod.set_params({k: mx.nd.array(v) for k, v in init.items()}, aux)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5,
                                                          "rescale_grad": 0.25})
    outs = []
    for key, d, label in bucketing_batches(mx):
        batch = mx.io.DataBatch([mx.nd.array(d)], [mx.nd.array(label)], bucket_key=key,
                                provide_data=[("data", d.shape)],
                                provide_label=[("softmax_label", label.shape)])
        mod.forward(batch, is_train=True)
        outs.append(mod.get_outputs()[0].asnumpy())
        mod.backward()
        mod.update()
    arg, _ = mod.get_params()
    return init, outs, {k: v.asnumpy() for k, v in arg.items()}


def record_bucketing(mx):
    init, outs, final = run_bucketing(mx)
    arrays = {f"init:{k}": v for k, v in init.items()}
    arrays.update({f"out:{i}": o for i, o in enumerate(outs)})
    arrays.update({f"final:{k}": v for k, v in final.items()})
    _save_npz(os.path.join(HERE, "bucketing.npz"), arrays)


def run_custom(mx):
    register_custom_ops(mx)
    net = custom_net(mx)
    rng = np.random.RandomState(21)
    x = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    y = rng.randint(0, 3, (5,)).astype(np.float32)
    ex = net.simple_bind(mx.cpu(), data=x.shape)
    params = {}
    for k in sorted(ex.arg_dict):
        if k in ("data", "softmax_label"):
            continue
        params[k] = rng.uniform(-0.5, 0.5, ex.arg_dict[k].shape).astype(np.float32)
        ex.arg_dict[k][:] = params[k]
    ex.arg_dict["data"][:] = x
    ex.arg_dict["softmax_label"][:] = y
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward()
    grads = {k: ex.grad_dict[k].asnumpy() for k in params}
    mod = mx.mod.Module(net, context=mx.cpu())
    it = mx.io.NDArrayIter(np.tile(x, (2, 1)), np.tile(y, 2), batch_size=5)
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in params.items()})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    traj = []
    for _ in range(2):
        it.reset()
        for batch in it:
            mod.forward_backward(batch)
            mod.update()
            traj.append(mod.get_outputs()[0].asnumpy())
    final = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    return x, y, params, out, grads, traj, final, net


def record_custom(mx):
    x, y, params, out, grads, traj, final, net = run_custom(mx)
    arrays = {"x": x, "y": y, "out": out}
    arrays.update({f"param:{k}": v for k, v in params.items()})
    arrays.update({f"grad:{k}": v for k, v in grads.items()})
    arrays.update({f"traj:{i}": v for i, v in enumerate(traj)})
    arrays.update({f"final:{k}": v for k, v in final.items()})
    _save_npz(os.path.join(HERE, "custom.npz"), arrays)
    with open(os.path.join(HERE, "custom.json"), "w") as f:
        f.write(net.tojson())


def main():
    import mxnet as mx
    sections = sys.argv[1:] or ["cells", "iter", "bucketing", "custom"]
    if "cells" in sections:
        record_cells(mx)
    if "iter" in sections:
        record_bucket_iter(mx)
    if "bucketing" in sections:
        record_bucketing(mx)
    if "custom" in sections:
        record_custom(mx)


if __name__ == "__main__":
    main()
