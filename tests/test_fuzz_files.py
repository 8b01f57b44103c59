"""Fuzz: corrupted symbol JSON and .params files. Whatever the corruption, loading gives a
Symbol / arrays or an MXNetError, within bounded time and memory; never another exception, a hang
or an allocation the file does not back.

The fast profile runs derandomised examples in CI; ``-m slow`` runs the long profile.
"""
import json
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxlite as mx
from mxlite.base import MXNetError

settings.register_profile("files-fast", max_examples=150, deadline=None, derandomize=True,
                          database=None, suppress_health_check=list(HealthCheck))
settings.register_profile("files-long", max_examples=5000, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))

#: per document: the time and the memory (Python and NumPy allocations) a load may take
TIME_LIMIT_S = 2.0
MEMORY_LIMIT = 64 << 20


def _networks():
    data = mx.sym.var("data")
    mlp = mx.sym.FullyConnected(data, num_hidden=8, name="fc1")
    mlp = mx.sym.Activation(mlp, act_type="relu", name="relu1")
    mlp = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mlp, num_hidden=3, name="fc2"),
                               name="softmax")
    conv = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv")
    conv = mx.sym.BatchNorm(conv, name="bn")
    parts = mx.sym.SliceChannel(conv, num_outputs=2, name="split")
    conv = mx.sym.Concat(parts[0], parts[1], mx.sym.Pooling(conv, kernel=(2, 2), stride=(1, 1),
                                                            pad=(1, 1), name="pool"),
                         dim=1, name="cat")
    conv = mx.sym.Reshape(conv, shape=(0, -1), name="flat")
    conv = mx.sym.add_n(conv, conv, name="sum")
    return [mlp.tojson(), conv.tojson()]


SYMBOLS = _networks()
PARAMS = [
    mx.nd.save_tobuffer({"arg:w": mx.nd.array(np.arange(12).reshape(3, 4)),
                         "aux:m": mx.nd.ones((5,), dtype="float16")}),
    mx.nd.save_tobuffer([mx.nd.ones((2, 2, 2), dtype="int32"), mx.nd.zeros((3,))]),
]

_JUNK = st.text(alphabet='0123456789-+.eE[]{}(),:" \\nulltrueNaInf', max_size=12)
_BIG = st.sampled_from(["1" * 30, str(2**31), str(2**63), "-1", "1e400", "NaN", "1e9",
                        "[" * 200, "{" * 200, '"' + "x" * 70000 + '"', "null", "[]", "{}"])


@st.composite
def corrupted_text(draw):
    """A valid symbol JSON with 1-3 edits: replace a span, delete one, duplicate one, or put a
    number, huge value or deep nesting in place of a token."""
    text = draw(st.sampled_from(SYMBOLS))
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        j = min(len(text), i + draw(st.integers(0, 20)))
        kind = draw(st.sampled_from(["replace", "delete", "duplicate", "big"]))
        if kind == "replace":
            text = text[:i] + draw(_JUNK) + text[j:]
        elif kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(1, 3)) + text[j:]
        else:
            text = text[:i] + draw(_BIG) + text[j:]
    return text


@st.composite
def corrupted_bytes(draw):
    """A valid .params file with 1-4 edits: bit flips, overwritten runs (0x00 / 0xFF / random),
    truncation, inserted or deleted bytes."""
    blob = bytearray(draw(st.sampled_from(PARAMS)))
    for _ in range(draw(st.integers(1, 4))):
        if not blob:
            break
        i = draw(st.integers(0, len(blob) - 1))
        kind = draw(st.sampled_from(["flip", "run", "truncate", "insert", "delete"]))
        if kind == "flip":
            blob[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "run":
            run = draw(st.sampled_from([b"\x00", b"\xff", b"\x7f"])) * draw(st.integers(1, 8))
            blob[i:i + len(run)] = run
        elif kind == "truncate":
            del blob[i:]
        elif kind == "insert":
            blob[i:i] = draw(st.binary(min_size=1, max_size=16))
        else:
            del blob[i:i + draw(st.integers(1, 16))]
    return bytes(blob)


def _bounded(fn):
    """Run ``fn``; it must return or raise MXNetError, within the time and memory limits."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        fn()
    except MXNetError:
        pass
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < TIME_LIMIT_S, f"took {elapsed:.2f} s"
    assert peak < MEMORY_LIMIT, f"allocated {peak} bytes"


def _load_symbol(text):
    sym = mx.sym.load_json(text)
    sym.tojson()
    sym.list_arguments()
    sym.infer_shape_partial(data=(2, 3, 4, 4))


def _load_params(blob):
    arrays = mx.nd.load_frombuffer(blob)
    for a in (arrays.values() if isinstance(arrays, dict) else arrays):
        if a is not None:  # an ndim-0 record is MXNet's "none" array
            a.asnumpy()


@settings(settings.get_profile("files-fast"))
@given(text=corrupted_text())
def test_corrupted_symbol_json(text):
    _bounded(lambda: _load_symbol(text))


@settings(settings.get_profile("files-fast"))
@given(blob=corrupted_bytes())
def test_corrupted_params(blob):
    _bounded(lambda: _load_params(blob))


@pytest.mark.slow
@settings(settings.get_profile("files-long"))
@given(text=corrupted_text())
def test_corrupted_symbol_json_long(text):
    _bounded(lambda: _load_symbol(text))


@pytest.mark.slow
@settings(settings.get_profile("files-long"))
@given(blob=corrupted_bytes())
def test_corrupted_params_long(blob):
    _bounded(lambda: _load_params(blob))


def test_uncorrupted_documents_load():
    for text in SYMBOLS:
        assert mx.sym.load_json(text).tojson() == text
    for blob in PARAMS:
        assert mx.nd.load_frombuffer(blob)
    json.loads(SYMBOLS[0])
