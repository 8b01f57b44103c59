"""What the op database cannot express for BatchNorm, Dropout, Embedding, take, one_hot, LeakyReLU,
LRN and the random sampling ops: state kept across calls (aux updates, masks), in-place writes,
randomness, names and attributes, and errors needing a full bind.

Expected values come from MXNET_SEMANTICS.md (§0 #6, #14; §7) and tests/golden (MXNet 1.9.1).
"""
import json

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from reference import batch_norm as R


def _nd(x, dtype=None):
    x = np.asarray(x)
    return mx.nd.array(x, dtype=dtype or x.dtype)


def _bn_bind(data, gamma, fix_gamma=True, use_global_stats=False, mm=None, mv=None,
             dtype="float32", grad_req="write"):
    c = data.shape[1]
    sym = mx.sym.BatchNorm(mx.sym.var("data"), fix_gamma=fix_gamma,
                           use_global_stats=use_global_stats, name="bn")
    pdt = "float32" if dtype == "float16" else dtype
    args = {"data": _nd(data, dtype), "bn_gamma": _nd(gamma, pdt), "bn_beta": _nd(np.zeros(c), pdt)}
    grads = {k: mx.nd.zeros(v.shape, dtype=v.dtype) for k, v in args.items()}
    aux = {"bn_moving_mean": _nd(np.zeros(c) if mm is None else mm, pdt),
           "bn_moving_var": _nd(np.ones(c) if mv is None else mv, pdt)}
    ex = sym.bind(mx.cpu(), args, args_grad=grads, grad_req=grad_req, aux_states=aux)
    return ex, args, grads, aux


@pytest.fixture
def bn_data():
    return np.random.default_rng(0).normal(size=(4, 3, 2, 2))


# ----- BatchNorm ---------------------------------------------------------------------------------
def test_batchnorm_aux_updated_in_backward_only(bn_data):
    ex, _, _, aux = _bn_bind(bn_data, np.ones(3), fix_gamma=False)
    ex.forward(is_train=True)
    np.testing.assert_array_equal(aux["bn_moving_mean"].asnumpy(), 0)
    np.testing.assert_array_equal(aux["bn_moving_var"].asnumpy(), 1)
    ex.backward(mx.nd.ones(bn_data.shape))
    mean, var = bn_data.mean(axis=(0, 2, 3)), bn_data.var(axis=(0, 2, 3))
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(aux["bn_moving_var"].asnumpy(), 0.9 + 0.1 * var, rtol=1e-5)


def test_batchnorm_second_backward_updates_again(bn_data):
    # tests/golden batchnorm_backward_twice: the momentum update is applied once per backward
    ex, _, _, aux = _bn_bind(bn_data, np.ones(3), fix_gamma=False)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(bn_data.shape))
    ex.backward(mx.nd.ones(bn_data.shape))
    mean = bn_data.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), 0.19 * mean, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("is_train,ugs", [(False, False), (True, True), (False, True)])
def test_batchnorm_aux_kept_without_batch_stats(bn_data, is_train, ugs):
    mm, mv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, 2.0])
    ex, _, _, aux = _bn_bind(bn_data, np.ones(3), fix_gamma=False, use_global_stats=ugs,
                             mm=mm, mv=mv)
    ex.forward(is_train=is_train)
    ex.backward(mx.nd.ones(bn_data.shape))
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), mm, rtol=1e-6)
    np.testing.assert_allclose(aux["bn_moving_var"].asnumpy(), mv, rtol=1e-6)


def test_batchnorm_inference_forward_then_backward_uses_moving_stats(bn_data):
    # tests/golden batchnorm_fg0_ugs0_train0: the training gradient formula with the statistics
    # forward saved, which were the moving ones
    mm, mv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, 2.0])
    gamma = np.array([2.0, 0.5, -1.0])
    ex, _, grads, _ = _bn_bind(bn_data, gamma, fix_gamma=False, mm=mm, mv=mv, dtype="float64")
    ex.forward(is_train=False)
    g = np.random.default_rng(1).normal(size=bn_data.shape)
    ex.backward(_nd(g))
    b = (1, 3, 1, 1)
    inv = 1 / np.sqrt(mv + 1e-3)
    xc = bn_data - mm.reshape(b)
    n = bn_data.size / 3
    k = (g * xc).sum(axis=(0, 2, 3)) * inv * inv / n
    dx = (g - g.mean(axis=(0, 2, 3)).reshape(b) - xc * k.reshape(b)) * (inv * gamma).reshape(b)
    np.testing.assert_allclose(grads["data"].asnumpy(), dx, rtol=1e-5, atol=1e-7)


