"""mx.io iterators against MXNet 1.9.1: every batch of two or three epochs."""
import os
import struct

import numpy as np
import pytest

import mxlite as mx
from training_golden import dec, load

ITERS = load("iterators")
ND_CASES = [k for k, c in ITERS.items() if "n" in c]


def _check_epochs(it, want_epochs, resets=True, data_summary=False):
    for e, want in enumerate(want_epochs):
        got = list(it)
        assert len(got) == len(want), f"epoch {e}: {len(got)} batches, MXNet gives {len(want)}"
        for k, (b, w) in enumerate(zip(got, want)):
            where = f"epoch {e} batch {k}"
            assert b.pad == w["pad"], where
            if data_summary:
                arr = b.data[0].asnumpy().astype(np.float64)
                assert list(arr.shape) == w["data"]["shape"], where
                assert arr.sum() == pytest.approx(w["data"]["sum"]), where
                np.testing.assert_allclose(arr.ravel()[:5], w["data"]["head"])
            else:
                assert len(b.data) == len(w["data"]), where
                for d, wd in zip(b.data, w["data"]):
                    np.testing.assert_array_equal(d.asnumpy(), dec(wd), err_msg=where)
            for lb, wl in zip(b.label or [], w["label"]):
                np.testing.assert_array_equal(lb.asnumpy(), dec(wl), err_msg=where)
            if w["index"] is not None:
                assert [int(i) for i in b.index] == w["index"], where
        if resets:
            it.reset()


def _descs(descs):
    return [[d.name, list(d.shape), np.dtype(d.dtype).name, d.layout] for d in descs]


@pytest.mark.parametrize("case_id", ND_CASES)
def test_ndarrayiter_matches_mxnet(case_id):
    case = ITERS[case_id]
    kw = dict(case["kwargs"])
    n = case["n"]
    data = np.arange(n * 2, dtype="float32").reshape(n, 2)
    label = (np.arange(n) * 10).astype("int32" if case_id == "int-labels" else "float32")
    if kw.get("layout") == "TNC":
        data = np.arange(3 * n * 2, dtype="float32").reshape(3, n, 2)
        label = np.arange(3 * n, dtype="float32").reshape(3, n)
    if case_id == "dict":
        data, label = {"b": data, "a": data * -1}, {"lab": label}
    elif case_id == "list":
        data, label = [data, data + 100], [label]
    if kw.get("shuffle"):
        np.random.seed(3)
    it = mx.io.NDArrayIter(data, label, **kw)
    assert _descs(it.provide_data) == case["provide_data"]
    assert _descs(it.provide_label) == case["provide_label"]
    _check_epochs(it, case["epochs"])


def test_resize_and_prefetching_match_mxnet():
    base = mx.io.NDArrayIter(np.arange(10, dtype="float32").reshape(10, 1),
                             np.arange(10, dtype="float32"), batch_size=3)
    _check_epochs(mx.io.ResizeIter(base, 5, reset_internal=False), ITERS["resize"]["epochs"])
    a = mx.io.NDArrayIter(np.arange(8, dtype="float32").reshape(8, 1), np.arange(8), 3,
                          data_name="x", label_name="y")
    b = mx.io.NDArrayIter(np.arange(8, dtype="float32").reshape(8, 1) * 2, np.arange(8) * 2, 3,
                          data_name="x", label_name="y")
    pf = mx.io.PrefetchingIter([a, b], rename_data=[{"x": "x1"}, {"x": "x2"}],
                               rename_label=[{"y": "y1"}, {"y": "y2"}])
    assert _descs(pf.provide_data) == ITERS["prefetch"]["provide_data"]
    _check_epochs(pf, ITERS["prefetch"]["epochs"])
    pf.close()


@pytest.mark.parametrize("round_batch", [True, False])
def test_csviter_matches_mxnet(tmp_path, round_batch):
    case = ITERS[f"csv-round_batch-{round_batch}"]
    np.savetxt(tmp_path / "d.csv", np.array(case["rows"]), delimiter=",", fmt="%d")
    np.savetxt(tmp_path / "l.csv", np.arange(10) * 10, delimiter=",", fmt="%d")
    it = mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(3,),
                       label_csv=str(tmp_path / "l.csv"), batch_size=4, round_batch=round_batch)
    assert _descs(it.provide_data) == case["provide_data"]
    assert _descs(it.provide_label) == case["provide_label"]
    _check_epochs(it, case["epochs"])


