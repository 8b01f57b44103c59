"""Readers for the fixtures in tests/golden/training/ (recorded with MXNet 1.9.1)."""
import json
import os

import numpy as np

import mxlite as mx

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "training")


def load(section):
    """The recorded cases of ``section`` (a dict: case id -> case)."""
    with open(os.path.join(HERE, f"{section}.json")) as f:
        return json.load(f)


def dec(rec):
    """The NumPy array of one recorded array."""
    return np.array(rec["data"], dtype=rec["dtype"]).reshape(rec["shape"])


def nd(rec, ctx=None):
    """The recorded array as an NDArray."""
    return mx.nd.array(dec(rec), ctx=ctx, dtype=rec["dtype"])


def tol(dtype):
    return dict(rtol=1e-2, atol=2e-3) if str(dtype) == "float16" else dict(rtol=1e-4, atol=1e-5)