def test_batchnorm_fix_gamma_overwrites_gamma(bn_data):
    ex, args, grads, _ = _bn_bind(bn_data, np.full(3, 2.0), fix_gamma=True)
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_array_equal(args["bn_gamma"].asnumpy(), 1.0)
    expected = R.batch_norm(bn_data, np.full(3, 2.0), np.zeros(3), np.zeros(3), np.ones(3),
                            fix_gamma=True, train=True)[0]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    grads["bn_gamma"][:] = 5
    ex.backward(mx.nd.ones(bn_data.shape))
    np.testing.assert_array_equal(grads["bn_gamma"].asnumpy(), 0.0)


def test_batchnorm_simple_bind_aux_zeros_and_names():
    sym = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    assert sym.list_arguments() == ["data", "bn_gamma", "bn_beta"]
    assert sym.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert sym.list_outputs() == ["bn_output"]
    ex = sym.simple_bind(mx.cpu(), data=(2, 3, 4))
    for arr in ex.aux_arrays:
        assert arr.shape == (3,)
        np.testing.assert_array_equal(arr.asnumpy(), 0)
    attrs = sym.attr_dict()
    assert attrs["bn_moving_mean"]["__init__"] == '["zero", {}]'
    assert attrs["bn_moving_var"]["__init__"] == '["one", {}]'


def test_batchnorm_explicit_aux_variables_get_init_attr():
    # FSetInputVarAttrOnCompose applies to given variables too, unless they carry __init__
    mm, mv = mx.sym.var("mm"), mx.sym.var("mv", attr={"__init__": "custom"})
    mx.sym.BatchNorm(mx.sym.var("d"), mx.sym.var("g"), mx.sym.var("b"), mm, mv)
    assert mm.attr("__init__") == '["zero", {}]'
    assert mv.attr("__init__") == "custom"


def test_batchnorm_output_mean_var():
    sym = mx.sym.BatchNorm(mx.sym.var("data"), fix_gamma=False, output_mean_var=True, name="bn")
    assert sym.list_outputs() == ["bn_output", "bn_mean", "bn_var"]
    plain = mx.sym.BatchNorm(mx.sym.var("data"), name="bn2")
    # three outputs per node either way (two hidden): node_row_ptr counts them
    assert json.loads(plain.tojson())["node_row_ptr"][-1] - \
        json.loads(plain.tojson())["node_row_ptr"][-2] == 3
    x = np.random.default_rng(2).normal(size=(5, 3))
    ex = sym.bind(mx.cpu(), {"data": _nd(x, "float64"), "bn_gamma": _nd(np.ones(3)),
                             "bn_beta": _nd(np.zeros(3))},
                  aux_states={"bn_moving_mean": _nd(np.zeros(3)),
                              "bn_moving_var": _nd(np.ones(3))})
    _, mean, var = ex.forward(is_train=True)
    np.testing.assert_allclose(mean.asnumpy(), x.mean(axis=0))
    # the "var" output is the inverse standard deviation
    np.testing.assert_allclose(var.asnumpy(), 1 / np.sqrt(x.var(axis=0) + 1e-3), rtol=1e-6)


def test_batchnorm_float16_types_and_gradient(bn_data):
    sym = mx.sym.BatchNorm(mx.sym.var("data"), fix_gamma=False, name="bn")
    arg_t, out_t, aux_t = sym.infer_type(data=np.float16)
    assert arg_t == [np.float16, np.float32, np.float32]
    assert out_t == [np.float16] and aux_t == [np.float32, np.float32]
    ex = sym.simple_bind(mx.cpu(), data=bn_data.shape, type_dict={"data": np.float16})
    assert ex.arg_dict["bn_gamma"].dtype == np.float32
    assert ex.aux_dict["bn_moving_var"].dtype == np.float32
    gamma = np.array([2.0, 0.5, -1.0])
    head = np.random.default_rng(3).normal(size=bn_data.shape)
    results = {}
    for dt in ("float16", "float64"):
        ex, _, grads, aux = _bn_bind(bn_data, gamma, fix_gamma=False, dtype=dt)
        ex.forward(is_train=True)
        ex.backward(_nd(head, dt))
        results[dt] = {k: v.asnumpy().astype(np.float64) for k, v in grads.items()}
        results[dt]["mm"] = aux["bn_moving_mean"].asnumpy()
    for key, want in results["float64"].items():
        np.testing.assert_allclose(results["float16"][key], want, rtol=2e-2, atol=2e-2,
                                   err_msg=key)


