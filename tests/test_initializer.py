"""mx.init / mx.initializer: dumps() text, registry, name dispatch, distributions, seeding.

Expected strings and values were printed by MXNet 1.9.1 (python/mxnet/initializer.py)."""
import json
import logging

import numpy as np
import pytest

import mxlite as mx

DUMPS = [  # (constructor, MXNet 1.9.1's dumps())
    (lambda: mx.init.Xavier(),
     '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'),
    (lambda: mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2.34),
     '["xavier", {"rnd_type": "gaussian", "factor_type": "in", "magnitude": 2.34}]'),
    (lambda: mx.init.MSRAPrelu(), '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'),
    (lambda: mx.init.MSRAPrelu("in", 0.1), '["msraprelu", {"factor_type": "in", "slope": 0.1}]'),
    (lambda: mx.init.Normal(0.5), '["normal", {"sigma": 0.5}]'),
    (lambda: mx.init.Uniform(), '["uniform", {"scale": 0.07}]'),
    (lambda: mx.init.Zero(), '["zero", {}]'),
    (lambda: mx.init.One(), '["one", {}]'),
    (lambda: mx.init.Constant(0.3), '["constant", {"value": 0.3}]'),
    (lambda: mx.init.Constant(mx.nd.array([[1, 2], [3, 4]])),
     '["constant", {"value": [[1.0, 2.0], [3.0, 4.0]]}]'),
    (lambda: mx.init.Orthogonal(), '["orthogonal", {"scale": 1.414, "rand_type": "uniform"}]'),
    (lambda: mx.init.Bilinear(), '["bilinear", {}]'),
    (lambda: mx.init.LSTMBias(0.5), '["lstmbias", {"forget_bias": 0.5}]'),
]


@pytest.mark.parametrize("make, text", DUMPS, ids=[t.split('"')[1] + str(i)
                                                    for i, (_, t) in enumerate(DUMPS)])
def test_dumps_as_mxnet(make, text):
    init = make()
    assert init.dumps() == text
    assert mx.init.create(text) == init or isinstance(init, mx.init.Constant)


def test_variable_init_attr_matches_mxnet():
    v = mx.sym.Variable("w", init=mx.init.Xavier(magnitude=2))
    assert v.attr_dict() == {"w": {"__init__": '["xavier", {"rnd_type": "uniform", '
                                               '"factor_type": "avg", "magnitude": 2}]'}}


def test_mx_init_and_mx_initializer_expose_the_same_objects():
    for name in mx.initializer.__all__:
        assert getattr(mx.init, name) is getattr(mx.initializer, name)


# ----- registry -----------------------------------------------------------------------------------
def test_create_forms():
    assert isinstance(mx.init.create("xavier"), mx.init.Xavier)
    assert isinstance(mx.init.create("ZEROS"), mx.init.Zero)
    assert isinstance(mx.init.create("ones"), mx.init.One)
    assert mx.init.create("normal", sigma=2).sigma == 2
    assert mx.init.create('["uniform", {"scale": 0.5}]').scale == 0.5
    assert mx.init.create('{"initializer": "constant", "value": 3}').value == 3
    assert mx.init.create({"initializer": "normal", "sigma": 0.1}).sigma == 0.1
    inst = mx.init.One()
    assert mx.init.create(inst) is inst
    with pytest.raises(AssertionError, match="nosuch is not registered. Please register with "
                                             "initializer.register first"):
        mx.init.create("nosuch")


def test_register_custom_initializer():
    @mx.init.register
    @mx.init.alias("myinit_alias")
    class MyInit(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.1

        def _init_bias(self, _, arr):
            arr[:] = 1

    for name in ("myinit", "myinit_alias"):
        w, b = mx.nd.zeros((2, 2)), mx.nd.zeros((2,))
        init = mx.init.create(name)
        init(mx.init.InitDesc("fc_weight"), w)
        init(mx.init.InitDesc("fc_bias"), b)
        np.testing.assert_allclose(w.asnumpy(), 0.1)
        np.testing.assert_allclose(b.asnumpy(), 1)
    with pytest.warns(UserWarning, match="is overriding existing initializer"):
        mx.init.register(MyInit, "myinit")


# ----- dispatch by name ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, value", [("fc_weight", 7.0), ("fc_bias", 0.0), ("bn_gamma", 1.0),
                                         ("bn_beta", 0.0), ("q_min", 0.0), ("q_max", 1.0)])
def test_initdesc_dispatch(name, value):
    arr = mx.nd.full((2, 3), 5.0)
    mx.init.Constant(7.0)(mx.init.InitDesc(name), arr)
    np.testing.assert_array_equal(arr.asnumpy(), np.full((2, 3), value))


@pytest.mark.parametrize("name", ["bn_moving_mean", "bn_moving_var", "foo"])
def test_initdesc_unknown_pattern_raises_as_mxnet(name):
    # MXNet's InitDesc path has no moving_* rule: BatchNorm's "__init__" attrs cover them.
    with pytest.raises(ValueError) as err:
        mx.init.Xavier()(mx.init.InitDesc(name), mx.nd.zeros((3,)))
    assert str(err.value) == (
        f"Unknown initialization pattern for {name}. Default initialization is now limited to "
        f'"weight", "bias", "gamma" (1.0), and "beta" (0.0).Please use '
        f"mx.sym.Variable(init=mx.init.*) to set initialization pattern")


