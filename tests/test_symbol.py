"""Symbol behaviour (MXNET_SEMANTICS.md §3): naming, composition, introspection, inference, JSON,
operator overloads and every error case."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, NotImplementedForSymbol


def test_auto_names_and_auto_variables():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=10)
    assert fc.name == "fullyconnected0"
    assert fc.list_arguments() == ["data", "fullyconnected0_weight", "fullyconnected0_bias"]
    assert mx.sym.FullyConnected(data, num_hidden=3).name == "fullyconnected1"
    assert (data + 1).name == "_plusscalar0"
    assert (2 ** data).name == "_rpower_scalar0"
    assert mx.sym.pow(2, data).name == "_rpowerscalar0"
    assert mx.sym.Softmax(data).name == "softmax0"
    assert mx.sym.softmax(data).name == "softmax1"
    assert mx.sym.ElementWiseSum(data, data).name == "elementwisesum0"
    assert mx.sym.add_n(data, data).name == "add_n0"
    assert fc.attr_dict()["fullyconnected0_weight"] == {"num_hidden": "10"}


def test_name_manager_and_prefix():
    data = mx.sym.Variable("data")
    with mx.name.NameManager():
        assert mx.sym.Activation(data, act_type="relu").name == "activation0"
    with mx.name.Prefix("mynet_"):
        fc = mx.sym.FullyConnected(data, num_hidden=2, name="fc1")
        fc2 = mx.sym.FullyConnected(fc, num_hidden=2)
    assert fc2.list_arguments() == ["data", "mynet_fc1_weight", "mynet_fc1_bias",
                                    "mynet_fullyconnected0_weight", "mynet_fullyconnected0_bias"]


def test_attr_scope():
    with mx.AttrScope(ctx_group="dev1", __mood__="4"):
        x = mx.sym.Variable("x")
    assert x.list_attr() == {"__mood__": "4", "__ctx_group__": "dev1", "ctx_group": "dev1"}
    with pytest.raises(ValueError):
        mx.AttrScope(group=1)
    with mx.AttrScope(group="g"):
        with pytest.raises(MXNetError, match="Cannot find argument 'group'"):
            mx.sym.Activation(mx.sym.Variable("y"), act_type="relu")


def test_variable_attrs_and_errors():
    v = mx.sym.Variable("x", shape=(3, 4), lr_mult=2.0, dtype="float16",
                        init=mx.init.Constant(1.0), __extra__="e")
    attrs = v.list_attr()
    assert attrs["__shape__"] == "(3, 4)" and attrs["__lr_mult__"] == "2.0"
    assert attrs["lr_mult"] == "2.0" and attrs["__dtype__"] == "2"
    assert attrs["__extra__"] == "e" and "constant" in attrs["__init__"]
    with pytest.raises(TypeError):
        mx.sym.Variable(3)
    with pytest.raises(ValueError, match="double underscores"):
        mx.sym.Variable("x", extra="e")
    assert v.infer_shape()[0] == [(3, 4)]
    assert v.infer_type()[0] == [np.float16]


def test_group_indexing_and_children():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    fc = mx.sym.FullyConnected(a, num_hidden=2, name="fc")
    g = mx.sym.Group([fc, b])
    assert repr(g) == "<Symbol group [fc, b]>" and g.name is None
    assert repr(fc) == "<Symbol fc>"
    assert g.list_outputs() == ["fc_output", "b"]
    assert g["b"].name == "b" and g[0].name == "fc" and len(g) == 2
    assert [s.name for s in g] == ["fc", "b"]
    assert g[0:1].list_outputs() == ["fc_output"]
    with pytest.raises(ValueError, match='Cannot find output that matches name "zz"'):
        g["zz"]
    with pytest.raises(IndexError):
        g[5]
    with pytest.raises(TypeError, match="Expected a list of symbols"):
        mx.sym.Group([])
    with pytest.raises(TypeError, match="Expected a list of symbols"):
        mx.sym.Group([a, 1])
    assert fc.get_children().list_outputs() == ["a", "fc_weight", "fc_bias"]
    assert a.get_children() is None
    internals = fc.get_internals()
    assert internals.list_outputs() == ["a", "fc_weight", "fc_bias", "fc_output"]
    assert internals["fc_output"].name == "fc"


def test_same_variable_used_twice_is_one_argument():
    a = mx.sym.Variable("a")
    assert (a + a * a).list_arguments() == ["a"]
    a2 = mx.sym.Variable("a")
    assert (a + a2).list_arguments() == ["a", "a"]


def test_compose_by_call():
    x = mx.sym.Variable("x")
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc")
    composed = net(data=mx.sym.Activation(x, act_type="relu", name="act"), name="fc2")
    assert composed.list_arguments() == ["x", "fc_weight", "fc_bias"]
    assert composed.name == "fc2" and net.name == "fc"
    with pytest.raises(TypeError, match="not both"):
        net(x, data=x)
    with pytest.raises(TypeError, match="Compose expect `Symbol`"):
        net(data=1)
    with pytest.raises(MXNetError):
        net(fc_data=x)


def test_overloads_and_not_implemented():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    assert [(a + b).name, (a - b).name, (a * b).name, (a / b).name] == \
        ["_plus0", "_minus0", "_mul0", "_div0"]
    assert (a ** b).name == "_power0" and (a % b).name == "_mod0"
    assert (a > 1).name == "_greater_scalar0" and (1 - a).name == "_rminusscalar0"
    neg = -a
    assert neg.list_attr() == {"scalar": "-1.0"}
    assert (a + 1).list_attr() == {"scalar": "1"}
    with pytest.raises(NotImplementedForSymbol):
        bool(a)
    with pytest.raises(NotImplementedForSymbol):
        a += 1
    with pytest.raises(TypeError):
        a + mx.nd.ones(1)
    with pytest.raises(MXNetError, match="Incompatible attr|inconsistent"):
        (a + b).infer_shape(a=(2, 3), b=(1, 3))


def test_infer_shape_forms():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    assert fc.infer_shape(data=(2, 6)) == ([(2, 6), (4, 6), (4,)], [(2, 4)], [])
    with pytest.warns(UserWarning, match="Cannot decide shape"):
        assert fc.infer_shape() == (None, None, None)
    assert fc.infer_shape_partial(fc_weight=(4, 6)) == ([(), (4, 6), ()], [()], [])
    with pytest.raises(TypeError, match="need to be shapes"):
        fc.infer_shape(data=[2, 6])
    with pytest.raises(ValueError):
        fc.infer_shape((2, 6), data=(2, 6))
    with pytest.raises(MXNetError):
        fc.infer_shape(zz=(1,))
    with pytest.raises(MXNetError, match="fc"):
        fc.infer_shape(data=(2, 6), fc_weight=(3, 6))


def test_infer_type():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    c = a + b
    assert c.infer_type(a=np.float64) == ([np.float64, np.float64], [np.float64], [])
    assert c.infer_type(a="float16")[1] == [np.float16]
    with pytest.warns(UserWarning, match="Cannot decide type"):
        assert c.infer_type() == (None, None, None)
    assert c.infer_type_partial() == ([None, None], [None], [])
    with pytest.raises(MXNetError):
        c.infer_type(a=np.float64, b=np.float32)


def test_set_attr_and_list_attr():
    a = mx.sym.Variable("a")
    a._set_attr(__note__="x", lr_mult="3")
    assert a.attr("__note__") == "x" and a.list_attr()["lr_mult"] == "3"
    with pytest.raises(ValueError, match="only accepts string values"):
        a._set_attr(__note__=1)
    with pytest.raises(DeprecationWarning):
        a.list_attr(recursive=True)


def test_json_roundtrip_pickle_deepcopy(tmp_path):
    data = mx.sym.Variable("data")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), name="sm")
    text = net.tojson()
    assert mx.sym.load_json(text).tojson() == text
    path = str(tmp_path / "net-symbol.json")
    net.save(path)
    assert mx.sym.load(path).tojson() == text
    assert pickle.loads(pickle.dumps(net)).tojson() == text
    assert copy.deepcopy(net).tojson() == text
    with pytest.raises(TypeError):
        mx.sym.load_json(b"{}")
    with pytest.raises(MXNetError, match="Cannot open"):
        mx.sym.load(str(tmp_path / "missing.json"))


def test_hostile_json_is_refused():
    good = mx.sym.FullyConnected(mx.sym.Variable("d"), num_hidden=2, name="fc").tojson()
    with pytest.raises(MXNetError, match="not JSON"):
        mx.sym.load_json(good[:-5])
    with pytest.raises(MXNetError, match="Cannot find operator Frobnicate.*'fc'"):
        mx.sym.load_json(good.replace('"FullyConnected"', '"Frobnicate"'))
    with pytest.raises(MXNetError, match="does not precede"):
        mx.sym.load_json(good.replace("[[0, 0, 0], [1, 0, 0], [2, 0, 0]]",
                                      "[[0, 0, 0], [7, 0, 0], [2, 0, 0]]"))
    with pytest.raises(MXNetError, match="expected 3"):
        mx.sym.load_json(good.replace(", [2, 0, 0]]", "]"))


def test_op_parameter_strings():
    data = mx.sym.Variable("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=2, no_bias=True, name="c")
    assert conv.list_attr() == {"kernel": "(3, 3)", "no_bias": "True", "num_filter": "2"}
    c2 = mx.sym.Convolution(data, kernel="[3,3]", num_filter="2", no_bias="true", name="c2")
    assert c2.infer_shape(data=(1, 1, 5, 5))[1] == [(1, 2, 3, 3)]
    with pytest.raises(MXNetError, match="Cannot find argument 'foo'"):
        mx.sym.Activation(data, act_type="relu", foo=1)
    with pytest.raises(MXNetError, match="Required parameter num_hidden"):
        mx.sym.FullyConnected(data)


def test_debug_str():
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc")
    text = net.debug_str()
    assert "Op:FullyConnected, Name=fc" in text and "num_hidden=2" in text


def test_simple_bind_uses_variable_shape_attrs():
    x = mx.sym.Variable("x", shape=(2, 3))
    ex = (x * 2).simple_bind(mx.cpu())
    assert ex.arg_dict["x"].shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (x * 2).infer_shape()[1] == [(2, 3)]


def test_partial_shapes():
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=5, name="fc")
    assert fc.infer_shape_partial(x=(0, 20)) == ([(0, 20), (5, 20), (5,)], [(0, 5)], [])
    with pytest.warns(UserWarning, match=r"x: \(0, 20\)"):
        assert fc.infer_shape(x=(0, 20)) == (None, None, None)
    y = mx.sym.Activation(fc, act_type="relu") + mx.sym.Variable("z")
    args, outs, _ = y.infer_shape_partial(x=(0, 20), z=(3, 0))
    assert args[-1] == (3, 5) and outs == [(3, 5)]
    with pytest.raises(MXNetError, match="Incompatible attr"):
        y.infer_shape_partial(x=(0, 20), z=(3, 4))
