#!/usr/bin/env python
"""Record the training layer of the *real* Apache MXNet 1.9.1 into tests/golden/training/.

Run with the MXNet venv (not the mxlite environment):

    ../mxnet-venv/bin/python tests/golden/training/make_training_golden.py [section ...]

Sections: update_ops, optimizers, schedulers, metrics, iterators (default: all). Each writes
``<section>.json``: the inputs it fed MXNet and what MXNet returned, as plain lists, so the mxlite
tests replay the same calls without MXNet. Inputs come from NumPy generators seeded per case.
This file is our own code; it only calls MXNet's public Python API.
"""
import base64
import json
import os
import sys
import zlib

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4")

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 3


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()) & 0x7FFFFFFF)


def enc(a):
    a = a.asnumpy() if isinstance(a, mx.nd.NDArray) else np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.ravel().tolist()}


def write(section, data):
    path = os.path.join(HERE, f"{section}.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ----- update ops
SHAPE = (2, 3)
BASE = dict(lr=0.1, wd=0.05, rescale_grad=0.5, clip_gradient=0.4)
UPDATE_CASES = [
    # (case id, op, input names, params, dtype of weight/grad, state init)
    ("sgd-plain", "sgd_update", ["weight", "grad"], dict(lr=0.1), "float32"),
    ("sgd-all", "sgd_update", ["weight", "grad"], BASE, "float32"),
    ("sgd_mom-all", "sgd_mom_update", ["weight", "grad", "mom"], dict(BASE, momentum=0.9),
     "float32"),
    ("mp_sgd-all", "mp_sgd_update", ["weight", "grad", "weight32"], BASE, "float16"),
    ("mp_sgd_mom-all", "mp_sgd_mom_update", ["weight", "grad", "mom", "weight32"],
     dict(BASE, momentum=0.9), "float16"),
    ("nag_mom-all", "nag_mom_update", ["weight", "grad", "mom"], dict(BASE, momentum=0.9),
     "float32"),
    ("nag_mom-noclip", "nag_mom_update", ["weight", "grad", "mom"],
     dict(lr=0.1, wd=0.05, momentum=0.8), "float32"),
    ("mp_nag_mom-all", "mp_nag_mom_update", ["weight", "grad", "mom", "weight32"],
     dict(BASE, momentum=0.9), "float16"),
    ("adam-all", "adam_update", ["weight", "grad", "mean", "var"],
     dict(BASE, beta1=0.8, beta2=0.99, epsilon=1e-6), "float32"),
    ("adam-plain", "adam_update", ["weight", "grad", "mean", "var"], dict(lr=0.01), "float32"),
    ("rmsprop-all", "rmsprop_update", ["weight", "grad", "n"],
     dict(BASE, gamma1=0.9, epsilon=1e-6, clip_weights=0.9), "float32"),
    ("rmspropalex-all", "rmspropalex_update", ["weight", "grad", "n", "g", "delta"],
     dict(BASE, gamma1=0.9, gamma2=0.8, epsilon=1e-6, clip_weights=0.9), "float32"),
    ("ftrl-all", "ftrl_update", ["weight", "grad", "z", "n"], dict(BASE, lamda1=0.01, beta=1.0),
     "float32"),
    ("ftml-all", "ftml_update", ["weight", "grad", "d", "v", "z"],
     dict(lr=0.1, wd=0.05, rescale_grad=0.5, clip_grad=0.4, beta1=0.6, beta2=0.999), "float32"),
    ("signsgd-all", "signsgd_update", ["weight", "grad"], BASE, "float32"),
    ("signum-all", "signum_update", ["weight", "grad", "mom"],
     dict(BASE, momentum=0.9, wd_lh=0.02), "float32"),
    ("lamb1-all", "lamb_update_phase1", ["weight", "grad", "mean", "var"],
     dict(wd=0.05, rescale_grad=0.5, clip_gradient=0.4, beta1=0.9, beta2=0.99), "float32"),
    ("lamb1-nobias", "lamb_update_phase1", ["weight", "grad", "mean", "var"],
     dict(wd=0.05, beta1=0.9, beta2=0.99, bias_correction=False), "float32"),
    ("lamb2-bounds", "lamb_update_phase2", ["weight", "g", "r1", "r2"],
     dict(lr=0.1, lower_bound=0.5, upper_bound=2.0), "float32"),
    ("lamb2-plain", "lamb_update_phase2", ["weight", "g", "r1", "r2"], dict(lr=0.1), "float32"),
]
NEEDS_T = {"ftml_update", "lamb_update_phase1"}
NOT_INPLACE = {"lamb_update_phase1"}


def update_ops():
    cases = {}
    for cid, op, names, params, dtype in UPDATE_CASES:
        r = rng(cid)
        arrays = {}
        for n in names:
            if n in ("r1", "r2"):
                arrays[n] = mx.nd.array([r.uniform(0.5, 3.0)], dtype="float32")
            elif n == "weight32":
                arrays[n] = arrays["weight"].astype("float32")
            elif n in ("weight", "grad", "g"):
                arrays[n] = mx.nd.array(r.uniform(-1, 1, SHAPE), dtype=dtype)
            elif n in ("n", "v", "var"):
                state_dtype = "float32" if "weight32" in names else dtype
                arrays[n] = mx.nd.array(r.uniform(1.0, 1.5, SHAPE), dtype=state_dtype)
            else:
                state_dtype = "float32" if "weight32" in names else dtype
                arrays[n] = mx.nd.array(r.uniform(-0.3, 0.3, SHAPE), dtype=state_dtype)
        case = {"op": op, "inputs": names, "params": params,
                "init": {n: enc(a) for n, a in arrays.items()}, "grads": [], "steps": []}
        fn = getattr(mx.nd, op)
        for step in range(1, STEPS + 1):
            gname = "g" if "g" in names and "grad" not in names else "grad"
            grad = mx.nd.array(r.uniform(-2, 2, SHAPE), dtype=arrays[gname].dtype)
            arrays[gname] = grad
            case["grads"].append(enc(grad))
            p = dict(params, t=step) if op in NEEDS_T else params
            args = [arrays[n] for n in names]
            if op in NOT_INPLACE:
                out = fn(*args, **p)
            else:
                out = fn(*args, out=arrays["weight"], **p)
            rec = {n: enc(a) for n, a in arrays.items() if n not in ("grad", "g")}
            rec["out"] = enc(out)
            case["steps"].append(rec)
        cases[cid] = case
    # multi-tensor SGD: two weights of different shapes
    for op, group in (("multi_sgd_update", 2), ("multi_sgd_mom_update", 3),
                      ("multi_mp_sgd_update", 3), ("multi_mp_sgd_mom_update", 4)):
        r = rng(op)
        mp = "mp" in op
        dtype = "float16" if mp else "float32"
        shapes = [(2, 3), (4,)]
        ins = []
        for s in shapes:
            w = mx.nd.array(r.uniform(-1, 1, s), dtype=dtype)
            g = mx.nd.array(r.uniform(-2, 2, s), dtype=dtype)
            row = [w, g]
            if "mom" in op:
                row.append(mx.nd.array(r.uniform(-0.3, 0.3, s), dtype="float32" if mp else dtype))
            if mp:
                row.append(w.astype("float32"))
            ins.extend(row)
        params = dict(lrs=(0.1, 0.2), wds=(0.01, 0.0), rescale_grad=0.5, clip_gradient=0.8,
                      num_weights=2)
        if "mom" in op:
            params["momentum"] = 0.9
        init = [enc(a) for a in ins]
        pre_ins = [a.copy() for a in ins]
        getattr(mx.nd, op)(*ins, out=[ins[0], ins[group]], **params)
        cases[op] = {"op": op, "group": group, "params": params, "init": init,
                     "after": [enc(a) for a in ins]}
        # the preloaded form: lrs and wds as the last two inputs
        pre_params = {k: v for k, v in params.items() if k not in ("lrs", "wds")}
        extra = [mx.nd.array(params["lrs"]), mx.nd.array(params["wds"])]
        getattr(mx.nd, "preloaded_" + op)(*(pre_ins + extra), out=[pre_ins[0], pre_ins[group]],
                                          **pre_params)
        cases["preloaded_" + op] = {"op": "preloaded_" + op, "group": group, "params": pre_params,
                                    "init": init, "lrs": list(params["lrs"]),
                                    "wds": list(params["wds"]),
                                    "after": [enc(a) for a in pre_ins]}
    write("update_ops", cases)


# ----- optimizers through get_updater
OPT_CASES = [
    ("sgd", dict(learning_rate=0.1)),
    ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01, multi_precision=True)),
    ("nag", dict(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)),
    ("nag", dict(learning_rate=0.1, wd=0.01)),
    ("adam", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("adam", dict(learning_rate=0.01, multi_precision=True)),
    ("adagrad", dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("rmsprop", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_weights=2.0)),
    ("rmsprop", dict(learning_rate=0.01, centered=True, wd=0.01, clip_gradient=0.5)),
    ("adadelta", dict(wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("adamax", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("nadam", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("ftrl", dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("ftml", dict(learning_rate=0.05, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("signum", dict(learning_rate=0.01, wd=0.01, wd_lh=0.01, rescale_grad=0.5)),
    ("signum", dict(learning_rate=0.01, momentum=0.0, wd=0.01)),
    ("dcasgd", dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("lamb", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_gradient=0.5)),
    ("lamb", dict(learning_rate=0.01, wd=0.01, lower_bound=0.1, upper_bound=0.5,
                  bias_correction=False)),
    ("test", dict(rescale_grad=0.5)),
]
PARAMS = [("fc1_weight", (3, 4)), ("fc1_bias", (3,)), ("bn_gamma", (3,)), ("fc2_weight", (2, 3))]


def _mult_symbol():
    w1 = mx.sym.Variable("fc1_weight", lr_mult=2.0)
    b1 = mx.sym.Variable("fc1_bias", wd_mult=3.0)
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), weight=w1, bias=b1, num_hidden=3,
                                name="fc1")
    return mx.sym.FullyConnected(net, num_hidden=2, name="fc2")


def optimizers():
    cases = {}
    for k, (name, kwargs) in enumerate(OPT_CASES):
        cid = f"{name}-{k}"
        r = rng(cid)
        dtype = "float16" if kwargs.get("multi_precision") else "float32"
        idx2name = {i: n for i, (n, _) in enumerate(PARAMS)}
        opt = mx.optimizer.create(name, param_idx2name=idx2name, sym=_mult_symbol(), **kwargs)
        opt.set_lr_mult({"fc2_weight": 0.5})
        opt.set_wd_mult({"bn_gamma": 2.0})
        upd = mx.optimizer.get_updater(opt)
        weights = [mx.nd.array(r.uniform(-1, 1, s), dtype=dtype) for _, s in PARAMS]
        case = {"name": name, "kwargs": kwargs, "dtype": dtype,
                "init": [enc(w) for w in weights], "grads": [], "steps": []}
        for _ in range(STEPS):
            grads = [mx.nd.array(r.uniform(-2, 2, w.shape), dtype=dtype) for w in weights]
            case["grads"].append([enc(g) for g in grads])
            # the first two parameters as one aggregated call, the rest one by one
            upd([0, 1], grads[:2], weights[:2])
            for i in range(2, len(PARAMS)):
                upd(i, grads[i], weights[i])
            case["steps"].append([enc(w) for w in weights])
        case["num_update"] = opt.num_update
        case["states"] = base64.b64encode(upd.get_states()).decode()
        cases[cid] = case
    write("optimizers", cases)


# ----- learning-rate schedulers
SCHED_CASES = [
    ("FactorScheduler", dict(step=3, factor=0.5, base_lr=0.1)),
    ("FactorScheduler", dict(step=2, factor=0.5, base_lr=0.1, stop_factor_lr=0.02,
                             warmup_steps=3, warmup_begin_lr=0.01)),
    ("MultiFactorScheduler", dict(step=[2, 5, 9], factor=0.3, base_lr=0.2)),
    ("MultiFactorScheduler", dict(step=[4, 6], factor=0.5, base_lr=0.2, warmup_steps=3,
                                  warmup_mode="constant", warmup_begin_lr=0.05)),
    ("PolyScheduler", dict(max_update=10, base_lr=0.1, pwr=2)),
    ("PolyScheduler", dict(max_update=10, base_lr=0.1, pwr=1, final_lr=0.01, warmup_steps=2)),
    ("CosineScheduler", dict(max_update=10, base_lr=0.1, final_lr=0.001)),
    ("CosineScheduler", dict(max_update=10, base_lr=0.1, warmup_steps=3, warmup_begin_lr=0.02)),
]


def schedulers():
    cases = {}
    for k, (name, kwargs) in enumerate(SCHED_CASES):
        sched = getattr(mx.lr_scheduler, name)(**kwargs)
        cases[f"{name}-{k}"] = {"name": name, "kwargs": kwargs,
                                "lrs": [sched(n) for n in range(0, 15)]}
    # an optimizer driven by a scheduler: the rate of each update
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.4)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.ones((2,))
    ws = []
    for _ in range(6):
        upd(0, mx.nd.ones((2,)), w)
        ws.append(w.asnumpy().tolist())
    cases["sgd-with-factor"] = {"weights": ws}
    write("schedulers", cases)


# ----- metrics: (case id, create args, kwargs, batch kind)
METRIC_CASES = [
    ("acc", "acc", {}, "class"), ("acc-labels", "acc", {}, "class-labels"),
    ("acc-axis0", "acc", {"axis": 0}, "class-t"),
    ("top_k", "top_k_accuracy", {"top_k": 2}, "class"),
    ("f1-macro", "f1", {}, "binary"), ("f1-micro", "f1", {"average": "micro"}, "binary"),
    ("mcc-macro", "mcc", {}, "binary"), ("mcc-micro", "mcc", {"average": "micro"}, "binary"),
    ("perplexity", "perplexity", {"ignore_label": None}, "class"),
    ("perplexity-ignore", "perplexity", {"ignore_label": 1}, "class"),
    ("mae", "mae", {}, "reg"), ("mse", "mse", {}, "reg"), ("rmse", "rmse", {}, "reg"),
    ("mse-1d", "mse", {}, "reg1d"),
    ("ce", "ce", {}, "class"), ("nll", "nll_loss", {}, "class"),
    ("pearsonr", "pearsonr", {}, "reg"),
    ("pearsonr-micro", "pearsonr", {"average": "micro"}, "reg"),
    ("pcc", "pcc", {}, "class"), ("loss", "loss", {}, "reg"),
    ("composite", ["acc", "ce", "mse"], {}, "class"),
]


def _metric_batch(kind, r):
    n = 6
    if kind in ("class", "class-labels", "class-t"):
        p = r.dirichlet(np.ones(4), size=n).astype("float32")
        lab = r.randint(0, 4, n).astype("float32")
        if kind == "class-labels":
            return [lab], [np.argmax(p, 1).astype("float32")]
        if kind == "class-t":
            return [lab[:4]], [p[:4].T.copy()]
        return [lab], [p]
    if kind == "binary":
        p = r.dirichlet(np.ones(2), size=n).astype("float32")
        return [r.randint(0, 2, n).astype("float32")], [p]
    if kind == "reg1d":
        return [r.randn(n).astype("float32")], [r.randn(n).astype("float32")]
    return [r.randn(n, 2).astype("float32")], [r.randn(n, 2).astype("float32")]


def _metric_value(pairs):
    return [[name, float(v)] for name, v in pairs]


def metrics():
    cases = {}
    for cid, spec, kwargs, kind in METRIC_CASES:
        r = rng(cid)
        if cid == "top_k":
            m = mx.metric.create(spec, **kwargs)
        elif isinstance(spec, list):
            m = mx.metric.create(spec)
        else:
            m = mx.metric.create(spec, **kwargs)
        batches, record = [], []
        for b in range(4):
            labels, preds = _metric_batch(kind, r)
            batches.append({"labels": [enc(x) for x in labels], "preds": [enc(x) for x in preds]})
            m.update([mx.nd.array(x) for x in labels], [mx.nd.array(x) for x in preds])
            record.append({"local": _metric_value(m.get_name_value()),
                           "global": _metric_value(m.get_global_name_value())})
            if b == 1:
                m.reset_local()
        cases[cid] = {"spec": spec, "kwargs": kwargs, "batches": batches, "record": record}
    write("metrics", cases)


# ----- iterators
def _batches(it, epochs, resets=True):
    out = []
    for _ in range(epochs):
        ep = []
        for b in it:
            ep.append({"data": [enc(d) for d in b.data],
                       "label": [enc(x) for x in (b.label or [])], "pad": b.pad,
                       "index": None if b.index is None else [int(i) for i in b.index]})
        out.append(ep)
        if resets:
            it.reset()
    return out


def _descs(descs):
    return [[d.name, list(d.shape), np.dtype(d.dtype).name, d.layout] for d in descs]


def mnist_arrays(n=10):
    """The synthetic MNIST files' contents (the test rebuilds the same)."""
    img = (np.arange(n * 28 * 28) % 251).astype(np.uint8).reshape(n, 28, 28)
    return img, (np.arange(n) * 7 % 10).astype(np.uint8)


NDITER_CASES = [
    ("pad", dict(n=10, batch_size=4, last_batch_handle="pad")),
    ("pad-tile", dict(n=3, batch_size=7, last_batch_handle="pad")),
    ("discard", dict(n=10, batch_size=4, last_batch_handle="discard")),
    ("roll_over", dict(n=10, batch_size=4, last_batch_handle="roll_over")),
    ("roll_over-3", dict(n=11, batch_size=4, last_batch_handle="roll_over")),
    ("shuffle", dict(n=9, batch_size=4, last_batch_handle="pad", shuffle=True)),
    ("dict", dict(n=7, batch_size=3, last_batch_handle="pad", as_dict=True)),
    ("list", dict(n=7, batch_size=3, last_batch_handle="discard", as_list=True)),
    ("layout-TNC", dict(n=5, batch_size=2, last_batch_handle="pad", layout="TNC")),
    ("int-labels", dict(n=6, batch_size=4, last_batch_handle="pad", label_dtype="int32")),
]


LIBSVM_TEXT = "1 0:0.5 3:1.5\n0 1:2\n1 2:-1 3:4\n"


def iterators():
    import tempfile
    cases = {}
    for cid, kw in NDITER_CASES:
        kw = dict(kw)
        n = kw.pop("n")
        data = np.arange(n * 2, dtype="float32").reshape(n, 2)
        label = (np.arange(n) * 10).astype(kw.pop("label_dtype", "float32"))
        layout = kw.get("layout", "NCHW")
        if layout == "TNC":
            data = np.arange(3 * n * 2, dtype="float32").reshape(3, n, 2)
            label = np.arange(3 * n, dtype="float32").reshape(3, n)
        if kw.pop("as_dict", False):
            data = {"b": data, "a": data * -1}
            label = {"lab": label}
        elif kw.pop("as_list", False):
            data = [data, data + 100]
            label = [label]
        if kw.get("shuffle"):
            np.random.seed(3)
        it = mx.io.NDArrayIter(data, label, **kw)
        cases[cid] = {"n": n, "kwargs": kw, "provide_data": _descs(it.provide_data),
                      "provide_label": _descs(it.provide_label), "epochs": _batches(it, 3)}
    # ResizeIter and PrefetchingIter over NDArrayIters
    base = mx.io.NDArrayIter(np.arange(10, dtype="float32").reshape(10, 1),
                             np.arange(10, dtype="float32"), batch_size=3)
    cases["resize"] = {"epochs": _batches(mx.io.ResizeIter(base, 5, reset_internal=False), 2)}
    a = mx.io.NDArrayIter(np.arange(8, dtype="float32").reshape(8, 1), np.arange(8), 3,
                          data_name="x", label_name="y")
    b = mx.io.NDArrayIter(np.arange(8, dtype="float32").reshape(8, 1) * 2, np.arange(8) * 2, 3,
                          data_name="x", label_name="y")
    pf = mx.io.PrefetchingIter([a, b], rename_data=[{"x": "x1"}, {"x": "x2"}],
                               rename_label=[{"y": "y1"}, {"y": "y2"}])
    cases["prefetch"] = {"provide_data": _descs(pf.provide_data),
                         "provide_label": _descs(pf.provide_label), "epochs": _batches(pf, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        d = os.path.join(tmp, "d.csv")
        lab = os.path.join(tmp, "l.csv")
        rows = np.arange(30).reshape(10, 3)
        np.savetxt(d, rows, delimiter=",", fmt="%d")
        np.savetxt(lab, np.arange(10) * 10, delimiter=",", fmt="%d")
        for rb in (True, False):
            it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=lab, batch_size=4,
                               round_batch=rb)
            cases[f"csv-round_batch-{rb}"] = {
                "rows": rows.tolist(), "round_batch": rb, "provide_data": _descs(it.provide_data),
                "provide_label": _descs(it.provide_label), "epochs": _batches(it, 3)}
        svm = os.path.join(tmp, "t.libsvm")
        with open(svm, "w") as f:
            f.write(LIBSVM_TEXT)
        it = mx.io.LibSVMIter(data_libsvm=svm, data_shape=(4,), batch_size=2)
        eps = _batches(it, 2)
        for ep in eps:
            for bt in ep:
                bt["index"] = None
        cases["libsvm"] = {"text": LIBSVM_TEXT, "provide_data": _descs(it.provide_data),
                           "provide_label": _descs(it.provide_label), "epochs": eps}
        import struct
        img, labels = mnist_arrays()
        with open(os.path.join(tmp, "img"), "wb") as f:
            f.write(struct.pack(">IIII", 2051, len(img), 28, 28) + img.tobytes())
        with open(os.path.join(tmp, "lab"), "wb") as f:
            f.write(struct.pack(">II", 2049, len(labels)) + labels.tobytes())
        for flat in (False, True):
            it = mx.io.MNISTIter(image=os.path.join(tmp, "img"), label=os.path.join(tmp, "lab"),
                                 batch_size=4, shuffle=False, flat=flat, silent=True)
            eps = _batches(it, 2)
            for ep in eps:
                for bt in ep:
                    arr = np.array(bt["data"][0]["data"], "float64")
                    bt["data"] = {"shape": bt["data"][0]["shape"], "sum": float(arr.sum()),
                                  "head": arr[:5].tolist()}
                    bt["index"] = None
            cases[f"mnist-flat-{flat}"] = {"provide_data": _descs(it.provide_data),
                                           "provide_label": _descs(it.provide_label),
                                           "epochs": eps}
    write("iterators", cases)


SECTIONS = {"iterators": iterators, "metrics": metrics, "update_ops": update_ops,
            "optimizers": optimizers, "schedulers": schedulers}

if __name__ == "__main__":
    try:
        from make_training_golden_more import MORE_SECTIONS
        SECTIONS.update(MORE_SECTIONS)
    except ImportError:
        pass
    for sec in sys.argv[1:] or list(SECTIONS):
        SECTIONS[sec]()
