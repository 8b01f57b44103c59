"""Semantics of the shape / reduction / extra element-wise ops that the op database cannot express:
unused outputs, auto-created input names, name hints and canonical JSON names of aliases,
head-gradient rules, tie rules, dtype inference, variadic error cases, and MXNet's documented
examples (MXNET_SEMANTICS.md §0 #10 #12, §7.2, §7.3; golden values recorded with MXNet 1.9.1).
"""
import json
import warnings

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def _bind(sym, args, grads=None, grad_req="write"):
    arrays = {k: mx.nd.array(v, dtype=np.asarray(v).dtype) for k, v in args.items()}
    grad_arrays = None
    if grads:
        grad_arrays = {k: mx.nd.zeros(np.shape(args[k]), dtype=np.asarray(args[k]).dtype)
                       for k in grads}
    return sym.bind(mx.cpu(), args=arrays, args_grad=grad_arrays, grad_req=grad_req)


# ----- SliceChannel -------------------------------------------------------------------------------
def test_slicechannel_unused_outputs_get_zero_gradient():
    data = mx.sym.Variable("data")
    parts = mx.sym.SliceChannel(data, num_outputs=3, name="sc")
    assert parts.list_outputs() == ["sc_output0", "sc_output1", "sc_output2"]
    out = parts[1] * 2
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    ex = _bind(out, {"data": x}, grads=["data"])
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 1, 2)))
    grad = ex.grad_dict["data"].asnumpy()
    expected = np.zeros_like(x)
    expected[:, 1, :] = 2
    np.testing.assert_array_equal(grad, expected)


def test_slicechannel_group_of_two_outputs():
    data = mx.sym.Variable("data")
    parts = mx.sym.split(data, num_outputs=3, axis=1, name="sc")
    ex = _bind(mx.sym.Group([parts[0], parts[2]]), {"data": np.ones((2, 3))}, grads=["data"])
    ex.forward(is_train=True)
    ex.backward([mx.nd.full((2, 1), 3.0), mx.nd.full((2, 1), 5.0)])
    np.testing.assert_array_equal(ex.grad_dict["data"].asnumpy(), [[3, 0, 5], [3, 0, 5]])


def test_split_default_axis_is_one_and_nd_returns_list():
    outs = mx.nd.split(mx.nd.zeros((2, 6)), num_outputs=3)
    assert isinstance(outs, list) and [o.shape for o in outs] == [(2, 2)] * 3
    single = mx.nd.split(mx.nd.zeros((2, 6)), num_outputs=1)
    assert isinstance(single, mx.nd.NDArray) and single.shape == (2, 6)


def test_slicechannel_squeeze_1d_keeps_legacy_shape():
    outs = mx.nd.SliceChannel(mx.nd.array([1, 2]), num_outputs=2, axis=0, squeeze_axis=True)
    assert [o.shape for o in outs] == [(1,), (1,)]


# ----- squeeze / legacy shapes --------------------------------------------------------------------
def test_squeeze_to_nothing_is_1d():
    assert mx.nd.squeeze(mx.nd.ones((1, 1))).shape == (1,)
    _, out, _ = mx.sym.squeeze(mx.sym.Variable("x")).infer_shape(x=(1, 1, 1))
    assert out == [(1,)]


def test_full_reductions_are_1d():
    x = mx.nd.array([[1, 2], [3, 4]])
    for out in (mx.nd.norm(x), mx.nd.argmax(x), mx.nd.argmin(x), mx.nd.topk(x, k=1, axis="None")):
        assert out.shape == (1,)
    assert mx.nd.argmax(x, keepdims=True).shape == (1, 1)


