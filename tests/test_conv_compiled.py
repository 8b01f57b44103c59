"""Convolution and Deconvolution with compiled kernels on (the depthwise kernels of
``mxlite/ops/conv_cpu.py``) against off, where the NumPy path runs that the op database checks
against float64 references; the cases also cover the 1x1 GEMM path, chunked batches and rows
narrower than 16.

Each case binds the op, runs forward and backward with compiled kernels on and off
(``_jit.forced``), and compares the output and every gradient.
"""
import numpy as np
import pytest

import mxlite as mx
from mxlite.ops import _jit

pytestmark = pytest.mark.skipif(not _jit.enabled(), reason="numba not installed or MXLITE_JIT=0")

# (data shape, num_filter, kernel, stride, pad, dilate, num_group, no_bias)
CONV = [
    ((2, 3, 7, 9), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, False),
    ((3, 4, 8, 8), 6, (3, 3), (2, 2), (1, 1), (1, 1), 2, False),
    ((2, 5, 9, 6), 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, False),      # pointwise
    ((2, 5, 9, 6), 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),
    ((2, 4, 10, 11), 4, (3, 2), (2, 3), (2, 1), (2, 1), 1, True),
    ((1, 2, 5, 5), 2, (5, 5), (1, 1), (2, 2), (1, 1), 1, False),
    ((2, 3, 4, 4), 2, (3, 3), (3, 3), (3, 3), (1, 1), 1, True),       # pad wider than a window
    ((2, 6, 7, 7), 6, (3, 3), (1, 1), (1, 1), (1, 1), 6, False),      # depthwise
    ((1, 3, 16, 16), 4, (7, 7), (2, 2), (3, 3), (1, 1), 1, True),
    ((2, 4, 6, 6), 5, (1, 1), (2, 2), (0, 0), (1, 1), 1, False),      # strided 1x1
    ((1, 1, 1, 1), 1, (1, 1), (1, 1), (0, 0), (1, 1), 1, False),
    ((3, 2, 20, 3), 3, (3, 3), (1, 1), (1, 1), (1, 1), 1, False),     # rows narrower than 16
    ((2, 4, 9, 9), 8, (3, 3), (2, 2), (1, 1), (1, 1), 4, False),      # depthwise, multiplier 2
    ((2, 3, 8, 7), 3, (3, 3), (1, 2), (2, 0), (2, 1), 3, True),       # depthwise, dilated
    ((1, 2, 3, 3), 2, (5, 5), (1, 1), (2, 2), (1, 1), 2, False),      # depthwise, kernel > image
]


def _run(op, shape, dtype, grad_req, **params):
    sym = getattr(mx.sym, op)(mx.sym.Variable("data"), name="op", **params)
    ex = sym.simple_bind(mx.cpu(), data=shape, type_dict={"data": dtype}, grad_req=grad_req)
    rng = np.random.default_rng(7)
    for arr in ex.arg_dict.values():
        arr[:] = rng.standard_normal(arr.shape)
    if grad_req == "add":
        for arr in ex.grad_dict.values():
            arr[:] = 1.0
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(rng.standard_normal(ex.outputs[0].shape), dtype=dtype)])
    return [ex.outputs[0].asnumpy()] + [ex.grad_dict[k].asnumpy() for k in sorted(ex.grad_dict)]


def _compare(op, shape, dtype, grad_req="write", **params):
    with _jit.forced(False):
        want = _run(op, shape, dtype, grad_req, **params)
    with _jit.forced(True):
        got = _run(op, shape, dtype, grad_req, **params)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * max(1.0, float(np.abs(w).max())))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV, ids=[str(c[0]) + str(c[2]) + str(c[3]) for c in CONV])
def test_convolution_compiled_matches_numpy(case, dtype):
    shape, f, kernel, stride, pad, dilate, g, no_bias = case
    _compare("Convolution", shape, dtype, num_filter=f, kernel=kernel, stride=stride, pad=pad,
             dilate=dilate, num_group=g, no_bias=no_bias)


def test_convolution_compiled_grad_add():
    _compare("Convolution", (2, 3, 6, 6), np.float32, "add", num_filter=4, kernel=(3, 3),
             pad=(1, 1))


def test_convolution_small_workspace_chunks():
    """A workspace of 1 MB splits the batch into chunks; each chunk's gradient lands in place."""
    _compare("Convolution", (9, 8, 24, 24), np.float32, num_filter=8, kernel=(3, 3), pad=(1, 1),
             workspace=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    ((2, 3, 5, 5), 4, (3, 3), (2, 2), (1, 1), (1, 1), 1, False, (1, 1)),
    ((1, 4, 4, 6), 2, (4, 4), (2, 2), (1, 1), (1, 1), 2, True, (0, 0)),
    ((2, 2, 3, 3), 3, (3, 3), (1, 1), (0, 0), (2, 2), 1, False, (0, 0)),
])
def test_deconvolution_compiled_matches_numpy(case, dtype):
    shape, f, kernel, stride, pad, dilate, g, no_bias, adj = case
    _compare("Deconvolution", shape, dtype, num_filter=f, kernel=kernel, stride=stride, pad=pad,
             dilate=dilate, num_group=g, no_bias=no_bias, adj=adj)