def test_batchnorm_errors(bn_data):
    sym = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    with pytest.raises(ValueError, match="aux_states"):
        sym.bind(mx.cpu(), {"data": _nd(bn_data, "float32"), "bn_gamma": mx.nd.ones((3,)),
                            "bn_beta": mx.nd.zeros((3,))})
    with pytest.raises(MXNetError, match="axis"):
        mx.sym.BatchNorm(mx.sym.var("data"), axis=4).infer_shape(data=(2, 3))
    with pytest.raises(MXNetError, match="inconsistent"):
        sym.infer_shape(data=(2, 3), bn_gamma=(4,))
    with pytest.raises(MXNetError, match="gamma"):
        sym.infer_type(data=np.float16, bn_gamma=np.float16)


# ----- Dropout -----------------------------------------------------------------------------------
def _dropout_exec(shape, **params):
    sym = mx.sym.Dropout(mx.sym.var("data"), name="drop", **params)
    x = mx.nd.array(np.random.default_rng(4).uniform(1, 2, size=shape))
    grad = mx.nd.zeros(shape)
    return sym.bind(mx.cpu(), {"data": x}, args_grad={"data": grad}), x.asnumpy(), grad


def test_dropout_same_mask_forward_backward_and_scale():
    ex, x, grad = _dropout_exec((20, 30), p=0.4)
    y = ex.forward(is_train=True)[0].asnumpy()
    mask = y / x
    kept = mask != 0
    assert 0.45 < kept.mean() < 0.75
    np.testing.assert_allclose(mask[kept], 1 / 0.6, rtol=1e-6)
    head = np.random.default_rng(5).normal(size=x.shape).astype(np.float32)
    ex.backward(mx.nd.array(head))
    np.testing.assert_allclose(grad.asnumpy(), head * mask, rtol=1e-5)


def test_dropout_axes_share_the_mask():
    ex, x, _ = _dropout_exec((4, 5, 6), p=0.5, axes=(1,))
    mask = ex.forward(is_train=True)[0].asnumpy() / x
    np.testing.assert_allclose(mask, np.broadcast_to(mask[:, :1, :], mask.shape), rtol=1e-6)


def test_dropout_inference_identity_and_passthrough_gradient():
    ex, x, grad = _dropout_exec((3, 4), p=0.5)
    ex.forward(is_train=True)
    y = ex.forward(is_train=False)[0].asnumpy()
    np.testing.assert_array_equal(y, x)
    ex.backward(mx.nd.ones((3, 4)))
    # the last forward was the identity, so backward is too (dropout-inl.h passthrough)
    np.testing.assert_array_equal(grad.asnumpy(), 1)
    np.testing.assert_array_equal(mx.nd.Dropout(mx.nd.array(x), p=0.5).asnumpy(), x)


def test_dropout_mode_always_and_p_one():
    ex, x, _ = _dropout_exec((10, 10), p=0.5, mode="always")
    assert (ex.forward(is_train=False)[0].asnumpy() == 0).any()
    ex, x, _ = _dropout_exec((3, 3), p=1.0)
    # MXNet's 0 * (1 / pkeep) = NaN, asserted by its own test_dropout
    assert np.isnan(ex.forward(is_train=True)[0].asnumpy()).all()


def test_dropout_seeded_reproducible():
    ex, _, _ = _dropout_exec((8, 8), p=0.5)
    mx.random.seed(42)
    first = ex.forward(is_train=True)[0].asnumpy()
    second = ex.forward(is_train=True)[0].asnumpy()
    mx.random.seed(42)
    np.testing.assert_array_equal(ex.forward(is_train=True)[0].asnumpy(), first)
    assert not np.array_equal(first, second)


def test_dropout_outputs():
    sym = mx.sym.Dropout(mx.sym.var("data"), name="drop")
    assert sym.list_outputs() == ["drop_output"]
    ptr = json.loads(sym.tojson())["node_row_ptr"]
    assert ptr[-1] - ptr[-2] == 2


