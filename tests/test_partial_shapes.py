"""Partially known shapes (a 0 dimension is unknown) through every op, against MXNet 1.9.1.

tests/golden/partial_shapes.json (made by tests/golden/make_partial_shapes.py with the real MXNet)
holds, for every op-database case and every input dimension held out, what MXNet's
``infer_shape_partial`` gives. mxlite must know every dimension MXNet knows correctly, and what it
knows beyond that must be right: each known dimension is checked against the shapes inferred from
the case's full input shapes. (Where MXNet's answer is wrong, e.g. Pad counting an unknown
dimension as 0, or where it raises on a valid partial input, mxlite may do better.)
"""
import json
import os

import pytest

import mxlite as mx
from opdb import CASES

FIXTURES = os.path.join(os.path.dirname(__file__), "golden", "partial_shapes.json")
with open(FIXTURES) as _f:
    _GOLDEN = json.load(_f)
_CASES = {c.id: c for c in CASES}


def _symbol(case):
    op = getattr(mx.sym, case.op)
    variables = {n: mx.sym.Variable(n) for n in list(case.shapes) + list(case.aux)}
    if mx.ops.registry.get(case.op).variadic:
        return op(*[variables[n] for n in case.shapes], name="op", **case.params)
    return op(name="op", **variables, **case.params)


def _params():
    out = []
    for i, rec in enumerate(_GOLDEN["ops"]):
        if "skip" in rec or rec["id"] not in _CASES:
            continue
        held = [f"{k}{tuple(v)}" for k, v in rec["known"].items() if 0 in v][0]
        out.append(pytest.param(rec, id=f"{rec['id']}-{held}-{i}"))
    return out


def _check_shape(what, got, truth, mxnet):
    assert len(got) in (0, len(truth)), f"{what}: rank of {got} vs the full shape {truth}"
    for d, (g, t) in enumerate(zip(got or [0] * len(truth), truth)):
        assert g in (0, t), f"{what}: dimension {d} inferred as {g}, the full shape has {t}"
        if mxnet and len(mxnet) == len(truth) and mxnet[d] == t and t != 0:
            assert g == t, f"{what}: MXNet infers dimension {d} = {t}, mxlite does not ({got})"


@pytest.mark.parametrize("rec", _params())
def test_partial_inference_matches_mxnet(rec):
    case = _CASES[rec["id"]]
    sym = _symbol(case)
    full = {**case.shapes, **case.aux}
    t_args, t_outs, t_aux = sym.infer_shape(**full)
    known = {k: tuple(v) for k, v in rec["known"].items()}
    try:
        args, outs, aux = sym.infer_shape_partial(**known)
    except mx.base.MXNetError:
        assert "error" in rec["mxnet"], "MXNet infers these partial shapes, mxlite raises"
        return
    want = rec["mxnet"] if "error" not in rec["mxnet"] else {}
    for kind, got, truth in (("args", args, t_args), ("outs", outs, t_outs), ("aux", aux, t_aux)):
        mx_side = want.get(kind) or [None] * len(truth)
        for i, (g, t, m) in enumerate(zip(got, truth, mx_side)):
            _check_shape(f"{kind}[{i}]", list(g), list(t), m)


@pytest.mark.parametrize("rec", _GOLDEN["graphs"], ids=lambda r: r["graph"])
def test_partial_inference_through_graphs(rec):
    sym = mx.sym.load_json(rec["json"])
    known = {k: tuple(v) for k, v in rec["known"].items()}
    args, outs, _ = sym.infer_shape_partial(**known)
    want = rec["mxnet"]
    assert [list(s) for s in outs] == want["outs"]
    assert [list(s) for s in args] == want["args"]