def _mnist_files(tmp_path, gz=False):
    import gzip
    n = 10
    img = (np.arange(n * 28 * 28) % 251).astype(np.uint8).reshape(n, 28, 28)
    labels = (np.arange(n) * 7 % 10).astype(np.uint8)
    opener = gzip.open if gz else open
    suffix = ".gz" if gz else ""
    with opener(tmp_path / f"img{suffix}", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + img.tobytes())
    with opener(tmp_path / f"lab{suffix}", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + labels.tobytes())
    return str(tmp_path / f"img{suffix}"), str(tmp_path / f"lab{suffix}")


@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize("gz", [False, True])
def test_mnistiter_matches_mxnet(tmp_path, flat, gz):
    case = ITERS[f"mnist-flat-{flat}"]
    img, lab = _mnist_files(tmp_path, gz)
    it = mx.io.MNISTIter(image=img, label=lab, batch_size=4, shuffle=False, flat=flat)
    assert _descs(it.provide_data) == case["provide_data"]
    _check_epochs(it, case["epochs"], data_summary=True)


def test_mnistiter_shuffle_is_a_permutation(tmp_path):
    img, lab = _mnist_files(tmp_path)
    it = mx.io.MNISTIter(image=img, label=lab, batch_size=5, shuffle=True, seed=3)
    labels = np.concatenate([b.label[0].asnumpy() for b in it])
    assert sorted(labels.tolist()) == sorted((np.arange(10) * 7 % 10).astype(float).tolist())


def test_bad_input():
    with pytest.raises(ValueError, match="last_batch_handle"):
        mx.io.NDArrayIter(np.zeros((4, 2)), batch_size=2, last_batch_handle="wrap")
    with pytest.raises(mx.MXNetError, match="softmax_label has 3 samples"):
        mx.io.NDArrayIter(np.zeros((4, 2)), np.zeros(3), batch_size=2)
    with pytest.raises(mx.MXNetError, match="does not exist"):
        mx.io.MNISTIter(image="/nonexistent/img", label="/nonexistent/lab")
    with pytest.raises(TypeError, match="Data must be list"):
        mx.io.DataBatch(mx.nd.zeros((2,)))


def test_datadesc():
    d = mx.io.DataDesc("data", (4, 3), layout="NTC")
    assert d == ("data", (4, 3)) and d.dtype == np.float32
    name, shape = d
    assert name == "data" and mx.io.DataDesc.get_batch_axis("TNC") == 1
    assert mx.io.DataDesc.get_batch_axis(None) == 0
    assert repr(d) == "DataDesc[data,(4, 3),<class 'numpy.float32'>,NTC]"


def _fake_mnist_cache(root, n=20):
    import gzip
    cache = root / "datasets" / "mnist"
    cache.mkdir(parents=True)
    img = (np.arange(n * 784) % 256).astype(np.uint8)
    lab = (np.arange(n) % 10).astype(np.uint8)
    for prefix in ("train", "t10k"):
        with gzip.open(cache / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + img.tobytes())
        with gzip.open(cache / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 2049, n) + lab.tobytes())
    return img, lab


def test_mnist_helpers_read_the_cache(tmp_path, monkeypatch):
    from mxlite.io import datasets
    img, lab = _fake_mnist_cache(tmp_path / "home")
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    d = datasets.get_mnist()
    assert d["train_data"].shape == (20, 1, 28, 28) and d["train_data"].dtype == np.float32
    np.testing.assert_allclose(d["train_data"].ravel(), img / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(d["test_label"], lab.astype(np.int8))
    train, val = datasets.get_mnist_iterator(5, (784,))
    batch = next(train)
    assert batch.data[0].shape == (5, 784)
    assert os.path.exists(work / "data" / "t10k-images-idx3-ubyte")


def test_mnist_helpers_offline_error(tmp_path, monkeypatch):
    from mxlite.io import datasets
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    with pytest.raises(OSError, match="train-labels-idx1-ubyte.gz.*cache.*empty"):
        datasets.get_mnist()
    assert not os.path.exists(tmp_path / "train-labels-idx1-ubyte.gz")


def test_libsvmiter_matches_mxnet(tmp_path):
    case = ITERS["libsvm"]
    (tmp_path / "t.libsvm").write_text(case["text"])
    it = mx.io.LibSVMIter(data_libsvm=str(tmp_path / "t.libsvm"), data_shape=(4,), batch_size=2)
    assert _descs(it.provide_data) == case["provide_data"]
    assert _descs(it.provide_label) == case["provide_label"]
    _check_epochs(it, case["epochs"])
