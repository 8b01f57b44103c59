"""mx.nd.save / mx.nd.load: MXNet's binary format, against files written by the real MXNet
1.9.1 (tests/golden/params, tests/golden/params_special), hand-built V1 / pre-V1 files, and hostile
input."""
import json
import os
import struct
import time
import tracemalloc

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ndarray.utils import load_frombuffer, save_tobuffer

HERE = os.path.dirname(__file__)
GOLDEN = os.path.join(HERE, "golden", "params")
SPECIAL = os.path.join(HERE, "golden", "params_special")
INDEX = json.load(open(os.path.join(GOLDEN, "index.json")))
BF16 = np.dtype([("bfloat16", np.uint16)])
V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _as_items(loaded):
    return list(loaded.items()) if isinstance(loaded, dict) else \
        [(str(i), v) for i, v in enumerate(loaded)]


def _header(count):
    return struct.pack("<QQQ", 0x112, 0, count)


def _names(names):
    out = struct.pack("<Q", len(names))
    for n in names:
        raw = n.encode()
        out += struct.pack("<Q", len(raw)) + raw
    return out


def _v2(arr, dev=(1, 0)):
    arr = np.ascontiguousarray(arr)
    flag = mx.base.DTYPE_NP_TO_MX[arr.dtype]
    return struct.pack(f"<Iii{arr.ndim}qiii", V2, 0, arr.ndim, *arr.shape, *dev, flag) + \
        arr.tobytes()


# ----- files written by MXNet 1.9.1 ---------------------------------------------------------------
@pytest.mark.parametrize("fname", sorted(INDEX["files"]))
def test_mxnet_file_loads(fname):
    info = INDEX["files"][fname]
    loaded = mx.nd.load(os.path.join(GOLDEN, fname))
    assert type(loaded).__name__ == info["mx_load_type"]
    expected = _npz(os.path.join(GOLDEN, fname.replace(".params", ".expected.npz")))
    items = _as_items(loaded)
    assert [k for k, _ in items] == info["keys"]
    for key, arr in items:
        assert arr.context == mx.cpu(0)
        assert np.dtype(arr.dtype).name == info["dtypes"][key]
        assert arr.shape == tuple(info["shapes"][key])
        np.testing.assert_array_equal(arr.asnumpy(), expected[key.replace("/", "_")])


@pytest.mark.parametrize("fname", sorted(f for f in os.listdir(GOLDEN) if f.endswith(".params")))
def test_mxnet_file_resaves_byte_identical(fname, tmp_path):
    raw = _read(os.path.join(GOLDEN, fname))
    loaded = mx.nd.load(os.path.join(GOLDEN, fname))
    assert bytes(save_tobuffer(loaded)) == raw
    mx.nd.save(str(tmp_path / fname), loaded)
    assert _read(tmp_path / fname) == raw


def test_hexdump_of_spec_reproduced(tmp_path):
    """MXNET_SEMANTICS.md §4.1: save(f, {'w': 2x3 float32 1..6, 'b': [1.5] float64}), 154 bytes."""
    expected = bytes.fromhex(
        "1201000000000000" "0000000000000000" "0200000000000000"
        "c9fa93f9" "00000000" "02000000" "0200000000000000" "0300000000000000"
        "01000000" "00000000" "00000000"
        "0000803f" "00000040" "00004040" "00008040" "0000a040" "0000c040"
        "c9fa93f9" "00000000" "01000000" "0100000000000000" "01000000" "00000000" "01000000"
        "000000000000f83f"
        "0200000000000000" "0100000000000000" "77" "0100000000000000" "62")
    assert len(expected) == 154
    fname = str(tmp_path / "wb.params")
    mx.nd.save(fname, {"w": mx.nd.array(np.arange(1, 7).reshape(2, 3)),
                       "b": mx.nd.array([1.5], dtype="float64")})
    assert _read(fname) == expected


