"""The CUDA kernel launchers of ``mxlite.ops.softmax_cuda`` / ``fully_connected_cuda`` against
NumPy float64 references.

Every launcher, float16/32/64, shapes chosen to hit each code path: one column, rows shorter than
a warp, rows not a multiple of the vector width (scalar loads), misaligned rows, warp-per-row
(<= 1024 columns) and block-per-row layouts, rows longer than the register cache (streamed tail),
middle-axis softmax, use_length, temperature, softmin, SoftmaxOutput's normalisations, ignore
label, label smoothing and odd labels, and the FullyConnected bias reduction over one or many row
chunks; then shapes where every block loops over several rows (hundreds of rows, rows longer than
a block), NaN/inf rows, negative temperatures, every SoftmaxOutput parameter combination and more
than a warp of labels. The references are written from MXNET_SEMANTICS.md, independently of the
kernels. Marked ``gpu``: on a device, or on the CPU through the emulated CuPy, which executes the
real kernels with tests/cuda_on_cpu (``PYTHONPATH=tests/emulated_gpu pytest -m gpu``); skipped
otherwise. ``tests/cuda_on_cpu/mutate.py`` checks that these tests catch known-bad kernel edits.
"""
import os

import numpy as np
import pytest


def _gpu_available():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


_HAVE_GPU = _gpu_available()
pytestmark = [
    pytest.mark.gpu,
    # Without a GPU skip, unless MXLITE_REQUIRE_GPU=1 asks conftest to fail these instead.
    pytest.mark.skipif(not _HAVE_GPU and os.environ.get("MXLITE_REQUIRE_GPU") != "1",
                       reason="needs CuPy and a CUDA device"),
]

