"""The random sampling ops ``_random_uniform``, ``_random_normal`` and ``_random_randint``.

Their draws have no deterministic reference, so the op database lists them in ``opdb.NO_CASE``
and they are tested here instead: moments and the empirical distribution of large draws within
statistical bounds, bounds of every draw, reproducibility under ``mx.random.seed``, output
shapes and dtypes, the distribution params, the symbolic and imperative front ends and their
aliases, and the errors.

The statistical bounds are about five standard errors (or a p-value of 1e-6), and each test seeds
the generator first: a correct sampler passes for practically every seed, and a run is
repeatable.
"""
import numpy as np
import pytest
import scipy.special
import scipy.stats

import mxlite as mx
from mxlite.base import MXNetError



CONTEXTS = [pytest.param("cpu", id="cpu"),
            pytest.param("gpu", id="gpu", marks=pytest.mark.gpu)]
N = 200_000
Z = 5.0  # standard errors allowed for a sample moment


def _ctx(name):
    return mx.cpu() if name == "cpu" else mx.gpu(0)


def _ks_bound(n, alpha=1e-6):
    """Kolmogorov-Smirnov critical distance for ``n`` draws at significance ``alpha``."""
    return np.sqrt(-np.log(alpha / 2) / (2 * n))


def _ks_distance(draws, cdf):
    x = np.sort(draws.astype(np.float64))
    f = cdf(x)
    n = x.size
    return max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max())


# ----- _random_uniform ----------------------------------------------------------------------------
@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-2.0, 3.0), (10.0, 10.5)])
def test_uniform_moments_bounds_and_distribution(low, high, ctx):
    mx.random.seed(11)
    x = mx.nd.random.uniform(low, high, shape=(N,), dtype="float64", ctx=_ctx(ctx)).asnumpy()
    assert x.shape == (N,) and x.dtype == np.float64
    assert x.min() >= low and x.max() < high
    width = high - low
    var = width ** 2 / 12
    assert abs(x.mean() - (low + high) / 2) < Z * np.sqrt(var / N)
    # standard error of the sample variance: sqrt((mu4 - var^2) / n), mu4 = width^4 / 80
    assert abs(x.var() - var) < Z * np.sqrt((width ** 4 / 80 - var ** 2) / N)
    d = _ks_distance(x, lambda v: (v - low) / width)
    assert d < _ks_bound(N), f"KS distance {d} to U({low}, {high})"


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_uniform_dtypes_stay_in_bounds(dtype):
    mx.random.seed(5)
    x = mx.nd.random.uniform(-1.5, 2.5, shape=(20, 500), dtype=dtype)
    assert x.dtype == np.dtype(dtype) and x.shape == (20, 500)
    v = x.asnumpy()
    # float16 rounding may reach the upper bound itself, never beyond it
    assert v.min() >= -1.5 and v.max() <= 2.5
    assert abs(float(v.astype(np.float64).mean()) - 0.5) < Z * np.sqrt(16 / 12 / v.size)


def test_uniform_defaults():
    mx.random.seed(2)
    x = mx.nd.random.uniform(shape=(1000,))
    assert x.dtype == np.float32 and x.shape == (1000,)
    v = x.asnumpy()
    assert v.min() >= 0.0 and v.max() < 1.0
    assert mx.nd.random.uniform().shape == (1,)


def test_uniform_low_equal_high_gives_low():
    x = mx.nd.random.uniform(2.0, 2.0, shape=(5,)).asnumpy()
    np.testing.assert_array_equal(x, np.full(5, 2.0, np.float32))