def test_bfloat16_file():
    loaded = mx.nd.load(os.path.join(SPECIAL, "bfloat16.params"))
    expected = _npz(os.path.join(SPECIAL, "bfloat16.expected.npz"))
    x = loaded["x"]
    assert x._data.dtype == BF16 and x.shape == (2, 3)
    np.testing.assert_array_equal(x.asnumpy().view(np.uint16), expected["x_bits"])
    assert bytes(save_tobuffer(loaded)) == _read(os.path.join(SPECIAL, "bfloat16.params"))


def test_sparse_file_loads_dense():
    loaded = mx.nd.load(os.path.join(SPECIAL, "sparse.params"))
    expected = _npz(os.path.join(SPECIAL, "sparse.expected.npz"))
    assert list(loaded) == ["rs", "csr", "dense"]
    for key, arr in loaded.items():
        assert arr.stype == "default"
        assert arr.dtype == expected[key].dtype
        np.testing.assert_array_equal(arr.asnumpy(), expected[key])


def test_context_variants_load_on_cpu0_and_resave_identically():
    path = os.path.join(SPECIAL, "contexts.params")
    loaded = mx.nd.load(path)
    expected = _npz(os.path.join(SPECIAL, "contexts.expected.npz"))
    for key, arr in loaded.items():
        assert arr.context == mx.cpu(0)  # as MXNet: CPU-family arrays land on cpu(0)
        np.testing.assert_array_equal(arr.asnumpy(), expected[key])
    again = {"cpu1": mx.nd.arange(3, ctx=mx.cpu(1)),
             "pinned": mx.nd.ones((2, 2), ctx=mx.cpu_pinned(0)),
             "shared": mx.nd.full((2,), 7)}
    assert bytes(save_tobuffer(again)) == _read(path)


def test_mxnet_f16_list_file():
    loaded = mx.nd.load(os.path.join(SPECIAL, "list_f16_3d.params"))
    np.testing.assert_array_equal(loaded[0].asnumpy(),
                                  _npz(os.path.join(SPECIAL, "list_f16_3d.expected.npz"))["0"])


def test_v3_file_refused():
    with pytest.raises(MXNetError, match=r"V3 .*NumPy-shape mode") as err:
        mx.nd.load(os.path.join(SPECIAL, "v3_np_shape.params"))
    assert "v3_np_shape.params" in str(err.value) and "byte 24" in str(err.value)


def test_mxnet_zero_d_file_gives_clean_error():
    # MXNet 1.9.1 writes a 0-d array it cannot read back (its own load fails too).
    with pytest.raises(MXNetError, match="ndim 0"):
        mx.nd.load(os.path.join(SPECIAL, "zero_d.params"))


# ----- round trips --------------------------------------------------------------------------------
DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int32", "int64", "bool", "int16",
          "uint16", "uint32", "uint64", "bfloat16"]


def _sample(dtype, shape, seed=0):
    rng = np.random.RandomState(seed)
    if dtype == "bfloat16":
        return rng.randint(0, 2 ** 16, size=shape).astype(np.uint16).view(BF16)
    if dtype == "bool":
        return rng.rand(*shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return rng.randint(info.min, info.max, size=shape, dtype=dtype)
    return rng.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["list", "dict"])
def test_round_trip(dtype, form, tmp_path):
    arrays = [_sample(dtype, s, i) for i, s in enumerate([(3,), (2, 3), (1, 2, 3, 2), (4, 1)])]
    nds = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    data = nds if form == "list" else {f"k{i}": a for i, a in enumerate(nds)}
    fname = str(tmp_path / "x.params")
    mx.nd.save(fname, data)
    loaded = mx.nd.load(fname)
    assert isinstance(loaded, list if form == "list" else dict)
    for (_, got), want in zip(_as_items(loaded), arrays, strict=True):
        assert got._data.dtype == want.dtype
        assert got.shape == want.shape
        assert got.asnumpy().tobytes() == want.tobytes()
    assert _read(fname) == bytes(save_tobuffer(loaded))


