"""Hardening: floating-point ops on integer or bool data, NDArray creation (C order, complex,
None, float dimensions), and the parameter families MXNet accepts with a silently wrong result."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import registry

FLOAT_ONLY = sorted(op.name for op in registry.all_ops() if op.float_inputs)


def test_float_only_is_one_declared_field():
    # the families opt in through OpDef.float_inputs; nothing else decides it
    for name in ("exp", "sigmoid", "Activation", "Convolution", "softmax", "LeakyReLU",
                 "Pooling", "BatchNorm", "FullyConnected", "SoftmaxOutput"):
        assert name in FLOAT_ONLY
    for name in ("relu", "abs", "square", "negative", "round", "sign", "clip"):
        assert name not in FLOAT_ONLY


@pytest.mark.parametrize("dtype", ["int32", "int8", "uint8", "int64", "bool"])
@pytest.mark.parametrize("op", ["sigmoid", "exp", "sqrt", "tanh", "log", "erf"])
def test_float_math_refuses_integer_data_imperative(op, dtype):
    x = mx.nd.array([1, 2, 0], dtype=dtype)
    with pytest.raises(MXNetError, match=f"Error in operator {op}: This operation only support "
                                         f"floating point types, not {dtype} \\(input data"):
        getattr(mx.nd, op)(x)


@pytest.mark.parametrize("op", FLOAT_ONLY)
def test_float_only_ops_refuse_int32_in_symbol_inference(op):
    opdef = registry.get(op)
    in_types = [np.dtype("int32")] + [None] * 8
    with pytest.raises(MXNetError, match=f"Error in operator {opdef.name}: This operation only "
                                         f"support floating point types, not int32"):
        opdef._check_float({}, in_types)


def test_float_only_in_bound_symbol():
    sym = mx.sym.sigmoid(mx.sym.var("x"))
    with pytest.raises(MXNetError, match="not int32"):
        sym.bind(mx.cpu(), {"x": mx.nd.array([2], dtype="int32")})


def test_int8_convolution_is_refused_not_wrapped():
    data = mx.nd.array(np.full((1, 1, 3, 3), 20), dtype="int8")
    weight = mx.nd.array(np.full((1, 1, 1, 1), 20), dtype="int8")
    with pytest.raises(MXNetError, match="Convolution: This operation only support floating"):
        mx.nd.Convolution(data, weight, kernel=(1, 1), num_filter=1, no_bias=True)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_integer_friendly_ops_still_accept_integers(dtype):
    x = mx.nd.array([1, 0, 1], dtype=dtype)
    assert mx.nd.relu(x).dtype == np.dtype(dtype)
    assert mx.nd.abs(x).dtype == np.dtype(dtype)


# ----- creation ---------------------------------------------------------------------------------
def test_fortran_ordered_source_gives_a_c_contiguous_ndarray():
    a = mx.nd.array(np.ones((2, 3)).T)
    v = a.reshape((6,))
    v[:] = 0
    assert a.asnumpy().sum() == 0
    assert a._data.flags.c_contiguous


def test_executor_reshape_shares_memory_of_fortran_source():
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    args = {"data": mx.nd.array(np.ones((3, 4)).T), "fc_weight": mx.nd.array(np.ones((3, 2)).T),
            "fc_bias": mx.nd.zeros((2,))}
    ex = sym.bind(mx.cpu(), args)
    small = ex.reshape(data=(2, 3))
    small.arg_dict["data"][:] = 7
    assert (ex.arg_dict["data"].asnumpy()[:2] == 7).all()


def test_reshape_of_non_contiguous_bound_array_is_refused():
    from mxlite.memory import resize_array
    old = np.ones((4, 3), np.float32).T
    with pytest.raises(MXNetError, match="not C-contiguous"):
        resize_array(old, (2,), "data", False, None)


def test_object_array_with_none_is_refused():
    with pytest.raises(MXNetError, match="holds NoneType None"):
        mx.nd.array(np.array([1, None], dtype=object))


def test_complex_source_is_refused():
    with pytest.raises(MXNetError, match="complex dtype complex128"):
        mx.nd.array(np.array([1 + 2j]))
    with pytest.raises(MXNetError, match="complex"):
        mx.nd.array([1, 2j])


def test_float_dimension_in_creation_is_a_type_error():
    with pytest.raises(TypeError, match=r"Invalid shape \(2.5, 3\)"):
        mx.nd.zeros((2.5, 3))


@pytest.mark.parametrize("op", ["Convolution", "FullyConnected", "Deconvolution"])
def test_backward_reads_arguments_changed_in_place_after_forward(op):
    data = mx.sym.var("data")
    if op == "FullyConnected":
        sym, shape = mx.sym.FullyConnected(data, num_hidden=3, name="l"), (2, 4)
    else:
        sym = getattr(mx.sym, op)(data, num_filter=3, kernel=(3, 3), name="l")
        shape = (2, 2, 5, 5)
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=shape), rng.normal(size=shape)

    def grads(forward_data, backward_data):
        ex = sym.simple_bind(mx.cpu(), data=shape)
        ex.arg_dict["l_weight"][:] = 0.5
        ex.forward(is_train=True, data=mx.nd.array(forward_data))
        ex.arg_dict["data"][:] = backward_data
        ex.backward(mx.nd.ones(ex.outputs[0].shape))
        return ex.grad_dict["l_weight"].asnumpy()
    np.testing.assert_allclose(grads(first, second), grads(second, second), rtol=1e-5)