# ----- Embedding, take, one_hot ------------------------------------------------------------------
def test_embedding_clamps_and_scatters():
    sym = mx.sym.Embedding(mx.sym.var("data"), input_dim=4, output_dim=3, name="emb")
    assert sym.list_arguments() == ["data", "emb_weight"]
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    ids = np.array([[0, 1, 1], [3, 5, -1]], dtype=np.float32)
    dw = mx.nd.zeros((4, 3))
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array(ids), "emb_weight": mx.nd.array(w)},
                  args_grad={"emb_weight": dw}, grad_req={"emb_weight": "write"})
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_array_equal(out[1, 1], w[3])
    np.testing.assert_array_equal(out[1, 2], w[0])
    ex.backward(mx.nd.ones((2, 3, 3)))
    np.testing.assert_array_equal(dw.asnumpy()[:, 0], [2, 2, 0, 2])


def test_embedding_refuses_data_gradient():
    sym = mx.sym.Embedding(mx.sym.var("data"), input_dim=4, output_dim=3, name="emb")
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array([0, 1]), "emb_weight": mx.nd.ones((4, 3))},
                  args_grad={"data": mx.nd.zeros((2,)), "emb_weight": mx.nd.zeros((4, 3))})
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="Embedding layer doesn't support calculate data gradient"):
        ex.backward(mx.nd.ones((2, 3)))


def test_embedding_weight_dtype():
    sym = mx.sym.Embedding(mx.sym.var("data"), input_dim=4, output_dim=3, dtype="float64")
    ex = sym.simple_bind(mx.cpu(), data=(2,), type_dict={"data": np.int32})
    assert ex.arg_arrays[1].dtype == np.float64
    assert ex.outputs[0].dtype == np.float64


def test_one_hot_out_of_range_and_no_head_grad():
    out = mx.nd.one_hot(mx.nd.array([5, -1, 1]), depth=3).asnumpy()
    np.testing.assert_array_equal(out, [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    sym = mx.sym.one_hot(mx.sym.var("data"), depth=3)
    grad = mx.nd.full((3,), 7.0)
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array([0, 2, 1])}, args_grad={"data": grad})
    ex.forward(is_train=True)
    ex.backward()  # one_hot needs no head gradient
    np.testing.assert_array_equal(grad.asnumpy(), 0)


def test_take_modes():
    a = mx.nd.array(np.arange(8).reshape(4, 2))
    idx = mx.nd.array([5, -1])
    np.testing.assert_array_equal(mx.nd.take(a, idx, mode="wrap").asnumpy(), [[2, 3], [6, 7]])
    np.testing.assert_array_equal(mx.nd.take(a, idx).asnumpy(), [[6, 7], [0, 1]])
    with pytest.raises(MXNetError, match="out of bound"):
        mx.nd.take(a, idx, mode="raise")


def test_take_gradients():
    sym = mx.sym.take(mx.sym.var("a"), mx.sym.var("indices"))
    grads = {"a": mx.nd.zeros((4, 2)), "indices": mx.nd.full((3,), 7.0)}
    ex = sym.bind(mx.cpu(), {"a": mx.nd.ones((4, 2)), "indices": mx.nd.array([3, 0, 3])},
                  args_grad=grads)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((3, 2)))
    np.testing.assert_array_equal(grads["a"].asnumpy()[:, 0], [1, 0, 0, 2])
    np.testing.assert_array_equal(grads["indices"].asnumpy(), 0)


# ----- LeakyReLU, LRN ----------------------------------------------------------------------------
def test_rrelu_inference_only():
    sym = mx.sym.LeakyReLU(mx.sym.var("data"), act_type="rrelu", name="lr")
    assert sym.list_outputs() == ["lr_output", "lr_mask"]
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array([[-2.0, 3.0]])})
    out = ex.forward(is_train=False)[0].asnumpy()
    np.testing.assert_allclose(out, [[-2.0 * (0.125 + 0.334) / 2, 3.0]], rtol=1e-6)
    with pytest.raises(MXNetError, match="rrelu"):
        ex.forward(is_train=True)


def test_prelu_gamma_variable():
    sym = mx.sym.LeakyReLU(mx.sym.var("data"), act_type="prelu", name="pr")
    assert sym.list_arguments() == ["data", "pr_gamma"]
    assert sym.attr_dict()["pr_gamma"]["__init__"] == '["Constant", {"value": 0.25}]'
    assert sym.infer_shape(data=(2, 5, 3))[0][1] == (5,)