def test_init_attr_overrides_the_name():
    q = mx.nd.zeros((2, 3))
    desc = mx.init.InitDesc("w", attrs={"__init__": '["constant", {"value": 0.25}]'})
    mx.init.Uniform()(desc, q)
    np.testing.assert_array_equal(q.asnumpy(), 0.25)
    assert isinstance(desc.global_init, mx.init.Uniform)


def test_batchnorm_aux_states_through_their_attrs():
    net = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    attrs = net.attr_dict()
    init = mx.init.Xavier()
    for name, expected in (("bn_moving_mean", 0.0), ("bn_moving_var", 1.0)):
        arr = mx.nd.full((3,), 5.0)
        init(mx.init.InitDesc(name, attrs=attrs.get(name, {})), arr)
        np.testing.assert_array_equal(arr.asnumpy(), expected)


@pytest.mark.parametrize("name, value", [
    ("bn_moving_mean", 0.0), ("bn_moving_var", 1.0), ("bn_moving_inv_var", 0.0),
    ("x_moving_avg", 0.0), ("fc_bias", 0.0), ("bn_gamma", 1.0), ("bn_beta", 0.0),
    ("fc_weight", 7.0), ("q_min", 0.0), ("q_max", 1.0), ("stn_loc_weight", 0.0)])
def test_legacy_string_dispatch(name, value):
    arr = mx.nd.full((2, 3), 5.0)
    with pytest.warns(DeprecationWarning, match="init\\(str, NDArray\\) has been deprecated"):
        mx.init.Constant(7.0)(name, arr)
    np.testing.assert_array_equal(arr.asnumpy(), np.full((2, 3), value))


def test_legacy_special_names_and_type_errors():
    bias = mx.nd.zeros((6,))
    with pytest.warns(DeprecationWarning):
        mx.init.Zero()("stn_loc_bias", bias)
        up = mx.nd.zeros((1, 1, 4, 4))
        mx.init.Zero()("upsampling0_weight", up)
        with pytest.raises(TypeError, match="name must be string"):
            mx.init.Zero()(3, bias)
        with pytest.raises(TypeError, match="arr must be NDArray"):
            mx.init.Zero()("w", np.zeros(3))
        with pytest.raises(ValueError, match="Unknown initialization pattern for foo"):
            mx.init.Zero()("foo", bias)
    assert bias.asnumpy().tolist() == [1, 0, 0, 0, 1, 0]
    assert up.asnumpy()[0, 0, 1, 1] == pytest.approx(0.5625)


# ----- values -------------------------------------------------------------------------------------
def _init(init, shape, name="fc_weight", dtype="float32", seed=7):
    mx.random.seed(seed)
    arr = mx.nd.zeros(shape, dtype=dtype)
    init(mx.init.InitDesc(name), arr)
    return arr


def test_written_in_place_keeping_dtype():
    for dtype in ("float16", "float32", "float64"):
        arr = mx.nd.zeros((4, 5), dtype=dtype)
        before = arr._data
        mx.init.Xavier()(mx.init.InitDesc("w_weight"), arr)
        assert arr._data is before and arr.dtype == np.dtype(dtype).type
        assert np.abs(arr.asnumpy()).max() > 0


def test_seed_reproduces_and_differs():
    a = _init(mx.init.Xavier(), (20, 30)).asnumpy()
    b = _init(mx.init.Xavier(), (20, 30)).asnumpy()
    c = _init(mx.init.Xavier(), (20, 30), seed=8).asnumpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("factor, fan", [("avg", (60 + 40) / 2.0), ("in", 60), ("out", 40)])
def test_xavier_uniform_bound(factor, fan):
    w = _init(mx.init.Xavier(factor_type=factor, magnitude=3), (4, 6, 10)).asnumpy()
    # shape (4, 6, 10): hw_scale 10, fan_in 60, fan_out 40
    bound = np.sqrt(3 / fan)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_xavier_gaussian_and_msra_std():
    w = _init(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), (400, 500))
    assert w.asnumpy().std() == pytest.approx(np.sqrt(2 / 500), rel=0.03)
    m = _init(mx.init.MSRAPrelu(factor_type="in", slope=0.0), (400, 500))
    assert m.asnumpy().std() == pytest.approx(np.sqrt(2 / 500), rel=0.03)


def test_xavier_errors():
    with pytest.raises(ValueError, match="Xavier initializer cannot be applied to vector "
                                         "fc_weight. It requires at least 2D."):
        _init(mx.init.Xavier(), (3,))
    with pytest.raises(ValueError, match="Incorrect factor type"):
        _init(mx.init.Xavier(factor_type="bad"), (3, 3))
    with pytest.raises(ValueError, match="Unknown random type"):
        _init(mx.init.Xavier(rnd_type="bad"), (3, 3))


