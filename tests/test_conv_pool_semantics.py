"""MXNet behaviours of Convolution, Deconvolution and Pooling that the op database cannot express:
gradient ties, the exact divisor examples of MXNET_SEMANTICS.md §7.4, shape inference through
simple_bind, workspace chunking, float16 accumulation, and backward after an inference forward."""
import numpy as np
import pytest

import mxlite as mx


def _run(sym, args, head=None, is_train=True, dtype="float64"):
    """Bind ``sym`` on cpu, run forward and (with ``head``) backward; outputs and gradients."""
    nd = {k: mx.nd.array(v, dtype=dtype) for k, v in args.items()}
    grads = {k: mx.nd.zeros(v.shape, dtype=dtype) for k, v in args.items()}
    ex = sym.bind(mx.cpu(), nd, args_grad=grads)
    out = ex.forward(is_train=is_train)[0].asnumpy()
    if head is not None:
        ex.backward([mx.nd.array(head, dtype=dtype)])
    return out, {k: g.asnumpy() for k, g in grads.items()}


def _pool(**params):
    return mx.sym.Pooling(mx.sym.Variable("data"), name="pool", **params)


# ----- max-pooling ties: the FIRST maximum of each window gets the gradient -----------------------
def test_max_pool_ties_first_max_only():
    out, g = _run(_pool(kernel=(2, 2), stride=(2, 2)), {"data": np.ones((1, 1, 4, 4))},
                  head=np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(out, np.ones((1, 1, 2, 2)))
    per_window = np.array([[1, 0], [0, 0]])
    np.testing.assert_array_equal(g["data"][0, 0], np.tile(per_window, (2, 2)))


def test_max_pool_ties_overlapping_windows():
    # MXNet 1.9.1 (tests/golden/cases/pool_max_ties_overlap): first max in row-major order
    data = np.array([[1, 2, 2], [2, 1, 2], [0, 2, 1]], dtype=float).reshape(1, 1, 3, 3)
    head = np.array([1.0, 10.0, 100.0, 1000.0]).reshape(1, 1, 2, 2)
    _, g = _run(_pool(kernel=(2, 2)), {"data": data}, head=head)
    np.testing.assert_array_equal(g["data"][0, 0], [[0, 11, 0], [100, 0, 1000], [0, 0, 0]])


def test_global_max_pool_ties():
    _, g = _run(_pool(global_pool=True), {"data": np.full((2, 3, 2, 2), 5.0)},
                head=np.ones((2, 3, 1, 1)))
    np.testing.assert_array_equal(g["data"], np.tile([[1, 0], [0, 0]], (2, 3, 1, 1)))


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_max_pool_ties_low_precision(dtype):
    _, g = _run(_pool(kernel=(2, 2), stride=(2, 2)), {"data": np.ones((1, 2, 2, 4))},
                head=np.ones((1, 2, 1, 2)), dtype=dtype)
    assert g["data"].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(g["data"][0, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])


def test_max_pool_all_negative_padded():
    # padding never wins a max (MXNet pads with the lowest value, not 0)
    out, _ = _run(_pool(kernel=(2, 2), stride=(2, 2), pad=(1, 1)),
                  {"data": -np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)})
    np.testing.assert_array_equal(out[0, 0], [[-1, -2], [-4, -5]])


# ----- avg divisors (MXNET_SEMANTICS.md §7.4) -----------------------------------------------------
@pytest.mark.parametrize("include,corner", [(None, 10 / 9), (True, 10 / 9), (False, 2.5)])
def test_avg_count_include_pad(include, corner):
    params = {} if include is None else {"count_include_pad": include}
    data = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    out, _ = _run(_pool(kernel=(3, 3), pad=(1, 1), pool_type="avg", **params), {"data": data})
    assert out.shape == (1, 1, 4, 4)
    np.testing.assert_allclose(out[0, 0, 0, 0], corner)          # 1.111 vs 2.5
    np.testing.assert_allclose(out[0, 0, 1, 1], data[0, 0, :3, :3].mean())


def test_avg_full_convention_edge():
    data = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    sym = _pool(kernel=(3, 3), stride=(2, 2), pool_type="avg", pooling_convention="full")
    out, _ = _run(sym, {"data": data})
    # MXNet 1.9.1: the window running past the edge is divided by its clipped size, 39 / 6
    np.testing.assert_allclose(out[0, 0], [[5.0, 6.5], [11.0, 12.5]])


def test_pooling_output_shapes():
    data = mx.sym.Variable("data")
    for conv, expected in (("valid", (1, 1, 1, 1)), ("full", (1, 1, 2, 2))):
        sym = mx.sym.Pooling(data, kernel=(3, 3), stride=(2, 2), pooling_convention=conv)
        assert sym.infer_shape(data=(1, 1, 4, 4))[1] == [expected]
    sym = mx.sym.Pooling(data, global_pool=True, pool_type="avg")
    assert sym.infer_shape(data=(2, 5, 7, 3))[1] == [(2, 5, 1, 1)]
    sym = mx.sym.Pooling(data, kernel=(2, 2), stride=(2, 2), layout="NHWC")
    assert sym.infer_shape(data=(2, 6, 4, 3))[1] == [(2, 3, 2, 3)]