# ----- tie rules ----------------------------------------------------------------------------------
def test_max_reduce_ties_vs_maximum_ties():
    x = np.array([[1, 3, 3], [2, 2, 0]], dtype=np.float32)
    a = mx.sym.Variable("a")
    ex = _bind(mx.sym.max(a, axis=1), {"a": x}, grads=["a"])
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,)))
    # a max reduction gives the gradient to every tied element ...
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), [[0, 1, 1], [1, 1, 0]])
    b = mx.sym.Variable("b")
    ex = _bind(mx.sym.maximum(a, b), {"a": np.ones(3, np.float32), "b": np.ones(3, np.float32)},
               grads=["a", "b"])
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((3,)))
    # ... while maximum(a, b) sends a tie to its lhs only
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(ex.grad_dict["b"].asnumpy(), [0, 0, 0])


def test_min_reduce_ties_all_get_gradient():
    a = mx.sym.Variable("a")
    ex = _bind(mx.sym.min(a), {"a": np.array([2, 1, 1, 5], np.float32)}, grads=["a"])
    ex.forward(is_train=True)
    ex.backward(mx.nd.array([2.0]))
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), [0, 2, 2, 0])


def test_argmax_ties_first_occurrence_float16():
    x = mx.nd.array([[1, 3, 3, 0], [2, 0, 2, 0]], dtype="float16")
    out = mx.nd.argmax(x, axis=1)
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out.asnumpy(), [1, 0])
    np.testing.assert_array_equal(mx.nd.argmin(x, axis=1).asnumpy(), [3, 1])


def test_clip_gradient_passes_at_exact_bounds():
    a = mx.sym.Variable("a")
    x = np.array([-1, -0.5, -0.2, 0, 0.2, 0.5, 0.7, 1], np.float32)
    ex = _bind(mx.sym.clip(a, a_min=-0.5, a_max=0.5), {"a": x}, grads=["a"])
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_array_equal(out, np.clip(x, -0.5, 0.5))
    ex.backward(mx.nd.ones((8,)))
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), [0, 1, 1, 1, 1, 1, 0, 0])


def test_clip_min_greater_than_max_is_refused():
    # MXNet 1.9.1 clips everything to a_max (a deliberate difference, README)
    x = mx.nd.array([-1, 0, 1])
    with pytest.raises(mx.base.MXNetError, match="a_min=0.5 is greater than a_max=-0.5"):
        mx.nd.clip(x, a_min=0.5, a_max=-0.5)


def test_clip_integer_data_truncates_bounds():
    out = mx.nd.clip(mx.nd.array([-3, -1, 0, 2, 5], dtype="int32"), a_min=-1.5, a_max=2.7)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.asnumpy(), [-1, -1, 0, 2, 2])


# ----- slice --------------------------------------------------------------------------------------
def test_slice_example_negative_steps():
    x = mx.nd.arange(12).reshape((3, 4))
    out = mx.nd.slice(x, begin=(2, None), end=(None, 0), step=(-1, -2))
    np.testing.assert_array_equal(out.asnumpy(), [[11, 9], [7, 5], [3, 1]])
    sym = mx.sym.slice(mx.sym.Variable("x"), begin=(2, None), end=(None, 0), step=(-1, -2))
    assert sym.infer_shape(x=(3, 4))[1] == [(3, 2)]


def test_slice_gradient_scatters_into_zeros():
    a = mx.sym.Variable("a")
    ex = _bind(mx.sym.crop(a, begin=(0, 1), end=(2, 3)), {"a": np.ones((3, 4))}, grads=["a"])
    ex.forward(is_train=True)
    ex.backward(mx.nd.full((2, 2), 2.0, dtype="float64"))
    expected = np.zeros((3, 4))
    expected[0:2, 1:3] = 2
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), expected)


def test_slice_axis_negative_everything():
    x = mx.nd.arange(12).reshape((3, 4))
    out = mx.nd.slice_axis(x, axis=-1, begin=-3, end=-1)
    np.testing.assert_array_equal(out.asnumpy(), x.asnumpy()[:, -3:-1])


# ----- auto names, hints, JSON --------------------------------------------------------------------
def test_variadic_input_names_and_num_args():
    cc = mx.sym.Concat(mx.sym.Variable("a"), mx.sym.Variable("b"), name="cc")
    assert cc.list_arguments() == ["a", "b"]
    node = json.loads(cc.tojson())["nodes"][-1]
    assert node["op"] == "Concat" and node["attrs"]["num_args"] == "2"


