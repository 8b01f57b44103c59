"""The Python-level functions of MXNet 1.9's ndarray.py / symbol.py (mxlite/ndarray/wrappers.py and
the creation functions of mxlite/symbol/__init__.py), and what the op database cannot express for
the index, shape, join, init, pool ('same'), broadcast_like and slice_like ops: dispatch by operand
type, zero gradients without head gradients, hidden outputs, default dtypes, names and JSON op
names.
"""
import json
import operator

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

A = np.array([[1.0, -2.0, 3.0], [0.0, 5.0, -6.0]], dtype=np.float32)
B = np.array([[2.0], [0.0]], dtype=np.float32)

# name -> (NumPy function on arrays, Python function on two numbers)
BINARY = {
    "add": (np.add, operator.add), "subtract": (np.subtract, operator.sub),
    "multiply": (np.multiply, operator.mul), "divide": (np.divide, operator.truediv),
    "true_divide": (np.divide, operator.truediv), "modulo": (np.mod, operator.mod),
    "power": (np.power, operator.pow), "maximum": (np.maximum, max),
    "minimum": (np.minimum, min), "equal": (np.equal, operator.eq),
    "not_equal": (np.not_equal, operator.ne), "greater": (np.greater, operator.gt),
    "greater_equal": (np.greater_equal, operator.ge), "lesser": (np.less, operator.lt),
    "lesser_equal": (np.less_equal, operator.le), "logical_and": (np.logical_and, None),
    "logical_or": (np.logical_or, None), "logical_xor": (np.logical_xor, None),
    "hypot": (np.hypot, np.hypot),
}
POSITIVE = {"modulo", "power", "divide", "true_divide"}


def _operands(name):
    if name in POSITIVE:
        return np.abs(A) + 1, np.abs(B) + 1
    return A, B


