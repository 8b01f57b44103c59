"""cpu and gpu agree on the softmax family's edge cases that once split them, each decided
against MXNet 1.9.x (src/operator/nn/softmax-inl.h, src/operator/softmax_output-inl.h, mshadow's
SoftmaxGrad / SmoothSoftmaxGrad):

- fractional labels: ignore_label and the 'valid' count compare static_cast<int> of the label,
  so label 1.6 is ignored with ignore_label 1 (MXNet; the NumPy path compared raw floats);
- a zero-length softmax axis gives an empty result on both (NumPy raised ValueError);
- a negative temperature is computed stably on both (the kernel overflowed to NaN; MXNet does
  too, a silent wrong value we do not reproduce);
- one class with smooth_alpha: alpha / (K - 1) = inf, so -inf away from the label, as in MXNet;
- a NaN in a row makes the whole row NaN (the kernels dropped it when it came first).

The cpu-only tests hold values printed by MXNet 1.9.1 (pip mxnet==1.9.1, CPU build; its MKLDNN
softmax gives [nan, 0, 0, 0] for the NaN row, MXNET_MKLDNN_ENABLED=0 the all-NaN row of
softmax-inl.h), e.g.::

    d, l = mx.sym.Variable("d"), mx.sym.Variable("l")
    s = mx.sym.SoftmaxOutput(d, l, ignore_label=1, use_ignore=True, normalization="valid")
    ex = s.simple_bind(mx.cpu(), d=(6, 4), type_dict={"d": "float16", "l": "float16"})
    ex.arg_dict["d"][:] = np.arange(24).reshape(6, 4) / 10
    ex.arg_dict["l"][:] = np.array([1, 1.6, 2, -1, 7, 0.4])
    ex.forward(is_train=True); ex.backward(); print(ex.grad_dict["d"])

The gpu-marked ones compare the contexts (on CI the real kernels run through tests/cuda_on_cpu).
"""
import numpy as np
import pytest

import mxlite as mx

FRACTIONAL_LABELS = [1, 1.6, 2, -1, 7, 0.4]
# MXNet 1.9.1: SoftmaxOutput(ignore_label=1, use_ignore=True, normalization='valid') on data
# arange(24).reshape(6, 4) / 10 with the labels above.
MXNET_FRACTIONAL_GRAD = {
    "float32": [[0, 0, 0, 0], [0, 0, 0, 0],
                [0.05345955, 0.05908195, -0.18470436, 0.07216285],
                [0.05345956, 0.05908194, 0.06529564, 0.07216285],
                [0.05345956, 0.05908195, 0.06529564, 0.07216285],
                [-0.19654045, 0.05908194, 0.06529565, 0.07216285]],
    "float16": [[0, 0, 0, 0], [0, 0, 0, 0],
                [0.05344, 0.05908, -0.1847, 0.07214],
                [0.05344, 0.05905, 0.0653, 0.07214],
                [0.05344, 0.05908, 0.0653, 0.0722],
                [-0.1965, 0.05908, 0.06525, 0.0722]],
}
TOL = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-6}


def run(ctx, net, inputs, dtype, head=None):
    """Forward (train) and backward of ``net``; outputs and the gradient of 'data'."""
    args = {k: mx.nd.array(v, ctx=ctx, dtype=dtype) for k, v in inputs.items()}
    grads = {"data": mx.nd.array(np.zeros(inputs["data"].shape), ctx=ctx, dtype=dtype)}
    ex = net.bind(ctx, args, args_grad=grads, grad_req={k: "write" if k == "data" else "null"
                                                         for k in inputs})
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward(None if head is None else mx.nd.array(head, ctx=ctx, dtype=dtype))
    return out, grads["data"].asnumpy()


def softmax_output(**kw):
    return mx.sym.SoftmaxOutput(mx.sym.Variable("data"), mx.sym.Variable("label"), **kw)


def fractional_inputs():
    return {"data": np.arange(24.0).reshape(6, 4) / 10, "label": np.array(FRACTIONAL_LABELS)}


# ---- cpu against MXNet's values -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_fractional_labels_match_mxnet_on_cpu(dtype):
    net = softmax_output(ignore_label=1, use_ignore=True, normalization="valid")
    _, grad = run(mx.cpu(), net, fractional_inputs(), dtype)
    np.testing.assert_allclose(grad, MXNET_FRACTIONAL_GRAD[dtype], atol=TOL[dtype], rtol=0)


@pytest.mark.parametrize("label,expected", [(0.0, 0.2), (0.5, 0.2), (1.0, -np.inf),
                                            (-1.0, -np.inf)])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_one_class_smoothing_matches_mxnet_on_cpu(dtype, label, expected):
    net = softmax_output(smooth_alpha=0.2)
    _, grad = run(mx.cpu(), net, {"data": np.full((1, 1), 0.3), "label": np.array([label])},
                  dtype)
    np.testing.assert_allclose(grad, [[expected]], rtol=1e-3)