DTYPES = ["float16", "float32", "float64"]
TOLS = {"float16": (1e-2, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}
# 1: single column; 7, 33: shorter / not a multiple of the vector width; 64: vector loads in the
# warp path; 1023/1025: either side of the warp/block switch; 4097: block, scalar loads; 5000:
# block, vector loads; 20000: longer than the register cache, so the tail is streamed.
COLS = [1, 7, 33, 64, 1023, 1025, 4097, 5000, 20000]
SOFTMAX_OPS = ["softmax", "log_softmax", "softmin"]


def softmax_cuda():
    from mxlite.ops import softmax_cuda as module
    return module


def fc_cuda():
    from mxlite.ops import fully_connected_cuda as module
    return module


def to_gpu(a):
    import cupy
    return cupy.asarray(a)


def to_cpu(a):
    import cupy
    return cupy.asnumpy(a).astype(np.float64)


def assert_close(actual, expected, dtype, what, scale=1.0):
    rtol, atol = TOLS[dtype]
    np.testing.assert_allclose(to_cpu(actual), expected, rtol=rtol, atol=atol * scale,
                               err_msg=what)


def random(shape, dtype, seed, scale=3.0):
    """Values rounded to ``dtype``; references use exactly these values in float64."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


# --------------------------------------------------------------------------------------------
# References (float64)

def softmax_ref(x, axis=-1, temperature=1.0, length=None, log=False, negate=False):
    """Plain float64 softmax of x / T: NaN anywhere in a row (or x - max = inf - inf, from +inf
    or an all -inf row) makes the whole row NaN, as in NumPy and MXNet."""
    x = np.moveaxis(x.astype(np.float64), axis, -1) * (-1.0 if negate else 1.0)
    out = np.zeros_like(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        for idx in np.ndindex(x.shape[:-1]):
            n = x.shape[-1] if length is None else int(np.clip(length[idx], 0, x.shape[-1]))
            if n:
                z = x[idx][:n] / temperature
                z = z - z.max()
                lse = np.log(np.exp(z).sum())
                out[idx][:n] = z - lse if log else np.exp(z - lse)
    return np.moveaxis(out, -1, axis)


def softmax_grad_ref(y, g, axis=-1, temperature=1.0, length=None, log=False, negate=False):
    y = np.moveaxis(y.astype(np.float64), axis, -1)
    g = np.moveaxis(g.astype(np.float64), axis, -1)
    dx = np.zeros_like(y)
    for idx in np.ndindex(y.shape[:-1]):
        n = y.shape[-1] if length is None else int(np.clip(length[idx], 0, y.shape[-1]))
        yy, gg = y[idx][:n], g[idx][:n]
        r = gg - np.exp(yy) * gg.sum() if log else yy * (gg - (gg * yy).sum())
        dx[idx][:n] = r / temperature * (-1.0 if negate else 1.0)
    return np.moveaxis(dx, -1, axis)


def softmax_output_grad_ref(prob, label, grad_scale, ignore_label, use_ignore, normalization,
                            multi_output, smooth_alpha):
    """MXNET_SEMANTICS.md 7.1 and section 0 #4/#5."""
    prob = np.asarray(prob)
    p = prob.astype(np.float64)
    p3 = p.reshape(p.shape[0], p.shape[1], -1) if multi_output else p[:, :, None]
    n, k, s = p3.shape
    labels = np.trunc(label.astype(np.float64).reshape(n, s))
    grad = p3.copy()
    alpha = 0.0 if multi_output else smooth_alpha  # MXNet ignores smoothing with multi_output
    for i in range(n):
        for j in range(s):
            lab = labels[i, j]
            if use_ignore and lab == int(ignore_label):
                grad[i, :, j] = 0.0
                continue
            if alpha:
                grad[i, :, j] -= alpha / (k - 1)
            if 0 <= lab < k:
                grad[i, int(lab), j] += (alpha / (k - 1) if alpha else 0.0) - 1.0 + alpha
    if normalization == "valid":
        denom = max(1, int((labels != int(ignore_label)).sum()))
    elif normalization == "batch":
        denom = n * s
    else:
        denom = s if multi_output else 1
    return (grad * grad_scale / denom).reshape(prob.shape)


ACTS = {
    None: (lambda x: x, lambda y: np.ones_like(y)),
    "relu": (lambda x: np.maximum(x, 0), lambda y: (y > 0).astype(np.float64)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda y: y * (1 - y)),
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "softrelu": (lambda x: np.log1p(np.exp(x)), lambda y: -np.expm1(-y)),
}


# --------------------------------------------------------------------------------------------
# softmax / log_softmax / softmin

def _launch_softmax(x, op, **kw):
    return softmax_cuda().softmax_forward(to_gpu(x), log=op == "log_softmax",
                                  negate=op == "softmin", **kw)


@pytest.mark.parametrize("op", SOFTMAX_OPS)
@pytest.mark.parametrize("cols", COLS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_last_axis(dtype, cols, op):
    x = random((5, cols), dtype, cols)
    log, negate = op == "log_softmax", op == "softmin"
    y = _launch_softmax(x, op, axis=-1)
    expected = softmax_ref(x, log=log, negate=negate)
    assert_close(y, expected, dtype, f"{op} forward")
    y_in = expected.astype(dtype)
    g = random((5, cols), dtype, cols + 1, scale=1.0)
    dx = softmax_cuda().softmax_backward(to_gpu(y_in), to_gpu(g), -1, log=log, negate=negate)
    assert_close(dx, softmax_grad_ref(y_in, g, log=log, negate=negate), dtype, f"{op} backward")


@pytest.mark.parametrize("op", SOFTMAX_OPS)
@pytest.mark.parametrize("cols", [33, 64, 1025, 5000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_temperature_and_length(dtype, cols, op):
    rows = 6
    x = random((rows, cols), dtype, 7)
    length = np.array([0, 1, cols // 2, cols - 1, cols, cols + 3], dtype=np.int32)
    log, negate = op == "log_softmax", op == "softmin"
    y = _launch_softmax(x, op, axis=1, temperature=2.5, length=to_gpu(length))
    expected = softmax_ref(x, 1, 2.5, length, log, negate)
    assert_close(y, expected, dtype, f"{op} forward with length")
    g = random((rows, cols), dtype, 8, scale=1.0)
    y_in = expected.astype(dtype)
    dx = softmax_cuda().softmax_backward(to_gpu(y_in), to_gpu(g), 1, 2.5,
                                         to_gpu(length.astype(np.int64)), log=log, negate=negate)
    assert_close(dx, softmax_grad_ref(y_in, g, 1, 2.5, length, log, negate), dtype,
                 f"{op} backward with length")


@pytest.mark.parametrize("shape,axis", [((2, 37, 5), 1), ((3, 4, 2, 6), 1), ((40, 3, 2), 0),
                                        ((2, 50, 3), -2), ((1, 1, 7), 1)],
                         ids=["2x37x5-1", "3x4x2x6-1", "40x3x2-0", "2x50x3-m2", "1x1x7-1"])
@pytest.mark.parametrize("use_length", [False, True], ids=["", "length"])
@pytest.mark.parametrize("op", SOFTMAX_OPS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_middle_axis(dtype, op, use_length, shape, axis):
    x = random(shape, dtype, 3)
    log, negate = op == "log_softmax", op == "softmin"
    lshape = tuple(d for i, d in enumerate(shape) if i != axis % len(shape))
    length = (np.random.default_rng(4).integers(0, shape[axis] + 2, lshape)
              if use_length else None)
    glen = None if length is None else to_gpu(length)
    y = _launch_softmax(x, op, axis=axis, temperature=0.7, length=glen)
    expected = softmax_ref(x, axis, 0.7, length, log, negate)
    assert_close(y, expected, dtype, f"{op} forward, axis {axis}")
    y_in = expected.astype(dtype)
    g = random(shape, dtype, 5, scale=1.0)
    dx = softmax_cuda().softmax_backward(to_gpu(y_in), to_gpu(g), axis, 0.7, glen, log=log,
                                         negate=negate)
    assert_close(dx, softmax_grad_ref(y_in, g, axis, 0.7, length, log, negate), dtype,
                 f"{op} backward, axis {axis}")


@pytest.mark.parametrize("cols", [64, 5000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_misaligned_rows_and_in_place(dtype, cols):
    import cupy
    x = random((3, cols), dtype, 11)
    buf = cupy.empty(x.size + 1, dtype=dtype)
    xg = buf[1:].reshape(x.shape)  # contiguous, but 2 to 8 bytes off a 16-byte boundary
    xg[...] = to_gpu(x)
    y = softmax_cuda().softmax_forward(xg, -1)
    assert_close(y, softmax_ref(x), dtype, "misaligned forward")
    out = softmax_cuda().softmax_forward(xg, -1, out=xg)
    assert out is xg
    assert_close(xg, softmax_ref(x), dtype, "in-place forward")
    g = random((3, cols), dtype, 12, scale=1.0)
    gg = to_gpu(g)
    y_in = softmax_ref(x).astype(dtype)
    dx = softmax_cuda().softmax_backward(to_gpu(y_in), gg, -1, igrad=gg)
    assert dx is gg
    assert_close(dx, softmax_grad_ref(y_in, g), dtype, "in-place backward")


def test_softmax_masked_inputs():
    x = np.array([[-np.inf, 1.0, -np.inf, 2.0], [0.0, -np.inf, -np.inf, -np.inf]], np.float32)
    y = softmax_cuda().softmax_forward(to_gpu(x), -1)
    np.testing.assert_allclose(to_cpu(y), [[0, 0.26894142, 0, 0.73105858], [1, 0, 0, 0]],
                               rtol=1e-6)


# --------------------------------------------------------------------------------------------
# SoftmaxOutput

@pytest.mark.parametrize("shape", [(4, 1), (5, 33), (3, 1025), (2, 5000), (2, 3, 5), (2, 4, 3, 3)],
                         ids=["4x1", "5x33", "3x1025", "2x5000", "multi-2x3x5", "multi-2x4x3x3"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_output_forward(dtype, shape):
    x = random(shape, dtype, 21)
    y = softmax_cuda().softmax_output_forward(to_gpu(x))
    assert_close(y, softmax_ref(x, axis=1 if len(shape) > 2 else -1), dtype, "SoftmaxOutput")


SO_CASES = [
    # (shape, multi_output, normalization, use_ignore, smooth_alpha, grad_scale)
    ((6, 5), False, "null", False, 0.0, 1.0),
    ((6, 5), False, "batch", False, 0.0, 2.0),
    ((6, 5), False, "valid", False, 0.0, 1.0),
    ((6, 5), False, "valid", True, 0.0, 0.5),
    ((6, 5), False, "null", True, 0.1, 1.0),
    ((7, 1025), False, "batch", True, 0.2, 1.0),
    ((3, 1), False, "null", False, 0.0, 1.0),
    ((2, 3, 2, 2), True, "null", False, 0.0, 1.0),
    ((2, 3, 2, 2), True, "batch", False, 0.0, 1.0),
    ((2, 3, 2, 2), True, "valid", False, 0.0, 1.0),
    ((3, 4, 7), True, "valid", True, 0.3, 3.0),
]


@pytest.mark.parametrize("case", SO_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}-{'multi-' if c[1] else ''}{c[2]}"
                              f"{'-ignore' if c[3] else ''}{'-smooth' if c[4] else ''}"
                              for c in SO_CASES])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_output_backward(dtype, case):
    shape, multi, normalization, use_ignore, alpha, grad_scale = case
    n, k = shape[:2]
    nlabel = n * (int(np.prod(shape[2:])) if multi else 1)
    rng = np.random.default_rng(31)
    # Whole, fractional (truncated), ignored (1), negative and too-large labels.
    label = rng.integers(-1, k + 1, nlabel) + rng.choice([0.0, 0.6], nlabel)
    label[0], label[-1] = 1.0, 1.9
    label = label.astype(dtype)
    prob = softmax_ref(random(shape, dtype, 32), axis=1).astype(dtype)
    grad = softmax_cuda().softmax_output_backward(
        to_gpu(prob), to_gpu(label), grad_scale=grad_scale, ignore_label=1.0,
        use_ignore=use_ignore, normalization=normalization, multi_output=multi,
        smooth_alpha=alpha)
    expected = softmax_output_grad_ref(prob, label, grad_scale, 1.0, use_ignore, normalization,
                                       multi, alpha)
    if dtype == "float64":  # MXNet computes the scale and the smoothing terms in float32
        np.testing.assert_allclose(to_cpu(grad), expected, rtol=1e-6, atol=1e-12)
    else:
        assert_close(grad, expected, dtype, "SoftmaxOutput backward")


def test_softmax_output_backward_out_grad_and_buffer():
    prob = softmax_ref(random((4, 6), "float32", 41)).astype(np.float32)
    label = np.array([0, 5, 2, 9], np.float32)
    out = to_gpu(np.full((4, 6), 7, np.float32))
    grad = softmax_cuda().softmax_output_backward(to_gpu(prob), to_gpu(label), grad_scale=1.0,
                                          normalization="null", out_grad=True, out=out)
    assert grad is out
    expected = softmax_output_grad_ref(prob, label, 1.0, -1, False, "null", False, 0.0) * prob
    assert_close(grad, expected, "float32", "out_grad multiplies by the output")


# --------------------------------------------------------------------------------------------
# FullyConnected bias gradient fused with the activation backward

@pytest.mark.parametrize("shape", [(1, 1), (5, 33), (64, 1025), (5000, 33), (3, 4, 70)],
                         ids=["1x1", "5x33", "64x1025", "5000x33", "3x4x70"])
@pytest.mark.parametrize("act", list(ACTS), ids=[str(a) for a in ACTS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fc_backward_fused(dtype, act, shape):
    forward, derivative = ACTS[act]
    g = random(shape, dtype, 51, scale=1.0)
    y = forward(random(shape, "float64", 52, scale=1.5)).astype(dtype)
    d, db = fc_cuda().fc_backward_fused(to_gpu(g), to_gpu(y), act)
    expected = g.astype(np.float64) * derivative(y.astype(np.float64))
    assert_close(d, expected, dtype, "d_fc")
    d_host = to_cpu(d).reshape(-1, shape[-1])
    # db is the column sum of the stored d_fc, accumulated in float32 (float64 for float64).
    eps = 1e-12 if dtype == "float64" else 1e-6
    bound = eps * np.abs(d_host).sum(0) + (1e-3 if dtype == "float16" else 0) * np.abs(
        d_host.sum(0))
    err = np.abs(to_cpu(db) - d_host.sum(0))
    assert np.all(err <= bound + TOLS[dtype][1]), f"db error {err.max()}"
    assert db.shape == (shape[-1],) and db.dtype == np.dtype(dtype)
    if act is None:
        assert d.shape == shape


def test_fc_backward_is_deterministic():
    g = to_gpu(random((4096, 96), "float32", 61, scale=1.0))
    y = to_gpu(np.maximum(random((4096, 96), "float32", 62), 0))
    first = to_cpu(fc_cuda().fc_backward_fused(g, y, "relu")[1])
    for _ in range(3):
        assert np.array_equal(to_cpu(fc_cuda().fc_backward_fused(g, y, "relu")[1]), first)


# --------------------------------------------------------------------------------------------
# Shapes where blocks loop, non-finite rows, every parameter combination. On the emulated device
# (2 SMs) grid-stride launches get at most 64 blocks, so 260 warp-per-row rows (4 per block) and
# 66 block-per-row rows make blocks handle several rows and reuse their shared memory.

MANY_ROWS = [(260, 1), (260, 33), (260, 64), (66, 1025), (66, 4200), (3, 20001)]


@pytest.mark.parametrize("op", SOFTMAX_OPS)
@pytest.mark.parametrize("shape", MANY_ROWS, ids=[f"{r}x{c}" for r, c in MANY_ROWS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_many_rows(dtype, shape, op):
    rows, cols = shape
    log, negate = op == "log_softmax", op == "softmin"
    x = random(shape, dtype, rows + cols)
    length = np.random.default_rng(cols).integers(0, cols + 2, rows)
    for t, lens in ((1.0, None), (1.7, length)):
        glen = None if lens is None else to_gpu(lens)
        y = _launch_softmax(x, op, axis=-1, temperature=t, length=glen)
        expected = softmax_ref(x, -1, t, lens, log, negate)
        assert_close(y, expected, dtype, f"{op} forward T={t}")
        y_in = expected.astype(dtype)
        g = random(shape, dtype, rows, scale=1.0)
        dx = softmax_cuda().softmax_backward(to_gpu(y_in), to_gpu(g), -1, t, glen, log=log,
                                             negate=negate)
        assert_close(dx, softmax_grad_ref(y_in, g, -1, t, lens, log, negate), dtype,
                     f"{op} backward T={t}")


def nonfinite(shape, dtype, seed):
    """Rows (along the last axis) with NaN first / inside / last, +inf, two +inf, -inf, all -inf,
    and finite control rows; NaN and inf land on every lane and vector position over the rows."""
    x = random(shape, dtype, seed).reshape(-1, shape[-1])
    cols = x.shape[1]
    for r in range(x.shape[0]):
        c = (r * 7 + r // 8) % cols
        kind = r % 8
        if kind == 0:
            x[r, c] = np.nan
        elif kind == 1:
            x[r, 0] = np.nan
        elif kind == 2:
            x[r, c] = np.inf
        elif kind == 3:
            x[r, c] = -np.inf
            x[r, (c + 5) % cols] = -np.inf
        elif kind == 4:
            x[r] = -np.inf
        elif kind == 5:
            x[r, -1] = np.nan
        elif kind == 6:
            x[r, c] = np.inf
            x[r, (c + 3) % cols] = np.inf
    return x.reshape(shape)


NONFINITE_SHAPES = [((64, 4), -1), ((64, 33), -1), ((96, 64), -1), ((40, 256), -1),
                    ((24, 1025), -1), ((16, 2048), -1), ((4, 40, 6), 1), ((3, 24, 40), 1)]


@pytest.mark.parametrize("op", SOFTMAX_OPS)
@pytest.mark.parametrize("shape,axis", NONFINITE_SHAPES,
                         ids=[f"{'x'.join(map(str, s))}-{a}" for s, a in NONFINITE_SHAPES])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_nonfinite_rows(dtype, shape, axis, op):
    """NaN poisons its whole row (it used to be dropped when it was the first value a thread or
    a line saw); +inf gives NaN (inf - inf); -inf contributes 0; an all -inf row is NaN."""
    log, negate = op == "log_softmax", op == "softmin"
    x = nonfinite(shape, dtype, 5)
    if axis != -1:
        x = np.ascontiguousarray(np.moveaxis(x, -1, axis))
    for t in (1.0, 2.0):
        y = _launch_softmax(x, op, axis=axis, temperature=t)
        assert_close(y, softmax_ref(x, axis, t, None, log, negate), dtype, f"{op} T={t}")


@pytest.mark.parametrize("shape", [(64, 33), (96, 64), (24, 1025), (5, 7, 3)],
                         ids=["64x33", "96x64", "24x1025", "multi-5x7x3"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_output_forward_nonfinite_rows(dtype, shape):
    if len(shape) == 2:
        x = nonfinite(shape, dtype, 6)
        expected = softmax_ref(x)
    else:
        x = np.ascontiguousarray(np.moveaxis(nonfinite((5, 3, 7), dtype, 6), -1, 1))
        expected = softmax_ref(x, axis=1)
    y = softmax_cuda().softmax_output_forward(to_gpu(x))
    assert_close(y, expected, dtype, "SoftmaxOutput forward")


def test_softmax_nan_first_in_row_regression():
    """The issue's example: softmax([[nan, 1, 2, 3]]) was [nan, .09, .245, .665]."""
    for dtype in DTYPES:
        x = np.array([[np.nan, 1, 2, 3]], dtype)
        assert np.isnan(to_cpu(_launch_softmax(x, "softmax", axis=-1))).all(), dtype
        assert np.isnan(to_cpu(_launch_softmax(x.T.copy(), "log_softmax", axis=0))).all(), dtype


@pytest.mark.parametrize("op", SOFTMAX_OPS)
@pytest.mark.parametrize("shape,axis", [((5, 33), -1), ((3, 1025), -1), ((2, 30, 3), 1)],
                         ids=["5x33", "3x1025", "2x30x3-1"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_negative_temperature(dtype, shape, axis, op):
    """softmax(x / T) for T < 0 without overflow (MXNet overflows to NaN: it subtracts max(x))."""
    log, negate = op == "log_softmax", op == "softmin"
    x = random(shape, dtype, 9, scale=40.0)
    y = _launch_softmax(x, op, axis=axis, temperature=-0.5)
    expected = softmax_ref(x, axis, -0.5, None, log, negate)
    assert np.isfinite(expected).all()
    assert_close(y, expected, dtype, f"{op} T=-0.5", scale=10.0)
    g = random(shape, dtype, 10, scale=1.0)
    y_in = expected.astype(dtype)
    dx = softmax_cuda().softmax_backward(to_gpu(y_in), to_gpu(g), axis, -0.5, log=log,
                                         negate=negate)
    assert_close(dx, softmax_grad_ref(y_in, g, axis, -0.5, None, log, negate), dtype,
                 f"{op} backward T=-0.5", scale=10.0)


@pytest.mark.parametrize("out_grad", [False, True], ids=["", "out_grad"])
@pytest.mark.parametrize("multi", [False, True], ids=["2d", "multi"])
@pytest.mark.parametrize("alpha", [0.0, 0.15], ids=["", "smooth"])
@pytest.mark.parametrize("use_ignore", [False, True], ids=["", "ignore"])
@pytest.mark.parametrize("normalization", ["null", "batch", "valid"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_output_backward_every_combination(dtype, normalization, use_ignore, alpha, multi,
                                                   out_grad):
    """Every parameter the kernel reads; > 1 warp of labels for the 'valid' count (70 and 165
    labels); fractional, negative, too-large and ignored (2.x) labels."""
    shape = (5, 7, 3, 11) if multi else (70, 37)
    n, k = shape[:2]
    nlabel = n * (int(np.prod(shape[2:])) if multi else 1)
    rng = np.random.default_rng(nlabel)
    label = (rng.integers(-2, k + 2, nlabel) + rng.choice([0.0, 0.3, 0.9], nlabel))
    label[::7] = 2.5
    label = label.astype(dtype)
    prob = softmax_ref(random(shape, dtype, 33), axis=1).astype(dtype)
    grad = softmax_cuda().softmax_output_backward(
        to_gpu(prob), to_gpu(label), grad_scale=1.7, ignore_label=2.0, use_ignore=use_ignore,
        normalization=normalization, multi_output=multi, smooth_alpha=alpha, out_grad=out_grad)
    expected = softmax_output_grad_ref(prob, label, 1.7, 2.0, use_ignore, normalization, multi,
                                       alpha)
    if out_grad:
        expected = expected * prob.astype(np.float64)
    if dtype == "float64":  # MXNet computes the scale and the smoothing terms in float32
        np.testing.assert_allclose(to_cpu(grad), expected, rtol=1e-6, atol=1e-7)
    else:
        assert_close(grad, expected, dtype, "SoftmaxOutput backward")


@pytest.mark.parametrize("nlabel", [31, 32, 33, 100, 1024, 1025, 5000])
def test_softmax_output_valid_count_many_labels(nlabel):
    """The 'valid' count kernel: one block of up to 1024 threads looping over the labels."""
    k = 3
    rng = np.random.default_rng(nlabel)
    label = rng.integers(0, k, nlabel).astype(np.float32)
    ignored = rng.random(nlabel) < 0.3
    label[ignored] = 1.0
    label[~ignored & (label == 1.0)] = 2.0
    prob = softmax_ref(random((nlabel, k), "float32", 3)).astype(np.float32)
    grad = softmax_cuda().softmax_output_backward(to_gpu(prob), to_gpu(label), ignore_label=1.0,
                                          use_ignore=True, normalization="valid")
    valid = int((~ignored).sum())
    expected = softmax_output_grad_ref(prob, label, 1.0, 1.0, True, "valid", False, 0.0)
    assert_close(grad, expected, "float32", f"{valid} valid labels")
