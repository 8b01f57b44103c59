"""Symbol JSON files written by MXNet 1.9.1 (tests/golden/json): loading them gives MXNet's names,
attributes and inferred shapes, and writing them back gives MXNet's exact text."""
import glob
import json
import os

import pytest

import mxlite as mx
from mxlite.ops import registry

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "json")
NAMES = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(GOLDEN, "*.json"))
               if not p.endswith(".meta.json"))


def _load(name):
    with open(os.path.join(GOLDEN, name + ".json")) as f:
        text = f.read()
    with open(os.path.join(GOLDEN, name + ".meta.json")) as f:
        meta = json.load(f)
    ops = {n["op"] for n in json.loads(text)["nodes"] if n["op"] != "null"}
    missing = sorted(op for op in ops if not registry.exists(op))
    if missing:
        pytest.skip(f"ops not implemented yet: {', '.join(missing)}")
    return text, meta


def _shapes(lst):
    return None if lst is None else [tuple(s) for s in lst]


@pytest.mark.parametrize("name", NAMES)
def test_introspection(name):
    text, meta = _load(name)
    sym = mx.sym.load_json(text)
    assert sym.list_arguments() == meta["list_arguments"]
    assert sym.list_outputs() == meta["list_outputs"]
    assert sym.list_auxiliary_states() == meta["list_auxiliary_states"]
    assert sym.list_inputs() == meta["list_inputs"]
    assert sym.attr_dict() == meta["attr_dict"]
    assert sym.list_attr() == meta["list_attr"]
    assert sym.name == meta["name"]


@pytest.mark.parametrize("name", NAMES)
def test_infer_shape(name):
    text, meta = _load(name)
    if "infer_shape_input" not in meta:
        pytest.skip("MXNet's shape inference was not recorded for this symbol")
    sym = mx.sym.load_json(text)
    given = {k: tuple(v) for k, v in meta.get("infer_shape_input", {}).items()}
    expected = meta.get("infer_shape")
    with pytest.warns(UserWarning) if expected is None else _no_warning():
        result = sym.infer_shape(**given)
    if expected is None:
        assert result == (None, None, None)
    else:
        assert [list(map(_shapes, (result[0], result[1], result[2])))] == \
            [[_shapes(expected["arg_shapes"]), _shapes(expected["out_shapes"]),
              _shapes(expected["aux_shapes"])]]
    partial = meta.get("infer_shape_partial")
    if partial is not None:
        got = sym.infer_shape_partial(**given)
        assert [_shapes(x) for x in got] == [_shapes(partial["arg_shapes"]),
                                            _shapes(partial["out_shapes"]),
                                            _shapes(partial["aux_shapes"])]


class _no_warning:
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)


@pytest.mark.parametrize("name", NAMES)
def test_json_text(name):
    text, meta = _load(name)
    sym = mx.sym.load_json(text)
    if name.startswith("old_"):
        assert sym.tojson() == meta["upgraded_tojson"]
    else:
        assert sym.tojson() == text