def test_variadic_auto_created_inputs():
    cc = mx.sym.Concat(num_args=3, dim=1, name="cc")
    assert cc.list_arguments() == ["cc_arg0", "cc_arg1", "cc_arg2"]
    assert cc.infer_shape(cc_arg0=(2, 1), cc_arg1=(2, 2), cc_arg2=(2, 3))[1] == [(2, 6)]
    s = mx.sym.add_n(num_args=2, name="s")
    assert s.infer_shape(s_arg0=(3,))[0] == [(3,), (3,)]


def test_add_n_fills_unknown_input_shape():
    s = mx.sym.add_n(mx.sym.Variable("s_arg0"), mx.sym.Variable("s_arg1"), name="s")
    args, outs, _ = s.infer_shape(s_arg0=(3,))
    assert args == [(3,), (3,)] and outs == [(3,)]


def test_stack_infers_its_output_but_not_unknown_inputs():
    s = mx.sym.stack(mx.sym.Variable("a"), mx.sym.Variable("b"), axis=1)
    args, outs, _ = s.infer_shape_partial(a=(2, 3))
    assert args == [(2, 3), ()] and outs == [(2, 2, 3)]


def test_name_hints_of_aliases():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    with mx.name.NameManager():
        assert mx.sym.ElementWiseSum(a, b).name == "elementwisesum0"
        assert mx.sym.add_n(a, b).name == "add_n0"
        assert mx.sym.identity(a).name == "identity0"
        assert mx.sym.SliceChannel(a, num_outputs=2).name == "slicechannel0"
        assert mx.sym.split(a, num_outputs=2).name == "split0"


@pytest.mark.parametrize("alias,canonical,kwargs", [
    ("ElementWiseSum", "add_n", {}), ("identity", "_copy", {}), ("split", "SliceChannel",
                                                                  {"num_outputs": 2}),
    ("cast", "Cast", {"dtype": "float16"}), ("concat", "Concat", {}),
    ("crop", "slice", {"begin": (0,), "end": (1,)}), ("swapaxes", "SwapAxis", {}),
    ("pad", "Pad", {"mode": "edge", "pad_width": (0,) * 8}), ("flip", "reverse", {"axis": 0}),
    ("broadcast_axes", "broadcast_axis", {}), ("choose_element_0index", "pick", {})])
def test_alias_json_uses_canonical_op(alias, canonical, kwargs):
    sym = getattr(mx.sym, alias)(mx.sym.Variable("a"), **kwargs)
    doc = json.loads(sym.tojson())
    assert doc["nodes"][-1]["op"] == canonical
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()


def test_topk_outputs_visible_and_hidden():
    x = mx.sym.Variable("x")
    assert mx.sym.topk(x, ret_typ="value", name="t").list_outputs() == ["t_output"]
    assert mx.sym.topk(x, ret_typ="both", name="t").list_outputs() == ["t_output0", "t_output1"]
    _, types, _ = mx.sym.topk(x, ret_typ="both", dtype="int32").infer_type(x="float64")
    assert types == [np.float64, np.int32]


# ----- head gradients -----------------------------------------------------------------------------
@pytest.mark.parametrize("op,kwargs", [("zeros_like", {}), ("ones_like", {}),
                                       ("argmax", {"axis": 1}), ("argmin", {}),
                                       ("argmax_channel", {}), ("topk", {"ret_typ": "indices"})])
def test_no_head_gradient_needed(op, kwargs):
    a = mx.sym.Variable("a")
    ex = _bind(getattr(mx.sym, op)(a, **kwargs), {"a": np.random.rand(3, 4)}, grads=["a"])
    ex.grad_dict["a"][:] = 7
    ex.forward(is_train=True)
    if op == "topk":
        # topk asks for a head gradient whatever ret_typ is (OpDef.needs_head_grad is static)
        ex.backward(mx.nd.ones(ex.outputs[0].shape, dtype="float64"))
    else:
        ex.backward()
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), np.zeros((3, 4)))


