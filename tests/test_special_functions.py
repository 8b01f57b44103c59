"""erfinv (the op added through the README's recipe) and the special functions' SciPy-free paths.

The expected values were printed by MXNet 1.9.1 (``mx.nd.erfinv`` of ``mx.nd.array(X)`` cast to
float16/float64, and the gradient under ``autograd.record``).
"""
import numpy as np
import pytest

import mxlite as mx
from mxlite.ops._special import without_scipy

X = [-1, -0.999, -0.5, 0, 0.3, 0.9, 1, 1.5, float("nan")]
MXNET_FLOAT32 = [-np.inf, -2.326756238937378, -0.4769362807273865, 0.0, 0.27246272563934326,
                 1.1630871295928955, np.inf, np.nan, np.nan]
MXNET_FLOAT16 = [-np.inf, -2.33203125, -0.47705078125, 0.0, 0.2724609375, 1.1630859375, np.inf,
                 np.nan, np.nan]
MXNET_FLOAT64 = [-np.inf, -2.326756326796155, -0.4769362762044699, 0.0, 0.2724627261055238,
                 1.1630870719457722, np.inf, np.nan, np.nan]


@pytest.mark.parametrize("dtype,expected,tol", [("float32", MXNET_FLOAT32, 1e-6),
                                                ("float16", MXNET_FLOAT16, 1e-3),
                                                ("float64", MXNET_FLOAT64, 1e-12)])
def test_erfinv_matches_mxnet(dtype, expected, tol):
    got = mx.nd.erfinv(mx.nd.array(X).astype(dtype)).asnumpy()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.astype(np.float64), expected, rtol=tol, atol=tol)


def test_erfinv_gradient_matches_mxnet():
    data = mx.sym.Variable("data")
    ex = mx.sym.erfinv(data).simple_bind(mx.cpu(), data=(2,))
    ex.arg_dict["data"][:] = np.array([0.3, -0.7], dtype=np.float32)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,)))
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(),
                               [0.9545204043388367, 1.516363263130188], rtol=1e-6)


def test_erfinv_without_scipy_agrees():
    x = np.concatenate([np.linspace(-0.9999999, 0.9999999, 2001), [-1.0, 1.0, 1.5, -2.0, 0.0]])
    got = without_scipy("erfinv")(x)
    np.testing.assert_allclose(got[:-5], _bisection(x[:-5]), rtol=1e-10, atol=1e-12)
    assert got[-5] == -np.inf and got[-4] == np.inf
    assert np.isnan(got[-3]) and np.isnan(got[-2]) and got[-1] == 0.0


def _bisection(x):
    import math
    out = []
    for v in x:
        lo, hi = -7.0, 7.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
        out.append(0.5 * (lo + hi))
    return np.array(out)