# ----- _random_normal -----------------------------------------------------------------------------
@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("loc,scale", [(0.0, 1.0), (1.5, 0.5), (-3.0, 4.0)])
def test_normal_moments_and_distribution(loc, scale, ctx):
    mx.random.seed(13)
    x = mx.nd.random.normal(loc, scale, shape=(N,), dtype="float64", ctx=_ctx(ctx)).asnumpy()
    assert x.shape == (N,) and x.dtype == np.float64
    assert abs(x.mean() - loc) < Z * scale / np.sqrt(N)
    # the sample variance of a normal has standard error var * sqrt(2 / n)
    assert abs(x.var() - scale ** 2) < Z * scale ** 2 * np.sqrt(2 / N)
    z = (x - loc) / scale
    assert abs(scipy.stats.skew(z)) < Z * np.sqrt(6 / N)
    assert abs(scipy.stats.kurtosis(z)) < Z * np.sqrt(24 / N)
    d = _ks_distance(x, lambda v: scipy.special.ndtr((v - loc) / scale))
    assert d < _ks_bound(N), f"KS distance {d} to N({loc}, {scale}^2)"


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_normal_dtypes(dtype):
    mx.random.seed(6)
    x = mx.nd.random.normal(2.0, 0.25, shape=(50, 200), dtype=dtype)
    assert x.dtype == np.dtype(dtype) and x.shape == (50, 200)
    v = x.asnumpy().astype(np.float64)
    assert np.isfinite(v).all()
    assert abs(v.mean() - 2.0) < Z * 0.25 / np.sqrt(v.size) + (1e-3 if dtype == "float16" else 0)


def test_normal_defaults_and_zero_scale():
    mx.random.seed(3)
    x = mx.nd.random.normal(shape=(4, 5))
    assert x.dtype == np.float32 and x.shape == (4, 5)
    np.testing.assert_array_equal(mx.nd.random.normal(-1.25, 0.0, shape=(3,)).asnumpy(),
                                  np.full(3, -1.25, np.float32))


# ----- _random_randint ----------------------------------------------------------------------------
@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("low,high", [(0, 2), (-3, 4), (100, 117)])
def test_randint_bounds_and_uniformity(low, high, ctx):
    mx.random.seed(17)
    x = mx.nd.random.randint(low, high, shape=(N,), ctx=_ctx(ctx)).asnumpy()
    assert x.dtype == np.int32 and x.shape == (N,)
    assert x.min() == low and x.max() == high - 1
    counts = np.bincount(x - low, minlength=high - low)
    assert counts.size == high - low
    chi2 = ((counts - N / (high - low)) ** 2 / (N / (high - low))).sum()
    assert chi2 < scipy.stats.chi2.isf(1e-6, high - low - 1), f"chi-square {chi2}: {counts}"


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_randint_dtypes(dtype):
    mx.random.seed(8)
    x = mx.nd.random.randint(-5, 5, shape=(3, 400), dtype=dtype)
    assert x.dtype == np.dtype(dtype) and x.shape == (3, 400)
    v = x.asnumpy()
    assert v.min() >= -5 and v.max() < 5


def test_randint_large_bounds_int64():
    mx.random.seed(9)
    low, high = 2 ** 40, 2 ** 40 + 10
    v = mx.nd.random.randint(low, high, shape=(1000,), dtype="int64").asnumpy()
    assert v.min() >= low and v.max() < high and len(np.unique(v)) == 10


# ----- seeding ------------------------------------------------------------------------------------
_DRAWS = {
    "_random_uniform": lambda ctx: mx.nd.random.uniform(-1, 1, shape=(6, 7), ctx=ctx),
    "_random_normal": lambda ctx: mx.nd.random.normal(0.5, 2.0, shape=(6, 7), ctx=ctx),
    "_random_randint": lambda ctx: mx.nd.random.randint(0, 1000, shape=(6, 7), ctx=ctx),
}


@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("op", sorted(_DRAWS))
def test_seed_makes_draws_reproducible(op, ctx):
    draw = _DRAWS[op]
    c = _ctx(ctx)
    mx.random.seed(42)
    first, second = draw(c).asnumpy(), draw(c).asnumpy()
    mx.random.seed(42)
    np.testing.assert_array_equal(draw(c).asnumpy(), first)
    np.testing.assert_array_equal(draw(c).asnumpy(), second)
    assert not np.array_equal(first, second), "successive draws repeat"
    mx.random.seed(43)
    assert not np.array_equal(draw(c).asnumpy(), first), "another seed gives the same draws"