# ----- Convolution shapes and auto-created arguments ----------------------------------------------
def test_convolution_output_shape_k3_s2_p1_d2():
    sym = mx.sym.Convolution(mx.sym.Variable("data"), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                             dilate=(2, 2), num_filter=4, name="conv")
    args, outs, aux = sym.infer_shape(data=(2, 3, 9, 9))
    assert outs == [(2, 4, 4, 4)]
    assert dict(zip(sym.list_arguments(), args)) == {
        "data": (2, 3, 9, 9), "conv_weight": (4, 3, 3, 3), "conv_bias": (4,)}
    assert aux == []


def test_simple_bind_fills_grouped_weights():
    data = mx.sym.Variable("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=6, num_group=3, no_bias=True)
    deconv = mx.sym.Deconvolution(conv, kernel=(2, 2), stride=(2, 2), num_filter=4, num_group=2)
    ex = deconv.simple_bind(mx.cpu(), data=(2, 3, 6, 6))
    shapes = {k: v.shape for k, v in ex.arg_dict.items()}
    # Deconvolution's no_bias defaults to True: no deconvolution0_bias
    assert shapes == {"data": (2, 3, 6, 6), "convolution0_weight": (6, 1, 3, 3),
                      "deconvolution0_weight": (6, 2, 2, 2)}
    assert ex.outputs[0].shape == (2, 4, 8, 8)


def test_convolution_int_kernel_is_1d():
    sym = mx.sym.Convolution(mx.sym.Variable("data"), kernel=3, num_filter=2, name="c")
    assert sym.infer_shape(data=(1, 4, 10))[1] == [(1, 2, 8)]


# ----- workspace chunking gives the same numbers --------------------------------------------------
@pytest.mark.parametrize("op", ["Convolution", "Deconvolution"])
def test_workspace_chunks_match(op):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 16, 32, 32))
    kernel = (3, 3)
    weight = rng.standard_normal((8, 16) + kernel if op == "Convolution" else (16, 8) + kernel)
    results = []
    for workspace in (1, 1024):      # 1 MB holds one sample's columns: three chunks
        sym = getattr(mx.sym, op)(mx.sym.Variable("data"), mx.sym.Variable("weight"),
                                  kernel=kernel, num_filter=8, pad=(1, 1), no_bias=True,
                                  workspace=workspace, name="op")
        shape = sym.infer_shape(data=data.shape)[1][0]
        head = np.random.default_rng(1).standard_normal(shape)
        results.append(_run(sym, {"data": data, "weight": weight}, head=head))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-12)
    for name in ("data", "weight"):
        np.testing.assert_allclose(results[0][1][name], results[1][1][name], rtol=1e-12,
                                   atol=1e-10)


# ----- float16 accumulates in float32 -------------------------------------------------------------
def test_float16_accumulates_in_float32():
    # float16 running sums of ones stall at 2048 (2048 + 1 rounds back to 2048)
    data = np.ones((1, 1, 3000))
    conv = mx.sym.Convolution(mx.sym.Variable("data"), mx.sym.Variable("weight"), kernel=(3000,),
                              num_filter=1, no_bias=True)
    out, _ = _run(conv, {"data": data, "weight": np.ones((1, 1, 3000))}, dtype="float16")
    assert out.dtype == np.float16 and out.ravel()[0] == 3000
    for ptype, want in (("sum", 3000), ("avg", 1)):
        out, _ = _run(_pool(kernel=(3000,), pool_type=ptype), {"data": data}, dtype="float16")
        assert out.ravel()[0] == want


# ----- backward after forward(is_train=False) is right (MXNet's MKLDNN max pooling is not) --------
def test_backward_after_inference_forward():
    rng = np.random.default_rng(3)
    data = rng.permutation(32).reshape(1, 2, 4, 4).astype(float)
    sym = mx.sym.Pooling(mx.sym.Convolution(mx.sym.Variable("data"), mx.sym.Variable("w"),
                                            kernel=(1, 1), num_filter=2, no_bias=True),
                         kernel=(2, 2), stride=(2, 2))
    args = {"data": data, "w": np.eye(2).reshape(2, 2, 1, 1)}
    head = np.ones((1, 2, 2, 2))
    _, train = _run(sym, args, head=head, is_train=True)
    _, infer = _run(sym, args, head=head, is_train=False)
    for name in args:
        np.testing.assert_array_equal(infer[name], train[name])
    assert train["data"].sum() == 8 and set(np.unique(train["data"])) == {0.0, 1.0}


def test_errors_name_op_argument_and_shapes():
    conv = mx.sym.Convolution(mx.sym.Variable("data"), kernel=(5, 5), num_filter=2, name="c0")
    with pytest.raises(mx.base.MXNetError, match="Error in operator c0.*kernel size exceed input"):
        conv.infer_shape(data=(1, 1, 3, 3))
    pool = mx.sym.Pooling(mx.sym.Variable("data"), kernel=(5, 5), name="p0")
    with pytest.raises(mx.base.MXNetError,
                       match=r"Error in operator p0.*kernel size \(5\) exceeds input \(3 padded"):
        pool.infer_shape(data=(1, 1, 3, 3))
    with pytest.raises(mx.base.MXNetError, match="stride must have the same number"):
        mx.sym.Convolution(mx.sym.Variable("data"), kernel=(3, 3), stride=(1,), num_filter=2)