def test_cast_needs_head_gradient_and_casts_it_back():
    a = mx.sym.Variable("a")
    ex = _bind(mx.sym.Cast(a, dtype="int32"), {"a": np.array([1.5, -2.5], np.float32)},
               grads=["a"])
    out = ex.forward(is_train=True)[0]
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.asnumpy(), [1, -2])
    with pytest.raises(MXNetError, match="head_gradient"):
        ex.backward()
    ex.backward(mx.nd.array([1, 1], dtype="int32"))
    grad = ex.grad_dict["a"]
    assert grad.dtype == np.float32
    np.testing.assert_array_equal(grad.asnumpy(), [1, 1])


def test_cast_wraps_like_c():
    out = mx.nd.Cast(mx.nd.array([-1, 256, 300.5, 255.9]), dtype="uint8")
    np.testing.assert_array_equal(out.asnumpy(), [255, 0, 44, 255])
    out = mx.nd.cast(mx.nd.array([1e20, 11.1]), dtype="float16")
    assert np.isinf(out.asnumpy()[0]) and out.asnumpy()[1] == np.float16(11.1)
    np.testing.assert_array_equal(mx.nd.cast(mx.nd.array([-0.5, 0, 2]), dtype="bool").asnumpy(),
                                  [True, False, True])


# ----- where / pick / reshape_like dtypes and zero gradients --------------------------------------
def test_where_condition_dtype_is_not_inferred():
    c, x, y = mx.sym.Variable("c"), mx.sym.Variable("x"), mx.sym.Variable("y")
    w = mx.sym.where(c, x, y)
    args, outs, _ = w.infer_type(c="int32", x="float64")
    assert args == [np.int32, np.float64, np.float64] and outs == [np.float64]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert w.infer_type(x="float64") == (None, None, None)
    assert "c: None" in str(caught[-1].message)
    assert w.infer_type_partial(x="float64")[0] == [None, np.float64, np.float64]


