"""Zero-size inputs where an op has no answer: MXNet 1.9.1 raises, and so does mxlite (NumPy would
raise a ValueError, or give an empty result that hides the mistake)."""
import pytest

import mxlite as mx
from mxlite.base import MXNetError


# Zero-size arrays exist in NumPy-shape mode (legacy mode refuses them at creation).

@pytest.mark.parametrize("op", ["min", "max"])
def test_extremum_of_an_empty_axis_raises(op):
    with mx.np_shape():
        a = mx.nd.zeros((5, 0))
        with pytest.raises(MXNetError, match=rf"{op}.*zero-size axis.*\(5, 0\)"):
            getattr(a, op)()
        with pytest.raises(MXNetError, match=op):
            getattr(mx.nd, op)(a, axis=1)
        assert getattr(mx.nd, op)(a, axis=0).shape == (0,)  # nothing empty is reduced


@pytest.mark.parametrize("op", ["depth_to_space", "space_to_depth"])
def test_block_ops_refuse_a_zero_size_dimension(op):
    with mx.np_shape():
        data = mx.nd.zeros((1, 4, 0, 4))
        with pytest.raises(MXNetError, match=rf"{op}: data of shape \(1,4,0,4\) has a zero"):
            getattr(mx.nd, op)(data, 2)