def test_single_ndarray_saves_as_list_and_empty_dict_loads_as_list(tmp_path):
    fname = str(tmp_path / "a.nd")
    mx.nd.save(fname, mx.nd.ones((2,)))
    loaded = mx.nd.load(fname)
    assert isinstance(loaded, list) and len(loaded) == 1
    mx.nd.save(fname, {})
    assert mx.nd.load(fname) == []
    assert _read(fname) == _read(os.path.join(GOLDEN, "empty_dict.params"))


def test_unicode_and_order_of_keys(tmp_path):
    keys = ["zeta", "naïve_ключ", "arg:fc1_weight", "a"]
    fname = str(tmp_path / "u.params")
    mx.nd.save(fname, {k: mx.nd.ones((1,)) * i for i, k in enumerate(keys)})
    loaded = mx.nd.load(fname)
    assert list(loaded) == keys
    assert [float(v.asscalar()) for v in loaded.values()] == [0.0, 1.0, 2.0, 3.0]


def test_pathlike_and_load_frombuffer(tmp_path):
    path = tmp_path / "p.params"
    mx.nd.save(path, [mx.nd.ones((2,))])
    raw = _read(path)
    for buf in (raw, bytearray(raw), memoryview(raw)):
        assert load_frombuffer(buf)[0].asnumpy().tolist() == [1.0, 1.0]
    with pytest.raises(TypeError):
        load_frombuffer(12)


def test_noncontiguous_and_view_arrays_save_their_values(tmp_path):
    base = mx.nd.array(np.arange(12).reshape(3, 4))
    view = base[1:3]
    fname = str(tmp_path / "v.params")
    mx.nd.save(fname, [view, base.T])
    a, b = mx.nd.load(fname)
    np.testing.assert_array_equal(a.asnumpy(), np.arange(4, 12).reshape(2, 4))
    np.testing.assert_array_equal(b.asnumpy(), np.arange(12).reshape(3, 4).T)


# ----- old layouts --------------------------------------------------------------------------------
def test_v1_layout():
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    rec = struct.pack("<Ii2qiii", V1, 2, 2, 3, 1, 0, 0) + w.tobytes()
    b = np.array([7, 8], dtype=np.int64)
    rec2 = struct.pack("<Ii1qiii", V1, 1, 2, 1, 0, 6) + b.tobytes()
    none = struct.pack("<Ii", V1, 0)  # an empty ("none") array: ndim 0 and nothing else
    loaded = load_frombuffer(_header(3) + rec + rec2 + none + _names(["w", "b", "n"]))
    np.testing.assert_array_equal(loaded["w"].asnumpy(), w)
    assert loaded["b"].dtype == np.int64 and loaded["b"].asnumpy().tolist() == [7, 8]
    assert loaded["n"] is None


def test_pre_v1_layout():
    w = np.arange(6, dtype=np.float64).reshape(3, 2)
    rec = struct.pack("<I2Iiii", 2, 3, 2, 1, 0, 1) + w.tobytes()
    rec2 = struct.pack("<I1Iiii", 1, 4, 1, 0, 3) + bytes([1, 2, 3, 4])
    loaded = load_frombuffer(_header(2) + rec + rec2 + _names([]))
    assert isinstance(loaded, list)
    np.testing.assert_array_equal(loaded[0].asnumpy(), w)
    assert loaded[1].dtype == np.uint8 and loaded[1].asnumpy().tolist() == [1, 2, 3, 4]


def test_mixed_layouts_in_one_file():
    a = np.ones((2,), np.float32)
    v1 = struct.pack("<Ii1qiii", V1, 1, 2, 1, 0, 0) + a.tobytes()
    pre = struct.pack("<I1Iiii", 1, 2, 1, 0, 0) + a.tobytes()
    loaded = load_frombuffer(_header(3) + _v2(a) + v1 + pre + _names([]))
    assert [x.asnumpy().tolist() for x in loaded] == [[1.0, 1.0]] * 3


