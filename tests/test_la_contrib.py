"""Namespaces and semantics of the linalg and contrib ops that the op database cannot express:
``mx.sym.linalg`` / ``mx.nd.linalg`` / ``mx.sym.contrib`` / ``mx.nd.contrib``, auto-names,
aliases, factorization identities, MXNet's documented examples (src/operator/tensor/la_op.cc,
src/operator/contrib/*.cc, python/mxnet/ndarray/contrib.py), shape modes and dtype rules.
"""
import json

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

LINALG = ["gemm", "gemm2", "potrf", "potri", "trmm", "trsm", "sumlogdiag", "syrk", "gelqf",
          "syevd", "inverse", "det", "slogdet", "extractdiag", "makediag", "extracttrian",
          "maketrian"]
CONTRIB = ["AdaptiveAvgPooling2D", "BilinearResize2D", "index_array", "div_sqrt_dim",
           "arange_like", "isinf", "isnan", "isfinite"]


def _nd(x, dtype="float64"):
    return mx.nd.array(np.asarray(x), dtype=dtype)


def _spd(n, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, n))
    return x @ x.T + n * np.eye(n)


# ----- namespaces ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", LINALG)
def test_linalg_namespaces(name):
    assert callable(getattr(mx.sym.linalg, name)) and callable(getattr(mx.nd.linalg, name))
    assert name in mx.sym.linalg.__all__ and name in mx.nd.linalg.__all__
    # MXNet registers every _linalg_ op but syevd under a linalg_ alias too
    assert hasattr(mx.sym, f"_linalg_{name}")
    assert hasattr(mx.sym, f"linalg_{name}") == (name != "syevd")


@pytest.mark.parametrize("name", CONTRIB)
def test_contrib_namespaces(name):
    assert callable(getattr(mx.sym.contrib, name)) and callable(getattr(mx.nd.contrib, name))
    assert callable(mx.nd.contrib.allclose)


def test_namespace_name_hint_is_the_short_name():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    out = mx.sym.linalg.gemm2(a, b)
    assert out.name == "gemm20"
    node = json.loads(out.tojson())["nodes"][-1]
    assert node["op"] == "_linalg_gemm2"
    assert mx.sym.contrib.BilinearResize2D(a, height=2, width=2).name == "bilinearresize2d0"
    assert mx.sym._linalg_potrf(a).name == "_linalg_potrf0"


def test_auto_created_inputs_take_mxnet_names():
    out = mx.sym.linalg.gemm(name="g")
    assert out.list_arguments() == ["g_A", "g_B", "g_C"]
    like = mx.sym.contrib.BilinearResize2D(data=mx.sym.Variable("d"), like=mx.sym.Variable("l"),
                                           mode="like")
    assert like.list_arguments() == ["d", "l"]
    assert mx.sym.contrib.BilinearResize2D(mx.sym.Variable("d")).list_arguments() == ["d"]


# ----- factorization identities -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_potrf_of_spd_matrix(dtype):
    a = _spd(4)
    low = mx.nd.linalg.potrf(_nd(a, dtype)).asnumpy()
    assert low.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.triu(low, 1), 0)
    np.testing.assert_allclose(low @ low.T, a, rtol=1e-5)
    up = mx.nd.linalg.potrf(_nd(a, dtype), lower=False).asnumpy()
    np.testing.assert_array_equal(np.tril(up, -1), 0)
    np.testing.assert_allclose(up.T @ up, a, rtol=1e-5)


def test_potrf_reads_one_triangle_only():
    a = _spd(3)
    garbage = a + np.triu(np.full((3, 3), 100.0), 1)
    np.testing.assert_allclose(mx.nd.linalg.potrf(_nd(garbage)).asnumpy(), np.linalg.cholesky(a))


def test_potri_of_potrf_is_the_inverse():
    a = _spd(4, seed=1)
    for lower in (True, False):
        factor = mx.nd.linalg.potrf(_nd(a), lower=lower)
        inv = mx.nd.linalg.potri(factor, lower=lower).asnumpy()
        np.testing.assert_allclose(inv, np.linalg.inv(a), rtol=1e-10, atol=1e-12)


def test_gelqf_orthonormal_rows_and_lower_factor():
    a = np.random.default_rng(2).standard_normal((2, 3, 5))
    q, low = (o.asnumpy() for o in mx.nd.linalg.gelqf(_nd(a)))
    assert q.shape == (2, 3, 5) and low.shape == (2, 3, 3)
    np.testing.assert_allclose(q @ np.swapaxes(q, 1, 2), np.broadcast_to(np.eye(3), (2, 3, 3)),
                               atol=1e-12)
    np.testing.assert_array_equal(np.triu(low, 1), 0)
    np.testing.assert_allclose(low @ q, a, atol=1e-12)


