"""Extra .params fixtures written by the real MXNet 1.9.1, and a check that MXNet loads mxlite's.

Run with the MXNet venv (see README.md in this folder)::

    MX=../mxnet-venv/bin/python
    $MX tests/golden/make_params_golden.py                           # writes params_special/
    python tests/golden/make_params_golden.py write-mxlite /tmp/mxl  # mxlite writes files
    $MX tests/golden/make_params_golden.py verify /tmp/mxl           # MXNet reads them

``params_special/`` holds what ``make_golden.py``'s ``params`` section does not: bfloat16, row_sparse
and csr arrays, a V3 (NumPy-shape mode) file, MXNet's unloadable 0-d file, arrays on cpu(1) /
cpu_pinned, and ``errors.json`` with the exceptions MXNet raises when loading the bad ones. The
``.expected.npz`` files hold the arrays (bfloat16 as its uint16 bit pattern; sparse densified).
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "params_special")
BF16 = np.dtype([("bfloat16", np.uint16)])


def _npz(path, arrays):
    """np.savez with a fixed timestamp, so a re-run writes identical bytes."""
    import io
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buf.getvalue())


def _error(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - recording whatever MXNet raises
        text = str(err).split("\n\nStack trace")[0]
        return {"type": type(err).__name__, "message": text}
    return {"type": None, "message": "no error raised"}


def make():
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    path = lambda name: os.path.join(OUT, name)  # noqa: E731
    np.random.seed(20240517)

    src = np.array([[1.5, -2.25, 3.0], [1e10, -0.0, 65504.0]], dtype="float32")
    bf = mx.nd.array(src).astype(BF16)
    mx.nd.save(path("bfloat16.params"), {"x": bf})
    bits = mx.nd.load(path("bfloat16.params"))["x"].asnumpy().view(np.uint16)
    _npz(path("bfloat16.expected.npz"), {"x_bits": bits, "x_source": src})

    rs_vals = np.random.normal(size=(2, 3)).astype("float32")
    rs = mx.nd.sparse.row_sparse_array((rs_vals, np.array([1, 3])), shape=(5, 3))
    csr = mx.nd.sparse.csr_matrix((np.array([1, 2, 3], dtype="float64"), np.array([0, 2, 1]),
                                   np.array([0, 2, 2, 3])), shape=(3, 4))
    mx.nd.save(path("sparse.params"), {"rs": rs, "csr": csr, "dense": mx.nd.ones((2,))})
    _npz(path("sparse.expected.npz"), {"rs": rs.asnumpy(), "csr": csr.asnumpy(),
                                       "dense": np.ones((2,), "float32")})

    ctx_arrays = {"cpu1": mx.nd.arange(3, ctx=mx.cpu(1)), "pinned": mx.nd.ones((2, 2)),
                  "shared": mx.nd.full((2,), 7)}
    try:
        ctx_arrays["pinned"] = mx.nd.ones((2, 2), ctx=mx.cpu_pinned(0))
    except Exception:  # noqa: BLE001 - a CPU-only build may refuse pinned memory
        pass
    mx.nd.save(path("contexts.params"), ctx_arrays)
    _npz(path("contexts.expected.npz"), {k: v.asnumpy() for k, v in ctx_arrays.items()})

    mx.nd.save(path("zero_d.params"), [mx.nd.array(3.0)])
    big = np.random.normal(size=(3, 5, 7)).astype("float16")
    mx.nd.save(path("list_f16_3d.params"), [mx.nd.array(big, dtype=big.dtype)])
    _npz(path("list_f16_3d.expected.npz"), {"0": big})

    from mxnet import npx
    npx.set_np()
    mx.nd.save(path("v3_np_shape.params"), {"a": mx.nd.ones((2,))})
    npx.reset_np()

    errors = {
        "load zero_d": _error(lambda: mx.nd.load(path("zero_d.params"))),
        "load v3 in legacy mode": _error(lambda: mx.nd.load(path("v3_np_shape.params"))),
        "load_frombuffer truncated": _error(lambda: mx.nd.load_frombuffer(
            open(path("sparse.params"), "rb").read()[:50])),
        "load_frombuffer bad header": _error(lambda: mx.nd.load_frombuffer(b"\0" * 32)),
    }
    with open(path("errors.json"), "w") as f:
        json.dump(errors, f, indent=1, sort_keys=True)
        f.write("\n")


def write_mxlite(directory):
    """Write files with mxlite (run with mxlite importable) for ``verify``."""
    import mxlite as mx
    os.makedirs(directory, exist_ok=True)
    rng = np.random.RandomState(0)
    arrays = {"f32": rng.normal(size=(2, 3)).astype("float32"),
              "f64": rng.normal(size=(4,)), "f16": rng.normal(size=(3, 1, 2)).astype("float16"),
              "u8": np.arange(6, dtype="uint8"), "i8": np.arange(-3, 3, dtype="int8"),
              "i32": np.arange(4, dtype="int32"), "i64": np.arange(4, dtype="int64") * 2 ** 40,
              "bool": np.array([True, False, True]),
              "bf16": np.array([0x3FC0, 0xC010], dtype=np.uint16).view(BF16)}
    mx.nd.save(os.path.join(directory, "dict.params"),
               {k: mx.nd.array(v, dtype=v.dtype) for k, v in arrays.items()})
    mx.nd.save(os.path.join(directory, "list.params"),
               [mx.nd.array(v, dtype=v.dtype) for v in arrays.values()])
    _npz(os.path.join(directory, "expected.npz"), {
        k: (v.view(np.uint16) if v.dtype == BF16 else v) for k, v in arrays.items()})
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc1")
    net = mx.sym.SoftmaxOutput(mx.sym.Activation(fc, act_type="relu", name="relu1"), name="softmax")
    arg = {"fc1_weight": mx.nd.array(rng.normal(size=(3, 4))),
           "fc1_bias": mx.nd.array([.1, .2, .3])}
    mx.model.save_checkpoint(os.path.join(directory, "ckpt"), 7, net, arg, {})
    exe = net.bind(mx.cpu(), dict(arg, data=mx.nd.ones((2, 4)), softmax_label=mx.nd.zeros((2,))))
    _npz(os.path.join(directory, "ckpt_output.npz"), {"out": exe.forward()[0].asnumpy()})


def verify(directory):
    """Load mxlite-written files with the real MXNet and compare (run with the MXNet venv)."""
    import mxnet as mx
    expected = np.load(os.path.join(directory, "expected.npz"))
    for name in ("dict.params", "list.params"):
        loaded = mx.nd.load(os.path.join(directory, name))
        if isinstance(loaded, dict):
            items = loaded.items()
        else:
            items = zip(expected.files, loaded, strict=True)
        for key, arr in items:
            got = arr.asnumpy()
            got = got.view(np.uint16) if got.dtype == BF16 else got
            assert got.dtype == expected[key].dtype, (name, key, got.dtype)
            assert np.array_equal(got, expected[key]), (name, key)
    sym, arg, aux = mx.model.load_checkpoint(os.path.join(directory, "ckpt"), 7)
    assert sorted(arg) == ["fc1_bias", "fc1_weight"] and not aux
    exe = sym.bind(mx.cpu(), dict(arg, data=mx.nd.ones((2, 4)), softmax_label=mx.nd.zeros((2,))))
    exe.forward()
    mxlite_out = np.load(os.path.join(directory, "ckpt_output.npz"))["out"]
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), mxlite_out, rtol=1e-5, atol=1e-6)
    print("MXNet", mx.__version__, "loaded every mxlite file and reproduced mxlite's output")


if __name__ == "__main__":
    if sys.argv[1:2] == ["write-mxlite"]:
        write_mxlite(sys.argv[2])
    elif sys.argv[1:2] == ["verify"]:
        verify(sys.argv[2])
    else:
        make()