def test_bool_bytes_are_canonicalised():
    rec = struct.pack("<Iii1qiii", V2, 0, 1, 3, 1, 0, 7) + bytes([0, 1, 2])
    got = load_frombuffer(_header(1) + rec + _names([]))[0].asnumpy()
    assert got.tolist() == [False, True, True] and got.view(np.uint8).tolist() == [0, 1, 1]


# ----- devices ------------------------------------------------------------------------------------
def test_gpu_record_loads_on_cpu_without_gpu(monkeypatch):
    import mxlite.ndarray.utils as u
    monkeypatch.setattr(u, "num_gpus", lambda: 0)
    loaded = load_frombuffer(_header(1) + _v2(np.ones(2, np.float32), dev=(2, 0)) + _names([]))
    assert loaded[0].context == mx.cpu(0)


@pytest.mark.gpu
def test_gpu_round_trip(tmp_path):
    x = mx.nd.array([[1, 2], [3, 4]], ctx=mx.gpu(0))
    fname = str(tmp_path / "g.params")
    mx.nd.save(fname, {"x": x})
    raw = _read(fname)
    assert struct.unpack_from("<ii", raw, 24 + 4 + 4 + 4 + 16) == (2, 0)  # dev_type 2, dev_id 0
    y = mx.nd.load(fname)["x"]
    assert y.context == mx.gpu(0)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())


# ----- save errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("data, exc, msg", [
    ({"a": np.ones(2)}, TypeError, "save only accept dict str->NDArray or list of NDArray"),
    ({1: mx.nd.ones(2)}, TypeError, "save only accept dict str->NDArray or list of NDArray"),
    ([mx.nd.ones(2), 3], TypeError, "save only accept dict str->NDArray or list of NDArray"),
    (3, ValueError, "data needs to either be a NDArray, dict of str, NDArray pairs or a list of "
                    "NDarrays."),
    ((mx.nd.ones(2),), ValueError, "data needs to either be"),
])
def test_save_type_errors(data, exc, msg, tmp_path):
    with pytest.raises(exc) as err:
        mx.nd.save(str(tmp_path / "x"), data)
    assert msg in str(err.value)
    assert os.listdir(tmp_path) == []


def test_save_zero_d_raises_and_writes_nothing(tmp_path):
    scalar = mx.nd.array(3.0)
    assert scalar.shape == ()
    with pytest.raises(MXNetError, match=r"'s' with shape \(\).*Reshape it to \(1,\)"):
        mx.nd.save(str(tmp_path / "x"), {"ok": mx.nd.ones(1), "s": scalar})
    assert os.listdir(tmp_path) == []


def test_save_bad_fname_and_missing_dir(tmp_path):
    with pytest.raises(TypeError, match="fname required to be a string"):
        mx.nd.save(3, [mx.nd.ones(1)])
    with pytest.raises(MXNetError, match="No such file or directory"):
        mx.nd.save(str(tmp_path / "nodir" / "x.params"), [mx.nd.ones(1)])


def test_atomic_save_leaves_no_partial_file(tmp_path, monkeypatch):
    fname = str(tmp_path / "model.params")
    mx.nd.save(fname, {"old": mx.nd.ones((2,))})
    before = _read(fname)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")
    import mxlite.utils
    monkeypatch.setattr(mxlite.utils.os, "fsync", broken_fsync)
    with pytest.raises(MXNetError, match="No space left on device"):
        mx.nd.save(fname, {"new": mx.nd.zeros((1000,))})
    assert os.listdir(tmp_path) == ["model.params"]  # no temp file left behind
    assert _read(fname) == before  # the old file is intact


# ----- load errors and hostile files --------------------------------------------------------------
def test_load_missing_file_and_bad_fname(tmp_path):
    with pytest.raises(MXNetError, match='Open ".*missing.params": No such file or directory'):
        mx.nd.load(str(tmp_path / "missing.params"))
    with pytest.raises(TypeError, match="fname required to be a string"):
        mx.nd.load(None)


