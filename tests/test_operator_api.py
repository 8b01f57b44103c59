"""``mx.operator``'s registry introspection, as MXNet 1.9's operator.py offers it:
``get_all_registered_operators`` (every op name, aliases included) and ``get_operator_arguments``
(inputs and parameters with MXNet's type strings)."""
import mxlite as mx


def test_all_registered_operators():
    ops = mx.operator.get_all_registered_operators()
    assert isinstance(ops, list)
    assert {"Activation", "FullyConnected", "Softmax", "SoftmaxOutput", "erfinv"} <= set(ops)


def test_operator_arguments_of_activation():
    args = mx.operator.get_operator_arguments("Activation")
    assert isinstance(args, mx.operator.OperatorArguments)
    assert args.names == ["data", "act_type"]
    assert args.types == ["NDArray-or-Symbol",
                          "{'relu', 'sigmoid', 'softrelu', 'softsign', 'tanh'}, required"]
    assert args.narg == 2


def test_operator_arguments_with_optional_inputs_and_variadic():
    fc = mx.operator.get_operator_arguments("FullyConnected")
    assert fc.names[:3] == ["data", "weight", "bias"]
    assert "num_hidden" in fc.names and fc.narg == len(fc.names)
    concat = mx.operator.get_operator_arguments("Concat")
    assert concat.names[0] == "data" and concat.types[0] == "NDArray-or-Symbol[]"
    assert "num_args" not in concat.names