def _expect(fn, a, b):
    with np.errstate(all="ignore"):
        return np.asarray(fn(np.float64(a) if np.isscalar(a) else a.astype(np.float64),
                             np.float64(b) if np.isscalar(b) else b.astype(np.float64)),
                          dtype=np.float64)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_two_arrays_broadcast(name):
    a, b = _operands(name)
    out = getattr(mx.nd, name)(mx.nd.array(a), mx.nd.array(b))
    assert out.shape == (2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), _expect(BINARY[name][0], a, b), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_array_and_scalar_both_orders(name):
    a, _ = _operands(name)
    fn = getattr(mx.nd, name)
    s = 2.0
    right = fn(mx.nd.array(a), s)
    left = fn(s, mx.nd.array(a))
    np.testing.assert_allclose(right.asnumpy(), _expect(BINARY[name][0], a, s), rtol=1e-5)
    np.testing.assert_allclose(left.asnumpy(), _expect(BINARY[name][0], s, a), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_two_numbers_give_python_numbers(name):
    fn = getattr(mx.nd, name)
    python_fn = BINARY[name][1]
    result = fn(3, 2)
    assert not isinstance(result, mx.nd.NDArray)
    if name.startswith("logical"):
        expected = {"logical_and": 1, "logical_or": 1, "logical_xor": 0}[name]
    elif name in ("equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal"):
        expected = int(python_fn(3, 2))
    else:
        expected = python_fn(3, 2)
    assert result == expected


def test_binary_scalar_ops_used():
    x = mx.sym.Variable("x")
    # the imperative wrappers pick the mirrored scalar op for a number on the left
    assert mx.nd.greater(1.0, mx.nd.array([0.0, 2.0])).asnumpy().tolist() == [1.0, 0.0]
    assert mx.nd.subtract(1.0, mx.nd.array([3.0])).asnumpy().tolist() == [-2.0]
    assert mx.nd.modulo(7.0, mx.nd.array([4.0])).asnumpy().tolist() == [3.0]
    assert mx.sym.hypot(x, 4).tojson().count('"_hypot_scalar"') == 1


def test_binary_refuses_other_types():
    with pytest.raises(TypeError):
        mx.nd.add(mx.nd.array([1.0]), [1.0])
    with pytest.raises(TypeError):
        mx.nd.add("a", mx.nd.array([1.0]))


def test_moveaxis():
    x = mx.nd.array(np.arange(24).reshape(2, 3, 4))
    for src, dst in ((0, -1), (-1, 0), ([0, 1], [-1, -2]), ((2, 0), (0, 1))):
        np.testing.assert_array_equal(mx.nd.moveaxis(x, src, dst).asnumpy(),
                                      np.moveaxis(x.asnumpy(), src, dst))
    with pytest.raises(ValueError):
        mx.nd.moveaxis(x, 3, 0)
    with pytest.raises(ValueError):
        mx.nd.moveaxis(x, [0, 1], [0])


def test_onehot_encode_writes_out():
    out = mx.nd.full((3, 4), 9.0)
    res = mx.nd.onehot_encode(mx.nd.array([1, 0, 3]), out)
    assert res is out
    np.testing.assert_array_equal(out.asnumpy(), np.eye(4)[[1, 0, 3]])
    with pytest.raises(MXNetError):
        mx.nd.onehot_encode(mx.nd.array([4]), mx.nd.zeros((1, 4)))


def test_from_numpy_shares_memory_and_freezes_the_source():
    src = np.arange(6, dtype=np.float64).reshape(2, 3)
    x = mx.nd.from_numpy(src)
    assert x.context == mx.cpu(0) and x.dtype == np.float64 and x.shape == (2, 3)
    assert not src.flags.writeable
    x[:] = 1
    np.testing.assert_array_equal(src, np.ones((2, 3)))
    copied_src = np.zeros(3, dtype=np.int32)
    copied = mx.nd.from_numpy(copied_src, zero_copy=False)
    copied[:] = 5
    assert copied_src.tolist() == [0, 0, 0] and copied_src.flags.writeable
    assert copied.dtype == np.int32
    with pytest.raises(ValueError, match="c-contiguous"):
        mx.nd.from_numpy(np.zeros((3, 4))[:, ::2])


def test_split_v2_ndarray_and_symbol():
    data = np.arange(14, dtype=np.float32).reshape(2, 7)
    parts = mx.nd.split_v2(mx.nd.array(data), (2, 3), axis=1)
    for got, want in zip(parts, np.split(data, [2, 3], axis=1)):
        np.testing.assert_array_equal(got.asnumpy(), want)
    with pytest.raises(ValueError, match="equal division"):
        mx.nd.split_v2(mx.nd.array(data), 3, axis=1)
    with pytest.raises(ValueError):
        mx.nd.split_v2(mx.nd.array(data), [2], axis=1)
    x = mx.sym.Variable("x")
    # the symbol wrapper sends sections: uneven sections put the longer parts first
    sym = mx.sym.split_v2(x, 3, axis=1)
    assert len(sym.list_outputs()) == 3
    assert sym.infer_shape(x=(2, 7))[1] == [(2, 3), (2, 2), (2, 2)]
    node = json.loads(sym.tojson())["nodes"][-1]
    assert node["op"] == "_split_v2" and node["attrs"]["sections"] == "3"


def test_split_v2_unused_outputs_get_zero_gradient():
    x = mx.sym.Variable("x")
    out = mx.sym.split_v2(x, (1, 3), axis=0)[1] * 3
    data = np.arange(8, dtype=np.float64).reshape(4, 2)
    grad = mx.nd.zeros((4, 2), dtype="float64")
    ex = out.bind(mx.cpu(), {"x": mx.nd.array(data, dtype="float64")}, args_grad={"x": grad})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 2), dtype="float64"))
    np.testing.assert_array_equal(grad.asnumpy(), [[0, 0], [3, 3], [3, 3], [0, 0]])


# ----- creation functions of mx.sym ---------------------------------------------------------------
@pytest.mark.parametrize("make,expected,op", [
    (lambda: mx.sym.zeros((2, 3)), np.zeros((2, 3), np.float32), "_zeros"),
    (lambda: mx.sym.ones((4,), dtype="int32"), np.ones(4, np.int32), "_ones"),
    (lambda: mx.sym.full((2,), 7), np.full(2, 7, np.float32), "_full"),
    (lambda: mx.sym.arange(3), np.arange(3, dtype=np.float32), "_arange"),
    (lambda: mx.sym.arange(1, 7, 2, repeat=2, dtype="int64"),
     np.array([1, 1, 3, 3, 5, 5], np.int64), "_arange"),
    (lambda: mx.sym.eye(2, 3, 1), np.eye(2, 3, 1, dtype=np.float32), "_eye"),
])
def test_sym_creation_functions(make, expected, op):
    sym = make()
    node = json.loads(sym.tojson())["nodes"][-1]
    assert node["op"] == op and sym.name.startswith(op)
    out = sym.bind(mx.cpu(), {}).forward()[0]
    assert out.dtype == expected.dtype.type
    np.testing.assert_array_equal(out.asnumpy(), expected)