@pytest.mark.parametrize("blob, field", [
    (b"", "byte 0, header"),
    (struct.pack("<QQQ", 0x113, 0, 0), "not an MXNet NDArray file"),
    (_header(2 ** 60), "array count: 1152921504606846976 items cannot fit"),
    (_header(1) + struct.pack("<I", 0xDEADBEEF), "unknown magic 0xDEADBEEF"),
    (_header(1) + struct.pack("<Iii", V2, 7, 1), "unknown storage type 7"),
    (_header(1) + struct.pack("<Iii", V2, 0, 40), "shape ndim: 40 is out of range"),
    (_header(1) + struct.pack("<Iii", V2, 0, -1), "shape ndim: -1 is out of range"),
    (_header(1) + struct.pack("<Iii2q", V2, 0, 2, 3, -4), "negative dimension"),
    (_header(1) + struct.pack("<Iii1qii", V2, 0, 1, 3, 4, 0), "invalid device (dev_type 4"),
    (_header(1) + struct.pack("<Iii1qii", V2, 0, 1, 3, 1, -2), "dev_id -2"),
    (_header(1) + struct.pack("<Iii1qiii", V2, 0, 1, 3, 1, 0, 13), "unknown type flag 13"),
    (_header(1) + struct.pack("<Iii2qiii", V2, 0, 2, 2 ** 40, 2 ** 40, 1, 0, 0),
     "array 0 data (float32 x 1208925819614629174706176): needs"),
    (_header(0) + struct.pack("<Q", 2 ** 62), "name count"),
    (_header(0) + struct.pack("<QQ", 1, 2 ** 62), "name 0 length"),
    (_header(0) + struct.pack("<QQ", 1, 2) + b"\xff\xfe", "name 0: not UTF-8"),
    (_header(1) + _v2(np.ones(1, np.float32)) + _names(["a", "b"]), "2 names for 1 arrays"),
])
def test_hostile_headers_raise_without_allocating(blob, field):
    tracemalloc.start()
    try:
        with pytest.raises(MXNetError) as err:
            load_frombuffer(blob)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert field in str(err.value)
    assert str(err.value).startswith("Invalid NDArray file <buffer>: byte ")
    assert peak < 1 << 20, f"allocated {peak} bytes for a hostile header"


def test_error_names_file_offset_and_field(tmp_path):
    raw = bytearray(_read(os.path.join(GOLDEN, "dict_w_b.params")))
    raw[24:28] = b"\0\0\0\x7f"  # corrupt the first array's magic
    fname = str(tmp_path / "bad.params")
    with open(fname, "wb") as f:
        f.write(raw)
    with pytest.raises(MXNetError, match=r"bad\.params'?: byte 24, array 0 magic: unknown magic "
                                         r"0x7F000000"):
        mx.nd.load(fname)


HOSTILE_SOURCES = [os.path.join(GOLDEN, "dict_w_b.params"),
                   os.path.join(GOLDEN, "list_dtypes.params"),
                   os.path.join(SPECIAL, "sparse.params"), os.path.join(SPECIAL, "bfloat16.params"),
                   os.path.join(GOLDEN, "mlp-0003.params")]


@pytest.mark.parametrize("path", HOSTILE_SOURCES, ids=os.path.basename)
def test_truncated_at_every_offset(path):
    raw = _read(path)
    for cut in range(len(raw)):
        with pytest.raises(MXNetError, match="Invalid NDArray file"):
            load_frombuffer(raw[:cut])


def _check_outcome(blob):
    try:
        loaded = load_frombuffer(blob)
    except MXNetError as err:
        assert str(err).startswith("Invalid NDArray file <buffer>: byte ")
        return "error"
    assert isinstance(loaded, (list, dict))
    for _, arr in _as_items(loaded):
        assert arr is None or isinstance(arr, mx.nd.NDArray)
        if arr is not None:
            arr.asnumpy()
    return "loaded"