def test_nan_row_is_all_nan_on_cpu():
    x = np.array([[np.nan, 1, 2, 3], [1, 2, 3, 4]])
    for op in (mx.nd.softmax, mx.nd.log_softmax, mx.nd.softmin):
        out = op(mx.nd.array(x)).asnumpy()
        assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


@pytest.mark.parametrize("shape,axis", [((3, 0), -1), ((0, 4), 0), ((2, 0, 3), 1)])
def test_zero_length_axis_on_cpu(shape, axis):
    for op in (mx.nd.softmax, mx.nd.log_softmax, mx.nd.softmin):
        assert op(mx.nd.array(np.zeros(shape)), axis=axis, temperature=2.0).shape == shape


# ---- cpu against gpu ----------------------------------------------------------------------------

def both(net, inputs, dtype, head=None):
    cpu = run(mx.cpu(), net, inputs, dtype, head)
    gpu = run(mx.gpu(0), net, inputs, dtype, head)
    return cpu, gpu


def assert_same(cpu, gpu, dtype, what):
    for a, b, part in zip(cpu, gpu, ("forward", "backward")):
        np.testing.assert_allclose(b, a, rtol=TOL[dtype] * 10, atol=TOL[dtype],
                                   err_msg=f"{what} {part}")


@pytest.mark.gpu
@pytest.mark.parametrize("normalization", ["null", "batch", "valid"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_fractional_labels_cpu_vs_gpu(dtype, normalization):
    for use_ignore in (False, True):
        net = softmax_output(ignore_label=1, use_ignore=use_ignore, normalization=normalization)
        assert_same(*both(net, fractional_inputs(), dtype), dtype,
                    f"use_ignore={use_ignore}")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_one_class_smoothing_cpu_vs_gpu(dtype):
    net = softmax_output(smooth_alpha=0.2)
    inputs = {"data": np.full((4, 1), 0.3), "label": np.array([0.0, 0.5, 1.0, -1.0])}
    cpu, gpu = both(net, inputs, dtype)
    assert_same(cpu, gpu, dtype, "one class")
    assert np.isneginf(gpu[1][2:]).all()


@pytest.mark.gpu
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape,axis", [((3, 0), -1), ((0, 4), 0), ((2, 0, 3), 1)])
def test_zero_length_axis_cpu_vs_gpu(shape, axis, op):
    # Symbols treat a 0 dimension as unknown (MXNet's legacy shapes): imperative ops only.
    for ctx in (mx.cpu(), mx.gpu(0)):
        x = mx.nd.array(np.zeros(shape), ctx=ctx)
        out = getattr(mx.nd, op)(x, axis=axis, temperature=0.5)
        assert out.shape == shape and out.context == ctx


@pytest.mark.gpu
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_negative_temperature_cpu_vs_gpu(dtype, op):
    data = np.random.default_rng(0).standard_normal((6, 40)) * 30
    net = getattr(mx.sym, op)(mx.sym.Variable("data"), temperature=-0.5)
    head = np.random.default_rng(1).standard_normal((6, 40))
    cpu, gpu = both(net, {"data": data}, dtype, head)
    assert np.isfinite(cpu[0]).all() and np.isfinite(gpu[0]).all()
    tol = {"float16": 5e-2, "float32": 1e-4, "float64": 1e-9}[dtype]
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol * np.abs(a).max())


@pytest.mark.gpu
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin", "SoftmaxOutput"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_rows_cpu_vs_gpu(dtype, op):
    data = np.random.default_rng(2).standard_normal((40, 37))
    data[::3, 0] = np.nan  # first value of lane 0 / of the first vector
    data[1::3, 17] = np.nan
    if op == "SoftmaxOutput":
        net = softmax_output()
        inputs = {"data": data, "label": np.zeros(40)}
    else:
        net = getattr(mx.sym, op)(mx.sym.Variable("data"))
        inputs = {"data": data}
    cpu_out, _ = run(mx.cpu(), net, inputs, dtype, None if op == "SoftmaxOutput" else data)
    gpu_out, _ = run(mx.gpu(0), net, inputs, dtype, None if op == "SoftmaxOutput" else data)
    assert np.isnan(gpu_out[::3]).all() and np.isnan(gpu_out[1::3]).all()
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=TOL[dtype] * 10, atol=TOL[dtype])


@pytest.mark.gpu
def test_asarray_copies_host_data():
    """cupy.asarray of a host array is a transfer (a copy), on the emulated device as on a GPU."""
    import cupy
    host = np.arange(4.0)
    dev = cupy.asarray(host)
    host[0] = 7.0
    assert float(dev[0]) == 0.0
    assert cupy.asarray(dev) is dev
