#!/usr/bin/env python
"""Record MXNet 1.9.1's partial shape inference for every op-database case, into
tests/golden/partial_shapes.json.

Run with the MXNet venv (NOT the mxlite environment), from the repository root:

    ../mxnet-venv/bin/python tests/golden/make_partial_shapes.py

For each distinct (op, params, input shapes) of tests/opdb, and for each input dimension in turn,
that dimension is set to 0 (legacy "unknown") and ``infer_shape_partial`` of the op's symbol is
recorded: the argument, output and aux shapes MXNet infers, or its error. A few multi-op graphs of
MXNet's own tests (a consumer filling in a producer's unknown dims) are recorded too.

This file is our own code; it only calls MXNet's public Python API. The op database is imported
with ``mxlite`` standing for ``mxnet`` (it only needs ``MXNetError`` from it).
"""
import json
import os
import sys

import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.modules["mxlite"] = mx
sys.modules["mxlite.base"] = mx.base
sys.path.insert(0, os.path.dirname(HERE))

from opdb import CASES  # noqa: E402


def _shape_list(shapes):
    return [list(s) for s in shapes] if shapes is not None else None


def _record(sym, known):
    try:
        args, outs, aux = sym.infer_shape_partial(**known)
        return {"args": _shape_list(args), "outs": _shape_list(outs), "aux": _shape_list(aux)}
    except mx.base.MXNetError as err:
        return {"error": str(err).splitlines()[0][:300]}


def _symbol(case):
    op = getattr(mx.sym, case.op)
    names = list(case.shapes) + list(case.aux)
    variables = {n: mx.sym.Variable(n) for n in names}
    if case.op in ("add_n", "ElementWiseSum", "Concat", "concat", "stack", "UpSampling"):
        return op(*[variables[n] for n in case.shapes], name="op", **case.params)
    return op(name="op", **variables, **case.params)


def op_cases():
    out, seen = [], set()
    for case in CASES:
        key = json.dumps([case.op, case.params, {k: list(v) for k, v in case.shapes.items()},
                          {k: list(v) for k, v in case.aux.items()}], sort_keys=True,
                         default=str)
        if key in seen:
            continue
        seen.add(key)
        try:
            sym = _symbol(case)
        except Exception as err:  # an op or parameter MXNet 1.9.1 lacks
            out.append({"op": case.op, "id": case.id, "skip": f"{type(err).__name__}: {err}"})
            continue
        shapes = {**case.shapes, **case.aux}
        for name, shape in shapes.items():
            for i in range(len(shape)):
                known = dict(shapes)
                held = list(shape)
                held[i] = 0
                known[name] = tuple(held)
                out.append({"op": case.op, "id": case.id, "params": case.params,
                            "arg_names": sym.list_arguments(),
                            "aux_names": sym.list_auxiliary_states(),
                            "known": {k: list(v) for k, v in known.items()},
                            "mxnet": _record(sym, known)})
    return out


def graph_cases():
    """MXNet's own partial-inference tests, as graphs."""
    d = mx.sym.var("data")
    graphs = {
        "transpose_back": (mx.sym.ones(shape=[2, 3])
                           + mx.sym.transpose(mx.sym.ones(shape=[-1, -1])), {}),
        "transpose_mixed": (mx.sym.ones(shape=[2, -1])
                            + mx.sym.transpose(mx.sym.ones(shape=[3, -1])), {}),
        "reshape_holdout": (mx.sym.elemwise_add(d.reshape((0, -1)), mx.sym.ones(shape=(2, 75))),
                            {"data": (2, 0, 5, 5)}),
        "reshape_holdout_reverse": (mx.sym.elemwise_add(d.reshape((0, -1), reverse=True),
                                                        mx.sym.ones(shape=(5, 30))),
                                    {"data": (2, 3, 0, 5)}),
        "slice_partial": (mx.sym.slice(mx.sym.var("data", shape=(0, 20)), begin=(None, 3),
                                       end=(None, 10)), {}),
        "slice_axis_partial": (mx.sym.slice_axis(mx.sym.var("data", shape=(10, 0)), axis=0,
                                                 begin=0, end=5), {}),
    }
    out = []
    for name, (sym, known) in graphs.items():
        out.append({"graph": name, "json": sym.tojson(), "known": {k: list(v) for k, v in
                                                                    known.items()},
                    "arg_names": sym.list_arguments(), "mxnet": _record(sym, known)})
    return out


def main():
    fixtures = {"mxnet": mx.__version__, "ops": op_cases(), "graphs": graph_cases()}
    path = os.path.join(HERE, "partial_shapes.json")
    with open(path, "w") as f:
        json.dump(fixtures, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    print(f"wrote {path}: {len(fixtures['ops'])} op cases, {len(fixtures['graphs'])} graphs")


if __name__ == "__main__":
    main()