@pytest.mark.parametrize("path", HOSTILE_SOURCES, ids=os.path.basename)
def test_flipped_bytes_fuzz(path, monkeypatch):
    # A sparse record's dense shape is the one size not backed by file bytes: keep it small here.
    monkeypatch.setattr("mxlite.ndarray.utils.MAX_DENSE_BYTES", 1 << 20)
    raw = _read(path)
    rng = np.random.RandomState(1234)
    outcomes = {"error": 0, "loaded": 0}
    deadline = time.monotonic() + 2.0
    for _ in range(3000):
        if time.monotonic() > deadline:
            break
        blob = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randint(len(blob))
            blob[pos] = rng.randint(256) if rng.rand() < 0.7 else blob[pos] ^ (1 << rng.randint(8))
        outcomes[_check_outcome(bytes(blob))] += 1
    assert outcomes["error"] > 0 and outcomes["loaded"] > 0


def test_structured_fuzz_of_header_fields():
    """Overwrite each 4- and 8-byte field with extreme values: only clean outcomes."""
    raw = _read(os.path.join(GOLDEN, "mixed_dtypes.params"))
    extremes = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, V1, V2, V3, 32, 33]
    for pos in range(0, len(raw) - 4, 2):
        for value in extremes:
            blob = bytearray(raw)
            blob[pos:pos + 4] = struct.pack("<I", value)
            _check_outcome(bytes(blob))
        if pos + 8 <= len(raw):
            blob = bytearray(raw)
            blob[pos:pos + 8] = struct.pack("<Q", 2 ** 63 + 5)
            _check_outcome(bytes(blob))


def _row_sparse(rows, values, shape, idx_type=6):
    values = np.asarray(values, np.float32)
    rows = np.asarray(rows, np.int64)
    return (struct.pack("<Ii", V2, 1)
            + struct.pack(f"<i{values.ndim}q", values.ndim, *values.shape)
            + struct.pack(f"<i{len(shape)}q", len(shape), *shape)
            + struct.pack("<iii", 1, 0, 0)
            + struct.pack("<ii1q", idx_type, 1, len(rows))
            + values.tobytes() + rows.tobytes())


def test_row_sparse_hand_built_and_bad_indices():
    ok = _row_sparse([0, 2], [[1, 2], [3, 4]], (3, 2))
    dense = load_frombuffer(_header(1) + ok + _names([]))[0].asnumpy()
    np.testing.assert_array_equal(dense, [[1, 2], [0, 0], [3, 4]])
    bad = _row_sparse([0, 3], [[1, 2], [3, 4]], (3, 2))
    with pytest.raises(MXNetError, match="row index out of range"):
        load_frombuffer(_header(1) + bad + _names([]))
    wrong = _row_sparse([0, 1], [[1, 2], [3, 4]], (3, 5))
    with pytest.raises(MXNetError, match="does not fit shape"):
        load_frombuffer(_header(1) + wrong + _names([]))
    float_index = _row_sparse([0, 1], [[1, 2], [3, 4]], (3, 2), idx_type=0)
    with pytest.raises(MXNetError, match="not an integer type"):
        load_frombuffer(_header(1) + float_index + _names([]))


def test_sparse_dense_shape_is_capped():
    """A row_sparse record with no stored rows may claim any dense shape: that is refused."""
    huge = _row_sparse(np.zeros(0, np.int64), np.zeros((0, 2), np.float32), (2 ** 40, 2))
    tracemalloc.start()
    try:
        with pytest.raises(MXNetError, match="MAX_DENSE_BYTES"):
            load_frombuffer(_header(1) + huge + _names([]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_zero_size_arrays_round_trip():
    arrays = [mx.nd.array(np.zeros((2, 0, 1))), mx.nd.ones((2,))]
    back = mx.nd.load_frombuffer(mx.nd.save_tobuffer(arrays))
    assert [b.shape for b in back] == [(2, 0, 1), (2,)]
