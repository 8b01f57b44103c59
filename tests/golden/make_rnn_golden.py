#!/usr/bin/env python
"""Record the fused RNN op of the *real* Apache MXNet 1.9.1 into tests/golden/rnn/.

Run with the MXNet venv (not the mxlite environment):

    ../mxnet-venv/bin/python tests/golden/make_rnn_golden.py

For each case it writes ``rnn/<case>.json`` (the symbol's ``tojson()`` text) and ``rnn/<case>.npz``:
``in:<arg>`` inputs, ``head:<i>`` head gradients, ``out:<i>`` outputs of ``forward(is_train)``,
``grad:<arg>`` gradients after ``backward`` (training cases only), and ``meta`` (a JSON string:
op parameters, dtype, is_train). float64 runs MXNet's own CPU kernels (rnn_impl.h); float32 runs
its MKLDNN kernels, a second independent implementation. Seeds come from the case name, and npz
members carry a fixed timestamp, so re-runs give identical files.

This file is our own code; it only calls MXNet's public Python API.
"""
import io
import json
import os
import zipfile
import zlib

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn")
SEQ, BATCH, INPUT, STATE = 4, 3, 5, 4

# name -> (op parameters, dtype, is_train)
CASES = {
    "lstm-1layer-states-float64": (dict(mode="lstm", num_layers=1, state_outputs=True),
                                   "float64", True),
    "lstm-2layer-bidir-states-float32": (dict(mode="lstm", num_layers=2, bidirectional=True,
                                              state_outputs=True), "float32", True),
    "lstm-2layer-bidir-float64": (dict(mode="lstm", num_layers=2, bidirectional=True),
                                  "float64", True),
    "gru-2layer-bidir-states-float64": (dict(mode="gru", num_layers=2, bidirectional=True,
                                             state_outputs=True), "float64", True),
    "gru-1layer-float32": (dict(mode="gru", num_layers=1), "float32", True),
    "rnn_tanh-2layer-states-float64": (dict(mode="rnn_tanh", num_layers=2, state_outputs=True),
                                       "float64", True),
    "rnn_tanh-bidir-states-float32": (dict(mode="rnn_tanh", num_layers=1, bidirectional=True,
                                           state_outputs=True), "float32", True),
    "rnn_relu-2layer-bidir-float64": (dict(mode="rnn_relu", num_layers=2, bidirectional=True),
                                      "float64", True),
    # dropout between layers acts only in training: an inference forward ignores p
    "lstm-2layer-p-inference-float64": (dict(mode="lstm", num_layers=2, p=0.5,
                                             state_outputs=True), "float64", False),
    "lstm-clip-states-float32": (dict(mode="lstm", num_layers=1, state_outputs=True,
                                      lstm_state_clip_min=-0.2, lstm_state_clip_max=0.25),
                                 "float32", False),
}


def save_npz(path, arrays):
    """np.savez_compressed with fixed zip timestamps, so regeneration is byte-identical."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def record(name, params, dtype, is_train):
    rng = np.random.RandomState(zlib.crc32(name.encode()) & 0xFFFFFFFF)
    sym = mx.sym.RNN(data=mx.sym.Variable("data"), state_size=STATE, name="rnn", **params)
    arg_shapes, out_shapes, _ = sym.infer_shape(data=(SEQ, BATCH, INPUT))
    names = sym.list_arguments()
    inputs = {n: rng.uniform(-1, 1, s).astype(dtype) for n, s in zip(names, arg_shapes)}
    args = {n: mx.nd.array(v, dtype=dtype) for n, v in inputs.items()}
    grads = {n: mx.nd.zeros(v.shape, dtype=dtype) for n, v in inputs.items()}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads if is_train else None,
                  grad_req="write" if is_train else "null")
    outs = [o.asnumpy() for o in ex.forward(is_train=is_train)]
    arrays = {f"in:{n}": v for n, v in inputs.items()}
    arrays.update({f"out:{i}": o for i, o in enumerate(outs)})
    if is_train:
        heads = [rng.uniform(-1, 1, s).astype(dtype) for s in out_shapes]
        ex.backward([mx.nd.array(h, dtype=dtype) for h in heads])
        arrays.update({f"head:{i}": h for i, h in enumerate(heads)})
        arrays.update({f"grad:{n}": g.asnumpy() for n, g in grads.items()})
    meta = {"params": {"state_size": STATE, **params}, "dtype": dtype, "is_train": is_train,
            "arguments": names, "outputs": sym.list_outputs()}
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    save_npz(os.path.join(OUT_DIR, name + ".npz"), arrays)
    with open(os.path.join(OUT_DIR, name + ".json"), "w") as f:
        f.write(sym.tojson())


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in os.listdir(OUT_DIR):
        os.remove(os.path.join(OUT_DIR, name))
    for name, (params, dtype, is_train) in CASES.items():
        record(name, params, dtype, is_train)
        print("wrote", name)


if __name__ == "__main__":
    main()
