"""``mx.nd.histogram`` and ``mx.sym.histogram``, MXNet's Python wrappers of ``_histogram`` (the op
itself is in the op database): the three ways to give bins, and the symbol's refusal of a missing
range."""
import numpy as np
import pytest

import mxlite as mx

X = [0.1, 0.5, 0.5, 0.9, 1.0, 2.0, -1.0]


def test_nd_histogram_bins_and_range():
    counts, edges = mx.nd.histogram(mx.nd.array(X), bins=4, range=(0, 1))
    assert counts.dtype == np.int64 and edges.dtype == np.float32
    np.testing.assert_array_equal(counts.asnumpy(), [1, 0, 2, 2])
    np.testing.assert_allclose(edges.asnumpy(), [0, 0.25, 0.5, 0.75, 1])


def test_nd_histogram_edges():
    counts, edges = mx.nd.histogram(mx.nd.array(X), bins=mx.nd.array([0, 0.5, 1, 3]))
    np.testing.assert_array_equal(counts.asnumpy(), [1, 3, 2])
    np.testing.assert_allclose(edges.asnumpy(), [0, 0.5, 1, 3])


def test_nd_histogram_without_range_is_numpys():
    counts, edges = mx.nd.histogram(mx.nd.array(X), bins=3)
    want_counts, want_edges = np.histogram(np.array(X, np.float32), bins=3)
    assert counts.dtype == np.float32 and edges.dtype == np.float32   # as MXNet's array()
    np.testing.assert_array_equal(counts.asnumpy(), want_counts)
    np.testing.assert_allclose(edges.asnumpy(), want_edges)


def test_sym_histogram():
    sym = mx.sym.histogram(mx.sym.var("a"), bins=3, range=(0, 1))
    assert sym.infer_shape(a=(7,))[1] == [(3,), (4,)]
    with pytest.raises(ValueError, match="null range"):
        mx.sym.histogram(mx.sym.var("a"), bins=3)
    with pytest.raises(ValueError, match="bins argument"):
        mx.nd.histogram(mx.nd.array(X), bins=2.5)