def test_selu_gradient_is_the_derivative():
    # MXNet 1.9.1 gives lambda * (alpha + y) = 0.160859 at x = -2; the derivative is
    # lambda * alpha * exp(-2) = 0.237933 (a deliberate difference, README compatibility notes)
    x = mx.nd.array([-2.0, 0.0, 1.0])
    sym = mx.sym.LeakyReLU(mx.sym.var("x"), act_type="selu")
    grad = mx.nd.zeros((3,))
    ex = sym.bind(mx.cpu(), {"x": x}, args_grad={"x": grad})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((3,)))
    np.testing.assert_allclose(grad.asnumpy(), [0.237933, 1.758099, 1.050701], rtol=1e-5)


def test_lrn_hidden_output_and_alpha_scaling():
    sym = mx.sym.LRN(mx.sym.var("data"), nsize=3, alpha=0.3, name="lrn")
    assert sym.list_outputs() == ["lrn_output"]
    x = np.ones((1, 3, 1, 1))
    out = mx.nd.LRN(mx.nd.array(x), nsize=3, alpha=0.3, beta=1.0, knorm=1.0).asnumpy()
    # centre channel: 1 / (1 + 0.3/3 * 3) ; edge channels see two channels in the window
    np.testing.assert_allclose(out.ravel(), [1 / 1.2, 1 / 1.3, 1 / 1.2], rtol=1e-6)


# ----- random sampling ---------------------------------------------------------------------------
def test_random_ndarray_shapes_dtypes_and_ranges():
    u = mx.nd.random.uniform(-1, 1, shape=(50, 40))
    assert u.shape == (50, 40) and u.dtype == np.float32
    assert -1 <= u.asnumpy().min() and u.asnumpy().max() < 1
    assert mx.nd.random.uniform().shape == (1,)
    n = mx.nd.random.normal(2.0, 0.5, shape=(4000,), dtype="float64").asnumpy()
    assert n.dtype == np.float64 and abs(n.mean() - 2.0) < 0.05 and abs(n.std() - 0.5) < 0.05
    r = mx.nd.random.randint(-3, 4, shape=(1000,))
    assert r.dtype == np.int32 and set(np.unique(r.asnumpy())) == set(range(-3, 4))
    assert mx.nd.random.randint(0, 5, shape=(2,), dtype="int64").dtype == np.int64
    assert mx.nd.random.normal(shape=(2,), ctx=mx.cpu(1)).context == mx.cpu(1)
    out = mx.nd.zeros((3, 2), dtype="float64")
    mx.nd.random.uniform(5, 6, out=out)
    assert (out.asnumpy() >= 5).all()


def test_random_seed_reproducible_and_aliases():
    mx.random.seed(7)
    a = mx.nd.random.normal(shape=(5,)).asnumpy()
    mx.random.seed(7)
    b = mx.random.normal(shape=(5,)).asnumpy()
    np.testing.assert_array_equal(a, b)
    mx.random.seed(7)
    c = mx.nd.normal(shape=(5,)).asnumpy()
    np.testing.assert_array_equal(a, c)
    assert mx.nd.random_uniform(shape=(2,)).shape == (2,)


def test_random_bad_dtype():
    with pytest.raises(MXNetError, match="float16, float32, float64"):
        mx.nd.random.uniform(shape=(2,), dtype="int32")
    with pytest.raises(MXNetError, match="int32, int64"):
        mx.nd.random.randint(0, 3, shape=(2,), dtype="float32")


def test_random_symbol():
    sym = mx.sym.random.uniform(low=-1, high=1, shape=(2, 3))
    assert sym.name == "_random_uniform0"
    node = json.loads(sym.tojson())["nodes"][0]
    assert node["op"] == "_random_uniform" and node["inputs"] == []
    assert node["attrs"] == {"high": "1", "low": "-1", "shape": "(2, 3)"}
    assert sym.infer_shape() == ([], [(2, 3)], [])
    assert sym.infer_type() == ([], [np.float32], [])
    x = mx.sym.var("x")
    total = x + mx.sym.random.normal(shape=(2, 3), dtype="float32")
    mx.random.seed(3)
    first = total.eval(x=mx.nd.zeros((2, 3)))[0].asnumpy()
    mx.random.seed(3)
    np.testing.assert_array_equal(total.eval(x=mx.nd.zeros((2, 3)))[0].asnumpy(), first)
    ints = mx.sym.random.randint(0, 4, shape=(6,), dtype="int64").eval()[0]
    assert ints.dtype == np.int64 and ints.asnumpy().max() < 4
