#!/usr/bin/env python
"""Record what the real MXNet 1.9.1 does with the programs in ``autograd_programs.py``.

Run with the MXNet environment (not mxlite's), from the repository root:

    ../mxnet-venv/bin/python tests/golden/autograd/make_autograd_golden.py

It rewrites ``autograd_golden.json`` beside this file: per program either the returned arrays
(dtype, shape, values) or the class and first line of the exception MXNet raised. Each program
runs in a process of its own (MXNet keeps state between programs that can fail a later one). A
re-run gives the same file (inputs come from seeded NumPy; dropout cases keep only seed-free
properties).
"""
import json
import os
import subprocess
import sys
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import autograd_programs as programs  # noqa: E402


def encode(value):
    a = np.asarray(value)
    if a.dtype.kind in "US":
        return {"dtype": "str", "shape": list(a.shape), "data": a.tolist()}
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": a.ravel().tolist()}


def run_one(name):
    prog = getattr(programs, name)
    mx.random.seed(0)
    try:
        result = prog(mx)
    except Exception as err:  # noqa: BLE001  (the error is what is recorded)
        text = " ".join(str(err).split())
        start = text.find("MXNetError:")
        rec = {"error": type(err).__name__,
               "message": text[start:start + 300] if start >= 0 else text[:300]}
    else:
        rec = {"values": {k: encode(v) for k, v in sorted(result.items())}}
    sys.stdout.write("@@" + json.dumps(rec) + "\n")
    sys.stdout.flush()
    os._exit(0)  # MXNet's shutdown hook can fail after some programs; the record is out


def main():
    out = {"mxnet_version": mx.__version__, "programs": {}}
    for prog in programs.PROGRAMS:
        res = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", prog.__name__],
                             capture_output=True, text=True, check=True)
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith("@@"))
        out["programs"][prog.__name__] = json.loads(line[2:])
    path = os.path.join(HERE, "autograd_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}: {len(out['programs'])} programs")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        run_one(sys.argv[2])
    else:
        main()
