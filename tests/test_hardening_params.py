"""Hardening: the attribute parser (bounded, no eval), strict parameter types as MXNet's dmlc
parser has them, suggestions for misspelled parameters, selu/gelu values and the unseeded RNG."""
import math
import time

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import params as P


@pytest.mark.parametrize("text", ["-" * 100000 + "1", "1+" * 100000 + "1", "(1," * 10**6,
                                  "(" * 50 + "1" + ")" * 50, "[" * 10000])
def test_hostile_attribute_text_is_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(ValueError):
        P.parse_literal(text)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("text, value", [("(3, 3)", (3, 3)), ("[2,3]", [2, 3]), ("(3,)", (3,)),
                                         ("()", ()), ("6", 6), ("(None, 1)", (None, 1)),
                                         ("1.5", 1.5), ("True", True), ("None", None),
                                         ("(1,2,)", (1, 2))])
def test_parse_literal_values(text, value):
    assert P.parse_literal(text) == value


def test_parse_literal_is_iterative_and_linear():
    text = "(" + ",".join(["1"] * 20000) + ")"
    start = time.perf_counter()
    assert len(P.parse_literal(text)) == 20000
    assert time.perf_counter() - start < 0.5


def test_no_literal_eval_left():
    import inspect
    assert "literal_eval" not in inspect.getsource(P)


@pytest.mark.parametrize("value", [True, False, 4.0, "4.0", "0x4", "4L", 2**40, "1e3"])
def test_int_param_refuses_what_mxnet_refuses(value):
    x, w, b = mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones((4,))
    with pytest.raises(MXNetError, match="Invalid Parameter format for num_hidden expect int"):
        mx.nd.FullyConnected(x, w, b, num_hidden=value)


@pytest.mark.parametrize("value", [4, " 4 ", "+4", np.int64(4)])
def test_int_param_accepts_what_mxnet_accepts(value):
    x, w, b = mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones((4,))
    assert mx.nd.FullyConnected(x, w, b, num_hidden=value).shape == (2, 4)


@pytest.mark.parametrize("shape", ["(3.0,2)", "((3,2))", "(True,6)", (3.0, 2)])
def test_shape_param_refuses_floats_bools_and_nesting(shape):
    with pytest.raises(MXNetError, match="expect Shape"):
        mx.nd.Reshape(mx.nd.ones((2, 3)), shape=shape)


def test_bool_param_refuses_other_ints():
    with pytest.raises(MXNetError, match="expect boolean"):
        mx.nd.sum(mx.nd.ones((2, 3)), keepdims=5)


def test_long_attribute_is_clipped_in_the_message():
    with pytest.raises(MXNetError) as err:
        mx.nd.Reshape(mx.nd.ones((2, 3)), shape="(" + "1," * 50000 + ")")
    assert len(str(err.value)) < 1000


def test_misspelled_parameter_suggests_the_closest():
    with pytest.raises(MXNetError, match="did you mean 'num_hidden'"):
        mx.sym.FullyConnected(mx.sym.var("d"), num_hiden=3)


def test_selu_gradient_is_the_true_derivative():
    x = np.array([-2.0, -0.5, 0.7])
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    sym = mx.sym.LeakyReLU(mx.sym.var("x"), act_type="selu")
    ex = sym.simple_bind(mx.cpu(), x=(3,), type_dict={"x": "float64"})
    ex.forward(is_train=True, x=mx.nd.array(x, dtype="float64"))
    ex.backward(mx.nd.ones((3,), dtype="float64"))
    want = np.where(x > 0, lam, lam * alpha * np.exp(x))
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), want, rtol=1e-6)


def test_gelu_float64_is_computed_in_float64():
    x = 0.1234567890123
    want = 0.5 * x * (1 + math.erf(x / math.sqrt(2)))
    got = mx.nd.LeakyReLU(mx.nd.array([x], dtype="float64"), act_type="gelu").asnumpy()[0]
    assert abs(got - want) < 1e-15


def test_unseeded_rng_leaves_numpy_global_stream_alone():
    import mxlite.random as mr
    saved = dict(mr._generators), dict(mr._seed_state)
    try:
        mr._generators.clear()
        mr._seed_state["seed"] = None
        np.random.seed(123)
        expected = np.random.rand(3)
        np.random.seed(123)
        mx.nd.random.uniform(shape=(2,))
        np.testing.assert_array_equal(np.random.rand(3), expected)
    finally:
        mr._generators.clear()
        mr._generators.update(saved[0])
        mr._seed_state.update(saved[1])


def test_parameter_error_names_the_node():
    with pytest.raises(MXNetError, match=r"num_hidden='4.0' of operator FullyConnected.*"
                                         r"\(node 'fc1'\)"):
        mx.sym.FullyConnected(mx.sym.var("d"), num_hidden=4.0, name="fc1")