def test_syevd_documented_example():
    u, lam = mx.nd.linalg.syevd(mx.nd.array([[[1., 2.], [2., 4.]], [[1., 2.], [2., 5.]]]))
    np.testing.assert_allclose(u.asnumpy(), [[[0.89442719, -0.4472136], [0.4472136, 0.89442719]],
                                             [[0.92387953, -0.38268343],
                                              [0.38268343, 0.92387953]]], rtol=1e-5)
    np.testing.assert_allclose(lam.asnumpy(), [[0., 5.], [0.17157288, 5.82842712]], atol=1e-5)


def test_syevd_identity_and_sign_rule():
    a = _spd(4, seed=3)
    u, lam = (o.asnumpy() for o in mx.nd.linalg.syevd(_nd(a)))
    np.testing.assert_allclose(u @ a, lam[:, None] * u, atol=1e-10)
    assert np.all(np.diff(lam) > 0)
    rows = np.arange(4)
    assert np.all(u[rows, np.abs(u).argmax(axis=1)] > 0)


def test_trsm_inverts_trmm():
    rng = np.random.default_rng(4)
    a = np.tril(rng.standard_normal((3, 3))) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    for kw in ({}, {"transpose": True}, {"lower": False}):
        prod = mx.nd.linalg.trmm(_nd(a), _nd(b), alpha=2.0, **kw)
        back = mx.nd.linalg.trsm(_nd(a), prod, alpha=0.5, **kw).asnumpy()
        np.testing.assert_allclose(back, b, atol=1e-12)


def test_gemm_matches_documented_semantics():
    rng = np.random.default_rng(5)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    out = mx.nd.linalg.gemm(_nd(a), _nd(b), _nd(c), transpose_b=True, alpha=2.0, beta=10.0)
    np.testing.assert_allclose(out.asnumpy(), 2 * a @ b.T + 10 * c)


# ----- determinants -------------------------------------------------------------------------------
def test_det_and_slogdet_of_single_matrix_have_shape_one():
    a = mx.nd.array([[1., 2.], [3., 4.]])
    det = mx.nd.linalg.det(a)
    sign, logdet = mx.nd.linalg.slogdet(a)
    assert det.shape == sign.shape == logdet.shape == (1,)
    np.testing.assert_allclose(det.asnumpy(), [-2.0], rtol=1e-6)
    np.testing.assert_allclose(sign.asnumpy(), [-1.0])
    np.testing.assert_allclose(logdet.asnumpy(), [np.log(2.0)], rtol=1e-6)


def test_det_gradient_is_zero_for_singular_matrix():
    a = mx.sym.Variable("a")
    x = np.array([[[1., 2.], [2., 4.]], [[2., 0.], [0., 3.]]])
    grad = mx.nd.zeros((2, 2, 2), dtype="float64")
    ex = mx.sym.linalg.det(a).bind(mx.cpu(), {"a": _nd(x)}, args_grad={"a": grad})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,), dtype="float64"))
    np.testing.assert_array_equal(grad.asnumpy()[0], 0)
    np.testing.assert_allclose(grad.asnumpy()[1], [[3., 0.], [0., 2.]])


# ----- diagonal / triangle copies: la_op.cc examples ----------------------------------------------
def test_trian_documented_examples():
    a = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert mx.nd.linalg.extracttrian(a).asnumpy().tolist() == [1.0, 3.0, 4.0]
    assert mx.nd.linalg.extracttrian(a, lower=False).asnumpy().tolist() == [1.0, 2.0, 4.0]
    assert mx.nd.linalg.extracttrian(a, offset=1).asnumpy().tolist() == [2.0]
    assert mx.nd.linalg.extracttrian(a, offset=-1).asnumpy().tolist() == [3.0]
    v = mx.nd.array([1.0, 2.0, 3.0])
    assert mx.nd.linalg.maketrian(v).asnumpy().tolist() == [[1, 0], [2, 3]]
    assert mx.nd.linalg.maketrian(v, lower=False).asnumpy().tolist() == [[1, 2], [0, 3]]
    assert mx.nd.linalg.maketrian(v, offset=1).asnumpy().tolist() == [[0, 1, 2], [0, 0, 3],
                                                                      [0, 0, 0]]
    assert mx.nd.linalg.maketrian(v, offset=-1).asnumpy().tolist() == [[0, 0, 0], [1, 0, 0],
                                                                       [2, 3, 0]]


def test_diag_documented_examples():
    a = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert mx.nd.linalg.extractdiag(a).asnumpy().tolist() == [1.0, 4.0]
    assert mx.nd.linalg.extractdiag(a, offset=1).asnumpy().tolist() == [2.0]
    made = mx.nd.linalg.makediag(mx.nd.array([1.0, 2.0]), offset=1).asnumpy()
    assert made.tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]


@pytest.mark.parametrize("name", ["potrf", "inverse", "extractdiag", "syrk"])
def test_linalg_refuses_float16(name):
    with pytest.raises(MXNetError, match="only supports 32-bit and 64-bit"):
        getattr(mx.nd.linalg, name)(mx.nd.ones((2, 2), dtype="float16"))