def test_where_and_pick_write_zero_gradient_to_index_inputs():
    c, x, y = mx.sym.Variable("c"), mx.sym.Variable("x"), mx.sym.Variable("y")
    ex = _bind(mx.sym.where(c, x, y), {"c": np.array([1.0, 0, 2]), "x": np.ones(3),
                                       "y": np.ones(3)}, grads=["c", "x", "y"])
    ex.grad_dict["c"][:] = 7
    ex.forward(is_train=True)
    ex.backward(mx.nd.array([1.0, 2, 3], dtype="float64"))
    np.testing.assert_array_equal(ex.grad_dict["c"].asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(), [1, 0, 3])
    np.testing.assert_array_equal(ex.grad_dict["y"].asnumpy(), [0, 2, 0])
    d, i = mx.sym.Variable("d"), mx.sym.Variable("i")
    ex = _bind(mx.sym.pick(d, i, axis=1), {"d": np.arange(9.0).reshape(3, 3),
                                           "i": np.array([0.0, 2, 1])}, grads=["d", "i"])
    ex.grad_dict["i"][:] = 7
    np.testing.assert_array_equal(ex.forward(is_train=True)[0].asnumpy(), [0, 5, 7])
    ex.backward(mx.nd.ones((3,), dtype="float64"))
    np.testing.assert_array_equal(ex.grad_dict["i"].asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(ex.grad_dict["d"].asnumpy(),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_pick_simple_bind_without_index_dtype():
    sym = mx.sym.pick(mx.sym.Variable("d"), mx.sym.Variable("i"), axis=1)
    ex = sym.simple_bind(mx.cpu(), d=(2, 3), i=(2,))
    assert ex.arg_dict["i"].dtype == np.float32


def test_reshape_like_rhs_dtype_is_free_and_gets_zero_grad():
    lhs, rhs = mx.sym.Variable("lhs"), mx.sym.Variable("rhs")
    sym = mx.sym.reshape_like(lhs, rhs)
    args, outs, _ = sym.infer_type(lhs="float16", rhs="int32")
    assert args == [np.float16, np.int32] and outs == [np.float16]


def test_norm_gradient_of_zero_row_is_nan():
    a = mx.sym.Variable("a")
    ex = _bind(mx.sym.norm(a, axis=1), {"a": np.array([[0, 0, 0], [3, 4, 0]], np.float32)},
               grads=["a"])
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(), [0, 5])
    ex.backward(mx.nd.ones((2,)))
    grad = ex.grad_dict["a"].asnumpy()
    assert np.isnan(grad[0]).all()
    np.testing.assert_allclose(grad[1], [0.6, 0.8, 0])


# ----- variadic errors (the op database passes inputs by keyword, which variadic ops refuse) ------
@pytest.mark.parametrize("op,match", [("Concat", "Incompatible input shape at arg1"),
                                      ("add_n", "arg1"), ("stack", "arg1")])
def test_variadic_shape_mismatch_names_the_input(op, match):
    sym = getattr(mx.sym, op)(mx.sym.Variable("a"), mx.sym.Variable("b"), name="v")
    with pytest.raises(MXNetError, match=match) as err:
        sym.infer_shape(a=(2, 3), b=(3, 4))
    assert "Error in operator v" in str(err.value)


def test_variadic_ops_refuse_keyword_inputs():
    with pytest.raises(TypeError):
        mx.sym.Concat(data=mx.sym.Variable("a"))


def test_concat_and_stack_need_one_dtype():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    with pytest.raises(MXNetError):
        mx.sym.Concat(a, b).infer_type(a="float32", b="float64")


def test_shape_error_names_op_argument_and_shapes():
    sym = mx.sym.SliceChannel(mx.sym.Variable("x"), num_outputs=4, name="sc")
    with pytest.raises(MXNetError, match=r"sc.*\(2,6\).*num_outputs=4"):
        sym.infer_shape(x=(2, 6))
    with pytest.raises(MXNetError, match="transpose: axes=\\(1,0\\)"):
        mx.nd.transpose(mx.nd.zeros((2, 3, 4)), axes=(1, 0))


# ----- NDArray helpers ----------------------------------------------------------------------------
def test_ndarray_broadcast_to_uses_the_op():
    x = mx.nd.array([[1], [2]])
    np.testing.assert_array_equal(x.broadcast_to((2, 3)).asnumpy(), [[1, 1, 1], [2, 2, 2]])
    with pytest.raises(MXNetError, match="broadcast"):
        x.broadcast_to((3, 3))


def test_pad_reflect_matches_numpy_and_gradient_sums_copies():
    x = np.arange(6, dtype=np.float64).reshape(1, 1, 2, 3)
    a = mx.sym.Variable("a")
    sym = mx.sym.Pad(a, mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 2, 2))
    ex = _bind(sym, {"a": x}, grads=["a"])
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], "reflect"))
    ex.backward(mx.nd.ones(out.shape, dtype="float64"))
    # each input element's gradient counts how many output cells copied it
    src = np.pad(np.arange(6).reshape(1, 1, 2, 3), [(0, 0), (0, 0), (1, 1), (2, 2)], "reflect")
    counts = np.bincount(src.ravel(), minlength=6).reshape(x.shape)
    np.testing.assert_array_equal(ex.grad_dict["a"].asnumpy(), counts)


@pytest.mark.parametrize("op", ["add_n", "concat", "stack"])
def test_imperative_mixed_dtypes_are_refused(op):
    a, b = mx.nd.ones((2, 2)), mx.nd.ones((2, 2), dtype="float64")
    with pytest.raises(MXNetError, match="(?i)" + op + ".*one dtype"):
        getattr(mx.nd, op)(a, b)
    with pytest.raises(MXNetError, match="where: .*y has dtype float64"):
        mx.nd.where(a, a, b)
