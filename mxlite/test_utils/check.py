"""Symbol checks for ``mx.test_utils``: forward/backward against expectations, numeric gradients.

Behaviour, arguments and messages follow MXNet 1.9.x python/mxnet/test_utils.py; everything here is
re-exported by :mod:`mxlite.test_utils`.
"""
import time
from collections import OrderedDict

import numpy as np

from ..context import current_context
from .compare import assert_almost_equal, default_numeric_eps, get_tolerance

__all__ = ["simple_forward", "numeric_grad", "check_numeric_gradient", "check_symbolic_forward",
           "check_symbolic_backward", "check_speed"]

_FLOAT_TYPES = (np.float16, np.float32, np.float64)


def _nd():
    from .. import ndarray
    return ndarray


def _sorted_items(d):
    """Items of ``d`` sorted by key: random draws happen in this order, for reproducibility."""
    return sorted(d.items(), key=lambda t: t[0])


def _check_dtype(dtype):
    assert dtype == "asnumpy" or dtype in _FLOAT_TYPES, \
        f"dtype must be 'asnumpy', np.float16, np.float32 or np.float64, got {dtype!r}"


def _to_nd(value, ctx, dtype):
    """numpy -> NDArray on ``ctx`` (dtype ``"asnumpy"`` keeps the numpy dtype); others as is."""
    if isinstance(value, np.ndarray):
        return _nd().array(value, ctx=ctx, dtype=value.dtype if dtype == "asnumpy" else dtype)
    return value


def _parse_location(sym, location, ctx, dtype=np.float32):
    """Argument values (list in ``list_arguments()`` order, or dict by name) as an OrderedDict
    of NDArrays sorted by name."""
    assert isinstance(location, (dict, list, tuple)), "location must be a list, tuple or dict"
    _check_dtype(dtype)
    if isinstance(location, dict):
        if set(location.keys()) != set(sym.list_arguments()):
            raise ValueError("Symbol arguments and keys of the given location do not match."
                             "symbol args:%s, location.keys():%s"
                             % (str(set(sym.list_arguments())), str(set(location.keys()))))
    else:
        location = dict(zip(sym.list_arguments(), location, strict=False))
    location = {k: _to_nd(v, ctx, dtype) for k, v in location.items()}
    return OrderedDict(_sorted_items(location))