# ----- contrib ------------------------------------------------------------------------------------
def test_isinf_isnan_isfinite_documented_examples():
    data = mx.nd.array([np.inf, -np.inf, np.nan, -1])
    assert mx.nd.contrib.isinf(data).asnumpy().tolist() == [1, 1, 0, 0]
    assert mx.nd.contrib.isnan(data).asnumpy().tolist() == [0, 0, 1, 0]
    assert mx.nd.contrib.isfinite(data).asnumpy().tolist() == [0, 0, 0, 1]
    assert mx.nd.contrib.isinf(data).dtype == np.float32
    x = mx.sym.Variable("x")
    group = mx.sym.Group([mx.sym.contrib.isinf(x), mx.sym.contrib.isnan(x),
                          mx.sym.contrib.isfinite(x)])
    outs = group.bind(mx.cpu(), {"x": data}).forward()
    assert [o.asnumpy().tolist() for o in outs] == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]


def test_index_array_documented_example():
    out = mx.nd.contrib.index_array(mx.nd.ones((3, 2)))
    assert out.dtype == np.int64
    assert out.asnumpy().tolist() == [[[0, 0], [0, 1]], [[1, 0], [1, 1]], [[2, 0], [2, 1]]]
    sel = mx.nd.contrib.index_array(mx.nd.ones((3, 2, 2)), axes=(1, 0)).asnumpy()
    assert sel.shape == (3, 2, 2, 2)
    assert sel[2, 1, 0].tolist() == [1, 2]


def test_arange_like_documented_example_and_dtype():
    x = mx.nd.zeros((3, 4))
    assert mx.nd.contrib.arange_like(x, start=0).asnumpy().tolist() == \
        np.arange(12.0).reshape(3, 4).tolist()
    assert mx.nd.contrib.arange_like(x, start=0, axis=-1).asnumpy().tolist() == [0, 1, 2, 3]
    ints = mx.nd.contrib.arange_like(mx.nd.zeros((2, 3), dtype="int32"), start=2, repeat=2)
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [[2, 2, 3], [3, 4, 4]]


def test_div_sqrt_dim_values_and_integer_truncation():
    out = mx.nd.contrib.div_sqrt_dim(mx.nd.full((2, 4), 3.0))
    np.testing.assert_allclose(out.asnumpy(), 1.5)
    # integers: DType(sqrt(5)) is 2 and the division truncates toward zero
    ints = mx.nd.contrib.div_sqrt_dim(mx.nd.array([[5, -5, 3, 1, 0]], dtype="int32"))
    assert ints.asnumpy().tolist() == [[2, -2, 1, 0, 0]]


@pytest.mark.parametrize("params,expected", [
    ({"height": 5, "width": 6}, (5, 6)),
    ({"scale_height": 2.0, "scale_width": 0.5}, (10, 3)),
    ({"scale_width": 2.0, "height": 2, "width": 3}, (2, 3)),  # scale_width alone is ignored
    ({"mode": "odd_scale", "scale_height": 2.0, "scale_width": 2.0}, (9, 12)),
    ({"mode": "to_even_down"}, (4, 6)), ({"mode": "to_even_up"}, (6, 6)),
    ({"mode": "to_odd_down"}, (5, 5)), ({"mode": "to_odd_up"}, (5, 7)),
])
def test_bilinear_resize_modes(params, expected):
    out = mx.sym.contrib.BilinearResize2D(mx.sym.Variable("d"), **params)
    _, shapes, _ = out.infer_shape(d=(1, 2, 5, 6))
    assert shapes == [(1, 2) + expected]


def test_bilinear_resize_defaults_align_corners_and_same_size_copies():
    x = np.random.default_rng(6).standard_normal((1, 1, 3, 4)).astype(np.float32)
    same = mx.nd.contrib.BilinearResize2D(mx.nd.array(x), height=3, width=4)
    np.testing.assert_array_equal(same.asnumpy(), x)
    # align_corners=True (the default): the corner pixels are kept
    up = mx.nd.contrib.BilinearResize2D(mx.nd.array(x), height=7, width=10).asnumpy()
    np.testing.assert_allclose(up[0, 0, [0, 0, -1, -1], [0, -1, 0, -1]],
                               x[0, 0, [0, 0, -1, -1], [0, -1, 0, -1]], rtol=1e-6)


def test_adaptive_avg_pooling_global_and_int_size():
    x = np.random.default_rng(7).standard_normal((2, 3, 4, 6))
    glob = mx.nd.contrib.AdaptiveAvgPooling2D(_nd(x)).asnumpy()
    np.testing.assert_allclose(glob, x.mean(axis=(2, 3), keepdims=True))
    same = mx.nd.contrib.AdaptiveAvgPooling2D(_nd(x), output_size=(4, 6)).asnumpy()
    np.testing.assert_allclose(same, x)
    assert mx.nd.contrib.AdaptiveAvgPooling2D(_nd(x), output_size=2).shape == (2, 3, 2, 2)