@pytest.mark.parametrize("ctx", CONTEXTS)
def test_seed_reproduces_a_bound_executor(ctx):
    c = _ctx(ctx)
    sym = mx.sym.random.uniform(low=-1, high=1, shape=(3, 4)) \
        + mx.sym.random.normal(loc=0, scale=1, shape=(3, 4))
    mx.random.seed(21)
    ex = sym.bind(c, args={})
    first = ex.forward()[0].asnumpy()
    again = ex.forward()[0].asnumpy()
    assert not np.array_equal(first, again), "each forward draws anew"
    mx.random.seed(21)
    np.testing.assert_array_equal(sym.bind(c, args={}).forward()[0].asnumpy(), first)


# ----- front ends, aliases, params ----------------------------------------------------------------
@pytest.mark.parametrize("op,aliases,params", [
    ("_random_uniform", ("uniform", "random_uniform"), {"low": -2.0, "high": 5.0}),
    ("_random_normal", ("normal", "random_normal"), {"loc": 1.0, "scale": 3.0}),
    ("_random_randint", ("random_randint",), {"low": -4, "high": 9}),
])
def test_op_names_and_aliases_draw_the_same(op, aliases, params):
    shape = (4, 3)
    mx.random.seed(77)
    want = getattr(mx.nd, op)(shape=shape, **params).asnumpy()
    for name in aliases:
        mx.random.seed(77)
        got = getattr(mx.nd, name)(shape=shape, **params)
        np.testing.assert_array_equal(got.asnumpy(), want, err_msg=name)
        mx.random.seed(77)
        sym = getattr(mx.sym, name)(shape=shape, **params)
        np.testing.assert_array_equal(sym.eval()[0].asnumpy(), want, err_msg=f"sym.{name}")


@pytest.mark.parametrize("op,params,dtype", [
    ("_random_uniform", {}, np.float32), ("_random_uniform", {"dtype": "float16"}, np.float16),
    ("_random_normal", {"dtype": "float64"}, np.float64),
    ("_random_randint", {"low": 0, "high": 3}, np.int32),
    ("_random_randint", {"low": 0, "high": 3, "dtype": "int64"}, np.int64),
])
def test_symbol_infers_shape_and_type(op, params, dtype):
    sym = getattr(mx.sym, op)(shape=(2, 5, 3), **params)
    assert sym.infer_shape() == ([], [(2, 5, 3)], [])
    assert sym.infer_type() == ([], [dtype], [])
    out = sym.eval()[0]
    assert out.shape == (2, 5, 3) and out.dtype == dtype


def test_out_argument_takes_the_draws():
    mx.random.seed(4)
    out = mx.nd.zeros((5, 2), dtype="float64")
    mx.nd.random.normal(10.0, 0.1, out=out)
    v = out.asnumpy()
    assert out.dtype == np.float64 and (np.abs(v - 10.0) < 1.0).all()


# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,match", [
    (lambda: mx.nd.random.uniform(1.0, 0.0, shape=(2,)), r"_random_uniform.*low.*high"),
    (lambda: mx.nd.random.normal(0.0, -1.0, shape=(2,)), r"_random_normal.*scale"),
    (lambda: mx.nd.random.randint(3, 3, shape=(2,)), r"_random_randint.*low.*high"),
    (lambda: mx.nd.random.uniform(shape=(2,), dtype="int32"),
     r"_random_uniform.*float16, float32, float64"),
    (lambda: mx.nd.random.randint(0, 3, shape=(2,), dtype="float32"),
     r"_random_randint.*int32, int64"),
], ids=["uniform-low-above-high", "normal-negative-scale", "randint-empty-range",
        "uniform-int-dtype", "randint-float-dtype"])
def test_errors_name_the_op_and_the_param(call, match):
    with pytest.raises(MXNetError, match=match):
        call()