def _parse_aux_states(sym, aux_states, ctx, dtype=np.float32):
    """Aux state values (list or dict; all required) as a dict of NDArrays, or None."""
    _check_dtype(dtype)
    if aux_states is None:
        return None
    if isinstance(aux_states, dict):
        if set(aux_states.keys()) != set(sym.list_auxiliary_states()):
            raise ValueError("Symbol aux_states names and given aux_states do not match."
                             "symbol aux_names:%s, aux_states.keys:%s"
                             % (str(set(sym.list_auxiliary_states())),
                                str(set(aux_states.keys()))))
    elif isinstance(aux_states, (list, tuple)):
        aux_states = dict(zip(sym.list_auxiliary_states(), aux_states, strict=False))
    return {k: _nd().array(v, ctx=ctx, dtype=v.dtype if dtype == "asnumpy" else dtype)
            for k, v in aux_states.items()}


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Bind ``sym`` to numpy ``inputs`` (by argument name), run forward, return numpy output(s).

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        One array for a single output, else a list.
    """
    ctx = ctx or current_context()
    # MXNet creates the arrays on the default context; creating them on ``ctx`` is the same
    # there and lets a non-default ctx bind.
    inputs = {k: _nd().array(v, ctx=ctx) for k, v in inputs.items()}
    exe = sym.bind(ctx, args=inputs)
    exe.forward(is_train=is_train)
    outputs = [x.asnumpy() for x in exe.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32):
    """Central-difference gradient of ``sum(outputs[0])`` w.r.t. every float argument in
    ``location``.

    Each element is moved by ``+eps/2`` and ``-eps/2`` *in the array's own dtype* (so float32
    rounding of the perturbed input is part of the result, as in MXNet), aux states are restored
    before each forward, and the argument is restored at the end.

    Parameters
    ----------
    executor : Executor
    location : dict of str -> numpy.ndarray
        Values of the arguments to differentiate (modified in place while running, then
        restored).
    aux_states : dict of str -> numpy.ndarray, optional
    eps : float
    use_forward_train : bool
        ``is_train`` of the forward passes.
    dtype : np.float16, np.float32 or np.float64
        dtype the perturbed values are written with.

    Returns
    -------
    dict of str -> numpy.ndarray
        Zeros for non-float arguments.
    """
    assert dtype in _FLOAT_TYPES
    arg_dict = executor.arg_dict

    def write(k, v):
        # MXNet writes cast_storage(nd.array(v, dtype), 'default'): a dense cast, then a copy
        arg_dict[k][:] = np.asarray(v).astype(dtype)

    def restore_aux():
        if aux_states is not None:
            for key, val in aux_states.items():
                executor.aux_dict[key][:] = np.asarray(val).astype(dtype)

    approx_grads = {k: np.zeros(v.shape, dtype=dtype) for k, v in location.items()}
    for k, v in location.items():
        write(k, v)
    for k in location:
        location[k] = np.asarray(location[k], order="C")
    for k, v in location.items():
        if v.dtype.kind != "f":
            continue
        old_value = v.copy()
        flat = v.reshape(-1)  # a view: C order was forced above
        for i in range(flat.size):
            flat[i] += eps / 2.0
            write(k, v)
            restore_aux()
            executor.forward(is_train=use_forward_train)
            f_peps = executor.outputs[0].asnumpy()
            flat[i] -= eps
            write(k, v)
            restore_aux()
            executor.forward(is_train=use_forward_train)
            f_neps = executor.outputs[0].asnumpy()
            approx_grads[k].reshape(-1)[i] = (f_peps - f_neps).sum() / eps
            flat[i] = old_value.reshape(-1)[i]
        write(k, old_value)
    return approx_grads


def _random_projection(shape):
    # not too small, or the finite difference loses too much precision
    return np.random.rand(*shape) + 0.1


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None,
                           atol=None, grad_nodes=None, use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Check the backward pass of ``sym`` against finite differences.

    The loss is ``make_loss(sym * __random_proj)`` with a random projection in [0.1, 1.1);
    symbolic gradients are compared with :func:`numeric_grad` using names ``NUMERICAL_<arg>`` /
    ``BACKWARD_<arg>``.

    Parameters
    ----------
    sym : Symbol
        Single-output symbol.
    location : list or dict of numpy.ndarray
        Values of all arguments.
    aux_states : list or dict, optional
    numeric_eps : float or dict of dtype -> float, optional
        Finite-difference step (default: 2**-9 for float32, 2**-6 float16, 2**-14 float64).
    rtol, atol : float, optional
    grad_nodes : None, list/tuple of names, or dict name -> grad_req
        None checks every argument with 'write'; 'add' compares the accumulated part; 'null'
        checks the buffer is untouched.
    use_forward_train : bool
    ctx : Context, optional
    grad_stype_dict : dict, optional
        Only 'default' storage exists in mxlite; other entries are ignored.
    dtype : np.float16, np.float32 or np.float64
    """
    from .. import symbol as sym_mod
    assert dtype in _FLOAT_TYPES
    ctx = ctx or current_context()
    location = _parse_location(sym=sym, location=location, ctx=ctx, dtype=dtype)
    location_npy = {k: v.asnumpy() for k, v in location.items()}
    aux_states = _parse_aux_states(sym=sym, aux_states=aux_states, ctx=ctx, dtype=dtype)
    aux_states_npy = (None if aux_states is None
                      else {k: v.asnumpy() for k, v in aux_states.items()})
    if grad_nodes is None:
        grad_nodes = sym.list_arguments()
        grad_req = {k: "write" for k in grad_nodes}
    elif isinstance(grad_nodes, (list, tuple)):
        grad_nodes = list(grad_nodes)
        grad_req = {k: "write" for k in grad_nodes}
    elif isinstance(grad_nodes, dict):
        grad_req = grad_nodes.copy()
        grad_nodes = list(grad_nodes.keys())
    else:
        raise ValueError(f"grad_nodes must be None, a list/tuple of names or a dict, "
                         f"got {type(grad_nodes).__name__}")

    input_shape = {k: v.shape for k, v in location.items()}
    _, out_shape, _ = sym.infer_shape(**input_shape)
    proj = sym_mod.Variable("__random_proj")
    # broadcast_mul (same shapes, same values as ``*``) is never fused: the projection must not
    # merge into the checked symbol's last op, whose own backward is what is being checked
    out = sym_mod.make_loss(sym_mod.broadcast_mul(sym, proj))

    proj_value = _nd().array(_random_projection(out_shape[0]), ctx=ctx, dtype=dtype)
    location = dict(list(location.items()) + [("__random_proj", proj_value)])
    args_grad_npy = dict([(k, np.random.normal(0, 0.01, size=location[k].shape))
                          for k in grad_nodes]
                         + [("__random_proj", np.random.normal(0, 0.01, size=out_shape[0]))])
    args_grad = {k: _nd().array(v, ctx=ctx, dtype=dtype) for k, v in args_grad_npy.items()}

    executor = out.bind(ctx, grad_req=grad_req, args=location, args_grad=args_grad,
                        aux_states=aux_states)
    if len(executor.arg_arrays) != len(location):
        raise ValueError("Executor arg_arrays and and location len do not match."
                         "Got %d inputs and %d locations"
                         % (len(executor.arg_arrays), len(location)))
    assert len(executor.outputs) == 1, "check_numeric_gradient needs a single-output symbol"

    executor.forward(is_train=True)
    eps = get_tolerance(executor.outputs[0], numeric_eps, default_numeric_eps())
    if dtype in (np.float32, np.float16):
        # finite differences with a tiny step need more precision than these types have
        assert eps >= 1e-5, f"numeric_eps {eps} is too small for {np.dtype(dtype).name}"
    executor.backward()
    symbolic_grads = executor.grad_dict

    numeric_gradients = numeric_grad(
        executor, {k: v for k, v in location_npy.items() if k in grad_req},
        aux_states_npy, eps=eps, use_forward_train=use_forward_train, dtype=dtype)

    for name in grad_nodes:
        fd_grad = numeric_gradients[name]
        orig_grad = args_grad_npy[name]
        sym_grad = symbolic_grads[name]
        names = ("NUMERICAL_%s" % name, "BACKWARD_%s" % name)
        if grad_req[name] == "write":
            assert_almost_equal(fd_grad, sym_grad, rtol, atol, names)
        elif grad_req[name] == "add":
            assert_almost_equal(fd_grad, sym_grad.asnumpy() - orig_grad, rtol, atol, names)
        elif grad_req[name] == "null":
            assert_almost_equal(orig_grad, sym_grad, rtol, atol, names)
        else:
            raise ValueError("Invalid grad_req %s for argument %s" % (grad_req[name], name))


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Compare ``sym``'s inference outputs with ``expected``.

    Parameters
    ----------
    sym : Symbol
    location : list or dict of numpy.ndarray
        Values of all arguments.
    expected : list of numpy.ndarray (output order) or dict by output name
    rtol, atol : float, optional
    aux_states : list or dict, optional
    ctx : Context, optional
    equal_nan : bool
    dtype : 'asnumpy', np.float16, np.float32 or np.float64
        dtype the inputs are created with ('asnumpy' keeps each numpy array's dtype).

    Returns
    -------
    list of NDArray
        ``executor.outputs``.

    Raises
    ------
    AssertionError
        Names in the message are ``EXPECTED_<output>`` / ``FORWARD_<output>``.
    """
    _check_dtype(dtype)
    ctx = ctx or current_context()
    location = _parse_location(sym=sym, location=location, ctx=ctx, dtype=dtype)
    aux_states = _parse_aux_states(sym=sym, aux_states=aux_states, ctx=ctx, dtype=dtype)
    if isinstance(expected, dict):
        expected = [expected[k] for k in sym.list_outputs()]
    args_grad_data = {k: _nd().zeros(v.shape, ctx=ctx,
                                     dtype=v.dtype if dtype == "asnumpy" else dtype)
                      for k, v in location.items()}
    # MXNet binds with grad_req 'write' but never runs backward here; 'null' gives the same
    # outputs and lets ops that refuse some gradient at bind in mxlite (Embedding's data, which
    # MXNet only rejects once backward runs) be checked forward
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad_data, grad_req="null",
                        aux_states=aux_states)
    executor.forward(is_train=False)
    outputs = executor.outputs
    for output_name, expect, output in zip(sym.list_outputs(), expected, outputs, strict=False):
        assert_almost_equal(expect, output, rtol, atol,
                            ("EXPECTED_%s" % output_name, "FORWARD_%s" % output_name),
                            equal_nan=equal_nan)
    return executor.outputs


def _convert_out_grads(out_grads, ctx, dtype):
    if isinstance(out_grads, (tuple, list)):
        return [_to_nd(arr, ctx, dtype) for arr in out_grads]
    if isinstance(out_grads, dict):
        return {k: _to_nd(v, ctx, dtype) for k, v in out_grads.items()}
    assert out_grads is None, "out_grads must be a list, tuple, dict or None"
    return None


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req="write", ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Compare ``sym``'s gradients with ``expected`` after ``forward(is_train=True)`` and
    ``backward(out_grads)``.

    Gradient buffers are made only for the names in ``expected`` and pre-filled with
    ``np.random.normal`` values drawn in sorted-name order (so a seeded caller is reproducible).
    'write' compares the buffer, 'add' the buffer minus its initial value, 'null' checks the
    buffer still holds its initial value.

    Parameters
    ----------
    sym : Symbol
    location : list or dict of numpy.ndarray
    out_grads : None, or list/tuple (output order) or dict by output name
        numpy.ndarray or NDArray head gradients; None for loss symbols.
    expected : list (argument order, may be shorter) or dict by argument name
        numpy.ndarray expected gradients.
    rtol, atol : float, optional
    aux_states : list or dict, optional
    grad_req : str, list or dict
    ctx : Context, optional
    grad_stypes : dict, optional
        Only 'default' storage exists in mxlite; a sparse entry raises MXNetError.
    equal_nan : bool
    dtype : 'asnumpy', np.float16, np.float32 or np.float64

    Returns
    -------
    dict of str -> NDArray
        The gradient buffers by argument name.

    Raises
    ------
    AssertionError
        Names in the message are ``EXPECTED_<arg>`` / ``BACKWARD_<arg>``.
    """
    from ..base import MXNetError
    _check_dtype(dtype)
    ctx = ctx or current_context()
    location = _parse_location(sym=sym, location=location, ctx=ctx, dtype=dtype)
    aux_states = _parse_aux_states(sym=sym, aux_states=aux_states, ctx=ctx, dtype=dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(sym.list_arguments(), expected, strict=False))
    # dirty the gradient buffers deterministically, for reproducibility
    args_grad_npy = {k: np.random.normal(size=v.shape) for k, v in _sorted_items(expected)}
    args_grad_data = {}
    for k, v in args_grad_npy.items():
        stype = (grad_stypes or {}).get(k)
        if stype not in (None, "default"):
            raise MXNetError(f"check_symbolic_backward: gradient storage type {stype!r} of {k} "
                             f"is not supported by mxlite (dense 'default' only)")
        args_grad_data[k] = _nd().array(
            v, ctx=ctx, dtype=expected[k].dtype if dtype == "asnumpy" else dtype)
    if isinstance(grad_req, str):
        grad_req = {k: grad_req for k in sym.list_arguments()}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(sym.list_arguments(), grad_req, strict=False))

    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad_data,
                        aux_states=aux_states, grad_req=grad_req)
    executor.forward(is_train=True)
    executor.backward(_convert_out_grads(out_grads, ctx, dtype))

    grads = args_grad_data
    for name in expected:
        names = ("EXPECTED_%s" % name, "BACKWARD_%s" % name)
        if grad_req[name] == "write":
            assert_almost_equal(expected[name], grads[name], rtol, atol, names,
                                equal_nan=equal_nan)
        elif grad_req[name] == "add":
            # a float64 difference: the initial values are the float64 draws, as in MXNet
            assert_almost_equal(expected[name], grads[name].asnumpy() - args_grad_npy[name],
                                rtol, atol, names, equal_nan=equal_nan)
        elif grad_req[name] == "null":
            assert_almost_equal(args_grad_npy[name], grads[name], rtol, atol, names,
                                equal_nan=equal_nan)
        else:
            raise ValueError("Invalid grad_req %s for argument %s" % (grad_req[name], name))
    return args_grad_data


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ="whole", **kwargs):
    """Seconds per iteration of ``sym``.

    Parameters
    ----------
    sym : Symbol
    location : dict of str -> numpy.ndarray, optional
        Argument values; random normal values of the shapes in ``kwargs`` when None.
    ctx : Context, optional
    N : int
        Timed iterations (after one warm-up).
    grad_req : str, list or dict, optional
        Default 'write'.
    typ : {'whole', 'forward'}
        'whole' times ``forward(is_train=True)`` + ``backward(out_grads=outputs)``; 'forward'
        times inference.
    **kwargs
        Shapes for ``simple_bind``.

    Returns
    -------
    float
    """
    ctx = ctx or current_context()
    grad_req = "write" if grad_req is None else grad_req
    if location is None:
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx, **kwargs)
        location = {k: np.random.normal(size=arr.shape, scale=1.0)
                    for k, arr in exe.arg_dict.items()}
    else:
        assert isinstance(location, dict), 'Expect dict, get "location"=%s' % str(location)
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx,
                              **{k: v.shape for k, v in location.items()})
    for name, iarr in location.items():
        exe.arg_dict[name][:] = iarr.astype(exe.arg_dict[name].dtype)

    if typ == "whole":
        exe.forward(is_train=True)
        exe.backward(out_grads=exe.outputs)
        for output in exe.outputs:
            output.wait_to_read()
        tic = time.time()
        for _ in range(N):
            exe.forward(is_train=True)
            exe.backward(out_grads=exe.outputs)
        _nd().waitall()
        return (time.time() - tic) * 1.0 / N
    if typ == "forward":
        exe.forward(is_train=False)
        for output in exe.outputs:
            output.wait_to_read()
        tic = time.time()
        for _ in range(N):
            exe.forward(is_train=False)
        _nd().waitall()
        return (time.time() - tic) * 1.0 / N
    raise ValueError('typ can only be "whole" or "forward".')