def test_sym_creation_in_a_graph_and_name():
    x = mx.sym.Variable("x")
    y = x + mx.sym.ones((2, 2), name="o")
    assert y.list_arguments() == ["x"]
    assert y.infer_shape(x=(2, 2))[1] == [(2, 2)]
    assert mx.sym.zeros((1,), name="z").name == "z"


def test_sym_power_and_hypot():
    x = mx.sym.Variable("x")
    y = mx.sym.Variable("y")
    assert mx.sym.power(2, 3) == 8 and mx.sym.hypot(3, 4) == 5.0
    args = {"x": mx.nd.array([3.0, 4.0]), "y": mx.nd.array([2.0, 3.0])}
    for sym, want in ((mx.sym.power(x, y), [9.0, 64.0]), (mx.sym.power(3, y), [9.0, 27.0]),
                      (mx.sym.hypot(x, y), np.hypot([3, 4], [2, 3])),
                      (mx.sym.hypot(4, x), [5.0, np.hypot(4, 4)])):
        bound = {k: v for k, v in args.items() if k in sym.list_arguments()}
        out = sym.bind(mx.cpu(), bound).forward()[0].asnumpy()
        np.testing.assert_allclose(out, want, rtol=1e-6)


def test_init_ctx_param_and_default_dtype():
    out = mx.nd._zeros(shape=(2,), ctx=mx.cpu())
    assert out.dtype == np.float32 and out.context == mx.cpu()
    assert mx.nd._arange(start=4).asnumpy().tolist() == [0, 1, 2, 3]


# ----- index / shape / join semantics -------------------------------------------------------------
@pytest.mark.parametrize("op,kwargs", [("shape_array", {}), ("size_array", {}),
                                       ("argsort", {}), ("argsort", {"dtype": "int32"})])
def test_zero_gradient_without_head_gradient(op, kwargs):
    a = mx.sym.Variable("a")
    grad = mx.nd.full((3, 4), 7.0)
    ex = getattr(mx.sym, op)(a, **kwargs).bind(
        mx.cpu(), {"a": mx.nd.array(np.random.rand(3, 4))}, args_grad={"a": grad})
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_array_equal(grad.asnumpy(), np.zeros((3, 4)))


def test_shape_and_size_array_are_int64():
    x = mx.sym.Variable("x")
    for op in (mx.sym.shape_array, mx.sym.size_array):
        assert op(x).infer_type(x="float16")[1] == [np.int64]
    assert mx.sym.shape_array(x).infer_shape(x=(2, 3, 4))[1] == [(3,)]


def test_sort_has_a_hidden_index_output():
    x = mx.sym.Variable("x")
    sym = mx.sym.sort(x, name="s")
    assert sym.list_outputs() == ["s_output"]
    assert json.loads(sym.tojson())["node_row_ptr"] == [0, 1, 3]
    assert mx.sym.argsort(x, dtype="int64").infer_type(x="float32")[1] == [np.int64]


def test_sort_docstring_examples():
    x = mx.nd.array([[1, 4], [3, 1]])
    assert mx.nd.sort(x).asnumpy().tolist() == [[1, 4], [1, 3]]
    assert mx.nd.sort(x, axis=None).asnumpy().tolist() == [1, 1, 3, 4]
    assert mx.nd.sort(x, axis=0).asnumpy().tolist() == [[1, 1], [3, 4]]
    assert mx.nd.sort(x, is_ascend=0).asnumpy().tolist() == [[4, 1], [3, 1]]
    y = mx.nd.array([[0.3, 0.2, 0.4], [0.1, 0.3, 0.2]])
    assert mx.nd.argsort(y).asnumpy().tolist() == [[1, 0, 2], [0, 2, 1]]
    assert mx.nd.argsort(y, axis=None).asnumpy().tolist() == [3, 1, 5, 0, 4, 2]


def test_batch_take_has_no_gradient_and_clips():
    a = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    idx = mx.nd.array([0, 1, 7], dtype="int32")
    assert mx.nd.batch_take(a, idx).asnumpy().tolist() == [1, 4, 6]
    sym = mx.sym.batch_take(mx.sym.Variable("a"), mx.sym.Variable("i"))
    ex = sym.bind(mx.cpu(), {"a": a, "i": idx}, args_grad={"a": mx.nd.zeros((3, 2))},
                  grad_req={"a": "write", "i": "null"})
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="no gradient"):
        ex.backward(mx.nd.ones((3,)))