def test_uniform_normal_constant_one_zero():
    u = _init(mx.init.Uniform(0.2), (100, 100)).asnumpy()
    assert u.min() >= -0.2 and u.max() < 0.2 and u.std() == pytest.approx(0.2 / np.sqrt(3), 0.03)
    n = _init(mx.init.Normal(0.3), (100, 100)).asnumpy()
    assert n.std() == pytest.approx(0.3, rel=0.03) and abs(n.mean()) < 0.02
    assert (_init(mx.init.One(), (2, 2)).asnumpy() == 1).all()
    assert (_init(mx.init.Zero(), (2, 2)).asnumpy() == 0).all()
    c = _init(mx.init.Constant(mx.nd.array([1, 2])), (3, 2)).asnumpy()
    assert c.tolist() == [[1, 2]] * 3


def test_orthogonal():
    for shape, rand_type in (((4, 6), "uniform"), ((6, 2, 2), "normal")):
        w = _init(mx.init.Orthogonal(scale=2.0, rand_type=rand_type), shape).asnumpy()
        flat = w.reshape(shape[0], -1)
        gram = flat @ flat.T if shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-5)


def test_bilinear_matches_mxnet():
    w = _init(mx.init.Bilinear(), (2, 1, 4, 5), name="up_weight").asnumpy()
    row = [0.1111111119389534, 0.2222222238779068, 0.3333333432674408, 0.2222222238779068,
           0.1111111119389534]  # MXNet 1.9.1, first row of w[0, 0]
    assert w[0, 0, 0].tolist() == row
    assert w[1, 0, 2, 2] == 1.0


def test_lstm_bias():
    b = _init(mx.init.LSTMBias(forget_bias=2.0), (8,), name="lstm_bias")
    # *_bias names go to _init_bias (zeros); LSTMBias acts through its weight rule, via "__init__"
    assert b.asnumpy().tolist() == [0] * 8
    desc = mx.init.InitDesc("lstm_i2h_bias", attrs={"__init__": mx.init.LSTMBias(2.0).dumps()})
    arr = mx.nd.zeros((8,))
    mx.init.Xavier()(desc, arr)
    assert arr.asnumpy().tolist() == [0, 0, 2, 2, 0, 0, 0, 0]


def test_mixed_and_its_error():
    init = mx.init.Mixed(["fc1_.*", ".*"], [mx.init.Constant(3), mx.init.One()])
    w, b = mx.nd.zeros((2, 2)), mx.nd.zeros((2,))
    with pytest.warns(DeprecationWarning):
        init("fc1_weight", w)
        init("fc2_weight", b)
    assert (w.asnumpy() == 3).all() and (b.asnumpy() == 1).all()
    with pytest.raises(ValueError, match="Parameter name zzz did not match any pattern"):
        mx.init.Mixed(["a"], [mx.init.Zero()])("zzz", w)


def test_load_initializer_from_file(tmp_path):
    fname = str(tmp_path / "p.params")
    mx.nd.save(fname, {"arg:fc_weight": mx.nd.full((2, 2), 4), "aux:bn_moving_mean": mx.nd.ones(3),
                       "plain": mx.nd.ones(1)})
    init = mx.init.Load(fname, default_init=mx.init.Constant(9))
    assert sorted(init.param) == ["bn_moving_mean", "fc_weight", "plain"]
    w = mx.nd.zeros((2, 2))
    init("fc_weight", w)
    assert (w.asnumpy() == 4).all()
    other = mx.nd.zeros((2,))
    with pytest.warns(DeprecationWarning):
        init("other_weight", other)
    assert (other.asnumpy() == 9).all()
    with pytest.raises(AssertionError, match="Shape mismatch, target \\(3,\\) vs loaded"):
        init("fc_weight", mx.nd.zeros((3,)))
    with pytest.raises(AssertionError, match="Cannot Initialize nope"):
        mx.init.Load({"a": mx.nd.ones(1)})("nope", w)


def test_verbosity_logs(caplog):
    init = mx.init.Constant(2.0).set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(mx.init.InitDesc("fc_weight"), mx.nd.zeros((2, 2)))
    assert "Initialized fc_weight as weight: 2.0" in caplog.text


def test_equality():
    assert mx.init.Xavier() == mx.init.Xavier()
    assert mx.init.Xavier() != mx.init.Xavier(magnitude=2)
    assert mx.init.Zero() != mx.init.One()


def test_dumps_is_plain_json():
    for make, text in DUMPS:
        name, kwargs = json.loads(make().dumps())
        assert name == json.loads(text)[0] and isinstance(kwargs, dict)


@pytest.mark.gpu
def test_initializers_on_gpu():
    for init in (mx.init.Xavier(), mx.init.Uniform(), mx.init.Normal(), mx.init.Orthogonal()):
        mx.random.seed(3)
        arr = mx.nd.zeros((4, 6), ctx=mx.gpu(0))
        init(mx.init.InitDesc("fc_weight"), arr)
        assert arr.context == mx.gpu(0) and np.abs(arr.asnumpy()).max() > 0

