"""mxlite against the real MXNet 1.9.1 on the autograd and NumPy-shape programs of
tests/golden/autograd/autograd_programs.py (fixture made by make_autograd_golden.py there)."""
import json
import os
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "autograd")
sys.path.insert(0, HERE)
import autograd_programs as programs  # noqa: E402

with open(os.path.join(HERE, "autograd_golden.json")) as _f:
    GOLDEN = json.load(_f)["programs"]

# What mxlite's message must say where MXNet raised (mxlite names the array and op as well).
ERROR_TEXT = {
    "backward_not_recorded": "not in a computational graph",
    "backward_twice_without_retain": "not in a computational graph",
    "grad_of_unreachable_variable": "unreachable from the outputs",
    "grad_without_attach_grad": "does not require gradient",
    "inplace_on_recorded_array": "output 0 of recorded operator _mul_scalar",
    "no_variable_requires_grad": "no inputs in computation graph that require gradients",
    "np_shape_off_rejects_scalar": "Invalid shape ()",
    "np_shape_file_loaded_in_legacy_mode": "saved in np shape semantics, must be loaded",
    "legacy_file_loaded_in_np_shape_mode": "not saved in np shape semantics",
    "np_shape_off_rejects_zero_dim": "Invalid shape (0, 3)",
    "out_into_recorded_array": "operator exp",
    "second_order_through_mul": "_backward_broadcast_mul is non-differentiable",
    "second_order_through_softmax": "_backward_softmax is non-differentiable",
    "setitem_on_variable_in_record": "a variable marked with attach_grad",
}



def _decode(rec):
    if rec["dtype"] == "str":
        return np.array(rec["data"])
    return np.array(rec["data"], dtype=rec["dtype"]).reshape(rec["shape"])


@pytest.fixture(autouse=True)
def _fresh_modes():
    yield
    mx.set_np_shape(False)
    mx.autograd.set_recording(False)
    mx.autograd.set_training(False)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_autograd_golden(name):
    expected = GOLDEN[name]
    prog = getattr(programs, name)
    if "error" in expected:
        with pytest.raises(MXNetError) as info:
            prog(mx)
        assert ERROR_TEXT[name] in str(info.value)
        return
    got = prog(mx)
    assert sorted(got) == sorted(expected["values"])
    for key, rec in expected["values"].items():
        want = _decode(rec)
        have = np.asarray(got[key])
        assert have.shape == want.shape, (key, have.shape, want.shape)
        if want.dtype.kind in "fc":
            np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_array_equal(have, want, err_msg=key)


# On a GPU the same programs run with gpu(0) as the default context; the saved bytes name the
# device, so the save/load program stays on the CPU.
_CPU_ONLY = {"np_shape_save_load"}


@pytest.mark.gpu
@pytest.mark.parametrize("name", [n for n in sorted(GOLDEN) if
                                  n not in _CPU_ONLY and "error" not in GOLDEN[n]])
def test_autograd_golden_on_gpu(name):
    with mx.gpu(0):
        got = getattr(programs, name)(mx)
    for key, rec in GOLDEN[name]["values"].items():
        want = _decode(rec)
        have = np.asarray(got[key])
        if want.dtype.kind in "fc":
            np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_array_equal(have, want, err_msg=key)