def test_gather_nd_docstring_and_out_of_bounds():
    data = mx.nd.array([[0, 1], [2, 3]])
    assert mx.nd.gather_nd(data, mx.nd.array([[1, 1, 0], [0, 1, 0]])).asnumpy().tolist() == \
        [2, 3, 0]
    assert mx.nd.gather_nd(data, mx.nd.array([[1, 0]])).asnumpy().tolist() == [[2, 3], [0, 1]]
    assert mx.nd.gather_nd(data, mx.nd.array([[-1], [-2]])).asnumpy().tolist() == [2]
    with pytest.raises(MXNetError, match="out of bounds"):
        mx.nd.gather_nd(data, mx.nd.array([[2], [0]]))


def test_gather_nd_repeated_indices_accumulate_gradient():
    d = mx.sym.Variable("d")
    i = mx.sym.Variable("i")
    grad = mx.nd.zeros((2, 2))
    ex = mx.sym.gather_nd(d, i).bind(
        mx.cpu(), {"d": mx.nd.ones((2, 2)), "i": mx.nd.array([[1, 1, -1]])},
        args_grad={"d": grad}, grad_req={"d": "write", "i": "null"})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((3, 2)))
    assert grad.asnumpy().tolist() == [[0, 0], [3, 3]]


def test_scatter_nd_docstring():
    out = mx.nd.scatter_nd(mx.nd.array([2, 3, 0]), mx.nd.array([[1, 1, 0], [0, 1, 0]]),
                           shape=(2, 2))
    assert out.asnumpy().tolist() == [[0, 0], [2, 3]]


def test_depth_to_space_docstring_and_inverse():
    x = mx.nd.array(np.arange(24).reshape(1, 4, 2, 3))
    y = mx.nd.depth_to_space(x, 2)
    assert y.asnumpy()[0, 0].tolist() == [[0, 6, 1, 7, 2, 8], [12, 18, 13, 19, 14, 20],
                                          [3, 9, 4, 10, 5, 11], [15, 21, 16, 22, 17, 23]]
    np.testing.assert_array_equal(mx.nd.space_to_depth(y, 2).asnumpy(), x.asnumpy())


# ----- Pooling, broadcast_like, slice_like --------------------------------------------------------
def test_pooling_same_1d_and_extra_pad_entries():
    x = mx.nd.array(np.arange(10, dtype=np.float32).reshape(1, 1, 10))
    out = mx.nd.Pooling(x, kernel=2, stride=2, pad=(0, 0, 0), pooling_convention="same")
    assert out.asnumpy().tolist() == [[[1, 3, 5, 7, 9]]]
    odd = mx.nd.Pooling(x[:, :, :9], kernel=2, stride=2, pad=(0, 0, 0),
                        pooling_convention="same", pool_type="avg")
    assert odd.asnumpy().tolist() == [[[0.5, 2.5, 4.5, 6.5, 8.0]]]
    # pooling.cc reads pad[0..2] for 'same': a 1-entry pad fails its bounds check
    with pytest.raises(MXNetError):
        mx.nd.Pooling(x, kernel=2, stride=2, pooling_convention="same")
    with pytest.raises(MXNetError, match="same number of dimensions"):
        mx.nd.Pooling(mx.nd.zeros((1, 1, 4, 4)), kernel=(2, 2), pad=(1,))
    wide = mx.nd.Pooling(x, kernel=(3,), stride=(3, 1), pad=(1, 4))
    assert wide.shape == (1, 1, 4)


def test_like_ops_second_input_dtype_is_free():
    lhs, rhs = mx.sym.Variable("lhs"), mx.sym.Variable("rhs")
    for op in (mx.sym.broadcast_like, mx.sym.slice_like):
        args, outs, _ = op(lhs, rhs).infer_type(lhs="float16", rhs="int64")
        assert args == [np.float16, np.int64] and outs == [np.float16]
    out = mx.nd.broadcast_like(mx.nd.array([[1.0], [2.0]]), mx.nd.zeros((2, 3), dtype="uint8"))
    assert out.dtype == np.float32 and out.shape == (2, 3)
    with pytest.raises(MXNetError, match="Empty axes tuple is not allowed"):
        mx.nd.broadcast_like(mx.nd.ones((1, 3)), mx.nd.ones((2, 3)), lhs_axes=(), rhs_axes=())
    # only one axis list given: MXNet broadcasts to the whole of rhs
    out = mx.nd.broadcast_like(mx.nd.ones((1, 3)), mx.nd.ones((2, 3)), lhs_axes=(0,))
    assert out.shape == (2, 3)
